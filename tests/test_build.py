"""End-to-end: the whole book is built from a scratch copy of the project.

These tests run the README's build command for real (papermill, then Jupyter Book) and
check the promises of the pipeline: a no-op rebuild executes nothing, a failing notebook
leaves the last good site untouched, two clean builds are identical, no page asks another
host for anything, and `verify` catches a changed result.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, copy_project
from innobook.pipeline import notebook_io

pytestmark = pytest.mark.slow


def innobook(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "INNOBOOK_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "innobook", *args], cwd=root, env=env,
                          capture_output=True, text=True)


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("first") / "book")
    proc = innobook(root, "build")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


@pytest.fixture(scope="module")
def built_again(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("second") / "book")
    proc = innobook(root, "build")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def run_ids(root: Path) -> list[str]:
    from innobook.pipeline.params import load_declarations, load_runs
    return [r.run_id for r in load_runs(root, load_declarations(root))]


def test_clean_build_writes_site_notebooks_and_results(built):
    assert (built / "_build" / "html" / "index.html").exists()
    for run_id in run_ids(built):
        nb = nbformat.read(built / "book" / "generated" / f"{run_id}.ipynb", as_version=4)
        assert notebook_io.problems(nb) == []
        results = json.loads((built / "book" / "generated" / "results" / f"{run_id}.json").read_text())
        assert results["run"] == run_id and results["results"], "key results recorded"
        page = built / "_build" / "html" / "book" / "generated" / f"{run_id}.html"
        assert page.exists()


def test_parameter_cells_are_not_rendered(built):
    page = (built / "_build" / "html" / "book" / "generated" / "rnd_growth.html").read_text()
    assert "window_start = 2020" not in page, "the parameters cell is removed from the page"
    assert "Parameters" not in page or "injected" not in page.lower()


PLUMBING = re.compile(r"key_result|sentence\(|glue\(|def say|innobook\.report|innobook\.pipeline|myst_nb|"
                      r"cell above holds")


def rendered_pages(site: Path) -> list[Path]:
    return [p for p in sorted(site.rglob("*.html"))
            if not {"_sources", "_static", "_vendor"} & set(p.relative_to(site).parts)]


def test_no_rendered_page_shows_plumbing(built):
    site = built / "_build" / "html"
    shown = {p.relative_to(site).as_posix(): PLUMBING.findall(p.read_text()) for p in rendered_pages(site)}
    assert {page: hits for page, hits in shown.items() if hits} == {}


def test_each_page_lists_its_parameters_and_the_command_that_reruns_it(built):
    from innobook.pipeline.params import load_declarations, load_runs
    for run in load_runs(built, load_declarations(built)):
        if not run.parameters:
            continue
        page = (built / "_build" / "html" / "book" / "generated" / f"{run.run_id}.html").read_text()
        box = page[page.index("innobook-params"):]
        assert f"python -m innobook run notebooks/{run.notebook.name}.ipynb" in box, run.run_id
        for name in run.parameters:
            assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{name}</span></code>" in box, \
                (run.run_id, name)


def test_a_template_that_shows_plumbing_is_refused(tmp_path):
    root = copy_project(tmp_path / "book")
    path = root / "notebooks" / "lighthouse.ipynb"
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("tags"))
    first.source += "\nkey_result('visible', 1)"
    nbformat.write(nb, path)
    proc = innobook(root, "check")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "calls key_result()" in proc.stderr + proc.stdout and "remove-cell" in proc.stderr + proc.stdout


def test_glued_numbers_appear_in_the_prose(built):
    results = json.loads((built / "book" / "generated" / "results" / "rnd_growth.json").read_text())["results"]
    page = (built / "_build" / "html" / "book" / "generated" / "rnd_growth.html").read_text()
    page = re.sub(r"<[^>]+>", "", page)
    assert f"{results['growth_final_pct']:.1f}%" in page
    assert f"{results['growth_prelim_on_final_pct']:.1f}%" in page


def test_noop_rebuild_executes_nothing_and_keeps_the_site(built):
    before = tree_digest(built / "_build" / "html")
    proc = innobook(built, "build")
    assert proc.returncode == 0, proc.stderr
    assert "executed 0" in proc.stdout and "Site is up to date" in proc.stdout
    assert tree_digest(built / "_build" / "html") == before


def test_failing_notebook_stops_the_build_and_leaves_the_last_good_site(built):
    template = built / "notebooks" / "rnd_growth.ipynb"
    original = template.read_text()
    site_before = tree_digest(built / "_build" / "html")
    generated_before = (built / "book" / "generated" / "rnd_growth.ipynb").read_text()
    nb = nbformat.read(template, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    bad = nbformat.v4.new_code_cell("ratio = 1 / 0")
    bad.pop("id", None)
    nb.cells.insert(nb.cells.index(code_cells[2]) + 1, bad)
    nbformat.write(nb, template)
    try:
        proc = innobook(built, "build")
    finally:
        template.write_text(original)
    assert proc.returncode == 1
    assert "notebooks/rnd_growth.ipynb failed in code cell 4" in proc.stderr
    assert "ZeroDivisionError: division by zero" in proc.stderr
    assert "ratio = 1 / 0" in proc.stderr
    kept = built / "_build" / "failed" / "rnd_growth.ipynb"
    assert kept.exists() and "ZeroDivisionError" in kept.read_text()
    assert tree_digest(built / "_build" / "html") == site_before, "the last good site is untouched"
    assert (built / "book" / "generated" / "rnd_growth.ipynb").read_text() == generated_before


def test_two_clean_builds_are_identical(built, built_again):
    for run_id in run_ids(built):
        a = built / "book" / "generated"
        b = built_again / "book" / "generated"
        assert (a / "results" / f"{run_id}.json").read_text() == (b / "results" / f"{run_id}.json").read_text()
        charts_a = notebook_io.chart_outputs(nbformat.read(a / f"{run_id}.ipynb", as_version=4))
        charts_b = notebook_io.chart_outputs(nbformat.read(b / f"{run_id}.ipynb", as_version=4))
        assert charts_a == charts_b, f"{run_id}: same chart specifications and ids"
        assert (a / f"{run_id}.ipynb").read_text() == (b / f"{run_id}.ipynb").read_text(), \
            f"{run_id}: executed notebooks are identical"
    pages_a = {k: v for k, v in tree_digest(built / "_build" / "html").items() if k.endswith(".html")}
    pages_b = {k: v for k, v in tree_digest(built_again / "_build" / "html").items() if k.endswith(".html")}
    assert pages_a == pages_b, "rendered pages are byte-identical"


def test_pages_carry_no_timestamps(built):
    """No page records when it was built (dates inside chart data are data, not stamps)."""
    import datetime

    today = datetime.date.today()
    stamps = [today.isoformat(), today.strftime("%b %d, %Y"), today.strftime("%d %B %Y"), "Last updated"]
    for page in (built / "_build" / "html").rglob("*.html"):
        text = page.read_text()
        assert not any(s in text for s in stamps), page.name


class _References(HTMLParser):
    """Collect every address a page loads (scripts, styles, fonts, images, frames)."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href") and (a.get("rel") or "") not in ("canonical", "alternate"):
            self.loads.append(a["href"])


