#!/usr/bin/env bash
# Install what the browser tests and the print check need, when it is missing:
#   chromium        Debian's headless browser (Playwright drives it; its own download is not used)
#   fonts-noto-cjk  Chinese glyphs, for pages and for the charts' static SVGs (vl-convert draws
#                   text as paths with the fonts installed on the machine that renders them)
#   poppler-utils   pdftoppm, to look at a page printed to PDF
# Debian or Ubuntu with apt-get; run as root or with sudo available. Does nothing when all
# three are present, so `make test` calls it every time.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -qi "CJK"; }; then
  need+=(fonts-noto-cjk)
fi
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing ${need[*]} and no apt-get on this machine; install them with your" \
       "package manager (Chromium at /usr/bin/chromium, a CJK font such as Noto Sans CJK)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: installing ${need[*]} needs root" >&2; exit 1; }
  SUDO="sudo"
fi
echo "Installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
