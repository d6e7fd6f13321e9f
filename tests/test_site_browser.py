"""The built site in a real browser: Debian's Chromium driven by Playwright, fully offline.

The site is built once per session in a scratch copy (fixture ``built_site``) and served on
127.0.0.1. Every request to any other host is blocked and counted. Each page of the table of
contents (whatever chapters exist) must load with no failed request, no console error and no
request to another host, and every chart on it must turn into a drawn, non-empty view.
Other tests cover the reader's promises: charts without JavaScript and in print, exercise
solutions that open, a working search, glossary links, and the reproduction tables.

Screenshots of every page and a printed chapter go to ``test-artifacts/`` (git-ignored).
Run just these with ``.venv/bin/python -m pytest -m browser``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from conftest import CHROMIUM, FLAGS, ROOT, toc_pages  # noqa: F401  (re-exported for other browser tests)

pytestmark = pytest.mark.browser

CHART_TIMEOUT_MS = 30_000


# every page of the table of contents, plus the pages Sphinx adds
ENGLISH_PAGES = list(dict.fromkeys(toc_pages() + ["search.html", "genindex.html"]))
# ... and each of them in the Chinese edition, when it is published
ZH_PUBLISHED = (yaml.safe_load((ROOT / "locales" / "zh_CN" / "edition.yml").read_text(encoding="utf-8"))
                or {}).get("published", False)
PAGES = ENGLISH_PAGES + (["zh/" + p for p in ENGLISH_PAGES] if ZH_PUBLISHED else [])


# --------------------------------------------------------------------------- browser fixtures
# The session's one browser (fixture ``browser``) lives in conftest.py: Playwright's sync API
# allows one running instance per process, so every browser test module shares it.


class Watch:
    """Everything a page did that a reader would not want: failures, errors, other hosts."""

    def __init__(self, page, origin: str, javascript: bool = True):
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        host = urlparse(origin).netloc

        def route(r):
            url = r.request.url
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about") or parsed.netloc == host:
                r.continue_()
            else:
                self.external.append(url)
                r.abort("blockedbyclient")

        page.route("**/*", route)
        def failed(req):
            # With JavaScript off, Chromium refuses the theme's script preloads ("csp"): expected.
            if req.url in self.external or (not javascript and req.failure == "csp"):
                return
            self.failed.append(f"{req.url}: {req.failure}")

        page.on("requestfailed", failed)
        page.on("response", lambda res: res.status >= 400 and self.failed.append(f"{res.url}: HTTP {res.status}"))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def assert_clean(self, what: str) -> None:
        assert not self.external, f"{what} asked other hosts for {self.external}"
        assert not self.failed, f"{what} had failed requests: {self.failed}"
        assert not self.errors, f"{what} logged console errors: {self.errors}"


@pytest.fixture
def open_page(browser, site_url):
    """Open a site page in a fresh context (empty storage, as a first visit); yields (page, watch)."""
    contexts = []

    def _open(path: str, *, javascript: bool = True, width: int = 1280, height: int = 900):
        ctx = browser.new_context(java_script_enabled=javascript,
                                  viewport={"width": width, "height": height})
        contexts.append(ctx)
        page = ctx.new_page()
        watch = Watch(page, site_url, javascript)
        page.goto(f"{site_url}/{path}", wait_until="load")
        return page, watch

    yield _open
    for ctx in contexts:
        ctx.close()


def read_through(page) -> None:
    """Scroll down the page as a reader would: charts and formulas are made as they come near."""
    step = page.viewport_size["height"] if page.viewport_size else 900
    # Charts become interactive after the reader's first move (the static image serves until then).
    page.mouse.move(5, 5)
    page.mouse.move(40, 40)
    y = 0
    # Charts replace their images as they near the screen, so the page may change height as
    # it is read: measure its height again at every step.
    while y < page.evaluate("() => document.documentElement.scrollHeight") + step:
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(60)
        y += step


def wait_for_charts(page) -> int:
    n = page.locator("figure.innobook-chart").count()
    if n:
        read_through(page)
        page.wait_for_function(
            "() => [...document.querySelectorAll('figure.innobook-chart')].every(f => f.dataset.rendered)",
            timeout=CHART_TIMEOUT_MS)
    return n


def wait_for_math(page) -> None:
    """Every formula typeset (MathJax is loaded, and typesets, as formulas come into view)."""
    maths = page.locator("div.math, span.math")
    for i in range(maths.count()):
        maths.nth(i).scroll_into_view_if_needed()
        maths.nth(i).locator("mjx-container").wait_for(state="attached", timeout=CHART_TIMEOUT_MS)


def shot_name(path: str) -> str:
    return path.replace("/", "__").removesuffix(".html") + ".png"


# --------------------------------------------------------------------------- every page
def test_the_toc_covers_every_page_of_the_site(built_site):
    """No page escapes the page tests below: each HTML page of the site is in the list."""
    site_pages = set()
    for path in built_site.rglob("*.html"):
        rel = path.relative_to(built_site).as_posix()
        if rel.startswith(("_static/", "_sources/", "charts/", "zh/_static/", "zh/_sources/", "zh/charts/")) \
                or rel in ("index.html", "zh/index.html"):
            continue
        site_pages.add(rel)
    assert site_pages <= set(PAGES), f"pages not tested: {sorted(site_pages - set(PAGES))}"
    assert "book/generated/rnd_growth.html" in PAGES


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_errors_and_every_chart_renders(path, built_site, open_page, artifacts):
    assert (built_site / path).exists(), f"{path} is in _toc.yml but the build did not write it"
    page, watch = open_page(path)
    assert page.locator("main").count() == 1 or path == "genindex.html"
    charts = wait_for_charts(page)
    wait_for_math(page)
    if charts:
        states = page.eval_on_selector_all("figure.innobook-chart", "fs => fs.map(f => f.dataset.rendered)")
        assert states == ["true"] * charts, f"charts not rendered: {states}"
        views = page.eval_on_selector_all(
            "figure.innobook-chart .innobook-chart__view",
            """vs => vs.map(v => {
                 const g = v.querySelector('svg, canvas');
                 if (!g) return null;
                 const r = g.getBoundingClientRect();
                 return {w: r.width, h: r.height, marks: g.querySelectorAll('path, rect, line, text, symbol').length};
               })""")
        for i, view in enumerate(views):
            assert view and view["w"] > 100 and view["h"] > 50, f"chart {i} has no drawn view: {view}"
            assert view["marks"] > 5, f"chart {i} is empty: {view}"
    assert page.locator("mjx-merror").count() == 0, "MathJax reported an error"
    page.screenshot(path=str(artifacts / "pages" / shot_name(path)), full_page=True)
    watch.assert_clean(path)


def test_the_root_redirects_to_the_first_page(open_page):
    page, watch = open_page("")
    page.wait_for_url(re.compile(r"book/intro\.html$"))
    watch.assert_clean("index.html")


def test_a_phone_sized_window_shows_the_chapter_without_sideways_scrolling(open_page, artifacts):
    page, watch = open_page("book/generated/rnd_growth.html", width=390, height=844)
    wait_for_charts(page)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
    page.screenshot(path=str(artifacts / "mobile-rnd_growth.png"), full_page=True)
    watch.assert_clean("rnd_growth on a phone")


# --------------------------------------------------------------------------- charts for every reader
CHART_PAGES = [p for p in PAGES if p.startswith(("book/generated/", "zh/book/generated/"))]


@pytest.mark.parametrize("path", CHART_PAGES)
def test_charts_show_their_static_image_without_javascript(path, open_page, artifacts):
    page, watch = open_page(path, javascript=False)
    figures = page.locator("figure.innobook-chart")
    for i in range(figures.count()):
        fig = figures.nth(i)
        img = fig.locator(".innobook-chart__view img")
        assert img.is_visible(), f"chart {i}: no visible static image without JavaScript"
        size = img.evaluate("i => [i.naturalWidth, i.naturalHeight, i.complete]")
        assert size[0] > 100 and size[1] > 50 and size[2], f"chart {i}: static image did not load {size}"
        assert img.get_attribute("alt").strip(), f"chart {i}: static image has no alt text"
        assert fig.locator("figcaption a[href*='references.html#cite-']").count() > 0, \
            f"chart {i}: source line does not link to the bibliography"
    page.screenshot(path=str(artifacts / "nojs" / shot_name(path)), full_page=True)
    watch.assert_clean(f"{path} without JavaScript")


@pytest.mark.parametrize("path", CHART_PAGES)
def test_print_shows_every_chart_as_its_static_image(path, open_page, artifacts):
    page, watch = open_page(path)
    n = wait_for_charts(page)
    page.emulate_media(media="print")
    printed = page.eval_on_selector_all(
        "figure.innobook-chart",
        """fs => fs.map(f => {
             const img = f.querySelector('.innobook-chart__print img');
             const live = f.querySelector('.innobook-chart__view');
             return {img: !!img && img.naturalWidth > 0 && img.getBoundingClientRect().height > 50,
                     liveHidden: getComputedStyle(live).display === 'none'};
           })""")
    assert printed == [{"img": True, "liveHidden": True}] * n, printed
    pdf = artifacts / "print" / shot_name(path).replace(".png", ".pdf")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 10_000
    for old in pdf.parent.glob(pdf.stem + "-*.png"):
        old.unlink()
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(pdf.with_suffix(""))], check=True)
        assert list(pdf.parent.glob(pdf.stem + "-*.png")), "pdftoppm drew no page"
    watch.assert_clean(f"{path} printed")


# --------------------------------------------------------------------------- reading features
def test_exercise_solutions_start_hidden_and_open_on_click(open_page):
    checked = 0
    for path in CHART_PAGES:
        page, watch = open_page(path)
        solutions = page.locator("div.solution.dropdown")
        for i in range(solutions.count()):
            sol = solutions.nth(i)
            body = sol.locator(":scope > :not(.admonition-title)").first
            assert not body.is_visible(), f"{path}: solution {i} is shown before it is asked for"
            sol.locator(".admonition-title").click()
            body.wait_for(state="visible", timeout=5_000)
            checked += 1
        watch.assert_clean(path)
    assert checked > 0, "no exercise solution found in any chapter"


def test_search_finds_a_known_word(open_page):
    page, watch = open_page("search.html?q=innovation")
    page.wait_for_selector("#search-results ul.search li", timeout=CHART_TIMEOUT_MS)
    hits = page.locator("#search-results ul.search li a").all_inner_texts()
    assert hits, "no search result for 'innovation'"
    page, watch2 = open_page("search.html?q=xqzzyvv")
    page.wait_for_function(
        "() => document.querySelector('#search-results p') !== null", timeout=CHART_TIMEOUT_MS)
    assert page.locator("#search-results ul.search li").count() == 0
    watch.assert_clean("search")
    watch2.assert_clean("search with no hit")


def test_navigation_links_lead_to_every_chapter(open_page, site_url):
    page, watch = open_page("book/intro.html")
    hrefs = page.eval_on_selector_all("nav.bd-docs-nav a.reference.internal", "as => as.map(a => a.href)")
    targets = {urlparse(h).path.lstrip("/") for h in hrefs}
    wanted = {p for p in PAGES if p.startswith("book/") and p != "book/intro.html"}
    assert wanted <= targets, f"not in the navigation: {sorted(wanted - targets)}"
    watch.assert_clean("navigation")


def test_glossary_terms_are_linked_from_the_pages(built_site):
    glossary = (built_site / "book" / "glossary.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<dt id="(term-[^"]+)"', glossary))
    assert anchors, "the glossary defines terms"
    linked = set()
    for page in built_site.rglob("*.html"):
        linked |= set(re.findall(r'href="[^"]*glossary\.html#(term-[^"]+)"', page.read_text(encoding="utf-8")))
    assert linked, "no page links a term to the glossary"
    assert linked <= anchors, f"links to missing terms: {sorted(linked - anchors)}"


def test_reproduce_page_lists_every_run_figure_and_pinned_version(built_site):
    from innobook.pipeline.params import load_declarations, load_runs

    page = (built_site / "book" / "reproduce.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page)
    src = built_site.parent.parent
    runs = load_runs(src, load_declarations(src))
    for run in runs:
        assert f"book/generated/results/{run.run_id}.json" in text, run.run_id
    for line in (src / "requirements.txt").read_text().splitlines():
        m = re.match(r"^(jupyter-book|altair|pandas|vl-convert-python)==(\S+)", line.strip())
        if m:
            assert re.search(rf"{re.escape(m.group(1))}\s+{re.escape(m.group(2))}", text), m.group(0)
    assert "innobook-figure-list" in page and text.count("notebooks/") >= len(runs)


def test_data_files_are_served_with_the_site(built_site, open_page):
    import json

    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    for res in package["resources"]:
        paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
        for rel in paths:
            served = built_site / "data" / rel
            assert served.exists(), f"data/{rel} is not in the site"
            assert served.read_bytes() == (ROOT / "data" / rel).read_bytes()
    page, watch = open_page("book/generated/rnd_growth.html")
    links = page.eval_on_selector_all("a.innobook-data-link", "as => as.map(a => a.href)")
    assert links, "the chapter links to its data files"
    for href in links:
        assert page.request.get(href).ok, href
    watch.assert_clean("data links")


def test_no_invented_repository_address_while_none_is_configured(built_site):
    config = yaml.safe_load((built_site.parent.parent / "_config.yml").read_text(encoding="utf-8"))
    if (config.get("repository") or {}).get("url"):
        pytest.skip("a repository URL is configured")
    signs = ("mybinder.org", "colab.research.google.com", "/hub/user-redirect", "repository-button",
             "issues-button", "/issues/new")
    for page in built_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for sign in signs:
            assert sign not in html, f"{page.name} has {sign!r} though no repository is set"


# --------------------------------------------------------------------------- chart panels
def _figures(page: Path):
    """(figure HTML, Vega-Lite spec) of every chart on a page (the spec is a file beside the charts)."""
    import json

    out = []
    for fig in re.findall(r'<figure class="innobook-chart".*?</figure>', page.read_text(encoding="utf-8"), re.S):
        m = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', fig, re.S)
        if m:
            out.append((fig, json.loads(m.group(1).replace("<\\/", "</"))))
            continue
        url = re.search(r'data-spec-url="([^"]+)"', fig).group(1)
        out.append((fig, json.loads((page.parent / url).read_text(encoding="utf-8"))))
    return out


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_has_three_tabs_three_downloads_and_its_data_as_csv(path, built_site):
    import csv
    import io
    from urllib.parse import urljoin

    page = built_site / path
    figures = _figures(page)
    for i, (fig, spec) in enumerate(figures):
        tabs = re.findall(r'class="innobook-chart__tab innobook-chart__tab--(\w+)"', fig)
        assert tabs == ["chart", "table", "sources"], f"chart {i}: tabs {tabs}"
        assert "<table" in fig.split("innobook-chart__panel--table", 1)[1].split("innobook-chart__panel--sources")[0], \
            f"chart {i}: the Table tab holds no table"
        sources = fig.split("innobook-chart__panel--sources", 1)[1]
        cited = "引用文献" if path.startswith("zh/") else "Documents cited"
        assert cited in sources and "references.html#cite-" in sources, f"chart {i}: Sources tab not filled"
        downloads = re.search(r'<span class="innobook-chart__downloads">(.*?)</span>', fig, re.S)
        assert downloads, f"chart {i}: no downloads"
        links = dict(re.findall(r'<a href="([^"]+\.(png|svg|csv))" download>', downloads.group(1)))
        kinds = sorted(links.values())
        assert kinds == ["csv", "png", "svg"], f"chart {i}: downloads {kinds}"
        files = {kind: (page.parent / href).resolve() for href, kind in links.items()}
        for kind, f in files.items():
            assert f.exists() and f.stat().st_size > 0, f"chart {i}: {kind} download missing ({f})"
        assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert files["svg"].read_text(encoding="utf-8").lstrip().startswith("<svg")
        panel = spec["usermeta"]["innobook"]["panel"]
        rows = list(csv.reader(io.StringIO(files["csv"].read_text(encoding="utf-8"))))
        assert rows[0] == [h for _, h in panel["columns"]], f"chart {i}: CSV header"
        drawn = spec["datasets"][panel["dataset"]] if panel["dataset"] in spec.get("datasets", {}) else []
        assert len(rows) - 1 == len(drawn), f"chart {i}: CSV has {len(rows) - 1} rows, the chart {len(drawn)}"
        for got, record in zip(rows[1:], drawn):
            want = ["" if record.get(c) is None else str(record.get(c)) for c, _ in panel["columns"]]
            norm = [g if g != w and _same_number(g, w) is False else w for g, w in zip(got, want)]
            assert norm == want, f"chart {i}: CSV row {got} differs from the chart's data {want}"
        assert re.search(r'href="[^"]*charts/[^"]+\.html"', fig), f"chart {i}: no chart-only page link"


def _same_number(a: str, b: str):
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except ValueError:
        return False


def test_chart_panel_tabs_work_with_javascript_off(built_site, open_page):
    with_charts = [p for p in CHART_PAGES if (built_site / p).exists()
                   and 'class="innobook-chart"' in (built_site / p).read_text(encoding="utf-8")]
    assert with_charts, "no page with a chart"
    for path in with_charts[:3]:
        _check_tabs_without_javascript(path, open_page)


def _check_tabs_without_javascript(path, open_page):
    page, watch = open_page(path, javascript=False)
    fig = page.locator("figure.innobook-chart").first
    fig.scroll_into_view_if_needed()
    chart = fig.locator(".innobook-chart__panel--chart")
    table = fig.locator(".innobook-chart__panel--table")
    sources = fig.locator(".innobook-chart__panel--sources")
    assert chart.is_visible() and not table.is_visible() and not sources.is_visible()
    fig.locator("label", has_text="Table").click()
    assert table.is_visible() and not chart.is_visible()
    assert table.locator("td").count() > 0
    fig.locator("label", has_text="Sources").click()
    assert sources.is_visible() and not table.is_visible()
    assert sources.locator("a[href*='references.html#cite-']").count() > 0
    fig.locator("label", has_text="Chart").click()
    assert chart.is_visible()
    page.emulate_media(media="print")
    assert chart.is_visible() and sources.is_visible(), "on paper a chart shows with its sources"
    assert not fig.locator("label", has_text="Table").is_visible(), "no tabs on paper"
    watch.assert_clean(f"{path} tabs without JavaScript")


def test_a_views_state_is_kept_in_its_address_and_survives_a_reload(open_page, site_url):
    from urllib.parse import parse_qs, urlparse

    page, watch = open_page("book/generated/rnd_growth.html?levels.vintage=preliminary")
    fig = page.locator('figure.innobook-chart[data-key="levels"]')
    assert fig.count() == 1, "the levels chart is named 'levels'"
    fig.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('figure[data-key=\"levels\"]').dataset.rendered === 'true'",
        timeout=CHART_TIMEOUT_MS)
    state = fig.evaluate("f => JSON.parse(f.dataset.state)")
    assert state == {"vintage": "preliminary"}, "the address sets the control"
    assert fig.locator("input[type=radio][value=preliminary]").is_checked()
    fig.locator("input[type=radio][value=final]").check()
    page.wait_for_function("() => !location.search.includes('levels.vintage')", timeout=5_000)
    fig.locator("input[type=radio][value=preliminary]").check()
    page.wait_for_function("() => location.search.includes('levels.vintage=preliminary')", timeout=5_000)
    assert parse_qs(urlparse(page.url).query) == {"levels.vintage": ["preliminary"]}
    page.reload(wait_until="load")
    fig = page.locator('figure.innobook-chart[data-key="levels"]')
    fig.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelector('figure[data-key=\"levels\"]').dataset.rendered === 'true'",
        timeout=CHART_TIMEOUT_MS)
    assert fig.evaluate("f => JSON.parse(f.dataset.state)") == {"vintage": "preliminary"}
    assert fig.locator("input[type=radio][value=preliminary]").is_checked()
    bars = fig.locator(".innobook-chart__live svg path[aria-roledescription='bar']")
    assert bars.count() > 0
    watch.assert_clean("a shared view")


def test_chart_only_pages_load_offline_and_draw_their_chart(built_site, open_page):
    pages = sorted((built_site / "charts").glob("*.html"))
    assert pages, "the build writes a chart-only page per figure"
    for path in pages[:4]:
        page, watch = open_page(f"charts/{path.name}")
        page.wait_for_timeout(300)
        assert page.eval_on_selector("figure.innobook-chart", "f => f.dataset.rendered") is None, \
            "opening a page costs no chart script: the image serves until the reader moves"
        page.mouse.move(5, 5)
        page.mouse.move(40, 40)
        page.wait_for_function("() => document.querySelector('figure.innobook-chart').dataset.rendered",
                               timeout=CHART_TIMEOUT_MS)
        assert page.eval_on_selector("figure.innobook-chart", "f => f.dataset.rendered") == "true"
        back = page.locator(".innobook-chart-page__from a").first.get_attribute("href")
        assert back.startswith("../book/") and (built_site / back[3:].split("#")[0]).exists()
        watch.assert_clean(f"charts/{path.name}")
