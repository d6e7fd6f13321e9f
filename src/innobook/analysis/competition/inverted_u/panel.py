"""Turn a firm panel into the arrays an inverted-U regression needs.

Kept separate from estimation so that the same preparation (year filter,
aggregation to industry-year cells, fixed-effect dummies, dropping cells
that cannot be fitted) is used by the main fit, the two-lines test and the
specification curve.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = ("firm", "industry")
FIXED_EFFECTS = ("none", "year", "year_industry")


@dataclass(frozen=True)
class Columns:
    """Names of the columns in the input data (InstInnovation defaults)."""

    competition: str = "competition"
    firm: str = "company"
    industry: str = "industry"
    year: str = "year"


def prepare_panel(data: pd.DataFrame, outcome: str, level: str = "firm", years=None,
                  columns: Columns = Columns()) -> pd.DataFrame:
    """Return a tidy frame with columns ``y, x, firm, industry, year``.

    ``level="firm"`` keeps firm-years. ``level="industry"`` averages the
    outcome and competition over the firms of each industry-year cell, the
    unit of observation in Aghion et al. (2005, Table I), and adds
    ``n_firms``; ``firm`` is then missing. ``years`` is an inclusive
    ``(first, last)`` pair or ``None`` for all years. Rows with a missing
    outcome or competition value are dropped.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    needed = [outcome, columns.competition, columns.industry, columns.year]
    if level == "firm":
        needed.append(columns.firm)
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise KeyError(f"data lack columns {missing}")
    frame = pd.DataFrame({
        "y": pd.to_numeric(data[outcome], errors="coerce").astype(float),
        "x": pd.to_numeric(data[columns.competition], errors="coerce").astype(float),
        "industry": data[columns.industry].astype(str),
        "year": pd.to_numeric(data[columns.year], errors="coerce"),
        "firm": data[columns.firm].astype(str) if level == "firm" else None,
    })
    if years is not None:
        first, last = years
        frame = frame[(frame["year"] >= first) & (frame["year"] <= last)]
    frame = frame.dropna(subset=["y", "x", "year"])
    if (frame["y"] < 0).any():
        raise ValueError(f"outcome {outcome!r} has negative values")
    if level == "industry":
        frame = (frame.groupby(["industry", "year"], sort=True)
                 .agg(y=("y", "mean"), x=("x", "mean"), n_firms=("y", "size"))
                 .reset_index())
        frame["firm"] = None
    frame["year"] = frame["year"].astype(int)
    frame = frame.sort_values(["industry", "year"] + (["firm"] if level == "firm" else []),
                              kind="mergesort").reset_index(drop=True)
    if len(frame) == 0:
        raise ValueError("no observations left after filtering")
    return frame


def drop_all_zero_groups(panel: pd.DataFrame, fixed_effects: str):
    """Drop fixed-effect groups whose outcome is zero throughout.

    In a log-link model such a group's dummy diverges to minus infinity
    (separation; Santos Silva and Tenreyro 2010), so the group carries no
    information on the other coefficients and must be removed, as Stata's
    ``ppmlhdfe`` and R's ``fixest`` do. Repeats until no such group is left.
    Returns the kept panel and the number of rows dropped.
    """
    keys = {"none": [], "year": ["year"], "year_industry": ["year", "industry"]}[fixed_effects]
    kept = panel
    while keys:
        mask = np.ones(len(kept), dtype=bool)
        for key in keys:
            positive = kept.groupby(key)["y"].transform("sum") > 0
            mask &= positive.to_numpy()
        if mask.all():
            break
        kept = kept[mask]
    return kept.reset_index(drop=True), len(panel) - len(kept)


def fixed_effect_dummies(panel: pd.DataFrame, fixed_effects: str):
    """Dummy columns (first level of each factor dropped) and their names."""
    if fixed_effects not in FIXED_EFFECTS:
        raise ValueError(f"fixed_effects must be one of {FIXED_EFFECTS}")
    keys = {"none": [], "year": ["year"], "year_industry": ["year", "industry"]}[fixed_effects]
    blocks, names = [], []
    for key in keys:
        values = panel[key].astype(str)
        levels = sorted(values.unique())
        for level in levels[1:]:
            blocks.append((values == level).to_numpy(dtype=float))
            names.append(f"{key}[{level}]")
    if not blocks:
        return np.empty((len(panel), 0)), names
    return np.column_stack(blocks), names
