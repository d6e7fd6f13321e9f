"""Print the whole book to one PDF with Debian's Chromium: the print edition.

    make pdf                                        # after make book: _build/pdf/book.pdf
    .venv/bin/python scripts/print_pdf.py --site _build/html --out _build/pdf/book.pdf

From the built site (``_build/html``), in table-of-contents order, one document is composed:

* a cover (title, author, the date of the build) and a table of contents (linked);
* every page of the book, each chapter starting on a new page with its title as the running
  head, page numbers at the foot;
* charts as their static images, with their sources (the site's print stylesheet drops the
  tabs and downloads); code cells the site hides are left out, visible ones kept;
* the exercises' solutions gathered in an appendix, each chapter pointing to them;
* formulas typeset by the site's own MathJax before printing.

Chromium (driven by Playwright, with every request to another host blocked) prints it with
PDF bookmarks made from the headings. The PDF is also copied into the site as ``book.pdf``,
which the reproduction page links to; the site build copies ``_build/pdf/book.pdf`` into
every new site.

Each language edition of the site (``_build/html/<lang>/``, the Simplified Chinese one in
``zh/``) is printed too, as ``book-<lang>.pdf`` beside the English PDF, with its own title
and author (``locales/<locale>/edition.yml``) and its own words for the cover, the contents,
the running heads and the appendix; it is copied into its edition's folder as ``book.pdf``
(``zh/book.pdf``), where that edition's reproduction page links to it.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import html
import os
import posixpath
import re
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("INNOBOOK_CHROMIUM", "/usr/bin/chromium")
PRINT_FILE = ".print-edition.html"

#: The print edition's own words, per edition: ``lang`` is the document's language (it picks
#: the CJK glyphs), the rest are the cover, contents, appendix and solution pointers.
WORDS = {
    "en": {
        "lang": "en", "kind": "Print edition", "contents": "Contents",
        "printed": "Printed from the website built on {date}. Every figure in the text comes from "
                   "an executed notebook; charts are printed as their static images, with their sources.",
        "appendix": "Appendix: solutions to the exercises",
        "appendix_intro": "Each chapter's exercises are answered here, with the code that computes "
                          "the answer, in the order of the chapters.",
        "solution": "Solution {n}", "pointer": "{label}: in the appendix.",
    },
    "zh": {
        "lang": "zh-CN", "kind": "印刷版", "contents": "目录",
        "printed": "据 {date} 构建的网站印制。文中每个数字都来自执行过的笔记本；图表印为静态图片，并附来源。",
        "appendix": "附录：练习解答",
        "appendix_intro": "各章练习的解答按章节顺序收录于此，并附计算答案的代码。",
        "solution": "解答 {n}", "pointer": "{label}：见附录。",
    },
}


# --------------------------------------------------------------------------- the pages
def toc_pages(root: Path) -> list[str]:
    """Site paths of the table of contents' pages, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key, value in node.items():
                if key != "root":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return list(dict.fromkeys(re.sub(r"\.(md|ipynb)$", "", f) + ".html" for f in files))


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", path.removesuffix(".html"))


def balanced(text: str, start: int, tag: str) -> int:
    """End index of the element of type ``tag`` opening at ``start`` (nested ones counted)."""
    pattern = re.compile(rf"<{tag}\b|</{tag}>", re.I)
    depth = 0
    for m in pattern.finditer(text, start):
        depth += 1 if not m.group(0).startswith("</") else -1
        if depth == 0:
            return m.end()
    return len(text)


def remove_elements(text: str, opening: re.Pattern, tag: str, keep=None) -> tuple[str, list[str]]:
    """Cut every element whose opening tag matches ``opening``; return the text and the cut pieces."""
    out, cut, pos = [], [], 0
    while True:
        m = opening.search(text, pos)
        if not m:
            break
        end = balanced(text, m.start(), tag)
        out.append(text[pos:m.start()])
        piece = text[m.start():end]
        cut.append(piece)
        if keep:
            out.append(keep(piece, len(cut)))
        pos = end
    out.append(text[pos:])
    return "".join(out), cut


