"""The Chinese edition speaks Chinese in its own interface, and the English edition English.

The book's Sphinx extensions write words of their own into the pages: a chart's Sources box
and downloads line, the page holding a chart alone, a chapter's files box, the Data page,
the reproduction and teachers' tables. Each extension keeps them in a dictionary ``WORDS``
with an English and a Chinese entry, chosen by the edition being rendered. The chart loader
gives the interactive charts of a Chinese page the Chinese number and date formats, and the
static images are drawn with the same ones.

The first tests need no build: the dictionaries themselves, the Sources box and downloads
line written for each edition, the chart loader's locale. The others read the built site
(fixture ``built_site``, one build per session, or the site named by ``INNOBOOK_TEST_SITE``):
a chart panel in each edition, the chart-only pages, and every page of ``zh/``, in which no
English phrase of the dictionaries may be left.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))

import innobook_data  # noqa: E402
import innobook_panels  # noqa: E402
import innobook_site  # noqa: E402
import innobook_teaching  # noqa: E402

DICTIONARIES = {"innobook_panels": innobook_panels.WORDS, "innobook_site": innobook_site.WORDS,
                "innobook_data": innobook_data.WORDS}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
# What the Chinese words may keep in Latin letters: file formats, names of files and commands.
LATIN_IN_CHINESE = {"PNG", "SVG", "CSV", "UTF", "Python", "make", "book", "requirements", "txt",
                    "prerequisites", "yml"}
CHART_PAGE = "book/generated/rnd_growth.html"


def _values(entry) -> list[str]:
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, (list, tuple)):
        return [v for item in entry for v in _values(item)]
    if isinstance(entry, dict):
        return [v for item in entry.values() for v in _values(item)]
    return []


def _normal(text: str) -> str:
    return " ".join(text.split()).strip(" :;,.()*")


def english_phrases() -> set[str]:
    """The English pieces of every dictionary (the text between placeholders and tags) that the
    Chinese words do not also use: none of them may appear in a Chinese page."""
    phrases = set()
    for words in DICTIONARIES.values():
        shared = {_normal(p) for v in _values(words["zh"]) for p in re.split(r"\{[^}]*\}|<[^>]+>", v)}
        for value in _values(words["en"]):
            for piece in re.split(r"\{[^}]*\}|<[^>]+>", value):
                piece = _normal(piece)
                if LATIN_WORD.search(piece) and piece not in shared:
                    phrases.add(piece)
    return phrases


def english_left(page_html: str, phrases: set[str]) -> list[str]:
    """The dictionaries' English phrases found in a page's text or its labels: a text of its
    own equal to a phrase, or an English text holding a phrase long enough to be the
    extensions' own."""
    soup = BeautifulSoup(page_html, "html.parser")
    for tag in soup(["script", "style", "code", "pre"]):
        tag.decompose()
    texts = [str(s) for s in soup.find_all(string=True)]
    for tag in soup.find_all(True):
        texts += [tag[a] for a in ("aria-label", "title") if isinstance(tag.get(a), str)]
    long = [p for p in phrases if len(p) >= 15]
    found = []
    for text in texts:
        plain = _normal(text)
        if not plain:
            continue
        if plain in phrases:
            found.append(plain)
        if CJK.search(plain):
            continue  # Chinese prose may name an English label beside its translation
        found += [p for p in long if p in plain]
        if re.match(r"Download [a-z]", plain):  # the download menu's tooltips
            found.append(plain[:60])
    return sorted(set(found))


# --------------------------------------------------------------------------- without a build
@pytest.mark.parametrize("module", sorted(DICTIONARIES))
def test_each_edition_has_every_word_with_the_same_placeholders(module):
    words = DICTIONARIES[module]
    assert set(words) == {"en", "zh"}
    assert words["en"].keys() == words["zh"].keys(), f"{module}: keys differ between the editions"
    for key, en in words["en"].items():
        zh = words["zh"][key]
        assert type(en) is type(zh), f"{module}.{key}: one edition has a list, the other not"
        for e, z in zip(_values(en), _values(zh), strict=True):
            assert sorted(PLACEHOLDER.findall(e)) == sorted(PLACEHOLDER.findall(z)), \
                f"{module}.{key}: placeholders differ: {e!r} / {z!r}"


