"""The competition-innovation panel of Chinese provinces.

Aghion, Bloom, Blundell, Griffith and Howitt (2005) relate innovation to
product-market competition measured as one minus the Lerner index, the
Lerner index being approximated by profits over sales. This module builds
the same panel from the yearbook's tables on high-technology manufacturing
by province (data resource ``competition_hitech_provinces``):

* ``competition = 1 - total profits / main-business revenue`` of the
  province's high-technology manufacturing in the year (a province-level,
  sector-wide Lerner proxy: it mixes industries and firms);
* innovation: patent applications, invention patent applications
  (2018-2023) and intramural R&D spending (2016-2023) of the same sector.

The unit is a province-year and the clusters are the 31 provinces, which is
why :mod:`innobook.analysis.competition.bootstrap` matters here.

Extreme observations, and the rule for them
-------------------------------------------
Before any fit the margins were inspected (:func:`extremes_table`). One
group stands apart: Tibet, whose high-technology sector counts 5 to 18
enterprises in every year; in the years with innovation data (2016-2023)
its competition measure (0.32 to 0.64) lies more than eight robust standard
deviations below the median of all province-years, while the next most
unusual values (Beijing and Jilin in 2021) are about five away.
A profit margin computed from a handful of firms describes those firms,
not the intensity of competition in a market, so the rule is:

    **drop province-years whose high-technology sector has fewer than
    ``min_enterprises`` = 20 enterprises** (:func:`apply_extreme_rule`).

The threshold is a round number chosen on that substantive ground, not by
searching over results; in the years with innovation data (2016-2023) it
removes Tibet and nothing else, and the chapter reports every fit with and
without it. Loss years (profits at or below zero, competition at or above
1) are kept: a sector that makes losses is a legitimate, very competitive
observation; their number is reported.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .inverted_u import Columns, QuadraticSpec, fit_quadratic
from .spec_curve import build_specs, run_spec_curve

NATIONAL = "全国"
MIN_ENTERPRISES = 20

#: outcome name -> (indicator in the data, words, unit)
OUTCOMES = {
    "patents": ("hitech_patent_applications", "patent applications", "applications"),
    "invention_patents": ("hitech_invention_patent_applications", "invention patent applications",
                          "applications"),
    "rnd": ("hitech_rnd_intramural", "intramural R&D spending", "10 thousand yuan (万元)"),
}
#: the columns the inverted-U library needs: a province is both the unit and the cluster
COLUMNS = Columns(competition="competition", firm="province", industry="province", year="year")

#: the three provinces of the article's city cases
CASE_PROVINCES = {"广东": ("Guangdong", "Shenzhen"), "辽宁": ("Liaoning", "Shenyang"),
                  "安徽": ("Anhui", "Hefei")}

_INDICATORS = {
    "hitech_enterprises": "enterprises",
    "hitech_main_business_revenue": "revenue",
    "hitech_total_profits": "profits",
    "hitech_rnd_intramural": "rnd",
    "hitech_patent_applications": "patents",
    "hitech_invention_patent_applications": "invention_patents",
}


def build_panel(table: pd.DataFrame, min_enterprises: int = MIN_ENTERPRISES) -> pd.DataFrame:
    """One row per province and year from the long yearbook table.

    Columns: ``province``, ``province_en``, ``year``, ``enterprises``,
    ``revenue`` and ``profits`` (亿元), ``rnd`` (万元), ``patents``,
    ``invention_patents``, ``lerner`` (profits / revenue), ``competition``
    (1 - lerner), ``loss_year`` (profits <= 0) and ``thin`` (fewer than
    ``min_enterprises`` enterprises). The national row is left out.
    """
    long = table[table["province"] != NATIONAL]
    long = long[long["indicator"].isin(_INDICATORS)]
    wide = (long.pivot_table(index=["province", "province_en", "year"], columns="indicator",
                             values="value", aggfunc="first")
            .rename(columns=_INDICATORS).reset_index())
    wide.columns.name = None
    for column in _INDICATORS.values():
        if column not in wide.columns:
            wide[column] = np.nan
    wide["lerner"] = wide["profits"] / wide["revenue"]
    wide["competition"] = 1.0 - wide["lerner"]
    wide["loss_year"] = wide["profits"] <= 0
    wide["thin"] = wide["enterprises"] < min_enterprises
    order = ["province", "province_en", "year", "enterprises", "revenue", "profits", "rnd",
             "patents", "invention_patents", "lerner", "competition", "loss_year", "thin"]
    return wide[order].sort_values(["province", "year"]).reset_index(drop=True)


def robust_z(values: pd.Series) -> pd.Series:
    """``(x - median) / (1.4826 MAD)``: how many robust standard deviations
    from the middle (1.4826 makes the MAD a standard deviation for normal
    data)."""
    median = values.median()
    mad = (values - median).abs().median() * 1.4826
    return (values - median) / mad


def extremes_table(panel: pd.DataFrame, first_year: int = 2016, z_limit: float = 5.0,
                   min_enterprises: int = MIN_ENTERPRISES) -> pd.DataFrame:
    """The province-years worth a look before fitting, with the reason.

    Flags, from ``first_year`` on (the years with innovation data): a thin
    sector (fewer than ``min_enterprises`` enterprises), a loss year, and a
    competition value more than ``z_limit`` robust standard deviations from
    the median of all province-years. Returns the flagged rows with
    ``robust_z`` and ``reasons``.
    """
    frame = panel[(panel["year"] >= first_year) & panel["competition"].notna()].copy()
    frame["robust_z"] = robust_z(frame["competition"])
    frame["thin"] = frame["enterprises"] < min_enterprises
    reasons = []
    for _, row in frame.iterrows():
        why = []
        if row["thin"]:
            why.append(f"fewer than {min_enterprises} enterprises")
        if row["loss_year"]:
            why.append("loss year")
        if abs(row["robust_z"]) > z_limit:
            why.append(f"beyond {z_limit:g} robust SD")
        reasons.append("; ".join(why))
    frame["reasons"] = reasons
    flagged = frame[frame["reasons"] != ""]
    return flagged[["province", "province_en", "year", "enterprises", "revenue", "profits",
                    "competition", "robust_z", "reasons"]].reset_index(drop=True)


def apply_extreme_rule(panel: pd.DataFrame, min_enterprises: int = MIN_ENTERPRISES):
    """Drop thin sectors: returns ``(kept, dropped)``."""
    thin = panel["enterprises"] < min_enterprises
    return panel[~thin].reset_index(drop=True), panel[thin].reset_index(drop=True)


def samples(panel: pd.DataFrame, min_enterprises: int = MIN_ENTERPRISES) -> dict:
    """The two samples every result is shown for: with the rule and without."""
    kept, _ = apply_extreme_rule(panel, min_enterprises)
    return {"rule applied": kept, "all province-years": panel}


def fit_china(panel: pd.DataFrame, outcome: str = "patents", estimator: str = "poisson",
              fixed_effects: str = "year_industry", se: str = "cluster_industry",
              correction: str = "stata", alpha: float = 0.05, two_lines: bool = True,
              min_clusters: int = 20):
    """The Aghion et al. (2005) quadratic on the province panel.

    ``fixed_effects="year_industry"`` means province and year effects (the
    library calls the province the "industry"); ``se="cluster_industry"``
    clusters by province. Returns a
    :class:`~innobook.analysis.competition.inverted_u.QuadraticFit`.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {list(OUTCOMES)}")
    return fit_quadratic(panel, outcome, estimator, fixed_effects, se, "industry", None,
                         correction, alpha, two_lines=two_lines, columns=COLUMNS,
                         min_clusters=min_clusters, panel="provinces")


