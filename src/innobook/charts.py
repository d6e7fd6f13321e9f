"""One house style for the book's charts, and an Altair renderer that needs no CDN.

Every chart states its finding in the title, labels its axes with units, names its
sources, carries alt text, and ships a static SVG rendered by vl-convert. The renderer
writes only ``text/html``: a chart *panel* in the manner of Our World in Data, with three
tabs that work without JavaScript and in print (radio buttons and CSS, no script):

* **Chart**: a view box that reserves the chart's size (nothing jumps on load) holding the
  static SVG as an ``<img>``, which is what readers without JavaScript, printers and
  notebook viewers see; the Vega-Lite specification sits in a
  ``<script type="application/json">`` block, which ``innobook-charts.js`` (served by the
  site itself) turns into an interactive chart, with any controls bound to the chart's
  parameters and their state kept in the page's address;
* **Table**: the data the chart draws, as a formatted table (the same data set as the
  chart's, the columns its encodings use, or those named by ``table=``);
* **Sources**: filled in by the book's Sphinx extension from ``data/datapackage.json``:
  the data files (``resources=``), their licence and vintage, the unit, and each cited
  document with publisher, title, official address and date.

Below the panel a short source line and, on the site, downloads made at build time (PNG,
SVG and the table as CSV) and a link to a page holding the chart alone, for embedding.

Ids are derived from the specification, so two runs give the same page.

Usage in a notebook::

    from innobook import charts
    chart = charts.finish(alt.Chart(df).mark_bar().encode(...),
                          title="R&D spending rose by half in four years",
                          subtitle="China, gross domestic expenditure on R&D, 100 million yuan",
                          sources=[("NBS R&D communiqués 2016-2024", "nbs_rd_communiques")],
                          alt_text="Bar chart of ...",
                          resources=["rnd_national"],          # optional: data package resources
                          table={"year": "Year", "value": "R&D (100 million yuan)"},  # optional
                          name="levels")                       # optional: stable name for links
    chart          # displays through the book's renderer

Controls: give the chart an Altair parameter bound to an input
(``alt.param(name="vintage", value="final", bind=alt.binding_radio(...))``) and filter or
encode with it; the site keeps its value in the address (``?levels.vintage=preliminary``),
so a view can be shared. The static image and the table show the parameter's default.
"""

from __future__ import annotations

import copy
import hashlib
import html
import itertools
import json
import re
from typing import Any, Mapping, Sequence

import altair as alt

RENDERER = "innobook"
WIDTH, HEIGHT = 600, 300
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', sans-serif"
PALETTE = ["#1f5fa8", "#d1495b", "#2e933c", "#edae49", "#6c4f9e", "#00798c", "#8d6a4f", "#5a5a5a"]
TABLE_MAX_ROWS = 200
# Encoding channels in the order their fields appear as table columns.
CHANNEL_ORDER = ("row", "column", "facet", "color", "fill", "stroke", "shape", "strokeDash", "detail",
                 "x", "x2", "xOffset", "y", "y2", "yOffset", "theta", "radius", "size", "opacity",
                 "text", "order", "tooltip")
TITLE_RANK = {"x": 0, "y": 0, "x2": 1, "y2": 1, "color": 2, "theta": 2, "tooltip": 4}

_counter = itertools.count(1)


def _vl_version() -> str:
    major, minor, *_ = alt.VEGALITE_VERSION.split(".")
    return f"{major}.{minor}"


