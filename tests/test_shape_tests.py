"""Shape tests from coefficients alone: turning point, delta method,
Fieller sets, Lind-Mehlum and the Robin Hood helpers."""
import math

import numpy as np
import pytest
from scipy import stats

from innobook.analysis.competition.shape_tests import (FIELLER_KINDS, FIELLER_LABELS, FiellerSet,
                                  critical_value, delta_method_ci, fieller_interval, flat_region,
                                  lind_mehlum_test, robin_hood_breakpoint, slope_at, turning_point)

COV = np.array([[4.0, -2.2], [-2.2, 1.3]])


def test_turning_point_formula():
    assert turning_point(60.0, -40.0) == pytest.approx(0.75)
    assert turning_point(-3.0, 1.5) == pytest.approx(1.0)
    assert math.isinf(turning_point(1.0, 0.0))


@pytest.mark.parametrize("b1,b2", [(60.0, -40.0), (19.66, -14.35), (-5.8, 3.7), (2.0, 0.3)])
def test_delta_method_se_matches_finite_differences(b1, b2):
    """se = sqrt(g' V g) with the analytic gradient equals the same quantity
    built from a central finite-difference gradient."""
    _, se, (lo, hi) = delta_method_ci(b1, b2, COV)
    h = 1e-6
    g_num = np.array([
        (turning_point(b1 + h, b2) - turning_point(b1 - h, b2)) / (2 * h),
        (turning_point(b1, b2 + h) - turning_point(b1, b2 - h)) / (2 * h),
    ])
    se_num = math.sqrt(g_num @ COV @ g_num)
    assert se == pytest.approx(se_num, rel=1e-6)
    z = stats.norm.ppf(0.975)
    assert hi - lo == pytest.approx(2 * z * se)


def test_delta_method_uses_t_quantiles_when_df_given():
    _, se, (lo, hi) = delta_method_ci(60.0, -40.0, COV, df=10)
    assert hi - lo == pytest.approx(2 * stats.t(10).ppf(0.975) * se)


def _inside_by_definition(b1, b2, cov, x, level=0.95):
    slope, se = slope_at(b1, b2, cov, x)
    return abs(slope / se) <= critical_value(level)


def test_fieller_bounded_when_b2_precise():
    f = fieller_interval(60.0, -40.0, np.diag([1.0, 0.5]))
    assert f.kind == "bounded"
    assert f.lower < 0.75 < f.upper
    assert f.contains(0.75) and not f.contains(f.upper + 0.01)
    # for a precise b2 the Fieller and delta intervals nearly coincide
    _, _, (lo, hi) = delta_method_ci(60.0, -40.0, np.diag([1.0, 0.5]))
    assert f.lower == pytest.approx(lo, abs=2e-3) and f.upper == pytest.approx(hi, abs=2e-3)


def test_fieller_two_rays_when_b2_insignificant_but_b1_strong():
    cov = np.diag([1.0, 4.0])  # |b2|/se = 0.5 but |b1|/se = 10
    f = fieller_interval(10.0, -1.0, cov)
    assert f.kind == "two_rays"
    assert math.isfinite(f.lower) and math.isfinite(f.upper) and f.lower < f.upper
    assert not f.contains((f.lower + f.upper) / 2)
    assert f.contains(f.lower - 100.0) and f.contains(f.upper + 100.0)
    assert f.contains(turning_point(10.0, -1.0))
    assert "unbounded" in str(f)


def test_fieller_real_line_when_nothing_is_significant():
    f = fieller_interval(0.5, -0.5, np.eye(2))
    assert f.kind == "real_line"
    assert f.contains(-1e9) and f.contains(1e9)
    d = f.to_dict()
    assert d["lower"] is None and d["upper"] is None and "the whole real line" in d["text"]


def test_fieller_ray_on_the_knife_edge():
    b2 = -1.0
    v22 = (b2 / critical_value(0.95)) ** 2  # b2 exactly on the significance boundary
    f = fieller_interval(3.0, b2, np.array([[0.5, 0.0], [0.0, v22]]))
    assert f.kind == "ray"
    assert math.isinf(f.lower) != math.isinf(f.upper)


@pytest.mark.parametrize("b1,b2,cov", [
    (60.0, -40.0, np.diag([1.0, 0.5])),
    (10.0, -1.0, np.diag([1.0, 4.0])),
    (0.5, -0.5, np.eye(2)),
    (19.66, -14.35, np.array([[1305.0, -793.0], [-793.0, 482.5]])),
])
def test_fieller_set_is_the_inverted_slope_test(b1, b2, cov):
    """x is in the set exactly when the slope at x is not significant."""
    f = fieller_interval(b1, b2, cov)
    for x in np.linspace(-5, 5, 401):
        assert f.contains(x) == _inside_by_definition(b1, b2, cov, x), x


