#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing and the OS allows it
# (root with apt-get). Elsewhere it says what to install; in CI the browser tests then fail.
set -u
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
  echo "warning: could not install chromium with apt-get" >&2
  exit 0
fi
echo "note: Chromium not found; install it (Debian/Ubuntu: apt-get install chromium) to run the browser tests." >&2
exit 0
