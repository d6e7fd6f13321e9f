"""Growth arithmetic and comparison helpers (src/innobook/analysis/rnd.py) on tables with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innobook import data
from innobook.analysis import rnd as G


def _national():
    rows = []
    for year, (total, basic, applied, dev) in {2020: (100.0, 6.0, 11.0, 83.0), 2022: (121.0, 7.0, 11.0, 82.1)}.items():
        rows += [
            {"year": year, "indicator": "rd_expenditure", "value": total, "vintage": "final", "source_key": "f"},
            {"year": year, "indicator": "basic_research_share", "value": basic, "vintage": "final", "source_key": "f"},
            {"year": year, "indicator": "applied_research_share", "value": applied, "vintage": "final", "source_key": "f"},
            {"year": year, "indicator": "experimental_development_share", "value": dev, "vintage": "final", "source_key": "f"},
        ]
    rows.append({"year": 2022, "indicator": "rd_expenditure", "value": 120.0, "vintage": "preliminary", "source_key": "p"})
    return pd.DataFrame(rows)


def test_growth_and_compound_rate():
    assert G.growth_pct(100, 121) == pytest.approx(21.0)
    assert G.cagr_pct(100, 121, 2) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        G.cagr_pct(100, 121, 0)


def test_vintage_table_keeps_unknown_pairs_visible():
    t = G.vintage_growth_table(_national(), "rd_expenditure", 2020, 2022)
    by = {(r.start_vintage, r.end_vintage): r for r in t.itertuples()}
    assert by[("final", "final")].cagr_pct == pytest.approx(10.0)
    assert by[("final", "preliminary")].growth_pct == pytest.approx(20.0)
    assert pd.isna(by[("preliminary", "preliminary")].growth_pct)   # no preliminary 2020


def test_gap_and_above_since():
    left = pd.Series({2019: 2.0, 2020: 2.3, 2021: 2.1, 2022: 2.5, 2023: 2.6, 2024: 2.7})
    right = pd.Series({2019: 2.1, 2020: 2.2, 2021: 2.2, 2022: 2.2, 2023: 2.2})
    assert G.gap_pp(left, right, 2023) == pytest.approx(0.4)
    with pytest.raises(G.MissingValue, match="EU has no value for 2024"):
        G.gap_pp(left, right, 2024, ("China", "EU"))
    cmp = G.compare_years(left, right)
    assert G.above_since(cmp) == 2022                     # 2020 above, 2021 below again
    assert G.above_since(G.compare_years(right + 1, right)) == 2019
    assert G.above_since(G.compare_years(right, right + 1)) is None


def test_composition_checks_the_shares_add_up():
    mix = G.composition(_national())
    assert list(mix.index) == [2020, 2022]
    assert mix.loc[2022, "total"] == pytest.approx(100.1)
    bad = _national()
    bad.loc[(bad.year == 2020) & (bad.indicator == "basic_research_share"), "value"] = 9.0
    with pytest.raises(ValueError, match="2020"):
        G.composition(bad)


def test_series_by_basis_never_mixes_bases():
    df = pd.DataFrame({
        "year": [2019, 2021, 2022, 2019, 2019],
        "country_or_region": ["South Korea", "South Korea", "South Korea", "Germany", "Japan (national basis, NISTEP)"],
        "basic_research_share_pct": [14.7, 14.8, np.nan, np.nan, 15.1],
        "source_key": ["ncses_sei2022_rd8", "msit_rd_survey_2021", "msit_rd_survey_2022", "ncses_sei2022_rd8",
                       "nistep_sti_2021"],
    })
    tidy = G.series_by_basis(df, "basic_research_share_pct")
    assert len(tidy) == 3                                     # blanks dropped, not zero
    korea = tidy[tidy.economy == "South Korea"]
    assert korea["series"].nunique() == 2 and korea["basis"].nunique() == 2
    assert set(tidy["economy"]) == {"South Korea", "Japan"}
    latest = G.latest_by_series(tidy, "basic_research_share_pct")
    assert list(latest["basic_research_share_pct"]) == [14.7, 14.8, 15.1]
    assert G.without_sourced_value(df, "basic_research_share_pct", ["Germany", "Japan", "Israel"]) == ["Germany", "Israel"]
    with pytest.raises(KeyError):
        G.basis_label("unknown_source")


def test_real_data_headline_figures():
    national = data.load("rnd_national")
    peers = data.load("rnd_intensity_international")
    final = G.series(national, "rd_expenditure", "final")
    prelim = G.series(national, "rd_expenditure", "preliminary")
    assert G.growth_pct(final[2020], prelim[2024]) == pytest.approx(48.1157, abs=1e-3)
    eu = peers[peers.country_or_region == "EU27 (Eurostat)"].set_index("year")["gerd_pct_gdp"]
    assert G.gap_pp(G.series(national, "rd_intensity", "final"), eu, 2024) == pytest.approx(0.49)
    assert G.value(G.series(national, "enterprise_share", "final"), 2023) == pytest.approx(77.7)
    tidy = G.series_by_basis(data.load("rnd_basic_share_international"), "basic_research_share_pct")
    assert (tidy.groupby("series")["source_key"].apply(lambda s: s.map(G.basis_label).nunique()) == 1).all()
    assert "Germany" not in set(tidy["economy"])
