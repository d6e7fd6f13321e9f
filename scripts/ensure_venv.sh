#!/usr/bin/env bash
# Create or refresh .venv from the pinned requirements.txt.
#
# The environment is rebuilt when .venv is missing or when requirements.txt has
# changed since it was installed (a SHA-256 of the file is kept in .venv).
# Every package is pinned with its hashes and pip verifies them; the book's own
# package is installed without build isolation, so nothing unpinned is fetched.
# A lock serialises set-ups, so two first builds in one clone never race.
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
ready() { [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
ready && exit 0

exec 9>".venv.lock"
if ! flock -n 9; then
  echo "waiting for another set-up of .venv in this folder to finish"
  flock 9
fi
ready && exit 0

echo "Setting up .venv from requirements.txt (this takes a minute or two the first time)"
rm -rf .venv
"$PYTHON" -m venv .venv
quiet() {  # pip warns about unused local package folders on some machines; keep real errors
  "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
}
quiet .venv/bin/python -m pip install --quiet --require-hashes -r requirements.txt
quiet .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation --no-index -e .
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "$want" > "$stamp"
