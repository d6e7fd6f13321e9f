"""Maximum-likelihood and least-squares fits used by the inverted-U analysis.

Three estimators of a mean that depends on a design matrix ``X``:

``poisson``
    Poisson quasi-maximum likelihood with a log link. Consistent for the
    conditional mean whatever the variance, which is why Aghion et al.
    (2005, QJE 120(2), Table I) use it for citation-weighted patents;
    inference must then come from a sandwich covariance (Gourieroux, Monfort
    and Trognon 1984; Cameron and Trivedi 2013, Chapter 3).
``negbin``
    Negative binomial with quadratic variance ``mu + alpha mu^2`` (NB2,
    Cameron and Trivedi 2013, Chapter 3), estimated jointly in
    ``(beta, alpha)``.
``ols_log1p``
    Ordinary least squares of ``log(1 + y)``.

The fits are written directly in NumPy (Newton-Raphson with step halving on
the log-likelihood) so that the specification curve, which runs hundreds of
fits with up to 150 fixed-effect dummies, stays fast. Each fit returns the
per-observation scores and the Hessian, from which
:func:`sandwich_covariance` builds model-based, heteroskedasticity-robust or
cluster-robust covariances with explicit small-sample factors. The test
suite checks every estimator against statsmodels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

ESTIMATORS = ("poisson", "negbin", "ols_log1p")

_MAX_ITER = 200
_TOL = 1e-12


class ConvergenceError(RuntimeError):
    """Raised when a likelihood maximisation does not converge."""


@dataclass
class RawFit:
    """What an estimator returns before any covariance choice.

    Attributes
    ----------
    estimator : str
        One of :data:`ESTIMATORS`.
    params : ndarray
        Mean-equation coefficients (``k`` values, one per column of ``X``).
    scores : ndarray
        ``(n, p)`` per-observation score contributions, ``p = k`` except for
        NB2 where the last column is the score of ``alpha``.
    hessian : ndarray
        ``(p, p)`` Hessian of the objective (log-likelihood for ML, minus
        half the residual sum of squares for OLS), negative definite.
    nobs, k : int
        Observations and number of mean parameters (the ``K`` of the
        small-sample factors; NB2's ``alpha`` is not counted, as in R's
        sandwich for ``glm.nb`` fits).
    sigma2 : float or None
        OLS residual variance ``RSS / (n - k)``.
    alpha : float or None
        NB2 dispersion.
    loglike : float
        Maximised log-likelihood (OLS: Gaussian log-likelihood).
    iterations : int
    """

    estimator: str
    params: np.ndarray
    scores: np.ndarray
    hessian: np.ndarray
    nobs: int
    k: int
    loglike: float
    iterations: int
    sigma2: float | None = None
    alpha: float | None = None

    def linear_predictor(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float) @ self.params


def _column_scale(X: np.ndarray) -> np.ndarray:
    scale = np.sqrt((X**2).mean(axis=0))
    scale[scale == 0] = 1.0
    return scale


def _newton(objective, start: np.ndarray, what: str):
    """Maximise ``objective`` (returning value, gradient, Hessian) by Newton
    steps with step halving.

    Stopping rule: when the Newton decrement ``g' (-H)^{-1} g`` (about twice
    the log-likelihood still to gain) falls below a tolerance, the pending
    Newton step is still *taken* and its end point returned. Returning the
    point at which the small decrement was measured, as an earlier version
    did, stops one step short: with quadratic convergence that last step is
    where the final digits of the estimates come from (in the NB2 fits it
    was still moving coefficients by up to 1e-3). The tolerance is absolute
    on the decrement plus a relative part for very large log-likelihoods,
    whose rounding error it must exceed.
    """
    raw_objective = objective

    def objective(theta):
        # trial points of the line search may overflow; they are rejected below
        # (non-finite value), so the floating-point warnings carry no information
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return raw_objective(theta)

    theta = start.copy()
    value, grad, hess = objective(theta)
    for iteration in range(1, _MAX_ITER + 1):
        if not np.all(np.isfinite(hess)) or not np.all(np.isfinite(grad)):
            raise ConvergenceError(f"{what}: non-finite gradient or Hessian")
        try:
            np.linalg.cholesky(-hess)
            step = np.linalg.solve(-hess, grad)
            concave = True
        except np.linalg.LinAlgError:
            # not concave here (NB2 away from its optimum): shift the Hessian until it
            # is (Levenberg-Marquardt), keeping the curvature information of a Newton step
            eig_min = float(np.linalg.eigvalsh(-hess).min())
            shift = -eig_min + 1e-6 * max(1.0, float(np.abs(np.diag(hess)).max()))
            step = np.linalg.solve(-hess + shift * np.eye(len(grad)), grad)
            concave = False
        decrement = float(grad @ step)
        if not np.isfinite(decrement):
            raise ConvergenceError(f"{what}: non-finite Newton step")
        converged = concave and decrement < _TOL + 1e-13 * abs(value)
        if converged:
            candidate = theta + step
            new = objective(candidate)
            if np.isfinite(new[0]) and new[0] >= value - 1e-12 * max(1.0, abs(value)):
                return candidate, iteration
            return theta, iteration  # at the rounding floor: the step cannot improve
        t = 1.0
        while True:
            candidate = theta + t * step
            new = objective(candidate)
            if np.isfinite(new[0]) and new[0] >= value - 1e-12 * abs(value):
                break
            t /= 2.0
            if t < 1e-12:
                raise ConvergenceError(f"{what}: line search failed")
        theta = candidate
        value, grad, hess = new
    raise ConvergenceError(f"{what}: no convergence in {_MAX_ITER} iterations")


def fit_poisson(y: np.ndarray, X: np.ndarray) -> RawFit:
    """Poisson (Q)MLE with log link by Newton-Raphson.

    Score ``x_i (y_i - mu_i)``, Hessian ``-X' diag(mu) X`` (Cameron and
    Trivedi 2013, Chapter 3). ``y`` may be non-integer (QMLE).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    scale = _column_scale(X)
    Xs = X / scale
    const = np.log(max(y.mean(), 1e-8))
    start = np.linalg.lstsq(Xs, np.full(len(y), const), rcond=None)[0]
    gln = special.gammaln(y + 1.0)

    def objective(b):
        eta = Xs @ b
        mu = np.exp(np.clip(eta, -700, 700))
        ll = float(np.sum(y * eta - mu - gln))
        grad = Xs.T @ (y - mu)
        hess = -(Xs * mu[:, None]).T @ Xs
        return ll, grad, hess

    bs, iterations = _newton(objective, start, "Poisson")
    params = bs / scale
    mu = np.exp(X @ params)
    scores = X * (y - mu)[:, None]
    hessian = -(X * mu[:, None]).T @ X
    ll = float(np.sum(y * np.log(np.where(mu > 0, mu, 1.0)) - mu - gln))
    return RawFit("poisson", params, scores, hessian, len(y), X.shape[1], ll, iterations)