def article(page_html: str) -> str:
    m = re.search(r'<article class="bd-article"[^>]*>', page_html)
    if not m:
        return ""
    end = balanced(page_html, m.start(), "article")
    return page_html[m.end():end - len("</article>")]


def rewrite(fragment: str, page: str, pages: set[str]) -> str:
    """Ids prefixed by the page, links between pages made links within the document."""
    base = posixpath.dirname(page)
    me = slug(page)
    fragment = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{me}--{m.group(1)}"', fragment)

    def href(m: re.Match) -> str:
        attr, url = m.group(1), html.unescape(m.group(2))
        if re.match(r"^(?:[a-z]+:|//)", url):
            return m.group(0)
        if url.startswith("#"):
            return f'{attr}="#{me}--{html.escape(url[1:])}"'
        path, _, anchor = url.partition("#")
        target = posixpath.normpath(posixpath.join(base, path)) if path else page
        if attr == "href" and target in pages:
            return f'{attr}="#{slug(target)}--{html.escape(anchor)}"' if anchor else f'{attr}="#{slug(target)}"'
        return f'{attr}="{html.escape(target)}{"#" + html.escape(anchor) if anchor else ""}"'

    return re.sub(r'\b(href|src)="([^"]*)"', href, fragment)


SOLUTION = re.compile(r'<div class="solution[^"]*"[^>]*>')
HIDDEN_CODE = re.compile(r'<details class="[^"]*\bhide\b[^"]*above-input[^"]*">')
DROP = [
    (re.compile(r'<aside class="[^"]*innobook-downloads[^"]*"[^>]*>'), "aside"),
    # the link to the other edition's web page: each edition is printed on its own
    (re.compile(r'<nav class="innobook-language"[^>]*>'), "nav"),
    (re.compile(r'<script type="application/json"[^>]*>'), "script"),
]


