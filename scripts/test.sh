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

# The browser tests (tests/test_browser.py) drive a system Chromium through Playwright, never a
# browser of Playwright's own: $CHROMIUM if set, else Debian's /usr/bin/chromium, else
# chromium, chromium-browser or google-chrome on PATH. When none is found, Debian's package is
# installed where apt has it (as root, or in CI with sudo); elsewhere the browser tests skip,
# except in CI, where a missing browser fails them.
case "${CI:-}" in "" | 0 | false | False | FALSE | no) in_ci=0 ;; *) in_ci=1 ;; esac
find_chromium() {
  if [ -n "${CHROMIUM:-}" ]; then echo "$CHROMIUM"; return; fi
  if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; return; fi
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null; then command -v "$name"; return; fi
  done
}
if [ -z "$(find_chromium)" ]; then
  if [ "$(id -u)" = 0 ] || [ "$in_ci" = 1 ]; then
    as_root=()
    if [ "$(id -u)" != 0 ]; then
      if ! command -v sudo >/dev/null; then
        echo "scripts/test.sh: installing chromium needs root: apt-get install -y chromium" >&2
        exit 1
      fi
      as_root=(sudo -n)
    fi
    if command -v apt-get >/dev/null; then "${as_root[@]}" apt-get update -qq; fi
    # Debian has a chromium package; Ubuntu's of that name is a transitional one for a snap
    if command -v apt-cache >/dev/null \
        && apt-cache show chromium 2>/dev/null | grep -q '^Version:' \
        && ! apt-cache show chromium 2>/dev/null | grep -qi 'snap'; then
      echo "scripts/test.sh: installing Debian's chromium for the browser tests" >&2
      "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
        >/dev/null
    else
      echo "scripts/test.sh: no Chromium found and apt has no Debian chromium package here;" \
        "set CHROMIUM to the path of a Chromium or Chrome" >&2
    fi
  else
    echo "scripts/test.sh: no Chromium found, so the browser tests will be skipped; install" \
      "it with: sudo apt-get update && sudo apt-get install -y chromium, or set CHROMIUM" >&2
  fi
fi
if [ -n "$(find_chromium)" ]; then export CHROMIUM="$(find_chromium)"; fi

# The R tests (tests/test_r.py) read the .sav and .dta downloads with R's haven package: Debian's
# r-base-core and r-cran-haven. When Rscript or haven is missing, the missing ones are installed
# where apt has them (as root, or in CI with sudo); elsewhere the R tests skip, except in CI,
# where a missing R or haven fails them.
has_r_haven() {
  command -v Rscript >/dev/null \
    && Rscript --vanilla -e "quit(status = !requireNamespace('haven', quietly = TRUE))" \
      >/dev/null 2>&1
}
if ! has_r_haven; then
  r_packages=(r-cran-haven)
  if ! command -v Rscript >/dev/null; then r_packages=(r-base-core r-cran-haven); fi
  if [ "$(id -u)" = 0 ] || [ "$in_ci" = 1 ]; then
    as_root=()
    if [ "$(id -u)" != 0 ]; then
      if ! command -v sudo >/dev/null; then
        echo "scripts/test.sh: installing R needs root: apt-get install -y ${r_packages[*]}" >&2
        exit 1
      fi
      as_root=(sudo -n)
    fi
    r_available=()
    if command -v apt-get >/dev/null && command -v apt-cache >/dev/null; then
      "${as_root[@]}" apt-get update -qq
      for package in "${r_packages[@]}"; do
        if apt-cache show "$package" 2>/dev/null | grep -q '^Version:'; then
          r_available+=("$package")
        fi
      done
    fi
    if [ "${#r_available[@]}" -gt 0 ]; then
      echo "scripts/test.sh: installing ${r_available[*]} for the R tests" >&2
      "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${r_available[@]}" >/dev/null
    fi
    if ! has_r_haven; then
      echo "scripts/test.sh: R with haven is still missing (needed: ${r_packages[*]}; apt" \
        "here has: ${r_available[*]:-none}); install R and its haven package for the R tests" >&2
    fi
  else
    echo "scripts/test.sh: R or its haven package is missing, so the R tests will be skipped;" \
      "install them with: sudo apt-get update && sudo apt-get install -y r-base-core" \
      "r-cran-haven" >&2
  fi
fi

.venv/bin/python -m ruff check src tests tools
.venv/bin/python -m pytest "$@"
