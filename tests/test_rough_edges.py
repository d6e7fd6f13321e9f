"""No rough edges on any page a reader sees.

Every HTML page of the built site (fixture ``built_site``: one build per session, or the site
named by ``INNOBOOK_TEST_SITE``) is read as a reader reads it: scripts, styles, the charts'
embedded specifications and static images are left out, and what remains is searched for the
marks of unformatted output and unfinished text:

* ``nan nan`` and a lone ``nan``/``NaN``/``None`` in a table cell: a missing value printed
  as if it were one;
* ``To be confirmed``: a placeholder left in the text;
* ``dtype: int64`` and the like: a raw pandas Series printed;
* ``True``/``False`` in a table cell: a raw boolean column;
* a number with five or more decimals in a table cell (``48.922441``): an unformatted float;
* a year written as a float (``2024.0``) anywhere in the text.

Glued numbers are set in the weight of their sentence by the book's stylesheet (myst-nb sets
every one in bold, which makes every figure shout); a separate test checks that rule.

Each page is its own test, so a failure names the page and quotes what was found. Pages are
fixed in their notebooks with ``innobook.tables.show`` (tables) and format specs in
``{glue:text}`` (prose).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SKIP_PARTS = {"_static", "_sources", "_downloads", "_images"}

# Patterns in the page's visible text.
TEXT_PATTERNS = {
    "missing values printed as 'nan nan'": re.compile(r"\bnan nan\b"),
    "placeholder 'To be confirmed'": re.compile(r"To be confirmed", re.I),
    "raw pandas Series footer ('dtype: ...')": re.compile(r"\bdtype: ?(?:int|float|object|bool|str)\w*"),
    "year printed as a float (e.g. 2024.0)": re.compile(r"(?<![\d.,])(?:19|20)\d{2}\.0(?![\d%])"),
}
# Patterns in table cells (text of each <td>/<th>).
CELL_PATTERNS = {
    "missing value printed in a table cell (NaN/nan/None)": re.compile(r"^(?:nan|NaN|None|NaT|<NA>)$"),
    "raw boolean in a table cell (True/False)": re.compile(r"^(?:True|False)$"),
    "unformatted float with 5+ decimals in a table cell": re.compile(r"^[-+]?\d[\d,]*\.\d{5,}$"),
}


def site_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not SKIP_PARTS & set(p.relative_to(site).parts))


def visible_html(page_html: str) -> str:
    """The page without what a reader never reads as text."""
    text = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page_html, flags=re.S | re.I)
    text = re.sub(r"<img\b[^>]*>", " ", text, flags=re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    # Code as written (cell sources, command lines) is not output; printed output (a cell's
    # text/plain result, highlighted as "myst-ansi") is.
    text = re.sub(r'<div class="highlight-(?!myst-ansi)[^"]*"><div class="highlight"><pre>.*?</pre></div>',
                  " ", text, flags=re.S)
    text = re.sub(r"<code\b[^>]*>.*?</code>", " ", text, flags=re.S)
    return text


def plain(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def rough_edges(page_html: str) -> list[str]:
    """Every rough edge on one page, each with a short quotation."""
    shown = visible_html(page_html)
    found = []
    text = plain(shown)
    for what, pattern in TEXT_PATTERNS.items():
        for m in list(pattern.finditer(text))[:3]:
            found.append(f"{what}: ...{text[max(0, m.start() - 60):m.end() + 40]}...")
    for table in re.findall(r"<table\b.*?</table>", shown, flags=re.S):
        for cell in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", table, flags=re.S):
            value = plain(cell)
            for what, pattern in CELL_PATTERNS.items():
                if pattern.search(value):
                    found.append(f"{what}: {value!r}")
    return list(dict.fromkeys(found))


def test_the_checks_catch_what_they_are_meant_to():
    bad = ("<p>The article says nan nan; To be confirmed by the notebook. In 2024.0 it rose.</p>"
           '<div class="output text_plain highlight-myst-ansi notranslate"><div class="highlight">'
           "<pre>a    1\nName: x, dtype: int64</pre></div></div>"
           "<table><tr><td>48.922441</td><td>True</td><td>NaN</td></tr></table>")
    found = " | ".join(rough_edges(bad))
    for sign in ("nan nan", "To be confirmed", "dtype", "2024.0", "48.922441", "True", "NaN"):
        assert sign in found, sign
    good = ("<p>Growth was 48.9% in 2024, 2.69% of GDP; version 2024.01 and 3.14159 in code "
            "<code>x = 2024.0</code>.</p>"
            '<div class="highlight-ipython3 notranslate"><div class="highlight"><pre>s.dtype: int64</pre></div></div>'
            "<table><tr><td>48.9</td><td>yes</td><td>–</td><td>2,024.5</td></tr></table>"
            '<script type="application/json">{"a": 48.922441, "b": NaN}</script>'
            '<img src="data:image/svg+xml,2024.0 True">')
    assert rough_edges(good) == []


def test_css_keeps_glued_numbers_in_the_weight_of_the_sentence(built_site):
    css = "\n".join(p.read_text(encoding="utf-8") for p in (built_site / "_static").glob("innobook-*.css"))
    assert re.search(r"span\.pasted-text\s*\{\s*font-weight:\s*inherit", css), \
        "myst-nb sets glued numbers in bold; the book's stylesheet must set them back to the sentence's weight"


def pytest_generate_tests(metafunc):
    if "page_path" in metafunc.fixturenames:
        from conftest import toc_pages

        metafunc.parametrize("page_path", toc_pages())


def test_page_has_no_rough_edges(built_site, page_path):
    page = built_site / page_path
    assert page.exists(), f"{page_path} is in _toc.yml but was not built"
    found = rough_edges(page.read_text(encoding="utf-8"))
    assert not found, f"{page_path} has {len(found)} rough edge(s):\n  " + "\n  ".join(found[:25])


def test_chart_only_pages_have_no_rough_edges(built_site):
    pages = sorted((built_site / "charts").glob("*.html"))
    assert pages, "the build writes a chart-only page per figure"
    problems = {p.name: rough_edges(p.read_text(encoding="utf-8")) for p in pages}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
