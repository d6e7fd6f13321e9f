#!/usr/bin/env bash
# Create or refresh .venv from the pinned requirements.txt.
#
# The environment is rebuilt when .venv is missing or when requirements.txt has
# changed since it was installed (a SHA-256 of the file is kept in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
  done
fi
[ -n "$PYTHON" ] || { echo "error: no python3 found on PATH" >&2; exit 1; }

want="$(sha256sum requirements.txt | cut -d' ' -f1)"
stamp=".venv/.requirements.sha256"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

echo "Setting up .venv from requirements.txt (this takes a minute or two the first time)"
rm -rf .venv
"$PYTHON" -m venv .venv
quiet() {  # pip warns about unused local package folders on some machines; keep real errors
  "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
}
quiet .venv/bin/python -m pip install --quiet -r requirements.txt
quiet .venv/bin/python -m pip install --quiet --no-deps -e .
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "$want" > "$stamp"
