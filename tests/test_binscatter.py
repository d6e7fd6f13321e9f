"""Binned scatters, partialled outcomes and interval pieces for the inverted-U charts."""
import math

import numpy as np
import pandas as pd
import pytest

from innobook.analysis.competition.binscatter import (binned_means, equal_count_bins, interval_segments,
                                 partialled_outcome, pearson_dispersion, share_within)
from innobook.analysis.competition.inverted_u import fit_quadratic, simulate_panel


def test_equal_count_bins_handle_ties():
    x = np.array([0.8] * 50 + [0.9] * 30 + [0.5] * 20)
    bins = equal_count_bins(x, 10)
    assert sorted(np.bincount(bins)) == [10] * 10
    # bins follow the order of x: no value in a lower bin exceeds one in a higher bin
    frame = pd.DataFrame({"x": x, "b": bins}).groupby("b")["x"].agg(["min", "max"])
    assert (frame["max"].to_numpy()[:-1] <= frame["min"].to_numpy()[1:]).all()
    with pytest.raises(ValueError):
        equal_count_bins([1.0, 2.0], 3)
    with pytest.raises(ValueError):
        equal_count_bins([1.0, np.nan], 1)


def test_binned_means_are_means():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=1003)
    y = 2 * x + rng.normal(size=1003)
    out = binned_means(x, y, 17)
    assert out["n"].sum() == 1003 and len(out) == 17
    assert out["n"].max() - out["n"].min() <= 1
    assert (np.diff(out["x"]) > 0).all()
    assert (out["x_low"] <= out["x"]).all() and (out["x"] <= out["x_high"]).all()
    # weighted mean of bin means is the overall mean
    assert np.average(out["y"], weights=out["n"]) == pytest.approx(y.mean())


@pytest.fixture(scope="module")
def sim():
    return simulate_panel("inverted_u", n_firms=400, n_years=5, n_industries=40, dispersion=0.2,
                          seed=11).assign(cites=lambda d: d["y"])


def test_partialled_outcome_without_fixed_effects_is_the_outcome(sim):
    fit = fit_quadratic(sim, "cites", "poisson", "none", "hc", two_lines=False)
    adj = partialled_outcome(fit, sim)
    np.testing.assert_allclose(np.sort(adj["y_adj"]), np.sort(sim["cites"].to_numpy(float)))
    ols = fit_quadratic(sim, "cites", "ols_log1p", "none", "hc", two_lines=False)
    np.testing.assert_allclose(np.sort(partialled_outcome(ols, sim)["y_adj"]),
                               np.sort(np.log1p(sim["cites"].to_numpy(float))))


def test_partialled_outcome_tracks_the_fitted_curve(sim):
    """With year and industry effects removed, bin means follow predict()."""
    fit = fit_quadratic(sim, "cites", "poisson", "year_industry", "cluster_firm", two_lines=False)
    adj = partialled_outcome(fit, sim)
    bins = binned_means(adj["x"], adj["y_adj"], 10)
    curve = fit.predict(bins["x"])["fitted"].to_numpy()
    ratio = bins["y"].to_numpy() / curve
    assert np.all(np.abs(np.log(ratio)) < 0.25)
    # the OLS version lives on the index scale
    ols = fit_quadratic(sim, "cites", "ols_log1p", "year_industry", "cluster_firm", two_lines=False)
    adj = partialled_outcome(ols, sim)
    bins = binned_means(adj["x"], adj["y_adj"], 10)
    curve = ols.predict(bins["x"], scale="index")["fitted"].to_numpy()
    assert np.all(np.abs(bins["y"].to_numpy() - curve) < 0.25)


def test_partialled_outcome_refuses_other_data(sim):
    fit = fit_quadratic(sim, "cites", "poisson", "year", "hc", two_lines=False)
    with pytest.raises(ValueError, match="estimation sample"):
        partialled_outcome(fit, sim.iloc[:-10])


def test_pearson_dispersion_detects_overdispersion():
    plain = simulate_panel("inverted_u", n_firms=400, n_years=5, n_industries=40, dispersion=0.0,
                           seed=5).assign(cites=lambda d: d["y"])
    over = simulate_panel("inverted_u", n_firms=400, n_years=5, n_industries=40, dispersion=2.0,
                          seed=5).assign(cites=lambda d: d["y"])
    d_plain = pearson_dispersion(fit_quadratic(plain, "cites", "poisson", "year", "hc",
                                               two_lines=False), plain)
    d_over = pearson_dispersion(fit_quadratic(over, "cites", "poisson", "year", "hc",
                                              two_lines=False), over)
    assert 0.8 < d_plain < 1.25
    assert d_over > 3
    with pytest.raises(ValueError, match="Poisson"):
        pearson_dispersion(fit_quadratic(plain, "cites", "ols_log1p", "year", "hc",
                                         two_lines=False), plain)


def test_interval_segments():
    dom = (0.4, 1.1)
    assert interval_segments("bounded", 0.6, 0.8, dom) == [
        {"start": 0.6, "end": 0.8, "open_start": False, "open_end": False}]
    assert interval_segments("bounded", 0.2, 0.8, dom)[0]["open_start"] is True
    assert interval_segments("bounded", 1.5, 2.0, dom) == []
    two = interval_segments("two_rays", 0.7, 0.9, dom)
    assert [(p["start"], p["end"]) for p in two] == [(0.4, 0.7), (0.9, 1.1)]
    assert two[0]["open_start"] and not two[0]["open_end"] and two[1]["open_end"]
    # one ray outside the chart: only the other piece remains
    assert len(interval_segments("two_rays", 0.2, 0.9, dom)) == 1
    line = interval_segments("real_line", -math.inf, math.inf, dom)
    assert line == [{"start": 0.4, "end": 1.1, "open_start": True, "open_end": True}]
    ray = interval_segments("ray", 0.5, math.inf, dom)
    assert ray == [{"start": 0.5, "end": 1.1, "open_start": False, "open_end": True}]
    with pytest.raises(ValueError):
        interval_segments("blob", 0, 1, dom)


def test_share_within():
    groups = np.repeat(np.arange(4), 5)
    between_only = np.repeat([1.0, 2.0, 3.0, 4.0], 5)
    assert share_within(between_only, groups) == pytest.approx(0.0)
    within_only = np.tile([1.0, 2.0, 3.0, 4.0, 5.0], 4)
    assert share_within(within_only, groups) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        share_within(np.ones(6), np.arange(6))