def count_model_for_amount(spec: QuadraticSpec) -> str | None:
    """Structural exclusion for the curve: NB2 on an amount of money.

    The negative binomial is a model for counts; for a continuous amount
    its estimates change with the unit it is measured in (yuan or 10,000
    yuan), so R&D spending is fitted by Poisson quasi-likelihood, which is
    unit-free, and by OLS on logs.
    """
    if spec.estimator == "negbin" and spec.outcome == "rnd":
        return ("the negative binomial is a count model: for an amount of money (R&D) its "
                "estimates depend on the unit; Poisson quasi-likelihood and OLS on logs are used")
    return None


def china_specs(outcomes=tuple(OUTCOMES), estimators=("poisson", "negbin", "ols_log1p"),
                fixed_effects=("none", "year", "year_industry"), se_types=("cluster_industry",),
                correction: str = "stata", alpha: float = 0.05) -> list:
    """The grid of the Chinese specification curve (province-year cells)."""
    return build_specs(outcomes=outcomes, estimators=estimators, fixed_effects=fixed_effects,
                       se_types=se_types, levels=("industry",), correction=correction,
                       alpha=alpha, panel="provinces")


def run_china_curve(panel: pd.DataFrame, specs=None, min_enterprises: int = MIN_ENTERPRISES,
                    executor=None, n_jobs=None, bootstrap=None, two_lines: bool = True):
    """Every specification on both samples (rule applied / all province-years)."""
    specs = china_specs() if specs is None else specs
    return run_spec_curve(samples(panel, min_enterprises), specs, n_jobs=n_jobs,
                          two_lines=two_lines, columns=COLUMNS, executor=executor,
                          bootstrap=bootstrap, invalid=count_model_for_amount)


