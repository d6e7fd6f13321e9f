"""Execute notebooks with papermill, several at once, and report what happened.

Each run executes in a worker process of its own (one kernel per run), so the
machine's cores are used in parallel. The worker sets the environment the
notebook's kernel inherits: the project root and the list of data resources the
notebook declared (the loader refuses anything else, which keeps the build cache
honest).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .params import Run

KERNEL = "python3"


@dataclass(frozen=True)
class Job:
    """What a worker needs to execute one run (picklable)."""

    run_id: str
    template: Path
    output: Path
    parameters: dict
    reads: tuple[str, ...]
    root: Path


@dataclass(frozen=True)
class Outcome:
    """The result of executing one run."""

    run_id: str
    template: Path
    output: Path
    ok: bool
    seconds: float
    cell: int | None = None          # 1-based code-cell number in the template
    exec_count: int | None = None
    ename: str = ""
    evalue: str = ""
    source_line: str = ""

    def describe_failure(self, root: Path) -> str:
        where = f"code cell {self.cell}" if self.cell else "an unknown cell"
        count = f" (In [{self.exec_count}])" if self.exec_count else ""
        first = f": `{self.source_line}`" if self.source_line else ""
        return (f"{self.template.relative_to(root)} failed in {where}{count}{first}\n"
                f"    {self.ename}: {self.evalue}")


def job_for(run: Run, output: Path, root: Path) -> Job:
    return Job(run.run_id, run.notebook.path, output, dict(run.parameters),
               tuple(run.notebook.reads), root)


def _template_cell(template: Path, source: str) -> int | None:
    """The 1-based number of the template's code cell with this source."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code, start=1):
        if cell.source.strip() == (source or "").strip():
            return i
    return None


def execute_job(job: Job) -> Outcome:
    """Execute one notebook with papermill (runs inside a worker process)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    os.environ["INNOBOOK_ROOT"] = str(job.root)
    os.environ["INNOBOOK_DECLARED_RESOURCES"] = ",".join(job.reads)
    os.environ["PYTHONHASHSEED"] = "0"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # notebooks already run in parallel processes
    job.output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    # The kernel inherits this process's stderr; send its start-up chatter to a log file
    # instead of the terminal (errors in cells come back through papermill).
    log = job.output.with_suffix(".kernel.log")
    saved = os.dup(2)
    with open(log, "w") as fh:
        os.dup2(fh.fileno(), 2)
    try:
        return _execute(job, pm, PapermillExecutionError, start)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _execute(job: Job, pm, PapermillExecutionError, start: float) -> Outcome:
    try:
        pm.execute_notebook(
            str(job.template), str(job.output), parameters=job.parameters,
            kernel_name=KERNEL, cwd=str(job.root), progress_bar=False, log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as err:
        lines = (err.source or "").strip().splitlines()
        return Outcome(job.run_id, job.template, job.output, False, time.perf_counter() - start,
                       cell=_template_cell(job.template, err.source), exec_count=err.exec_count,
                       ename=err.ename, evalue=str(err.evalue),
                       source_line=lines[0][:80] if lines else "")
    except Exception as err:  # the kernel died, a timeout, a missing kernel ...
        return Outcome(job.run_id, job.template, job.output, False, time.perf_counter() - start,
                       ename=type(err).__name__, evalue=str(err).strip().splitlines()[-1:][0]
                       if str(err).strip() else "")
    return Outcome(job.run_id, job.template, job.output, True, time.perf_counter() - start)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def execute_all(jobs: Iterable[Job], workers: int | None = None, out=sys.stdout) -> list[Outcome]:
    """Execute jobs in parallel and print one progress line per finished notebook."""
    jobs = list(jobs)
    if not jobs:
        return []
    workers = min(workers or default_jobs(), len(jobs))
    print(f"Executing {len(jobs)} notebook run(s) on {workers} worker(s)", file=out, flush=True)
    outcomes = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute_job, job): job for job in jobs}
        for done, fut in enumerate(as_completed(futures), start=1):
            outcome = fut.result()
            outcomes.append(outcome)
            status = "ok" if outcome.ok else "FAILED"
            print(f"  [{done}/{len(jobs)}] {outcome.run_id:<24} {status:<6} {outcome.seconds:6.1f} s",
                  file=out, flush=True)
    order = {job.run_id: i for i, job in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.run_id])
