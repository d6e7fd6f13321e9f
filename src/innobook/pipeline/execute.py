"""Execute notebooks with papermill, several at once, and report what happened.

Each run executes in a worker process of its own (one kernel per run), so the
machine's cores are used in parallel. The worker sets the environment the
notebook's kernel inherits: the project root and the list of data resources the
notebook declared (the loader refuses anything else, which keeps the build cache
honest).

Faults this module answers for:

* **A killed build leaves nothing behind.** Workers are started fresh (``spawn``), so they
  inherit no open file of the build (its lock above all), and they ask the operating system
  to kill them when the build dies (``PR_SET_PDEATHSIG`` on Linux; elsewhere a thread that
  watches the parent). A worker's kernel stops by itself when its worker is gone (ipykernel
  polls its parent).
* **A kernel that fails to start is retried once** (jupyter_client picks free ports before
  the kernel binds them, and two kernels starting at once can race for one).
* **Every run has a time limit** (``timeout`` in the notebook's ``.params.yml``, default
  :data:`innobook.pipeline.params.DEFAULT_TIMEOUT` seconds), counted from the moment its
  kernel is ready. A run that reaches it is stopped and reported with its cell and the limit.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .params import DEFAULT_TIMEOUT, Run

KERNEL = "python3"
KERNEL_START_ATTEMPTS = 2   # the first start, and one retry


@dataclass(frozen=True)
class Job:
    """What a worker needs to execute one run (picklable)."""

    run_id: str
    template: Path
    output: Path
    parameters: dict
    reads: tuple[str, ...]
    root: Path
    timeout: float = DEFAULT_TIMEOUT


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
    timed_out: float | None = None   # the time limit, when the run reached it
    retried: str = ""                # why the kernel was started a second time, if it was

    def describe_failure(self, root: Path) -> str:
        where = f"code cell {self.cell}" if self.cell else "an unknown cell"
        count = f" (In [{self.exec_count}])" if self.exec_count else ""
        first = f": `{self.source_line}`" if self.source_line else ""
        template = _rel(self.template, root)
        if self.timed_out is not None:
            declaration = _rel(self.template.with_name(self.template.stem + ".params.yml"), root)
            return (f"{template} was stopped in {where}{first}\n"
                    f"    it reached its time limit of {self.timed_out:g} s; if it needs longer, "
                    f"raise `timeout` in {declaration}")
        return (f"{template} failed in {where}{count}{first}\n"
                f"    {self.ename}: {self.evalue}")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def job_for(run: Run, output: Path, root: Path) -> Job:
    return Job(run.run_id, run.notebook.path, output, dict(run.parameters),
               tuple(run.notebook.reads), root, float(run.notebook.timeout))


def _template_cell(template: Path, source: str) -> int | None:
    """The 1-based number of the template's code cell with this source."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code, start=1):
        if cell.source.strip() == (source or "").strip():
            return i
    return None


# --------------------------------------------------------------------------- workers
def _die_with_parent(parent: int) -> None:
    """Pool initializer: this worker ends when the build that started it ends, however it ends."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: fall back on watching the parent
            _watch_parent(parent)
    else:
        _watch_parent(parent)
    if os.getppid() != parent:  # the build died before the signal was armed
        os._exit(1)


def _watch_parent(parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="innobook-parent-watch").start()


def execute_job(job: Job) -> Outcome:
    """Execute one notebook with papermill (runs inside a worker process)."""
    import papermill as pm

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
        return _execute(job, pm, start)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _Progress:
    """What nbclient's hooks tell us: whether the kernel started, and which cell runs."""

    def __init__(self, limit: float):
        self.limit = limit
        self.kernel_ready = False
        self.deadline: float | None = None
        self.cell_source = ""

    def on_notebook_start(self, **_):
        self.kernel_ready = True
        self.deadline = time.monotonic() + self.limit

    def on_cell_start(self, cell=None, **_):
        self.cell_source = (cell or {}).get("source", "")

    def remaining(self, cell=None) -> float:
        """nbclient's per-cell timeout: what is left of the run's time limit."""
        if self.deadline is None:
            return self.limit
        return max(self.deadline - time.monotonic(), 0.05)


