"""The city and province functions behind the three city profiles and the provincial view."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from innobook.analysis import cities
from innobook import data as D
from innobook.analysis import rnd as growth


def _frame(rows):
    cols = ["city", "year", "indicator", "value", "value_as_published", "unit", "source_key",
            "source_title", "source_date"]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture(scope="module")
def table():
    return D.load("city_indicators")


@pytest.fixture(scope="module")
def national_intensity():
    return growth.series(D.load("rnd_national"), "rd_intensity", "final")


def test_money_units_are_converted_not_estimated():
    assert cities.to_100m_yuan(168.2, "billion yuan (as published)") == pytest.approx(1682.0)
    assert cities.to_100m_yuan(3.68, "trillion yuan (rounded as published)") == pytest.approx(36800.0)
    assert cities.to_100m_yuan(2236.61, "100m yuan") == 2236.61
    with pytest.raises(ValueError, match="unknown money unit"):
        cities.to_100m_yuan(1.0, "million dollars")


def test_precise_figure_beats_rounded_headline_then_newest_document():
    df = _frame([
        ["X", 2024, "gdp", 3.7, "3.7", "trillion yuan (rounded as published)", "a", "A", "2025-12-01"],
        ["X", 2024, "gdp", 36812.5, "36812.5", "100m yuan", "b", "B", "2025-03-01"],
        ["X", 2023, "gdp", 3.4, "3.4", "trillion yuan (rounded as published)", "c", "C", "2024-01-01"],
        ["X", 2023, "gdp", 3.5, "3.5", "trillion yuan (rounded as published)", "d", "D", "2025-01-01"],
    ])
    s = cities.series(df, "X", "gdp")
    assert s.loc[2024] == 36812.5            # the communiqué figure, not the later headline
    assert s.loc[2023] == pytest.approx(35000.0)  # same precision: the newer document
    assert [k for _, k in cities.source_pairs(df, "X", ["gdp"])] == ["d", "b"]


def test_phrases_are_kept_but_never_become_numbers(table):
    p = cities.phrases(table, "Shenzhen")
    assert "above 93" in set(p.value_as_published)
    share = cities.enterprise_share_series(table, "Shenzhen")
    assert 2024 not in share.index          # "above 93" is not turned into 93


def test_shenzhen_figures_match_the_ledger(table):
    prof = cities.profile(table, "Shenzhen")
    assert prof["rnd_intensity_2023_pct"] == 6.46
    assert (prof["rnd_intensity_latest_year"], prof["rnd_intensity_latest_pct"]) == (2024, 6.67)
    assert prof["enterprise_rnd_share_2023_pct"] == pytest.approx(2085.78 / 2236.61 * 100)
    assert cities.consistent_at_precision("93.3", prof["enterprise_rnd_share_2023_pct"])
    share = cities.enterprise_share_series(table, "Shenzhen")
    assert share.loc[2021, "published_pct"] == 94.0
    assert share.loc[2021, "computed_pct"] == pytest.approx(158.2 / 168.2 * 100)


def test_gaps_stay_none_and_keys_are_the_same_for_every_city(table):
    profiles = {c: cities.profile(table, c) for c in cities.PROVINCE_OF}
    keysets = {frozenset(p) for p in profiles.values()}
    assert len(keysets) == 1
    assert profiles["Shenyang"]["rnd_intensity_2023_pct"] is None
    assert profiles["Shenyang"]["enterprise_rnd_share_latest_pct"] is None
    assert profiles["Hefei"]["sei_share_latest_pct"] == 55.8
    assert profiles["Hefei"]["sei_share_latest_year"] == 2024
    for c, p in profiles.items():
        led = cities.ledger_keys(c, p)
        assert set(led) == {f"{c.lower()}_{k}" for k in ("rnd_intensity_2023_pct", "rnd_intensity_latest_pct",
                                                        "enterprise_rnd_share_2023_pct", "sei_share_latest_pct")}
    assert cities.ledger_keys("Hefei", profiles["Hefei"])["hefei_sei_share_latest_pct"] == 55.8


def test_at_never_interpolates(table):
    s = cities.series(table, "Shenzhen", "rnd_intensity")
    assert cities.at(s, 2022) is None        # 2021 and 2023 are known, 2022 is not
    assert cities.latest(pd.Series(dtype=float)) == (None, None)


@pytest.mark.parametrize("stated, computed, expected", [
    ("56", 55.8, True), ("56", 54.9, False), ("93.3", 93.2563, True), ("6.46", 6.46, True),
    ("6.46", 6.67, False), (">1000", 1000.0, None), ("80-90", 85.0, None), ("56", None, None),
])
def test_consistent_at_precision(stated, computed, expected):
    assert cities.consistent_at_precision(stated, computed) is expected


def test_claims_table_recomputes_only_this_chapters_keys(table):
    claims = D.load("claims")
    prof = cities.profile(table, "Hefei")
    t = cities.claims_table(claims, "Hefei", {**prof, **cities.ledger_keys("Hefei", prof)})
    assert len(t) == (claims.section == "Hefei").sum()
    assert t.loc["C58", "_consistent"] is True
    assert "rounds to the stated figure" in t.loc["C58", "Recomputed here"]
    assert t.loc["C57", "Recomputed here"] == ""
    assert cities.claims_table(claims, "Beijing", {}).empty


def test_structure_keeps_measures_apart(table):
    sz = cities.structure_frame(table, "Shenzhen")
    assert set(sz.measure) == {cities.STRUCTURE_MEASURES["enterprise_rnd_share"],
                               cities.STRUCTURE_MEASURES["sei_value_added_share_of_gdp"]}
    assert cities.structure_frame(table, "Beijing").empty


def test_coverage_marks_gaps(table):
    grid = cities.coverage(table, "Shenyang", range(2019, 2025))
    assert grid.shape == (len(cities.COVERAGE_INDICATORS), 6)
    intensity = grid.loc[cities.COVERAGE_INDICATORS["rnd_intensity"]]
    assert intensity.notna().sum() == 1 and intensity[2021] == 2.97


def test_comparison_table(table, national_intensity):
    t = cities.comparison_table(table, national_intensity)
    assert set(t.index) == set(cities.PROVINCE_OF)
    assert t.loc["Shenzhen", "times_national"] == pytest.approx(6.67 / national_intensity.loc[2024])
    assert (t.loc[list(cities.ARTICLE_TYPE), "times_national"].dropna() > 1).all()
    assert t.loc["Chongqing", "times_national"] < 1   # a municipality below the national level
    assert math.isnan(t.loc["Beijing", "enterprise_share_pct"])


def test_province_ranking_and_completeness():
    prov = D.load("province_rnd")
    assert cities.latest_complete_year(prov) == int(prov.year.max())
    ranked = cities.province_ranking(prov, 2024)
    assert len(ranked) == 31 and "全国" not in set(ranked.province)
    assert ranked.iloc[0]["name"] == "Beijing"
    assert ranked["rnd_intensity_pct"].is_monotonic_decreasing
    by_amount = cities.province_ranking(prov, 2024, "rnd_100m_yuan")
    assert by_amount.iloc[0]["name"] == "Guangdong"
    assert set(cities.PROVINCE_EN) >= set(prov.province)
    with pytest.raises(ValueError):
        cities.province_ranking(prov, 2024, "population")
    with pytest.raises(ValueError):
        cities.latest_complete_year(prov[prov.province != "西藏"])
