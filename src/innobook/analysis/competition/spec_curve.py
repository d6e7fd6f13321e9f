"""Specification curve for the competition-innovation quadratic.

A specification curve (Simonsohn, Simmons and Nelson 2020, Nature Human
Behaviour 4: 1208-1214) reports one estimate for every defensible
combination of analytic choices instead of a single preferred model, so a
reader sees how much a conclusion depends on them. Here the choices are the
outcome, the estimator, the fixed effects, the standard-error type and the
level of aggregation (firm-years or industry-year means), and optionally
the sample (several data sets passed by name, e.g. with and without a rule
for extreme observations).

Invalid combinations are listed with their reason instead of being
silently skipped; see :func:`innobook.analysis.competition.inverted_u.invalid_reason`
and the ``invalid`` hook of :func:`run_spec_curve`. The only structural one
in the default grid is firm clustering after averaging to industry-year
cells, where firms no longer exist. Fits that fail at run time (too few
clusters after a year filter, non-convergence) are reported in the ``error``
column.

Each model is estimated once and all its standard-error variants are
derived from the same scores and Hessian. The distinct models are tasks for
an executor (:mod:`innobook.executors`): local worker processes by default,
a Dask cluster when one is given. With ``bootstrap`` settings, every
clustered specification also gets wild cluster bootstrap tests of the
squared term and of the Lind-Mehlum shape
(:mod:`innobook.analysis.competition.bootstrap`), each seeded from a hash of
the specification, so the curve is the same whichever executor and however
many workers ran it.
"""
from __future__ import annotations

import itertools
import time

import pandas as pd

from ...executors import Executor, make_executor, task_seed
from .bootstrap import BootstrapSettings, bootstrap_shape
from .inverted_u import (ESTIMATORS, FIXED_EFFECTS, LEVELS, Columns, QuadraticSpec,
                         fit_quadratic_variants, invalid_reason)

DEFAULT_OUTCOMES = ("cites", "patents")
DEFAULT_SE_TYPES = ("cluster_firm", "cluster_industry", "hc")

SPEC_COLUMNS = ["outcome", "estimator", "fixed_effects", "se", "level", "years", "correction"]
DEFAULT_SAMPLE = "all"


