"""Wild cluster bootstrap tests for the competition-innovation quadratic.

Why: with a few dozen clusters (31 provinces) cluster-robust standard errors
are too small and tests built on them reject a true null too often
(Cameron, Gelbach and Miller 2008; Cameron and Miller 2015). A wild cluster
bootstrap that imposes the null hypothesis corrects most of that.

What is here, by model class:

``ols_log1p``
    The restricted wild cluster bootstrap (WCR) of Cameron, Gelbach and
    Miller (2008) with the "fast and wild" algebra of Roodman, MacKinnon,
    Nielsen and Webb (2019): residuals of the regression that imposes the
    null, multiplied cluster by cluster by Rademacher or Webb (2014) weights,
    and a bootstrap t statistic with the same CRV1 variance as the original.
    Computed by the maintained ``wildboottest`` package (``engine =
    "wildboottest"``, the default). That package re-compiles its numba kernel
    at every call (about a third of a second), which is fine for the
    handful of tests in a chapter or a specification curve but not for a
    Monte Carlo with thousands of tests; ``engine = "numpy"`` is the same
    algorithm written with matrix products, fed by the package's own weight
    generator, and the tests check that both engines return the same
    statistics and p-values.
``poisson``, ``negbin``
    Neither ``wildboottest`` nor ``pyfixest`` bootstraps maximum-likelihood
    models, so the score bootstrap of Kline and Santos (2012) is written
    here, following the formulas of ``boottest`` (Roodman et al. 2019,
    Section 3.4 and its Stata implementation): estimate the model with the
    null imposed; take the cluster sums ``S_g`` of the scores and the
    inverse of the information ``V`` at that restricted estimate (for NB2
    the dispersion is re-estimated under the null and, the information
    being block-diagonal, enters through the weights of the mean
    parameters' scores); with ``t_g = R V S_g`` the
    statistic is ``sum_g t_g / sqrt(G/(G-1) * sum_g (t_g - w_g sum_h t_h)^2)``
    with ``w_g`` the cluster's share of observations (a score, or Rao, test
    with a variance recentred because the restricted scores do not sum to
    zero), and each bootstrap draw multiplies ``t_g`` by a cluster weight
    ``v_g`` in the numerator and in the recentred variance. Nothing is
    re-estimated inside the bootstrap, which is why it is fast.

Tests offered for a fitted quadratic (:func:`bootstrap_shape`): the squared
term (``b2 = 0``, two-sided) and the two halves of the Lind and Mehlum
(2010) test, each a one-sided test of the slope ``b1 + 2 b2 x`` at an end of
the observed range, imposed as the null in its own bootstrap; the bootstrap
Lind-Mehlum p-value is the larger of the two, as in the analytic test.

Random numbers: every test takes an explicit ``seed`` (the specification
curve derives it from a hash of the specification, see
:func:`innobook.executors.task_seed`), so a result never depends on which
machine or worker ran it.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import linalg

from .inverted_u.estimators import fit_negbin, fit_poisson

WEIGHTS = ("rademacher", "webb")
ENGINES = ("wildboottest", "numpy")
ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class BootstrapSettings:
    """How to bootstrap: number of draws, weight distribution, OLS engine."""

    draws: int = 999
    weights: str = "rademacher"
    engine: str = "wildboottest"

    def __post_init__(self):
        if self.draws < 19:
            raise ValueError("use at least 19 bootstrap draws")
        if self.weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BootstrapTest:
    """One bootstrap test of ``R beta = 0`` against ``alternative``.

    ``statistic`` is the original test statistic (a Wald t for OLS, a score
    statistic for Poisson/NB2), ``p_value`` the share of bootstrap
    statistics beyond it in the direction of the alternative.
    """

    name: str
    method: str
    alternative: str
    statistic: float
    p_value: float
    draws: int
    weights: str
    seed: int
    n_clusters: int

    def to_dict(self) -> dict:
        return asdict(self)


def _weights(n_clusters: int, draws: int, kind: str, seed: int) -> np.ndarray:
    """``(G, B)`` cluster weights from ``wildboottest``'s own generator
    (Rademacher draws are enumerated in full when ``2^G`` is below ``B``)."""
    from wildboottest.weights import draw_weights

    full = kind == "rademacher" and 2**n_clusters < draws
    v, _ = draw_weights(t=kind, full_enumeration=full, N_G_bootcluster=n_clusters,
                        boot_iter=draws, rng=np.random.default_rng(seed))
    return np.asarray(v, dtype=float)


def _p_value(stat: float, boot: np.ndarray, alternative: str) -> float:
    boot = boot[np.isfinite(boot)]
    if alternative == "two-sided":
        return float(np.mean(np.abs(boot) > abs(stat)))
    if alternative == "greater":
        return float(np.mean(boot > stat))
    if alternative == "less":
        return float(np.mean(boot < stat))
    raise ValueError(f"alternative must be one of {ALTERNATIVES}")


def _codes_and_count(groups):
    uniques, codes = np.unique(np.asarray(groups), return_inverse=True)
    return codes.ravel(), len(uniques)


# --------------------------------------------------------------------------
# OLS: restricted wild cluster bootstrap
# --------------------------------------------------------------------------

def wcr_ols(y, X, groups, R, *, draws: int = 999, weights: str = "rademacher", seed: int = 0,
            alternative: str = "two-sided", engine: str = "wildboottest"):
    """WCR bootstrap t test of ``R beta = 0`` in ``y = X beta + u``.

    Returns ``(t, p, t_boot)``: the CRV1 t statistic of the unrestricted fit,
    the bootstrap p-value and the bootstrap statistics. ``engine`` chooses
    the ``wildboottest`` package or the equivalent matrix computation.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    R = np.asarray(R, dtype=float)
    codes, g = _codes_and_count(groups)
    if engine == "wildboottest":
        from wildboottest.wildboottest import WildboottestCL

        boot = WildboottestCL(X=X, Y=y, cluster=codes, R=R, B=draws, seed=seed, parallel=False)
        boot.get_scores(bootstrap_type="11", impose_null=True)
        boot.get_weights(weights_type=weights)  # the same draws as _weights(g, draws, weights, seed)
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        boot.get_vcov()
        boot.get_tstat()
        t = float(np.ravel(boot.t_stat)[0])
        t_boot = np.asarray(boot.t_boot, dtype=float).ravel()
    elif engine == "numpy":
        t, t_boot = _wcr_numpy(y, X, codes, g, R, _weights(g, draws, weights, seed))
    else:
        raise ValueError(f"engine must be one of {ENGINES}")
    return t, _p_value(t, t_boot, alternative), t_boot


