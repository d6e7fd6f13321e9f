"""Tests of an inverted-U (or U) shape from a fitted quadratic.

All functions take the two coefficients of ``f(x) = ... + b1 x + b2 x^2``
and their 2x2 covariance matrix, so they work with any estimator.

* :func:`turning_point` and :func:`delta_method_ci`: the extremum
  ``x* = -b1 / (2 b2)`` and its first-order (delta-method) standard error
  (Lind and Mehlum 2010; for the delta method in general see Cameron and
  Trivedi 2005, Chapter 7).
* :func:`fieller_interval`: the Fieller (1954) confidence set for the
  same ratio, obtained by inverting the t test of ``b1 + 2 b2 x = 0`` for
  each ``x``; Lind and Mehlum (2010) recommend it for the extreme point of a
  quadratic. Unlike the delta method it can be
  unbounded, which is the honest answer when ``b2`` is imprecise; the
  :class:`FiellerSet` records which of the three possible shapes occurred.
* :func:`lind_mehlum_test`: the Sasabuchi-Lind-Mehlum test. An inverted U
  on ``[x_low, x_high]`` requires a positive slope at ``x_low`` *and* a
  negative slope at ``x_high``; the joint null is rejected only if both
  one-sided tests reject, so the p-value is the larger of the two
  (intersection-union test of Sasabuchi 1980, applied to U shapes by Lind
  and Mehlum 2010, p. 110 onwards).
* :func:`flat_region` and :func:`robin_hood_breakpoint`: the two helper
  steps of Simonsohn's (2018) two-lines test (his "Robin Hood" algorithm).

Reference distribution: ``df=None`` means standard normal, otherwise
Student t with ``df`` degrees of freedom.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


def _dist(df):
    return stats.norm if df is None else stats.t(df)


def critical_value(level: float, df=None) -> float:
    """Two-sided critical value for a ``level`` confidence interval."""
    return float(_dist(df).ppf(0.5 + level / 2.0))


def turning_point(b1: float, b2: float) -> float:
    """Extremum of ``b1 x + b2 x^2``: ``-b1 / (2 b2)`` (inf if ``b2 == 0``)."""
    if b2 == 0:
        return math.copysign(math.inf, -b1) if b1 != 0 else math.nan
    return -b1 / (2.0 * b2)


def turning_point_gradient(b1: float, b2: float) -> np.ndarray:
    """Gradient of ``-b1/(2 b2)`` with respect to ``(b1, b2)``."""
    return np.array([-1.0 / (2.0 * b2), b1 / (2.0 * b2**2)])


def delta_method_ci(b1: float, b2: float, cov, level: float = 0.95, df=None):
    """Turning point, its delta-method standard error and symmetric CI.

    ``se^2 = g' V g`` with ``g`` from :func:`turning_point_gradient`.
    Returns ``(x_star, se, (lower, upper))``.
    """
    cov = np.asarray(cov, dtype=float)
    x_star = turning_point(b1, b2)
    g = turning_point_gradient(b1, b2)
    se = float(math.sqrt(max(g @ cov @ g, 0.0)))
    z = critical_value(level, df)
    return x_star, se, (x_star - z * se, x_star + z * se)


#: The four shapes a Fieller set can take: the one spelling of ``FiellerSet.kind``
#: used in every result (code, tables, key results), and its words for readers.
FIELLER_KINDS = ("bounded", "two_rays", "real_line", "ray")
FIELLER_LABELS = {
    "bounded": "a bounded interval",
    "two_rays": "two half-lines (unbounded)",
    "real_line": "the whole real line",
    "ray": "one half-line (unbounded)",
}


@dataclass(frozen=True)
class FiellerSet:
    """A Fieller confidence set for the turning point.

    ``kind`` is one of :data:`FIELLER_KINDS` (``label`` gives the words
    of :data:`FIELLER_LABELS` for it):

    * ``"bounded"``: the interval ``[lower, upper]``;
    * ``"two_rays"``: the complement of ``(lower, upper)``, i.e.
      ``(-inf, lower] U [upper, inf)``; happens when ``b2`` is not
      significantly different from zero but ``b1`` is large;
    * ``"real_line"``: every value, no information about the location;
    * ``"ray"``: a single half-line (the knife-edge case where the squared
      coefficient of the quadratic inequality is exactly zero); ``lower`` or
      ``upper`` is infinite.
    """

    kind: str
    lower: float
    upper: float
    level: float

    def __post_init__(self):
        if self.kind not in FIELLER_KINDS:
            raise ValueError(f"Fieller set kind must be one of {FIELLER_KINDS}, not {self.kind!r}")

    @property
    def label(self) -> str:
        """The kind in words, the same everywhere in the book."""
        return FIELLER_LABELS[self.kind]

    def contains(self, x: float) -> bool:
        if self.kind in ("bounded", "ray"):
            return self.lower <= x <= self.upper
        if self.kind == "two_rays":
            return x <= self.lower or x >= self.upper
        return True

    @property
    def bounded(self) -> bool:
        return self.kind == "bounded"

    def __str__(self) -> str:
        pct = f"{self.level:.0%} Fieller set: {self.label}"
        if self.kind == "bounded":
            return f"[{self.lower:.4g}, {self.upper:.4g}] ({pct})"
        if self.kind == "two_rays":
            return f"(-inf, {self.lower:.4g}] U [{self.upper:.4g}, +inf) ({pct})"
        if self.kind == "ray":
            return f"[{self.lower:.4g}, {self.upper:.4g}] ({pct})"
        return f"(-inf, +inf) ({pct})"

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("lower", "upper"):
            d[key] = None if not math.isfinite(d[key]) else float(d[key])
        d["label"] = self.label
        d["text"] = str(self)
        return d


def fieller_interval(b1: float, b2: float, cov, level: float = 0.95, df=None) -> FiellerSet:
    """Fieller (1954) confidence set for ``x* = -b1/(2 b2)``.

    ``x`` belongs to the set when the slope ``b1 + 2 b2 x`` is not
    significantly different from zero:
    ``(b1 + 2 b2 x)^2 <= c^2 Var(b1 + 2 b2 x)``, i.e.
    ``a x^2 + b x + d <= 0`` with ``a = 4(b2^2 - c^2 v22)``,
    ``b = 4(b1 b2 - c^2 v12)``, ``d = b1^2 - c^2 v11``. The sign of ``a``
    (is ``b2`` significant at this level?) and of the discriminant decide
    which shape the set takes.
    """
    cov = np.asarray(cov, dtype=float)
    v11, v12, v22 = cov[0, 0], cov[0, 1], cov[1, 1]
    c2 = critical_value(level, df) ** 2
    a = 4.0 * (b2**2 - c2 * v22)
    b = 4.0 * (b1 * b2 - c2 * v12)
    d = b1**2 - c2 * v11
    disc = b * b - 4.0 * a * d
    scale = max(abs(a), abs(b), abs(d), 1e-300)
    if abs(a) <= 1e-14 * scale:
        if abs(b) <= 1e-14 * scale:
            # the inequality reduces to d <= 0, which the estimate itself satisfies
            return FiellerSet("real_line", -math.inf, math.inf, level)
        root = -d / b
        if b > 0:
            return FiellerSet("ray", -math.inf, root, level)
        return FiellerSet("ray", root, math.inf, level)
    if a > 0:
        # a > 0 and the estimate itself always satisfies the inequality, so disc >= 0
        sq = math.sqrt(max(disc, 0.0))
        r1, r2 = sorted(((-b - sq) / (2 * a), (-b + sq) / (2 * a)))
        return FiellerSet("bounded", r1, r2, level)
    if disc <= 0:
        return FiellerSet("real_line", -math.inf, math.inf, level)
    sq = math.sqrt(disc)
    r1, r2 = sorted(((-b - sq) / (2 * a), (-b + sq) / (2 * a)))
    return FiellerSet("two_rays", r1, r2, level)


@dataclass(frozen=True)
class LindMehlumResult:
    """Outcome of the Lind and Mehlum (2010) test on ``[x_low, x_high]``.

    ``shape_tested`` is ``"inverted U"`` when ``b2 < 0`` and ``"U"``
    otherwise (the test is only meaningful for the shape the quadratic
    suggests). ``p_low`` and ``p_high`` are the one-sided p-values of the
    end-point slopes in the direction the shape requires; ``p_value`` is
    their maximum. ``verdict`` names the shape when ``p_value < alpha``
    *and* the turning point lies inside the interval (a significant test
    already implies this, since the slope changes sign inside the
    interval; the check guards against numerical edge cases).
    """

    x_low: float
    x_high: float
    slope_low: float
    se_low: float
    t_low: float
    p_low: float
    slope_high: float
    se_high: float
    t_high: float
    p_high: float
    shape_tested: str
    p_value: float
    alpha: float
    turning_point: float
    turning_point_in_range: bool
    verdict: str
    df: float | None

    @property
    def reject(self) -> bool:
        return self.verdict != "no U-shape detected"

    def to_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, (np.floating, float)) and v is not None else v)
                for k, v in asdict(self).items()}

    def summary(self) -> str:
        ref = "normal" if self.df is None else f"t({self.df:g})"
        sign = ">" if self.shape_tested == "inverted U" else "<"
        other = "<" if sign == ">" else ">"
        return "\n".join([
            f"Lind-Mehlum test for {'an' if self.shape_tested == 'inverted U' else 'a'} "
            f"{self.shape_tested} on "
            f"[{self.x_low:.4g}, {self.x_high:.4g}] ({ref} reference)",
            f"  slope at lower bound: {self.slope_low: .4g} (se {self.se_low:.4g}, "
            f"t {self.t_low: .3f}, one-sided p for slope {sign} 0: {self.p_low:.4g})",
            f"  slope at upper bound: {self.slope_high: .4g} (se {self.se_high:.4g}, "
            f"t {self.t_high: .3f}, one-sided p for slope {other} 0: {self.p_high:.4g})",
            f"  overall p (intersection-union): {self.p_value:.4g}; turning point "
            f"{self.turning_point:.4g} {'inside' if self.turning_point_in_range else 'outside'} "
            f"the range",
            f"  verdict at {self.alpha:g}: {self.verdict}",
        ])


def slope_at(b1: float, b2: float, cov, x: float):
    """Slope ``b1 + 2 b2 x`` of the quadratic and its standard error."""
    cov = np.asarray(cov, dtype=float)
    g = np.array([1.0, 2.0 * x])
    return b1 + 2.0 * b2 * x, float(math.sqrt(max(g @ cov @ g, 0.0)))


def lind_mehlum_test(b1: float, b2: float, cov, x_low: float, x_high: float,
                     alpha: float = 0.05, df=None) -> LindMehlumResult:
    """Sasabuchi-Lind-Mehlum test of a U or inverted U on ``[x_low, x_high]``.

    For an inverted U the composite null is "slope at ``x_low`` <= 0 or
    slope at ``x_high`` >= 0"; it is rejected at level ``alpha`` when both
    one-sided t tests reject (Sasabuchi 1980; Lind and Mehlum 2010). Use the
    observed minimum and maximum of the regressor as the interval.
    """
    if not x_low < x_high:
        raise ValueError("x_low must be smaller than x_high")
    dist = _dist(df)
    s_lo, se_lo = slope_at(b1, b2, cov, x_low)
    s_hi, se_hi = slope_at(b1, b2, cov, x_high)
    t_lo, t_hi = s_lo / se_lo, s_hi / se_hi
    inverted = b2 < 0
    if inverted:
        p_lo, p_hi = float(dist.sf(t_lo)), float(dist.cdf(t_hi))
        shape = "inverted U"
    else:
        p_lo, p_hi = float(dist.cdf(t_lo)), float(dist.sf(t_hi))
        shape = "U"
    p = max(p_lo, p_hi)
    tp = turning_point(b1, b2)
    inside = bool(x_low <= tp <= x_high)
    verdict = shape if (p < alpha and inside) else "no U-shape detected"
    return LindMehlumResult(float(x_low), float(x_high), float(s_lo), se_lo, float(t_lo), p_lo,
                            float(s_hi), se_hi, float(t_hi), p_hi, shape, p, alpha, float(tp),
                            inside, verdict, None if df is None else float(df))


def flat_region(x, fitted, se, shape: str) -> np.ndarray:
    """Values of ``x`` where a smoother is statistically "at the top".

    Simonsohn (2018, two-lines procedure, step 1): for an inverted U, the
    points whose fitted value plus one standard error exceeds the highest
    fitted value (for a U: minus one standard error below the lowest).
    ``x``, ``fitted`` and ``se`` are given per *observation*, as in
    Simonsohn's published code: the result keeps one entry per flat
    observation, repeated values included, so that the median and the
    quantiles taken from it weigh each observation equally.
    """
    x = np.asarray(x, dtype=float)
    fitted = np.asarray(fitted, dtype=float)
    se = np.asarray(se, dtype=float)
    if shape == "inverted U":
        flat = fitted + se > fitted.max()
    elif shape == "U":
        flat = fitted - se < fitted.min()
    else:
        raise ValueError("shape must be 'inverted U' or 'U'")
    flat[np.argmax(fitted) if shape == "inverted U" else np.argmin(fitted)] = True
    return np.sort(x[flat])


def robin_hood_breakpoint(x_flat, z1: float, z2: float) -> float:
    """Simonsohn's (2018) "Robin Hood" breakpoint.

    Starting from a break at the median of the flat region, the line with
    the weaker test statistic is given more data: the break moves to the
    ``|z2| / (|z1| + |z2|)`` quantile of the flat region, so a weak first
    line (small ``|z1|``) pushes the break to the right. ``x_flat`` holds
    one value per flat *observation* (see :func:`flat_region`); the
    quantile is R's default (type 7, linear interpolation), as in
    Simonsohn's ``quantile(xflat, z2/(z1+z2))``.
    """
    x_flat = np.asarray(x_flat, dtype=float)
    z1, z2 = abs(z1), abs(z2)
    share = 0.5 if z1 + z2 == 0 or not np.isfinite(z1 + z2) else z2 / (z1 + z2)
    return float(np.quantile(x_flat, share))
