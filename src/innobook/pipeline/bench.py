"""Build benchmark: prints timings, asserts nothing (see the README for the targets).

All builds run in a scratch copy of the project, in one run of this command:

1. clean build (execute every notebook with papermill, render the site);
2. no-op rebuild (nothing changed);
3. rebuild after editing one notebook (and how many notebooks re-ran);
4. rebuild after editing one prose page (Sphinx keeps its environment, so one page renders);
5. the live preview: from saving a prose edit, and a notebook edit, to the served page
   showing it (the notebook's own execution time is printed beside it);
6. the same book rendered by Jupyter Book's own execution (``execute_notebooks: force``)
   of the same parameterised notebooks, for comparison;
7. when the Chinese edition is published, a clean build of the English edition alone (a second
   scratch copy with ``published: false``), to compare with the clean build of both editions
   (target: at most 1.5 times as long).

The clean builds also print how long the site's rendering took (the build's own "Site built in"
line): the notebooks run once for both editions, so the second edition costs rendering only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

# Build products, environments and caches: a scratch copy of the project takes only its sources.
NOT_SOURCES = shutil.ignore_patterns(".venv", "_build", "_vendor", ".git", "node_modules",
                                     "__pycache__", ".pytest_cache", "test-artifacts")
#: Written by the build into the book's folder (the Chinese catalogs of those pages, under
#: locales/, are sources and are copied).
GENERATED = Path("book") / "generated"


def copy_sources(root: Path, dest: Path) -> Path:
    """Copy the project's sources (not its build products) to ``dest``, for a scratch build."""
    root = root.resolve()

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(NOT_SOURCES(folder, names))
        if Path(folder).resolve() == root / GENERATED.parent:
            skipped.add(GENERATED.name)
        return skipped

    shutil.copytree(root, dest, ignore=ignore)
    return dest


def _timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds, proc.stdout


def _executed(output: str) -> int:
    m = re.search(r"executed (\d+)", output)
    return int(m.group(1)) if m else -1


def _edit_one_notebook(copy: Path) -> str:
    """Append a harmless cell to the first notebook of the run list; return its name."""
    import nbformat

    runs = yaml.safe_load((copy / "notebooks" / "runs.yml").read_text())["runs"]
    name = runs[0]["notebook"]
    path = copy / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("# edited by the benchmark"))
    nb.cells[-1].pop("id", None)
    nbformat.write(nb, path)
    return name


def _edit_prose(copy: Path, marker: str) -> Path:
    page = copy / "book" / "data.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\nA sentence added by the benchmark ({marker}).\n",
                    encoding="utf-8")
    return page


def _wait_for_page(url: str, marker: str, limit: float = 300) -> float:
    import urllib.request

    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if marker in response.read().decode("utf-8", "replace"):
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the preview did not show {marker} at {url} within {limit} s")


def _preview_timings(copy: Path, env: dict) -> list[tuple[str, float, int | None]]:
    """Start the live preview, then time a prose edit and a notebook edit until served."""
    import signal

    log = copy / "_build" / "bench-preview.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "innobook", "preview", "--port", "0"], cwd=copy,
                                env=env, stdout=fh, stderr=subprocess.STDOUT)
    try:
        start = time.perf_counter()
        url = None
        while url is None and time.perf_counter() - start < 600:
            text = log.read_text(errors="replace")
            found = re.findall(r"Serving on (http://127\.0\.0\.1:\d+)", text)
            url = found[-1] if found and "Waiting to detect changes" in text else None
            time.sleep(0.2)
        if url is None:
            raise RuntimeError(f"the preview did not start; see {log}")
        _edit_prose(copy, "PREVIEW-PROSE")
        prose = _wait_for_page(url + "/book/data.html", "PREVIEW-PROSE")
        before = log.read_text(errors="replace")
        name = _edit_one_notebook_markdown(copy, "PREVIEW-NOTEBOOK")
        notebook = _wait_for_page(f"{url}/book/generated/{name}.html", "PREVIEW-NOTEBOOK")
        ran = re.findall(rf"\] {re.escape(name)}\s+ok\s+([\d.]+) s", log.read_text(errors="replace")[len(before):])
        execution = float(ran[-1]) if ran else float("nan")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return [("preview: prose edit to updated page", prose, 0),
            (f"preview: {name} edit to updated page", notebook, 1),
            (f"  of which {name}'s execution", execution, None)]