def place_provinces(panel: pd.DataFrame, fit, provinces=tuple(CASE_PROVINCES)) -> pd.DataFrame:
    """Where given provinces sit on the fitted curve.

    For each province: its mean competition over the fit's years, its range,
    and whether that mean is below or above the fitted turning point (when
    the curve has a maximum inside the data) or which arm it is on.
    """
    years = fit.design.panel["year"]
    first, last = int(years.min()), int(years.max())
    rows = []
    for code in provinces:
        sub = panel[(panel["province"] == code) & panel["year"].between(first, last)
                    & panel["competition"].notna()]
        if sub.empty:
            continue
        mean = float(sub["competition"].mean())
        tp = fit.turning_point
        if fit.b2 < 0 and fit.turning_point_in_range:
            side = "below the fitted peak" if mean < tp else "above the fitted peak"
        elif fit.b2 >= 0 and fit.turning_point_in_range:
            side = "below the fitted trough" if mean < tp else "above the fitted trough"
        else:
            side = "no turning point inside the data"
        en, city = CASE_PROVINCES.get(code, (code, ""))
        rows.append({"province": code, "province_en": en, "city": city,
                     "competition_mean": mean,
                     "competition_min": float(sub["competition"].min()),
                     "competition_max": float(sub["competition"].max()),
                     "rank_in_sample": None, "side": side})
    out = pd.DataFrame(rows)
    if not out.empty:
        means = (fit.design.panel.groupby("industry")["x"].mean().sort_values(ascending=False))
        ranks = {p: i + 1 for i, p in enumerate(means.index)}
        out["rank_in_sample"] = out["province"].map(ranks)
        out["n_provinces"] = len(ranks)
    return out


def rnd_intensity_by_industry(table: pd.DataFrame, level: str = "division") -> pd.DataFrame:
    """R&D intensity by industry, averaged over the years of the table.

    Returns one row per industry of ``level`` with ``intensity_mean`` (mean
    of the published percentages), ``intensity_first``/``intensity_last``
    (first and last year), ``rnd_share_pct`` (share of the total's R&D in
    the last year) and ``years`` (number of years published), sorted from the
    lowest mean intensity.
    """
    sub = table[table["level"] == level]
    last_year = int(table["year"].max())
    total = table[(table["level"] == "total") & (table["year"] == last_year)]["rnd_100m_yuan"]
    grouped = sub.sort_values("year").groupby(["industry", "industry_en"])
    out = grouped.agg(intensity_mean=("rnd_intensity_pct_of_revenue", "mean"),
                      intensity_first=("rnd_intensity_pct_of_revenue", "first"),
                      intensity_last=("rnd_intensity_pct_of_revenue", "last"),
                      years=("year", "nunique")).reset_index()
    last = sub[sub["year"] == last_year].set_index("industry")["rnd_100m_yuan"]
    out["rnd_last_100m_yuan"] = out["industry"].map(last)
    out["rnd_share_pct"] = 100 * out["rnd_last_100m_yuan"] / float(total.iloc[0])
    # operating revenue implied by R&D / intensity (rounding of a two-decimal percentage)
    out["revenue_last_100m_yuan"] = out["rnd_last_100m_yuan"] / (
        out["intensity_last"] / 100.0)
    return out.sort_values(["intensity_mean", "industry"]).reset_index(drop=True)


def simulate_provinces(b1: float, b2: float, n_provinces: int = 31, years=range(2017, 2024),
                       outcome: str = "poisson", seed: int = 0, within_sd: float = 0.02,
                       levels=(0.75, 0.98), effect_sd: float = 0.6,
                       noise_sd: float = 0.15) -> pd.DataFrame:
    """A province-year panel shaped like this book's, with a known curve.

    ``n_provinces`` provinces and ``years``; each province has a competition
    level drawn uniformly from ``levels`` (the observed range is about
    0.75-0.98) and moves around it by ``within_sd`` a year; the log mean of
    the outcome is ``b1 c + b2 c^2`` plus a province effect (sd
    ``effect_sd``), a year effect and a province-year shock (sd
    ``noise_sd``), centred at log 4000 (the median of patent
    applications). ``outcome="poisson"`` draws counts, ``"lognormal"``
    returns ``exp`` of the index (for OLS on logs). Columns like
    :func:`build_panel`'s (``patents`` and ``rnd`` carry the outcome).
    """
    rng = np.random.default_rng(seed)
    years = list(years)
    g, t = n_provinces, len(years)
    level = rng.uniform(levels[0], levels[1], g)
    c = np.clip(np.repeat(level, t) + rng.normal(0.0, within_sd, g * t), 0.5, 1.05)
    index = (b1 * c + b2 * c**2 + np.repeat(rng.normal(0.0, effect_sd, g), t)
             + np.tile(rng.normal(0.0, 0.1, t), g) + rng.normal(0.0, noise_sd, g * t))
    index = index - index.mean() + np.log(4000.0)
    if outcome == "poisson":
        y = rng.poisson(np.exp(index)).astype(float)
    elif outcome == "lognormal":
        y = np.exp(index)
    else:
        raise ValueError("outcome must be 'poisson' or 'lognormal'")
    names = [f"P{i:02d}" for i in range(g)]
    return pd.DataFrame({"province": np.repeat(names, t), "province_en": np.repeat(names, t),
                         "year": np.tile(years, g), "enterprises": 100.0, "competition": c,
                         "patents": y, "invention_patents": y, "rnd": y, "thin": False})