@pytest.mark.parametrize("module", sorted(DICTIONARIES))
def test_the_chinese_words_are_chinese(module):
    for key, zh in DICTIONARIES[module]["zh"].items():
        for value in _values(zh):
            text = re.sub(r"<[^>]+>|\{[^}]*\}", "", value)
            latin = set(LATIN_WORD.findall(text)) - LATIN_IN_CHINESE
            assert not latin, f"{module}.{key}: English in the Chinese words: {sorted(latin)} in {value!r}"
            words = re.sub(r"[\x00-\x7f·（）：；，。、]+", "", text)
            assert not words or CJK.search(words), f"{module}.{key}: {value!r} is not Chinese"
    assert CJK.search(innobook_teaching.OMITTED["zh"])


PACKAGE = {"resources": [{
    "name": "rnd", "path": "rnd.csv", "title": "R&D by year", "vintage_note": "As first published.",
    "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
    "schema": {"fields": [{"name": "value", "unit": "100 million yuan"}, {"name": "year", "unit": "calendar year"}]},
    "sources": [{"bibkey": "nbs", "publisher": "NBS", "title": "Communiqué", "date": "2024-10-02",
                 "path": "https://www.stats.gov.cn/x.html", "read_at": "https://github.com/x/y"}]}]}


def _box(lang: str, columns=("value", "year")) -> str:
    return innobook_panels._sources_html(PACKAGE, ["nbs", "other"], ["rnd"], None, list(columns), "../", lang)


def test_the_sources_box_and_downloads_are_written_in_the_editions_language():
    en = _box("en") + innobook_panels._downloads_html("page-levels", "../", True, "en")
    zh = _box("zh") + innobook_panels._downloads_html("page-levels", "../", True, "zh")
    for label in ("<strong>Data</strong>: R&amp;D by year", "; licence <a", "<strong>Vintage</strong>:",
                  "<strong>Unit</strong>: value: 100 million yuan", "<strong>Documents cited</strong> (2):",
                  "read in a saved copy at github.com", ">reference</a>", "See the <a",
                  "Download: ", "CSV (data)", "chart only (to embed)"):
        assert label in en, label
    for label in ("<strong>数据</strong>：", "；许可：<a", "<strong>数据版本</strong>：",
                  "<strong>单位</strong>：value：", "<strong>引用文献</strong>（2项）：", "存档副本",
                  ">参考文献</a>", "见<a", "下载：", "CSV（数据）", "单独的图表页（供嵌入）"):
        assert label in zh, label
    assert not english_left(zh, english_phrases()), english_left(zh, english_phrases())
    # A chart whose columns have no unit in the package: the axis titles and headings name it.
    assert "as named in the chart's axis titles" in _box("en", columns=["year"])
    assert "见图中坐标轴标题和表格列名" in _box("zh", columns=["year"])


def test_the_chart_only_page_is_written_in_the_editions_language():
    args = dict(title="T | Book", description="d", heading="T", figure="<figure></figure>",
                page="book/x.html", cid="chart-1", book="Book", chapter="Ch", slug="x-1")
    en = innobook_panels._chart_page(lang="en", **args)
    zh = innobook_panels._chart_page(lang="zh", **args)
    assert '<html lang="en">' in en and "From <a" in en and "Embed this chart with <code>" in en
    assert '<html lang="zh-CN">' in zh and "出自<a" in zh and "嵌入本图请用<code>" in zh
    assert "From" not in zh and "Embed" not in zh


def _js_locales() -> dict:
    js = (ROOT / "book" / "assets" / "innobook-charts.js").read_text(encoding="utf-8")
    block = re.search(r"var LOCALES = (\{.*?\n  \});", js, re.S)
    assert block, "the chart loader names its locales in LOCALES"
    return json.loads(re.sub(r"([{,]\s*)([A-Za-z]+):", r'\1"\2":', block.group(1)))


