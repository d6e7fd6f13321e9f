"""Sphinx extension for the book's site: charts and citations that work offline.

* Pages that hold a chart load the vendored Vega bundle and the chart loader
  (deferred); pages without charts load neither.
* Chart source lines link to bibliography entries with ``href="bib:KEY"``; this
  extension points them at the references page (``bibtex_cite_id`` gives every
  entry a stable anchor) and fails the build on an unknown key.
"""

from __future__ import annotations

import re

from docutils.nodes import make_id
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

CHART_MARK = 'class="innobook-chart"'
BIB_LINK = re.compile(r'href="bib:([^"]+)"')
REFERENCES_PAGE = "book/references"



def _bib_keys(app: Sphinx) -> set[str]:
    from pybtex.database import parse_file

    if not hasattr(app, "_innobook_bib_keys"):
        keys = set()
        for path in app.config.bibtex_bibfiles:
            keys |= set(parse_file(app.confdir + "/" + path).entries.keys())
        app._innobook_bib_keys = keys
    return app._innobook_bib_keys


def _drop_thebe(context: dict) -> None:
    """Live code (Thebe) is off in this book; drop its assets, which name a CDN."""
    scripts = context.get("script_files")
    if scripts is not None:
        scripts[:] = [js for js in scripts
                      if "thebe" not in str(js).lower() and "thebe" not in js.attributes.get("body", "").lower()]
    styles = context.get("css_files")
    if styles is not None:
        styles[:] = [css for css in styles if "thebe" not in str(css).lower()]


def on_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    _drop_thebe(context)
    body = context.get("body", "")
    if CHART_MARK in body:
        app.add_js_file("vega/vega-bundle.js", loading_method="defer")
        app.add_js_file("innobook-charts.js", loading_method="defer")
    if "bib:" in body:
        keys = _bib_keys(app)
        target = app.builder.get_relative_uri(pagename, REFERENCES_PAGE)

        def resolve(match: re.Match) -> str:
            key = match.group(1)
            if key not in keys:
                logger.warning("chart source cites unknown bibliography key %r", key,
                               location=pagename)
            return f'href="{target}#{make_id("cite-" + key)}"'

        context["body"] = BIB_LINK.sub(resolve, body)


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", on_page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
