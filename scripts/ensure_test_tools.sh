#!/usr/bin/env bash
# Tools the real-browser tests need and pip cannot provide: Debian's Chromium with its
# chromedriver (a tool's own browser download does not work here), a CJK font, and the npm packages (socket.io-client
# for the chat, axe-core for the accessibility test). Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=()
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  wanted+=(chromium chromium-driver)
fi
# Chinese on the page (and in its screenshots) needs a CJK font; Debian's Chromium ships none.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  wanted+=(fonts-noto-cjk)
fi
if ! command -v npm >/dev/null 2>&1; then
  wanted+=(nodejs npm)
fi
if [ "${#wanted[@]}" -gt 0 ]; then
  echo "Installing ${wanted[*]} (Debian packages) for the patient page and its browser tests"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${wanted[@]}" >/dev/null
fi

.venv/bin/python -m bot.webpage.build --quiet