def test_lind_mehlum_by_hand():
    b1, b2, cov = 60.0, -40.0, np.diag([1.0, 0.25])
    res = lind_mehlum_test(b1, b2, cov, 0.5, 1.0)
    s_lo, se_lo = 60 - 40, math.sqrt(1 + 0.25)  # slope 20 at 0.5, var 1 + (2*0.5)^2 * 0.25
    s_hi, se_hi = 60 - 80, math.sqrt(1 + 4 * 0.25)
    assert res.slope_low == pytest.approx(s_lo) and res.se_low == pytest.approx(se_lo)
    assert res.slope_high == pytest.approx(s_hi) and res.se_high == pytest.approx(se_hi)
    assert res.p_low == pytest.approx(stats.norm.sf(s_lo / se_lo))
    assert res.p_high == pytest.approx(stats.norm.cdf(s_hi / se_hi))
    assert res.p_value == max(res.p_low, res.p_high)
    assert res.verdict == "inverted U" and res.turning_point_in_range


def test_lind_mehlum_requires_both_ends():
    # slope clearly positive at the left end, barely negative at the right
    res = lind_mehlum_test(48.0, -20.0, np.diag([1.0, 0.25]), 0.5, 1.25)
    assert res.slope_high < 0 and res.p_high > 0.05
    assert res.verdict == "no U-shape detected"
    assert res.p_value == pytest.approx(res.p_high)


def test_lind_mehlum_u_shape_and_turning_point_outside():
    res = lind_mehlum_test(-60.0, 40.0, np.diag([1.0, 0.25]), 0.5, 1.0)
    assert res.shape_tested == "U" and res.verdict == "U"
    out = lind_mehlum_test(48.0, -20.0, np.diag([1.0, 0.25]), 0.5, 1.0)
    assert not out.turning_point_in_range and out.verdict == "no U-shape detected"
    with pytest.raises(ValueError):
        lind_mehlum_test(1.0, -1.0, np.eye(2), 1.0, 0.5)


def test_robin_hood_moves_towards_the_weaker_line():
    flat = np.linspace(0.0, 1.0, 101)
    assert robin_hood_breakpoint(flat, 2.0, 2.0) == pytest.approx(0.5)
    # weak first line -> break moves right, giving line 1 more data
    assert robin_hood_breakpoint(flat, 1.0, 3.0) == pytest.approx(0.75)
    assert robin_hood_breakpoint(flat, -3.0, 1.0) == pytest.approx(0.25)


def test_flat_region():
    x = np.linspace(0, 1, 11)
    fitted = -(x - 0.5) ** 2
    flat = flat_region(x, fitted, np.full(11, 0.05), "inverted U")
    assert flat.min() == pytest.approx(0.3) and flat.max() == pytest.approx(0.7)
    flat_u = flat_region(x, -fitted, np.full(11, 0.05), "U")
    np.testing.assert_allclose(flat, flat_u)


def test_fieller_set_dict_is_plain():
    d = FiellerSet("bounded", 0.1, 0.2, 0.95).to_dict()
    assert d == {"kind": "bounded", "lower": 0.1, "upper": 0.2, "level": 0.95,
                 "label": "a bounded interval",
                 "text": str(FiellerSet("bounded", 0.1, 0.2, 0.95))}


def test_fieller_kinds_have_one_spelling():
    """Every kind the computation can return is one of FIELLER_KINDS, has one
    label, and that label is what the text shows; other spellings are refused."""
    assert set(FIELLER_LABELS) == set(FIELLER_KINDS)
    produced = {fieller_interval(60.0, -40.0, np.diag([1.0, 0.5])).kind,
                fieller_interval(10.0, -1.0, np.diag([1.0, 4.0])).kind,
                fieller_interval(0.5, -0.5, np.eye(2)).kind}
    assert produced == {"bounded", "two_rays", "real_line"}
    for kind in FIELLER_KINDS:
        f = FiellerSet(kind, -math.inf if kind != "bounded" else 0.1, 0.9, 0.95)
        assert f.label == FIELLER_LABELS[kind] and f.label in str(f)
    for other in ("two rays", "two-rays", "whole line", "unbounded"):
        with pytest.raises(ValueError, match="Fieller set kind"):
            FiellerSet(other, 0.0, 1.0, 0.95)