REMOTE = re.compile(r"^(https?:)?//", re.I)


def test_no_page_loads_anything_from_another_host(built):
    site = built / "_build" / "html"
    for page in site.rglob("*.html"):
        parser = _References()
        parser.feed(page.read_text())
        remote = [u for u in parser.loads if REMOTE.match(u)]
        assert not remote, f"{page.relative_to(site)} loads {remote}"
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(errors="replace")):
            assert not REMOTE.match(url), f"{css.relative_to(site)} loads {url}"
        for url in re.findall(r"@import\s+['\"]([^'\"]+)", css.read_text(errors="replace")):
            assert not REMOTE.match(url), f"{css.relative_to(site)} imports {url}"


def test_only_chart_pages_load_the_chart_library(built):
    site = built / "_build" / "html"
    chart_page = (site / "book" / "generated" / "rnd_growth.html").read_text()
    assert "vega-bundle.js" in chart_page and "innobook-charts.js" in chart_page
    assert (site / "_static" / "vega" / "vega-bundle.js").exists()
    assert (site / "_static" / "mathjax" / "tex-chtml.js").exists()
    for page in ("book/glossary.html", "book/references.html", "book/intro.html"):
        assert "vega-bundle.js" not in (site / page).read_text(), page


def test_chart_source_lines_link_to_the_bibliography(built):
    page = (built / "_build" / "html" / "book" / "generated" / "rnd_growth.html").read_text()
    targets = re.findall(r'href="\.\./references\.html#(cite-[^"]+)"', page)
    assert targets, "chart source lines link to references"
    refs = (built / "_build" / "html" / "book" / "references.html").read_text()
    for anchor in set(targets):
        assert f'id="{anchor}"' in refs, anchor


