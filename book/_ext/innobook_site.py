"""Sphinx extension for the book's site: offline, fast, and generated from the project itself.

Charts and citations
* Pages that hold a chart load the chart loader (deferred), which fetches the vendored Vega
  bundle when the first chart nears the screen; pages without charts load neither.
* Chart source lines link to bibliography entries with ``href="bib:KEY"``; they are pointed
  at the references page (``bibtex_cite_id`` gives every entry a stable anchor), and an
  unknown key fails the build.

Repository and launch buttons
* ``repository.url`` in ``_config.yml`` is the one setting. While it is empty the site shows
  no repository, issue or launch button and names no invented address. Once it is set, the
  repository and issue buttons appear and the launch buttons (Binder, Colab, JupyterHub) open
  the executed notebooks published with the site on the ``gh-pages`` branch
  (``_sources/book/generated/<run>.ipynb``; see ``make publish``).

Downloads
* Each chapter page gets links to its notebook, the data files it reads (copied into the
  site under ``data/``) and its key results (``book/generated/results/<run>.json``), both in
  the page and in the theme's download menu.

Reviewers' tables, made at build time (so a new chapter appears without editing a page)
* ``{innobook-requirements}``: the pinned versions of the direct dependencies, read from
  ``requirements.in`` and ``requirements.txt``, and the Python the site was built with.
* ``{innobook-chapters}``: every run in ``notebooks/runs.yml`` with its notebook, parameters,
  results file and the titles of the figures and tables it makes (read from
  ``book/generated/<run>.ipynb``), in table-of-contents order.
* ``{innobook-parameters}``: each notebook's declared parameters (``notebooks/*.params.yml``)
  and a command that reruns it.

Speed and accessibility (Lighthouse)
* Theme and extension scripts are deferred; MathJax is loaded only on pages with math, when
  a formula nears the screen (``innobook-math.js``); the
  theme's 1.4 MB Font Awesome script is replaced by a small stylesheet holding just the icons
  the theme can show (drawn from the same Font Awesome files); the search index is loaded only
  by the search page.
* Every page gets a meta description (front matter ``html_meta`` wins; otherwise the first
  paragraph).
* Bibliography entries get ``role="listitem"`` (sphinxcontrib-bibtex writes the deprecated
  ``doc-biblioentry`` inside a ``role="list"``).

Editions
* The words this extension writes (headings of the generated tables, the chapter's files box,
  the teachers' syllabus) come from :data:`WORDS` in the edition's language. A chapter's title
  and learning objectives are shown in Chinese from the chapter's own message catalog, and the
  titles of its figures and tables from the Chinese outputs of its executed notebook.
"""

from __future__ import annotations

import html
import json
import math
import platform
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import yaml
from docutils import nodes
from docutils.nodes import make_id
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

CHART_MARK = 'class="innobook-chart"'
BIB_LINK = re.compile(r'href="bib:([^"]+)"')
REFERENCES_PAGE = "book/references"
GENERATED = "book/generated/"
GITHUB_REPO = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
ICON_CSS = "innobook-icons.css"
# Icons this extension adds to the download menu, besides those the theme's templates use.
OWN_ICONS = ("table", "database", "code", "github", "gitlab", "bitbucket", "lightbulb", "rocket")

#: The words this extension writes, per edition; whole phrases with their punctuation.
WORDS = {
    "en": {
        "part_of": "{title}: part of {book}",
        "executed_notebook": "the executed notebook",
        "datapackage": "sources, units, licences and vintages of every data file",
        "results": "the key results quoted in the text",
        "student_file": "{name} (student edition)",
        "student_notebook": "the notebook to rerun, without the exercises' solutions",
        "download_what": "Download {what}", "file_what": "{file}: {what}",
        "files_box": "Files for this chapter",
        "rerun": "Rerun it with other parameters: {command} (see the reproduction guide).",
        "package": "Package", "version": "Version",
        "python": "{version} (built with); the project needs {requires}", "python_any": "Python 3",
        "pins": "These are the {direct} direct dependencies; requirements.txt pins all {pinned} "
                "packages, transitive ones included, with exact versions.",
        "datasets": ["File", "Content", "Licence", "Sources"],
        "defaults": "defaults", "figure": "Figure {i}", "table": "Table {i}",
        "table_of": "Table of {columns}", "list_sep": ", ",
        "chapters": ["Chapter", "Notebook", "Run (parameters)", "Key results"],
        "items": ["Chapter", "Item", "Title", "Made by"],
        "none_executed": "No chapter has been executed yet: run make book.",
        "prerequisites": "Prerequisites: ", "items_sep": "; ", "end": ".",
        "not_stated": "not stated yet (add it to book/prerequisites.yml).",
        "read_it": "Read it: ", "one_page_per_run": "One page per run: ", "after_links": ". ",
        "in_preparation": "In preparation: not yet in the table of contents. ",
        "page_facts": ". About {minutes} minutes of reading ({words} words of prose); {exercises} "
                      "exercises with hidden solutions; a page of the book (no notebook to rerun).",
        "notebook_facts": "About {minutes} minutes of reading ({words} words of prose); {exercises} "
                          "exercises with hidden solutions; notebook ",
        "student_editions": "; student edition without solutions: ",
        "objectives": "Learning objectives:", "vary": "Parameters to vary: ",
        "vary_item": " ({allowed}): {help}",
        "parameters": ["Parameter", "Type", "Default", "Allowed", "Meaning"],
        "notebook_in": (" (", ")"),
    },
    "zh": {
        "part_of": "{title}：《{book}》中的一页",
        "executed_notebook": "运行后的笔记本（含全部输出）",
        "datapackage": "各数据文件的来源、单位、许可与数据版本",
        "results": "正文引用的主要结果",
        "student_file": "{name}（学生版）",
        "student_notebook": "供重新运行的笔记本，不含练习答案",
        "download_what": "下载：{what}", "file_what": "{file}：{what}",
        "files_box": "本章文件",
        "rerun": "换用其他参数重新运行：{command}（详见复现指南）。",
        "package": "软件包", "version": "版本",
        "python": "{version}（构建所用）；本项目要求 {requires}", "python_any": "Python 3",
        "pins": "以上为{direct}个直接依赖；requirements.txt 以精确版本锁定全部{pinned}个软件包，间接依赖也在其中。",
        "datasets": ["文件", "内容", "许可", "来源数"],
        "defaults": "默认值", "figure": "图{i}", "table": "表{i}",
        "table_of": "表格：{columns}", "list_sep": "、",
        "chapters": ["章节", "笔记本", "运行（参数）", "主要结果"],
        "items": ["章节", "图表", "标题", "生成自"],
        "none_executed": "尚无章节运行过：请运行 make book。",
        "prerequisites": "预备知识：", "items_sep": "；", "end": "。",
        "not_stated": "尚未注明（请在 book/prerequisites.yml 中补充）。",
        "read_it": "阅读：", "one_page_per_run": "每次运行一页：", "after_links": "。",
        "in_preparation": "准备中：尚未列入目录。",
        "page_facts": "。阅读约需{minutes}分钟（按英文原文{words}词估算）；{exercises}道练习，答案默认隐藏；"
                      "本章为书中页面（无笔记本需要重新运行）。",
        "notebook_facts": "阅读约需{minutes}分钟（按英文原文{words}词估算）；{exercises}道练习，答案默认隐藏；"
                          "笔记本 ",
        "student_editions": "；不含答案的学生版：",
        "objectives": "学习目标：", "vary": "可调参数：",
        "vary_item": "（{allowed}）：{help}",
        "parameters": ["参数", "类型", "默认值", "可取值", "含义"],
        "notebook_in": ("（", "）"),
    },
}