def test_the_chart_loader_and_the_static_images_share_the_chinese_formats():
    from innobook import charts

    zh = _js_locales()["zh"]
    assert zh["formatLocale"] == charts.ZH_FORMAT_LOCALE
    assert zh["timeFormatLocale"] == charts.ZH_TIME_FORMAT_LOCALE
    assert zh["timeFormatLocale"]["shortMonths"][9] == "10月"
    js = (ROOT / "book" / "assets" / "innobook-charts.js").read_text(encoding="utf-8")
    assert "document.documentElement.lang" in js and "vegaEmbed(live, spec, embedOptions())" in js


def test_a_static_image_writes_dates_the_editions_way():
    from innobook import charts

    spec = {"data": {"values": [{"month": "2024-03-01", "v": 12345.6}]}, "mark": "point",
            "encoding": {"x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth"},
                         "y": {"field": "v", "type": "quantitative"}}}
    assert "Mar 2024" in charts.static_svg(spec)
    zh = charts.static_svg(spec, "zh")
    assert "3月 2024" in zh and "Mar" not in zh


# --------------------------------------------------------------------------- the built site
def _first_figure(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    m = re.search(r'<figure class="innobook-chart".*?</figure>', text, re.S)
    assert m, f"{page} has no chart"
    return m.group(0)


@pytest.mark.slow
def test_a_chart_panel_shows_its_editions_labels(built_site):
    en = _first_figure(built_site / CHART_PAGE)
    zh = _first_figure(built_site / "zh" / CHART_PAGE)
    for label in ("<strong>Data</strong>:", "<strong>Unit</strong>:", "<strong>Documents cited</strong>",
                  "Download: ", ">CSV (data)</a>", ">chart only (to embed)</a>"):
        assert label in en, f"English panel: {label!r} missing"
        assert label not in zh, f"Chinese panel: {label!r} left in English"
    for label in ("<strong>数据</strong>：", "<strong>单位</strong>：", "<strong>引用文献</strong>",
                  "下载：", ">CSV（数据）</a>", ">单独的图表页（供嵌入）</a>"):
        assert label in zh, f"Chinese panel: {label!r} missing"
        assert label not in en, f"English panel: {label!r} in Chinese"
    assert "<strong>数据版本</strong>：" in zh and "<strong>Vintage</strong>:" in en


@pytest.mark.slow
def test_chart_only_pages_speak_their_editions_language(built_site):
    for folder, lang, line in ((built_site / "charts", "en", "From <a"),
                               (built_site / "zh" / "charts", "zh-CN", "出自<a")):
        pages = sorted(folder.glob("*.html"))
        assert pages, f"no chart-only page in {folder}"
        for page in pages:
            text = page.read_text(encoding="utf-8")
            assert f'<html lang="{lang}">' in text and line in text, page.name


@pytest.mark.slow
def test_no_interface_word_of_the_extensions_is_english_in_the_chinese_site(built_site):
    phrases = english_phrases()
    pages = sorted(p for p in (built_site / "zh").rglob("*.html")
                   if not {"_static", "_sources"} & set(p.relative_to(built_site).parts))
    assert len(pages) > 20, "the Chinese edition is built"
    leaks = {}
    for page in pages:
        found = english_left(page.read_text(encoding="utf-8"), phrases)
        if found:
            leaks[page.relative_to(built_site).as_posix()] = found[:8]
    assert not leaks, f"{len(leaks)} Chinese page(s) show interface words in English: {leaks}"


@pytest.mark.slow
def test_the_chinese_student_editions_say_in_chinese_where_a_solution_was(built_site):
    notebooks = sorted((built_site / "zh" / "student").glob("*.ipynb"))
    assert notebooks
    text = "".join(p.read_text(encoding="utf-8") for p in notebooks)
    assert innobook_teaching.OMITTED["zh"] in text
    assert innobook_teaching.OMITTED["en"] not in text
    english = "".join(p.read_text(encoding="utf-8") for p in (built_site / "student").glob("*.ipynb"))
    assert innobook_teaching.OMITTED["en"] in english
