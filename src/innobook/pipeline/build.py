"""The build: from ``data/`` and ``notebooks/`` to the static site in ``_build/html``.

``build()`` reads as the table of contents of the pipeline:

1. ``preflight``: validate the data package and every parameter set, before any kernel starts;
2. ``plan``: compare content hashes and pick the runs whose inputs changed;
3. ``execute``: run those notebooks with papermill, in parallel;
4. ``publish_notebooks``: tidy each executed notebook, check it holds no error, write it
   and its key results into ``book/generated/`` (failed ones go to ``_build/failed/``);
5. ``build_site``: render the book with Jupyter Book (execution off, warnings are
   errors) into a staging folder, then swap it in for ``_build/html``.

A failure at any step leaves the last good site where it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, notebook_io
from .execute import Outcome, execute_all, job_for
from .params import ParameterError, Run, load_declarations, load_runs

GENERATED = Path("book") / "generated"
RESULTS = GENERATED / "results"
FAILED = Path("_build") / "failed"
STAGING = Path("_build") / ".staging"
SITE = Path("_build") / "html"
SITE_KEY = Path("_build") / "cache" / "site.json"


class BuildError(Exception):
    """A build step failed; ``exit_code`` is 2 for bad input, 1 for a failed step."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class BuildReport:
    executed: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    site_built: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"executed": self.executed, "up_to_date": self.up_to_date,
                "reasons": self.reasons, "site_built": self.site_built,
                "seconds": round(self.seconds, 2)}


def project_root() -> Path:
    env = os.environ.get("INNOBOOK_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "_config.yml").exists() and (candidate / "notebooks").is_dir():
            return candidate
    raise BuildError("run this from the book's folder (the one with _config.yml)", 2)


# --------------------------------------------------------------------------- 1. preflight
def preflight(root: Path) -> list[Run]:
    """Validate data and parameters; nothing runs if either is wrong (exit code 2)."""
    from ..data import DataValidationError, validate_all

    try:
        validate_all()
    except DataValidationError as err:
        raise BuildError(f"Data check failed, nothing was executed:\n{err}", 2) from err
    try:
        specs = load_declarations(root)
        check_templates(specs.values())
        return load_runs(root, specs)
    except ParameterError as err:
        raise BuildError(f"Parameter check failed, nothing was executed:\n  {err}", 2) from err


def check_templates(specs) -> None:
    """Each template's ``parameters`` cell must match its declaration exactly."""
    import nbformat

    for spec in specs:
        nb = nbformat.read(spec.path, as_version=4)
        try:
            _, defaults = notebook_io.parameters_cell(nb)
        except ValueError as err:
            raise ParameterError(f"{spec.label}: {err}") from err
        if defaults != spec.defaults():
            raise ParameterError(
                f"{spec.label}: the parameters cell {defaults} does not match the declaration in "
                f"notebooks/{spec.name}.params.yml {spec.defaults()}")
        for index, what in notebook_io.plumbing_cells(nb):
            raise ParameterError(
                f"{spec.label}: code cell {index} {what}, which is plumbing a reader should not see; "
                "move it to a cell of its own tagged remove-cell (remove-input if it shows output)")
        if any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            raise ParameterError(f"{spec.label}: notebook templates are committed without outputs; "
                                 "clear them (Kernel > Restart and Clear Outputs)")


# --------------------------------------------------------------------------- 2. plan
def plan(runs: list[Run], root: Path, force: bool = False) -> tuple[list[Run], dict[str, dict], dict[str, list[str]]]:
    """Which runs must execute, their hashed inputs, and why."""
    from ..data import resource_files

    manifest = cache.Manifest(root)
    shared = {"package": cache.package_digest(root),
              "requirements": cache.sha256_file(root / "requirements.txt")}
    stale, components, reasons = [], {}, {}
    for run in runs:
        comp = cache.run_components(run, root, resource_files, shared)
        components[run.run_id] = comp
        why = manifest.changed(run.run_id, comp)
        if not (root / GENERATED / f"{run.run_id}.ipynb").exists():
            why = why or ["executed notebook missing"]
        if force:
            why = why or ["forced"]
        if why:
            stale.append(run)
            reasons[run.run_id] = why
    return stale, components, reasons


# --------------------------------------------------------------------------- 3-4. execute and publish
def publish_notebook(outcome: Outcome, run: Run, root: Path, generated: Path, results: Path) -> str | None:
    """Tidy one executed notebook and move it into place; return a problem or None."""
    import nbformat

    nb = nbformat.read(outcome.output, as_version=4)
    found = notebook_io.problems(nb)
    if found:
        return f"{run.notebook.label}: " + "; ".join(p.describe() for p in found)
    if run.parameters:
        helps = {name: spec.help for name, spec in run.notebook.parameters.items()}
        notebook_io.insert_parameter_box(nb, notebook_io.parameter_box(run.notebook.name, run.parameters, helps))
    notebook_io.tidy(nb)
    generated.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    _write_atomic(generated / f"{run.run_id}.ipynb", nbformat.writes(nb) + "\n")
    payload = {"run": run.run_id, "notebook": run.notebook.label, "parameters": run.parameters,
               "results": notebook_io.glued_values(nb)}
    _write_atomic(results / f"{run.run_id}.json", json.dumps(payload, indent=1, sort_keys=True,
                                                             ensure_ascii=False) + "\n")
    return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def execute_and_publish(stale: list[Run], components: dict, root: Path, workers: int | None,
                        out=sys.stdout) -> None:
    """Run the stale notebooks; publish successes; keep failures aside and raise."""
    work = root / STAGING / "notebooks"
    shutil.rmtree(work, ignore_errors=True)
    jobs = [job_for(run, work / f"{run.run_id}.ipynb", root) for run in stale]
    outcomes = execute_all(jobs, workers, out)
    by_id = {run.run_id: run for run in stale}
    manifest = cache.Manifest(root)
    failures = []
    for outcome in outcomes:
        run = by_id[outcome.run_id]
        problem = None if outcome.ok else outcome.describe_failure(root)
        if problem is None:
            problem = publish_notebook(outcome, run, root, root / GENERATED, root / RESULTS)
        if problem is None:
            manifest.record(run.run_id, components[run.run_id])
            continue
        kept = root / FAILED / f"{run.run_id}.ipynb"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if outcome.output.exists():
            shutil.copyfile(outcome.output, kept)
        failures.append(f"{problem}\n    executed notebook kept at {kept.relative_to(root)}")
    manifest.save()
    if failures:
        raise BuildError("Notebook execution failed; the site was not rebuilt and the last good "
                         "one is untouched:\n  " + "\n  ".join(failures), 1)


# --------------------------------------------------------------------------- 5. site
def site_inputs_digest(root: Path) -> str:
    files = [root / "_config.yml", root / "_toc.yml", root / "requirements.txt"]
    files += [p for p in (root / "book").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for p in (root / "data").rglob("*") if p.is_file()]  # the Data page lists them
    return cache.sha256_files(files, root)


def build_site(root: Path, out=sys.stdout, force: bool = False) -> bool:
    """Render the book into a staging folder and swap it in; False if it was up to date."""
    from .site_assets import prepare_assets

    prepare_assets(root)
    check_generated(root)
    digest = site_inputs_digest(root)
    key_file = root / SITE_KEY
    if not force and (root / SITE / "index.html").exists() and key_file.exists() \
            and json.loads(key_file.read_text()).get("inputs") == digest:
        print("Site is up to date", file=out, flush=True)
        return False
    staging = root / STAGING / "site"
    shutil.rmtree(staging, ignore_errors=True)
    print("Building the site with Jupyter Book (execution off, warnings are errors)", file=out, flush=True)
    started = time.perf_counter()
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root),
           "--path-output", str(staging), "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    if proc.returncode != 0 or not (staging / "_build" / "html" / "index.html").exists():
        log = root / "_build" / "site-build.log"
        log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
        text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
        warnings = [l for l in text.splitlines() if "WARNING" in l or "ERROR" in l]
        raise BuildError("Jupyter Book failed; the last good site is untouched.\n  "
                         + "\n  ".join(warnings[:20] or ["see " + str(log.relative_to(root))])
                         + f"\n  full log: {log.relative_to(root)}", 1)
    swap_in(staging / "_build" / "html", root / SITE)
    shutil.rmtree(staging, ignore_errors=True)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(json.dumps({"inputs": digest}))
    print(f"Site built in {time.perf_counter() - started:.1f} s: {SITE}/index.html", file=out, flush=True)
    return True


