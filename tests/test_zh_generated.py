"""The Chinese edition shows the tables and verdicts the notebooks generate in Chinese.

Text a notebook computes reaches the Chinese edition through :mod:`innobook.i18n`; a table or a
badge that bypasses it stays English there. Every page of the Chinese site (fixture
``built_site``: one build per session, or the site named by ``INNOBOOK_TEST_SITE``) is read for:

* a generated table (``tables.show``, a chart's *Table* tab, the claims ledger) whose heading is
  English: a Latin word and no Chinese character. Symbols and codes are not English words:
  ``b2``, ``n_minus1``, ``p``, abbreviations in capitals (``HHI``, ``ARI``, ``USGS MCS 2024``);
* a raw pandas table (``class="dataframe"``), which has no Chinese rendering at all: end the
  cell with ``tables.show(df)``;
* a verdict of the ledger's scale left in English, in a table cell or a verdict badge.

Each page is its own test, so a failure names the page and quotes what was found.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from innobook.analysis.claims.registry import VERDICTS

GENERATED_TABLES = {"innobook-table", "claims-ledger__table", "dataframe"}
SKIPPED = {"script", "style", "code", "pre", "svg"}
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def is_english(text: str) -> bool:
    """A Latin word of two letters or more (not a symbol, a code or an abbreviation) and no
    Chinese character."""
    if CJK.search(text):
        return False
    return any(len(w) >= 2 and w.isalpha() and not w.isupper() for w in WORD.findall(text))


class _Reader(HTMLParser):
    """Collects the headings and cells of generated tables and the texts of verdict badges."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str]]] = []
        self.headings: list[str] = []
        self.cells: list[str] = []
        self.badges: list[str] = []
        self.raw_tables = 0
        self._cell: list[str] | None = None
        self._cell_kind = ""
        self._badge: list[str] | None = None

    def _inside(self, classes: set[str]) -> bool:
        return any(tag == "table" and cls & classes for tag, cls in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "wbr"):
            return
        cls = set((dict(attrs).get("class") or "").split())
        if tag == "table" and "dataframe" in cls:
            self.raw_tables += 1
        self.stack.append((tag, cls))
        if tag in ("th", "td") and self._inside(GENERATED_TABLES):
            self._cell, self._cell_kind = [], tag
        if tag == "span" and "verdict" in cls:
            self._badge = []

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headings if self._cell_kind == "th" else self.cells).append(text)
            self._cell = None
        if tag == "span" and self._badge is not None:
            self.badges.append(" ".join("".join(self._badge).split()))
            self._badge = None

    def handle_data(self, data):
        if any(tag in SKIPPED for tag, _ in self.stack):
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._badge is not None:
            self._badge.append(data)


def english_left(page_html: str) -> list[str]:
    """Every English heading, raw table and English verdict on one page of the Chinese site."""
    reader = _Reader()
    reader.feed(page_html)
    found = [f"English heading in a generated table: {h!r}" for h in reader.headings if is_english(h)]
    if reader.raw_tables:
        found.append(f"{reader.raw_tables} raw pandas table(s): end the cell with tables.show(...)")
    verdicts = set(VERDICTS)
    found += [f"English verdict in a table cell: {c!r}" for c in reader.cells if c in verdicts]
    found += [f"English verdict badge: {b!r}" for b in reader.badges if b in verdicts]
    return list(dict.fromkeys(found))


def test_the_check_catches_what_it_is_meant_to():
    bad = "".join([
        '<table class="innobook-table"><thead><tr><th>province</th><th>Squared term b2</th></tr></thead>',
        "<tbody><tr><td>partly supported</td><td>0.5</td></tr></tbody></table>",
        '<p>A01 <span class="verdict verdict--differs">differs</span></p>',
        '<table class="dataframe"><tr><th>x</th></tr></table>',
    ])
    report = " | ".join(english_left(bad))
    missed = [sign for sign in ("'province'", "'Squared term b2'", "'partly supported'", "'differs'",
                                "raw pandas") if sign not in report]
    assert not missed, report
    good = ('<table class="innobook-table"><thead><tr><th>省份</th><th>b2</th><th>p (b2)</th>'
            "<th>HHI</th><th>USGS MCS 2024</th><th>n_minus1</th><th>林德-梅尔姆检验p值</th></tr></thead>"
            "<tbody><tr><td>得到支持</td><td>year_industry</td></tr></tbody></table>"
            '<table class="table"><tr><th>parameter</th></tr></table>'
            '<span class="verdict verdict--supported">得到支持</span><code>supported</code>')
    assert english_left(good) == []


