#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run them.
# Usage: scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -c constraints.txt -e ".[test]"

# The browser tests (tests/test_browser.py) drive Debian's Chromium through Playwright, never a
# browser of Playwright's own. Installed here when running as root or in CI; elsewhere those tests
# skip without it, except in CI, where a missing browser fails them.
case "${CI:-}" in "" | 0 | false | False | FALSE | no) in_ci=0 ;; *) in_ci=1 ;; esac
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] || [ "$in_ci" = 1 ]; then
    as_root=()
    if [ "$(id -u)" != 0 ]; then
      if ! command -v sudo >/dev/null; then
        echo "scripts/test.sh: installing chromium needs root: apt-get install -y chromium" >&2
        exit 1
      fi
      as_root=(sudo -n)
    fi
    echo "scripts/test.sh: installing Debian's chromium for the browser tests" >&2
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: /usr/bin/chromium is missing, so the browser tests will be skipped;" \
      "install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
  fi
fi

.venv/bin/python -m ruff check src tests tools
.venv/bin/python -m pytest "$@"