def check_generated(root: Path) -> None:
    """Never render an executed notebook that holds an error output."""
    import nbformat

    for path in sorted((root / GENERATED).glob("*.ipynb")):
        found = notebook_io.problems(nbformat.read(path, as_version=4))
        if found:
            raise BuildError(f"{path.relative_to(root)} holds an error output and will not be "
                             f"rendered: {found[0].describe()}", 1)


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with two renames, so no half-written site is ever served."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- the whole build
@contextlib.contextmanager
def exclusive(root: Path):
    """Hold the build lock, so two builds in one folder wait for each other instead of clashing."""
    lock = root / "_build" / "build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(root: Path | None = None, *, workers: int | None = None, force: bool = False,
          out=sys.stdout) -> BuildReport:
    """Preflight, execute what changed, publish, and build the site."""
    root = root or project_root()
    with exclusive(root):
        return _build(root, workers, force, out)


def _build(root: Path, workers: int | None, force: bool, out) -> BuildReport:
    started = time.perf_counter()
    runs = preflight(root)
    stale, components, reasons = plan(runs, root, force)
    report = BuildReport(executed=[r.run_id for r in stale],
                         up_to_date=[r.run_id for r in runs if r not in stale], reasons=reasons)
    for run in stale:
        print(f"  {run.run_id}: {', '.join(reasons[run.run_id])}", file=out)
    if not stale:
        print(f"All {len(runs)} notebook run(s) are up to date", file=out, flush=True)
    else:
        execute_and_publish(stale, components, root, workers, out)
    report.site_built = build_site(root, out, force=force)
    report.seconds = time.perf_counter() - started
    return report
