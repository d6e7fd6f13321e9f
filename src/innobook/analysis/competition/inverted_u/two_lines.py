"""Simonsohn's (2018) two-lines test of a U-shaped relationship.

Simonsohn, U. (2018), "Two Lines: A Valid Alternative to the Invalid
Testing of U-Shaped Relationships With Quadratic Regressions", Advances in
Methods and Practices in Psychological Science 1(4): 538-555.

A quadratic term can be significant when the true curve only flattens
(a concave but monotone relationship). The two-lines test instead fits an
interrupted regression - separate straight lines left and right of a
breakpoint ``x_c`` - and asks whether the first average slope is
significantly positive and the second significantly negative (for an
inverted U). The breakpoint comes from the data:

1. Fit a flexible smoother of the outcome on ``x`` with the other
   regressors. Simonsohn uses a penalised cubic-regression-spline GAM
   (``mgcv``); here an unpenalised restricted (natural) cubic spline with
   five knots at the quantiles Harrell (2015, Chapter 2) recommends is
   fitted with the *same* estimator, fixed effects and covariance as the
   main regression.
   Like a natural spline it is linear beyond the outer knots.
2. Keep the observations whose ``x`` lies strictly inside the 10th-90th
   percentiles. The "flat region" is the set of those observations whose
   fitted value + 1 SE exceeds the highest fitted value (inverted U) - see
   :func:`innobook.analysis.competition.shape_tests.flat_region`.
3. Run the two-lines regression at the median of the flat region, then
   move the break to the ``|z2|/(|z1|+|z2|)`` quantile of the flat region
   ("Robin Hood": the weaker line gets more data) and run it again. Median
   and quantile are taken over observations, repeated values of ``x``
   included, exactly as Simonsohn's published ``twolines.R`` does
   (``median(xflat)``, ``quantile(xflat, z2/(z1+z2))``); in panel data,
   where many firms share one competition value, this differs from taking
   them over distinct values.
4. As in Simonsohn's reference code, each of the two slopes comes from its
   own regression: line 1 includes ``x_c`` in the lower segment, line 2 in
   the upper one; both regressions contain a jump dummy for ``x > x_c``.

For log-link models the slopes are on the linear-predictor scale, which has
the same signs as the slopes of the mean.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from ..shape_tests import flat_region, robin_hood_breakpoint

HARRELL_KNOT_QUANTILES = (0.05, 0.275, 0.5, 0.725, 0.95)


def restricted_cubic_spline(x, knots) -> np.ndarray:
    """Basis of a restricted cubic spline without the constant.

    Columns: ``x`` and ``K - 2`` nonlinear terms (Harrell 2015, Chapter 2,
    restricted cubic splines),
    scaled by ``(t_K - t_1)^2`` for numerical conditioning. The function is
    cubic between knots and linear outside the outer knots.
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = len(t)
    if k < 3:
        raise ValueError("need at least three knots")
    norm = (t[-1] - t[0]) ** 2
    cube = lambda u: np.clip(u, 0.0, None) ** 3  # noqa: E731
    cols = [x]
    for j in range(k - 2):
        term = (cube(x - t[j])
                - cube(x - t[k - 2]) * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
                + cube(x - t[k - 1]) * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2]))
        cols.append(term / norm)
    return np.column_stack(cols)


def spline_knots(x) -> np.ndarray:
    knots = np.unique(np.quantile(np.asarray(x, dtype=float), HARRELL_KNOT_QUANTILES))
    if len(knots) < 3:
        raise ValueError("too few distinct values of x for a spline smoother")
    return knots


@dataclass(frozen=True)
class TwoLinesResult:
    """Result of the two-lines test.

    ``slope1``/``slope2`` are the average slopes below/above ``breakpoint``
    with standard errors, test statistics and two-sided p-values.
    ``verdict`` is ``"inverted U"`` when ``slope1 > 0`` and ``slope2 < 0``
    with both p-values below ``alpha``; ``"U"`` for the mirror case; else
    ``"no U-shape detected"``. ``flat_low``/``flat_high`` bound the flat
    region and ``preliminary_breakpoint`` is its median (step 3).
    """

    breakpoint: float
    preliminary_breakpoint: float
    flat_low: float
    flat_high: float
    shape_searched: str
    slope1: float
    se1: float
    z1: float
    p1: float
    n1: int
    slope2: float
    se2: float
    z2: float
    p2: float
    n2: int
    alpha: float
    verdict: str
    smoother: str
    df: float | None

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        stat = "z" if self.df is None else "t"
        return "\n".join([
            f"Two-lines test (Simonsohn 2018), searching for "
            f"{'an' if self.shape_searched == 'inverted U' else 'a'} {self.shape_searched}",
            f"  smoother: {self.smoother}; flat region [{self.flat_low:.4g}, {self.flat_high:.4g}]",
            f"  breakpoint (Robin Hood): {self.breakpoint:.4g} "
            f"(preliminary {self.preliminary_breakpoint:.4g})",
            f"  line 1 (x <= break, n={self.n1}): slope {self.slope1: .4g} (se {self.se1:.4g}, "
            f"{stat} {self.z1: .3f}, p {self.p1:.4g})",
            f"  line 2 (x >= break, n={self.n2}): slope {self.slope2: .4g} (se {self.se2:.4g}, "
            f"{stat} {self.z2: .3f}, p {self.p2:.4g})",
            f"  verdict at {self.alpha:g}: {self.verdict}",
        ])


