"""Entry point of `python -m bot` (see bot/cli.py for the commands)."""

import sys

from bot.cli import main

sys.exit(main())