def _edition(app: Sphinx) -> str:
    from innobook_i18n import edition_of

    return edition_of(app)


def _words(app: Sphinx) -> dict:
    return WORDS[_edition(app)]


def _page_message(app: Sphinx, docname: str, text: str) -> str:
    """``text`` as the edition shows it: in the Chinese edition, its translation in the message
    catalog of page ``docname`` (a chapter's title or learning objective, translated with the
    page), else the text itself."""
    if _edition(app) != "zh" or not text or not app.config.locale_dirs:
        return text
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    dirs = [str(Path(app.srcdir) / d) for d in app.config.locale_dirs]
    catalog, found = init_locale(dirs, app.config.language, docname_to_domain(docname, app.config.gettext_compact))
    translated = catalog.gettext(text) if found else text
    # not a message of the page (a short title in notebooks/*.params.yml): the generated-text catalog
    return translated if translated != text else _data_text(app, text)


def _data_text(app: Sphinx, text: str) -> str:
    """A text from the data package as the edition shows it (see ``innobook_panels.data_text``)."""
    import innobook_panels

    return innobook_panels.data_text(text, _edition(app))


# --------------------------------------------------------------------------- project files
def _root(app: Sphinx) -> Path:
    """The project's folder: Sphinx's source folder (the configuration may live elsewhere, as in
    the live preview)."""
    return Path(app.srcdir)


def _runs(app: Sphinx):
    """Runs of notebooks/runs.yml with their declarations (innobook.pipeline.params), cached per build."""
    if not hasattr(app, "_innobook_runs"):
        from innobook.pipeline.params import load_declarations, load_runs

        root = _root(app)
        specs = load_declarations(root)
        app._innobook_runs = (specs, load_runs(root, specs))
    return app._innobook_runs


def _datapackage(app: Sphinx) -> dict:
    if not hasattr(app, "_innobook_datapackage"):
        app._innobook_datapackage = json.loads(
            (_root(app) / "data" / "datapackage.json").read_text(encoding="utf-8"))
    return app._innobook_datapackage


def _resource_paths(app: Sphinx, names) -> list[tuple[str, str]]:
    """(path under data/, title) of each named resource."""
    out = []
    for res in _datapackage(app).get("resources", []):
        if res["name"] in names:
            paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
            out += [(p, res.get("title", res["name"])) for p in paths]
    return out


def _bib_keys(app: Sphinx) -> set[str]:
    from pybtex.database import parse_file

    if not hasattr(app, "_innobook_bib_keys"):
        keys = set()
        for path in app.config.bibtex_bibfiles:
            keys |= set(parse_file(str(Path(app.srcdir) / path)).entries.keys())
        app._innobook_bib_keys = keys
    return app._innobook_bib_keys


def _toc_order(app: Sphinx) -> list[str]:
    toc = yaml.safe_load((_root(app) / "_toc.yml").read_text(encoding="utf-8")) or {}
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(re.sub(r"\.(md|ipynb)$", "", node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return files


def _ordered_runs(app: Sphinx):
    """Runs in table-of-contents order; runs not (yet) in the contents come last."""
    _, runs = _runs(app)
    order = {doc: i for i, doc in enumerate(_toc_order(app))}
    return sorted(runs, key=lambda r: order.get(GENERATED + r.run_id, len(order)))


def _outputs(app: Sphinx, run_id: str) -> tuple[list[str], list[str]]:
    """Titles of the charts and tables an executed notebook shows, in order (in the Chinese
    edition, from the outputs' Chinese bundles)."""
    import nbformat
    from innobook_i18n import ZH_BUNDLE

    path = _root(app) / GENERATED / f"{run_id}.ipynb"
    if not path.exists():
        return [], []
    nb = nbformat.read(path, as_version=4)
    words = _words(app)
    zh = _edition(app) == "zh"
    figures, tables = [], []
    for cell in nb.cells:
        if cell.cell_type != "code" or "remove-cell" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            data = (out.get("metadata", {}).get(ZH_BUNDLE) if zh else None) or out.get("data", {})
            page = data.get("text/html", "")
            if "innobook-chart" in page:
                for spec in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
                    title = json.loads(spec.replace("<\\/", "</")).get("title", {})
                    text = title.get("text", "") if isinstance(title, dict) else str(title)
                    figures.append(" ".join(text) if isinstance(text, list) else text)
            elif "<table" in page:
                cols = re.findall(r"<th[^>]*>([^<]+)</th>", page.split("</thead>")[0])
                columns = words["list_sep"].join(html.unescape(c.strip()) for c in cols[:6] if c.strip())
                tables.append(words["table_of"].format(columns=columns))
    return figures, tables


# --------------------------------------------------------------------------- configuration
def on_config_inited(app: Sphinx, config) -> None:
    """One setting, ``repository.url``: no repository, issue or launch button until it is set."""
    opts = config.html_theme_options
    url = (opts.get("repository_url") or "").strip().rstrip("/")
    if not url:
        for key in ("repository_url", "launch_buttons"):
            opts.pop(key, None)
        opts["use_repository_button"] = False
        opts["use_issues_button"] = False
        opts["use_edit_page_button"] = False
        return
    if not GITHUB_REPO.match(url):
        raise ConfigError(f"repository.url in _config.yml must look like https://github.com/OWNER/REPO "
                          f"(launch buttons open it on Binder and Colab); got {url!r}")
    opts["repository_url"] = url
    opts["use_repository_button"] = True
    opts["use_issues_button"] = True


# --------------------------------------------------------------------------- icons
def _fontawesome_icons() -> dict[tuple[str, str], tuple[int, int, str]]:
    """(style, name) -> (width, height, SVG path) read from the theme's Font Awesome bundle."""
    import pydata_sphinx_theme

    bundle = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" \
        / "scripts" / "fontawesome.js"
    text = bundle.read_text(encoding="utf-8")
    ends = sorted((m.start(), m.group(1)) for m in re.finditer(r'\(\s*"(fab|far|fas)"\s*,\s*p\s*\)', text))
    icons = {}
    pattern = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z0-9]+)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+","(M[^"]+)"\]')
    for m in pattern.finditer(text):
        style = next((s for end, s in ends if m.start() < end), None)
        if style is None:
            continue
        name = m.group(1) or m.group(2)
        value = (int(m.group(3)), int(m.group(4)), m.group(6))
        aliases = re.findall(r'"([a-z0-9-]+)"', m.group(5))
        for n in (name, *aliases):
            icons.setdefault((style, n), value)
    return icons


def _theme_icon_names() -> set[str]:
    import pydata_sphinx_theme
    import sphinx_book_theme

    names = set(OWN_ICONS)
    for pkg in (pydata_sphinx_theme, sphinx_book_theme):
        base = Path(pkg.__file__).parent
        for path in list(base.rglob("*.html")) + list(base.rglob("*.py")):
            names |= set(re.findall(r"fa-([a-z0-9-]+)", path.read_text(encoding="utf-8", errors="replace")))
    return names


def note_start(app: Sphinx) -> None:
    """When this build began: the pages written since are the ones ``on_build_finished``
    completes (a margin of two seconds covers coarse file times)."""
    import time

    app._innobook_started = time.time() - 2


def write_icon_css(app: Sphinx) -> None:
    """A stylesheet with only the icons the theme can show (CSS masks, no script).

    It depends on the theme and on this module alone, and a change to either starts a fresh
    render (``structure_digest``), so a kept copy is reused by an incremental build."""
    if app.builder.format != "html" or (Path(app.outdir) / "_static" / ICON_CSS).exists():
        return
    icons = _fontawesome_icons()
    rules = [
        "/* Font Awesome Free icons (CC BY 4.0, https://fontawesome.com/license/free), the few the",
        "   theme uses, drawn as CSS masks so that no 1.4 MB script is needed. Written by the build. */",
        'i[class*="fa-"]{display:inline-block;font-style:normal;line-height:1;vertical-align:-0.125em}',
        'i[class*="fa-"]::before{content:"";display:inline-block;height:1em;width:var(--ib-w,1em);'
        "background-color:currentColor;-webkit-mask:var(--ib-i) no-repeat center/contain;"
        "mask:var(--ib-i) no-repeat center/contain}",
        "i.fa-lg{font-size:1.25em;line-height:0.05em;vertical-align:-0.2em}",
    ]
    for name in sorted(_theme_icon_names()):
        for style, selectors in (("fas", ("fa-solid", "fas")), ("far", ("fa-regular", "far")),
                                 ("fab", ("fa-brands", "fab"))):
            found = icons.get((style, name)) or (icons.get(("fas", name)) if style != "fab" else None)
            if not found:
                continue
            w, h, path = found
            svg = (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}'>"
                   f"<path d='{path}'/></svg>")
            data = "data:image/svg+xml," + quote(svg, safe="/:=' ")
            sel = ",".join(f"i.{s}.fa-{name}" for s in selectors)
            rules.append(f'{sel}{{--ib-i:url("{data}");--ib-w:{w / h:.4f}em}}')
    rules += _theme_glyph_rules(icons)
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / ICON_CSS).write_text("\n".join(rules) + "\n", encoding="utf-8")


