"""Commands for reviewers: rerun one notebook with other parameters, and verify every result.

``run`` executes one notebook into a folder of its own (``_build/runs/...`` by
default) and never touches the book: an ``--out`` folder inside the book's own folders
(``notebooks/``, ``book/``, ``data/``, ``src/``, ``tests/``, ``_build/html``, ``_build/cache``) or
the project folder itself is refused, so a rerun can never overwrite a template or a
published chapter behind the build cache's back. ``verify`` re-executes every run from
scratch in a scratch folder and compares each key result with the expected
results committed in ``tests/expected/``.

Tolerance: numbers match when ``|new - expected| <= 1e-6 * max(1, |expected|)``;
strings, booleans and integers must match exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import notebook_io
from .build import BuildError, exclusive, preflight, publish_notebook
from .execute import execute_all, job_for
from .params import ParameterError, Run, load_declaration, validate

EXPECTED = Path("tests") / "expected"
RELATIVE_TOLERANCE = 1e-6
# Folders of the book itself: a reviewer's run may not write into them (``run --out``).
PROTECTED = ("notebooks", "book", "data", "src", "tests", "_build/html", "_build/cache",
             "_build/sphinx", ".venv", ".git")


def check_out_dir(root: Path, out_dir: Path) -> Path:
    """The folder a reviewer's run writes to, made absolute; refuse the book's own folders."""
    resolved = (out_dir if out_dir.is_absolute() else Path.cwd() / out_dir).resolve()
    root = root.resolve()
    if resolved == root:
        raise BuildError(f"--out {out_dir}: that is the book's own folder; choose a folder of its "
                         "own, e.g. _build/runs/mine", 2)
    for name in PROTECTED:
        folder = root / name
        if resolved == folder or folder in resolved.parents:
            raise BuildError(f"--out {out_dir}: it lies inside {name}/, which belongs to the book "
                             "(writing there would change it behind the build cache's back); "
                             "choose another folder, e.g. _build/runs/mine", 2)
    try:
        resolved.mkdir(parents=True, exist_ok=True)
        probe = resolved / f".innobook-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise BuildError(f"--out {out_dir}: cannot write there ({err.strerror or err}); "
                         "choose a folder you can write to", 2) from None
    return resolved


def _spec_for(root: Path, notebook: str):
    """The declaration of one notebook (others are not read, so one broken file does not block all)."""
    name = Path(notebook).name.removesuffix(".ipynb")
    declaration = root / "notebooks" / f"{name}.params.yml"
    if not declaration.exists():
        known = sorted(p.name.removesuffix(".params.yml") for p in (root / "notebooks").glob("*.params.yml"))
        raise BuildError(f"unknown notebook {notebook!r}; notebooks: "
                         + ", ".join(f"notebooks/{n}.ipynb" for n in known), 2)
    try:
        return load_declaration(declaration)
    except ParameterError as err:
        raise BuildError(str(err), 2) from err


def run_one(root: Path, notebook: str, given: dict[str, Any], out_dir: Path | None = None,
            out=sys.stdout) -> dict:
    """Execute one notebook with other parameters into its own folder; print its key results."""
    spec = _spec_for(root, notebook)
    try:
        params = validate(spec, given)
    except ParameterError as err:
        raise BuildError(f"Parameter check failed, nothing was executed:\n  {err}", 2) from err
    from ..data import DataValidationError, validate_all

    try:
        validate_all()
    except DataValidationError as err:
        raise BuildError(f"Data check failed, nothing was executed:\n{err}", 2) from err
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    out_dir = check_out_dir(root, out_dir or root / "_build" / "runs" / f"{spec.name}-{digest}")
    run = Run(run_id=spec.name, notebook=spec, parameters=params)
    outcome = execute_all([job_for(run, out_dir / ".work" / f"{spec.name}.ipynb", root)], 1, out)[0]
    if not outcome.ok:
        raise BuildError(outcome.describe_failure(root), 1)
    problem = publish_notebook(outcome, run, root, out_dir, out_dir)
    shutil.rmtree(out_dir / ".work", ignore_errors=True)
    if problem:
        raise BuildError(problem, 1)
    results = json.loads((out_dir / f"{spec.name}.json").read_text())
    print(f"\nExecuted notebook: {_rel(out_dir / (spec.name + '.ipynb'), root)}", file=out)
    print(f"Results:           {_rel(out_dir / (spec.name + '.json'), root)}\n", file=out)
    print(format_results(results["results"]), file=out)
    return results


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def format_results(results: dict[str, Any]) -> str:
    width = max((len(k) for k in results), default=10)
    return "\n".join(f"  {k:<{width}}  {_show(v)}" for k, v in sorted(results.items()))


def _show(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Comparison:
    run_id: str
    key: str
    expected: Any
    actual: Any
    status: str   # "match", "MISMATCH", "missing", "new"


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, float) or isinstance(actual, float):
        if expected is None or actual is None:
            return expected is actual
        return math.isclose(actual, expected, rel_tol=0, abs_tol=RELATIVE_TOLERANCE * max(1.0, abs(expected)))
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(a, b) for a, b in zip(expected, actual))
    return expected == actual


def compare(run_id: str, expected: dict, actual: dict) -> list[Comparison]:
    rows = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            rows.append(Comparison(run_id, key, expected[key], None, "missing"))
        elif key not in expected:
            rows.append(Comparison(run_id, key, None, actual[key], "new"))
        else:
            ok = same(expected[key], actual[key])
            rows.append(Comparison(run_id, key, expected[key], actual[key], "match" if ok else "MISMATCH"))
    return rows


def verify(root: Path, workers: int | None = None, update: bool = False, only: list[str] | None = None,
           out=sys.stdout) -> int:
    """Re-execute every run from scratch and compare with ``tests/expected``; 1 on any mismatch."""
    with exclusive(root):
        return _verify(root, workers, update, only, out)


def _verify(root: Path, workers: int | None, update: bool, only: list[str] | None, out) -> int:
    runs = preflight(root)
    if only:
        unknown = sorted(set(only) - {r.run_id for r in runs})
        if unknown:
            raise BuildError(f"unknown run {unknown[0]!r}; runs: {', '.join(r.run_id for r in runs)}", 2)
        runs = [r for r in runs if r.run_id in only]
    scratch = root / "_build" / "verify"
    shutil.rmtree(scratch, ignore_errors=True)
    jobs = [job_for(run, scratch / ".work" / f"{run.run_id}.ipynb", root) for run in runs]
    outcomes = execute_all(jobs, workers, out)
    failed = [o.describe_failure(root) for o in outcomes if not o.ok]
    if failed:
        raise BuildError("verify: notebook execution failed:\n  " + "\n  ".join(failed), 1)
    rows: list[Comparison] = []
    for run, outcome in zip(runs, outcomes):
        problem = publish_notebook(outcome, run, root, scratch, scratch)
        if problem:
            raise BuildError(problem, 1)
        actual = json.loads((scratch / f"{run.run_id}.json").read_text())["results"]
        expected_file = root / EXPECTED / f"{run.run_id}.json"
        if update:
            expected_file.parent.mkdir(parents=True, exist_ok=True)
            expected_file.write_text(json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
            continue
        expected = json.loads(expected_file.read_text()) if expected_file.exists() else {}
        rows += compare(run.run_id, expected, actual)
    if update:
        print(f"Expected results written to {EXPECTED}/ for {len(runs)} run(s)", file=out)
        return 0
    print(format_comparison(rows), file=out)
    bad = [r for r in rows if r.status in ("MISMATCH", "missing", "new")]
    print(f"\n{len(rows) - len(bad)} matched, {len(bad)} differ "
          f"(tolerance: |difference| <= {RELATIVE_TOLERANCE:g} x max(1, |expected|))", file=out)
    return 1 if bad else 0


def format_comparison(rows: list[Comparison]) -> str:
    header = f"{'run':<20} {'key':<34} {'expected':>16} {'actual':>16}  status"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.run_id:<20} {r.key:<34} {_show(r.expected):>16} {_show(r.actual):>16}  {r.status}")
    return "\n".join(lines)