def compose(site: Path, root: Path, title: str, author: str, edition: str = "en") -> tuple[str, int, int]:
    """The print edition as one HTML document; returns it, the chapter count and solutions moved."""
    words = WORDS[edition]
    pages = [p for p in toc_pages(root) if (site / p).exists()]
    known = set(pages)
    chapters, solutions, contents = [], [], []
    for n, page in enumerate(pages, start=1):
        body = article((site / page).read_text(encoding="utf-8"))
        for opening, tag in DROP:
            body, _ = remove_elements(body, opening, tag)
        body, _ = remove_elements(body, HIDDEN_CODE, "details")
        body = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", body, flags=re.S)
        body = body.replace('<img loading="lazy" ', "<img ")  # every image is needed on paper
        heading = re.search(r"<h1\b[^>]*>(.*?)</h1>", body, re.S)
        name = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", heading.group(1)))).strip() if heading else page
        me = slug(page)
        moved = []

        def pointer(piece: str, i: int, me=me, moved=moved) -> str:
            label = re.search(r'<p class="admonition-title">(.*?)</p>', piece, re.S)
            text = re.sub(r"<[^>]+>", "", label.group(1)).strip() if label else ""
            text = re.sub(r"\s+", " ", text) or words["solution"].format(n=i)
            moved.append((text, piece))
            return (f'<p class="innobook-print-solution-ref"><a href="#{me}--solution-{len(moved)}">'
                    f'{html.escape(words["pointer"].format(label=text))}</a></p>')

        body, _ = remove_elements(body, SOLUTION, "div", keep=pointer)
        if moved:
            parts = [f'<h2 id="{me}--solutions">{html.escape(name)}</h2>']
            for i, (text, piece) in enumerate(moved, start=1):
                piece = piece.replace('class="solution dropdown', 'class="solution', 1)
                parts.append(f'<div id="{me}--solution-{i}" class="innobook-print-solution">'
                             f"{rewrite(piece, page, known)}</div>")
            solutions.append("".join(parts))
        css_name = f"ch{n}"
        chapters.append((css_name, name, f'<section class="innobook-print-chapter" id="{me}" '
                         f'style="page: {css_name}">{rewrite(body, page, known)}</section>'))
        contents.append(f'<li><a href="#{me}">{html.escape(name)}</a></li>')
    first = (site / pages[0]).read_text(encoding="utf-8")
    head_links = "".join(
        f'<link rel="stylesheet" href="{html.escape(posixpath.normpath(posixpath.join(posixpath.dirname(pages[0]), h)))}">'
        for h in re.findall(r'<link rel="stylesheet" href="([^"]+)"', first.split("</head>")[0])
        if not re.match(r"^(?:[a-z]+:)?//", h))
    built = datetime.date.today().isoformat()
    page_rules = []
    for css_name, name, _ in chapters:
        page_rules.append(f'@page {css_name} {{ @top-left {{ content: {css_string(name)}; }} }}')
    page_rules.append(f'@page contents {{ @top-left {{ content: {css_string(words["contents"])}; }} }}')
    appendix = ""
    if solutions:
        appendix = ('<section class="innobook-print-chapter innobook-print-appendix" id="appendix-solutions" '
                    f'style="page: appendix"><h1>{html.escape(words["appendix"])}</h1>'
                    f'<p>{html.escape(words["appendix_intro"])}</p>' + "".join(solutions) + "</section>")
        page_rules.append(f'@page appendix {{ @top-left {{ content: {css_string(words["appendix"])}; }} }}')
        contents.append(f'<li><a href="#appendix-solutions">{html.escape(words["appendix"])}</a></li>')
    style = PRINT_CSS + "\n".join(page_rules)
    doc = f"""<!DOCTYPE html>
<html lang="{words['lang']}"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
{head_links}
<style>{style}</style>
<script>window.MathJax = {{ tex: {{ inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]] }},
  options: {{ processHtmlClass: "tex2jax_process|mathjax_process|math|output_area" }},
  startup: {{ typeset: true }} }};</script>
<script defer src="_static/mathjax/tex-chtml.js"></script>
</head>
<body class="innobook-print" data-theme="light">
<section class="innobook-print-cover" style="page: cover">
<p class="innobook-print-kind">{html.escape(words['kind'])}</p>
<h1 class="innobook-print-title">{html.escape(title)}</h1>
<p class="innobook-print-author">{html.escape(author)}</p>
<p class="innobook-print-date">{html.escape(words['printed'].format(date=built))}</p>
</section>
<nav class="innobook-print-contents" style="page: contents"><h1>{html.escape(words['contents'])}</h1><ul>{''.join(contents)}</ul></nav>
{''.join(c for _, _, c in chapters)}
{appendix}
</body></html>"""
    return doc, len(chapters), sum(s.count("innobook-print-solution\"") for s in solutions)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for a running head's ``content``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


PRINT_CSS = """
@page { size: A4; margin: 20mm 17mm 20mm 17mm;
  @bottom-center { content: counter(page); font: 9pt system-ui, sans-serif; color: #444; }
  @top-left { font: 8.5pt system-ui, sans-serif; color: #555; } }
@page cover { @bottom-center { content: none; } @top-left { content: none; } }
html, body { background: #fff !important; }
body.innobook-print { font-size: 10.5pt; line-height: 1.45; margin: 0; }
.innobook-print-chapter { break-before: page; }
.innobook-print-cover { break-after: page; padding-top: 70mm; }
.innobook-print-title { font-size: 26pt; line-height: 1.2; margin-bottom: 12mm; }
.innobook-print-kind { text-transform: uppercase; letter-spacing: 0.1em; color: #555; }
.innobook-print-author, .innobook-print-date { color: #333; }
.innobook-print-contents ul { list-style: none; padding-left: 0; }
.innobook-print-contents li { margin: 0.15em 0; }
.innobook-print a { color: inherit; text-decoration: none; }
.innobook-print h1 { font-size: 19pt; margin-top: 0; }
.innobook-print h2 { font-size: 14pt; break-after: avoid; }
.innobook-print h3 { font-size: 12pt; break-after: avoid; }
.innobook-print pre { white-space: pre-wrap; font-size: 8.5pt; }
.innobook-print table { font-size: 8.5pt; break-inside: auto; }
.innobook-print tr { break-inside: avoid; }
.innobook-print figure.innobook-chart img { max-width: 100%; height: auto; }
.innobook-print .innobook-print-solution { border-left: 2px solid #999; padding-left: 4mm; margin: 4mm 0; }
.innobook-print .innobook-print-solution-ref { font-style: italic; }
.innobook-print details > summary { display: none; }
.innobook-print .toggle-hidden, .innobook-print .toggle-details__summary { display: none; }
"""