def test_flat_region_and_robin_hood_work_over_observations():
    """Repeated values count once per observation, as in Simonsohn's code
    (median(xflat), quantile(xflat, z2/(z1+z2)) over observations)."""
    x = np.array([0.6, 0.6, 0.6, 0.7, 0.8, 0.9])
    fitted = np.array([1.0, 1.0, 1.0, 0.95, 0.9, 0.2])
    se = np.full(6, 0.12)
    flat = flat_region(x, fitted, se, "inverted U")
    # flat: fitted + se > 1.0, i.e. fitted > 0.88: the first five observations
    np.testing.assert_array_equal(flat, [0.6, 0.6, 0.6, 0.7, 0.8])
    assert np.median(flat) == pytest.approx(0.6)          # over distinct values it would be 0.7
    # quantile 0.75 of five observations: position 0.75 * 4 = 3 -> the fourth, 0.7
    assert robin_hood_breakpoint(flat, 1.0, 3.0) == pytest.approx(0.7)  # distinct: 0.75
    # quantile 0.4: position 1.6 -> 0.6 + 0.6 * (0.6 - 0.6) = 0.6
    assert robin_hood_breakpoint(flat, 3.0, 2.0) == pytest.approx(0.6)


def test_two_lines_worked_example_by_hand():
    """Simonsohn's steps 2-4 on twelve observations, each number recomputed
    here from the definitions: the flat region over observations, its median,
    the z statistics of the two lines at the median, the Robin Hood quantile
    and the final slopes (each line is an OLS fit of its own segment, because
    the interrupted regression gives every segment its own intercept)."""
    from innobook.analysis.competition.inverted_u.two_lines import two_lines_from_smoother

    x = np.array([1, 2, 2, 2, 3, 4, 5, 5, 5, 6, 7, 8], dtype=float)
    y = np.array([2.0, 2.6, 2.2, 2.5, 2.9, 3.1, 3.9, 3.5, 3.8, 1.0, -2.1, -5.0])
    base = np.ones((len(x), 1))

    def ols(design):  # classical OLS covariance, t(n - k) inference
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = y - design @ beta
        n, k = design.shape
        return beta, resid @ resid / (n - k) * np.linalg.inv(design.T @ design), float(n - k)

    # a smoother written down by hand for the ten middle observations
    x_mid = x[1:-1]
    fitted = np.array([1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 4.0, 3.5, 3.5])
    se = np.full(10, 0.6)
    res = two_lines_from_smoother(x, base, ols, x_mid, fitted, se, "inverted U")

    # flat region: fitted + 0.6 > 4, i.e. the observations at 5, 5, 5, 6 and 7
    assert (res.flat_low, res.flat_high) == (5.0, 7.0)
    assert res.preliminary_breakpoint == 5.0  # median over observations (distinct values: 6)

    def by_hand(xc):
        """Slope, se and t of each line; line 1 keeps x = xc in the lower
        segment, line 2 in the upper one; the residual variance is pooled
        over both segments with n - 4 degrees of freedom."""
        out = []
        for low in (x <= xc, x < xc):
            rss, slopes, sxx = 0.0, [], []
            for seg in (low, ~low):
                xs, ys = x[seg], y[seg]
                b = np.sum((xs - xs.mean()) * (ys - ys.mean())) / np.sum((xs - xs.mean()) ** 2)
                a = ys.mean() - b * xs.mean()
                rss += np.sum((ys - a - b * xs) ** 2)
                slopes.append(b)
                sxx.append(np.sum((xs - xs.mean()) ** 2))
            s2 = rss / (len(x) - 4)
            out.append((slopes, [math.sqrt(s2 / v) for v in sxx]))
        (b_low, se_low), (b_high, se_high) = out
        return b_low[0], se_low[0], b_high[1], se_high[1]

    b1, s1, b2, s2 = by_hand(5.0)
    share = abs(b2 / s2) / (abs(b1 / s1) + abs(b2 / s2))
    flat = np.array([5.0, 5.0, 5.0, 6.0, 7.0])
    pos = share * (len(flat) - 1)  # R's type-7 quantile by hand
    lo = int(math.floor(pos))
    xc = flat[lo] + (pos - lo) * (flat[min(lo + 1, 4)] - flat[lo])
    assert 6.0 < xc < 7.0  # the weak first line pulls the break well to the right
    assert res.breakpoint == pytest.approx(xc, abs=1e-12)

    b1, s1, b2, s2 = by_hand(xc)
    assert res.slope1 == pytest.approx(b1, rel=1e-10) and res.se1 == pytest.approx(s1, rel=1e-10)
    assert res.slope2 == pytest.approx(b2, rel=1e-10) and res.se2 == pytest.approx(s2, rel=1e-10)
    assert res.p1 == pytest.approx(2 * stats.t(8).sf(abs(b1 / s1)))
    assert res.n1 == int((x <= xc).sum()) and res.n2 == int((x >= xc).sum())
    assert res.verdict == ("inverted U" if b1 > 0 and b2 < 0 and res.p1 < 0.05 and res.p2 < 0.05
                           else "no U-shape detected")