def _execute(job: Job, pm, start: float, attempts: int = KERNEL_START_ATTEMPTS) -> Outcome:
    from papermill.exceptions import PapermillExecutionError

    retried = ""
    for attempt in range(1, attempts + 1):
        progress = _Progress(job.timeout)
        try:
            pm.execute_notebook(
                str(job.template), str(job.output), parameters=job.parameters,
                kernel_name=KERNEL, cwd=str(job.root), progress_bar=False, log_output=False,
                request_save_on_cell_execute=False,
                on_notebook_start=progress.on_notebook_start, on_cell_start=progress.on_cell_start,
                timeout_func=progress.remaining, shutdown_kernel="immediate",
            )
        except PapermillExecutionError as err:
            lines = (err.source or "").strip().splitlines()
            return Outcome(job.run_id, job.template, job.output, False, time.perf_counter() - start,
                           cell=_template_cell(job.template, err.source), exec_count=err.exec_count,
                           ename=err.ename, evalue=str(err.evalue),
                           source_line=lines[0][:80] if lines else "", retried=retried)
        except Exception as err:  # the kernel died or did not start, a timeout ...
            text = str(err).strip()
            last = text.splitlines()[-1] if text else ""
            if not progress.kernel_ready and attempt < attempts:
                retried = f"{type(err).__name__}: {last}" if last else type(err).__name__
                continue
            if progress.kernel_ready and isinstance(err, TimeoutError) \
                    and progress.deadline is not None and time.monotonic() >= progress.deadline - 0.5:
                lines = progress.cell_source.strip().splitlines()
                return Outcome(job.run_id, job.template, job.output, False,
                               time.perf_counter() - start,
                               cell=_template_cell(job.template, progress.cell_source),
                               ename="TimeoutError", evalue=f"time limit of {job.timeout:g} s reached",
                               source_line=lines[0][:80] if lines else "", timed_out=job.timeout,
                               retried=retried)
            if not progress.kernel_ready:
                last = f"the kernel did not start ({last or type(err).__name__})" \
                    + (", twice" if attempts > 1 else "")
            return Outcome(job.run_id, job.template, job.output, False, time.perf_counter() - start,
                           ename=type(err).__name__, evalue=last, retried=retried)
        return Outcome(job.run_id, job.template, job.output, True, time.perf_counter() - start,
                       retried=retried)
    raise AssertionError("unreachable")


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _lost(job: Job, err: BaseException) -> Outcome:
    """The outcome of a run whose worker died under it (killed, out of memory ...)."""
    return Outcome(job.run_id, job.template, job.output, False, 0.0, ename=type(err).__name__,
                   evalue="the worker process executing this notebook died (killed, or out of memory?)")


def _report(outcome: Outcome, done: int, total: int, out) -> None:
    status = "ok" if outcome.ok else ("TIMEOUT" if outcome.timed_out is not None else "FAILED")
    note = f"  (kernel start retried after {outcome.retried})" if outcome.retried else ""
    print(f"  [{done}/{total}] {outcome.run_id:<24} {status:<7} {outcome.seconds:6.1f} s{note}",
          file=out, flush=True)


def execute_all(jobs: Iterable[Job], workers: int | None = None, out=sys.stdout,
                on_done: Callable[[Outcome], None] | None = None,
                in_process: bool = False) -> list[Outcome]:
    """Execute jobs in parallel and print one progress line per finished notebook.

    ``on_done(outcome)`` is called as each run finishes (in the order they finish), so a
    caller can keep what is done even if the build is killed before the others end.
    ``in_process``: a single job runs in this process, without starting a worker (the live
    preview, whose passes run in a throw-away process that has papermill imported already).
    """
    jobs = list(jobs)
    if not jobs:
        return []
    workers = min(workers or default_jobs(), len(jobs))
    print(f"Executing {len(jobs)} notebook run(s) on {workers} worker(s)", file=out, flush=True)
    if in_process and len(jobs) == 1:
        outcome = execute_job(jobs[0])
        _report(outcome, 1, 1, out)
        if on_done is not None:
            on_done(outcome)
        return [outcome]
    outcomes = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(execute_job, job): job for job in jobs}
        for done, fut in enumerate(as_completed(futures), start=1):
            try:
                outcome = fut.result()
            except BrokenProcessPool as err:
                outcome = _lost(futures[fut], err)
            outcomes.append(outcome)
            _report(outcome, done, len(jobs), out)
            if on_done is not None:
                on_done(outcome)
    order = {job.run_id: i for i, job in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.run_id])
