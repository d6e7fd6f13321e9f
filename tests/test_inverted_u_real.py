"""The inverted-U regressions on the real InstInnovation panel.

Documented case: ignoring overdispersion. Poisson QMLE is consistent for the
mean, but its model-based ("nonrobust") standard errors assume Var = mean.
Citation-weighted patents are wildly overdispersed (Pearson dispersion
near 900 in the baseline specification), so those standard errors are about
25 times too small and manufacture a "significant" inverted U - by
Lind-Mehlum and by the two-lines test alike - that firm- or
industry-clustered and heteroskedasticity-robust standard errors do not
support. The numbers asserted below are what the committed data give.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innobook.analysis.competition.inverted_u import fit_quadratic
from innobook.analysis.competition.inverted_u.estimators import fit_poisson
from innobook.analysis.competition.inverted_u.fit import QuadraticSpec, _build_design
from innobook.analysis.competition.inverted_u.panel import Columns

DATA = Path(__file__).resolve().parents[1] / "data" / "firms" / "instinnovation.csv"


@pytest.fixture(scope="module")
def firms():
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def baseline(firms):
    """Poisson, year and industry fixed effects, citation-weighted patents."""
    return {se: fit_quadratic(firms, "cites", "poisson", "year_industry", se)
            for se in ("nonrobust", "hc", "cluster_firm", "cluster_industry")}


def test_panel_dimensions(firms, baseline):
    assert firms.shape == (6208, 25)
    fit = baseline["cluster_firm"]
    assert fit.nobs == 6208 and fit.n_dropped == 0
    assert fit.n_clusters == 803
    assert baseline["cluster_industry"].n_clusters == 136
    assert fit.x_min == pytest.approx(0.4878, abs=1e-4)
    assert fit.x_max == pytest.approx(0.9738, abs=1e-4)


def test_baseline_point_estimates(baseline):
    fit = baseline["cluster_firm"]
    assert fit.b1 == pytest.approx(19.66, abs=0.01)
    assert fit.b2 == pytest.approx(-14.35, abs=0.01)
    assert fit.turning_point == pytest.approx(0.685, abs=0.001)
    assert fit.turning_point_in_range
    for other in baseline.values():  # the covariance choice never moves the estimates
        assert other.b2 == fit.b2


def test_citations_are_overdispersed(firms):
    design = _build_design(firms, QuadraticSpec("cites", "poisson", "year_industry", "hc"),
                           Columns())
    X = np.column_stack([design.base, design.x, design.x**2])
    raw = fit_poisson(design.y, X)
    mu = np.exp(X @ raw.params)
    pearson = np.sum((design.y - mu) ** 2 / mu) / (len(mu) - X.shape[1])
    assert pearson > 500  # Poisson assumes 1


def test_ignoring_overdispersion_manufactures_an_inverted_u(baseline):
    naive = baseline["nonrobust"]
    # model-based SE of the squared term is more than 20 times too small
    for se in ("hc", "cluster_firm", "cluster_industry"):
        assert baseline[se].se_b2 > 20 * naive.se_b2
    assert naive.se_b2 == pytest.approx(0.919, abs=0.001)
    assert baseline["cluster_firm"].se_b2 == pytest.approx(21.97, abs=0.01)

    # naive inference: a textbook inverted U on every criterion
    assert naive.p_b2 < 1e-10
    assert naive.lind_mehlum.verdict == "inverted U" and naive.lind_mehlum.p_value < 1e-10
    assert naive.two_lines.verdict == "inverted U"
    assert naive.turning_point_ci_fieller.kind == "bounded"

    # robust inference: nothing is left
    for se in ("hc", "cluster_firm", "cluster_industry"):
        fit = baseline[se]
        assert fit.p_b2 > 0.4
        assert fit.lind_mehlum.verdict == "no U-shape detected"
        assert fit.lind_mehlum.p_value > 0.3
        assert fit.two_lines.verdict == "no U-shape detected"
        # the Fieller set is the whole line: the data do not locate a peak
        assert fit.turning_point_ci_fieller.kind == "real_line"
        # while the delta method still reports a finite interval
        lo, hi = fit.turning_point_ci_delta
        assert np.isfinite(lo) and np.isfinite(hi)


def test_modelling_the_overdispersion_also_removes_it(firms, baseline):
    nb = fit_quadratic(firms, "cites", "negbin", "year_industry", "nonrobust")
    assert nb.nb_alpha == pytest.approx(4.09, abs=0.01)
    assert nb.se_b2 > 10 * baseline["nonrobust"].se_b2
    assert nb.lind_mehlum.verdict == "no U-shape detected"


def test_industry_level_like_aghion_et_al(firms):
    """Industry-year means (1152 cells): still overdispersed, and again the
    naive standard errors give an inverted U that clustering removes."""
    naive = fit_quadratic(firms, "cites", "poisson", "year_industry", "nonrobust", "industry")
    robust = fit_quadratic(firms, "cites", "poisson", "year_industry", "cluster_industry",
                           "industry")
    assert naive.nobs == robust.nobs == 1152 and robust.n_clusters == 136
    assert naive.lind_mehlum.verdict == "inverted U"
    assert robust.lind_mehlum.verdict == "no U-shape detected"
    assert robust.se_b2 > 5 * naive.se_b2
    assert robust.turning_point_ci_fieller.kind == "two_rays"
