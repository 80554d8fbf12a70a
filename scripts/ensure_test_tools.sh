#!/usr/bin/env bash
# Tools the real-browser tests need and pip cannot provide: Debian's Chromium with its
# chromedriver (a tool's own browser download does not work here), a CJK font, and the npm packages (socket.io-client
# for the chat, axe-core for the accessibility test), and HAProxy for the cluster and its test
# (tests/test_cluster.py). Idempotent and quiet when everything is present.
# `ensure_test_tools.sh cluster` (make cluster) ensures only HAProxy.
set -euo pipefail
cd "$(dirname "$0")/.."

install_debian_packages() {
  echo "Installing $* (Debian packages)"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$@" >/dev/null
}

wanted=()
# The cluster's load balancer (make cluster, tests/test_cluster.py).
if ! command -v haproxy >/dev/null 2>&1; then
  wanted+=(haproxy)
fi
if [ "${1:-}" = "cluster" ]; then
  if [ "${#wanted[@]}" -gt 0 ]; then install_debian_packages "${wanted[@]}"; fi
  exit 0
fi
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
  install_debian_packages "${wanted[@]}"
fi

.venv/bin/python -m bot.webpage.build --quiet