def _interrupted(x, xc, lower_includes_break: bool):
    if lower_includes_break:
        low = x <= xc
    else:
        low = x < xc
    high = ~low
    return np.column_stack([np.where(low, x - xc, 0.0), np.where(high, x - xc, 0.0),
                            high.astype(float)])


def _two_line_slopes(fit_and_cov, base, x, xc):
    """Slopes, ses and df of both lines with a break at ``xc``."""
    out = []
    for lower_includes, col in ((True, 0), (False, 1)):
        design = np.column_stack([base, _interrupted(x, xc, lower_includes)])
        params, cov, df = fit_and_cov(design)
        j = base.shape[1] + col
        out.append((float(params[j]), float(np.sqrt(cov[j, j])), df))
    return out


def two_lines_test(x, base, fit_and_cov, shape: str, alpha: float = 0.05,
                   reference=None) -> TwoLinesResult:
    """Run the two-lines procedure.

    Parameters
    ----------
    x : array
        The regressor tested for a U shape (competition).
    base : array
        The other regressors, constant and fixed-effect dummies included.
    fit_and_cov : callable
        ``fit_and_cov(design) -> (params, cov, df)`` fits the outcome on a
        design matrix with the chosen estimator and returns the mean
        parameters, their covariance and the t degrees of freedom (``None``
        for normal inference).
    shape : {"inverted U", "U"}
        Which extremum to search for; Simonsohn takes it from the sign of
        the quadratic's slope at the lowest ``x``.
    reference : array, optional
        Values of the ``base`` regressors at which the smoother is
        evaluated (default: their sample means).

    The smoother is evaluated at every observation strictly inside the
    10th-90th percentiles of ``x`` (Simonsohn's ``middle``), so the flat
    region, its median and the Robin Hood quantile are taken over
    observations, as in his published code, not over distinct values.
    """
    x = np.asarray(x, dtype=float)
    base = np.asarray(base, dtype=float)
    if reference is None:
        reference = base.mean(axis=0)
    knots = spline_knots(x)
    spline = restricted_cubic_spline(x, knots)
    params, cov, _ = fit_and_cov(np.column_stack([base, spline]))

    lo, hi = np.quantile(x, [0.1, 0.9])
    middle = (x > lo) & (x < hi)
    if middle.sum() < 3:
        middle = np.ones(len(x), dtype=bool)
    x_middle = x[middle]
    # the smoother at the reference covariates depends on x only: evaluate it
    # once per distinct value and give every observation its value
    values, where = np.unique(x_middle, return_inverse=True)
    rows = np.column_stack([np.tile(reference, (len(values), 1)),
                            restricted_cubic_spline(values, knots)])
    fitted = (rows @ params)[where]
    se = np.sqrt(np.einsum("ij,jk,ik->i", rows, cov, rows))[where]
    return two_lines_from_smoother(x, base, fit_and_cov, x_middle, fitted, se, shape, alpha,
                                   f"restricted cubic spline, {len(knots)} knots")


def two_lines_from_smoother(x, base, fit_and_cov, x_middle, fitted, se, shape: str,
                            alpha: float = 0.05, smoother: str = "given") -> TwoLinesResult:
    """Steps 2-4 of the procedure, given the smoother at the middle observations.

    ``x_middle``, ``fitted`` and ``se`` hold one entry per observation
    considered for the break (repeated values of ``x`` included). The flat
    region is :func:`~innobook.analysis.competition.shape_tests.flat_region`
    of these; the preliminary break is its median, the final one its Robin
    Hood quantile. Exposed separately so that the procedure can be checked on
    a worked example with a smoother written down by hand.
    """
    x = np.asarray(x, dtype=float)
    base = np.asarray(base, dtype=float)
    flat = flat_region(x_middle, fitted, se, shape)
    mid = float(np.median(flat))

    (b1m, s1m, _), (b2m, s2m, _) = _two_line_slopes(fit_and_cov, base, x, mid)
    xc = robin_hood_breakpoint(flat, b1m / s1m, b2m / s2m)
    (b1, s1, df), (b2, s2, _) = _two_line_slopes(fit_and_cov, base, x, xc)
    dist = stats.norm if df is None else stats.t(df)
    z1, z2 = b1 / s1, b2 / s2
    p1, p2 = float(2 * dist.sf(abs(z1))), float(2 * dist.sf(abs(z2)))
    if b1 > 0 and b2 < 0 and p1 < alpha and p2 < alpha:
        verdict = "inverted U"
    elif b1 < 0 and b2 > 0 and p1 < alpha and p2 < alpha:
        verdict = "U"
    else:
        verdict = "no U-shape detected"
    return TwoLinesResult(xc, mid, float(flat.min()), float(flat.max()), shape,
                          b1, s1, float(z1), p1, int((x <= xc).sum()),
                          b2, s2, float(z2), p2, int((x >= xc).sum()),
                          alpha, verdict, smoother, None if df is None else float(df))
