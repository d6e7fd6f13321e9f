"""Specification curve for the competition-innovation quadratic.

A specification curve (Simonsohn, Simmons and Nelson 2020, Nature Human
Behaviour 4: 1208-1214) reports one estimate for every defensible
combination of analytic choices instead of a single preferred model, so a
reader sees how much a conclusion depends on them. Here the choices are the
outcome, the estimator, the fixed effects, the standard-error type and the
level of aggregation (firm-years or industry-year means).

Invalid combinations are listed with their reason instead of being
silently skipped; see :func:`innobook.analysis.competition.inverted_u.invalid_reason`. The only
structural one in the default grid is firm clustering after averaging to
industry-year cells, where firms no longer exist. Fits that fail at run
time (too few clusters after a year filter, non-convergence) are reported
in the ``error`` column.

Each model is estimated once and all its standard-error variants are
derived from the same scores and Hessian; the distinct models run in
parallel worker processes. Workers are started fresh ("spawn") with one
BLAS thread each: with as many workers as cores, multi-threaded BLAS inside
each worker only oversubscribes the machine (on the two-core reference
machine it made the curve about five times slower).
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from .inverted_u import (ESTIMATORS, FIXED_EFFECTS, LEVELS, Columns, QuadraticSpec,
                         fit_quadratic_variants, invalid_reason)

DEFAULT_OUTCOMES = ("cites", "patents")
DEFAULT_SE_TYPES = ("cluster_firm", "cluster_industry", "hc")

SPEC_COLUMNS = ["outcome", "estimator", "fixed_effects", "se", "level", "years", "correction"]


def build_specs(outcomes=DEFAULT_OUTCOMES, estimators=ESTIMATORS, fixed_effects=FIXED_EFFECTS,
                se_types=DEFAULT_SE_TYPES, levels=LEVELS, years=(None,), correction="stata",
                alpha: float = 0.05) -> list:
    """Every combination of the given choices as :class:`QuadraticSpec` objects."""
    return [QuadraticSpec(o, e, f, s, lv, y, correction, alpha)
            for o, e, f, s, lv, y in itertools.product(outcomes, estimators, fixed_effects,
                                                       se_types, levels, years)]


def _row(spec: QuadraticSpec) -> dict:
    return {
        "outcome": spec.outcome, "estimator": spec.estimator,
        "fixed_effects": spec.fixed_effects, "se": spec.se, "level": spec.level,
        "years": "all" if spec.years is None else f"{spec.years[0]}-{spec.years[1]}",
        "correction": spec.correction,
    }


def _result_row(spec: QuadraticSpec, fit) -> dict:
    ci = fit.conf_int().loc["competition_sq"]
    fieller = fit.turning_point_ci_fieller
    lm = fit.lind_mehlum
    tl = fit.two_lines
    row = _row(spec)
    row.update({
        "valid": True, "invalid_reason": None, "error": None,
        "nobs": fit.nobs, "n_clusters": fit.n_clusters,
        "b1": fit.b1, "b2": fit.b2, "se_b2": fit.se_b2,
        "b2_ci_lower": float(ci["lower"]), "b2_ci_upper": float(ci["upper"]), "p_b2": fit.p_b2,
        "turning_point": fit.turning_point, "turning_point_in_range": fit.turning_point_in_range,
        "tp_delta_lower": fit.turning_point_ci_delta[0],
        "tp_delta_upper": fit.turning_point_ci_delta[1],
        "tp_fieller_kind": fieller.kind, "tp_fieller_lower": fieller.lower,
        "tp_fieller_upper": fieller.upper,
        "lm_shape_tested": lm.shape_tested, "lm_p": lm.p_value,
        "lm_inverted_u": lm.verdict == "inverted U", "lm_verdict": lm.verdict,
        "two_lines_verdict": None if tl is None else tl.verdict,
        "two_lines_breakpoint": None if tl is None else tl.breakpoint,
        "two_lines_p1": None if tl is None else tl.p1,
        "two_lines_p2": None if tl is None else tl.p2,
    })
    return row


def _run_group(data: pd.DataFrame, specs: list, columns: Columns, two_lines: bool,
               min_clusters: int) -> list:
    """Fit one model and report it for each spec (same model, different SEs)."""
    first = specs[0]
    start = time.perf_counter()
    try:
        fits = fit_quadratic_variants(data, first, [s.se for s in specs], two_lines=two_lines,
                                      columns=columns, min_clusters=min_clusters)
        rows = [_result_row(s, f) for s, f in zip(specs, fits)]
    except Exception as exc:  # noqa: BLE001 - a failed spec is a result, reported as such
        if len(specs) > 1:  # retry one by one so that one bad SE type does not hide the others
            return [row for s in specs
                    for row in _run_group(data, [s], columns, two_lines, min_clusters)]
        row = _row(first)
        row.update({"valid": True, "invalid_reason": None,
                    "error": f"{type(exc).__name__}: {exc}"})
        rows = [row]
    seconds = (time.perf_counter() - start) / len(rows)
    for row in rows:
        row["seconds"] = seconds
    return rows


def _cost(spec: QuadraticSpec) -> float:
    """Rough relative cost, used to start the slow models first."""
    size = 5.0 if spec.level == "firm" else 1.0
    fe = {"none": 0.2, "year": 0.3, "year_industry": 3.0}[spec.fixed_effects]
    est = {"poisson": 1.0, "negbin": 1.8, "ols_log1p": 0.4}[spec.estimator]
    return size * fe * est


_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


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


def run_spec_curve(data: pd.DataFrame, specs=None, n_jobs: int | None = None,
                   two_lines: bool = True, columns: Columns = Columns(),
                   min_clusters: int = 20, blas_threads: int = 1) -> pd.DataFrame:
    """Estimate every specification and return one tidy row per spec.

    Parameters
    ----------
    data : DataFrame
        The firm panel (InstInnovation columns by default).
    specs : list of QuadraticSpec, optional
        Defaults to :func:`build_specs` (2 outcomes x 3 estimators x 3
        fixed-effect sets x 3 standard-error types x 2 levels = 108 specs,
        18 of them structurally invalid).
    n_jobs : int, optional
        Worker processes; default all cores. ``1`` runs in this process.
    blas_threads : int
        BLAS threads in each worker process.

    Returns
    -------
    DataFrame
        Spec settings, ``valid``/``invalid_reason``/``error``, ``nobs``,
        ``n_clusters``, ``b2`` with ``se_b2``, CI and ``p_b2``, the turning
        point with delta-method and Fieller bounds (``tp_fieller_kind`` says
        whether the Fieller set is bounded), the Lind-Mehlum p-value and
        pass/fail (``lm_inverted_u``) and the two-lines verdict.
    """
    specs = build_specs() if specs is None else list(specs)
    rows, groups = [], {}
    for order, spec in enumerate(specs):
        reason = invalid_reason(spec)
        if reason:
            row = _row(spec)
            row.update({"valid": False, "invalid_reason": reason, "error": None,
                        "_order": order})
            rows.append(row)
            continue
        key = (spec.outcome, spec.estimator, spec.fixed_effects, spec.level, spec.years,
               spec.correction, spec.alpha)
        groups.setdefault(key, []).append((order, spec))

    needed = sorted({c for s in specs for c in (s.outcome,)}
                    | {columns.competition, columns.firm, columns.industry, columns.year})
    slim = data.loc[:, [c for c in needed if c in data.columns]]
    tasks = sorted(groups.values(), key=lambda g: -_cost(g[0][1]))
    n_jobs = n_jobs or os.cpu_count() or 1

    def attach(task, result_rows):
        for (order, _), row in zip(task, result_rows):
            row["_order"] = order
            rows.append(row)

    if n_jobs == 1 or len(tasks) <= 1:
        for task in tasks:
            attach(task, _run_group(slim, [s for _, s in task], columns, two_lines,
                                    min_clusters))
    else:
        threads = {k: str(blas_threads) for k in _BLAS_THREAD_VARIABLES}
        context = multiprocessing.get_context("spawn")
        with _environment(**threads), ProcessPoolExecutor(
                max_workers=min(n_jobs, len(tasks)), mp_context=context) as pool:
            futures = [(task, pool.submit(_run_group, slim, [s for _, s in task], columns,
                                          two_lines, min_clusters)) for task in tasks]
            for task, future in futures:
                attach(task, future.result())
    frame = pd.DataFrame(rows).sort_values("_order").drop(columns="_order")
    return frame.reset_index(drop=True)


def summarise_curve(curve: pd.DataFrame, alpha: float = 0.05) -> dict:
    """Counts for the text: how many valid specs pass each test.

    ``alpha`` is the level for "significantly negative squared term"; it
    should be the level the curve was run at (the Lind-Mehlum and two-lines
    verdicts already use the level stored in each spec).
    """
    ok = curve[curve["valid"] & curve["error"].isna()]
    return {
        "n_specs": int(len(curve)),
        "n_valid": int(curve["valid"].sum()),
        "n_failed": int((curve["valid"] & curve["error"].notna()).sum()),
        "n_estimated": int(len(ok)),
        "n_b2_negative_significant": int(((ok["b2"] < 0) & (ok["p_b2"] < alpha)).sum()),
        "n_lind_mehlum_inverted_u": int(ok["lm_inverted_u"].sum()),
        "n_two_lines_inverted_u": int((ok["two_lines_verdict"] == "inverted U").sum()),
        "n_both_inverted_u": int((ok["lm_inverted_u"]
                                  & (ok["two_lines_verdict"] == "inverted U")).sum()),
    }