# --------------------------------------------------------------------------- printing
class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def print_site(site: Path, out: Path, root: Path, *, title: str, author: str, edition: str = "en",
               timeout_ms: int = 120_000) -> dict:
    from playwright.sync_api import sync_playwright

    doc, n_chapters, n_solutions = compose(site, root, title, author, edition)
    target = site / PRINT_FILE
    target.write_text(doc, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    blocked: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()

            def route(r):
                url = r.request.url
                if url.startswith(origin) or url.startswith(("data:", "blob:", "about:")):
                    r.continue_()
                else:
                    blocked.append(url)
                    r.abort("blockedbyclient")

            page.route("**/*", route)
            page.goto(f"{origin}/{PRINT_FILE}", wait_until="load", timeout=timeout_ms)
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=timeout_ms)
            page.evaluate("() => MathJax.startup.promise")
            page.emulate_media(media="print")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(out), format="A4", print_background=True, prefer_css_page_size=True,
                     outline=True, tagged=True, display_header_footer=False)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
        target.unlink(missing_ok=True)
    if blocked:
        raise SystemExit(f"the print edition asked other hosts for {blocked[:5]}")
    return {"chapters": n_chapters, "solutions": n_solutions, "pdf": out}


def book_config(root: Path, edition: str = "en") -> tuple[str, str]:
    """Title and author: ``_config.yml``'s for English, the edition's ``edition.yml`` for another
    language (falling back to the English ones where it names none)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    title, author = str(config.get("title", "The book")), str(config.get("author", ""))
    if edition != "en":
        for path in sorted((root / "locales").glob(f"{edition}*/edition.yml")):
            own = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            title, author = str(own.get("title") or title), str(own.get("author") or author)
            break
    return title, author


def editions(site: Path, out: Path) -> list[tuple[str, Path, Path]]:
    """(edition, its site folder, its PDF) for the English site and each language edition in it
    (a folder named by a language code, with its own ``index.html``), English first."""
    found = [("en", site, out)]
    for sub in sorted(p for p in site.iterdir() if p.is_dir() and re.fullmatch(r"[a-z]{2}(?:_[A-Z]{2})?", p.name)):
        if (sub / "index.html").exists():
            if sub.name not in WORDS:
                raise SystemExit(f"error: no print-edition words for the {sub.name!r} edition (WORDS)")
            found.append((sub.name, sub, out.with_name(f"{out.stem}-{sub.name}{out.suffix}")))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project (for _toc.yml and _config.yml)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / "book.pdf")
    parser.add_argument("--no-copy", action="store_true", help="do not copy the PDF into the site")
    parser.add_argument("--edition", action="append", choices=sorted(WORDS),
                        help="print only this edition (default: every edition the site holds)")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        print(f"error: no built site in {args.site}; run make book first", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing: run scripts/install_browser_deps.sh", file=sys.stderr)
        return 2
    todo = [e for e in editions(args.site, args.out) if not args.edition or e[0] in args.edition]
    if not todo:
        print(f"error: the site in {args.site} holds none of the editions {args.edition}", file=sys.stderr)
        return 2
    for edition, site, out in todo:
        title, author = book_config(args.root, edition)
        info = print_site(site, out, args.root, title=title, author=author, edition=edition)
        print(f"Printed the {edition} edition: {info['chapters']} pages and {info['solutions']} "
              f"solutions to {out} ({out.stat().st_size / 1e6:.1f} MB)")
        if not args.no_copy:
            # each edition's folder serves its own PDF under the English one's name
            shutil.copyfile(out, site / args.out.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
