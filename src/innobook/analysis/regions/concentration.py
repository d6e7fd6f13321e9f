"""How concentrated is R&D across provinces? The Herfindahl-Hirschman index and the Gini coefficient.

Both summarise a distribution of a total (R&D spending, patent applications) over n provinces.

* **HHI** (Herfindahl 1950; Hirschman 1964): the sum of squared shares, ``sum(s_i**2)`` with
  shares as fractions. It runs from ``1/n`` (every province holds the same share) to 1 (one
  province holds everything); its inverse is the "equivalent number" of equal-sized provinces.
* **Gini coefficient** (Gini 1912): the mean absolute difference between all pairs of values
  divided by twice the mean, ``sum_i sum_j |x_i - x_j| / (2 n**2 mean)``. It is 0 when all values
  are equal and ``(n - 1) / n`` when one province holds everything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _clean(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError("need a non-empty one-dimensional array of values")
    if np.isnan(x).any():
        raise ValueError("missing values: the measure is not defined on an incomplete set")
    if (x < 0).any():
        raise ValueError("values must be non-negative")
    if x.sum() <= 0:
        raise ValueError("values must not all be zero")
    return x


def hhi(values) -> float:
    """Herfindahl-Hirschman index of the shares of ``values`` (fractions, between 1/n and 1)."""
    x = _clean(values)
    s = x / x.sum()
    return float((s ** 2).sum())


def gini(values) -> float:
    """Gini coefficient of ``values`` (mean absolute difference over twice the mean)."""
    x = _clean(values)
    n = len(x)
    diff = np.abs(x[:, None] - x[None, :]).sum()
    return float(diff / (2 * n * n * x.mean()))


def concentration_by_year(df: pd.DataFrame, value: str, year: str = "year",
                          expected_n: int | None = 31) -> pd.DataFrame:
    """HHI, equivalent number and Gini of ``value`` across units for each year.

    Years with a missing value, or with fewer units than ``expected_n``, are left out (and not
    computed on a partial set, which would not be comparable).
    """
    rows = []
    for y, g in df.groupby(year):
        v = g[value]
        if v.isna().any() or (expected_n is not None and len(v) != expected_n):
            continue
        h = hhi(v)
        rows.append({year: y, "n": len(v), "hhi": h, "equivalent_n": 1 / h, "gini": gini(v),
                     "top_share": float(v.max() / v.sum())})
    return pd.DataFrame(rows)