def _theme_glyph_rules(icons) -> list[str]:
    """The theme's own glyphs (admonition icons, external-link arrows...) as CSS masks too.

    The theme draws them with the Font Awesome web font (150 kB) through rules such as
    ``.admonition.note > .admonition-title:after {content: var(--pst-icon-admonition-note)}``;
    the same selectors drawn as masks need no font, so readers never download it.
    """
    import pydata_sphinx_theme

    css = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
           / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    alias = dict(re.findall(r"--pst-icon-([a-z-]+):var\(--pst-icon-([a-z-]+)\)", css))
    out = ["/* The theme's glyphs as masks: no icon font is needed, so none is downloaded. */",
           'i[class*="fa-"],i[class*="fa-"]::before,i[class*="fa-"]::after,.fa-solid,.fas,.fa-regular,'
           '.far,.fa-brands,.fab{font-family:inherit!important}']
    for selector, name in re.findall(r"([^{}]+)\{[^{}]*content:var\(--pst-icon-([a-z-]+)\)[^{}]*\}", css):
        while name in alias:
            name = alias[name]
        found = icons.get(("fas", name)) or icons.get(("far", name)) or icons.get(("fab", name))
        if not found or selector.strip().startswith("@"):
            continue
        w, h, path = found
        svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}'><path d='{path}'/></svg>"
        data = "data:image/svg+xml," + quote(svg, safe="/:=' ")
        out.append(f'{selector.strip()}{{content:""!important;font:inherit!important;display:inline-block;'
                   f"width:{w / h:.4f}em;height:1em;background-color:currentColor;"
                   f'-webkit-mask:url("{data}") no-repeat center/contain;mask:url("{data}") no-repeat center/contain}}')
    return out


# --------------------------------------------------------------------------- pages
def _drop_thebe(context: dict) -> None:
    """Live code (Thebe) is off in this book; drop its assets, which name a CDN."""
    scripts = context.get("script_files")
    if scripts is not None:
        scripts[:] = [js for js in scripts
                      if "thebe" not in str(getattr(js, "filename", "") or "").lower()
                      and "thebe" not in js.attributes.get("body", "").lower()]
    styles = context.get("css_files")
    if styles is not None:
        styles[:] = [css for css in styles if "thebe" not in str(getattr(css, "filename", "") or "").lower()]


HAS_MATH = re.compile(r'class="[^"]*\bmath\b|\\\(|\\\[|\$\$')
KEEP_BLOCKING = ("documentation_options.js",)


def _tune_scripts(context: dict, body: str, pagename: str) -> None:
    """Defer every external script; MathJax only where there is math, and only when needed.

    On a page with math, MathJax is started by ``innobook-math.js`` when the first formula
    nears the screen; pages without math load neither. Script objects are shared by all
    pages, so a changed copy replaces each one here.
    """
    from sphinx.builders.html._assets import _JavaScript

    scripts = context.get("script_files")
    if scripts is None:
        return
    has_math = bool(HAS_MATH.search(body))
    kept = []
    for js in scripts:
        name = str(getattr(js, "filename", "") or "")
        inline = js.attributes.get("body", "")
        if not has_math and ("mathjax" in name.lower() or "window.MathJax" in inline):
            continue
        if name.lower().endswith("tex-chtml.js"):
            mathjax = "../" * pagename.count("/") + name  # name is relative to the site root
            kept.append(_JavaScript("_static/innobook-math.js", priority=js.priority, defer="defer",
                                    **{"data-mathjax": mathjax}))
            continue
        if name and not inline and not any(k in name for k in KEEP_BLOCKING) \
                and "async" not in js.attributes and "defer" not in js.attributes:
            js = _JavaScript(js.filename, priority=js.priority, **{**js.attributes, "defer": "defer"})
        kept.append(js)
    scripts[:] = kept


