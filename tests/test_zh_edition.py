"""The Chinese edition (``zh/``) beside the English one, in the built site.

Three promises a reader of either edition relies on:

* the same numbers: every glued value (``<span class="pasted-text">``) of a page holds the same
  numbers, as many times each, in the English page and in its Chinese counterpart;
* a way across: every page links to the same page of the other edition, visibly (the language
  link at the top) and for search engines (``<link rel="alternate" hreflang=...>``), in both
  directions, and the page linked to exists;
* a search that understands Chinese: 新质生产力, 创新 and 十五五 typed into either edition's search
  page (headless Chromium, ``search.html?q=...``) find every page whose text holds the term.
  Which pages hold it is read from the built pages themselves, so the test follows the text.

The site is the session's build (fixture ``built_site``, or ``INNOBOOK_TEST_SITE``).
Run just these with ``.venv/bin/python -m pytest tests/test_zh_edition.py``.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import toc_pages
from test_site_browser import CHART_TIMEOUT_MS, open_page  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PAGES = toc_pages()
#: Pages Sphinx adds to each edition besides the table of contents' ones.
SPHINX_PAGES = ["search.html", "genindex.html"]
ZH = "zh"
HREFLANG = {"en": "en", "zh": "zh-Hans"}


# --------------------------------------------------------------------------- helpers
PASTED = re.compile(r'<span class="pasted-text">(.*?)</span>', re.S)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def glued_numbers(page_html: str) -> Counter:
    """The multiset of numbers written inside a page's glued values."""
    found = Counter()
    for value in PASTED.findall(page_html):
        found.update(NUMBER.findall(html.unescape(re.sub(r"<[^>]+>", "", value))))
    return found


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def resolve(page: str, href: str) -> str:
    """A relative link on site page ``page`` as a site path (no anchor, no query)."""
    target = href.split("#", 1)[0].split("?", 1)[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), target))


def alternates(page_html: str) -> dict[str, str]:
    head = page_html.split("</head>", 1)[0]
    links = {}
    for tag in re.findall(r"<link\b[^>]*>", head):
        if 'rel="alternate"' in tag:
            lang = re.search(r'hreflang="([^"]+)"', tag)
            href = re.search(r'href="([^"]+)"', tag)
            if lang and href:
                assert lang.group(1) not in links, f"two alternates for {lang.group(1)}"
                links[lang.group(1)] = html.unescape(href.group(1))
    return links


def language_links(page_html: str) -> dict[str, str]:
    """hreflang -> href of the links in the page's language switch (``nav.innobook-language``)."""
    nav = re.search(r'<nav class="innobook-language"[^>]*>(.*?)</nav>', page_html, re.S)
    if not nav:
        return {}
    return {lang: html.unescape(href) for lang, href in
            re.findall(r'<a class="innobook-language__link"[^>]*hreflang="([^"]+)"[^>]*href="([^"]+)"',
                       nav.group(1))}


def article_text(page_html: str) -> str:
    """The words of a page's article (what the search index is made from), tags removed."""
    m = re.search(r'<article class="bd-article"[^>]*>(.*)</article>', page_html, re.S)
    body = m.group(1) if m else ""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def headings(page_html: str) -> list[str]:
    """The text of a page's h1-h3 headings."""
    return [html.unescape(re.sub(r"<[^>]+>", "", h))
            for h in re.findall(r"<h[1-3]\b[^>]*>(.*?)</h[1-3]>", page_html, re.S)]


def both(path: str) -> list[tuple[str, str, str]]:
    """(edition, site path, the other edition's site path) of a page in both editions."""
    return [("en", path, f"{ZH}/{path}"), ("zh", f"{ZH}/{path}", path)]


# --------------------------------------------------------------------------- the edition's pages
def site_pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")
            if not p.relative_to(site).as_posix().startswith(("_static/", "_sources/", "charts/", f"{ZH}/"))}


def test_the_chinese_edition_has_every_page_of_the_english_one(built_site):
    english, chinese = site_pages(built_site), site_pages(built_site / ZH)
    assert set(PAGES) <= english
    assert english == chinese, (f"only in English: {sorted(english - chinese)}; "
                                f"only in Chinese: {sorted(chinese - english)}")


# Every Chinese page is loaded offline, its charts drawn and its console watched by the page
# tests of test_site_browser.py, which run on both editions.


# --------------------------------------------------------------------------- 1. the same numbers
@pytest.mark.parametrize("path", PAGES)
def test_both_editions_show_the_same_numbers(path, built_site):
    assert (built_site / ZH / path).exists(), f"{ZH}/{path} was not built"
    english, chinese = read(built_site, path), read(built_site, f"{ZH}/{path}")
    en, zh = glued_numbers(english), glued_numbers(chinese)
    assert len(PASTED.findall(english)) == len(PASTED.findall(chinese)), \
        f"{path}: the editions paste a different number of glued values"
    assert en == zh, (f"{path}: numbers only in English {dict(en - zh)}, "
                      f"only in Chinese {dict(zh - en)}")


def test_the_number_check_sees_the_numbers():
    """The comparison reads numbers inside glued values only, and tells 1,234.5 from 1234.5."""
    page = ('<p>2024 <span class="pasted-text">1,234.5</span> and '
            '<span class="pasted-text">Shenzhen (深圳) 3.1%</span></p>')
    assert glued_numbers(page) == Counter({"1,234.5": 1, "3.1": 1})
    assert glued_numbers(page) != glued_numbers(page.replace("1,234.5", "1234.5"))


