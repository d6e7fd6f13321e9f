"""Quadratic regressions of innovation on competition and their result object.

The model is the one of Aghion, Bloom, Blundell, Griffith and Howitt
(2005, QJE 120(2), the exponential quadratic of their Table I):

    E[y | c] = exp(a + b1 c + b2 c^2 + fixed effects)        (Poisson, NB2)
    log(1 + y) = a + b1 c + b2 c^2 + fixed effects + e       (OLS)

where ``c`` is competition, one minus the Lerner index. An inverted U
needs ``b2 < 0`` *and* a turning point ``-b1/(2 b2)`` inside the data with
significant slopes of opposite sign at both ends (Lind and Mehlum 2010), or
two significant opposite slopes in an interrupted regression (Simonsohn
2018). :func:`fit_quadratic` computes all of this and returns a
:class:`QuadraticFit`.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from ..shape_tests import (FiellerSet, LindMehlumResult, critical_value, delta_method_ci,
                           fieller_interval, lind_mehlum_test, turning_point)
from .corrections import SECorrection, resolve_correction
from .estimators import ESTIMATORS, RawFit, fit_raw, sandwich_covariance
from .panel import (FIXED_EFFECTS, LEVELS, Columns, drop_all_zero_groups,
                    fixed_effect_dummies, prepare_panel)
from .two_lines import TwoLinesResult, two_lines_test

SE_TYPES = ("cluster_firm", "cluster_industry", "hc", "nonrobust")

_ESTIMATOR_LABEL = {
    "poisson": "Poisson QMLE (log link)",
    "negbin": "negative binomial NB2 (log link)",
    "ols_log1p": "OLS on log(1 + y)",
}

#: Words for the panel's units. The library's column roles are "firm"
#: (the unit observed each year) and "industry" (the group that shares a
#: competition value); a panel of provinces uses the province for both.
PANEL_WORDS = {
    "firms": {"member": "firm", "group": "industry", "cells": "industry-year means",
              "rows": "firm-years"},
    "provinces": {"member": "province", "group": "province", "cells": "province-year totals",
                  "rows": "province-years"},
}


def _fe_label(fixed_effects: str, panel: str = "firms") -> str:
    group = PANEL_WORDS[panel]["group"]
    return {"none": "no fixed effects", "year": "year fixed effects",
            "year_industry": f"year and {group} fixed effects"}[fixed_effects]


def _se_label(se: str, panel: str = "firms") -> str:
    words = PANEL_WORDS[panel]
    return {"cluster_firm": f"clustered by {words['member']}",
            "cluster_industry": f"clustered by {words['group']}",
            "hc": "heteroskedasticity-robust", "nonrobust": "model-based (non-robust)"}[se]


_FE_LABEL = {k: _fe_label(k) for k in FIXED_EFFECTS}
_SE_LABEL = {k: _se_label(k) for k in ("cluster_firm", "cluster_industry", "hc", "nonrobust")}


@dataclass(frozen=True)
class QuadraticSpec:
    """Settings of one quadratic regression (all plain values)."""

    outcome: str = "cites"
    estimator: str = "poisson"
    fixed_effects: str = "year_industry"
    se: str = "cluster_firm"
    level: str = "firm"
    years: tuple | None = None
    correction: str = "stata"
    alpha: float = 0.05
    panel: str = "firms"

    def describe(self) -> str:
        years = "all years" if self.years is None else f"years {self.years[0]}-{self.years[1]}"
        words = PANEL_WORDS[self.panel]
        unit = words["rows"] if self.level == "firm" else words["cells"]
        return (f"{self.outcome} on competition and its square; {_ESTIMATOR_LABEL[self.estimator]}; "
                f"{_fe_label(self.fixed_effects, self.panel)}; SE {_se_label(self.se, self.panel)}; "
                f"{unit}; {years}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["years"] = None if self.years is None else [int(v) for v in self.years]
        return d


def invalid_reason(spec: QuadraticSpec) -> str | None:
    """Why ``spec`` cannot be estimated meaningfully, or ``None`` if it can.

    Only combinations that are impossible or unreliable by construction are
    rejected here; data-dependent failures (too few clusters after a year
    filter) are detected when fitting.
    """
    if spec.estimator not in ESTIMATORS:
        return f"unknown estimator {spec.estimator!r}"
    if spec.fixed_effects not in FIXED_EFFECTS:
        return f"unknown fixed effects {spec.fixed_effects!r}"
    if spec.se not in SE_TYPES:
        return f"unknown standard error type {spec.se!r}"
    if spec.level not in LEVELS:
        return f"unknown level {spec.level!r}"
    if spec.panel not in PANEL_WORDS:
        return f"unknown panel vocabulary {spec.panel!r}"
    if spec.level == "industry" and spec.se == "cluster_firm":
        return ("firm clusters do not exist once the data are averaged to industry-year cells; "
                "cluster by industry instead")
    return None


def _plain(value):
    """Convert numpy scalars, tuples and non-finite floats for JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