def finish(chart: alt.TopLevelMixin, *, title: str, sources: Sequence[tuple[str, str]],
           alt_text: str, subtitle: str | Sequence[str] | None = None,
           resources: Sequence[str] | None = None,
           table: Sequence[str] | Mapping[str, str] | None = None,
           formats: Mapping[str, str] | None = None, name: str | None = None,
           unit: str | None = None) -> alt.TopLevelMixin:
    """Give a chart the house title, sources, alt text and panel.

    ``sources`` is a list of ``(label, bibkey)`` pairs; each label becomes a link to its
    entry in the book's bibliography. The optional arguments fill the panel:
    ``resources`` names the data package resources the chart's data come from (the
    Sources tab lists them; by default, those that cite the chart's sources);
    ``table`` the columns of the Table tab and CSV (a list, or a mapping to headings;
    by default the fields the chart encodes); ``formats`` a format per column
    (``"{:.1f}"`` or a d3 spec such as ``",.0f"``); ``name`` a short stable name used in
    the chart's download files and shared addresses; ``unit`` the unit shown under
    Sources (by default the units the data package gives the columns shown).
    """
    if not sources:
        raise ValueError("every chart needs at least one source")
    if not alt_text.strip():
        raise ValueError("every chart needs alt text")
    if name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"chart name {name!r}: use lower-case letters, digits and hyphens")
    if formats and not all(isinstance(v, str) for v in formats.values()):
        raise ValueError("chart formats must be strings such as '{:.1f}' or ',.0f'")
    meta: dict[str, Any] = {"sources": [list(s) for s in sources], "alt": alt_text}
    if resources:
        meta["resources"] = list(resources)
    if table is not None:
        meta["table"] = dict(table) if isinstance(table, Mapping) else {c: None for c in table}
    if formats:
        meta["formats"] = dict(formats)
    if name:
        meta["name"] = name
    if unit:
        meta["unit"] = unit
    title_params = alt.TitleParams(text=title, subtitle=subtitle or alt.Undefined, anchor="start")
    return chart.properties(title=title_params, description=alt_text, usermeta={"innobook": meta})


@alt.theme.register("innobook", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    """Quiet, legible defaults shared by every chart in the book."""
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": FONT,
            "title": {"fontSize": 17, "fontWeight": 600, "subtitleFontSize": 13,
                      "subtitleColor": "#444", "offset": 12},
            "axis": {"labelFontSize": 13, "titleFontSize": 13, "titleFontWeight": 500,
                     "gridColor": "#e6e6e6", "domainColor": "#888", "tickColor": "#888"},
            "legend": {"labelFontSize": 13, "titleFontSize": 13, "orient": "bottom"},
            "range": {"category": PALETTE},
        }
    }


def chart_id(spec: dict, counter: int) -> str:
    """A stable id: a digest of the specification plus the chart's order on the page."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return f"chart-{digest}-{counter}"


#: Number and date formats of the Chinese rendering (d3-format and d3-time-format locales);
#: ``book/assets/innobook-charts.js`` gives the interactive chart the same two. Months are
#: written in digits (1月 ... 12月), as the Chinese edition's text writes them.
ZH_FORMAT_LOCALE = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]}
ZH_TIME_FORMAT_LOCALE = {
    "dateTime": "%x %A %X", "date": "%Y年%-m月%-d日", "time": "%H:%M:%S", "periods": ["上午", "下午"],
    "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    "months": ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    "shortMonths": [f"{m}月" for m in range(1, 13)],
}


def _locales(lang: str) -> dict:
    """vl-convert's locale arguments for an edition (none for English: d3's own default)."""
    if lang == "zh":
        return {"format_locale": ZH_FORMAT_LOCALE, "time_format_locale": ZH_TIME_FORMAT_LOCALE}
    return {}


def static_svg(spec: dict, lang: str = "en") -> str:
    """Render the specification to SVG with vl-convert (no browser, no network), with the
    edition's number and date formats."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, vl_version=_vl_version(), **_locales(lang))


