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


def gap_pp(left: pd.Series, right: pd.Series, year: int, what: tuple[str, str] = ("left", "right")) -> float:
    """``left`` minus ``right`` in ``year``, in percentage points (both series in %).

    Used for "China's intensity is above the EU average": both end points must
    exist for the same year, otherwise :class:`MissingValue` names the one missing.
    """
    return value(left, year, what[0]) - value(right, year, what[1])


#: source-key prefix -> short label of the statistical basis (used to keep bases apart)
BASIS_LABELS: tuple[tuple[str, str], ...] = (
    ("nbs_rd_communique", "NBS communiqué, final"),
    ("ncses_sei2022_rd8", "OECD MSTI basis, via NCSES"),
    ("ncses_sei2024_rd3", "US National Patterns"),
    ("msit_rd_survey", "Korean national R&D survey"),
    ("nistep_sti", "Japanese national basis, NISTEP"),
    ("wb_wdi_gerd", "World Bank WDI / UIS"),
    ("ncses_sei_srd1", "OECD MSTI Sept 2023, via NCSES"),
    ("eurostat", "Eurostat"),
)


def basis_label(source_key: str) -> str:
    """The statistical basis of a row, from its source key (see :data:`BASIS_LABELS`)."""
    for prefix, label in BASIS_LABELS:
        if source_key.startswith(prefix):
            return label
    raise KeyError(f"no basis label for source {source_key!r}")


def economy_name(country_or_region: str) -> str:
    """The economy without the bracketed basis: ``"Japan (OECD basis)"`` -> ``"Japan"``."""
    return country_or_region.split(" (")[0]


def series_by_basis(df: pd.DataFrame, value_col: str) -> pd.DataFrame:
    """Tidy rows labelled so that one line never mixes statistical bases.

    ``df`` is ``rnd_basic_share_international`` or ``rnd_intensity_international``.
    Adds ``economy`` (name without bracket), ``basis`` (from the source key) and
    ``series`` = ``"<economy> (<basis>)"``; rows with a blank value are dropped,
    because a gap is not a zero. Two rows of one economy from different bases
    (Korea's OECD-basis 2019 and national-survey 2021-2023 shares, say) end up
    in two series.
    """
    out = df.dropna(subset=[value_col]).copy()
    out["economy"] = out["country_or_region"].map(economy_name)
    out["basis"] = out["source_key"].map(basis_label)
    out["series"] = out["economy"] + " (" + out["basis"] + ")"
    return out[["year", "economy", "basis", "series", value_col, "source_key"]].reset_index(drop=True)


def latest_by_series(tidy: pd.DataFrame, value_col: str) -> pd.DataFrame:
    """The latest year and value of each series from :func:`series_by_basis`."""
    idx = tidy.groupby("series")["year"].idxmax()
    return tidy.loc[idx].sort_values(value_col).reset_index(drop=True)


def without_sourced_value(df: pd.DataFrame, value_col: str, economies: list[str]) -> list[str]:
    """Economies in ``economies`` with no non-blank value in ``df`` (documented gaps or absent)."""
    have = set(df.dropna(subset=[value_col])["country_or_region"].map(economy_name))
    return [e for e in economies if economy_name(e) not in have]


def composition(df: pd.DataFrame, vintage: str = "final",
                kinds: tuple[str, ...] = ("basic_research", "applied_research", "experimental_development"),
                tolerance: float = 0.25) -> pd.DataFrame:
    """Shares of R&D by type of activity per year, one column per kind, plus their sum.

    Years where a share is missing are dropped. ``ValueError`` if the published
    shares of a year do not add up to 100 within ``tolerance`` points (they are
    rounded to one or two decimals, so they rarely add up exactly).
    """
    wide = pd.concat({k: series(df, f"{k}_share", vintage) for k in kinds}, axis=1).dropna()
    wide["total"] = wide.sum(axis=1)
    off = wide[(wide["total"] - 100).abs() > tolerance]
    if len(off):
        raise ValueError(f"shares do not add up to 100 in {list(off.index)}")
    return wide


def above_since(comparison: pd.DataFrame) -> int | None:
    """First year from which ``left`` stays above ``right`` to the last year compared.

    ``comparison`` is the output of :func:`compare_years`. ``None`` if ``left``
    is not above in the last year.
    """
    flags = comparison["left_above"].sort_index()
    if flags.empty or not flags.iloc[-1]:
        return None
    below = flags[~flags]
    return int(flags.index[0]) if below.empty else int(flags.index[flags.index > below.index[-1]][0])
