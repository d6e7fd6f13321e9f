#!/usr/bin/env bash
# Publish the built site (_build/html) to the gh-pages branch of the `origin` remote.
#
#   make publish                 # build and print if needed, then publish
#   PUBLISH_PUSH=0 make publish  # commit to the local gh-pages branch only, do not push
#
# Besides the site, the branch gets what the launch buttons need to run a chapter's executed
# notebook (_sources/book/generated/<run>.ipynb): the data files (already in the site under
# data/) and a Binder environment in binder/ (the pinned requirements, the Python version and
# the book's package, installed by binder/postBuild). GitHub Pages serves the branch once
# "Deploy from a branch: gh-pages" is chosen in the repository's Pages settings.
set -euo pipefail
cd "$(dirname "$0")/.."

SITE=_build/html
OUT=_build/publish
PY="${PY:-.venv/bin/python}"
[ -f "$SITE/index.html" ] || { echo "error: no site in $SITE; run make book first" >&2; exit 2; }

rm -rf "$OUT"
cp -r "$SITE" "$OUT"
touch "$OUT/.nojekyll"                      # serve _static/ and _sources/ as they are
mkdir -p "$OUT/binder/package"
cp requirements.txt "$OUT/binder/requirements.txt"
echo "python-3.11" > "$OUT/binder/runtime.txt"
cp pyproject.toml "$OUT/binder/package/"
cp -r src "$OUT/binder/package/src"
find "$OUT/binder/package" \( -name __pycache__ -o -name "*.egg-info" \) -type d -prune -exec rm -rf {} +
cat > "$OUT/binder/postBuild" <<'POST'
#!/usr/bin/env bash
# Binder: install the book's own package; the notebooks find data/ above their folder.
set -euo pipefail
python -m pip install --no-deps ./binder/package
POST
chmod +x "$OUT/binder/postBuild"

push=(-p)
[ "${PUBLISH_PUSH:-1}" = "0" ] && push=()
"$PY" -m ghp_import -n -f "${push[@]}" -b gh-pages \
  -m "Publish the book from $(git rev-parse --short HEAD 2>/dev/null || echo 'a local build')" "$OUT"
echo "Published $OUT to the gh-pages branch${push:+ and pushed it to origin}"
