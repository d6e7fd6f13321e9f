"""Inverted-U regressions of innovation on competition.

Public API::

    from innobook.analysis.competition.inverted_u import fit_quadratic
    fit = fit_quadratic(firms, outcome="cites", estimator="poisson",
                        fixed_effects="year_industry", se="cluster_firm")
    print(fit.summary()); fit.to_dict(); fit.predict(grid)

Modules: :mod:`.panel` (data preparation), :mod:`.estimators` (Poisson,
NB2 and OLS fits with sandwich covariances), :mod:`.corrections`
(finite-sample conventions), :mod:`.two_lines` (Simonsohn's test) and
:mod:`.fit` (the quadratic regression and its result object). The shape
tests that only need coefficients live in :mod:`innobook.analysis.competition.shape_tests`.
"""
from .corrections import PRESETS, SECorrection, correction_preset
from .estimators import ESTIMATORS, ConvergenceError
from .fit import (SE_TYPES, QuadraticFit, QuadraticSpec, fit_quadratic, fit_quadratic_variants,
                  invalid_reason)
from .panel import FIXED_EFFECTS, LEVELS, Columns, prepare_panel
from .simulate import SHAPES, simulate_panel
from .two_lines import TwoLinesResult, two_lines_test

__all__ = [
    "Columns", "ConvergenceError", "ESTIMATORS", "FIXED_EFFECTS", "LEVELS", "PRESETS",
    "QuadraticFit", "QuadraticSpec", "SECorrection", "SE_TYPES", "TwoLinesResult",
    "correction_preset", "fit_quadratic", "fit_quadratic_variants", "invalid_reason",
    "SHAPES", "prepare_panel", "simulate_panel", "two_lines_test",
]
