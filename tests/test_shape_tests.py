"""Shape tests from coefficients alone: turning point, delta method,
Fieller sets, Lind-Mehlum and the Robin Hood helpers."""
import math

import numpy as np
import pytest
from scipy import stats

from innobook.analysis.competition.shape_tests import (FiellerSet, critical_value, delta_method_ci,
                                  fieller_interval, flat_region, lind_mehlum_test,
                                  robin_hood_breakpoint, slope_at, turning_point)

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
    assert d["lower"] is None and d["upper"] is None and "whole real line" in d["text"]


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
                 "text": str(FiellerSet("bounded", 0.1, 0.2, 0.95))}
