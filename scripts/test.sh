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

.venv/bin/python -m ruff check src tests tools
.venv/bin/python -m pytest "$@"
