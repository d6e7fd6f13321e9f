"""The Chinese competition-innovation panel: construction from the yearbook,
the rule for extremes, agreement with the other copy of the same table,
recovery of known shapes on panels of this size, and the industry view."""
import numpy as np
import pandas as pd
import pytest

from innobook import data
from innobook.analysis.competition import china_panel as cp
from innobook.analysis.competition.spec_curve import summarise_curve


@pytest.fixture(scope="module")
def table():
    return data.load("competition_hitech_provinces")


@pytest.fixture(scope="module")
def panel(table):
    return cp.build_panel(table)


def test_panel_is_built_as_aghion_et_al_would(table, panel):
    assert panel["province"].nunique() == 31 and cp.NATIONAL not in set(panel["province"])
    row = panel[(panel["province"] == "广东") & (panel["year"] == 2022)].iloc[0]
    raw = table[(table["province"] == "广东") & (table["year"] == 2022)].set_index("indicator")["value"]
    lerner = raw["hitech_total_profits"] / raw["hitech_main_business_revenue"]
    assert row["lerner"] == pytest.approx(lerner)
    assert row["competition"] == pytest.approx(1 - lerner)
    assert row["patents"] == raw["hitech_patent_applications"]
    assert row["rnd"] == raw["hitech_rnd_intramural"]
    # 2017 has no revenue or profits; patents start in 2018, R&D in 2016
    assert panel.loc[panel["year"] == 2017, "competition"].isna().all()
    assert panel.loc[panel["year"] < 2018, "patents"].isna().all()
    assert panel.loc[panel["year"] == 2016, "rnd"].notna().all()
    # a loss year is a competition value at or above 1, and it is kept
    loss = panel[panel["loss_year"] & panel["competition"].notna()]
    assert (loss["competition"] >= 1).all() and len(loss) >= 1


def test_the_extremes_and_the_rule(panel):
    flagged = cp.extremes_table(panel)
    tibet = flagged[flagged["province"] == "西藏"]
    assert len(tibet) == 7  # 2016 and 2018-2023
    assert tibet["reasons"].str.contains("fewer than 20 enterprises").all()
    assert (tibet["robust_z"] < -8).all()
    others = flagged[flagged["province"] != "西藏"]
    assert not others["reasons"].str.contains("enterprises").any()
    assert (others["robust_z"] > tibet["robust_z"].max()).all()
    kept, dropped = cp.apply_extreme_rule(panel)
    recent = dropped[dropped["year"] >= 2016]
    assert set(recent["province"]) == {"西藏"}  # in the innovation years only Tibet goes
    assert len(kept) + len(dropped) == len(panel)
    assert (kept["enterprises"].dropna() >= cp.MIN_ENTERPRISES).all()
    both = cp.samples(panel)
    assert set(both) == {"rule applied", "all province-years"}


def test_agrees_with_the_facts_copy_of_the_same_table(table):
    """The facts family holds the same yearbook values for four indicators."""
    if "hitech_provinces" not in data.resource_names():
        pytest.skip("no second copy in the data package")
    other = data.load("hitech_provinces")
    names = {"enterprises": "hitech_enterprises", "main_business_revenue": "hitech_main_business_revenue",
             "total_profits": "hitech_total_profits", "rnd_intramural_expenditure": "hitech_rnd_intramural"}
    other = other[other["indicator"].isin(names)].assign(indicator=lambda d: d["indicator"].map(names))
    merged = table.merge(other, on=["province", "year", "indicator"], suffixes=("", "_facts"))
    assert len(merged) >= 1000
    np.testing.assert_allclose(merged["value"], merged["value_facts"], rtol=1e-9)


def _fit(data_, outcome="patents", estimator="poisson"):
    return cp.fit_china(data_, outcome, estimator)


@pytest.mark.parametrize("estimator", ["poisson", "negbin", "ols_log1p"])
def test_recovers_a_known_inverted_u_on_a_panel_of_this_size(estimator):
    """31 provinces x 7 years, peak at 0.87 inside the observed range."""
    sim = cp.simulate_provinces(174.0, -100.0, seed=1,
                                outcome="lognormal" if estimator == "ols_log1p" else "poisson")
    fit = _fit(sim, "patents", estimator)
    assert fit.nobs == 217 and fit.n_clusters == 31
    assert fit.b2 < 0 and fit.turning_point == pytest.approx(0.87, abs=0.03)
    assert fit.lind_mehlum.verdict == "inverted U"
    assert fit.turning_point_ci_fieller.kind == "bounded"
    assert fit.x_min < fit.turning_point_ci_fieller.lower < fit.turning_point_ci_fieller.upper < fit.x_max


