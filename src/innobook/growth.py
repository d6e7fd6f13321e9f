"""Growth arithmetic on official series that come in several vintages.

China's R&D figures for a year are published first as a preliminary estimate
(January or February of the next year) and later as a final figure (the
autumn R&D communiqué); intensities are restated again after GDP revisions.
A growth rate is only meaningful once one says which vintage each end point
comes from, so every function here takes the vintages explicitly.
"""

from __future__ import annotations

import pandas as pd


class MissingValue(LookupError):
    """A series has no value for the year and vintage asked for."""


def series(df: pd.DataFrame, indicator: str, vintage: str, *, source_key: str | None = None) -> pd.Series:
    """One indicator of one vintage as a Series indexed by year.

    ``df`` is the ``rnd_national`` table (columns year, indicator, value, vintage,
    source_key). Where a vintage has several values for one year (a restated
    intensity, for example) pass ``source_key`` to pick one; otherwise the
    ambiguity is an error rather than a silent choice.
    """
    rows = df[(df["indicator"] == indicator) & (df["vintage"] == vintage)]
    if source_key is not None:
        rows = rows[rows["source_key"] == source_key]
    dup = rows["year"][rows["year"].duplicated()]
    if len(dup):
        raise ValueError(f"{indicator} ({vintage}) has several values for {sorted(set(dup))}; "
                         "pass source_key to choose one")
    return rows.set_index("year")["value"].sort_index().astype(float)


def value(s: pd.Series, year: int, what: str = "series") -> float:
    if year not in s.index:
        raise MissingValue(f"{what} has no value for {year}")
    return float(s.loc[year])


def growth_pct(start_value: float, end_value: float) -> float:
    """Percentage change from ``start_value`` to ``end_value``."""
    return (end_value / start_value - 1.0) * 100.0


def cagr_pct(start_value: float, end_value: float, years: int) -> float:
    """Compound annual growth rate in percent over ``years`` years."""
    if years <= 0:
        raise ValueError("a compound rate needs at least one year")
    return ((end_value / start_value) ** (1.0 / years) - 1.0) * 100.0


def vintage_growth_table(df: pd.DataFrame, indicator: str, start: int, end: int,
                         pairs: tuple[tuple[str, str], ...] = (("final", "final"),
                                                               ("preliminary", "preliminary"),
                                                               ("final", "preliminary"))) -> pd.DataFrame:
    """Growth from ``start`` to ``end`` for each (start vintage, end vintage) pair.

    Pairs whose end points were not published are kept with missing values, so
    the table shows what is and is not known.
    """
    rows = []
    for v0, v1 in pairs:
        s0, s1 = series(df, indicator, v0), series(df, indicator, v1)
        a = float(s0.loc[start]) if start in s0.index else None
        b = float(s1.loc[end]) if end in s1.index else None
        known = a is not None and b is not None
        rows.append({
            "start_vintage": v0, "end_vintage": v1, "start_value": a, "end_value": b,
            "growth_pct": growth_pct(a, b) if known else None,
            "cagr_pct": cagr_pct(a, b, end - start) if known else None,
        })
    return pd.DataFrame(rows)


def compare_years(left: pd.Series, right: pd.Series) -> pd.DataFrame:
    """Year-by-year comparison of two series over the years both cover."""
    both = pd.concat({"left": left, "right": right}, axis=1).dropna()
    both["difference"] = both["left"] - both["right"]
    both["left_above"] = both["difference"] > 0
    return both