def _nb2_parts(y, X, beta, log_alpha, gln_y1, need_hess=True):
    alpha = np.exp(log_alpha)
    r = 1.0 / alpha
    eta = X @ beta
    mu = np.exp(np.clip(eta, -700, 700))
    one_am = 1.0 + alpha * mu
    ll_obs = (special.gammaln(y + r) - special.gammaln(r) - gln_y1
              + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu)))
    s_beta = (y - mu) / one_am
    g = special.digamma(y + r) - special.digamma(r) + np.log(r / (r + mu)) + (mu - y) / (r + mu)
    s_alpha = -(r**2) * g  # d ll / d alpha
    if not need_hess:
        return ll_obs, s_beta, s_alpha, None
    g_prime = (special.polygamma(1, y + r) - special.polygamma(1, r) + 1.0 / r
               - 1.0 / (r + mu) - (mu - y) / (r + mu) ** 2)
    h_aa = r**3 * (2.0 * g + r * g_prime)
    h_bb_w = -mu * (1.0 + alpha * y) / one_am**2
    h_ba_w = -(y - mu) * mu / one_am**2
    return ll_obs, s_beta, s_alpha, (h_bb_w, h_ba_w, h_aa)


def fit_negbin(y: np.ndarray, X: np.ndarray, start_beta: np.ndarray | None = None) -> RawFit:
    """NB2 maximum likelihood in ``(beta, alpha)``.

    Log-likelihood, scores and Hessian follow Cameron and Trivedi (2013,
    Chapter 3, NB2 with ``Var(y) = mu + alpha mu^2``). Newton steps are
    taken in ``(beta, log alpha)`` for stability; the returned scores and
    Hessian are in ``(beta, alpha)``, like statsmodels'
    ``NegativeBinomial(loglike_method="nb2")``.

    Boundary case: when the data show no overdispersion given the
    regressors, the likelihood is maximised at ``alpha = 0`` (the Poisson
    model) and ``log alpha`` drifts to minus infinity. This is detected with
    the score of ``alpha`` at the Poisson fit, ``0.5 * sum((y - mu)^2 - y)``
    (the score, or LM, statistic for overdispersion; Cameron and Trivedi 2013):
    if it is not positive the Poisson estimates are returned with
    ``alpha = 0`` and ``alpha`` is treated as known (scores and Hessian of
    ``beta`` only).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    scale = _column_scale(X)
    Xs = X / scale
    gln_y1 = special.gammaln(y + 1.0)
    if start_beta is None:
        start_beta = fit_poisson(y, X).params
    mu0 = np.exp(X @ start_beta)
    mom = np.mean(((y - mu0) ** 2 - y) / np.maximum(mu0, 1e-8) ** 2)
    start = np.append(start_beta * scale, np.log(min(max(mom, 0.05), 20.0)))
    k = X.shape[1]

    def objective(theta):
        b, la = theta[:k], theta[k]
        ll_obs, s_b, s_a, (h_bb_w, h_ba_w, h_aa) = _nb2_parts(y, Xs, b, la, gln_y1)
        a = np.exp(la)
        grad = np.append(Xs.T @ s_b, a * s_a.sum())
        hess = np.empty((k + 1, k + 1))
        hess[:k, :k] = (Xs * h_bb_w[:, None]).T @ Xs
        cross = a * (Xs.T @ h_ba_w)
        hess[:k, k] = cross
        hess[k, :k] = cross
        hess[k, k] = a * a * h_aa.sum() + a * s_a.sum()
        return float(ll_obs.sum()), grad, hess

    poisson = None
    try:
        theta, iterations = _newton(objective, start, "NB2")
        failed = np.exp(theta[k]) < 1e-6  # drifting to the alpha = 0 boundary
    except ConvergenceError:
        failed = True
    if failed:
        poisson = fit_poisson(y, X)
        mu = np.exp(X @ poisson.params)
        if 0.5 * np.sum((y - mu) ** 2 - y) <= 0:
            poisson.estimator, poisson.alpha = "negbin", 0.0
            return poisson
        raise ConvergenceError("NB2: no convergence although the data are overdispersed")
    beta = theta[:k] / scale
    log_alpha = theta[k]
    alpha = float(np.exp(log_alpha))
    ll_obs, s_b, s_a, (h_bb_w, h_ba_w, h_aa) = _nb2_parts(y, X, beta, log_alpha, gln_y1)
    scores = np.column_stack([X * s_b[:, None], s_a])
    hessian = np.empty((k + 1, k + 1))
    hessian[:k, :k] = (X * h_bb_w[:, None]).T @ X
    hessian[:k, k] = hessian[k, :k] = X.T @ h_ba_w
    hessian[k, k] = h_aa.sum()
    return RawFit("negbin", beta, scores, hessian, len(y), k, float(ll_obs.sum()),
                  iterations, alpha=alpha)


def fit_ols(y: np.ndarray, X: np.ndarray) -> RawFit:
    """OLS; the "Hessian" is ``-X'X`` so that sandwich formulas are shared."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    params, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ params
    n, k = X.shape
    sigma2 = float(resid @ resid / (n - k))
    ll = float(-0.5 * n * (np.log(2 * np.pi * (resid @ resid) / n) + 1))
    return RawFit("ols_log1p", params, X * resid[:, None], -(X.T @ X), n, k, ll, 1,
                  sigma2=sigma2)