@dataclass
class _Design:
    panel: pd.DataFrame
    y: np.ndarray
    x: np.ndarray
    base: np.ndarray          # constant + fixed-effect dummies
    base_names: list
    n_dropped: int

    _cache: dict = field(default_factory=dict, repr=False)

    def fit_cached(self, estimator: str, X: np.ndarray) -> RawFit:
        """Fit ``estimator`` on design ``X``, reusing an identical earlier fit
        (the two-lines smoother is the same for every standard-error type)."""
        key = (estimator, X.shape, hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest())
        if key not in self._cache:
            self._cache[key] = fit_raw(estimator, self.y, X)
        return self._cache[key]

    @property
    def reference(self) -> np.ndarray:
        """Constant and average fixed-effect dummies: predictions are for the
        average fixed effect of the estimation sample."""
        return self.base.mean(axis=0)


def _build_design(data, spec: QuadraticSpec, columns: Columns) -> _Design:
    panel = prepare_panel(data, spec.outcome, spec.level, spec.years, columns)
    dropped = 0
    if spec.estimator in ("poisson", "negbin"):
        panel, dropped = drop_all_zero_groups(panel, spec.fixed_effects)
    dummies, names = fixed_effect_dummies(panel, spec.fixed_effects)
    base = np.column_stack([np.ones(len(panel)), dummies])
    return _Design(panel, panel["y"].to_numpy(float), panel["x"].to_numpy(float), base,
                   ["const"] + names, dropped)


def _covariance(raw: RawFit, se: str, panel: pd.DataFrame, correction: SECorrection,
                min_clusters: int):
    """Covariance of the mean parameters, t degrees of freedom, number of clusters."""
    n, k = raw.nobs, raw.k
    if se == "nonrobust":
        cov = sandwich_covariance(raw, "nonrobust")
        return cov[:k, :k], correction.df("nonrobust", n, k, None), None
    if se == "hc":
        cov = sandwich_covariance(raw, "hc", hc_factor=correction.hc_factor(n, k))
        return cov[:k, :k], correction.df("hc", n, k, None), None
    key = {"cluster_firm": "firm", "cluster_industry": "industry"}[se]
    groups = panel[key].to_numpy()
    g = len(pd.unique(groups))
    if g < min_clusters:
        raise ValueError(f"only {g} clusters ({key}); at least {min_clusters} are required for "
                         "cluster-robust inference to be credible (see Cameron and Miller "
                         "2015 on inference with few clusters)")
    cov = sandwich_covariance(raw, "cluster", groups,
                              cluster_factor=correction.cluster_factor(n, k, g))
    return cov[:k, :k], correction.df("cluster", n, k, g), g


