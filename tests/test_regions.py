"""Methods of innobook.analysis.regions against hand-computed values and simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innobook.analysis.regions import clusters, concentration, growth, mokyr, panel, tiles, typology


# ----------------------------------------------------------------------------- concentration

def test_hhi_known_values():
    assert concentration.hhi([1, 1, 1, 1]) == pytest.approx(0.25)          # n equal units: 1/n
    assert concentration.hhi([5, 0, 0]) == pytest.approx(1.0)              # monopoly
    assert concentration.hhi([50, 30, 20]) == pytest.approx(0.5 ** 2 + 0.3 ** 2 + 0.2 ** 2)  # 0.38


def test_gini_known_values():
    assert concentration.gini([3, 3, 3]) == pytest.approx(0.0)
    assert concentration.gini([0, 0, 0, 10]) == pytest.approx(3 / 4)       # (n-1)/n
    # 1, 2, 3: pairwise |differences| sum to 8 over 9 ordered pairs; 8 / (2 * 9 * 2) = 2/9
    assert concentration.gini([1, 2, 3]) == pytest.approx(2 / 9)


def test_concentration_refuses_incomplete_sets():
    with pytest.raises(ValueError):
        concentration.gini([1.0, np.nan])
    with pytest.raises(ValueError):
        concentration.hhi([-1, 2])
    df = pd.DataFrame({"year": [1, 1, 2, 2], "v": [1.0, 3.0, 2.0, np.nan]})
    out = concentration.concentration_by_year(df, "v", expected_n=2)
    assert list(out["year"]) == [1]                                        # year 2 left out, not computed
    assert out["hhi"].iloc[0] == pytest.approx(0.25 ** 2 + 0.75 ** 2)


# ----------------------------------------------------------------------------- cluster aggregation

def _toy():
    provinces = pd.DataFrame({
        "province": ["全国", "A", "B", "C", "D", "E"], "name_en": ["China", "a", "b", "c", "d", "e"],
        "cluster": [None, "京津冀", "京津冀", "长三角", None, "粤港澳"],
        "cluster_en": [None, "Jing-Jin-Ji", "Jing-Jin-Ji", "YRD", None, "GBA"]})
    df = pd.DataFrame({"province": ["A", "B", "C", "D", "E", "全国"] * 2,
                       "year": [2020] * 6 + [2021] * 6,
                       "rnd": [10, 30, 40, 15, 5, 101, 20, 20, 30, 20, 10, np.nan]})
    return provinces, df


def test_cluster_shares_match_a_hand_computed_example():
    provinces, df = _toy()
    out = clusters.cluster_shares(df, "rnd", provinces, expected_n=5)
    s = out.set_index(["year", "cluster"])["share_pct"]
    # 2020: total 100 over the five provinces (the national row, 101, is not the denominator)
    assert s[(2020, "京津冀")] == pytest.approx(40.0)
    assert s[(2020, "长三角")] == pytest.approx(40.0)
    assert s[(2020, "粤港澳")] == pytest.approx(5.0)
    assert s[(2020, "成渝")] == pytest.approx(0.0)
    assert s[(2020, "other")] == pytest.approx(15.0)
    # 2021: total 100 again: 40, 30, 10, other 20
    assert s[(2021, "京津冀")] == pytest.approx(40.0)
    assert s[(2021, "长三角")] == pytest.approx(30.0)
    assert out.groupby("year")["share_pct"].sum().tolist() == pytest.approx([100.0, 100.0])


def test_cluster_shares_skip_a_year_with_a_missing_province():
    provinces, df = _toy()
    df.loc[(df["year"] == 2021) & (df["province"] == "C"), "rnd"] = np.nan
    out = clusters.cluster_shares(df, "rnd", provinces, expected_n=5)
    assert sorted(out["year"].unique()) == [2020]


def test_core_shares_keep_gaps():
    df = pd.DataFrame({"province": ["广东", "北京", "天津", "河北"], "year": [2023] * 4,
                       "rnd_expenditure": [4800.0, 3000.0, 600.0, 900.0],
                       "cluster": ["粤港澳", "京津冀", "京津冀", "京津冀"]})
    table = pd.DataFrame({"city": ["Shenzhen"]})
    out = clusters.core_shares(df, table, [2023],
                               series_fn=lambda t, c, i: pd.Series({2023: 2400.0}))
    sz = out[out["city"] == "Shenzhen"].iloc[0]
    assert sz["share_of_province_pct"] == pytest.approx(50.0)
    bj = out[out["city"] == "Beijing"].iloc[0]
    assert bj["share_of_cluster_pct"] == pytest.approx(100 * 3000 / 4500)
    gz = out[out["city"] == "Guangzhou"].iloc[0]
    assert np.isnan(gz["city_rnd"]) and gz["status"] == "not in the city table"


# ----------------------------------------------------------------------------- typology

def _three_blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [6, 6, 0], [0, 6, 6]])
    pts = np.vstack([c + rng.normal(0, 0.5, (10, 3)) for c in centres])
    df = pd.DataFrame(pts, columns=["a", "b", "c"])
    df["province"] = [f"P{i:02d}" for i in range(30)]
    df["name"] = df["province"]
    df["year"] = 2020
    return df


def test_clustering_is_deterministic_and_k_follows_the_silhouette():
    df = _three_blobs()
    t1 = typology.cluster_provinces(df, 2020, ["a", "b", "c"])
    t2 = typology.cluster_provinces(df, 2020, ["a", "b", "c"])
    assert t1.k_best == 3 == t1.k
    assert t1.silhouette.idxmax() == 3 and t1.silhouette[3] == t1.silhouette.max()
    assert (t1.table["group"].to_numpy() == t2.table["group"].to_numpy()).all()
    # recovered groups are the three blobs (adjusted Rand index 1)
    truth = pd.Series(np.repeat([0, 1, 2], 10), index=df["name"])
    assert typology.agreement(truth, t1.table.set_index("name")["group"]) == pytest.approx(1.0)


def test_choose_k_picks_the_maximum_silhouette_and_smaller_k_on_ties():
    df = _three_blobs(1)
    z = typology.standardise(df, ["a", "b", "c"])
    k, sil = typology.choose_k(z)
    assert k == int(sil.idxmax())
    assert list(sil.index) == [2, 3, 4, 5, 6]


def test_imposed_k_and_missing_rule():
    df = _three_blobs()
    df.loc[0, "a"] = np.nan
    t = typology.cluster_provinces(df, 2020, ["a", "b", "c"], k=2)
    assert t.k == 2 and t.k_best == 3
    assert list(t.dropped["province"]) == ["P00"] and len(t.table) == 29


# ----------------------------------------------------------------------------- growth regression

def test_growth_regression_recovers_a_known_effect():
    sim = growth.simulate_growth_panel(n_provinces=31, beta=0.8, noise=0.5, seed=3)
    fit = growth.fit_growth(sim, province_effects=True, draws=999)
    assert fit.ci_low < 0.8 < fit.ci_high
    assert abs(fit.beta - 0.8) < 0.15
    assert fit.p_wild is not None and fit.p_wild < 0.05
    assert fit.n_clusters == 31


def test_province_effects_remove_a_province_level_confounder():
    sim = growth.simulate_growth_panel(n_provinces=40, beta=0.0, confounding=-2.0, noise=0.5, seed=5)
    pooled = growth.fit_growth(sim, province_effects=False, draws=0)
    within = growth.fit_growth(sim, province_effects=True, draws=0)
    assert pooled.beta < -1.0                     # confounded comparison across provinces
    assert abs(within.beta) < 0.2                  # within provinces: the true zero


def test_growth_panel_lags_and_never_fills():
    df = pd.DataFrame({"province": ["A", "A", "A", "B", "B"], "name": list("AAABB"),
                       "year": [2011, 2012, 2013, 2011, 2013],
                       "gdp_per_capita_growth": [np.nan, 8.0, 7.0, np.nan, 9.0],
                       "rnd_intensity": [1.0, 1.5, np.nan, 2.0, 2.5]})
    gp = growth.growth_panel(df)
    # A 2011 has no growth; B 2013 has no 2012 intensity: both left out, nothing filled
    assert gp[["province", "year", "intensity_lag", "growth"]].values.tolist() == [["A", 2012, 1.0, 8.0],
                                                                                  ["A", 2013, 1.5, 7.0]]


def test_growth_fit_refuses_an_unidentified_design():
    sim = growth.simulate_growth_panel(n_provinces=5, years=[2012], seed=1)
    with pytest.raises(ValueError):
        growth.fit_growth(sim, draws=0)


# ----------------------------------------------------------------------------- tiles and Mokyr

def test_cluster_outline_of_an_l_shape():
    t = pd.DataFrame({"province": ["a", "b", "c", "d"], "tile_row": [0, 1, 1, 5], "tile_col": [0, 0, 1, 5],
                      "cluster": ["X", "X", "X", None]})
    out = tiles.cluster_outlines(t)
    assert len(out) == 8                          # an L of three squares has 8 unit edges on its outline
    assert set(out["cluster"]) == {"X"}


def test_tile_frame_refuses_two_provinces_on_one_square():
    t = pd.DataFrame({"province": ["a", "b"], "tile_row": [0, 0], "tile_col": [1, 1], "cluster": [None, None]})
    with pytest.raises(ValueError, match="share a square"):
        tiles.tile_frame(t)


def test_real_tile_grid_is_complete_and_clusters_are_contiguous():
    t = tiles.tile_frame(panel.load_provinces())
    assert len(t) == 31
    for c, sq in t.dropna(subset=["cluster"]).groupby("cluster"):
        cells = set(zip(sq["tile_row"], sq["tile_col"]))
        seen, todo = set(), [next(iter(cells))]
        while todo:
            r, col = todo.pop()
            if (r, col) in seen:
                continue
            seen.add((r, col))
            todo += [n for n in ((r + 1, col), (r - 1, col), (r, col + 1), (r, col - 1)) if n in cells]
        assert seen == cells, f"cluster {c} is not contiguous on the grid"


def test_mokyr_quadrants():
    df = pd.DataFrame({"province": ["全国", "A", "B", "C"], "name": ["China", "a", "b", "c"],
                       "cluster": [None] * 4, "year": [2020] * 4,
                       "basic_share": [6.0, 10.0, 3.0, 8.0], "enterprise_share": [75.0, 50.0, 90.0, 80.0]})
    mix = mokyr.knowledge_mix(df).set_index("province")
    assert mix.loc["A", "quadrant"] == "propositional"
    assert mix.loc["B", "quadrant"] == "prescriptive"
    assert mix.loc["C", "quadrant"] == "both above"
    assert mix.loc["A", "basic_gap_pp"] == pytest.approx(4.0)
