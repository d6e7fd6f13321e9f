"""Markup planted in the data never executes in a real browser (fault class 3 of the fault suite).

A scratch book with one chapter that shows the first rows of every table of the data package.
Markup is planted in every free-text cell of those rows (the values pass validation: a table
may hold any text) and the book is built; then markup is planted in every text field of
``datapackage.json`` as well (titles, descriptions, vintage notes, sources, licences, field
descriptions and units), which validation refuses, so the site is rendered from the executed
chapter directly, as a build would if validation had been skipped. Chromium then loads the
pages that show those texts (the chapter with its download menu and its tables, the Data page,
the reproduction guide, and a search for a planted word) and checks that no planted script
ran, that no element carries a planted event handler, and that the planted text is shown as
text.

About 2 minutes on 2 busy cores: one build (one notebook reading every table, the site), one
more rendering of the site, then Chromium.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_faults import innobook, notebook, tiny_project
from test_site_browser import Watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROBE = "xssprobe"
PAYLOADS = [
    f"{PROBE} <img src=x onerror=\"window.__innobookXss=(window.__innobookXss||0)+1\">",
    f"{PROBE} <script>window.__innobookXss=(window.__innobookXss||0)+1</script>",
    f"{PROBE} \"><svg onload=\"window.__innobookXss=(window.__innobookXss||0)+1\">",
    f"{PROBE} '><iframe srcdoc='<script>parent.__innobookXss=1</script>'></iframe>",
    f"{PROBE} {{cite:p}}`no_such_key` <b>bold</b> &amp; `code`",
]
TEXT_KEYS = ("title", "description", "vintage_note", "publisher", "note", "unit")
# A section title short enough for Sphinx's search to match it whole (the query must be at least
# half the title), so the search page lists it as a title.
TITLE = "<img src=x onerror=window.__innobookXss=1>"


def _payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def _plant_tables(root: Path, package: dict) -> int:
    """Markup in every free-text cell of the first three data rows of every table."""
    import csv
    import io

    planted = 0
    for res in package["resources"]:
        ruled = {r.get(k) for r in res.get("rules", []) for k in ("indicatorField", "unitField", "valueField", "field")}
        pk = res["schema"].get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else pk
        free = [f["name"] for f in res["schema"]["fields"]
                if f.get("type", "string") == "string" and f["name"] not in ruled and f["name"] not in pk
                and "date" not in f["name"]
                and not set(f.get("constraints", {})) & {"enum", "pattern", "maxLength", "unique"}]
        path = root / "data" / res["path"]
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        for r in range(1, min(4, len(rows))):
            for name in free:
                rows[r][rows[0].index(name)] = _payload(planted)
                planted += 1
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
    return planted


def _plant_metadata(package: dict) -> int:
    planted = 0

    def walk(node):
        nonlocal planted
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key in TEXT_KEYS and isinstance(value, str):
                    node[key] = _payload(planted)
                    planted += 1
                elif key not in ("constraints", "rules"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(package)
    return planted


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    import nbformat

    root = tiny_project(tmp_path_factory.mktemp("hostile") / "book")
    package_path = root / "data" / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    names = [r["name"] for r in package["resources"]]
    show = notebook([("#md # Every table\n\nThe first rows of each table.", None), ("rows = 3", ["parameters"]),
                     ("from IPython.display import display\nfrom innobook import data\n"
                      f"for name in {names!r}:\n    display(data.load(name).head(rows))", None)])
    nbformat.write(show, root / "notebooks" / "show.ipynb")
    (root / "notebooks" / "show.params.yml").write_text(
        f"title: Every table\nreads: {json.dumps(names)}\nparameters:\n"
        "  rows: {type: int, min: 1, max: 3, default: 3, help: Rows shown.}\n")
    (root / "notebooks" / "runs.yml").write_text("runs:\n  - notebook: show\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/start\nchapters:\n  - file: book/generated/show\n"
        "  - file: book/reproduce\n  - file: book/data\n  - file: book/references\n")
    assert _plant_tables(root, package) > 20
    built = innobook(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    assert _plant_metadata(package) > 50
    package["resources"][0]["title"] = TITLE
    package_path.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")
    refused = innobook(root, "check")
    assert refused.returncode == 2 and "no markup in metadata" in refused.stderr, refused.stderr
    render = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom pathlib import Path\nfrom innobook.pipeline.build import build_site\n"
                               "build_site(Path(sys.argv[1]), force=True)", str(root)],
        cwd=root, env={**os.environ, "INNOBOOK_ROOT": str(root)}, capture_output=True, text=True)
    assert render.returncode == 0, render.stdout + render.stderr
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def hostile_url(hostile_site):
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(hostile_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


NOTHING_RAN = """() => ({
    ran: window.__innobookXss === undefined ? 0 : window.__innobookXss,
    handlers: document.querySelectorAll('[onerror], [onload], iframe[srcdoc]').length,
    text: document.body.innerText,
})"""


@pytest.mark.parametrize("path, shown", [
    ("book/generated/show.html", True), ("book/data.html", True), ("book/reproduce.html", False),
    ("book/start.html", False), (f"search.html?q={PROBE}", True),
])
def test_planted_markup_never_executes(browser, hostile_url, path, shown):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        Watch(page, hostile_url)
        page.goto(f"{hostile_url}/{path}", wait_until="load")
        if path.startswith("search"):
            page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        for menu in page.locator("button.dropdown-toggle").all():  # the download menu and its tooltips
            if menu.is_visible():
                menu.click()
                for item in page.locator(".dropdown-menu.show a").all():
                    item.hover()
        page.wait_for_timeout(700)
        state = page.evaluate(NOTHING_RAN)
        assert state["ran"] == 0 and not dialogs, f"planted script ran on {path}"
        assert state["handlers"] == 0, f"an element with a planted event handler exists on {path}"
        if shown:
            assert PROBE in state["text"] and "<img src=x" in state["text"], \
                f"the planted text is not shown as text on {path}"
    finally:
        ctx.close()


def test_search_results_show_titles_as_text(browser, hostile_url):  # noqa: F811
    from urllib.parse import quote

    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"{hostile_url}/search.html?q={quote(TITLE)}", wait_until="load")
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        page.wait_for_timeout(700)
        titles = page.locator("#search-results ul.search li a").all_inner_texts()
        assert any(TITLE in t for t in titles), f"the planted title is not listed as text: {titles}"
        assert page.evaluate("() => window.__innobookXss") is None, "a search result title ran a script"
        assert page.locator("#search-results img, #search-results svg, #search-results script").count() == 0
    finally:
        ctx.close()