def test_verify_passes_on_the_committed_results_and_catches_a_change(built):
    proc = innobook(built, "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MISMATCH" not in proc.stdout and "0 differ" in proc.stdout
    expected = built / "tests" / "expected" / "rnd_growth.json"
    values = json.loads(expected.read_text())
    values["growth_final_pct"] += 0.5
    expected.write_text(json.dumps(values))
    proc = innobook(built, "verify")
    assert proc.returncode == 1
    line = next(l for l in proc.stdout.splitlines() if "growth_final_pct" in l)
    assert "MISMATCH" in line


def test_run_writes_elsewhere_and_prints_key_results(built):
    before = tree_digest(built / "book" / "generated")
    out = built / "_build" / "reviewer-run"
    proc = innobook(built, "run", "notebooks/rnd_growth.ipynb", "-p", "vintage", "preliminary",
                    "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "growth_prelim_pct" in proc.stdout
    assert (out / "rnd_growth.ipynb").exists() and (out / "rnd_growth.json").exists()
    assert json.loads((out / "rnd_growth.json").read_text())["parameters"]["vintage"] == "preliminary"
    assert tree_digest(built / "book" / "generated") == before


def test_an_executed_notebook_with_an_error_output_is_never_rendered(built, tmp_path):
    from innobook.pipeline.build import BuildError, check_generated

    root = tmp_path / "r"
    (root / "book" / "generated").mkdir(parents=True)
    nb = nbformat.read(built / "book" / "generated" / "rnd_growth.ipynb", as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs.append(nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[]))
    nbformat.write(nb, root / "book" / "generated" / "rnd_growth.ipynb")
    with pytest.raises(BuildError, match="KeyError"):
        check_generated(root)


# The last tests of this module edit the built copy and put it back as it was.
def test_a_prose_edit_re_renders_only_that_page(built):
    root = built

    def build():
        proc = innobook(root, "build")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads((root / "_build" / "cache" / "sphinx.json").read_text())["written"], proc.stdout

    site = root / "_build" / "html"
    before = {p: p.read_bytes() for p in site.rglob("*.html")}
    before_indexes = {p: p.read_bytes() for p in site.rglob("searchindex.js")}
    page = root / "book" / "data.md"
    good = page.read_text()
    page.write_text(good + "\nOne more sentence for the incremental test: INCREMARK.\n")
    written, stdout = build()
    assert "changed pages" in stdout
    # Sphinx writes the edited page, the page whose table of contents lists it (the root page)
    # and the one page that declares a dependency on every prose page (the teachers' syllabus
    # gives each page's reading time); nothing else.
    assert "book/data" in written and set(written) <= {"book/data", "book/intro", "book/teachers"}, written
    assert "INCREMARK" in (site / "book" / "data.html").read_text()
    unchanged = [p for p in before if p.name not in ("data.html", "intro.html", "index.html")
                 and "search" not in p.name and "genindex" not in p.name]
    assert all(p.read_bytes() == before[p] for p in unchanged if p.exists()), \
        "pages that were not re-rendered are published as they were"
    page.write_text(good)
    build()
    # Back to the text of the clean build: the incremental search index is the clean one, byte
    # for byte (the glossary's index entries kept, the edit's words gone) in both editions.
    assert len(before_indexes) == 2, "an index for each edition"
    for index in before_indexes:
        assert index.read_bytes() == before_indexes[index], f"{index.relative_to(site)} differs from the clean build's"
    # The references page formatted again from the kept bibliography cache is the clean one.
    refs = root / "book" / "references.md"
    refs_text = refs.read_text()
    refs.write_text(refs_text + "\n% a comment: the page is read and written again, and shows nothing new\n")
    written, _ = build()
    assert "book/references" in written, written
    for html in site.rglob("references.html"):
        assert html.read_bytes() == before[html], f"{html.relative_to(site)} differs from the clean build's"
    refs.write_text(refs_text)
    build()


def test_an_unchanged_project_skips_the_checks_and_a_changed_data_file_brings_them_back(built):
    """``make book`` compares the inputs' sizes and times with the last successful build
    (``stamp``) before it validates and hashes them; any change sends it to the full check,
    so a broken data file still stops the build."""
    root = built
    quiet = innobook(root, "build")
    assert quiet.returncode == 0 and "no input changed since the last build" in quiet.stdout, quiet.stdout
    data = sorted((root / "data" / "lighthouse").glob("*.csv"))[0]
    good = data.read_text(encoding="utf-8")
    header, *rows = good.splitlines()
    data.write_text("\n".join([header, "not,a,valid,row"] + rows) + "\n", encoding="utf-8")
    try:
        broken = innobook(root, "build")
        assert broken.returncode == 2 and "Data check failed" in broken.stderr + broken.stdout, \
            broken.stdout + broken.stderr
    finally:
        data.write_text(good, encoding="utf-8")
    again = innobook(root, "build")
    assert again.returncode == 0 and "no input changed" not in again.stdout, "a touched file is checked in full"


def test_a_stylesheet_edit_alone_reaches_the_site(built):
    """No page is out of date after an edit to the book's stylesheet, so Sphinx writes nothing
    and copies no static file; the site must still serve the new stylesheet (in both
    editions, and in the bundle each page loads)."""
    root = built
    css = root / "book" / "assets" / "innobook.css"
    good = css.read_text()
    css.write_text(good + "\n.innobook-css-mark { color: inherit; }\n")
    try:
        proc = innobook(root, "build")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        site = root / "_build" / "html"
        for static in [site / "_static", *([site / "zh" / "_static"] if (site / "zh").exists() else [])]:
            assert "innobook-css-mark" in (static / "innobook.css").read_text(), static
            bundles = [p for p in static.glob("innobook-*.css") if p.name != "innobook-icons.css"]
            assert any("innobook-css-mark" in p.read_text() for p in bundles), \
                f"the stylesheet bundle the pages load in {static} is stale"
    finally:
        css.write_text(good)
    assert innobook(root, "build").returncode == 0


def test_a_failed_render_discards_the_kept_environment(built):
    root = built
    run = lambda: innobook(root, "build")
    page = root / "book" / "data.md"
    good = page.read_text()
    page.write_text(good + "\nA reference to {doc}`a-page-that-does-not-exist`.\n")
    failed = run()
    assert failed.returncode == 1 and "a-page-that-does-not-exist" in failed.stderr
    assert not (root / "_build" / "sphinx").exists(), "a failed render leaves no environment behind"
    page.write_text(good)
    restored = run()
    assert restored.returncode == 0 and "Site is up to date" in restored.stdout, \
        "the published site still matches the restored sources"
    page.write_text(good + "\nA valid sentence after the failure.\n")
    again = run()
    assert again.returncode == 0 and "every page" in again.stdout, "the next render reads every page"
    page.write_text(good)
    assert run().returncode == 0


def test_only_pages_pasting_changed_glue_are_written_again(tmp_path):
    """After a notebook page is read again, the pages that paste its glue are written again
    only when the values it glues changed (an edit to its prose changes none)."""
    import sys
    from types import SimpleNamespace

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
    import innobook_i18n as ext

    glue = tmp_path / "glue" / "book" / "generated"
    glue.mkdir(parents=True)
    (glue / "a.glue.json").write_text('{"x": 1}')
    env = SimpleNamespace(mystnb_config=SimpleNamespace(output_folder=str(tmp_path / "glue")),
                          innobook_glue_sources={})
    app = SimpleNamespace()
    ext._glue_sources(env).update({"book/intro": {"book/generated/a"}, "book/other": set(),
                                   "book/generated/a": set()})
    ext.remember_read(app, env, ["book/generated/a"])
    assert ext.pages_pasting_changed_glue(app, env) == [], "same values: no other page is written"
    ext.remember_read(app, env, ["book/generated/a"])
    (glue / "a.glue.json").write_text('{"x": 2}')
    assert ext.pages_pasting_changed_glue(app, env) == ["book/intro"]