# --------------------------------------------------------------------------- 2. a way across
@pytest.mark.parametrize("path", PAGES + SPHINX_PAGES)
def test_every_page_declares_its_language(path, built_site):
    for edition, here, there in both(path):
        assert (built_site / here).exists(), f"{here} was not built"
        lang = re.search(r'<html lang="([^"]+)"', read(built_site, here)).group(1)
        assert lang == ("zh-CN" if edition == "zh" else "en"), f"{here}: <html lang={lang!r}>"


def test_with_a_public_address_the_head_names_both_editions_by_full_address():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
    import innobook_i18n

    tags = innobook_i18n.alternates("book/cities", ["en", "zh"], "https://example.org/book")
    links = alternates(tags)
    assert links == {"en": "https://example.org/book/book/cities.html",
                     "zh-Hans": "https://example.org/book/zh/book/cities.html"}
    assert innobook_i18n.alternates("book/cities", ["en", "zh"], "") == ""   # never a relative one


@pytest.mark.parametrize("path", PAGES + SPHINX_PAGES)
def test_every_page_links_to_its_counterpart(path, built_site):
    for edition, here, there in both(path):
        links = language_links(read(built_site, here))
        other = "zh" if edition == "en" else "en"
        assert list(links) == [HREFLANG[other]], f"{here}: language links {links}"
        target = resolve(here, links[HREFLANG[other]])
        assert target == there, f"{here}: the language link leads to {target}, not {there}"
        assert (built_site / target).is_file(), f"{here}: the language link's target {target} does not exist"


def test_a_reader_crosses_to_the_other_edition_and_back(open_page, site_url):
    page, watch = open_page("book/generated/rnd_growth.html")
    link = page.locator("nav.innobook-language a[hreflang='zh-Hans']")
    assert link.is_visible() and link.inner_text() == "简体中文"
    link.click()
    page.wait_for_url(f"{site_url}/zh/book/generated/rnd_growth.html")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    back = page.locator("nav.innobook-language a[hreflang='en']")
    assert back.is_visible() and back.inner_text() == "English"
    back.click()
    page.wait_for_url(f"{site_url}/book/generated/rnd_growth.html")
    watch.assert_clean("crossing between the editions")


# --------------------------------------------------------------------------- 3. search
TERMS = ["新质生产力", "创新", "十五五"]


def search(open_page, edition: str, term: str):
    """Run a search on the edition's search page; returns (pages found, in order; the words the
    page's query splitter made of the term)."""
    prefix = f"{ZH}/" if edition == "zh" else ""
    page, watch = open_page(f"{prefix}search.html?q={quote(term)}")
    # Sphinx writes the summary under the results once the search has finished (its pulsing
    # dots are no sign: a pending tick can restart them after the search stopped them)
    page.wait_for_function(
        "() => typeof Search !== 'undefined' && Search.status && Search.status.innerText.trim() !== ''",
        timeout=CHART_TIMEOUT_MS)
    hrefs = page.eval_on_selector_all("#search-results ul.search li > a", "as => as.map(a => a.href)")
    words = page.evaluate("(q) => splitQuery(q)", term)
    watch.assert_clean(f"{prefix}search.html?q={term}")
    root = page.url.split("search.html", 1)[0]
    found = list(dict.fromkeys(h.removeprefix(root).split("#", 1)[0] for h in hrefs))
    return found, words


@pytest.mark.parametrize("edition, term", [(e, t) for e in ("zh", "en") for t in TERMS])
def test_search_finds_every_page_that_holds_the_term(edition, term, built_site, open_page):
    prefix = f"{ZH}/" if edition == "zh" else ""
    counts = {p: article_text(read(built_site, prefix + p)).count(term) for p in PAGES}
    holding = {p for p, n in counts.items() if n}
    assert holding, f"no {edition} page holds {term}: the test has nothing to look for"
    found, words = search(open_page, edition, term)
    assert found, f"searching {term} in the {edition} edition found nothing (query split into {words})"
    missing = sorted(holding - set(found), key=lambda p: -counts[p])
    assert not missing, (f"searching {term} in the {edition} edition (split into {words}) missed "
                         f"pages that hold it: {[(p, counts[p]) for p in missing]}")
    # a page with the term in a heading (Sphinx ranks those first) is among the first results
    headed = [p for p in holding if any(term in h for h in headings(read(built_site, prefix + p)))]
    if headed:
        assert set(found[:3]) & set(headed), \
            f"pages with {term} in a heading {headed} are not among the first results {found[:3]}"
    # the book's own terms are words of the index (locales/zh_CN/search_words.txt), so the query
    # is searched whole, not as 十五 + 五
    assert words == [term], f"{term} was split into {words}"
    # Sphinx also matches index words that merely begin with the query; most of what is found
    # must hold the term itself.
    strays = [p for p in found if p not in holding]
    assert len(strays) <= len(found) // 4, \
        f"searching {term} in the {edition} edition found pages without it: {strays}"


def test_a_word_in_neither_edition_finds_nothing(open_page):
    for edition in ("zh", "en"):
        found, _ = search(open_page, edition, "饕餮纹")
        assert found == [], f"{edition}: a word the book never uses found {found}"