def _wcr_numpy(y, X, codes, g, R, v):
    """The WCR11 computation of Roodman et al. (2019): with ``A = (X'X)^-1``,
    restricted residuals ``u~``, cluster scores ``s_g = X_g' u~_g`` and
    ``C_g = R A s_g``, the bootstrap numerator is ``sum_g v_g C_g`` and the
    bootstrap residual score of cluster ``g`` projected on ``R A`` is
    ``v_g C_g - sum_h v_h (R A X_g'X_g A s_h)``."""
    n, k = X.shape
    XtX = X.T @ X
    A = np.linalg.inv(XtX)
    beta = A @ (X.T @ y)
    RA = R @ A
    beta_r = beta - A @ R * (R @ beta) / (RA @ R)       # restricted estimate, R beta_r = 0
    u_r = y - X @ beta_r
    scores = np.zeros((g, k))
    np.add.at(scores, codes, X * u_r[:, None])
    C = scores @ RA                                      # (G,)
    # RA X_g'X_g per cluster, as a (G, k) matrix
    XgXg_RA = np.zeros((g, k))
    np.add.at(XgXg_RA, codes, X * (X @ RA)[:, None])
    H = XgXg_RA @ A @ scores.T                           # H[g, h] = R A X_g'X_g A s_h
    ssc = g / (g - 1) * (n - 1) / (n - k)
    numer = C @ v
    Z = C[:, None] * v - H @ v
    denom = ssc * np.sum(Z**2, axis=0)
    t_boot = numer / np.sqrt(denom)
    # original CRV1 statistic from the unrestricted fit
    u = y - X @ beta
    s_hat = np.zeros((g, k))
    np.add.at(s_hat, codes, X * u[:, None])
    se = math.sqrt(ssc * float(np.sum((s_hat @ RA) ** 2)))
    return float(R @ beta) / se, t_boot


# --------------------------------------------------------------------------
# Poisson and NB2: score bootstrap of Kline and Santos (2012)
# --------------------------------------------------------------------------

def _restricted_fit(estimator: str, y, X, R):
    """ML estimate under ``R beta = 0``: fit on ``X N`` with ``N`` a basis of
    the null space of ``R``. Returns ``(beta, alpha)`` (alpha None for Poisson,
    0 when NB2 falls back to Poisson)."""
    N = linalg.null_space(np.atleast_2d(R))
    Xr = X @ N
    if estimator == "poisson":
        raw = fit_poisson(y, Xr)
        return N @ raw.params, None
    raw = fit_negbin(y, Xr)
    return N @ raw.params, raw.alpha