@dataclass
class QuadraticFit:
    """Result of :func:`fit_quadratic`.

    Main attributes: ``spec`` (:class:`QuadraticSpec`), ``correction``
    (:class:`SECorrection`), ``params``/``bse`` (pandas Series over all mean
    parameters, fixed effects included), ``cov`` (their covariance),
    ``b1``, ``b2``, ``se_b1``, ``se_b2``, ``p_b1``, ``p_b2`` (two-sided),
    ``nobs``, ``n_clusters``, ``n_dropped`` (observations removed because
    their fixed-effect group had only zero outcomes), ``df`` (``None`` for
    normal inference), ``x_min``/``x_max`` (observed competition range),
    ``nb_alpha`` (NB2 dispersion), ``turning_point`` with
    ``turning_point_se`` and ``turning_point_ci_delta`` (delta method) and
    ``turning_point_ci_fieller`` (:class:`~innobook.analysis.competition.shape_tests.FiellerSet`),
    ``lind_mehlum`` (:class:`~innobook.analysis.competition.shape_tests.LindMehlumResult`) and
    ``two_lines`` (:class:`TwoLinesResult` or ``None`` when not run).
    """

    spec: QuadraticSpec
    correction: SECorrection
    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_clusters: int | None
    n_dropped: int
    df: float | None
    x_min: float
    x_max: float
    nb_alpha: float | None
    loglike: float
    lind_mehlum: LindMehlumResult
    turning_point_ci_fieller: FiellerSet
    turning_point_se: float
    turning_point_ci_delta: tuple
    two_lines: TwoLinesResult | None = None
    level_ci: float = 0.95
    _reference: np.ndarray = field(default=None, repr=False)
    design: _Design | None = field(default=None, repr=False)

    def model_arrays(self):
        """``(y, X, groups, names)`` of the estimation: the outcome as the
        estimator sees it (``log(1 + y)`` for OLS), the design matrix with its
        columns in the order of ``names`` (``const, competition,
        competition_sq`` and the fixed-effect dummies, as in ``params``), and
        the cluster of each observation for the chosen standard errors
        (``None`` when they are not clustered). Used by the bootstrap."""
        d = self.design
        if d is None:
            raise ValueError("this fit carries no design")
        X = np.column_stack([d.base[:, :1], d.x, d.x**2, d.base[:, 1:]])
        y = np.log1p(d.y) if self.spec.estimator == "ols_log1p" else d.y
        key = {"cluster_firm": "firm", "cluster_industry": "industry"}.get(self.spec.se)
        groups = None if key is None else d.panel[key].to_numpy()
        return y, X, groups, list(self.params.index)

    # --- coefficients -------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        dist = stats.norm if self.df is None else stats.t(self.df)
        return pd.Series(2 * dist.sf(np.abs(self.tvalues.to_numpy())), index=self.params.index)

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        crit = critical_value(level or self.level_ci, self.df)
        return pd.DataFrame({"lower": self.params - crit * self.bse,
                             "upper": self.params + crit * self.bse})

    b1 = property(lambda self: float(self.params["competition"]))
    b2 = property(lambda self: float(self.params["competition_sq"]))
    se_b1 = property(lambda self: float(self.bse["competition"]))
    se_b2 = property(lambda self: float(self.bse["competition_sq"]))
    p_b1 = property(lambda self: float(self.pvalues["competition"]))
    p_b2 = property(lambda self: float(self.pvalues["competition_sq"]))

    @property
    def cov_b(self) -> np.ndarray:
        """2x2 covariance of (competition, competition_sq)."""
        idx = ["competition", "competition_sq"]
        return self.cov.loc[idx, idx].to_numpy()

    @property
    def turning_point(self) -> float:
        return turning_point(self.b1, self.b2)

    @property
    def turning_point_in_range(self) -> bool:
        return bool(self.x_min <= self.turning_point <= self.x_max)

    @property
    def se_description(self) -> str:
        return f"{_se_label(self.spec.se, self.spec.panel)}; {self.correction.describe(self._cov_kind)}"

    @property
    def _cov_kind(self) -> str:
        return "cluster" if self.spec.se.startswith("cluster") else self.spec.se

    # --- predictions --------------------------------------------------
    def predict(self, grid, level: float | None = None, scale: str = "outcome") -> pd.DataFrame:
        """Fitted curve and pointwise confidence band over competition values.

        The other regressors are held at their sample means, so the curve is
        for the average fixed effect of the estimation sample. The band is
        built on the linear predictor (``index``) with the fit's covariance
        and critical value and then transformed. ``scale="outcome"`` gives
        ``exp(index)`` for Poisson/NB2 (expected outcome) and
        ``expm1(index)`` for OLS on ``log(1 + y)`` (a retransformed
        log-scale prediction, not a mean: no smearing correction);
        ``scale="index"`` returns the linear predictor itself.
        """
        grid = np.asarray(grid, dtype=float).ravel()
        k_fe = len(self._reference) - 1
        rows = np.column_stack([np.ones(len(grid)), grid, grid**2,
                                np.tile(self._reference[1:], (len(grid), 1)) if k_fe else
                                np.empty((len(grid), 0))])
        order = ["const", "competition", "competition_sq"] + list(self.params.index[3:])
        beta = self.params[order].to_numpy()
        cov = self.cov.loc[order, order].to_numpy()
        index = rows @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", rows, cov, rows))
        crit = critical_value(level or self.level_ci, self.df)
        lo, hi = index - crit * se, index + crit * se
        if scale == "outcome":
            inv = np.exp if self.spec.estimator in ("poisson", "negbin") else np.expm1
            fitted, lo, hi = inv(index), inv(lo), inv(hi)
        elif scale != "index":
            raise ValueError("scale must be 'outcome' or 'index'")
        else:
            fitted = index
        return pd.DataFrame({"competition": grid, "fitted": fitted, "lower": lo, "upper": hi,
                             "index": index, "index_se": se})

    # --- reporting ----------------------------------------------------
    def to_dict(self) -> dict:
        """Plain Python types only (JSON-ready; infinities become ``None``)."""
        ci = self.conf_int()
        d = {
            "spec": self.spec.to_dict(),
            "description": self.spec.describe(),
            "correction": self.correction.to_dict(),
            "se_description": self.se_description,
            "nobs": self.nobs,
            "n_clusters": self.n_clusters,
            "n_dropped": self.n_dropped,
            "df": self.df,
            "b1": self.b1, "se_b1": self.se_b1, "p_b1": self.p_b1,
            "b2": self.b2, "se_b2": self.se_b2, "p_b2": self.p_b2,
            "ci_b1": list(ci.loc["competition"]), "ci_b2": list(ci.loc["competition_sq"]),
            "level_ci": self.level_ci,
            "nb_alpha": self.nb_alpha,
            "x_min": self.x_min, "x_max": self.x_max,
            "turning_point": self.turning_point,
            "turning_point_in_range": self.turning_point_in_range,
            "turning_point_se_delta": self.turning_point_se,
            "turning_point_ci_delta": list(self.turning_point_ci_delta),
            "turning_point_ci_fieller": self.turning_point_ci_fieller.to_dict(),
            "lind_mehlum": self.lind_mehlum.to_dict(),
            "lind_mehlum_verdict": self.lind_mehlum.verdict,
            "two_lines": None if self.two_lines is None else self.two_lines.to_dict(),
            "two_lines_verdict": None if self.two_lines is None else self.two_lines.verdict,
        }
        return _plain(d)

    def summary(self) -> str:
        stat = "z" if self.df is None else "t"
        ci = self.conf_int()
        lines = [
            "Quadratic regression of innovation on competition",
            "=" * 72,
            f"Specification : {self.spec.describe()}",
            f"Observations  : {self.nobs}" + (f" ({self.n_dropped} dropped: fixed-effect groups "
                                              "with only zero outcomes)" if self.n_dropped else ""),
            f"Clusters      : {self.n_clusters if self.n_clusters is not None else 'n/a'}",
            f"Std. errors   : {self.se_description}",
        ]
        if self.nb_alpha is not None:
            note = (" (boundary: no overdispersion left, the fit equals Poisson)"
                    if self.nb_alpha == 0 else "")
            lines.append(f"NB2 alpha     : {self.nb_alpha:.4g}{note}")
        lines += [
            "-" * 72,
            f"{'':18s}{'coef':>12s}{'std err':>12s}{stat:>9s}{'P>|' + stat + '|':>9s}"
            f"{'[' + format(self.level_ci, '.0%') + ' CI':>22s}]",
        ]
        for name, label in (("competition", "competition"), ("competition_sq", "competition^2")):
            lines.append(f"{label:18s}{self.params[name]:12.4f}{self.bse[name]:12.4f}"
                         f"{self.tvalues[name]:9.3f}{self.pvalues[name]:9.4f}"
                         f"{ci.loc[name, 'lower']:12.4f}{ci.loc[name, 'upper']:11.4f}")
        lo, hi = self.turning_point_ci_delta
        lines += [
            "-" * 72,
            f"Observed competition range: [{self.x_min:.4f}, {self.x_max:.4f}]",
            f"Turning point -b1/(2 b2): {self.turning_point:.4f} "
            f"({'inside' if self.turning_point_in_range else 'outside'} the range)",
            f"  delta method: se {self.turning_point_se:.4f}, CI [{lo:.4f}, {hi:.4f}]",
            f"  Fieller set : {self.turning_point_ci_fieller}",
            "-" * 72,
            self.lind_mehlum.summary(),
        ]
        if self.two_lines is not None:
            lines += ["-" * 72, self.two_lines.summary()]
        return "\n".join(lines)

    def __repr__(self) -> str:  # keep notebooks readable
        return (f"QuadraticFit(b2={self.b2:.4g}, se_b2={self.se_b2:.4g}, "
                f"turning_point={self.turning_point:.4g}, "
                f"lind_mehlum={self.lind_mehlum.verdict!r})")