def _description(context: dict, body: str, words: dict = WORDS["en"]) -> str:
    for para in re.findall(r"<p(?:\s[^>]*)?>(.*?)</p>", body, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", para))
        text = re.sub(r"\s+", " ", text).strip()
        if len(text) >= 40:
            if len(text) > 160:
                text = text[:157].rsplit(" ", 1)[0].rstrip(",;:") + "..."
            return text
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title", ""))).strip()
    return words["part_of"].format(title=title, book=context.get("docstitle", "")).strip(": ：")


def _add_description(context: dict, body: str, words: dict = WORDS["en"]) -> None:
    tags = context.get("metatags", "")
    if 'name="description"' in tags:
        return
    text = html.escape(_description(context, body, words), quote=True)
    context["metatags"] = tags + f'\n<meta name="description" content="{text}" />'


def _chapter_run(app: Sphinx, pagename: str):
    if not pagename.startswith(GENERATED):
        return None
    run_id = pagename[len(GENERATED):]
    return next((r for r in _runs(app)[1] if r.run_id == run_id), None)


def _downloads(app: Sphinx, pagename: str, run) -> list[dict]:
    """Links for a chapter: its notebook, its data files and its key results."""
    to_root = "../" * pagename.count("/")
    words = _words(app)
    links = [{"url": f"{to_root}_sources/{pagename}.ipynb", "text": f"{run.run_id}.ipynb",
              "what": words["executed_notebook"], "icon": "fas fa-code"}]
    for rel, title in _resource_paths(app, run.notebook.reads):
        links.append({"url": f"{to_root}data/{rel}", "text": Path(rel).name, "what": _data_text(app, title),
                      "icon": "fas fa-table"})
    links.append({"url": f"{to_root}data/datapackage.json", "text": "datapackage.json",
                  "what": words["datapackage"], "icon": "fas fa-database"})
    links.append({"url": f"{to_root}{GENERATED}results/{run.run_id}.json", "text": f"{run.run_id}.json",
                  "what": words["results"], "icon": "fas fa-file"})
    links.append({"url": f"{to_root}student/{run.run_id}.ipynb",
                  "text": words["student_file"].format(name=f"{run.run_id}.ipynb"),
                  "what": words["student_notebook"], "icon": "fas fa-code"})
    return links


def _downloads_html(links: list[dict], run, words: dict = WORDS["en"]) -> str:
    items = "".join(
        "<li>" + words["file_what"].format(
            file=f'<a class="innobook-data-link reference external" href="{html.escape(l["url"])}" download>'
                 f'{html.escape(l["text"])}</a>', what=html.escape(l["what"])) + "</li>" for l in links)
    cmd = html.escape(f"python -m innobook run notebooks/{run.notebook.name}.ipynb -p NAME VALUE")
    label = words["files_box"]
    return (f'<aside class="admonition note innobook-downloads" aria-label="{label}">'
            f'<p class="admonition-title">{label}</p><ul class="simple">{items}</ul>'
            f"<p>{words['rerun'].format(command=f'<code>{cmd}</code>')}</p></aside>")


def _complete_charts(app: Sphinx, pagename: str, body: str, context: dict) -> str:
    """Chart panels: Sources from the data package, downloads and chart-only pages (innobook_panels)."""
    import innobook_panels

    def resolve_bib(key: str, references: str) -> str:
        return f"{references}#{make_id('cite-' + key)}"

    chapter = html.unescape(re.sub(r"<[^>]+>", "", context.get("title", ""))).strip()
    return innobook_panels.process_page(
        body=body, pagename=pagename, outdir=Path(app.outdir), package=_datapackage(app),
        cache=innobook_panels.png_cache(_root(app)), resolve_bib=resolve_bib,
        chapter=chapter, book=app.config.html_title or app.config.project, lang=_edition(app))


def index_chart_sources(app: Sphinx, doctree, docname: str) -> None:
    """Add the words of a page's chart Sources tabs to the search index. The tabs are written
    into the HTML after Sphinx has indexed the page's doctree, so without this a page would not
    be found by the titles of the documents its charts cite, though the reader sees them on it.
    The words go in as :meth:`sphinx.search.IndexBuilder.feed` puts a page's words (stemmed
    when the stem passes the language's filter); ``doctree-resolved`` runs just before it."""
    import innobook_panels

    indexer = getattr(app.builder, "indexer", None)
    if indexer is None:
        return
    body = "".join(node.astext() for node in doctree.findall(nodes.raw)
                   if CHART_MARK in node.astext() and "html" in node.get("format", ""))
    if not body:
        return
    text = innobook_panels.sources_text(body, _datapackage(app), _edition(app))
    lang = indexer.lang
    for word in lang.split(text):
        stemmed = lang.stem(word).lower()
        if not lang.word_filter(stemmed) and lang.word_filter(word):
            stemmed = word
        if lang.word_filter(stemmed) and docname not in indexer._title_mapping.get(stemmed, ()):
            indexer._mapping.setdefault(stemmed, set()).add(docname)


def _mend_incremental_search_index() -> None:
    """Make an incremental build's search index the same as a clean build's.

    Sphinx 7.4 starts an incremental build's index from the last ``searchindex.js`` and feeds
    it the pages it writes. Two things differ from a clean build: the index entries of the
    pages not written again (the glossary's terms) are dropped, because
    :meth:`sphinx.search.IndexBuilder.load` reads the words and titles back but not the index
    entries; and a word that no page holds any more stays, with an empty list of pages. Here
    ``load`` also reads the index entries back (in the order of the pages, as a clean build
    feeds them), and ``prune`` drops the words left without a page and the index entries of
    the pages it drops.
    """
    import io

    from sphinx.search import IndexBuilder

    if getattr(IndexBuilder.load, "_innobook_mended", False):
        return
    load, prune = IndexBuilder.load, IndexBuilder.prune

    def mended_load(self, stream, format):
        text = stream.read()
        load(self, io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text), format)
        frozen = (self.formats[format] if isinstance(format, str) else format).loads(text)
        index2fn = frozen["docnames"]
        found: dict[str, list] = {}
        for entry, places in frozen.get("indexentries", {}).items():
            for doc, target, main in places:
                found.setdefault(index2fn[doc], []).append((entry, target, "main" if main else ""))
        for docname in index2fn:
            if docname in found:
                self._index_entries.setdefault(docname, sorted(found[docname]))

    def mended_prune(self, docnames):
        prune(self, docnames)
        kept = set(docnames)
        for docname in self._index_entries:
            if docname not in kept:   # emptied in place: a page fed again keeps its position
                self._index_entries[docname] = []
        for mapping in (self._mapping, self._title_mapping):
            for word in [w for w, pages in mapping.items() if not pages]:
                del mapping[word]

    mended_load._innobook_mended = True
    IndexBuilder.load, IndexBuilder.prune = mended_load, mended_prune


