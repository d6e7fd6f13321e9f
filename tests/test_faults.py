"""The book's fault suite: the build under faults and hostile input.

One test (or one parametrised family) per class of fault. Each would fail on a build that
did not answer the fault, and passes because it does:

1. a build killed with ``kill -9`` during execution is followed by a build that completes
   without help (no worker or kernel survives its build, the lock is free, the runs finished
   before the kill are kept); a kernel that fails to start is retried once; a build that has
   to wait says for which one;
2. a notebook that never ends is stopped by its time limit, with the notebook, the cell and
   the limit named;
3. markup in the data package's metadata is refused at validation (and never executes in a
   browser: ``test_faults_browser.py``);
4. every way of changing the book behind the cache's back is noticed: ``run --out`` into the
   book's own folders, a deleted results file, a truncated executed notebook, an edited one, a
   run removed from ``runs.yml``;
5. every value a notebook cannot use is refused at validation with file, row, column and rule:
   infinite and not-a-number values, full-width digits, impossible dates, non-finite
   parameters; a key result that cannot be recorded fails the build; problems are counted
   honestly when checking stops early, a table is validated once per content digest, and the
   streaming checker agrees with frictionless;
6. leftovers of an interrupted build (``_build/html.old``, half-written files) are cleaned or
   refused with a message; the environment set-up takes a lock; ``requirements.txt`` is
   portable and hashed;
7. each malformed configuration (``runs.yml``, ``*.params.yml``, ``datapackage.json``), an
   unwritable folder and a port in use get a message and the documented exit code, never a
   traceback; ``make`` reports the program's code.

Time, measured on 2 busy cores (load average 9): about 90 s for this file. The three ``slow``
tests take about 35 s (the kill test's scratch book with two tiny notebooks, built twice), 17 s
(the cache test, one more build of that book) and 8 s (the time limit); the other 83 tests take
about 25 s together, on copies of the project's files. ``test_faults_browser.py`` takes about
2 minutes more.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import ROOT, copy_project
from innobook import data as D
from innobook.pipeline import build as B
from innobook.pipeline import cache, cli, execute, params

PY = sys.executable


# --------------------------------------------------------------------------- helpers
def innobook(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the command line in a subprocess; on a timeout, end it and everything it started."""
    env = {**os.environ, "INNOBOOK_ROOT": str(root)}
    env.pop("INNOBOOK_DECLARED_RESOURCES", None)
    proc = subprocess.Popen([PY, "-m", "innobook", *args], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for pid in descendants(proc.pid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_cli(root: Path, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``python -m innobook ARGS`` in this process (fast): exit code, stdout, stderr."""
    monkeypatch.setenv("INNOBOOK_ROOT", str(root))
    monkeypatch.delenv("INNOBOOK_DECLARED_RESOURCES", raising=False)
    monkeypatch.chdir(root)
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def notebook(cells: list[tuple[str, list[str] | None]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, (source, tags) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source[4:]) if source.startswith("#md ") \
            else nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        cell.id = f"cell-{i}"
        nb.cells.append(cell)
    return nb


HOLD = textwrap.dedent("""\
    import os, pathlib, time
    attempts = pathlib.Path(os.environ["INNOBOOK_ROOT"]) / "_build" / "hold-attempts.txt"
    if hold:
        with attempts.open("a") as fh:
            fh.write(f"{os.getpid()}\\n")
        while len(attempts.read_text().split()) == 1:  # the first execution never ends
            time.sleep(0.2)
    "held" if hold else "quick\"""")
LOOP = "total = start\nwhile True:\n    total += 1"


def tiny_project(dest: Path) -> Path:
    """A scratch book with two tiny notebooks instead of the chapters (and the real data)."""
    root = copy_project(dest)
    for path in (root / "notebooks").glob("*"):
        path.unlink()
    nbformat.write(notebook([("#md # Holding on\n\nA scratch chapter.", None), ("hold = False", ["parameters"]),
                             (HOLD, None)]), root / "notebooks" / "hold.ipynb")
    (root / "notebooks" / "hold.params.yml").write_text(
        "title: Holding on\nreads: []\nparameters:\n"
        "  hold: {type: bool, default: false, help: Whether the first execution waits forever.}\n")
    nbformat.write(notebook([("#md # Looping\n\nNever ends.", None), ("start = 0", ["parameters"]),
                             (LOOP, None)]), root / "notebooks" / "loop.ipynb")
    (root / "notebooks" / "loop.params.yml").write_text(
        "title: Looping\nreads: []\ntimeout: 3\nparameters:\n"
        "  start: {type: int, default: 0, help: Where the count starts.}\n")
    (root / "notebooks" / "runs.yml").write_text(
        "runs:\n  - notebook: hold\n    id: quick\n  - notebook: hold\n    id: held\n"
        "    parameters: {hold: true}\n")
    (root / "book" / "start.md").write_text("# A scratch book\n\nFor the fault tests.\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/start\nchapters:\n  - file: book/generated/quick\n"
        "  - file: book/generated/held\n  - file: book/reproduce\n  - file: book/data\n"
        "  - file: book/references\n")
    # scratch chapters have no Chinese translation: the engine is tested on the English edition
    edition = root / "locales" / "zh_CN" / "edition.yml"
    edition.write_text(re.sub(r"(?m)^published:.*$", "published: false", edition.read_text(encoding="utf-8")),
                       encoding="utf-8")
    return root


def descendants(pid: int) -> list[int]:
    """Every living descendant of a process, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.2)


# --------------------------------------------------------------------------- 1. a killed build
@pytest.fixture(scope="module")
def killed_then_rebuilt(tmp_path_factory):
    """Kill -9 a build while one run is done and the other never ends, then build again.

    About 35 s: one build killed after a few seconds, one complete build (one notebook, the site).
    """
    root = tiny_project(tmp_path_factory.mktemp("killed") / "book")
    env = {**os.environ, "INNOBOOK_ROOT": str(root)}
    log = tmp_path_factory.mktemp("logs") / "first-build.log"
    with open(log, "w") as fh:
        first = subprocess.Popen([PY, "-m", "innobook", "build", "-j", "2"], cwd=root, env=env,
                                 stdout=fh, stderr=subprocess.STDOUT, text=True)
    attempts = root / "_build" / "hold-attempts.txt"
    seen: set[int] = set()
    try:
        try:
            wait_for(lambda: (root / B.RESULTS / "quick.json").exists() and attempts.exists()
                     and (seen.update(descendants(first.pid)) or True), 120, "the first run to finish")
        except AssertionError as err:
            raise AssertionError(f"{err}; the build said:\n{log.read_text()}") from None
        seen.update(descendants(first.pid))
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        wait_for(lambda: not any(alive(p) for p in seen), 15,
                 "the killed build's workers and kernels to end")
        manifest = json.loads((root / cache.MANIFEST).read_text())
        started = time.monotonic()
        second = innobook(root, "build", timeout=240)
        seconds = time.monotonic() - started
    finally:
        for pid in seen | set(descendants(first.pid)):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if first.poll() is None:
            first.kill()
    return {"root": root, "manifest": manifest, "second": second, "seconds": seconds,
            "attempts": attempts.read_text().split(), "seen": seen}


@pytest.mark.slow
def test_a_build_killed_during_execution_is_followed_by_one_that_completes(killed_then_rebuilt):
    k = killed_then_rebuilt
    assert k["seen"], "the killed build had started workers"
    assert "quick" in k["manifest"] and "held" not in k["manifest"], \
        "the run finished before the kill was recorded at once"
    second = k["second"]
    assert second.returncode == 0, second.stdout + second.stderr
    assert "executed 1," in second.stdout, "the run finished before the kill is not executed again"
    assert "held: never executed" in second.stdout
    assert len(k["attempts"]) == 2
    assert (k["root"] / "_build" / "html" / "index.html").exists()
    assert "waiting for" not in second.stderr, "no process of the killed build held the lock"


def test_a_build_that_must_wait_says_for_which(tmp_path):
    root = tmp_path / "book"
    (root / "_build").mkdir(parents=True)
    holder = subprocess.Popen(
        [PY, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from innobook.pipeline.build import exclusive
            with exclusive(Path({str(root)!r})):
                print("locked", flush=True)
                time.sleep(2)
            """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        said = io.StringIO()
        started = time.monotonic()
        with B.exclusive(root, out=said):
            waited = time.monotonic() - started
        assert f"waiting for the build with pid {holder.pid} to finish" in said.getvalue()
        assert waited > 0.5 and holder.wait(5) == 0
    finally:
        if holder.poll() is None:
            holder.kill()


def test_the_build_lock_dies_with_the_build(tmp_path):
    """A child forked while the lock is held does not keep it when the build is killed."""
    root = tmp_path / "book"
    holder = subprocess.Popen([PY, "-c", textwrap.dedent(f"""
        import os, signal, time
        from pathlib import Path
        from innobook.pipeline.build import exclusive
        with exclusive(Path({str(root)!r})):
            child = os.fork()
            if child == 0:
                time.sleep(60)
                os._exit(0)
            print(child, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """)], stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    try:
        assert holder.wait(10) == -signal.SIGKILL and alive(child)
        probe = subprocess.run(
            [PY, "-c", f"from pathlib import Path\nfrom innobook.pipeline.build import exclusive\n"
                       f"with exclusive(Path({str(root)!r})): print('got it')"],
            capture_output=True, text=True, timeout=20)
        assert probe.stdout.strip() == "got it", probe.stderr
    finally:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


def test_a_kernel_that_fails_to_start_is_retried_once(tmp_path):
    job = execute.Job("one", tmp_path / "t.ipynb", tmp_path / "out.ipynb", {}, (), tmp_path, 10)

    class Flaky:
        def __init__(self, failures):
            self.failures, self.calls = failures, 0

        def execute_notebook(self, *args, on_notebook_start, **kwargs):
            self.calls += 1
            if self.calls <= self.failures:
                raise RuntimeError("Kernel died before replying to kernel_info")
            on_notebook_start()

    once = Flaky(1)
    outcome = execute._execute(job, once, time.perf_counter())
    assert outcome.ok and once.calls == 2 and "Kernel died" in outcome.retried
    twice = Flaky(2)
    outcome = execute._execute(job, twice, time.perf_counter())
    assert not outcome.ok and twice.calls == 2
    assert "the kernel did not start" in outcome.evalue and "twice" in outcome.evalue


# --------------------------------------------------------------------------- 2. time limits
@pytest.mark.slow
def test_a_looping_notebook_is_stopped_by_its_time_limit(tmp_path):
    """About 8 s: a kernel start and the notebook's 3-second limit."""
    root = tiny_project(tmp_path / "book")
    started = time.monotonic()
    proc = innobook(root, "run", "notebooks/loop.ipynb", timeout=90)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert time.monotonic() - started < 60
    assert "notebooks/loop.ipynb was stopped in code cell 2: `total = start`" in proc.stderr
    assert "time limit of 3 s" in proc.stderr and "notebooks/loop.params.yml" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("value, complaint", [
    ("0", "timeout must be a number of seconds above 0"),
    ("-5", "timeout must be a number of seconds above 0"),
    (".inf", "timeout must be a number of seconds above 0"),
    ("soon", "timeout must be a number of seconds above 0"),
])
def test_a_bad_time_limit_is_refused(project, monkeypatch, capsys, value, complaint):
    path = project / "notebooks" / "lighthouse.params.yml"
    path.write_text(path.read_text() + f"timeout: {value}\n")
    code, _, err = run_cli(project, monkeypatch, capsys, "check")
    assert code == 2 and complaint in err and "notebooks/lighthouse.params.yml" in err


def test_the_time_limit_reaches_the_worker(project):
    path = project / "notebooks" / "lighthouse.params.yml"
    path.write_text(path.read_text() + "timeout: 42.5\n")
    spec = params.load_declaration(path)
    job = execute.job_for(params.Run("lighthouse", spec, {}), project / "x.ipynb", project)
    assert spec.timeout == 42.5 and job.timeout == 42.5
    other = params.load_declaration(project / "notebooks" / "rnd_growth.params.yml")
    assert other.timeout == params.DEFAULT_TIMEOUT


# --------------------------------------------------------------------------- 3. markup in metadata
MARKUP = '<img src=x onerror="alert(1)">'


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A project root holding a copy of data/ only."""
    import shutil

    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("INNOBOOK_ROOT", str(tmp_path))
    monkeypatch.delenv("INNOBOOK_DECLARED_RESOURCES", raising=False)
    return tmp_path


def edit_package(root: Path, change) -> None:
    path = root / "data" / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    change(package)
    path.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("where", ["title", "description", "vintage_note", "source title",
                                   "source publisher", "field description", "field unit", "package title"])
def test_markup_in_metadata_is_refused(data_copy, where):
    def plant(package):
        res = package["resources"][0]
        target = {"title": (res, "title"), "description": (res, "description"),
                  "vintage_note": (res, "vintage_note"), "source title": (res["sources"][0], "title"),
                  "source publisher": (res["sources"][0], "publisher"),
                  "field description": (res["schema"]["fields"][0], "description"),
                  "field unit": (res["schema"]["fields"][0], "unit"),
                  "package title": (package, "title")}[where]
        target[0][target[1]] = f"Plain words {MARKUP}"

    edit_package(data_copy, plant)
    with pytest.raises(D.DataValidationError) as err:
        D.validate_all()
    problems = [p for p in err.value.problems if p.rule == "no markup in metadata"]
    assert len(problems) == 1, str(err.value)
    assert problems[0].file == "data/datapackage.json" and problems[0].column
    assert "Fix that text" in problems[0].message
    if where != "package title":
        with pytest.raises(D.DataValidationError):
            D.load(json.loads((data_copy / "data" / "datapackage.json").read_text())["resources"][0]["name"])


def test_placeholders_and_ampersands_are_not_markup():
    for text in ("Key of the value, <chapter>.<name>.", "R&D spending", "a < b and c > d", "3<5"):
        assert not D._has_markup(text), text
    for text in (MARKUP, "<b>bold</b>", "&lt;", "<!-- x -->", "<svg/onload=alert(1)>", "javascript:alert(1)",
                 "<p", "<custom-tag>", "<chapter onclick=go()>"):
        assert D._has_markup(text), text


# --------------------------------------------------------------------------- 4. behind the cache's back
@pytest.mark.parametrize("out", ["notebooks", "notebooks/deeper", "book", "book/generated", "data/rnd",
                                 "src", "_build/html", "_build/cache", "."])
def test_run_out_into_the_book_is_refused(project, monkeypatch, capsys, out):
    before = {p: p.stat().st_mtime_ns for p in (project / "notebooks").iterdir()}
    code, _, err = run_cli(project, monkeypatch, capsys, "run", "notebooks/lighthouse.ipynb", "--out", out)
    assert code == 2, err
    assert f"--out {out}" in err and "choose" in err and "Traceback" not in err
    assert {p: p.stat().st_mtime_ns for p in (project / "notebooks").iterdir()} == before


def test_run_out_into_an_unwritable_folder_is_refused(project, monkeypatch, capsys):
    (project / "a-file").write_text("not a folder")
    code, _, err = run_cli(project, monkeypatch, capsys, "run", "notebooks/lighthouse.ipynb",
                           "--out", "a-file/inside")
    assert code == 2 and "cannot write there" in err and "Traceback" not in err


@pytest.mark.slow
def test_every_change_behind_the_cache_is_noticed(killed_then_rebuilt, monkeypatch):
    """Uses the scratch book of the kill test; about 17 s (one more build)."""
    root = killed_then_rebuilt["root"]
    assert killed_then_rebuilt["second"].returncode == 0
    monkeypatch.setenv("INNOBOOK_ROOT", str(root))
    monkeypatch.chdir(root)

    def reasons() -> dict[str, list[str]]:
        runs = params.load_runs(root)
        return B.plan(runs, root, out=io.StringIO())[2]

    assert reasons() == {}, "a fresh build is up to date"
    results = root / B.RESULTS / "quick.json"
    results.unlink()
    assert reasons() == {"quick": ["book/generated/results/quick.json is missing"]}
    executed = root / B.GENERATED / "held.ipynb"
    executed.write_text(executed.read_text()[:200])  # a truncated executed notebook
    why = reasons()
    assert why["held"] == ["book/generated/held.ipynb was changed after it was published"]
    edited = root / B.GENERATED / "quick.ipynb"
    edited.write_text(edited.read_text().replace("quick", "QUICK"))
    assert "book/generated/quick.ipynb was changed after it was published" in reasons()["quick"]
    # a run removed from runs.yml: what it published is removed with it
    runs_yml = root / "notebooks" / "runs.yml"
    runs_yml.write_text("runs:\n  - notebook: hold\n    id: quick\n")
    (root / "_toc.yml").write_text((root / "_toc.yml").read_text().replace("  - file: book/generated/held\n", ""))
    assert set(reasons()) == {"quick"}
    assert not (root / B.GENERATED / "held.ipynb").exists()
    assert not (root / B.RESULTS / "held.json").exists()
    assert "held" not in json.loads((root / cache.MANIFEST).read_text())
    rebuilt = innobook(root, "build", timeout=240)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "executed 1," in rebuilt.stdout
    assert json.loads(results.read_text())["results"] == {}
    assert reasons() == {}
    assert not (root / "_build" / "html" / "book" / "generated" / "held.html").exists()


# --------------------------------------------------------------------------- 5. bad values
RND = "data/rnd/china_rnd_national.csv"


def set_cell(root: Path, rel: str, row: int, column: str, value: str) -> None:
    import csv

    with open(root / rel, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (root / rel).write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("column, value, rule", [
    ("value", "inf", "finite number"),
    ("value", "-Infinity", "finite number"),
    ("value", "NaN", "finite number"),
    ("value", "1e999", "finite number"),
    ("value", "１２３", "ASCII digits"),
    ("year", "２０２０", "ASCII digits"),
    ("year", "2020.0", "type: integer"),
    ("source_date", "2023-02-30", "real date"),
    ("source_date", "2023-13", "real date"),
    ("source_date", "２０２３-01-01", "pattern"),
])
def test_a_value_notebooks_cannot_use_is_refused(data_copy, column, value, rule):
    set_cell(data_copy, RND, 5, column, value)
    with pytest.raises(D.DataValidationError) as err:
        D.load("rnd_national")
    hits = [p for p in err.value.problems if p.row == 5 and p.column == column and rule in p.rule]
    assert hits, str(err.value)
    assert hits[0].file == RND and hits[0].message.startswith(f'{RND}, row 5, column "{column}"')
    assert rule in hits[0].message


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_a_non_finite_parameter_is_refused(project, monkeypatch, capsys, value):
    path = project / "notebooks" / "abbgh_theory.params.yml"
    declared = yaml.safe_load(path.read_text())
    name = next(n for n, p in declared["parameters"].items() if p["type"] == "float")
    code, _, err = run_cli(project, monkeypatch, capsys, "run", "notebooks/abbgh_theory.ipynb", "-p", name, value)
    assert code == 2 and "is not a finite number" in err and name in err
    runs = project / "notebooks" / "runs.yml"
    runs.write_text(runs.read_text().replace("  - notebook: abbgh_theory\n",
                                              f"  - notebook: abbgh_theory\n    parameters: {{{name}: {value}}}\n"))
    code, _, err = run_cli(project, monkeypatch, capsys, "check")
    assert code == 2 and "is not a finite number" in err and "notebooks/runs.yml" in err


def test_a_key_result_that_cannot_be_recorded_fails_the_publication(tmp_path):
    nb = notebook([("x = 1", None)])
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": "inf"}, metadata={"scrapbook": {"name": "ratio", "mime_prefix": ""}})]
    path = tmp_path / "out.ipynb"
    nbformat.write(nb, path)
    spec = params.NotebookSpec("t", tmp_path / "t.ipynb", "T", (), {})
    outcome = execute.Outcome("t", spec.path, path, True, 0.1)
    problem = B.publish_notebook(outcome, params.Run("t", spec), tmp_path, tmp_path / "g", tmp_path / "r")
    assert problem and "key result 'ratio' cannot be recorded" in problem and "inf" in problem
    assert not (tmp_path / "r" / "t.json").exists()


def test_problems_are_counted_honestly_when_checking_stops(data_copy):
    import csv

    with open(data_copy / RND, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    bad = [list(rows[1]) for _ in range(260)]
    for i, row in enumerate(bad):
        row[header.index("vintage")] = f"wrong{i}"
        row[header.index("year")] = str(1000 + i)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + rows[1:] + bad)
    (data_copy / RND).write_text(buf.getvalue(), encoding="utf-8")
    with pytest.raises(D.DataValidationError) as err:
        D.validate("rnd_national")
    assert err.value.truncated and len(err.value.problems) == D.ERROR_LIMIT
    assert f"at least {D.ERROR_LIMIT} problems" in str(err.value)


def test_a_table_is_validated_once_per_content_digest(data_copy, monkeypatch):
    D.load("lighthouse_sites")
    markers = list((data_copy / D.VALIDATED).iterdir())
    assert len(markers) == 1
    calls = []
    monkeypatch.setattr(D, "_validate_rows", lambda *a: calls.append(a) or ([], False))
    D._LOAD_CACHE.clear()
    D.load("lighthouse_sites")
    assert calls == [], "the same content is not validated again"
    path = data_copy / "data" / "lighthouse" / "lighthouse_sites.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    D.validate("lighthouse_sites")
    assert len(calls) == 1, "changed content is validated again"


STREAMING_CASES = {
    "type": ("value", "24393,1"), "minimum": ("value", "-5"), "enum": ("vintage", "provisional"),
    "required": ("indicator", ""), "pattern": ("source_key", "Bad Key"), "source": ("source_key", "nope_key"),
    "unit": ("unit", "% of GDP"), "integer": ("year", "2020.5"), "date": ("source_date", "2024-02-30"),
}


@pytest.mark.parametrize("case", sorted(STREAMING_CASES) + ["duplicate"])
def test_the_streaming_checker_flags_what_frictionless_flags(data_copy, case):
    """The fast checker and frictionless flag the same cells (frictionless may add follow-on rules)."""
    import csv

    if case == "duplicate":
        with open(data_copy / RND, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        rows.insert(12, list(rows[11]))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        (data_copy / RND).write_text(buf.getvalue(), encoding="utf-8")
    else:
        set_cell(data_copy, RND, 9, *STREAMING_CASES[case])
    res = D._resource_desc("rnd_national")
    scans, found = D._scan_files(data_copy, res)
    assert not found and D._streamable(res, scans)
    fast, _ = D._stream_check(res, scans[0])
    slow, _ = D._frictionless_check(data_copy, res)
    assert fast, "the fault is found"
    assert {(p.row, p.column) for p in fast} == {(p.row, p.column) for p in slow}
    assert {(p.row, p.column, p.rule) for p in fast} <= {(p.row, p.column, p.rule) for p in slow}


def test_an_irregular_table_is_checked_row_by_row(data_copy):
    text = (data_copy / RND).read_text(encoding="utf-8").splitlines()
    text[6] = text[6].rsplit(",", 1)[0]  # a row one cell short
    (data_copy / RND).write_text("\n".join(text) + "\n", encoding="utf-8")
    res = D._resource_desc("rnd_national")
    scans, _ = D._scan_files(data_copy, res)
    assert not D._streamable(res, scans)
    with pytest.raises(D.DataValidationError) as err:
        D.validate("rnd_national")
    assert any(p.row == 7 and p.rule == "row has all columns" for p in err.value.problems), str(err.value)


# --------------------------------------------------------------------------- 6. leftovers
def test_an_interrupted_swap_gets_the_last_good_site_back(tmp_path):
    site = tmp_path / "_build" / "html"
    old = site.with_name("html.old")
    old.mkdir(parents=True)
    (old / "index.html").write_text("last good site")
    said = io.StringIO()
    with B.exclusive(tmp_path, out=said):
        pass
    assert (site / "index.html").read_text() == "last good site" and not old.exists()
    assert "Restored the last good site" in said.getvalue()


@pytest.mark.parametrize("leftover", ["file", "symlink", "folder"])
def test_a_leftover_html_old_never_stops_a_swap(tmp_path, leftover):
    site = tmp_path / "_build" / "html"
    site.mkdir(parents=True)
    (site / "index.html").write_text("old site")
    old = site.with_name("html.old")
    if leftover == "file":
        old.write_text("left by a refused swap")
    elif leftover == "symlink":
        (tmp_path / "elsewhere").mkdir()
        old.symlink_to(tmp_path / "elsewhere")
    else:
        (old / "deep").mkdir(parents=True)
        (old / "deep" / "page.html").write_text("x")
    new = tmp_path / "_build" / "staging"
    new.mkdir()
    (new / "index.html").write_text("new site")
    B.swap_in(new, site)
    assert (site / "index.html").read_text() == "new site"
    assert not old.exists() and not old.is_symlink()
    if leftover == "symlink":
        assert (tmp_path / "elsewhere").is_dir(), "a symlink is removed, not what it points to"


def test_half_written_files_and_unproduced_outputs_are_removed(tmp_path):
    generated = tmp_path / B.GENERATED
    (generated / "results").mkdir(parents=True)
    for name in ("kept.ipynb", "gone.ipynb", "kept.ipynb.tmp", "results/kept.json", "results/gone.json"):
        (generated / name).write_text("{}")
    spec = params.NotebookSpec("kept", tmp_path / "kept.ipynb", "Kept", (), {})
    removed = B.remove_unproduced([params.Run("kept", spec)], tmp_path, out=io.StringIO())
    assert sorted(removed) == ["book/generated/gone.ipynb", "book/generated/kept.ipynb.tmp",
                               "book/generated/results/gone.json"]
    assert (generated / "kept.ipynb").exists() and (generated / "results" / "kept.json").exists()


def test_the_manifest_is_written_atomically_and_survives_garbage(tmp_path):
    manifest = cache.Manifest(tmp_path)
    manifest.record("a", {"notebook": "1"})
    manifest.save()
    assert json.loads((tmp_path / cache.MANIFEST).read_text()) == {"a": {"notebook": "1"}}
    assert [p.name for p in (tmp_path / cache.MANIFEST).parent.iterdir()] == ["manifest.json"]
    (tmp_path / cache.MANIFEST).write_text('{"a": {"notebook": "1"')  # cut short
    assert cache.Manifest(tmp_path).entries == {}
    (tmp_path / cache.MANIFEST).write_text('["not", "a", "mapping"]')
    assert cache.Manifest(tmp_path).changed("a", {"notebook": "1"}) == ["never executed"]


def test_the_environment_set_up_takes_a_lock(tmp_path):
    """A second set-up waits for the first and then finds the environment ready."""
    import fcntl
    import hashlib

    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "ensure_venv.sh").write_text((ROOT / "scripts" / "ensure_venv.sh").read_text())
    (tmp_path / "requirements.txt").write_text("# nothing\n")
    with open(tmp_path / ".venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        second = subprocess.Popen(["bash", "scripts/ensure_venv.sh"], cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1.0)
        assert second.poll() is None, "the second set-up waits"
        # the first set-up finishes: a ready environment for this requirements.txt
        (tmp_path / ".venv" / "bin").mkdir(parents=True)
        os.symlink(PY, tmp_path / ".venv" / "bin" / "python")
        digest = hashlib.sha256((tmp_path / "requirements.txt").read_bytes()).hexdigest()
        (tmp_path / ".venv" / ".requirements.sha256").write_text(digest + "\n")
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 0, out
    assert "waiting for another set-up" in out and "Setting up" not in out


def test_requirements_are_portable_and_hashed():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    options = [l.strip() for l in lines if l.strip().startswith("-")]
    assert options and all(o.startswith("--hash=sha256:") for o in options), \
        "no index, find-links or other option lines, only hashes"
    assert not [l for l in lines if "file://" in l or "/home/" in l or "/work/" in l], "no machine paths"
    pins: dict[str, list[str]] = {}
    for line in lines:
        if line and not line[0].isspace() and not line.startswith("#"):
            current = pins.setdefault(line.split()[0], [line])
        elif line.strip() and pins:
            current.append(line)
    assert pins and all("==" in name for name in pins), "every package pinned with =="
    unhashed = [name for name, block in pins.items() if not any("--hash=sha256:" in l for l in block)]
    assert not unhashed, f"pins without a hash: {unhashed}"
    script = (ROOT / "scripts" / "ensure_venv.sh").read_text()
    assert "--require-hashes" in script and "--no-index" in script and "flock" in script


# --------------------------------------------------------------------------- 7. malformed configuration
def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


MALFORMED = {
    "runs.yml is a list": ("notebooks/runs.yml", "- notebook: rnd_growth\n", "notebooks/runs.yml: expected `runs:`"),
    "runs.yml syntax": ("notebooks/runs.yml", "runs:\n  - notebook: [rnd_growth\n", "not valid YAML"),
    "a run is text": ("notebooks/runs.yml", "runs:\n  - rnd_growth\n", "run 1: expected a mapping"),
    "parameters are a list": ("notebooks/runs.yml", "runs:\n  - notebook: rnd_growth\n    parameters: [1, 2]\n",
                              "parameters must be a mapping"),
    "unknown run key": ("notebooks/runs.yml", "runs:\n  - notebook: rnd_growth\n    params: {}\n",
                        "unknown key 'params'"),
    "declaration is a list": ("notebooks/lighthouse.params.yml", "- a\n- b\n",
                              "notebooks/lighthouse.params.yml: expected a mapping"),
    "declaration syntax": ("notebooks/lighthouse.params.yml", "title: [x\n", "line 2: not valid YAML"),
    "parameters a list": ("notebooks/lighthouse.params.yml", "title: T\nparameters: [a]\n",
                          "parameters must be a mapping"),
    "reads not a list": ("notebooks/lighthouse.params.yml", "title: T\nreads: lighthouse_sites\n",
                         "reads must be a list"),
    "misspelt key": ("notebooks/lighthouse.params.yml", "title: T\ntimout: 5\n", "unknown key 'timout'"),
    "bad rule": ("notebooks/rnd_growth.params.yml", None, "is not a valid expression"),
    "nan bound": ("notebooks/provinces.params.yml", None, "must be a finite number"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_declaration_gets_one_line(project, monkeypatch, capsys, case):
    rel, text, expected = MALFORMED[case]
    path = project / rel
    if case == "bad rule":
        text = path.read_text().replace('rule: "start_year <= window_start', 'rule: "start_year <= <= window_start')
    if case == "nan bound":
        text = path.read_text().replace("min: ", "min: .nan #", 1)
    _write(path, text)
    code, out, err = run_cli(project, monkeypatch, capsys, "check")
    assert code == 2, out + err
    assert expected in err and "Traceback" not in err
    line = next(l for l in err.splitlines() if expected in l)
    assert rel in line, "the line names the file"


PACKAGE_SHAPES = {
    "not json": (lambda p: "{not json", "is not valid UTF-8 JSON"),
    "a list": (lambda p: "[]", 'expected a JSON object with a "resources" list'),
    "resources an object": (lambda p: json.dumps({**p, "resources": {}}), '"resources" must be a non-empty list'),
    "resource without name": (lambda p: json.dumps({**p, "resources": [{k: v for k, v in p["resources"][0].items()
                                                                        if k != "name"}]}), '"name" must be'),
    "fields not a list": (lambda p: json.dumps({**p, "resources": [{**p["resources"][0], "schema": {"fields": {}}}]}),
                          'non-empty "fields" list'),
    "path escapes": (lambda p: json.dumps({**p, "resources": [{**p["resources"][0], "path": "../../etc/passwd"}]}),
                     "must be relative to data/ and stay inside it"),
    "unknown rule": (lambda p: json.dumps({**p, "resources": [{**p["resources"][0], "rules": [{"type": "magic"}]}]}),
                     "unknown rule type 'magic'"),
}


@pytest.mark.parametrize("case", sorted(PACKAGE_SHAPES))
def test_a_malformed_data_package_gets_one_line(project, monkeypatch, capsys, case):
    path = project / "data" / "datapackage.json"
    make, expected = PACKAGE_SHAPES[case]
    path.write_text(make(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    code, out, err = run_cli(project, monkeypatch, capsys, "check")
    assert code == 2, out + err
    assert expected in err and "Traceback" not in err
    line = next(l for l in err.splitlines() if expected in l)
    assert "data/datapackage.json" in line and "Fix" in line


def test_a_port_in_use_gets_one_line(project, monkeypatch, capsys):
    (project / "_build" / "html").mkdir(parents=True)
    (project / "_build" / "html" / "index.html").write_text("site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(project, monkeypatch, capsys, "serve", "--port", str(port))
    assert code == 1 and f"port {port} on 127.0.0.1 is in use" in err and "--port" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_jobs_get_one_line(project, monkeypatch, capsys):
    code, _, err = run_cli(project, monkeypatch, capsys, "build", "--jobs", "0")
    assert code == 2 and "--jobs 0" in err and len(err.strip().splitlines()) == 1


def test_make_reports_the_programs_exit_code(project):
    """GNU make exits with 2 whenever a command fails; it names the command's own code."""
    (project / "notebooks" / "runs.yml").write_text("- not: runs\n")
    proc = subprocess.run(["make", "-o", "venv", f"PY={PY}", "check"], cwd=project, capture_output=True,
                          text=True, env={**os.environ, "INNOBOOK_ROOT": str(project)}, timeout=120)
    assert proc.returncode != 0
    assert "notebooks/runs.yml: expected `runs:`" in proc.stderr
    assert "Error 2" in proc.stderr, proc.stderr
    assert "pipefail" in (project / "Makefile").read_text(), "a failure inside a pipe fails the recipe"
