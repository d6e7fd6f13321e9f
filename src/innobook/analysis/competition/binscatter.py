"""Binned scatters and interval shapes for the inverted-U charts.

A scatter of 6,000 firm-years with citation counts from 0 to 20,000 shows
nothing; a *binned* scatter (equal-count bins of competition, one point per
bin at the mean of each variable) shows the shape the regression is fitted
to. With fixed effects the raw bin means are not comparable with the fitted
curve, which is drawn at the average fixed effect. :func:`partialled_outcome`
therefore removes the fixed effects the same way the model does: for a log
link it multiplies each outcome by ``exp(reference - own effect)``, for OLS
on ``log(1 + y)`` it shifts ``log(1 + y)`` by ``reference - own effect``.
The bin means of that adjusted outcome are then on the scale of
:meth:`QuadraticFit.predict <innobook.analysis.competition.inverted_u.QuadraticFit.predict>`
(in the spirit of the residualised binned scatters discussed by Cattaneo,
Crump, Farrell and Feng 2024, "On Binscatter", American Economic Review
114(5), but without their bias corrections: the points are a picture, the
tests come from the regression).

:func:`interval_segments` turns the delta-method interval and the Fieller
set of the turning point into drawable pieces clipped to a chart's range,
keeping track of which ends are open (the set goes on beyond the chart).
:func:`pearson_dispersion` measures overdispersion, the reason model-based
Poisson standard errors cannot be trusted for patent counts (Cameron and
Trivedi 2013, Chapter 3).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .inverted_u.panel import (Columns, drop_all_zero_groups, fixed_effect_dummies,
                               prepare_panel)

__all__ = ["equal_count_bins", "binned_means", "partialled_outcome", "pearson_dispersion",
           "interval_segments", "share_within"]


def equal_count_bins(x, n_bins: int) -> np.ndarray:
    """Bin number (0 .. n_bins-1) of each value, bins of (almost) equal size.

    Ties are broken by position (a stable sort), so that a regressor with
    many repeated values, such as an industry-year competition index, still
    gives ``n_bins`` bins of equal count. Values must be finite.
    """
    x = np.asarray(x, dtype=float)
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    if not np.isfinite(x).all():
        raise ValueError("x must be finite")
    n = len(x)
    if n < n_bins:
        raise ValueError(f"{n} values cannot fill {n_bins} bins")
    ranks = np.empty(n, dtype=int)
    ranks[np.argsort(x, kind="mergesort")] = np.arange(n)
    return (ranks * n_bins) // n


def binned_means(x, y, n_bins: int = 20) -> pd.DataFrame:
    """One row per equal-count bin of ``x``: means of ``x`` and ``y``.

    Columns ``bin``, ``x`` (mean), ``y`` (mean), ``n``, ``x_low`` and
    ``x_high`` (smallest and largest ``x`` in the bin).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError("x and y must have the same length")
    frame = pd.DataFrame({"bin": equal_count_bins(x, n_bins), "x": x, "y": y})
    out = frame.groupby("bin").agg(x=("x", "mean"), y=("y", "mean"), n=("y", "size"),
                                   x_low=("x", "min"), x_high=("x", "max"))
    return out.reset_index()


def _design_for(fit, data: pd.DataFrame, columns: Columns):
    """Rebuild the estimation sample of ``fit`` (same filters, same drops)."""
    spec = fit.spec
    panel = prepare_panel(data, spec.outcome, spec.level, spec.years, columns)
    if spec.estimator in ("poisson", "negbin"):
        panel, _ = drop_all_zero_groups(panel, spec.fixed_effects)
    dummies, names = fixed_effect_dummies(panel, spec.fixed_effects)
    if len(panel) != fit.nobs:
        raise ValueError("the data do not reproduce the fit's estimation sample")
    return panel, dummies, names


