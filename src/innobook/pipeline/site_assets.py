"""Front-end libraries the site serves itself, so no page asks another host for anything.

* Vega, Vega-Lite and Vega-Embed: the single-file bundle that vl-convert ships
  (``vl_convert.javascript_bundle``), pinned to Altair's Vega-Lite version.
* MathJax 3: the files of the ``sphinx-mathjax-offline`` package, less the parts the
  book does not use (SVG output, other languages' speech rules).

Both are written into ``book/_vendor/`` (not committed) and copied to the site's
``_static/`` by Sphinx. A stamp records the versions, so a rebuild with the same
versions rewrites nothing and the site's input digest stays the same.
"""

from __future__ import annotations

import json
import shutil
from importlib import metadata
from pathlib import Path

VENDOR = Path("book") / "_vendor"
MATHJAX_SKIP = ("svg", "-full", "mml-", "node-main", "latest.js")
MATHJAX_LANGS = ("base.json", "en.json")


def _mathjax_source() -> Path:
    files = metadata.files("sphinx-mathjax-offline") or []
    for f in files:
        if f.name == "tex-chtml.js":
            return Path(f.locate()).parent
    raise FileNotFoundError("sphinx-mathjax-offline is not installed; run the build through `make`")


def _wanted(rel: Path) -> bool:
    name = rel.as_posix()
    if "sre/mathmaps/" in name:
        return rel.name in MATHJAX_LANGS
    return not any(s in name for s in MATHJAX_SKIP)


def prepare_assets(root: Path) -> Path:
    """Write the vendored libraries into ``book/_vendor`` if they are missing or outdated."""
    vendor = root / VENDOR
    stamp = vendor / "versions.json"
    # package versions from their metadata: importing altair only to read its Vega-Lite
    # version would cost every build a third of a second
    versions = {"vl-convert": metadata.version("vl-convert-python"),
                "altair": metadata.version("altair"),
                "mathjax-package": metadata.version("sphinx-mathjax-offline")}
    if stamp.exists() and json.loads(stamp.read_text()) == versions:
        return vendor
    import altair as alt
    import vl_convert

    shutil.rmtree(vendor, ignore_errors=True)
    (vendor / "vega").mkdir(parents=True)
    major, minor, *_ = alt.VEGALITE_VERSION.split(".")
    bundle = vl_convert.javascript_bundle(vl_version=f"{major}.{minor}")
    # The bundle declares top-level constants; a function scope keeps them off the page's globals.
    (vendor / "vega" / "vega-bundle.js").write_text("(function(){\n" + bundle + "\n})();\n",
                                                     encoding="utf-8")
    source = _mathjax_source()
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and _wanted(rel):
            dest = vendor / "mathjax" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    stamp.write_text(json.dumps(versions, sort_keys=True))
    return vendor