def _scores_and_hessian(estimator: str, y, X, beta, alpha):
    """Per-observation scores of the mean parameters and the expected
    Hessian at a given point.

    Poisson: ``x_i (y_i - mu_i)`` and ``-X' diag(mu) X`` (observed and
    expected coincide under the log link). NB2: ``x_i (y_i - mu_i) / (1 +
    alpha mu_i)`` and the expected ``-X' diag(mu / (1 + alpha mu)) X``. The
    NB2 information is block-diagonal between the mean parameters and
    ``alpha``, so ``alpha`` (estimated under the null) drops out of ``R V S``;
    the observed Hessian is not used because away from the unrestricted
    optimum it need not be negative definite.
    """
    mu = np.exp(X @ beta)
    if estimator == "poisson" or alpha is None or alpha == 0.0:
        return X * (y - mu)[:, None], -(X * mu[:, None]).T @ X
    weight = 1.0 / (1.0 + alpha * mu)
    return X * ((y - mu) * weight)[:, None], -(X * (mu * weight)[:, None]).T @ X


def score_bootstrap(estimator: str, y, X, groups, R, *, draws: int = 999,
                    weights: str = "rademacher", seed: int = 0, alternative: str = "two-sided"):
    """Kline-Santos score bootstrap test of ``R beta = 0`` after Poisson or NB2.

    Returns ``(statistic, p, boot)``; see the module docstring for the
    statistic. ``R`` applies to the mean parameters (the columns of ``X``).
    """
    if estimator not in ("poisson", "negbin"):
        raise ValueError("the score bootstrap here is for 'poisson' and 'negbin'")
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    R = np.asarray(R, dtype=float)
    codes, g = _codes_and_count(groups)
    beta, alpha = _restricted_fit(estimator, y, X, R)
    scores, hess = _scores_and_hessian(estimator, y, X, beta, alpha)
    rv = np.linalg.solve(-hess, R)                       # V R' with V = (-H)^{-1}
    t_obs = scores @ rv                                  # per-observation R V s_i
    t_g = np.bincount(codes, weights=t_obs, minlength=g)
    share = np.bincount(codes, minlength=g) / len(y)
    v = _weights(g, draws, weights, seed)
    ones = np.ones((g, 1))
    stats_all = []
    for w in (ones, v):
        tv = t_g[:, None] * w
        numer = tv.sum(axis=0)
        centred = tv - share[:, None] * numer
        denom = g / (g - 1) * np.sum(centred**2, axis=0)
        stats_all.append(numer / np.sqrt(denom))
    stat, boot = float(stats_all[0][0]), stats_all[1]
    return stat, _p_value(stat, boot, alternative), boot


# --------------------------------------------------------------------------
# Tests on a fitted quadratic
# --------------------------------------------------------------------------

