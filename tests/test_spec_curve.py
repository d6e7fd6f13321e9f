"""The specification curve: grid, invalid combinations, parallel runs."""
from pathlib import Path

import pandas as pd
import pytest

from innobook.analysis.competition.inverted_u import QuadraticSpec, simulate_panel
from innobook.analysis.competition.spec_curve import build_specs, run_spec_curve, summarise_curve

DATA = Path(__file__).resolve().parents[1] / "data" / "firms" / "instinnovation.csv"


@pytest.fixture(scope="module")
def sim():
    """A small panel with a true inverted U and two count outcomes."""
    data = simulate_panel("inverted_u", n_firms=200, n_years=4, n_industries=30,
                          dispersion=0.3, seed=3)
    other = simulate_panel("monotone_concave", n_firms=200, n_years=4, n_industries=30,
                           dispersion=0.3, seed=3)
    return data.assign(cites=data["y"], patents=other["y"])


def test_default_grid_has_at_least_48_specs_and_flags_invalid_ones():
    specs = build_specs()
    assert len(specs) == 108
    invalid = [s for s in specs if s.level == "industry" and s.se == "cluster_firm"]
    assert len(invalid) == 18


@pytest.fixture(scope="module")
def curve(sim):
    return run_spec_curve(sim, n_jobs=2)


def test_curve_is_tidy_and_complete(curve):
    assert len(curve) == 108
    for column in ("outcome", "estimator", "fixed_effects", "se", "level", "b2", "b2_ci_lower",
                   "b2_ci_upper", "turning_point", "tp_delta_lower", "tp_fieller_kind",
                   "lm_p", "lm_inverted_u", "two_lines_verdict", "valid", "invalid_reason"):
        assert column in curve.columns
    assert not curve.duplicated(["outcome", "estimator", "fixed_effects", "se", "level"]).any()
    invalid = curve[~curve["valid"]]
    assert len(invalid) == 18
    assert invalid["invalid_reason"].str.contains("firm clusters do not exist").all()
    assert invalid["b2"].isna().all()
    valid = curve[curve["valid"]]
    assert valid["error"].isna().all()
    assert (valid["b2_ci_lower"] < valid["b2"]).all() and (valid["b2"] < valid["b2_ci_upper"]).all()


def test_curve_reflects_the_truth(curve):
    ok = curve[curve["valid"]]
    true_u = ok[ok["outcome"] == "cites"]
    concave = ok[ok["outcome"] == "patents"]
    # the true inverted U is found by Lind-Mehlum in most specifications
    assert true_u["lm_inverted_u"].mean() > 0.8
    # the monotone concave outcome never passes Lind-Mehlum
    assert not concave["lm_inverted_u"].any()
    counts = summarise_curve(curve)
    assert counts["n_estimated"] == 90
    assert counts["n_lind_mehlum_inverted_u"] == int(ok["lm_inverted_u"].sum())


def test_parallel_equals_serial(sim, curve):
    specs = [s for s in build_specs(outcomes=("cites",), fixed_effects=("year",))]
    serial = run_spec_curve(sim, specs, n_jobs=1).drop(columns="seconds")
    parallel = curve.merge(serial[["outcome", "estimator", "fixed_effects", "se", "level"]],
                           on=["outcome", "estimator", "fixed_effects", "se", "level"])
    parallel = parallel.drop(columns="seconds")
    pd.testing.assert_frame_equal(serial.reset_index(drop=True),
                                  parallel[serial.columns].reset_index(drop=True))


def test_runtime_failures_are_reported_not_raised(sim):
    specs = [QuadraticSpec("cites", "poisson", "year", "cluster_industry", "firm"),
             QuadraticSpec("cites", "poisson", "year", "hc", "firm")]
    out = run_spec_curve(sim, specs, n_jobs=1, min_clusters=50)  # only 30 industries
    assert out.loc[0, "error"].startswith("ValueError") and "clusters" in out.loc[0, "error"]
    assert pd.isna(out.loc[1, "error"]) and pd.notna(out.loc[1, "b2"])


@pytest.mark.slow
def test_full_curve_on_instinnovation():
    curve = run_spec_curve(pd.read_csv(DATA))
    counts = summarise_curve(curve)
    assert counts["n_specs"] == 108 and counts["n_valid"] == 90 and counts["n_failed"] == 0
    ok = curve[curve["valid"]]
    both = ok["lm_inverted_u"] & (ok["two_lines_verdict"] == "inverted U")
    # what the data show: with industry fixed effects (within-industry variation,
    # as in Aghion et al. 2005) no specification passes Lind-Mehlum, and every
    # specification passing both shape tests uses heteroskedasticity-robust
    # errors that ignore the industry-level clustering of competition
    assert not ok.loc[ok["fixed_effects"] == "year_industry", "lm_inverted_u"].any()
    assert both.sum() == 6
    assert (ok.loc[both, "se"] == "hc").all()
    assert (ok.loc[both, "fixed_effects"] != "year_industry").all()
    assert counts["n_lind_mehlum_inverted_u"] == 29