def on_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    _drop_thebe(context)
    body = context.get("body", "")
    _tune_scripts(context, body, pagename)
    _add_description(context, body, _words(app))
    if CHART_MARK in body:
        # The loader fetches the Vega bundle itself, when the first chart nears the screen.
        bundle = "../" * pagename.count("/") + "_static/vega/vega-bundle.js"
        app.add_js_file("innobook-charts.js", loading_method="defer", **{"data-vega": bundle})
        body = _complete_charts(app, pagename, body, context)
    if "bib:" in body:
        keys = _bib_keys(app)
        target = app.builder.get_relative_uri(pagename, REFERENCES_PAGE)

        def resolve(match: re.Match) -> str:
            key = match.group(1)
            if key not in keys:
                logger.warning("chart source cites unknown bibliography key %r", key,
                               location=pagename)
            return f'href="{target}#{make_id("cite-" + key)}"'

        body = BIB_LINK.sub(resolve, body)
    body = body.replace('role="doc-biblioentry"', 'role="listitem"')
    run = _chapter_run(app, pagename)
    if run is not None:
        body += _downloads_html(_downloads(app, pagename, run), run, _words(app))
    context["body"] = body


def on_page_buttons(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Add the chapter's data files to the theme's download menu (runs after the theme)."""
    run = _chapter_run(app, pagename)
    if run is None:
        return
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons" and isinstance(button.get("buttons"), list):
            for link in _downloads(app, pagename, run)[1:]:
                # The theme's templates insert these without escaping; they come from the data
                # package, so escape them here (a title must never become markup).
                button["buttons"].append({"type": "link", "url": html.escape(link["url"], quote=True),
                                          "text": html.escape(link["text"], quote=True),
                                          "tooltip": html.escape(_words(app)["download_what"].format(
                                              what=link["what"]), quote=True),
                                          "icon": link["icon"], "label": "download-data-button"})


# --------------------------------------------------------------------------- after the build
SEARCH_TOOLS = re.compile(
    r'\s*<script src="[^"]*_static/searchtools\.js"></script>'
    r'\s*<script src="[^"]*_static/language_data\.js"></script>'
    r'\s*<script src="[^"]*searchindex\.js"></script>')
FONTAWESOME = re.compile(r'\s*<!-- So that users can add custom icons -->'
                         r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')


STYLESHEET = re.compile(r'<link(?=[^>]*\brel="stylesheet")[^>]*\bhref="([^"]+)"[^>]*/?>\s*')
SEARCH_SCRIPTS = re.compile(r'<script src="([^"]*(?:searchtools\.js|language_data\.js|searchindex\.js)(?:\?[^"]*)?)"></script>')
DOC_OPTIONS = re.compile(r'<script src="([^"]*_static/documentation_options\.js)(?:\?[^"]*)?"></script>')
FA_CONTENT = re.compile(r'(?:\.fa-[a-z0-9-]+:{1,2}(?:before|after),?)+\{content:"[^"]*"\}')
CSS_URL = re.compile(r'url\(\s*([\'"]?)([^\'")]+)\1\s*\)')


def _bundle_css(out: Path, files: list[str]) -> str:
    """One stylesheet from several (in order), urls rebased; returns its path in the site.

    One file instead of a dozen saves a round trip each on a slow connection. The theme's
    Font Awesome glyph rules are left out: those icons come from ICON_CSS.
    """
    import hashlib
    import posixpath

    parts = []
    for rel in files:
        text = (out / rel).read_text(encoding="utf-8")
        text = re.sub(r'@charset "[^"]*";', "", text)
        text = re.sub(r"@import[^;]*;", "", text)  # theme.css only imports a file linked anyway
        text = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", text)
        if rel.endswith("pydata-sphinx-theme.css"):
            # The glyph rules serve <i class="fa-..."> icons, drawn by ICON_CSS instead; the
            # font faces stay, for the admonition icons the theme draws with the font.
            text = FA_CONTENT.sub("", text)
        base = posixpath.dirname(rel)

        def rebase(m: re.Match) -> str:
            url = m.group(2)
            if re.match(r"^(data:|[a-z]+://|/|#)", url):
                return m.group(0)
            target = posixpath.normpath(posixpath.join(base, url))
            return f'url("{posixpath.relpath(target, "_static")}")'

        parts.append(f"/* {rel} */\n" + CSS_URL.sub(rebase, text).strip())
    bundle = '@charset "UTF-8";\n' + "\n".join(parts) + "\n"
    name = f"_static/innobook-{hashlib.sha256(bundle.encode()).hexdigest()[:12]}.css"
    (out / name).write_text(bundle, encoding="utf-8")
    return name


def _rebundle(out: Path, copied: list[Path]) -> dict[str, str]:
    """Make again the stylesheet bundles that hold a file just refreshed (:func:`refresh_static`);
    returns {old bundle name: new name}, for the pages written by an earlier build, which link
    the old bundle. A bundle names its files in its section comments (``/* _static/x.css */``)."""
    changed = {p.relative_to(out).as_posix() for p in copied}
    renamed = {}
    for bundle in sorted((out / "_static").glob("innobook-*.css")) if changed else []:
        files = re.findall(r"^/\* (_static/\S+) \*/$", bundle.read_text(encoding="utf-8"), re.M)
        if set(files) & changed:
            name = _bundle_css(out, files)
            if name != f"_static/{bundle.name}":
                renamed[bundle.name] = name.rsplit("/", 1)[1]
                bundle.unlink()
    return renamed


def _postprocess_page(out: Path, path: Path, bundles: dict, renamed: dict | None = None) -> None:
    import posixpath

    rel_page = path.relative_to(out).as_posix()
    to_root = "../" * rel_page.count("/")
    text = path.read_text(encoding="utf-8")
    new = FONTAWESOME.sub("", text)
    for old_name, new_name in (renamed or {}).items():
        new = new.replace(f"_static/{old_name}", f"_static/{new_name}")
    if rel_page != "search.html":
        # The theme loads the whole search index on every page for a search-as-you-type
        # feature this book leaves off; the search page loads it itself.
        new = SEARCH_TOOLS.sub("", new)
    else:
        # ... deferred, like every other script: the index (about 100 KB over the wire) no
        # longer holds back the page's first paint. Deferred scripts run in order, before the
        # page's DOMContentLoaded, when Sphinx's search starts.
        new = SEARCH_SCRIPTS.sub(r'<script defer src="\1"></script>', new)
    # Inline the tiny options script, the one script left blocking in the head.
    doc = DOC_OPTIONS.search(new)
    if doc:
        js = (out / "_static" / "documentation_options.js").read_text(encoding="utf-8").strip()
        new = new.replace(doc.group(0), f"<script>{js}</script>")
    head, sep, rest = new.partition("</head>")
    links = [m for m in STYLESHEET.finditer(head) if not re.match(r"^([a-z]+:)?//", m.group(1))]
    if sep and len(links) > 1:
        files = [posixpath.normpath(posixpath.join(posixpath.dirname(rel_page), m.group(1).split("?")[0]))
                 for m in links]
        key = tuple(files)
        if key not in bundles:
            bundles[key] = _bundle_css(out, files)
        first = links[0]
        pieces, last = [], 0
        for i, m in enumerate(links):
            pieces.append(head[last:m.start()])
            if i == 0:
                pieces.append(f'<link rel="stylesheet" href="{to_root}{bundles[key]}" />\n')
            last = m.end()
        pieces.append(head[last:])
        new = "".join(pieces) + sep + rest
    if new != text:
        path.write_text(new, encoding="utf-8")


SEARCH_TITLE = "linkEl.innerHTML = title;"
SEARCH_DESCR = re.compile(r'\.innerHTML =(\s*)" \(" \+ descr \+ "\)";')


def _search_shows_text(out: Path) -> None:
    """Search results show titles as text, never as HTML.

    Sphinx's search page inserts result titles with ``innerHTML``, and its index holds page
    titles as HTML but section titles as raw text, so a section title made from data (a
    resource title on the Data page) would be inserted as markup. Here every title in the
    index becomes plain text and the page inserts it with ``textContent``.
    """
    index = out / "searchindex.js"
    tools = out / "_static" / "searchtools.js"
    if not index.exists() or not tools.exists():
        return
    prefix = "Search.setIndex("
    text = index.read_text(encoding="utf-8").strip()
    if not (text.startswith(prefix) and text.endswith(")")):
        logger.warning("searchindex.js has an unexpected form; search titles were not made plain text")
        return
    data = json.loads(text[len(prefix):-1])
    data["titles"] = [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in data.get("titles", [])]
    index.write_text(prefix + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + ")",
                     encoding="utf-8")
    js = tools.read_text(encoding="utf-8")
    if "linkEl.textContent = title;" in js and not SEARCH_DESCR.search(js):
        return  # patched by an earlier build that kept this output folder
    if SEARCH_TITLE not in js or not SEARCH_DESCR.search(js):
        logger.warning("Sphinx's searchtools.js changed: search titles may be inserted as HTML; "
                       "update _search_shows_text in book/_ext/innobook_site.py")
        return
    js = js.replace(SEARCH_TITLE, "linkEl.textContent = title;")
    tools.write_text(SEARCH_DESCR.sub(r'.textContent =\1" (" + descr + ")";', js), encoding="utf-8")


def refresh_static(app: Sphinx, out: Path) -> list[Path]:
    """Copy into ``_static`` the files of ``html_static_path`` that differ from their copies.
    Sphinx copies them only when it writes at least one page, so an incremental build after
    an edit to a stylesheet or a script alone (no page out of date) would keep the old copy."""
    from innobook_panels import copy_if_changed

    copied = []
    for entry in app.config.html_static_path:
        folder = Path(app.confdir, entry)
        for source in sorted(folder.rglob("*")) if folder.is_dir() else []:
            target = out / "_static" / source.relative_to(folder)
            if source.is_file() and copy_if_changed(source, target):
                copied.append(target)
    return copied


def on_build_finished(app: Sphinx, exception) -> None:
    import innobook_panels
    import innobook_teaching

    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    root = _root(app)
    renamed = _rebundle(out, refresh_static(app, out))
    _search_shows_text(out)
    bundles: dict = {}
    # The pages this build wrote (Sphinx's, and the chart pages written beside them); an
    # incremental build leaves the others as an earlier build finished them, unless a
    # stylesheet bundle they link was made again.
    since = getattr(app, "_innobook_started", 0.0) if not renamed else 0.0
    pages = [page for page in sorted(out.rglob("*.html"))
             if not {"_static", "_sources"} & set(page.relative_to(out).parts) and page.stat().st_mtime >= since]
    for page in pages:
        _postprocess_page(out, page, bundles, renamed)
    used = set()
    for page in pages:
        used |= set(re.findall(r'<i class="[^"]*\bfa-([a-z0-9-]+)', page.read_text(encoding="utf-8")))
    css = (out / "_static" / ICON_CSS).read_text(encoding="utf-8")
    missing = sorted(n for n in used - {"lg", "solid", "regular", "brands"} if f".fa-{n}{{" not in css
                     and f".fa-{n}," not in css)
    if missing:
        logger.warning("icons used by the pages but missing from %s: %s", ICON_CSS, ", ".join(missing))
    # Data files, their description, and each run's key results, for the download links.
    files = [(p, p) for p, _ in _resource_paths(app, {r["name"] for r in _datapackage(app)["resources"]})]
    files += [("datapackage.json", "datapackage.json"), ("README.md", "README.md")]
    for rel, dest in files:
        src = root / "data" / rel
        if src.exists():
            innobook_panels.copy_if_changed(src, out / "data" / dest)
    innobook_teaching.write_student_editions(root, out, _runs(app)[1], _edition(app),
                                             stamps=Path(app.doctreedir) / "innobook-student.json")
    innobook_panels.copy_print_edition(root, out, _edition(app))
    results = root / GENERATED / "results"
    for run in _runs(app)[1]:
        src = results / f"{run.run_id}.json"
        if src.exists():
            innobook_panels.copy_if_changed(src, out / GENERATED / "results" / src.name)


# --------------------------------------------------------------------------- directives
def _table(headers: list[str], rows: list[list], classes: list[str], widths=None) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(headers))
    table += group
    for w in (widths or [1] * len(headers)):
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for h in headers:
        row += nodes.entry("", nodes.paragraph(text=h))
    head += row
    tbody = nodes.tbody()
    group += tbody
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, nodes.Node):
                entry += cell
            elif isinstance(cell, list):
                entry += cell
            else:
                entry += nodes.paragraph(text=str(cell))
            row += entry
        tbody += row
    return table


def _literal_par(text: str) -> nodes.paragraph:
    return nodes.paragraph("", "", nodes.literal(text=text))


def _doc_link(env, docname: str, text: str) -> nodes.Node:
    from sphinx.addnodes import pending_xref

    if docname not in env.found_docs:
        return nodes.paragraph(text=text)
    ref = pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname,
                       refexplicit=True, refdoc=env.docname)
    ref += nodes.inline(text=text)
    return nodes.paragraph("", "", ref)


class RequirementsDirective(SphinxDirective):
    """Pinned versions of the book's direct dependencies, read from the lock file."""

    def run(self):
        root = _root(self.env.app)
        for name in ("requirements.in", "requirements.txt", "pyproject.toml"):
            self.env.note_dependency(str(root / name))
        pins = {}
        for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines():
            m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)", line.strip())
            if m:
                pins[re.sub(r"[-_.]+", "-", m.group(1).lower())] = (m.group(1), m.group(2))
        direct = []
        for line in (root / "requirements.in").read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            if line:
                key = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", line)[0].lower())
                direct.append(key)
        requires = re.search(r'requires-python\s*=\s*"([^"]+)"',
                             (root / "pyproject.toml").read_text(encoding="utf-8"))
        words = _words(self.env.app)
        rows = [["Python", words["python"].format(version=platform.python_version(),
                                                  requires=requires.group(1) if requires else words["python_any"])]]
        rows += [[pins[k][0], pins[k][1]] for k in direct if k in pins]
        table = _table([words["package"], words["version"]], rows, ["innobook-requirements"], [2, 3])
        note = nodes.paragraph(text=words["pins"].format(direct=len(rows) - 1, pinned=len(pins)))
        return [table, note]