def partialled_outcome(fit, data: pd.DataFrame, columns: Columns = Columns()) -> pd.DataFrame:
    """The outcome with the fitted fixed effects replaced by their average.

    Returns columns ``x`` (competition) and ``y_adj``. For Poisson and NB2,
    ``y_adj = y * exp(g_ref - g_i)``; for OLS on ``log(1 + y)``,
    ``y_adj = log(1 + y) + g_ref - g_i``, where ``g_i`` is observation
    ``i``'s fitted fixed-effect part and ``g_ref`` the average one used by
    ``fit.predict``. Without fixed effects ``y_adj`` is the outcome itself
    (or ``log(1 + y)``). Bin means of ``y_adj`` can then be drawn with
    ``fit.predict(grid, scale="outcome")`` (log link) or
    ``fit.predict(grid, scale="index")`` (OLS).
    """
    panel, dummies, names = _design_for(fit, data, columns)
    gamma = fit.params[names].to_numpy() if names else np.empty(0)
    own = dummies @ gamma if names else np.zeros(len(panel))
    shift = float(dummies.mean(axis=0) @ gamma) - own if names else own
    y = panel["y"].to_numpy(float)
    if fit.spec.estimator in ("poisson", "negbin"):
        y_adj = y * np.exp(shift)
    else:
        y_adj = np.log1p(y) + shift
    return pd.DataFrame({"x": panel["x"].to_numpy(float), "y_adj": y_adj})


def pearson_dispersion(fit, data: pd.DataFrame, columns: Columns = Columns()) -> float:
    """Pearson statistic over residual degrees of freedom for a Poisson fit.

    ``sum((y - mu)^2 / mu) / (N - K)``: 1 when the variance equals the mean,
    as model-based Poisson standard errors assume; far above 1 means they
    are too small by roughly its square root.
    """
    if fit.spec.estimator != "poisson":
        raise ValueError("the Pearson dispersion is computed for Poisson fits only")
    panel, dummies, names = _design_for(fit, data, columns)
    x = panel["x"].to_numpy(float)
    index = fit.params["const"] + fit.b1 * x + fit.b2 * x**2
    if names:
        index = index + dummies @ fit.params[names].to_numpy()
    mu = np.exp(index)
    y = panel["y"].to_numpy(float)
    return float(np.sum((y - mu) ** 2 / mu) / (len(y) - len(fit.params)))


def interval_segments(kind: str, lower: float, upper: float, domain) -> list:
    """Drawable pieces of a confidence set for a point on a bounded axis.

    ``kind`` is ``"bounded"`` (the interval ``[lower, upper]``),
    ``"two_rays"`` (everything outside ``(lower, upper)``), ``"real_line"``
    or ``"ray"`` (as in :class:`innobook.analysis.competition.shape_tests.FiellerSet`). Each
    piece is clipped to ``domain = (lo, hi)`` and returned as a dict with
    ``start``, ``end``, ``open_start`` and ``open_end`` (``True`` when the
    set continues beyond the chart on that side). Pieces entirely outside
    the domain are dropped.
    """
    lo, hi = float(domain[0]), float(domain[1])
    if not lo < hi:
        raise ValueError("domain must be increasing")
    if kind == "bounded" or kind == "ray":
        raw = [(lower, upper)]
    elif kind == "two_rays":
        raw = [(-math.inf, lower), (upper, math.inf)]
    elif kind == "real_line":
        raw = [(-math.inf, math.inf)]
    else:
        raise ValueError(f"unknown kind {kind!r}")
    pieces = []
    for a, b in raw:
        if b < lo or a > hi:
            continue
        pieces.append({"start": max(a, lo), "end": min(b, hi),
                       "open_start": bool(a < lo), "open_end": bool(b > hi)})
    return pieces


def share_within(values, groups) -> float:
    """Share of the variance of ``values`` that lies within ``groups``.

    ``sum((v - group mean)^2) / sum((v - overall mean)^2)``. With group
    fixed effects only this within part identifies a coefficient.
    """
    frame = pd.DataFrame({"v": np.asarray(values, dtype=float), "g": np.asarray(groups)})
    total = float(((frame["v"] - frame["v"].mean()) ** 2).sum())
    if total == 0:
        raise ValueError("values do not vary")
    within = float(((frame["v"] - frame.groupby("g")["v"].transform("mean")) ** 2).sum())
    return within / total