def static_png(spec: dict, scale: float = 2, lang: str = "en") -> bytes:
    """Render the specification to PNG with vl-convert (for the download link)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, vl_version=_vl_version(), scale=scale, **_locales(lang))


def _svg_size(svg: str) -> tuple[int, int]:
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
    if not m:
        return WIDTH, HEIGHT
    return round(float(m.group(1))), round(float(m.group(2)))


# The panel's own words in each edition (text computed from data goes through innobook.i18n).
UI = {
    "en": {"chart": "Chart", "table": "Table", "sources": "Sources", "source": "Source: ",
           "sep": "; ", "more": "; and {n} more (see Sources)", "end": ".",
           "no_table": "This chart draws no table of data."},
    "zh": {"chart": "图", "table": "表", "sources": "来源", "source": "来源：",
           "sep": "；", "more": "；另有{n}项（见“来源”）", "end": "。",
           "no_table": "此图没有可列成表格的数据。"},
}


def source_line(sources: Sequence[Sequence[str]], most: int = 3, lang: str = "en") -> str:
    """HTML for the caption; ``bib:KEY`` links are resolved by the book's Sphinx extension.

    A chart with many sources names the first few; the Sources tab lists them all.
    """
    ui = UI[lang]
    shown = list(sources)[:most]
    links = ui["sep"].join(f'<a href="bib:{html.escape(key)}">{html.escape(label)}</a>'
                           for label, key in shown)
    rest = len(sources) - len(shown)
    more = ui["more"].format(n=rest) if rest > 0 else ""
    return f"{ui['source']}{links}{more}{ui['end']}"


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


# --------------------------------------------------------------------------- the chart's data
def _walk_views(spec: dict):
    """Every view of a specification (itself, its layers and concatenated views), in order."""
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []) or []:
            if isinstance(sub, dict):
                yield from _walk_views(sub)
    inner = spec.get("spec")
    if isinstance(inner, dict):
        yield from _walk_views(inner)


def dataset_rows(spec: dict) -> dict[str, list[dict]]:
    """The named data sets of a specification (inline ``values`` get a name here)."""
    out = dict(spec.get("datasets", {}))
    for i, view in enumerate(_walk_views(spec)):
        data = view.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            out.setdefault(f"inline-{i}", data["values"])
    return out


def _referenced(spec: dict) -> list[str]:
    names = []
    for i, view in enumerate(_walk_views(spec)):
        data = view.get("data")
        if isinstance(data, dict):
            if "name" in data:
                names.append(data["name"])
            elif isinstance(data.get("values"), list):
                names.append(f"inline-{i}")
    return list(dict.fromkeys(names))


def _encoded_fields(spec: dict) -> list[tuple[str, str | None, str | None, int]]:
    """(field, title, d3 format, rank) for every field the chart encodes, in table order."""
    found = []
    for view in _walk_views(spec):
        enc = view.get("encoding") or {}
        for channel in CHANNEL_ORDER:
            defs = enc.get(channel)
            if defs is None:
                continue
            for d in defs if isinstance(defs, list) else [defs]:
                if not isinstance(d, dict):
                    continue
                for item in [d] + ([d["condition"]] if isinstance(d.get("condition"), dict) else []):
                    field = item.get("field")
                    if not isinstance(field, str):
                        continue
                    title = item.get("title")
                    if title is None and isinstance(item.get("axis"), dict):
                        title = item["axis"].get("title")
                    if isinstance(title, list):
                        title = " ".join(title)
                    fmt = item.get("format")
                    if fmt is None and isinstance(item.get("axis"), dict):
                        fmt = item["axis"].get("format")
                    if item.get("type") not in (None, "quantitative") or item.get("timeUnit") \
                            or (isinstance(fmt, str) and "%" in fmt.rstrip("%")):
                        fmt = None  # a time or label format, not a number format
                    found.append((field, title if isinstance(title, str) else None,
                                  fmt if isinstance(fmt, str) else None,
                                  TITLE_RANK.get(channel, 3)))
    return found


def resolve_table(spec: dict) -> dict:
    """Which data set and columns the Table tab and the CSV show, with headings and formats.

    Returns ``{"dataset": name, "columns": [[field, heading], ...], "formats": {...}}``;
    ``dataset`` is None for a chart without tabular data.
    """
    meta = spec.get("usermeta", {}).get("innobook", {})
    rows = dataset_rows(spec)
    order = _referenced(spec) + [n for n in rows if n not in _referenced(spec)]
    wanted = meta.get("table")
    encoded = _encoded_fields(spec)
    titles: dict[str, tuple[int, str]] = {}
    d3: dict[str, str] = {}
    for field, title, fmt, rank in encoded:
        if title and (field not in titles or rank < titles[field][0]):
            titles[field] = (rank, title)
        if fmt and field not in d3:
            d3[field] = fmt
    chosen, columns = None, []
    for name in order:
        records = rows.get(name) or []
        if not records:
            continue
        cols = list(dict.fromkeys(k for r in records[:50] for k in r))
        if wanted:
            if all(c in cols for c in wanted):
                chosen, columns = name, list(wanted)
                break
            continue
        fields = [f for f, *_ in encoded if f in cols]
        if fields:
            chosen, columns = name, list(dict.fromkeys(fields))
            break
    if wanted and chosen is None:
        raise ValueError(f"no data set of the chart holds every table column {list(wanted)}")
    headings = [[c, (wanted or {}).get(c) or (titles[c][1] if c in titles else _heading(c))] for c in columns]
    formats = {c: d3[c] for c in columns if c in d3}
    formats.update({c: f for c, f in (meta.get("formats") or {}).items() if c in columns})
    return {"dataset": chosen, "columns": headings, "formats": formats}


def _text_width(text: str, size: float) -> float:
    """A rough width in pixels: Latin characters about half the font size, CJK a full em."""
    return sum(size if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else size * 0.6 for ch in text)


def _wrap(text: str, size: float, room: float) -> list[str]:
    cjk = re.search(r"[\u2e80-\u9fff]", text) is not None
    words = re.findall(r"[A-Za-z0-9.,%'()\-]+|\S", text) if cjk else text.split()
    lines, current = [], ""
    for word in words:
        joiner = " " if not cjk or (current[-1:].isascii() and word[:1].isascii() and current) else ""
        trial = f"{current}{joiner}{word}".strip()
        if current and _text_width(trial, size) > room:
            lines.append(current)
            current = word
        else:
            current = trial
    return lines + ([current] if current else [])


def _wrap_titles(spec: dict, width: float) -> bool:
    """Break a title or subtitle line that is wider than the chart into several lines."""
    title = spec.get("title")
    if not isinstance(title, dict):
        return False
    changed = False
    for key, size in (("text", 17), ("subtitle", 13)):
        value = title.get(key)
        if value is None:
            continue
        lines = [value] if isinstance(value, str) else list(value)
        wrapped = [piece for line in lines for piece in
                   (_wrap(line, size, width - 10) if _text_width(line, size) > width - 10 else [line])]
        if wrapped != lines:
            title[key] = wrapped if len(wrapped) > 1 else wrapped[0]
            changed = True
    return changed


def _heading(field: str) -> str:
    text = field.replace("_", " ")
    return text[:1].upper() + text[1:]


def table_frame(spec: dict, resolved: dict | None = None):
    """The chart's table as a DataFrame (columns renamed to their headings)."""
    import pandas as pd

    resolved = resolved or resolve_table(spec)
    if resolved["dataset"] is None:
        return pd.DataFrame()
    records = dataset_rows(spec)[resolved["dataset"]]
    fields = [c for c, _ in resolved["columns"]]
    frame = pd.DataFrame.from_records(records)
    for c in fields:
        if c not in frame:
            frame[c] = None
    return frame[fields]


