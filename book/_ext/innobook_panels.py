"""Chart panels, completed at build time (used by ``innobook_site``).

A chart rendered by ``innobook.charts`` carries its Vega-Lite specification, a static SVG,
a formatted table and a fallback source list. For each chart on a page this module:

* fills the **Sources** tab from ``data/datapackage.json``: the data files the chart's data
  come from (named with ``resources=`` in ``charts.finish``, else every resource that lists
  one of the chart's bibliography keys), their licence and vintage note, the unit, and each
  cited document: publisher, title linked to its official address, date, where it was read
  (a reprint or saved copy is named as such, by its host only) and its bibliography entry;
* writes the downloads, made at build time, into ``charts/`` in the site: ``<slug>.png``
  (vl-convert, cached across builds by the specification's digest), ``<slug>.svg`` (the
  static image itself) and ``<slug>.csv`` (the Table tab's data set and columns, unformatted);
* keeps pages light: the static image becomes a lazily loaded file (``<slug>.svg``) instead of
  a data URI, and the Vega-Lite specification moves to ``<slug>.vl.json``, which the chart
  loader fetches only when it makes the chart interactive;
* writes a page holding the chart alone, ``charts/<slug>.html``, which can be embedded in an
  ``<iframe>``; it loads only the chart stylesheet and the chart loader;
* gives the figure ``data-key`` (its name, or its number on the page), under which the chart
  loader keeps the state of the chart's controls in the address (``?<key>.<param>=value``).

``<slug>`` is the page's name and the chart's name (``charts.finish(name=...)``) or its number
on the page, e.g. ``rnd_growth-levels`` or ``lighthouse-2``: stable from build to build.

The panel's own words (the Sources box, the downloads line, the chart page) are written in the
edition's language from :data:`WORDS`; texts taken from the data package are shown as the
package gives them, or in Chinese where the generated-text catalog has them (:func:`data_text`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

FIGURE = re.compile(r'<figure class="innobook-chart" id="fig-(chart-[0-9a-f]{12}-\d+)"([^>]*)>(.*?)</figure>', re.S)
ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
SOURCES_BLOCK = re.compile(r'<div class="innobook-sources">.*?</div>(?=</div>)', re.S)
DOWNLOADS_MARK = "<!--innobook-downloads-->"
CHART_DIR = "charts"
SKIP_UNITS = {"", "see column unit", "calendar year", "ordinal"}

#: The panel's own words in each edition. Whole phrases with their punctuation, since Chinese
#: uses full-width marks (：；（）。) where English uses ASCII ones.
WORDS = {
    "en": {
        "data": "<strong>Data</strong>: {title} ({files})", "licence": "; licence {licences}",
        "vintage": "<strong>Vintage</strong>: {note}", "unit": "<strong>Unit</strong>: {unit}",
        "unit_as_shown": "<strong>Unit</strong>: as named in the chart's axis titles and table headings.",
        "column_unit": "{column}: {unit}", "units_sep": "; ", "files_sep": ", ", "sep": ", ", "end": ".",
        "reference": "reference", "see": "See the {ref}.", "item": "{text} ({ref}).",
        "saved_copy": "a saved copy", "reprint": "a reprint", "read_in": "; read in {what} at {host}",
        "read_at_publisher": "; read at the publisher's address",
        "documents": "<strong>Documents cited</strong> ({n}):",
        "download": "Download: ", "png": "PNG", "svg": "SVG", "csv": "CSV (data)",
        "chart_only": "chart only (to embed)",
        "html_lang": "en", "book_sep": ": ", "from": "From {link}.", "embed": "Embed this chart with {code}.",
    },
    "zh": {
        "data": "<strong>数据</strong>：{title}（{files}）", "licence": "；许可：{licences}",
        "vintage": "<strong>数据版本</strong>：{note}", "unit": "<strong>单位</strong>：{unit}",
        "unit_as_shown": "<strong>单位</strong>：见图中坐标轴标题和表格列名。",
        "column_unit": "{column}：{unit}", "units_sep": "；", "files_sep": "、", "sep": "，", "end": "。",
        "reference": "参考文献", "see": "见{ref}。", "item": "{text}（{ref}）。",
        "saved_copy": "存档副本", "reprint": "转载版本", "read_in": "；查阅的是{host}上的{what}",
        "read_at_publisher": "；查阅自发布机构网站",
        "documents": "<strong>引用文献</strong>（{n}项）：",
        "download": "下载：", "png": "PNG", "svg": "SVG", "csv": "CSV（数据）",
        "chart_only": "单独的图表页（供嵌入）",
        "html_lang": "zh-CN", "book_sep": "：", "from": "出自{link}。", "embed": "嵌入本图请用{code}。",
    },
}


def data_text(text: str, lang: str) -> str:
    """A text from the data package as the edition shows it: the English as written, or in the
    Chinese edition its entry in the generated-text catalog (``locales/zh_CN/outputs.po``) if
    there is one (numbers are carried over by the catalog's placeholders)."""
    if lang != "zh" or not text:
        return text
    from innobook import i18n

    return i18n.zh(text)


def _spec(fig_body: str, cid: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{re.escape(cid)}-spec">(.*?)</script>', fig_body, re.S)
    return json.loads(html.unescape(m.group(1)).replace("<\\/", "</")) if m else {}


def _host(url: str) -> str:
    return urlparse(url).netloc.removeprefix("www.")


def _sources_html(package: dict, bibkeys: list[str], resources: list[str], unit: str | None,
                  columns: list[str], to_root: str, lang: str = "en") -> str:
    w = WORDS[lang]
    by_name = {r["name"]: r for r in package.get("resources", [])}
    if not resources:
        # For each cited document, the first resource of the package that lists it.
        for key in bibkeys:
            for r in package.get("resources", []):
                if any(s.get("bibkey") == key for s in r.get("sources", [])):
                    resources.append(r["name"])
                    break
        resources = list(dict.fromkeys(resources))
    resources = [r for r in resources if r in by_name]
    parts = []
    for name in resources:
        res = by_name[name]
        paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
        files = w["files_sep"].join(f'<a href="{to_root}data/{html.escape(p)}" download>{html.escape(Path(p).name)}</a>'
                                    for p in paths)
        licences = w["files_sep"].join(
            (f'<a href="{html.escape(l["path"])}">{html.escape(l.get("name", ""))}</a>' if l.get("path")
             else html.escape(l.get("name", ""))) for l in res.get("licenses", []))
        line = w["data"].format(title=html.escape(data_text(res.get("title", name), lang)), files=files)
        if licences:
            line += w["licence"].format(licences=licences)
        parts.append(f"<p>{line}{w['end']}</p>")
        if res.get("vintage_note"):
            note = html.escape(data_text(res["vintage_note"], lang))
            parts.append(f"<p>{w['vintage'].format(note=note)}</p>")
    if not unit:
        units = []
        for name in resources:
            for f in by_name[name].get("schema", {}).get("fields", []):
                if f["name"] in columns and (f.get("unit") or "") not in SKIP_UNITS:
                    units.append(w["column_unit"].format(column=f["name"], unit=data_text(f["unit"], lang)))
        unit = w["units_sep"].join(dict.fromkeys(units))
    else:
        unit = data_text(unit, lang)
    if unit:
        parts.append(f"<p>{w['unit'].format(unit=html.escape(unit))}</p>")
    else:
        parts.append(f"<p>{w['unit_as_shown']}</p>")
    documents = {}
    order = [by_name[n] for n in resources] + [r for r in package.get("resources", []) if r["name"] not in resources]
    for res in order:
        for s in res.get("sources", []):
            key = s.get("bibkey")
            if key in bibkeys and key not in documents:
                documents[key] = s
    items = []
    for key in bibkeys:
        s = documents.get(key)
        ref = f'<a href="bib:{html.escape(key)}">{w["reference"]}</a>'
        if not s:
            items.append(f"<li>{w['see'].format(ref=ref)}</li>")
            continue
        title = html.escape(s.get("title", key))
        if s.get("path"):
            title = f'<a href="{html.escape(s["path"])}">{title}</a>'
        text = f"{html.escape(s['publisher'])}{w['sep']}" if s.get("publisher") else ""
        text += title
        if s.get("date"):
            text += f"{w['sep']}{html.escape(str(s['date']))}"
        read_at = s.get("read_at")
        if read_at and read_at != s.get("path"):
            what = w["saved_copy"] if "github.com" in read_at else w["reprint"]
            text += w["read_in"].format(what=what, host=html.escape(_host(read_at)))
        elif s.get("path"):
            text += w["read_at_publisher"]
        items.append(f"<li>{w['item'].format(text=text, ref=ref)}</li>")
    if items:
        parts.append(f"<p>{w['documents'].format(n=len(items))}</p><ol>{''.join(items)}</ol>")
    return '<div class="innobook-sources">' + "".join(parts) + "</div>"


def png_cache(root: Path) -> Path:
    """Where rendered PNGs are kept between builds: a folder shared by every copy of the project
    on this machine (``INNOBOOK_CHART_CACHE``, else ``~/.cache/innobook/chart-png``), so that the
    scratch builds of the tests do not render the same charts again; the project's own
    ``_build/cache`` if that folder cannot be written. Entries are keyed by the specification and
    the renderer's version, so a stale image is never served."""
    import os

    folder = Path(os.environ.get("INNOBOOK_CHART_CACHE") or Path.home() / ".cache" / "innobook" / "chart-png")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
        return folder
    except OSError:
        return root / "_build" / "cache" / "chart-png"


def _png(spec: dict, cache: Path, lang: str = "en") -> bytes:
    from importlib import metadata

    from innobook import charts

    key = json.dumps(spec, sort_keys=True) + metadata.version("vl-convert-python")
    if lang != "en":
        key += lang  # numbers and dates are written in the edition's own format
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    cached = cache / f"{digest}.png"
    if cached.exists():
        return cached.read_bytes()
    data = charts.static_png(spec, lang=lang)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data


def _downloads_html(slug: str, prefix: str, page_link: bool = True, lang: str = "en") -> str:
    w = WORDS[lang]
    base = f"{prefix}{CHART_DIR}/{slug}"
    links = [f'<a href="{base}.png" download>{w["png"]}</a>', f'<a href="{base}.svg" download>{w["svg"]}</a>',
             f'<a href="{base}.csv" download>{w["csv"]}</a>']
    out = f'<span class="innobook-chart__downloads">{w["download"]}' + " · ".join(links)
    if page_link:
        out += f' · <a href="{base}.html">{w["chart_only"]}</a>'
    return out + "</span>"


CHART_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="description" content="{description}">
<link rel="icon" href="../_static/favicon.svg">
<link rel="stylesheet" href="../_static/innobook.css">
<style>body{{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",sans-serif;
margin:0 auto;padding:0.75rem;max-width:680px;color:#222;line-height:1.45}}a{{color:#0d56b0}}
.innobook-chart-page__from{{font-size:0.85rem;color:#444}}</style>
<script defer src="../_static/innobook-charts.js" data-vega="../_static/vega/vega-bundle.js"></script>
</head>
<body class="innobook-chart-page">
<main>
<h1 class="innobook-visually-hidden">{heading}</h1>
{figure}
<p class="innobook-chart-page__from">{from_line}
{embed_line}</p>
</main>
</body>
</html>
"""


def _chart_page(*, lang: str, title: str, description: str, heading: str, figure: str, page: str,
                cid: str, book: str, chapter: str, slug: str) -> str:
    """The page holding one chart alone, in the edition's language."""
    w = WORDS[lang]
    link = f'<a href="../{page}#fig-{cid}">{html.escape(book)}{w["book_sep"]}{html.escape(chapter)}</a>'
    code = (f'<code>&lt;iframe src="{html.escape(slug)}.html" width="100%" height="640"\n'
            f'title="{html.escape(heading)}"&gt;&lt;/iframe&gt;</code>')
    return CHART_PAGE.format(lang=w["html_lang"], title=html.escape(title), description=html.escape(description),
                             heading=html.escape(heading), figure=figure,
                             from_line=w["from"].format(link=link), embed_line=w["embed"].format(code=code))


def process_page(*, body: str, pagename: str, outdir: Path, cache: Path, package: dict,
                 resolve_bib, chapter: str, book: str, lang: str = "en") -> str:
    """Complete every chart panel of a page; write its downloads and its chart pages
    (``lang``: the edition, ``"en"`` or ``"zh"``)."""
    page_base = pagename.split("/")[-1]
    to_root = "../" * pagename.count("/")
    folder = outdir / CHART_DIR
    counter = 0

    def complete(m: re.Match) -> str:
        nonlocal counter
        counter += 1
        cid, attr_text, inner = m.group(1), m.group(2), m.group(3)
        attrs = dict(ATTR.findall(attr_text))
        spec = _spec(inner, cid)
        meta = spec.get("usermeta", {}).get("innobook", {})
        key = attrs.get("data-name") or str(counter)
        slug = f"{page_base}-{key}"
        panel = meta.get("panel") or {}
        folder.mkdir(parents=True, exist_ok=True)
        # Downloads, made now.
        img = re.search(r'<img src="data:image/svg\+xml;charset=utf-8,([^"]*)"', inner)
        if img:
            (folder / f"{slug}.svg").write_text(unquote(img.group(1)), encoding="utf-8")
        if spec:
            from innobook import charts

            (folder / f"{slug}.png").write_bytes(_png(spec, cache, lang))
            (folder / f"{slug}.csv").write_text(charts.table_csv(spec, panel) if panel.get("dataset")
                                                else "", encoding="utf-8")
            (folder / f"{slug}.vl.json").write_text(json.dumps(spec, sort_keys=True, ensure_ascii=False),
                                                    encoding="utf-8")

        def figure(prefix: str, page_link: bool) -> str:
            sources = _chart_sources(package, attrs, panel, prefix, lang)
            body_ = SOURCES_BLOCK.sub(lambda _: sources, inner, count=1)
            body_ = body_.replace(DOWNLOADS_MARK, " " + _downloads_html(slug, prefix, page_link, lang), 1)
            if img:
                # A light page: the image and the specification are files of their own, the image
                # loaded as it nears the screen, the specification only when the chart is made
                # interactive.
                body_ = body_.replace(img.group(0), f'<img loading="lazy" decoding="async" '
                                                    f'src="{prefix}{CHART_DIR}/{slug}.svg"', 1)
            if spec:
                body_ = re.sub(rf'<script type="application/json" id="{re.escape(cid)}-spec">.*?</script>', "",
                               body_, count=1, flags=re.S)
                body_ = body_.replace(f'data-spec="{cid}-spec"',
                                      f'data-spec="{cid}-spec" data-spec-url="{prefix}{CHART_DIR}/{slug}.vl.json"', 1)
            return (f'<figure class="innobook-chart" id="fig-{cid}"{attr_text} data-key="{html.escape(key)}" '
                    f'data-slug="{html.escape(slug)}">{body_}</figure>')

        standalone = figure("../", False)
        standalone = re.sub(r'href="bib:([^"]+)"', lambda b: f'href="../{resolve_bib(b.group(1), "book/references.html")}"',
                            standalone)
        title = meta.get("alt", "")
        spec_title = spec.get("title", {})
        heading = spec_title.get("text", "") if isinstance(spec_title, dict) else str(spec_title)
        heading = " ".join(heading) if isinstance(heading, list) else heading
        (folder / f"{slug}.html").write_text(_chart_page(
            lang=lang, title=f"{heading} | {book}", description=title[:300], heading=heading,
            figure=standalone, page=f"{pagename}.html", cid=cid, book=book, chapter=chapter, slug=slug),
            encoding="utf-8")
        return figure(to_root, True)

    return FIGURE.sub(complete, body)


def sources_text(body: str, package: dict, lang: str = "en") -> str:
    """The plain text of the Sources tabs that :func:`process_page` will write into a page's
    charts. Sphinx builds its search index from the page's doctree, before the tabs are filled,
    so ``innobook_site`` adds these words to the index itself: a reader who searches for a cited
    document's title (十五五, say) finds the pages whose charts cite it."""
    texts = []
    for m in FIGURE.finditer(body):
        cid, attr_text, inner = m.group(1), m.group(2), m.group(3)
        panel = _spec(inner, cid).get("usermeta", {}).get("innobook", {}).get("panel") or {}
        sources = _chart_sources(package, dict(ATTR.findall(attr_text)), panel, "", lang)
        texts.append(html.unescape(re.sub(r"<[^>]+>", " ", sources)))
    return " ".join(texts)


def _chart_sources(package: dict, attrs: dict, panel: dict, to_root: str, lang: str) -> str:
    """The Sources box of one chart, from its figure's attributes (``data-bibkeys``,
    ``data-resources``, ``data-unit``) and its table's columns."""
    return _sources_html(package, attrs.get("data-bibkeys", "").split(), attrs.get("data-resources", "").split(),
                         attrs.get("data-unit"), [c for c, _ in panel.get("columns", [])], to_root, lang)


def copy_print_edition(root: Path, outdir: Path, edition: str = "en") -> list[Path]:
    """Put the edition's print edition (``make pdf``: ``_build/pdf/book.pdf``, the Chinese one
    ``book-zh.pdf``) into a newly built site as that edition's ``book.pdf``.

    The site is rebuilt into a fresh folder each time; the PDF printed from the last site is
    carried over so that the site's link to it keeps working (``make pdf`` prints it again).
    """
    pdf = root / "_build" / "pdf" / ("book.pdf" if edition == "en" else f"book-{edition}.pdf")
    if not pdf.exists():
        return []
    target = outdir / "book.pdf"
    copy_if_changed(pdf, target)
    return [target]


def copy_if_changed(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` unless ``target`` already holds the same bytes; True if
    copied. A file left as it is keeps its time, so the site's staging links it instead of
    copying it again (``innobook.pipeline.build.stage``)."""
    import filecmp
    import shutil

    if target.exists() and filecmp.cmp(source, target, shallow=False):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return True