class DatasetsDirective(SphinxDirective):
    """The data files, with a download link, licence and number of cited sources."""

    def run(self):
        root = _root(self.env.app)
        self.env.note_dependency(str(root / "data" / "datapackage.json"))
        to_root = "../" * self.env.docname.count("/")
        rows = []
        for res in _datapackage(self.env.app).get("resources", []):
            paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
            links = nodes.paragraph()
            for i, rel in enumerate(paths):
                if i:
                    links += nodes.Text(", ")
                links += nodes.reference("", rel, refuri=f"{to_root}data/{rel}",
                                         classes=["innobook-data-link"])
            licences = ", ".join(l.get("name", "") for l in res.get("licenses", []))
            rows.append([links, nodes.paragraph(text=_data_text(self.env.app, res.get("title", res["name"]))),
                         nodes.paragraph(text=licences),
                         nodes.paragraph(text=str(len(res.get("sources", []))))])
        return [_table(_words(self.env.app)["datasets"], rows,
                       ["innobook-datasets"], [3, 6, 2, 1])]


class ChaptersDirective(SphinxDirective):
    """Every run: chapter, notebook, parameters, results file, and its figures and tables."""

    option_spec = {"class": directives.unchanged}

    def run(self):
        app = self.env.app
        root = _root(app)
        for rel in ("notebooks/runs.yml", "_toc.yml"):
            self.env.note_dependency(str(root / rel))
        words = _words(app)
        rows, listing = [], []
        for run in _ordered_runs(app):
            self.env.note_dependency(str(root / GENERATED / f"{run.run_id}.ipynb"))
            changed = {k: v for k, v in run.parameters.items() if run.notebook.defaults().get(k) != v}
            params = ", ".join(f"{k}={v!r}" for k, v in changed.items()) or words["defaults"]
            chapter = GENERATED + run.run_id
            title = _page_message(app, chapter, run.notebook.title)
            rows.append([_doc_link(self.env, chapter, title),
                         _literal_par(f"notebooks/{run.notebook.name}.ipynb"),
                         nodes.paragraph(text=f"{run.run_id} ({params})"),
                         _literal_par(f"book/generated/results/{run.run_id}.json")])
            figures, tables = _outputs(app, run.run_id)
            for kind, items in ((words["figure"], figures), (words["table"], tables)):
                for i, item in enumerate(items, start=1):
                    listing.append([_doc_link(self.env, chapter, title),
                                    nodes.paragraph(text=kind.format(i=i)), nodes.paragraph(text=item),
                                    _literal_par(f"notebooks/{run.notebook.name}.ipynb")])
        out = [_table(words["chapters"], rows, ["innobook-chapter-list"], [3, 3, 3, 3])]
        if listing:
            out.append(_table(words["items"], listing, ["innobook-figure-list"], [3, 1, 5, 3]))
        else:
            out.append(nodes.paragraph(text=words["none_executed"],
                                       classes=["innobook-figure-list"]))
        return out


