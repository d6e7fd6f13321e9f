"""The provincial panel: validated loading, province names checked against the one list, derived shares.

``data/provinces/provinces_panel.csv`` is long (one row per province, year and indicator, each
with its document). Analyses want it wide and want ratios that the sources do not publish
(the basic-research share, the enterprise share of R&D funds, invention patent applications per
10 000 residents, the weight of industry). Those ratios are computed here from the published
amounts, never stored as data.

Missing values (:data:`MISSING_RULE`): a ratio is missing whenever one of its inputs is missing;
nothing is interpolated, carried forward or imputed. An analysis that needs several indicators
keeps only the province-years that have all of them and lists the ones it dropped.
"""

from __future__ import annotations

import pandas as pd

from innobook import data as D

PROVINCES_RESOURCE = "provinces"
PANEL_RESOURCE = "provinces_panel"
LIST_PATH = "data/provinces/provinces.csv"
NATIONAL = "全国"

MISSING_RULE = (
    "A ratio is missing when any of its inputs is missing; nothing is interpolated, carried "
    "forward or imputed. An analysis that needs several indicators keeps only the provinces "
    "(or province-years) that have all of them, and the page lists those it left out."
)

# Derived indicators: name -> (numerator, denominator, scale, unit, description)
DERIVED = {
    "basic_share": ("rnd_basic", "rnd_intramural_total", 100.0, "% of intramural R&D",
                    "share of intramural R&D spent on basic research (基础研究)"),
    "applied_share": ("rnd_applied", "rnd_intramural_total", 100.0, "% of intramural R&D",
                      "share spent on applied research (应用研究)"),
    "experimental_share": ("rnd_experimental", "rnd_intramural_total", 100.0, "% of intramural R&D",
                           "share spent on experimental development (试验发展)"),
    "enterprise_share": ("rnd_funds_enterprise", "rnd_intramural_total", 100.0, "% of intramural R&D",
                         "share of intramural R&D funded by enterprises (企业资金)"),
    "government_share": ("rnd_funds_government", "rnd_intramural_total", 100.0, "% of intramural R&D",
                         "share funded by government (政府资金)"),
    "invention_per_10k": ("patent_applications_invention", "population", 1.0,
                          "applications per 10 000 residents",
                          "domestic invention patent applications accepted per 10 000 year-end residents"),
    "industrial_weight": ("secondary_value_added", "nonfarm_value_added", 100.0,
                          "% of secondary plus tertiary value added",
                          "secondary industry's share of non-farm value added (the primary industry, "
                          "and so GDP, was not found for the same year)"),
}

LABELS = {
    "rnd_intensity": "R&D intensity (% of GDP)",
    "basic_share": "Basic research (% of R&D)",
    "enterprise_share": "Enterprise funds (% of R&D)",
    "invention_per_10k": "Invention applications per 10 000 residents",
    "industrial_weight": "Industry (% of non-farm value added)",
    "rnd_expenditure": "R&D spending (100 million yuan)",
    "gdp_per_capita_growth": "Real growth of GDP per head (%)",
}


def load_provinces() -> pd.DataFrame:
    """The list of provinces (validated): names, English names, cluster, tile position."""
    return D.load(PROVINCES_RESOURCE)


def _list_problem(file: str, row: int | None, column: str, value: str, listed: list[str]) -> D.Problem:
    rule = f"province listed in {LIST_PATH}"
    msg = (f"{file}" + (f", row {row}" if row is not None else "") + f', column "{column}": '
           f"{value!r} breaks \"{rule}\" (not one of the {len(listed)} names there). "
           f"Use a name from {LIST_PATH}, or add the province to that list.")
    return D.Problem(file=file, row=row, column=column, rule=rule, message=msg, cell=value)


def check_names(df: pd.DataFrame, column: str = "province", *, file: str = "(table)",
                provinces: pd.DataFrame | None = None, header_rows: int = 1) -> None:
    """Refuse any name in ``df[column]`` that is not in ``data/provinces/provinces.csv``.

    Raises :class:`innobook.data.DataValidationError` whose problems name the file, the row (CSV
    line, header = 1, assuming ``df`` keeps the file's row order), the column and the rule, and
    point to the list's path.
    """
    provinces = load_provinces() if provinces is None else provinces
    listed = list(provinces["province"])
    bad = ~df[column].isin(listed)
    if bad.any():
        problems = [_list_problem(file, int(i) + 1 + header_rows if isinstance(i, (int,)) else None,
                                  column, str(v), listed)
                    for i, v in df.loc[bad, column].items()]
        raise D.DataValidationError(problems, header=f"Province names not in {LIST_PATH}:")


def load_panel() -> pd.DataFrame:
    """The long panel, validated by the data package and with every province name checked."""
    panel = D.load(PANEL_RESOURCE)
    check_names(panel.reset_index(drop=True), file="data/" + D.resource_meta(PANEL_RESOURCE)["path"][0])
    return panel


def wide(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per (province, year), one column per indicator; English names added."""
    w = panel.pivot_table(index=["province", "year"], columns="indicator", values="value", aggfunc="first")
    w.columns.name = None
    return w.reset_index()


def derive(w: pd.DataFrame, provinces: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the derived ratios of :data:`DERIVED` (missing when an input is missing) and names.

    Also adds ``nonfarm_value_added`` (secondary + tertiary, where both are present) and, for the
    national row, population as the sum of the 31 provinces (the portal series used here has no
    national row), so that national per-head ratios use the same population basis.
    """
    out = w.copy()
    for col in ("secondary_value_added", "tertiary_value_added", "population"):
        if col not in out:
            out[col] = float("nan")
    out["nonfarm_value_added"] = out["secondary_value_added"] + out["tertiary_value_added"]
    nat = out["province"] == NATIONAL
    if nat.any():
        sums = out[~nat].groupby("year")["population"].apply(lambda s: s.sum() if s.notna().all() else float("nan"))
        out.loc[nat, "population"] = out.loc[nat, "year"].map(sums)
    for name, (num, den, scale, _unit, _desc) in DERIVED.items():
        if num in out and den in out:
            out[name] = scale * out[num] / out[den]
        else:
            out[name] = float("nan")
    provinces = load_provinces() if provinces is None else provinces
    meta = provinces.set_index("province")
    out["name"] = out["province"].map(meta["name_en"])
    out["cluster"] = out["province"].map(meta["cluster"])
    return out


def frame(panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Convenience: load (if not given), widen and derive."""
    panel = load_panel() if panel is None else panel
    return derive(wide(panel))


def complete_cases(df: pd.DataFrame, indicators: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into those with every indicator present and those missing one (the rule)."""
    ok = df[indicators].notna().all(axis=1)
    return df[ok].copy(), df[~ok].copy()


def coverage(df: pd.DataFrame, indicators: list[str], provinces_only: bool = True) -> pd.DataFrame:
    """Number of provinces with a value, by year and indicator."""
    d = df[df["province"] != NATIONAL] if provinces_only else df
    return d.groupby("year")[indicators].count()


def sources_of(panel: pd.DataFrame, indicators, years=None) -> list[tuple[str, str]]:
    """(label, bibkey) pairs for a chart's source line, in first-seen order."""
    rows = panel[panel["indicator"].isin(list(indicators))]
    if years is not None:
        rows = rows[rows["year"].isin(list(years))]
    seen: dict[str, str] = {}
    for key, title in zip(rows["source_key"], rows["source_title"]):
        seen.setdefault(key, title.split(":")[0].split(",")[0])
    return [(label, key) for key, label in seen.items()]
