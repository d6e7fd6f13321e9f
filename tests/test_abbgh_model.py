"""The step-by-step model of Aghion, Bloom, Blundell, Griffith and Howitt
(2005, Section II): closed forms against the Bellman equations, and the
comparative statics the paper describes."""
import numpy as np
import pytest

from innobook.analysis.competition.abbgh_model import (ABBGHParams, bellman_residuals, competition_grid,
                                  competition_upper, innovation_intensities, neck_and_neck_profit,
                                  peak_competition, solve_bellman, solve_model, steady_state)

PARAMS = [ABBGHParams(), ABBGHParams(pi1=0.6, h=0.2), ABBGHParams(pi1=2.0, pi_minus1=0.3,
                                                                   h=0.8, cost=1.7)]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("share", [0.0, 0.24, 0.6, 1.0])
def test_closed_forms_solve_the_undiscounted_bellman_equations(params, share):
    """At points spread over each parameter set's admissible competition range."""
    delta = 0.5 + share * (competition_upper(params) - 0.5)
    n0, nm1 = innovation_intensities(delta, params)
    # with r = 0 only value differences matter: V1 - V0 = c n0, V0 - V_-1 = c n_-1
    values = (params.cost * n0, 0.0, -params.cost * nm1)
    np.testing.assert_allclose(bellman_residuals(values, delta, params, r=0.0), 0.0, atol=1e-12)
    assert n0 > 0 and nm1 > 0


@pytest.mark.parametrize("params", PARAMS)
def test_discounted_solution_converges_to_closed_forms(params):
    delta = 0.7
    n0, nm1 = innovation_intensities(delta, params)
    gaps = []
    for r in (0.1, 0.01, 1e-4):
        n0_r, nm1_r, values = solve_bellman(delta, params, r)
        np.testing.assert_allclose(bellman_residuals(values, delta, params, r), 0.0, atol=1e-8)
        gaps.append(abs(n0_r - n0) + abs(nm1_r - nm1))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-3


def test_first_order_conditions_maximise_the_bellman_right_hand_side():
    """At the discounted solution each firm's intensity maximises its own
    flow payoff n (V_gain) - cost n^2 / 2, holding the rival's choice fixed."""
    params, delta, r = ABBGHParams(h=0.3, cost=1.4), 0.75, 0.05
    n0, nm1, (v1, v0, vm1) = solve_bellman(delta, params, r)
    grid = np.linspace(0.0, 3.0, 30001)
    neck = grid * (v1 - v0) - params.cost * grid**2 / 2
    lag = grid * (v0 - vm1) - params.cost * grid**2 / 2
    assert grid[neck.argmax()] == pytest.approx(n0, abs=1e-4)
    assert grid[lag.argmax()] == pytest.approx(nm1, abs=1e-4)


def test_escape_competition_and_schumpeterian_effects():
    frame = solve_model(competition_grid(51))
    assert (np.diff(frame["n0"]) > 0).all()          # escape competition
    assert (np.diff(frame["n_minus1"]) < 0).all()    # Schumpeterian effect on laggards
    assert (np.diff(frame["share_neck_and_neck"]) < 0).all()
    assert (np.diff(frame["pi0"]) < 0).all()
    np.testing.assert_allclose(frame["pi0"], neck_and_neck_profit(frame["competition"]))


def test_steady_state_flows_balance():
    state = steady_state(competition_grid(21), ABBGHParams(h=0.25))
    inflow = 2 * state["share_neck_and_neck"] * state["n0"]
    outflow = state["share_unleveled"] * (state["n_minus1"] + 0.25)
    np.testing.assert_allclose(inflow, outflow)
    np.testing.assert_allclose(state["innovation_rate"], inflow + outflow)
    np.testing.assert_allclose(state["share_neck_and_neck"] + state["share_unleveled"], 1.0)


def test_aggregate_innovation_is_an_inverted_u_for_default_parameters():
    params = ABBGHParams()  # pi1 = 1, h = 0.4, cost = 1
    peak = peak_competition(params)
    assert 0.55 < peak < 0.95
    rate = lambda d: float(steady_state(d, params)["innovation_rate"])  # noqa: E731
    assert rate(peak) > rate(0.5) and rate(peak) > rate(1.0)
    frame = solve_model(competition_grid(201), params)
    slopes = np.diff(frame["innovation_rate"])
    assert slopes[0] > 0 and slopes[-1] < 0
    assert np.count_nonzero(np.diff(np.sign(slopes))) == 1  # a single peak


def test_shape_depends_on_the_catch_up_rate():
    """Not every parameter set gives an inverted U: with almost no catch-up
    the Schumpeterian effect dominates, with fast catch-up the
    escape-competition effect does."""
    assert peak_competition(ABBGHParams(h=0.05)) == 0.5
    assert peak_competition(ABBGHParams(h=1.0)) == 1.0


def test_profits_keep_the_model_ordering():
    """A laggard never earns more than a firm level with its rival:
    pi_minus1 <= pi0 = (1 - Delta) pi1 wherever the model is solved."""
    params = ABBGHParams(pi1=2.0, pi_minus1=0.3)
    assert competition_upper(params) == pytest.approx(0.85)
    assert competition_upper(ABBGHParams()) == 1.0
    grid = competition_grid(41, params)
    assert grid[0] == 0.5 and grid[-1] == pytest.approx(0.85)
    frame = solve_model(grid, params)
    assert (frame["pi0"] >= params.pi_minus1 - 1e-12).all()
    assert peak_competition(params) <= 0.85 + 1e-9
    for beyond in (0.9, 1.0):
        with pytest.raises(ValueError, match="laggard"):
            innovation_intensities(beyond, params)
        with pytest.raises(ValueError, match="laggard"):
            neck_and_neck_profit(beyond, params)
    # pi_minus1 >= pi1 / 2 leaves no admissible competition level at all
    for bad in (0.5, 0.7, 1.0):
        with pytest.raises(ValueError, match="pi1 / 2"):
            ABBGHParams(pi1=1.0, pi_minus1=bad)
    ABBGHParams(pi1=1.0, pi_minus1=0.49)


def test_invalid_inputs():
    with pytest.raises(ValueError):
        innovation_intensities(0.3)
    with pytest.raises(ValueError):
        ABBGHParams(h=-0.1)
    with pytest.raises(ValueError):
        ABBGHParams(pi1=1.0, pi_minus1=1.0)
    with pytest.raises(ValueError):
        solve_bellman(0.7, r=0.0)


@pytest.mark.parametrize("given, ok", [
    ({"pi_minus1": 0.0}, True), ({"pi_minus1": 0.45}, True),
    ({"pi_minus1": 0.5}, False), ({"pi_minus1": 0.8}, False),
    ({"pi1": 0.5, "pi_minus1": 0.3}, False), ({"pi1": 2.0, "pi_minus1": 0.9}, True),
])
def test_the_chapter_declaration_refuses_parameters_that_break_the_model(given, ok):
    """notebooks/abbgh_theory.params.yml refuses, before any kernel starts, a laggard
    profit that a neck-and-neck firm could not exceed at any competition level."""
    from conftest import ROOT
    from innobook.pipeline.params import ParameterError, load_declarations, validate

    spec = load_declarations(ROOT)["abbgh_theory"]
    if ok:
        full = validate(spec, given)
        ABBGHParams(pi1=full["pi1"], pi_minus1=full["pi_minus1"])  # the model agrees
    else:
        with pytest.raises(ParameterError, match="laggard"):
            validate(spec, given)
        with pytest.raises(ValueError):
            ABBGHParams(pi1=given.get("pi1", 1.0), pi_minus1=given["pi_minus1"])