def fit_raw(estimator: str, y: np.ndarray, X: np.ndarray) -> RawFit:
    """Dispatch to the estimator; ``ols_log1p`` transforms ``y`` itself."""
    if estimator == "poisson":
        return fit_poisson(y, X)
    if estimator == "negbin":
        return fit_negbin(y, X)
    if estimator == "ols_log1p":
        return fit_ols(np.log1p(np.asarray(y, dtype=float)), X)
    raise ValueError(f"unknown estimator {estimator!r}; choose from {ESTIMATORS}")


def sandwich_covariance(fit: RawFit, kind: str, groups=None, *, hc_factor: float = 1.0,
                        cluster_factor: float = 1.0) -> np.ndarray:
    """Covariance of all estimated parameters (NB2 includes ``alpha`` last).

    ``kind``:
      * ``"nonrobust"`` - model-based: ``(-H)^{-1}`` for ML,
        ``s^2 (X'X)^{-1}`` for OLS;
      * ``"hc"`` - Eicker-Huber-White ``H^{-1} (sum_i s_i s_i') H^{-1}`` times
        ``hc_factor`` (White 1980; HC0 when the factor is 1);
      * ``"cluster"`` - Liang-Zeger ``H^{-1} (sum_g S_g S_g') H^{-1}`` with
        ``S_g`` the within-cluster score sums, times ``cluster_factor``
        (Liang and Zeger 1986; Cameron and Miller 2015).
    The factors are computed by the caller from the chosen correction so
    that every convention is visible in one place.
    """
    bread = np.linalg.inv(-fit.hessian)
    if kind == "nonrobust":
        return bread * fit.sigma2 if fit.sigma2 is not None else bread
    if kind == "hc":
        meat = fit.scores.T @ fit.scores
        return hc_factor * bread @ meat @ bread
    if kind == "cluster":
        if groups is None:
            raise ValueError("cluster covariance needs groups")
        codes, _ = _group_codes(groups)
        summed = np.zeros((codes.max() + 1, fit.scores.shape[1]))
        np.add.at(summed, codes, fit.scores)
        meat = summed.T @ summed
        return cluster_factor * bread @ meat @ bread
    raise ValueError(f"unknown covariance kind {kind!r}")


def _group_codes(groups):
    values = np.asarray(groups)
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.ravel(), len(uniques)