def table_csv(spec: dict, resolved: dict | None = None) -> str:
    """The chart's data as CSV: the Table tab's columns, headed by their headings, values unformatted."""
    resolved = resolved or resolve_table(spec)
    frame = table_frame(spec, resolved)
    frame.columns = [h for _, h in resolved["columns"]]
    return frame.to_csv(index=False, lineterminator="\n")


def _table_html(spec: dict, resolved: dict, lang: str = "en") -> str:
    from . import tables

    frame = table_frame(spec, resolved)
    if frame.empty:
        return f'<p class="innobook-table__none">{UI[lang]["no_table"]}</p>'
    labels = {c: h for c, h in resolved["columns"]}
    return tables.html_table(frame, resolved["formats"], labels=labels, max_rows=TABLE_MAX_ROWS,
                             lang=lang)


def _bibkeys(spec: dict, meta: dict) -> list[str]:
    keys = [key for _, key in meta["sources"]]
    for records in dataset_rows(spec).values():
        for r in records:
            key = r.get("source_key") if isinstance(r, dict) else None
            if isinstance(key, str) and re.fullmatch(r"[a-z][a-z0-9_]*", key):
                keys.append(key)
    return list(dict.fromkeys(keys))


# --------------------------------------------------------------------------- the panel
def to_html(spec: dict, lang: str = "en", cid: str | None = None) -> str:
    """The chart panel's HTML for a Vega-Lite specification (see the module docstring).

    ``lang="zh"`` draws the Chinese panel of a specification already translated by
    :func:`innobook.i18n.translate_spec` (its own words, headings and category cells in
    Chinese); ``cid`` gives both languages' panels the same id."""
    meta = spec.get("usermeta", {}).get("innobook")
    if not meta:
        raise ValueError("chart has no source line or alt text: pass it through charts.finish()")
    spec = {k: (copy.deepcopy(v) if k == "title" else v) for k, v in spec.items() if k != "$schema"}
    if "datasets" in spec:
        spec["datasets"] = _round_floats(spec["datasets"])
    resolved = resolve_table(spec)
    if lang != "en":
        from .i18n import zh

        resolved["columns"] = [[c, zh(h)] for c, h in resolved["columns"]]
    meta = {**meta, "panel": resolved}
    spec["usermeta"] = {**spec.get("usermeta", {}), "innobook": meta}
    cid = cid or chart_id(spec, next(_counter))
    svg = static_svg(spec, lang)
    width, height = _svg_size(svg)
    plot = spec.get("width")
    room = min(width, plot + 70) if isinstance(plot, (int, float)) else width
    if _wrap_titles(spec, room):  # a title wider than the chart would be cut off: wrap it
        svg = static_svg(spec, lang)
        width, height = _svg_size(svg)
    alt_text = html.escape(meta["alt"])
    spec_json = json.dumps(spec, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
    bound = [p["name"] for p in spec.get("params", []) if isinstance(p, dict) and p.get("bind")]
    attrs = [f'data-bibkeys="{html.escape(" ".join(_bibkeys(spec, meta)))}"']
    if meta.get("resources"):
        attrs.append(f'data-resources="{html.escape(" ".join(meta["resources"]))}"')
    if meta.get("name"):
        attrs.append(f'data-name="{html.escape(meta["name"])}"')
    if meta.get("unit"):
        attrs.append(f'data-unit="{html.escape(meta["unit"])}"')
    if bound:
        attrs.append(f'data-params="{html.escape(" ".join(bound))}"')
    tab = f"{cid}-tab"
    tabs = "".join(
        f'<input type="radio" class="innobook-chart__tab innobook-chart__tab--{kind}" name="{tab}" '
        f'id="{tab}-{kind}"{" checked" if kind == "chart" else ""}>'
        f'<label for="{tab}-{kind}">{label}</label>'
        for kind, label in (("chart", UI[lang]["chart"]), ("table", UI[lang]["table"]),
                            ("sources", UI[lang]["sources"])))
    sources_fallback = "<ul>" + "".join(
        f'<li><a href="bib:{html.escape(key)}">{html.escape(label)}</a></li>' for label, key in meta["sources"]
    ) + "</ul>"
    return (
        f'<figure class="innobook-chart" id="fig-{cid}" {" ".join(attrs)}>'
        f'<div class="innobook-chart__tabs">{tabs}'
        f'<div class="innobook-chart__panel innobook-chart__panel--chart">'
        f'<div class="innobook-chart__view" id="{cid}" data-spec="{cid}-spec" role="img" '
        f'aria-label="{alt_text}" style="max-width:{width}px;aspect-ratio:{width}/{height}">'
        f'<img src="{svg_data_uri(svg)}" alt="{alt_text}" width="{width}" '
        f'height="{height}"></div></div>'
        f'<div class="innobook-chart__panel innobook-chart__panel--table">{_table_html(spec, resolved, lang)}</div>'
        f'<div class="innobook-chart__panel innobook-chart__panel--sources">'
        f'<div class="innobook-sources">{sources_fallback}</div></div>'
        f"</div>"
        f'<script type="application/json" id="{cid}-spec">{spec_json}</script>'
        f'<figcaption class="innobook-chart__source">{source_line(meta["sources"], lang=lang)}'
        f"<!--innobook-downloads--></figcaption>"
        f"</figure>"
    )


def _render(spec: dict, **kwargs) -> tuple[dict, dict]:
    """Both editions' panels: the English one as the output, the Chinese one in its metadata,
    drawn from the same data (see :mod:`innobook.i18n`)."""
    from . import i18n

    cid = chart_id(spec, next(_counter))
    english = to_html(spec, "en", cid)
    chinese = to_html(i18n.translate_spec(spec), "zh", cid)
    return {"text/html": english}, i18n.bundle_metadata({"text/html": chinese})


alt.renderers.register(RENDERER, _render)
alt.renderers.enable(RENDERER)
