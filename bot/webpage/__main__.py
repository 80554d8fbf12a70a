"""`python -m bot.webpage --host 127.0.0.1 --port 8000 --socket-url http://127.0.0.1:5005`.

The chat secret shared with Rasa comes from HN2301_CHAT_JWT_KEY or `--key-file` (scripts/stack.py
gives it); without one the page cannot hand out chat tokens, so it does not start.
"""

import argparse
import sys

from bot.settings import load_settings
from bot.webpage.server import make_server
from bot.webpage.tokens import ChatKeyMissing, load_key


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the HN2301 patient page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--socket-url", default="http://127.0.0.1:5005", help="Rasa server, as the browser sees it"
    )
    parser.add_argument("--key-file", help="the chat secret, if not in HN2301_CHAT_JWT_KEY")
    parser.add_argument(
        "--secure-cookie",
        action="store_true",
        default=load_settings().page_secure_cookie,  # HN2301_PAGE_SECURE_COOKIE=1
        help="the page is served over HTTPS (a TLS proxy in front): Secure, __Host- cookie",
    )
    args = parser.parse_args()
    try:
        key = load_key(args.key_file)
    except (ChatKeyMissing, OSError) as error:
        sys.exit(f"Cannot start the patient page: {error}")
    server = make_server(args.host, args.port, args.socket_url, key, args.secure_cookie)
    print(f"Patient page on http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