def test_a_table_puts_words_into_chinese_and_keeps_codes():
    import pandas as pd

    from innobook import i18n, tables

    i18n.take_missing()
    frame = pd.DataFrame({"province": ["Anhui", "Guangdong"], "verdict": ["supported", "partly supported"],
                          "estimator": ["poisson", "ols_log1p"], "outcome": ["patents", "patents"]})
    zh = tables.html_table(frame, labels={"province": "province"}, lang="zh", codes=["outcome"])
    assert "<th scope=\"col\">省份</th>" in zh and "<th scope=\"col\">判定</th>" in zh
    assert "<td>得到支持</td>" in zh and "<td>部分得到支持</td>" in zh
    assert "<td>poisson</td>" in zh and "<td>ols_log1p</td>" in zh, "a column holding an identifier is codes"
    assert "<td>patents</td>" in zh, "a column named in codes is kept as written"
    assert "supported" in tables.html_table(frame), "the English table is unchanged"
    assert i18n.take_missing() == []
    assert tables.zh_term("unheardofword") == "unheardofword"
    assert i18n.take_missing() == ["unheardofword"], "a word without an entry is listed for translation"


def test_glued_html_puts_badges_into_chinese():
    from innobook import i18n, report

    box = ('<li><em>fact</em>: <span class="verdict verdict--supported">supported</span> '
           "<code>supported</code></li>")
    zh = report.zh_words_html(box)
    assert "<em>事实</em>" in zh and ">得到支持</span>" in zh and "<code>supported</code>" in zh
    i18n.take_missing()


slow = pytest.mark.slow


def pytest_generate_tests(metafunc):
    if "zh_page" in metafunc.fixturenames:
        from conftest import toc_pages

        metafunc.parametrize("zh_page", toc_pages())


@slow
def test_generated_tables_and_verdicts_are_chinese(built_site, zh_page):
    page = built_site / "zh" / zh_page
    assert page.exists(), f"zh/{zh_page} is in _toc.yml but was not built"
    found = english_left(page.read_text(encoding="utf-8"))
    assert not found, f"zh/{zh_page} has {len(found)} English item(s):\n  " + "\n  ".join(found[:25])


def english_in(built_site, pattern: str, check, missing: str) -> dict[str, list[str]]:
    """{file: English found by ``check``} for the files of ``zh/charts/`` matching ``pattern``
    that show any (``missing``: the message when there are no such files)."""
    files = sorted((built_site / "zh" / "charts").glob(pattern))
    assert files, missing
    found = {p.name: check(p.read_text(encoding="utf-8")) for p in files}
    return {k: v for k, v in found.items() if v}


@slow
def test_chart_only_pages_show_chinese_tables(built_site):
    problems = english_in(built_site, "*.html", english_left, "the build writes a Chinese chart-only page per figure")
    assert not problems, problems


def chart_words_left(svg: str) -> list[str]:
    """The English texts a drawn chart (a static SVG image) shows: titles, axis and legend
    labels, and the words text marks write beside points."""
    import html as html_lib

    texts = [html_lib.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    return list(dict.fromkeys(t for t in texts if is_english(t)))


def test_a_chart_spec_puts_categories_and_marked_words_into_chinese():
    from innobook import i18n

    i18n.take_missing()
    spec = {"datasets": {"d": [{"province": "Anhui", "verdict": "supported", "x": 1},
                               {"province": "Beijing", "verdict": "differs", "x": 2}]},
            "data": {"name": "d"},
            "layer": [{"mark": "point", "encoding": {
                          "x": {"field": "x", "type": "quantitative"},
                          "color": {"field": "verdict", "type": "nominal",
                                    "scale": {"domain": ["supported", "differs", "unverified"]}}}},
                      {"mark": {"type": "text"}, "encoding": {"text": {"field": "province", "type": "nominal"}}}]}
    out = i18n.translate_spec(spec)
    legend = out["layer"][0]["encoding"]["color"]["legend"]["labelExpr"]
    # lone words (verdicts) are categories too, and a value named only in the scale's domain is labelled
    assert "得到支持" in legend and "未经核实" in legend
    step = out["layer"][1]["transform"][-1]
    assert step["as"] == "province" and "安徽" in step["calculate"] and 'datum["province"]' in step["calculate"]
    assert out["datasets"] == spec["datasets"], "the data keep their values"
    i18n.take_missing()


@slow
def test_chinese_chart_images_have_no_english_words(built_site):
    found = english_in(built_site, "*.svg", chart_words_left, "the build writes each Chinese chart's static image")
    assert not found, f"English words in {len(found)} Chinese chart image(s): {found}"
    assert chart_words_left('<svg><text>Beijing</text><text>研发（亿元）</text><text>GDP</text></svg>') == ["Beijing"]
