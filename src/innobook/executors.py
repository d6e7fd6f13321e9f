"""One interface for running many independent tasks: here, or on a cluster.

The specification curve and the bootstrap run hundreds to thousands of
independent fits. They hand them to an :class:`Executor`, whose
:meth:`~Executor.map` applies a function to every item and returns the
results in the items' order:

* :class:`LocalExecutor` (the default): worker processes on this machine,
  started fresh ("spawn") with one BLAS thread each, since with as many
  workers as cores multi-threaded BLAS inside each worker only
  oversubscribes the machine; ``n_jobs=1`` runs in this process.
* :class:`DaskExecutor`: a Dask distributed cluster, when a scheduler
  address is given (``tcp://host:8786``) or a ``distributed.Client``. The
  workers need this package installed (the same environment); set
  ``OMP_NUM_THREADS=1`` in their environment for the same reason as above.

:func:`make_executor` chooses between them from a scheduler address and a
number of jobs, the two settings the scripts and chapters expose.

Results must not depend on where a task ran. Tasks are pure functions of
their inputs, and any random numbers a task draws come from a seed derived
from the task's own description with :func:`task_seed` (a hash), never from
a global stream or a worker's position in the queue.

A floor module: it knows nothing of the analysis or the engine, so both
wings may use it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterable

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "make_executor", "task_seed"]

_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _canonical(value: Any) -> Any:
    """JSON-ready form of a task description with a stable ordering."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def task_seed(*parts: Any) -> int:
    """A 32-bit seed derived from a hash of the task's description.

    ``parts`` are plain values, dicts, lists or objects with ``to_dict()``
    (a specification, a sample name, a test name). The same description
    gives the same seed on every machine, in every worker, in any order.
    """
    text = json.dumps([_canonical(p) for p in parts], sort_keys=True, ensure_ascii=True,
                      separators=(",", ":"), default=str)
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)


@contextlib.contextmanager
def _environment(**values):
    """Set environment variables for processes started inside the block."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _call(fn, shared, item):
    return fn(shared, item)


class Executor:
    """Apply ``fn(shared, item)`` to every item; results in the items' order.

    ``shared`` is sent to the workers once (or once per task for local
    processes) and is the place for large read-only inputs such as the data.
    Use as a context manager, or call :meth:`close`.
    """

    name = "executor"
    workers = 1

    def map(self, fn: Callable, items: Iterable, shared: Any = None) -> list:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class LocalExecutor(Executor):
    """Worker processes on this machine (``n_jobs=1``: in this process)."""

    name = "local processes"

    def __init__(self, n_jobs: int | None = None, blas_threads: int = 1):
        self.workers = max(1, int(n_jobs or os.cpu_count() or 1))
        self.blas_threads = blas_threads

    def map(self, fn, items, shared=None) -> list:
        items = list(items)
        if self.workers == 1 or len(items) <= 1:
            return [fn(shared, item) for item in items]
        threads = {k: str(self.blas_threads) for k in _BLAS_THREAD_VARIABLES}
        context = multiprocessing.get_context("spawn")
        with _environment(**threads), ProcessPoolExecutor(
                max_workers=min(self.workers, len(items)), mp_context=context) as pool:
            futures = [pool.submit(_call, fn, shared, item) for item in items]
            return [f.result() for f in futures]


class DaskExecutor(Executor):
    """A Dask distributed cluster, by scheduler address or an existing client."""

    name = "Dask cluster"

    def __init__(self, scheduler):
        from distributed import Client

        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            self.client, self._own = Client(str(scheduler)), True
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        self.address = self.client.scheduler.address

    def map(self, fn, items, shared=None) -> list:
        items = list(items)
        if not items:
            return []
        data = self.client.scatter(shared, broadcast=True) if shared is not None else None
        futures = [self.client.submit(_call, fn, data, item, pure=False) for item in items]
        return self.client.gather(futures)

    def describe(self) -> str:
        return f"{self.name} at {self.address} ({self.workers} worker threads)"

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_executor(scheduler: str | None = None, n_jobs: int | None = None,
                  blas_threads: int = 1) -> Executor:
    """Dask when ``scheduler`` is an address (e.g. ``tcp://host:8786``),
    otherwise local processes (``n_jobs``: how many; ``None`` or 0 = every
    core)."""
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(n_jobs or None, blas_threads)