def _prose(nb) -> list[str]:
    """The Markdown of a notebook: its Markdown cells and any Markdown its code cells show."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                for key, value in out.get("data", {}).items():
                    if key.endswith("text/markdown"):
                        texts.append(value if isinstance(value, str) else "".join(value))
    return texts


def _template_facts(path: Path) -> dict:
    """Learning objectives, exercise count and prose length of a chapter.

    Read from the executed notebook when there is one (a chapter may write some of its
    Markdown, exercises included, from code), else from the template.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    objectives, exercises, words = [], 0, 0
    for text in _prose(nb):
        words += len(re.findall(r"[A-Za-z]+(?:'[a-z]+)?|[\u4e00-\u9fff]", re.sub(r"`[^`]*`", "", text)))
        exercises += len(re.findall(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}", text, re.M))
        block = re.search(r"(?:```|:::)\{admonition\} Learning objectives\n(.*?)(?:```|:::)", text, re.S)
        if block and not objectives:
            objectives = [line[2:].strip() for line in block.group(1).splitlines() if line.startswith("- ")]
    return {"objectives": objectives, "exercises": exercises, "words": words}


class SyllabusDirective(SphinxDirective):
    """For teachers: each chapter's objectives, reading length, exercises and parameters."""

    WORDS_PER_MINUTE = 200

    def _numbered_docs(self) -> list[str]:
        """The pages of the numbered parts of _toc.yml (the chapters), in order."""
        toc = yaml.safe_load((_root(self.env.app) / "_toc.yml").read_text(encoding="utf-8")) or {}
        docs: list[str] = []

        def walk(node):
            if isinstance(node, dict):
                if "file" in node:
                    docs.append(re.sub(r"\.(md|ipynb)$", "", node["file"]))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        for part in toc.get("parts", []) or []:
            if part.get("numbered"):
                walk(part.get("chapters", []))
        return docs

    def _prerequisites(self, box, key: str) -> None:
        import innobook_teaching

        words = _words(self.env.app)
        items = innobook_teaching.prerequisites(_root(self.env.app)).get(key)
        para = nodes.paragraph()
        para += nodes.strong(text=words["prerequisites"])
        items = [_data_text(self.env.app, " ".join(i.split())) for i in items or []]
        para += nodes.Text(words["items_sep"].join(items) + words["end"] if items else words["not_stated"])
        box += para

    def _objectives(self, box, doc: str, objectives: list[str]) -> None:
        """The chapter's learning objectives, in the edition's language (from the chapter's catalog)."""
        if objectives:
            app = self.env.app
            box += nodes.paragraph(text=_words(app)["objectives"])
            box += self.parse_text_to_nodes("\n".join(f"- {_page_message(app, doc, o)}" for o in objectives))

    def _page_box(self, doc: str):
        """A Markdown chapter: its objectives, reading time, exercises and prerequisites."""
        import innobook_teaching

        path = _root(self.env.app) / f"{doc}.md"
        if not path.exists():
            return None
        self.env.note_dependency(str(path))
        words = _words(self.env.app)
        facts = innobook_teaching.markdown_facts(path)
        title = _page_message(self.env.app, doc, facts["title"])
        box = nodes.container(classes=["innobook-syllabus"])
        head = nodes.paragraph()
        head += nodes.strong(text=title)
        box += head
        where = nodes.paragraph()
        where += nodes.Text(words["read_it"])
        where += _doc_link(self.env, doc, title).children[0]
        minutes = max(5, 5 * math.ceil(facts["words"] / self.WORDS_PER_MINUTE / 5))
        where += nodes.Text(words["page_facts"].format(minutes=minutes, words=facts["words"],
                                                       exercises=facts["exercises"]))
        box += where
        self._prerequisites(box, doc)
        self._objectives(box, doc, facts["objectives"])
        return box

    def run(self):
        app = self.env.app
        root = _root(app)
        self.env.note_dependency(str(root / "notebooks" / "runs.yml"))
        self.env.note_dependency(str(root / "book" / "prerequisites.yml"))
        out, seen = [], set()
        by_doc = {GENERATED + r.run_id: r for r in _runs(app)[1]}
        order = []
        for doc in self._numbered_docs():
            if doc in by_doc:
                order.append(by_doc[doc])
            elif not doc.startswith(GENERATED):
                order.append(doc)
        order += [r for r in _ordered_runs(app) if GENERATED + r.run_id not in self._numbered_docs()]
        for item in order:
            if isinstance(item, str):
                box = self._page_box(item)
                if box is not None:
                    out.append(box)
                continue
            run = item
            spec = run.notebook
            if spec.name in seen:
                continue
            seen.add(spec.name)
            self.env.note_dependency(str(spec.path))
            same = [r for r in _runs(app)[1] if r.notebook.name == spec.name]
            executed = [_root(app) / GENERATED / f"{r.run_id}.ipynb" for r in same]
            executed = [p for p in executed if p.exists()]
            facts = _template_facts(executed[0] if executed else spec.path)
            words = _words(app)
            box = nodes.container(classes=["innobook-syllabus"])
            head = nodes.paragraph()
            chapters = [r for r in same if GENERATED + r.run_id in self.env.found_docs]
            doc = GENERATED + (chapters or same)[0].run_id
            title = _page_message(app, doc, spec.title)
            head += nodes.strong(text=title)
            box += head
            where = nodes.paragraph()
            if chapters:
                where += nodes.Text(words["read_it"] if len(chapters) == 1 else words["one_page_per_run"])
                varying = [k for k in spec.parameters
                           if len({repr(r.parameters.get(k)) for r in chapters}) > 1]
                for i, r in enumerate(chapters):
                    if i:
                        where += nodes.Text(words["list_sep"])
                    label = title if len(chapters) == 1 else \
                        (", ".join(str(r.parameters[k]) for k in varying) or r.run_id)
                    where += _doc_link(self.env, GENERATED + r.run_id, label).children[0]
                where += nodes.Text(words["after_links"])
            else:
                where += nodes.Text(words["in_preparation"])
            minutes = max(5, 5 * math.ceil(facts["words"] / self.WORDS_PER_MINUTE / 5))
            where += nodes.Text(words["notebook_facts"].format(minutes=minutes, words=facts["words"],
                                                               exercises=facts["exercises"]))
            where += nodes.literal(text=f"notebooks/{spec.name}.ipynb")
            where += nodes.Text(words["student_editions"])
            to_root = "../" * self.env.docname.count("/")
            for i, r in enumerate(same):
                if i:
                    where += nodes.Text(words["list_sep"])
                where += nodes.reference("", f"{r.run_id}.ipynb", refuri=f"{to_root}student/{r.run_id}.ipynb",
                                         classes=["innobook-student-edition"])
            where += nodes.Text(words["end"])
            box += where
            self._prerequisites(box, spec.name)
            self._objectives(box, doc, facts["objectives"])
            if spec.parameters:
                params = nodes.paragraph(text=words["vary"])
                for i, p in enumerate(spec.parameters.values()):
                    if i:
                        params += nodes.Text(words["items_sep"])
                    params += nodes.literal(text=p.name)
                    params += nodes.Text(words["vary_item"].format(allowed=p.allowed(), help=_data_text(app, " ".join(p.help.split())).rstrip('.。')))
                params += nodes.Text(words["end"])
                box += params
            out.append(box)
        return out


class ParametersDirective(SphinxDirective):
    """Each notebook's declared parameters and the command that reruns it with other values."""

    option_spec = {"notebook": directives.unchanged}

    def run(self):
        app = self.env.app
        specs, runs = _runs(app)
        root = _root(app)
        wanted = self.options.get("notebook")
        words = _words(app)
        out = []
        for name, spec in sorted(specs.items()):
            if wanted and name != wanted:
                continue
            self.env.note_dependency(str(root / "notebooks" / f"{name}.params.yml"))
            section = nodes.container(classes=["innobook-parameters"])
            first_run = next((r for r in runs if r.notebook.name == name), None)
            title = nodes.paragraph()
            title += nodes.strong(text=_page_message(app, GENERATED + first_run.run_id, spec.title)
                                  if first_run else spec.title)
            title += nodes.Text(words["notebook_in"][0])
            title += nodes.literal(text=f"notebooks/{name}.ipynb")
            title += nodes.Text(words["notebook_in"][1])
            section += title
            rows = [[_literal_par(p.name), nodes.paragraph(text=p.type),
                     _literal_par(repr(p.default)), nodes.paragraph(text=p.allowed()),
                     nodes.paragraph(text=_data_text(app, " ".join(p.help.split())))] for p in spec.parameters.values()]
            section += _table(words["parameters"], rows,
                              ["innobook-parameter-table"], [2, 1, 2, 3, 4])
            example = next(iter(spec.parameters.values()), None)
            cmd = f".venv/bin/python -m innobook run notebooks/{name}.ipynb"
            if example is not None:
                cmd += f" -p {example.name} VALUE"
            section += nodes.literal_block(cmd, cmd, language="bash")
            out.append(section)
        if wanted and not out:
            raise self.error(f"no notebook declaration notebooks/{wanted}.params.yml")
        return out


# --------------------------------------------------------------------------- setup
def _cache_pybtex_plugin_lookups() -> None:
    """pybtex looks its plugins up in every installed package's entry points at each citation
    it formats (some 15 ms a time, seconds per build); within one build the answer never
    changes, so remember it. Only successful look-ups are kept (lru_cache does not cache errors)."""
    import functools

    import pybtex.plugin

    if not hasattr(pybtex.plugin._load_entry_point, "cache_info"):
        pybtex.plugin._load_entry_point = functools.lru_cache(maxsize=None)(pybtex.plugin._load_entry_point)


def setup(app: Sphinx) -> dict:
    _cache_pybtex_plugin_lookups()
    _mend_incremental_search_index()
    app.setup_extension("innobook_bib_cache")
    app.setup_extension("innobook_figure_numbers")
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", note_start)
    app.connect("builder-inited", write_icon_css)
    app.connect("html-page-context", on_page_context)
    app.connect("doctree-resolved", index_chart_sources)
    app.connect("html-page-context", on_page_buttons, priority=600)
    # Late: the theme rewrites pygments.css at build-finished, before it is bundled here.
    app.connect("build-finished", on_build_finished, priority=900)
    app.add_css_file(ICON_CSS)
    app.add_directive("innobook-requirements", RequirementsDirective)
    app.add_directive("innobook-chapters", ChaptersDirective)
    app.add_directive("innobook-datasets", DatasetsDirective)
    app.add_directive("innobook-syllabus", SyllabusDirective)
    app.add_directive("innobook-parameters", ParametersDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