@pytest.mark.parametrize("estimator", ["poisson", "ols_log1p"])
def test_recovers_a_known_u_on_a_panel_of_this_size(estimator):
    sim = cp.simulate_provinces(-174.0, 100.0, seed=2,
                                outcome="lognormal" if estimator == "ols_log1p" else "poisson")
    fit = _fit(sim, "patents", estimator)
    assert fit.b2 > 0 and fit.turning_point == pytest.approx(0.87, abs=0.03)
    assert fit.lind_mehlum.shape_tested == "U" and fit.lind_mehlum.verdict == "U"


def test_a_flat_relationship_is_not_called_a_shape():
    sim = cp.simulate_provinces(0.0, 0.0, seed=3)
    fit = _fit(sim)
    assert fit.lind_mehlum.verdict == "no U-shape detected"


def test_case_provinces_are_placed_on_the_curve(panel):
    kept, _ = cp.apply_extreme_rule(panel)
    fit = _fit(kept)
    where = cp.place_provinces(kept, fit)
    assert list(where["province_en"]) == ["Guangdong", "Liaoning", "Anhui"]
    assert list(where["city"]) == ["Shenzhen", "Shenyang", "Hefei"]
    assert where["rank_in_sample"].between(1, 30).all() and (where["n_provinces"] == 30).all()
    for _, row in where.iterrows():
        sub = kept[(kept["province"] == row["province"]) & kept["year"].between(2018, 2023)]
        assert row["competition_mean"] == pytest.approx(sub["competition"].mean())
        below = row["competition_mean"] < fit.turning_point
        assert row["side"].startswith("below" if below else "above")


def test_negative_binomial_is_refused_for_an_amount_of_money(panel):
    specs = cp.china_specs(outcomes=("patents", "rnd"), estimators=("negbin", "poisson"),
                           fixed_effects=("year_industry",))
    curve = cp.run_china_curve(panel, specs, n_jobs=1, two_lines=False)
    assert len(curve) == 2 * len(specs)
    invalid = curve[~curve["valid"]]
    assert set(zip(invalid["outcome"], invalid["estimator"])) == {("rnd", "negbin")}
    assert invalid["invalid_reason"].str.contains("count model").all()
    counts = summarise_curve(curve)
    assert counts["n_estimated"] == 6 and counts["n_failed"] == 0
    assert set(curve["sample"]) == {"rule applied", "all province-years"}


def test_rnd_intensity_by_industry():
    industries = data.load("competition_industries_rnd")
    # divisions add up to the total each year, within rounding
    for year, group in industries.groupby("year"):
        total = group.loc[group["level"] == "total", "rnd_100m_yuan"].iloc[0]
        assert group.loc[group["level"] == "division", "rnd_100m_yuan"].sum() == pytest.approx(total, abs=0.5)
    table = cp.rnd_intensity_by_industry(industries)
    assert table["intensity_mean"].is_monotonic_increasing
    assert len(table) >= 40 and table["years"].max() == 4
    assert table["rnd_share_pct"].sum() == pytest.approx(100.0, abs=0.1)
    lowest = table.iloc[0]
    sub = industries[industries["industry"] == lowest["industry"]]
    assert lowest["intensity_mean"] == pytest.approx(sub["rnd_intensity_pct_of_revenue"].mean())


def test_chapter_declaration_refuses_nb2_for_rnd():
    from conftest import ROOT
    from innobook.pipeline.params import ParameterError, load_declarations, validate

    spec = load_declarations(ROOT)["china_competition"]
    assert validate(spec, {})["min_enterprises"] == cp.MIN_ENTERPRISES  # the rule's default is the module's
    with pytest.raises(ParameterError, match="count model"):
        validate(spec, {"outcome": "rnd", "estimator": "negbin"})
    validate(spec, {"outcome": "rnd", "estimator": "poisson", "scheduler": "tcp://host:8786"})
