"""The step-by-step innovation model of Aghion, Bloom, Blundell, Griffith
and Howitt (2005), "Competition and Innovation: An Inverted-U
Relationship", Quarterly Journal of Economics 120(2): 701-728, Section II.

Setting (our notation follows the paper's):

* Each industry has two firms. Technology moves one step at a time and a
  leader is never more than one step ahead, so an industry is either
  *neck-and-neck* (leveled) or *unleveled* (a leader and a laggard).
* Profit flows: the leader earns ``pi1``, the laggard ``pi_minus1``
  (zero under Bertrand competition), each neck-and-neck firm ``pi0``.
  Competition is ``Delta = 1 - epsilon`` where ``pi0 = epsilon * pi1`` and
  ``epsilon`` in ``[0, 1/2]`` is how much of the monopoly profit two
  neck-and-neck firms can keep by colluding; so ``Delta`` ranges over
  ``[1/2, 1]`` and ``pi1 - pi0 = Delta * pi1``.
* The model's ordering of profits, ``pi1 > pi0 >= pi_minus1``: a laggard
  never earns more than a firm level with its rival. With a positive
  ``pi_minus1`` this caps competition at ``Delta <= 1 - pi_minus1 / pi1``
  (:func:`competition_upper`), and it needs ``pi_minus1 < pi1 / 2`` for any
  competition level to be left. :class:`ABBGHParams` refuses parameters that
  break the ordering and every function refuses a ``Delta`` beyond the cap.
* A firm innovating at Poisson rate ``n`` pays ``cost * n^2 / 2`` (the
  paper has ``cost = 1``; the parameter rescales all profits). A laggard
  also catches up for free at rate ``h`` (imitation or "help"). Leaders do
  not innovate (they cannot get further ahead).

With discount rate ``r`` the value functions satisfy the Bellman equations
of Section II::

    r V1  = pi1       + (n_-1 + h)(V0 - V1)
    r V0  = pi0       + nbar0 (V_-1 - V0) + n0 (V1 - V0)        - cost n0^2/2
    r V_-1 = pi_minus1 + (n_-1 + h)(V0 - V_-1)                   - cost n_-1^2/2

with first-order conditions ``cost n0 = V1 - V0`` and
``cost n_-1 = V0 - V_-1``. In the paper's limiting case ``r -> 0`` the
symmetric equilibrium has the closed forms

    n0   = -h + sqrt(h^2 + 2 Delta pi1 / cost)
    n_-1 = -(h + n0) + sqrt(h^2 + n0^2 + 2 (pi1 - pi_minus1) / cost)

(differences of the Bellman equations; with ``pi_minus1 = 0`` and
``cost = 1`` these are the expressions of Section II). ``n0`` rises with
competition - the *escape-competition* effect - while ``n_-1`` falls
through ``n0`` - the *Schumpeterian* effect on laggards.

Industry structure is stationary when the flows in and out of the
neck-and-neck state balance, ``mu1 (n_-1 + h) = 2 mu0 n0`` with
``mu0 + mu1 = 1``, and the aggregate innovation rate is (derived here from
that flow balance; a secondary source attributes it to the paper's eq. 10,
which has not been checked against the published text)

    I = 2 mu0 n0 + mu1 (n_-1 + h) = 4 n0 (n_-1 + h) / (2 n0 + n_-1 + h).

Because more competition moves industries out of the neck-and-neck state
(``mu0`` falls), ``I`` first rises and then falls with ``Delta`` for
intermediate catch-up rates; with ``pi1 = 1`` and ``cost = 1`` the peak is
inside ``(1/2, 1)`` for ``h`` between about 0.2 and 0.65, while for a very
small ``h`` the Schumpeterian effect dominates everywhere and for a large
``h`` the escape-competition effect does. The module makes these regimes
easy to show rather than assuming the inverted U.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize

DELTA_MIN, DELTA_MAX = 0.5, 1.0


@dataclass(frozen=True)
class ABBGHParams:
    """Model parameters.

    pi1 : leader's profit flow (normalisation, default 1).
    pi_minus1 : laggard's profit flow (0 under Bertrand competition).
    h : laggard's free catch-up ("help") rate.
    cost : scale of the quadratic R&D cost ``cost * n^2 / 2``.
    """

    pi1: float = 1.0
    pi_minus1: float = 0.0
    h: float = 0.4
    cost: float = 1.0

    def __post_init__(self):
        if self.pi1 <= 0 or self.cost <= 0:
            raise ValueError("pi1 and cost must be positive")
        if self.h < 0:
            raise ValueError("h must be non-negative")
        if not 0 <= self.pi_minus1 < self.pi1 / 2:
            raise ValueError(
                "need 0 <= pi_minus1 < pi1 / 2: a laggard never earns more than a neck-and-neck "
                "firm, whose profit pi0 = (1 - Delta) pi1 is at most pi1 / 2")

    def to_dict(self) -> dict:
        return asdict(self)


def competition_upper(params: ABBGHParams = ABBGHParams()) -> float:
    """Highest competition the profit ordering allows: ``1 - pi_minus1 / pi1``.

    Above it ``pi0 = (1 - Delta) pi1`` would fall below the laggard's
    ``pi_minus1``. Equals 1 under Bertrand competition (``pi_minus1 = 0``).
    """
    return DELTA_MAX - params.pi_minus1 / params.pi1


def neck_and_neck_profit(delta, params: ABBGHParams = ABBGHParams()):
    """``pi0 = (1 - Delta) pi1`` (Section II: ``pi0 = epsilon pi1``)."""
    delta = _check_delta(delta, params)
    return (1.0 - delta) * params.pi1


def _check_delta(delta, params: ABBGHParams = ABBGHParams()):
    arr = np.asarray(delta, dtype=float)
    if np.any(arr < DELTA_MIN - 1e-12) or np.any(arr > DELTA_MAX + 1e-12):
        raise ValueError("competition Delta must lie in [1/2, 1] (epsilon = 1 - Delta in [0, 1/2])")
    upper = competition_upper(params)
    if np.any(arr > upper + 1e-12):
        raise ValueError(f"competition Delta above {upper:.4g} would give a neck-and-neck firm less "
                         f"than the laggard's profit pi_minus1 = {params.pi_minus1:g}")
    return arr


def innovation_intensities(delta, params: ABBGHParams = ABBGHParams()):
    """Closed-form ``(n0, n_minus1)`` of the ``r -> 0`` equilibrium (Section II).

    Works element-wise on arrays of ``Delta``.
    """
    delta = _check_delta(delta, params)
    h, c = params.h, params.cost
    n0 = -h + np.sqrt(h * h + 2.0 * delta * params.pi1 / c)
    n_m1 = -(h + n0) + np.sqrt(h * h + n0 * n0 + 2.0 * (params.pi1 - params.pi_minus1) / c)
    return n0, n_m1


def steady_state(delta, params: ABBGHParams = ABBGHParams()) -> dict:
    """Intensities, industry shares and the aggregate innovation rate.

    Returns a dict of arrays (or floats): ``n0``, ``n_minus1``,
    ``share_neck_and_neck`` (``mu0``), ``share_unleveled`` (``mu1``),
    ``innovation_neck_and_neck`` (``2 mu0 n0``), ``innovation_unleveled``
    (``mu1 (n_-1 + h)``, laggards' own innovation plus catch-up) and
    ``innovation_rate`` (``I``, see the module docstring).
    """
    n0, n_m1 = innovation_intensities(delta, params)
    exit_unleveled = n_m1 + params.h
    mu0 = exit_unleveled / (2.0 * n0 + exit_unleveled)
    mu1 = 1.0 - mu0
    return {
        "n0": n0, "n_minus1": n_m1,
        "share_neck_and_neck": mu0, "share_unleveled": mu1,
        "innovation_neck_and_neck": 2.0 * mu0 * n0,
        "innovation_unleveled": mu1 * exit_unleveled,
        "innovation_rate": 4.0 * n0 * exit_unleveled / (2.0 * n0 + exit_unleveled),
    }


def competition_grid(n: int = 101, params: ABBGHParams = ABBGHParams()) -> np.ndarray:
    """Evenly spaced ``Delta`` values over the model's range ``[1/2, 1]``,
    capped at :func:`competition_upper` when the laggard earns a profit."""
    return np.linspace(DELTA_MIN, competition_upper(params), n)


def solve_model(grid=None, params: ABBGHParams = ABBGHParams()) -> pd.DataFrame:
    """The steady state over a grid of competition values, one row each.

    Columns: ``competition`` (``Delta``), ``epsilon``, ``pi0`` and the keys
    of :func:`steady_state`.
    """
    grid = competition_grid(params=params) if grid is None else np.asarray(grid, dtype=float)
    state = steady_state(grid, params)
    frame = pd.DataFrame({"competition": grid, "epsilon": 1.0 - grid,
                          "pi0": neck_and_neck_profit(grid, params)})
    for key, values in state.items():
        frame[key] = np.asarray(values, dtype=float)
    return frame


def peak_competition(params: ABBGHParams = ABBGHParams()) -> float:
    """``Delta`` in ``[1/2, competition_upper(params)]`` that maximises the
    aggregate innovation rate.

    An end point means the model gives no interior peak for these
    parameters (monotone relationship over the admissible range).
    """
    upper = competition_upper(params)
    res = optimize.minimize_scalar(lambda d: -steady_state(d, params)["innovation_rate"],
                                   bounds=(DELTA_MIN, upper), method="bounded",
                                   options={"xatol": 1e-10})
    candidates = [DELTA_MIN, float(res.x), upper]
    values = [float(steady_state(d, params)["innovation_rate"]) for d in candidates]
    return candidates[int(np.argmax(values))]


def bellman_residuals(values, delta: float, params: ABBGHParams = ABBGHParams(),
                      r: float = 0.0):
    """Residuals of the three Bellman equations with the FOCs substituted.

    ``values = (V1, V0, V_minus1)``. For ``r = 0`` the levels are not
    pinned down; the residuals are then computed for the two *differences*
    of the equations (the form that yields the closed forms), and
    ``values`` only matter through ``V1 - V0`` and ``V0 - V_minus1``.
    """
    v1, v0, vm1 = values
    c, h = params.cost, params.h
    pi0 = float(neck_and_neck_profit(delta, params))
    n0 = (v1 - v0) / c
    nm1 = (v0 - vm1) / c
    rhs1 = params.pi1 + (nm1 + h) * (v0 - v1)
    rhs0 = pi0 + n0 * (vm1 - v0) + n0 * (v1 - v0) - c * n0 * n0 / 2.0
    rhsm1 = params.pi_minus1 + (nm1 + h) * (v0 - vm1) - c * nm1 * nm1 / 2.0
    if r == 0.0:
        return np.array([rhs1 - rhs0, rhs0 - rhsm1])
    return np.array([r * v1 - rhs1, r * v0 - rhs0, r * vm1 - rhsm1])


def solve_bellman(delta: float, params: ABBGHParams = ABBGHParams(), r: float = 0.01):
    """Solve the Bellman system numerically for a positive discount rate.

    The unknowns are rewritten as ``a = V1 - V0``, ``b = V0 - V_minus1`` and
    ``m = r V0`` so that the system stays well scaled as ``r -> 0``. Returns
    ``(n0, n_minus1, (V1, V0, V_minus1))`` with the intensities from the
    first-order conditions. As ``r -> 0`` the intensities converge to
    :func:`innovation_intensities`, which the tests use to check the closed
    forms.
    """
    if r <= 0:
        raise ValueError("use innovation_intensities for r = 0")
    c, h = params.cost, params.h
    pi0 = float(neck_and_neck_profit(delta, params))

    def system(z):
        a, b, m = z
        n0, nm1 = a / c, b / c
        return np.array([
            m + r * a - params.pi1 + (nm1 + h) * a,
            m - pi0 + n0 * b - n0 * a + c * n0 * n0 / 2.0,
            m - r * b - params.pi_minus1 - (nm1 + h) * b + c * nm1 * nm1 / 2.0,
        ])

    n0, nm1 = innovation_intensities(delta, params)
    start = np.array([c * float(n0), c * float(nm1), pi0])
    sol = optimize.root(system, start, method="hybr", tol=1e-12)
    if not (sol.success or np.max(np.abs(system(sol.x))) < 1e-10):
        raise RuntimeError(f"Bellman system did not solve: {sol.message}")
    a, b, m = sol.x
    v0 = m / r
    return a / c, b / c, (v0 + a, v0, v0 - b)