def _edit_one_notebook_markdown(copy: Path, marker: str) -> str:
    """Add a sentence to a Markdown cell of the first notebook of the run list; return its run id."""
    import nbformat

    runs = yaml.safe_load((copy / "notebooks" / "runs.yml").read_text())["runs"]
    name = runs[0]["notebook"]
    path = copy / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = [c for c in nb.cells if c.cell_type == "markdown"][1]
    cell.source += f"\n\nA sentence added by the benchmark ({marker})."
    nbformat.write(nb, path)
    return runs[0].get("id", name)


def _jupyter_book_own_execution(copy: Path, env: dict) -> float:
    """Render the same notebooks with Jupyter Book executing them itself."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from .params import load_declarations, load_runs

    runs = load_runs(copy, load_declarations(copy))
    generated = copy / "book" / "generated"
    for run in runs:
        nb = parameterize_notebook(load_notebook_node(str(run.notebook.path)), run.parameters,
                                   kernel_name="python3")
        nbformat.write(nb, generated / f"{run.run_id}.ipynb")
    config = yaml.safe_load((copy / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "force"
    config["execute"]["timeout"] = 600
    (copy / "_config_force.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    out = copy / "_build" / "jb-force"
    shutil.rmtree(out, ignore_errors=True)
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    seconds, _ = _timed([jb, "build", str(copy), "--config", str(copy / "_config_force.yml"),
                         "--path-output", str(out), "-n", "--keep-going"], copy, env)
    return seconds


def _rendering(output: str) -> float | None:
    m = re.search(r"Site built in ([\d.]+) s", output)
    return float(m.group(1)) if m else None


def _english_only(root: Path, dest: Path) -> Path:
    """A scratch copy of the project whose Chinese edition is not published."""
    from .sphinx_conf import EDITION

    copy = copy_sources(root, dest)
    edition = copy / EDITION
    edition.write_text(re.sub(r"(?m)^published:.*$", "published: false",
                              edition.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


def bench(root: Path, include_jupyter_book: bool = True, include_preview: bool = True) -> int:
    from .sphinx_conf import editions

    ratio = None
    with tempfile.TemporaryDirectory(prefix="innobook-bench-") as tmp:
        copy = copy_sources(root, Path(tmp) / "book")
        env = {**os.environ, "INNOBOOK_ROOT": str(copy)}
        build = [sys.executable, "-m", "innobook", "build"]
        rows = []
        both = editions(copy) == ["en", "zh"]
        t, out = _timed(build, copy, env)
        rows.append(("clean build" + (" (both editions)" if both else ""), t, _executed(out)))
        clean = t
        rows.append(("  of which rendering the site", _rendering(out), None))
        t, out = _timed(build, copy, env)
        rows.append(("no-op rebuild", t, _executed(out)))
        edited = _edit_one_notebook(copy)
        t, out = _timed(build, copy, env)
        rows.append((f"rebuild after editing {edited}", t, _executed(out)))
        _edit_prose(copy, "PROSE-EDIT")
        t, out = _timed(build, copy, env)
        rows.append(("rebuild after editing one prose page", t, _executed(out)))
        if include_preview:
            rows += _preview_timings(copy, env)
        if include_jupyter_book:
            rows.append(("Jupyter Book's own execution (force)", _jupyter_book_own_execution(copy, env), None))
        if both:
            english = _english_only(root, Path(tmp) / "book-en")
            t, out = _timed(build, english, {**env, "INNOBOOK_ROOT": str(english)})
            rows.append(("clean build, English edition only", t, _executed(out)))
            rows.append(("  of which rendering the site", _rendering(out), None))
            ratio = clean / t
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\nBuild benchmark ({cores} cores)\n")
    print(f"{'step':<44} {'seconds':>8} {'notebooks executed':>19}")
    print("-" * 73)
    for label, seconds, executed in rows:
        shown = "" if executed is None else str(executed)
        print(f"{label:<44} {'' if seconds is None else f'{seconds:8.1f}':>8} {shown:>19}")
    if ratio is not None:
        print(f"\nBoth editions' clean build takes {ratio:.2f} times the English edition's alone.")
    print("\nTargets: no-op rebuild within 5 s; editing one notebook re-executes exactly that "
          "notebook; editing one prose page rebuilds within 5 s; in the preview, a prose edit "
          "shows within 5 s and a notebook edit within its execution time plus 5 s; clean build "
          "faster than Jupyter Book's own execution; both editions' clean build at most 1.5 times "
          "the English edition's alone.")
    return 0