def _assemble(spec, correction, design, raw, se, two_lines, min_clusters) -> QuadraticFit:
    names = ["const", "competition", "competition_sq"] + design.base_names[1:]
    cov, df, g = _covariance(raw, se, design.panel, correction, min_clusters)
    # raw parameters are ordered [const, FE..., x, x^2]; reorder to names
    k_fe = design.base.shape[1] - 1
    order = [0, k_fe + 1, k_fe + 2] + list(range(1, k_fe + 1))
    params = pd.Series(raw.params[order], index=names)
    cov = pd.DataFrame(cov[np.ix_(order, order)], index=names, columns=names)
    b = params[["competition", "competition_sq"]].to_numpy()
    cov_b = cov.loc[["competition", "competition_sq"], ["competition", "competition_sq"]].to_numpy()
    level = 1 - spec.alpha
    _, tp_se, tp_ci = delta_method_ci(b[0], b[1], cov_b, level, df)
    fieller = fieller_interval(b[0], b[1], cov_b, level, df)
    x_min, x_max = float(design.x.min()), float(design.x.max())
    lm = lind_mehlum_test(b[0], b[1], cov_b, x_min, x_max, spec.alpha, df)

    tl = None
    if two_lines:
        def fit_and_cov(X):
            r = design.fit_cached(spec.estimator, X)
            c, d, _ = _covariance(r, se, design.panel, correction, min_clusters)
            return r.params, c, d

        shape = "inverted U" if b[0] + 2 * b[1] * x_min > 0 else "U"
        tl = two_lines_test(design.x, design.base, fit_and_cov, shape, spec.alpha,
                            reference=design.reference)
    return QuadraticFit(spec, correction, params, cov, raw.nobs, g, design.n_dropped, df,
                        x_min, x_max, raw.alpha, raw.loglike, lm, fieller, tp_se, tp_ci, tl,
                        level, design.reference, design)