def _one_blas_thread():
    """Limit BLAS to one thread for loops over many small matrices (a
    multi-threaded BLAS spends more time synchronising than computing)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _sub_seeds(seed: int, n: int) -> list:
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(n, dtype=np.uint32)]


def wild_cluster_test(fit, R, *, name: str = "test", alternative: str = "two-sided",
                      settings: BootstrapSettings = BootstrapSettings(), seed: int = 0,
                      ) -> BootstrapTest:
    """Bootstrap test of ``R beta = 0`` for a clustered
    :class:`~innobook.analysis.competition.inverted_u.QuadraticFit`.

    ``R`` has one entry per mean parameter in the order of ``fit.params``
    (constant, competition, competition squared, fixed effects).
    """
    y, X, groups, names = fit.model_arrays()
    if groups is None:
        raise ValueError("the wild cluster bootstrap needs clustered standard errors "
                         f"(this fit uses {fit.spec.se!r})")
    R = np.asarray(R, dtype=float)
    if len(R) != X.shape[1]:
        raise ValueError(f"R needs {X.shape[1]} entries, one per parameter")
    g = len(np.unique(groups))
    if fit.spec.estimator == "ols_log1p":
        stat, p, _ = wcr_ols(y, X, groups, R, draws=settings.draws, weights=settings.weights,
                             seed=seed, alternative=alternative, engine=settings.engine)
        method = (f"restricted wild cluster bootstrap (WCR, {settings.weights} weights, "
                  f"{settings.engine})")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            stat, p, _ = score_bootstrap(fit.spec.estimator, y, X, groups, R,
                                         draws=settings.draws, weights=settings.weights,
                                         seed=seed, alternative=alternative)
        method = f"score bootstrap (Kline-Santos, {settings.weights} weights)"
    return BootstrapTest(name, method, alternative, float(stat), float(p), settings.draws,
                         settings.weights, int(seed), g)


@dataclass(frozen=True)
class BootstrapShape:
    """Bootstrap versions of the squared-term test and the Lind-Mehlum test.

    ``b2`` is the two-sided test of ``b2 = 0``; ``slope_low``/``slope_high``
    the one-sided tests of the slope at the ends of the observed range in
    the direction the tested shape requires; ``lm_p`` is the larger of
    their p-values and ``lm_verdict`` names the shape when ``lm_p < alpha``
    and the turning point lies inside the range.
    """

    shape_tested: str
    b2: BootstrapTest
    slope_low: BootstrapTest
    slope_high: BootstrapTest
    lm_p: float
    lm_verdict: str
    alpha: float

    def to_dict(self) -> dict:
        return {"shape_tested": self.shape_tested, "b2": self.b2.to_dict(),
                "slope_low": self.slope_low.to_dict(), "slope_high": self.slope_high.to_dict(),
                "lm_p": self.lm_p, "lm_verdict": self.lm_verdict, "alpha": self.alpha}


def bootstrap_shape(fit, settings: BootstrapSettings = BootstrapSettings(), seed: int = 0,
                    alpha: float | None = None) -> BootstrapShape:
    """Bootstrap the squared term and the Lind-Mehlum test of ``fit``.

    Each of the three tests imposes its own null and gets its own seed,
    derived from ``seed``.
    """
    alpha = fit.spec.alpha if alpha is None else alpha
    k = len(fit.params)
    j1, j2 = list(fit.params.index).index("competition"), list(fit.params.index).index(
        "competition_sq")

    def slope(x):
        r = np.zeros(k)
        r[j1], r[j2] = 1.0, 2.0 * x
        return r

    r_b2 = np.zeros(k)
    r_b2[j2] = 1.0
    inverted = fit.b2 < 0
    shape = "inverted U" if inverted else "U"
    s_b2, s_low, s_high = _sub_seeds(seed, 3)
    b2 = wild_cluster_test(fit, r_b2, name="b2 = 0", alternative="two-sided", settings=settings,
                           seed=s_b2)
    low = wild_cluster_test(fit, slope(fit.x_min), name="slope at lowest competition",
                            alternative="greater" if inverted else "less", settings=settings,
                            seed=s_low)
    high = wild_cluster_test(fit, slope(fit.x_max), name="slope at highest competition",
                             alternative="less" if inverted else "greater", settings=settings,
                             seed=s_high)
    lm_p = max(low.p_value, high.p_value)
    verdict = shape if (lm_p < alpha and fit.turning_point_in_range) else "no U-shape detected"
    return BootstrapShape(shape, b2, low, high, float(lm_p), verdict, alpha)


# --------------------------------------------------------------------------
# Size of the tests with few clusters: a Monte Carlo
# --------------------------------------------------------------------------

def simulate_cluster_panel(n_clusters: int, n_years: int = 7, estimator: str = "poisson",
                           spread_sd: float = 0.7, rho: float = 0.5,
                           rng: np.random.Generator | None = None):
    """A province-year panel in which the squared term is truly zero.

    ``n_clusters`` provinces observed ``n_years`` times, with province and
    year effects. Competition is ``m_g + 0.02 s_g e_gt`` around 0.9, where
    the within-province spread ``s_g`` is lognormal with log standard
    deviation ``spread_sd``, so a few provinces move much more than the rest
    (as in the Chinese panel, where the log of the within-province standard
    deviation of competition has a spread of about 0.7). Errors follow an
    AR(1) with coefficient ``rho`` within each province and have their own
    lognormal scale by province. The outcome is linear in competition on
    the model's scale: ``log(1 + y)`` for OLS (simulated directly as the
    log outcome), the log mean for Poisson.

    Returns ``(y, X, groups)`` with ``X = [const, c, c^2, FE...]`` (``c``
    centred at 0.9), ready for :func:`wcr_ols` or :func:`score_bootstrap`;
    the null ``b2 = 0`` holds.
    """
    rng = np.random.default_rng() if rng is None else rng
    g, t = n_clusters, n_years
    cl = np.repeat(np.arange(g), t)
    yr = np.tile(np.arange(t), g)
    spread = np.exp(rng.normal(0.0, spread_sd, g))
    level = rng.uniform(0.85, 0.95, g)
    c = (level[:, None] + 0.02 * spread[:, None] * rng.normal(size=(g, t))).ravel() - 0.9
    ar = np.zeros((g, t))
    shocks = rng.normal(size=(g, t))
    ar[:, 0] = shocks[:, 0] / math.sqrt(1.0 - rho**2)  # start in the stationary distribution
    for j in range(1, t):
        ar[:, j] = rho * ar[:, j - 1] + shocks[:, j]
    scale = np.exp(rng.normal(0.0, spread_sd, g))[cl]
    u = 0.3 * scale * ar.ravel()
    effect = rng.normal(0.0, 0.5, g)[cl]
    dummies = ([(cl == j).astype(float) for j in range(1, g)]
               + [(yr == j).astype(float) for j in range(1, t)])
    X = np.column_stack([np.ones(g * t), c, c**2] + dummies)
    index = 2.0 * c + effect + u
    if estimator == "ols_log1p":
        y = 1.0 + index
    elif estimator == "poisson":
        y = rng.poisson(np.exp(1.5 + index)).astype(float)
    else:
        raise ValueError("estimator must be 'ols_log1p' or 'poisson'")
    return y, X, cl


def size_simulation(n_clusters: int, estimator: str = "poisson", reps: int = 200,
                    draws: int = 199, level: float = 0.05, seed: int = 0,
                    weights: str = "rademacher", spread_sd: float = 0.7) -> dict:
    """Rejection rates of a true null ``b2 = 0`` with few clusters.

    Compares the analytic clustered test the book uses by default (Stata's
    convention: CRV1 with ``G/(G-1) (N-1)/(N-K)`` and t(G-1) for OLS,
    ``G/(G-1)`` and the normal distribution for Poisson) with the
    bootstrap test of this module (WCR for OLS through the matrix engine,
    the package being too slow to call thousands of times; the score
    bootstrap for Poisson). Returns the two rejection rates, their Monte
    Carlo standard errors and the settings.
    """
    from scipy import stats

    from .inverted_u.estimators import fit_ols, sandwich_covariance

    rng = np.random.default_rng(seed)
    seeds = _sub_seeds(seed, reps)
    g = n_clusters
    reject_analytic = reject_boot = 0
    with _one_blas_thread():  # tiny matrices: threads only add overhead
        for rep in range(reps):
            y, X, cl = simulate_cluster_panel(g, estimator=estimator, spread_sd=spread_sd, rng=rng)
            n, k = X.shape
            R = np.zeros(k)
            R[2] = 1.0
            if estimator == "ols_log1p":
                raw = fit_ols(y, X)
                cov = sandwich_covariance(raw, "cluster", cl,
                                          cluster_factor=g / (g - 1) * (n - 1) / (n - k))
                p_analytic = 2 * stats.t(g - 1).sf(abs(raw.params[2]) / math.sqrt(cov[2, 2]))
                _, p_boot, _ = wcr_ols(y, X, cl, R, draws=draws, weights=weights,
                                       seed=seeds[rep], engine="numpy")
            else:
                raw = fit_poisson(y, X)
                cov = sandwich_covariance(raw, "cluster", cl, cluster_factor=g / (g - 1))
                p_analytic = 2 * stats.norm.sf(abs(raw.params[2]) / math.sqrt(cov[2, 2]))
                _, p_boot, _ = score_bootstrap("poisson", y, X, cl, R, draws=draws,
                                               weights=weights, seed=seeds[rep])
            reject_analytic += p_analytic < level
            reject_boot += p_boot < level
    rate_a, rate_b = reject_analytic / reps, reject_boot / reps
    return {"n_clusters": g, "estimator": estimator, "reps": reps, "draws": draws,
            "level": level, "weights": weights, "spread_sd": spread_sd,
            "analytic": float(rate_a), "bootstrap": float(rate_b),
            "mc_se_analytic": math.sqrt(rate_a * (1 - rate_a) / reps),
            "mc_se_bootstrap": math.sqrt(rate_b * (1 - rate_b) / reps)}


__all__ = ["ALTERNATIVES", "ENGINES", "WEIGHTS", "BootstrapSettings", "BootstrapShape",
           "BootstrapTest", "bootstrap_shape", "score_bootstrap", "simulate_cluster_panel",
           "size_simulation", "wcr_ols", "wild_cluster_test"]
