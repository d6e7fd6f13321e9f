"""One house style for the book's charts, and an Altair renderer that needs no CDN.

Every chart states its finding in the title, labels its axes with units, names
its sources (linked to the bibliography), carries alt text, and ships a static
SVG rendered by vl-convert. The renderer writes only ``text/html``:

* a ``<figure>`` whose view box reserves the chart's size (nothing jumps on load);
* the static SVG as an ``<img>`` inside it, which is what readers without
  JavaScript, printers and notebook viewers see;
* the Vega-Lite specification in a ``<script type="application/json">`` block,
  which ``innobook-charts.js`` (served by the site itself) turns into an
  interactive chart;
* a caption with the source line.

Ids are derived from the specification, so two runs give the same page.

Usage in a notebook::

    from innobook import charts
    chart = charts.finish(alt.Chart(df).mark_bar().encode(...),
                          title="R&D spending rose by half in four years",
                          subtitle="China, gross domestic expenditure on R&D, 100 million yuan",
                          sources=[("NBS R&D communiqués 2016-2024", "nbs_rd_communiques")],
                          alt="Bar chart of ...")
    chart          # displays through the book's renderer
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
from typing import Sequence

import altair as alt

RENDERER = "innobook"
WIDTH, HEIGHT = 600, 300
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', sans-serif"
PALETTE = ["#1f5fa8", "#d1495b", "#2e933c", "#edae49", "#6c4f9e", "#00798c", "#8d6a4f", "#5a5a5a"]

_counter = itertools.count(1)


def _vl_version() -> str:
    major, minor, *_ = alt.VEGALITE_VERSION.split(".")
    return f"{major}.{minor}"


def finish(chart: alt.TopLevelMixin, *, title: str, sources: Sequence[tuple[str, str]],
           alt_text: str, subtitle: str | None = None) -> alt.TopLevelMixin:
    """Give a chart the house title, source line and alt text.

    ``sources`` is a list of ``(label, bibkey)`` pairs; each label becomes a link
    to its entry in the book's bibliography.
    """
    if not sources:
        raise ValueError("every chart needs at least one source")
    if not alt_text.strip():
        raise ValueError("every chart needs alt text")
    title_params = alt.TitleParams(text=title, subtitle=subtitle or alt.Undefined, anchor="start")
    return chart.properties(
        title=title_params,
        description=alt_text,
        usermeta={"innobook": {"sources": [list(s) for s in sources], "alt": alt_text}},
    )


@alt.theme.register("innobook", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    """Quiet, legible defaults shared by every chart in the book."""
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": FONT,
            "title": {"fontSize": 16, "fontWeight": 600, "subtitleFontSize": 12,
                      "subtitleColor": "#444", "offset": 12},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": 500,
                     "gridColor": "#e6e6e6", "domainColor": "#888", "tickColor": "#888"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "range": {"category": PALETTE},
        }
    }


def chart_id(spec: dict, counter: int) -> str:
    """A stable id: a digest of the specification plus the chart's order on the page."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"chart-{digest}-{counter}"


def static_svg(spec: dict) -> str:
    """Render the specification to SVG with vl-convert (no browser, no network)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, vl_version=_vl_version())


def _svg_size(svg: str) -> tuple[int, int]:
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
    if not m:
        return WIDTH, HEIGHT
    return round(float(m.group(1))), round(float(m.group(2)))


def source_line(sources: Sequence[Sequence[str]]) -> str:
    """HTML for the caption; ``bib:KEY`` links are resolved by the book's Sphinx extension."""
    links = "; ".join(f'<a href="bib:{html.escape(key)}">{html.escape(label)}</a>'
                      for label, key in sources)
    return f"Source: {links}."


SIGNIFICANT_DIGITS = 6


def _round_floats(value, digits: int = SIGNIFICANT_DIGITS):
    """Round every float in the chart data to ``digits`` significant digits.

    Charts show at most four; the extra digits of a float's full repr only weigh the page.
    """
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, list):
        return [_round_floats(v, digits) for v in value]
    if isinstance(value, dict):
        return {k: _round_floats(v, digits) for k, v in value.items()}
    return value


def svg_data_uri(svg: str) -> str:
    """A compact data URI for an SVG: percent-encode only what a URI must (smaller than base64)."""
    text = re.sub(r">\s+<", "><", svg.strip())
    for char, code in (("%", "%25"), ("#", "%23"), ("<", "%3C"), (">", "%3E"), ('"', "%22"),
                       ("\n", "%0A"), ("\r", ""), ("&", "%26")):
        text = text.replace(char, code)
    return "data:image/svg+xml;charset=utf-8," + text


def to_html(spec: dict) -> str:
    """The figure HTML for a Vega-Lite specification (see the module docstring)."""
    meta = spec.get("usermeta", {}).get("innobook")
    if not meta:
        raise ValueError("chart has no source line or alt text: pass it through charts.finish()")
    spec = {k: v for k, v in spec.items() if k != "$schema"}
    if "datasets" in spec:
        spec["datasets"] = _round_floats(spec["datasets"])
    cid = chart_id(spec, next(_counter))
    svg = static_svg(spec)
    width, height = _svg_size(svg)
    alt_text = html.escape(meta["alt"])
    spec_json = json.dumps(spec, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<figure class="innobook-chart" id="fig-{cid}">'
        f'<div class="innobook-chart__view" id="{cid}" data-spec="{cid}-spec" role="img" '
        f'aria-label="{alt_text}" style="max-width:{width}px;aspect-ratio:{width}/{height}">'
        f'<img src="{svg_data_uri(svg)}" alt="{alt_text}" width="{width}" '
        f'height="{height}"></div>'
        f'<script type="application/json" id="{cid}-spec">{spec_json}</script>'
        f'<figcaption class="innobook-chart__source">{source_line(meta["sources"])}</figcaption>'
        f"</figure>"
    )


def _render(spec: dict, **kwargs) -> dict:
    return {"text/html": to_html(spec)}


alt.renderers.register(RENDERER, _render)
alt.renderers.enable(RENDERER)
