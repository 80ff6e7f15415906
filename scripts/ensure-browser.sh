#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing and the OS allows it, and
# axe-core from the npm registry into tests/.tools (the accessibility checks).
# Chromium:
# (root with apt-get). Elsewhere it says what to install; in CI the browser tests then fail.
set -u
# axe-core (npm registry), the accessibility engine the browser tests inject into each page.
AXE_VERSION="4.14.1"
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tests/.tools"
if [ ! -f "$TOOLS/node_modules/axe-core/axe.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "Installing axe-core $AXE_VERSION for the accessibility tests (npm)..."
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --no-save --silent "axe-core@$AXE_VERSION" >/dev/null \
      || echo "warning: could not install axe-core with npm" >&2
  else
    echo "note: npm not found; install Node.js and npm to run the accessibility tests (axe-core)." >&2
  fi
fi
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