def build_specs(outcomes=DEFAULT_OUTCOMES, estimators=ESTIMATORS, fixed_effects=FIXED_EFFECTS,
                se_types=DEFAULT_SE_TYPES, levels=LEVELS, years=(None,), correction="stata",
                alpha: float = 0.05, panel: str = "firms") -> list:
    """Every combination of the given choices as :class:`QuadraticSpec` objects."""
    return [QuadraticSpec(o, e, f, s, lv, y, correction, alpha, panel)
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


BOOTSTRAP_COLUMNS = ["boot_method", "boot_draws", "boot_p_b2", "boot_lm_p", "boot_lm_verdict",
                     "boot_lm_inverted_u"]


def spec_seed(spec: QuadraticSpec, sample: str = DEFAULT_SAMPLE) -> int:
    """The bootstrap seed of a specification: a hash of its description."""
    return task_seed(spec.to_dict(), sample)


def _bootstrap_row(spec: QuadraticSpec, fit, sample: str, settings: BootstrapSettings) -> dict:
    if not spec.se.startswith("cluster"):
        return {}
    shape = bootstrap_shape(fit, settings, seed=spec_seed(spec, sample))
    return {"boot_method": shape.b2.method, "boot_draws": settings.draws,
            "boot_p_b2": shape.b2.p_value, "boot_lm_p": shape.lm_p,
            "boot_lm_verdict": shape.lm_verdict,
            "boot_lm_inverted_u": shape.lm_verdict == "inverted U"}


def _run_group(data: pd.DataFrame, specs: list, columns: Columns, two_lines: bool,
               min_clusters: int, sample: str = DEFAULT_SAMPLE,
               bootstrap: BootstrapSettings | None = None) -> list:
    """Fit one model and report it for each spec (same model, different SEs)."""
    first = specs[0]
    start = time.perf_counter()
    try:
        fits = fit_quadratic_variants(data, first, [s.se for s in specs], two_lines=two_lines,
                                      columns=columns, min_clusters=min_clusters)
        rows = []
        for s, f in zip(specs, fits):
            row = _result_row(s, f)
            if bootstrap is not None:
                row.update(_bootstrap_row(s, f, sample, bootstrap))
            rows.append(row)
    except Exception as exc:  # noqa: BLE001 - a failed spec is a result, reported as such
        if len(specs) > 1:  # retry one by one so that one bad SE type does not hide the others
            return [row for s in specs
                    for row in _run_group(data, [s], columns, two_lines, min_clusters, sample,
                                          bootstrap)]
        row = _row(first)
        row.update({"valid": True, "invalid_reason": None,
                    "error": f"{type(exc).__name__}: {exc}"})
        rows = [row]
    seconds = (time.perf_counter() - start) / len(rows)
    for row in rows:
        row["seconds"] = seconds
    return rows


def _run_task(shared, task) -> list:
    """One executor task: a sample name and the specs that share one model."""
    samples, columns, two_lines, min_clusters, bootstrap = shared
    sample, specs = task
    return _run_group(samples[sample], specs, columns, two_lines, min_clusters, sample, bootstrap)


def _cost(spec: QuadraticSpec) -> float:
    """Rough relative cost, used to start the slow models first."""
    size = 5.0 if spec.level == "firm" else 1.0
    fe = {"none": 0.2, "year": 0.3, "year_industry": 3.0}[spec.fixed_effects]
    est = {"poisson": 1.0, "negbin": 1.8, "ols_log1p": 0.4}[spec.estimator]
    return size * fe * est


def run_spec_curve(data, specs=None, n_jobs: int | None = None,
                   two_lines: bool = True, columns: Columns = Columns(),
                   min_clusters: int = 20, blas_threads: int = 1,
                   executor: Executor | None = None,
                   bootstrap: BootstrapSettings | None = None, invalid=None) -> pd.DataFrame:
    """Estimate every specification and return one tidy row per spec.

    Parameters
    ----------
    data : DataFrame or dict of DataFrames
        The panel (InstInnovation columns by default). A dict maps sample
        names to panels: every specification is then run on every sample and
        the rows carry a ``sample`` column.
    specs : list of QuadraticSpec, optional
        Defaults to :func:`build_specs` (2 outcomes x 3 estimators x 3
        fixed-effect sets x 3 standard-error types x 2 levels = 108 specs,
        18 of them structurally invalid).
    n_jobs : int, optional
        Worker processes when no ``executor`` is given; default all cores.
        ``1`` runs in this process.
    blas_threads : int
        BLAS threads in each local worker process.
    executor : Executor, optional
        Where to run the models (:func:`innobook.executors.make_executor`);
        left open for the caller to close.
    bootstrap : BootstrapSettings, optional
        Also run bootstrap tests for the clustered specifications (columns
        ``boot_*``).
    invalid : callable, optional
        ``invalid(spec) -> reason or None``, extra structural exclusions on
        top of :func:`invalid_reason` (e.g. a count model for an amount).

    Returns
    -------
    DataFrame
        Spec settings, ``valid``/``invalid_reason``/``error``, ``nobs``,
        ``n_clusters``, ``b2`` with ``se_b2``, CI and ``p_b2``, the turning
        point with delta-method and Fieller bounds (``tp_fieller_kind`` says
        whether the Fieller set is bounded), the Lind-Mehlum p-value and
        pass/fail (``lm_inverted_u``), the two-lines verdict, the bootstrap
        columns when asked for, and ``seconds`` per spec.
    """
    specs = build_specs() if specs is None else list(specs)
    many = isinstance(data, dict)
    samples = dict(data) if many else {DEFAULT_SAMPLE: data}
    rows, groups = [], {}
    order = 0
    for sample in samples:
        for spec in specs:
            reason = invalid_reason(spec) or (invalid(spec) if invalid else None)
            if reason:
                row = _row(spec)
                row.update({"valid": False, "invalid_reason": reason, "error": None,
                            "_order": order, "_sample": sample})
                rows.append(row)
            else:
                key = (sample, spec.outcome, spec.estimator, spec.fixed_effects, spec.level,
                       spec.years, spec.correction, spec.alpha, spec.panel)
                groups.setdefault(key, []).append((order, spec))
            order += 1

    needed = {c for s in specs for c in (s.outcome,)} | {
        columns.competition, columns.firm, columns.industry, columns.year}
    slim = {name: frame.loc[:, [c for c in sorted(needed) if c in frame.columns]]
            for name, frame in samples.items()}
    keys = sorted(groups, key=lambda k: -_cost(groups[k][0][1]))
    tasks = [(key[0], [s for _, s in groups[key]]) for key in keys]
    shared = (slim, columns, two_lines, min_clusters, bootstrap)

    own = executor is None
    executor = make_executor(None, n_jobs, blas_threads) if own else executor
    try:
        results = executor.map(_run_task, tasks, shared=shared)
    finally:
        if own:
            executor.close()
    for key, result_rows in zip(keys, results):
        for (position, _), row in zip(groups[key], result_rows):
            row["_order"] = position
            row["_sample"] = key[0]
            rows.append(row)
    frame = pd.DataFrame(rows).sort_values("_order").drop(columns="_order")
    if bootstrap is not None:
        for column in BOOTSTRAP_COLUMNS:
            if column not in frame.columns:
                frame[column] = None
    if many:
        frame.insert(0, "sample", frame.pop("_sample"))
    else:
        frame = frame.drop(columns="_sample")
    return frame.reset_index(drop=True)


def summarise_curve(curve: pd.DataFrame, alpha: float = 0.05) -> dict:
    """Counts for the text: how many valid specs pass each test.

    ``alpha`` is the level for "significantly negative squared term"; it
    should be the level the curve was run at (the Lind-Mehlum and two-lines
    verdicts already use the level stored in each spec).
    """
    ok = curve[curve["valid"] & curve["error"].isna()]
    extra = {}
    if "boot_lm_p" in curve.columns:
        booted = ok[ok["boot_lm_p"].notna()]
        extra = {
            "n_bootstrapped": int(len(booted)),
            "n_boot_b2_significant": int((booted["boot_p_b2"] < alpha).sum()),
            "n_boot_lind_mehlum_inverted_u": int(booted["boot_lm_inverted_u"].astype(bool).sum()),
        }
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
    } | extra
