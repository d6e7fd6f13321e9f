"""Simulated firm panels with a known competition-innovation curve.

Used by the tests (known truth) and useful in the book to show, for
example, that a concave but monotone curve yields a significant negative
squared term without being an inverted U.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Named truths on competition in [0.5, 1]: (b1, b2) of b1 c + b2 c^2.
SHAPES = {
    # peak at 0.75, slopes +20 and -20 at the ends
    "inverted_u": (60.0, -40.0),
    # concave, peak at 1.2 (outside the range), slope still +8 at c = 1
    "monotone_concave": (48.0, -20.0),
    # trough at 0.75
    "u": (-60.0, 40.0),
}


def simulate_panel(shape="inverted_u", n_firms: int = 600, n_years: int = 5,
                   n_industries: int = 60, outcome: str = "poisson", dispersion: float = 0.0,
                   intercept: float | None = None, noise_sd: float = 0.5,
                   seed: int | None = 0) -> pd.DataFrame:
    """Draw a firm-year panel with columns like InstInnovation's.

    Competition varies by industry-year (as in the real data): an industry
    level uniform on ``[0.5, 1]`` plus small yearly shifts, clipped to the
    interval. Each year has its own effect.

    ``shape`` is a key of :data:`SHAPES` or a ``(b1, b2)`` pair. The index
    is ``intercept + b1 c + b2 c^2 + year effect`` (by default the intercept
    centres the curve at 1.5 for counts, so counts stay moderate, and at 8
    for ``"lognormal"``, so that ``1 + y`` stays positive), and ``outcome``:

    * ``"poisson"``: ``y ~ Poisson(exp(index) * u)`` with a firm-year
      gamma multiplier ``u`` of mean 1 and variance ``dispersion``
      (``dispersion = 0`` is plain Poisson; otherwise NB2 with
      ``alpha = dispersion``);
    * ``"lognormal"``: ``y = expm1(index + e)``, ``e ~ N(0, noise_sd^2)``,
      so that OLS on ``log(1 + y)`` is correctly specified; an error is
      raised if a draw would make ``y`` negative (raise ``intercept``).

    Returns columns ``company, industry, year, competition, y`` and the true
    ``index``.
    """
    rng = np.random.default_rng(seed)
    b1, b2 = SHAPES[shape] if isinstance(shape, str) else shape
    industry_of_firm = rng.integers(0, n_industries, n_firms)
    base = rng.uniform(0.5, 1.0, n_industries)
    shifts = rng.normal(0.0, 0.03, (n_industries, n_years))
    comp = np.clip(base[:, None] + shifts, 0.5, 1.0)
    year_effect = rng.normal(0.0, 0.2, n_years)
    firm = np.repeat(np.arange(n_firms), n_years)
    year = np.tile(np.arange(n_years), n_firms)
    industry = industry_of_firm[firm]
    c = comp[industry, year]
    grid = np.linspace(0.5, 1.0, 101)
    if intercept is None:
        centre = 8.0 if outcome == "lognormal" else 1.5
        intercept = centre - np.mean(b1 * grid + b2 * grid**2)
    index = intercept + b1 * c + b2 * c**2 + year_effect[year]
    if outcome == "poisson":
        mu = np.exp(index)
        if dispersion > 0:
            mu = mu * rng.gamma(1.0 / dispersion, dispersion, len(mu))
        y = rng.poisson(mu).astype(float)
    elif outcome == "lognormal":
        y = np.expm1(index + rng.normal(0.0, noise_sd, len(index)))
        if (y < 0).any():
            raise ValueError("negative outcome drawn; raise the intercept or lower noise_sd")
    else:
        raise ValueError("outcome must be 'poisson' or 'lognormal'")
    return pd.DataFrame({
        "company": [f"firm{i:04d}" for i in firm],
        "industry": industry + 100,
        "year": year + 2000,
        "competition": c,
        "y": y,
        "index": index,
    })
