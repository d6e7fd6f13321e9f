"""Quadratic regressions on simulated panels with a known curve, checks
against statsmodels, and the result object's reporting."""
import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from innobook.analysis.competition.inverted_u import (SHAPES, Columns, QuadraticFit, SECorrection, correction_preset,
                                 fit_quadratic, prepare_panel, simulate_panel)
from innobook.analysis.competition.inverted_u.estimators import fit_negbin, fit_ols, fit_poisson, sandwich_covariance

SIM = Columns(competition="competition", firm="company", industry="industry", year="year")


@pytest.fixture(scope="module")
def panels():
    """One simulated panel per (shape, outcome model)."""
    out = {}
    for shape in SHAPES:
        out[shape, "poisson"] = simulate_panel(shape, outcome="poisson", seed=11)
        out[shape, "negbin"] = simulate_panel(shape, outcome="poisson", dispersion=0.7, seed=12)
        out[shape, "ols_log1p"] = simulate_panel(shape, outcome="lognormal", seed=13)
    return out


@pytest.fixture(scope="module")
def fits(panels):
    return {key: fit_quadratic(data, "y", key[1], "year", "cluster_firm", columns=SIM)
            for key, data in panels.items()}


@pytest.mark.parametrize("estimator", ["poisson", "negbin", "ols_log1p"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_recovers_true_coefficients(fits, shape, estimator):
    fit = fits[shape, estimator]
    b1, b2 = SHAPES[shape]
    assert abs(fit.b1 - b1) < 4 * fit.se_b1
    assert abs(fit.b2 - b2) < 4 * fit.se_b2
    assert fit.se_b2 < abs(b2) / 5  # the design is informative
    assert fit.p_b2 < 1e-3


@pytest.mark.parametrize("estimator", ["poisson", "negbin", "ols_log1p"])
def test_inverted_u_is_detected(fits, estimator):
    fit = fits["inverted_u", estimator]
    assert fit.turning_point == pytest.approx(0.75, abs=0.03)
    assert fit.turning_point_in_range
    assert fit.lind_mehlum.verdict == "inverted U"
    assert fit.two_lines.verdict == "inverted U"
    assert fit.turning_point_ci_fieller.kind == "bounded"
    assert fit.turning_point_ci_fieller.contains(0.75)


@pytest.mark.parametrize("estimator", ["poisson", "negbin", "ols_log1p"])
def test_monotone_concave_is_not_an_inverted_u(fits, estimator):
    """The squared term is significantly negative, yet the curve rises over
    the whole observed range: neither shape test may call it an inverted U."""
    fit = fits["monotone_concave", estimator]
    assert fit.b2 < 0 and fit.p_b2 < 1e-3
    assert fit.turning_point > fit.x_max
    assert fit.lind_mehlum.verdict == "no U-shape detected"
    assert fit.lind_mehlum.p_value > 0.5
    assert fit.two_lines.verdict != "inverted U"
    assert fit.two_lines.slope2 > 0 or fit.two_lines.p2 >= 0.05


@pytest.mark.parametrize("estimator", ["poisson", "negbin", "ols_log1p"])
def test_u_is_detected_as_u(fits, estimator):
    fit = fits["u", estimator]
    assert fit.lind_mehlum.shape_tested == "U"
    assert fit.lind_mehlum.verdict == "U"
    assert fit.two_lines.verdict == "U"


def _design(data):
    c = data["competition"].to_numpy()
    years = pd.get_dummies(data["year"].astype(str), drop_first=True).to_numpy(float)
    return np.column_stack([np.ones(len(c)), years, c, c**2])


def test_poisson_matches_statsmodels(panels):
    data = panels["inverted_u", "poisson"]
    X, y, g = _design(data), data["y"].to_numpy(), data["company"].to_numpy()
    mine = fit_poisson(y, X)
    ref = sm.GLM(y, X, family=sm.families.Poisson())
    np.testing.assert_allclose(mine.params, ref.fit().params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sandwich_covariance(mine, "nonrobust"),
                               ref.fit().cov_params(), rtol=1e-5)
    np.testing.assert_allclose(sandwich_covariance(mine, "hc"),
                               ref.fit(cov_type="HC0").cov_params(), rtol=1e-5)
    n_groups = len(np.unique(g))
    n, k = X.shape
    factor = n_groups / (n_groups - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(
        sandwich_covariance(mine, "cluster", g, cluster_factor=factor),
        ref.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(g)[0]}).cov_params(),
        rtol=1e-5)


def test_negbin_matches_statsmodels(panels):
    data = panels["inverted_u", "negbin"]
    X, y = _design(data), data["y"].to_numpy()
    mine = fit_negbin(y, X)
    model = sm.NegativeBinomial(y, X, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = model.fit(start_params=np.append(mine.params, mine.alpha), method="newton",
                        maxiter=100, disp=0)
    np.testing.assert_allclose(mine.params, ref.params[:-1], rtol=1e-5, atol=1e-6)
    assert mine.alpha == pytest.approx(ref.params[-1], rel=1e-5)
    assert mine.alpha == pytest.approx(0.7, abs=0.1)
    # both are evaluated at each package's own optimum, which agree to ~1e-7
    ref_h, ref_s = model.hessian(ref.params), model.score_obs(ref.params)
    np.testing.assert_allclose(mine.hessian, ref_h, rtol=1e-5, atol=1e-6 * np.abs(ref_h).max())
    np.testing.assert_allclose(mine.scores, ref_s, rtol=1e-5, atol=1e-6 * np.abs(ref_s).max())
    np.testing.assert_allclose(np.sqrt(np.diag(sandwich_covariance(mine, "nonrobust"))),
                               ref.bse, rtol=1e-4)


def test_ols_matches_statsmodels(panels):
    data = panels["inverted_u", "ols_log1p"]
    X, y, g = _design(data), np.log1p(data["y"].to_numpy()), data["company"].to_numpy()
    mine = fit_ols(y, X)
    n, k = X.shape
    np.testing.assert_allclose(mine.params, sm.OLS(y, X).fit().params, rtol=1e-8)
    np.testing.assert_allclose(sandwich_covariance(mine, "nonrobust"),
                               sm.OLS(y, X).fit().cov_params(), rtol=1e-8)
    np.testing.assert_allclose(sandwich_covariance(mine, "hc", hc_factor=n / (n - k)),
                               sm.OLS(y, X).fit(cov_type="HC1").cov_params(), rtol=1e-8)
    n_groups = len(np.unique(g))
    np.testing.assert_allclose(
        sandwich_covariance(mine, "cluster", g,
                            cluster_factor=n_groups / (n_groups - 1) * (n - 1) / (n - k)),
        sm.OLS(y, X).fit(cov_type="cluster",
                         cov_kwds={"groups": pd.factorize(g)[0]}).cov_params(), rtol=1e-8)


def test_correction_presets_scale_the_covariance_as_documented(panels):
    data = panels["inverted_u", "poisson"]
    kw = dict(outcome="y", estimator="poisson", fixed_effects="year", columns=SIM,
              two_lines=False)
    asym = fit_quadratic(data, se="cluster_firm", correction="asymptotic", **kw)
    stata = fit_quadratic(data, se="cluster_firm", correction="stata", **kw)
    rsand = fit_quadratic(data, se="cluster_firm", correction="sandwich", **kw)
    g, n, k = asym.n_clusters, asym.nobs, len(asym.params)
    assert (stata.se_b2 / asym.se_b2) ** 2 == pytest.approx(g / (g - 1))
    # R: vcovCL on a glm fit defaults to type "HC0" with the cluster adjustment only
    assert (rsand.se_b2 / asym.se_b2) ** 2 == pytest.approx(g / (g - 1))
    hc_stata = fit_quadratic(data, se="hc", correction="stata", **kw)
    hc_asym = fit_quadratic(data, se="hc", correction="asymptotic", **kw)
    assert (hc_stata.se_b2 / hc_asym.se_b2) ** 2 == pytest.approx(n / (n - 1))
    assert stata.b2 == asym.b2  # point estimates never depend on the covariance
    # Stata's regress uses t(G-1) for clustered OLS; ML commands use z
    assert correction_preset("stata", "ols_log1p").distribution == "t"
    assert correction_preset("stata", "poisson").distribution == "normal"
    custom = SECorrection("custom", "none", "none", "t")
    ols = fit_quadratic(panels["inverted_u", "ols_log1p"], "y", "ols_log1p", "year",
                        "cluster_firm", correction=custom, columns=SIM, two_lines=False)
    assert ols.df == ols.n_clusters - 1
    assert "t(G-1)" in ols.summary() and "CR0" in ols.summary()


def test_result_reporting(fits):
    fit = fits["inverted_u", "poisson"]
    assert isinstance(fit, QuadraticFit)
    text = fit.summary()
    for needle in ("Poisson QMLE", "clustered by firm", "G/(G-1)", "Turning point",
                   "Fieller", "Lind-Mehlum", "Two-lines", "competition^2"):
        assert needle in text
    d = fit.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d

    def plain(v):
        if isinstance(v, dict):
            return all(isinstance(k, str) and plain(x) for k, x in v.items())
        if isinstance(v, list):
            return all(plain(x) for x in v)
        return v is None or type(v) in (bool, int, float, str)

    assert plain(d)
    for key in ("b1", "b2", "se_b2", "p_b2", "nobs", "n_clusters", "turning_point",
                "turning_point_ci_delta", "turning_point_ci_fieller", "lind_mehlum",
                "two_lines", "spec", "se_description"):
        assert key in d
    assert d["turning_point_ci_fieller"]["kind"] == "bounded"
    assert d["lind_mehlum"]["verdict"] == d["lind_mehlum_verdict"] == "inverted U"
    assert d["n_clusters"] == 600


def test_predict_band(fits):
    fit = fits["inverted_u", "poisson"]
    grid = np.linspace(0.5, 1.0, 51)
    pred = fit.predict(grid)
    assert list(pred.columns[:4]) == ["competition", "fitted", "lower", "upper"]
    assert (pred["lower"] < pred["fitted"]).all() and (pred["fitted"] < pred["upper"]).all()
    np.testing.assert_allclose(pred["fitted"], np.exp(pred["index"]))
    assert grid[pred["fitted"].argmax()] == pytest.approx(fit.turning_point, abs=0.011)
    # the index is linear in the parameters: its curvature is the squared coefficient
    second = np.gradient(np.gradient(pred["index"], grid), grid)
    assert np.median(second) == pytest.approx(2 * fit.b2, rel=1e-3)
    wide = fit.predict(grid, level=0.99)
    assert (wide["upper"] - wide["lower"] > pred["upper"] - pred["lower"]).all()
    ols = fits["inverted_u", "ols_log1p"].predict(grid)
    np.testing.assert_allclose(ols["fitted"], np.expm1(ols["index"]))
    with pytest.raises(ValueError):
        fit.predict(grid, scale="odds")


def test_invalid_choices_are_refused(panels):
    data = panels["inverted_u", "poisson"]
    with pytest.raises(ValueError, match="firm clusters do not exist"):
        fit_quadratic(data, "y", level="industry", se="cluster_firm", columns=SIM)
    with pytest.raises(ValueError, match="clusters"):
        fit_quadratic(data, "y", se="cluster_industry", columns=SIM, min_clusters=100)
    with pytest.raises(ValueError):
        fit_quadratic(data, "y", estimator="probit", columns=SIM)
    with pytest.raises(KeyError):
        fit_quadratic(data, "not_a_column", columns=SIM)


def test_industry_level_and_year_filter(panels):
    data = panels["inverted_u", "poisson"]
    panel = prepare_panel(data, "y", level="industry", years=(2001, 2003), columns=SIM)
    cells = data[(data.year >= 2001) & (data.year <= 2003)].groupby(["industry", "year"])
    assert len(panel) == cells.ngroups
    assert panel["y"].to_numpy() == pytest.approx(cells["y"].mean().to_numpy())
    assert panel["n_firms"].sum() == cells.size().sum()
    fit = fit_quadratic(data, "y", "poisson", "year", "cluster_industry", "industry",
                        years=(2001, 2003), columns=SIM)
    assert fit.nobs == cells.ngroups
    assert fit.spec.years == (2001, 2003)
    assert fit.lind_mehlum.verdict == "inverted U"


def test_all_zero_fixed_effect_groups_are_dropped(panels):
    data = panels["inverted_u", "poisson"].copy()
    zero_industry = data["industry"].iloc[0]
    data.loc[data["industry"] == zero_industry, "y"] = 0.0
    n_zero = int((data["industry"] == zero_industry).sum())
    fit = fit_quadratic(data, "y", "poisson", "year_industry", "cluster_firm", columns=SIM,
                        two_lines=False)
    assert fit.n_dropped == n_zero
    assert fit.nobs == len(data) - n_zero
    assert "dropped" in fit.summary()
    assert np.isfinite(fit.params).all()


def test_negbin_without_overdispersion_falls_back_to_poisson():
    """Under-dispersed counts put the NB2 likelihood maximum at alpha = 0."""
    rng = np.random.default_rng(5)
    c = rng.uniform(0.5, 1.0, 800)
    X = np.column_stack([np.ones_like(c), c, c**2])
    y = rng.binomial(10, 0.2 + 0.6 * (c - 0.5)).astype(float)  # variance below the mean
    nb = fit_negbin(y, X)
    assert nb.alpha == 0.0
    np.testing.assert_allclose(nb.params, fit_poisson(y, X).params)
    assert nb.scores.shape == (800, 3)


def _by_formula(bread, scores, groups, factor):
    """Cluster-robust covariance written out: factor * B (sum_g S_g S_g') B."""
    codes = pd.factorize(groups)[0]
    sums = np.zeros((codes.max() + 1, scores.shape[1]))
    np.add.at(sums, codes, scores)
    return factor * bread @ (sums.T @ sums) @ bread


@pytest.mark.parametrize("estimator", ["poisson", "ols_log1p"])
def test_sandwich_preset_reproduces_vcovcl_for_each_model_class(panels, estimator):
    """lmtest::coeftest(m, vcov = sandwich::vcovCL(m, cluster = ~industry)):
    for an lm fit type "HC1", G/(G-1) (N-1)/(N-K) with t(N-K); for a glm fit
    type "HC0", G/(G-1) with z. The covariance is recomputed here from the
    formula, independently of the library's code."""
    data = panels["inverted_u", estimator]
    fit = fit_quadratic(data, "y", estimator, "year", "cluster_industry", correction="sandwich",
                        columns=SIM, two_lines=False)
    X, groups = _design(data), data["industry"].to_numpy()
    n, k, g = X.shape[0], X.shape[1], len(np.unique(groups))
    if estimator == "poisson":
        y = data["y"].to_numpy(float)
        beta = fit_poisson(y, X).params
        mu = np.exp(X @ beta)
        bread, scores = np.linalg.inv((X * mu[:, None]).T @ X), X * (y - mu)[:, None]
        factor, df = g / (g - 1), None
    else:
        y = np.log1p(data["y"].to_numpy(float))
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        bread, scores = np.linalg.inv(X.T @ X), X * (y - X @ beta)[:, None]
        factor, df = g / (g - 1) * (n - 1) / (n - k), float(n - k)
    expected = _by_formula(bread, scores, groups, factor)[-2:, -2:]  # (c, c^2) block
    np.testing.assert_allclose(fit.cov_b, expected, rtol=1e-6)
    assert fit.df == df
    assert ("t(N-K)" if df else "normal") in fit.se_description


def test_negbin_reaches_the_optimum():
    """The fit ends at the maximum: the Newton step still pending there is
    negligible (the earlier stopping rule returned before taking it, leaving
    steps of 1e-6 to 1e-3 in these data)."""
    from pathlib import Path

    from innobook.analysis.competition.inverted_u.fit import QuadraticSpec, _build_design
    from innobook.analysis.competition.inverted_u.panel import Columns

    firms = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "firms" / "instinnovation.csv")
    design = _build_design(firms, QuadraticSpec("cites", "negbin", "year_industry", "hc", "industry"),
                           Columns())
    X = np.column_stack([design.base, design.x, design.x**2])
    nb = fit_negbin(design.y, X)
    gradient = nb.scores.sum(axis=0)
    step = np.linalg.solve(-nb.hessian, gradient)
    assert np.abs(step).max() < 1e-9
    assert float(gradient @ step) < 1e-15