def fit_quadratic(data: pd.DataFrame, outcome: str = "cites", estimator: str = "poisson",
                  fixed_effects: str = "year_industry", se: str = "cluster_firm",
                  level: str = "firm", years=None, correction="stata", alpha: float = 0.05,
                  two_lines: bool = True, columns: Columns = Columns(),
                  min_clusters: int = 20, panel: str = "firms") -> QuadraticFit:
    """Fit ``outcome`` on competition and its square and test the shape.

    Parameters
    ----------
    data : DataFrame
        Firm-year panel with the outcome and the columns named in ``columns``
        (default: InstInnovation's ``competition``, ``company``,
        ``industry``, ``year``).
    outcome : str
        Count outcome, e.g. ``"cites"`` (citation-weighted patents) or
        ``"patents"``.
    estimator : {"poisson", "negbin", "ols_log1p"}
    fixed_effects : {"none", "year", "year_industry"}
    se : {"cluster_firm", "cluster_industry", "hc", "nonrobust"}
    level : {"firm", "industry"}
        Firm-years, or industry-year means as in Aghion et al. (2005).
    years : (int, int) or None
        Inclusive year range.
    correction : str or SECorrection
        Finite-sample convention, a preset name (``"stata"``,
        ``"sandwich"``, ``"asymptotic"``; see
        :mod:`innobook.analysis.competition.inverted_u.corrections`) or an explicit
        :class:`SECorrection`.
    alpha : float
        Test level; confidence sets have level ``1 - alpha``.
    two_lines : bool
        Also run Simonsohn's two-lines test (five extra fits).
    min_clusters : int
        Refuse clustered inference with fewer clusters than this.
    panel : {"firms", "provinces"}
        Words used to describe the fit (see :data:`PANEL_WORDS`); the
        computation does not depend on it.
    """
    spec = QuadraticSpec(outcome, estimator, fixed_effects, se, level,
                         None if years is None else tuple(int(v) for v in years),
                         correction if isinstance(correction, str) else correction.name, alpha,
                         panel)
    return fit_quadratic_variants(data, spec, [se], correction=correction, two_lines=two_lines,
                                  columns=columns, min_clusters=min_clusters)[0]


def fit_quadratic_variants(data: pd.DataFrame, spec: QuadraticSpec, se_types, correction=None,
                           two_lines: bool = True, columns: Columns = Columns(),
                           min_clusters: int = 20) -> list:
    """Fit ``spec`` once and report it under several standard-error types.

    The point estimates do not depend on the covariance choice, so the
    specification curve estimates each model once and derives every
    standard-error variant from the same scores and Hessian.
    """
    reason = invalid_reason(spec)
    if reason:
        raise ValueError(reason)
    correction = resolve_correction(correction if correction is not None else spec.correction,
                                    spec.estimator)
    design = _build_design(data, spec, columns)
    X = np.column_stack([design.base, design.x, design.x**2])
    raw = fit_raw(spec.estimator, design.y, X)
    fits = []
    for se in se_types:
        s = replace(spec, se=se)
        reason = invalid_reason(s)
        if reason:
            raise ValueError(reason)
        fits.append(_assemble(s, correction, design, raw, se, two_lines, min_clusters))
    return fits
