"""City and province indicators: tidy series from figures printed in many units and sources.

The ``city_indicators`` table keeps every figure exactly as a document printed it:
Shenzhen's 2021 R&D spending is "168.2 billion yuan", its 2023 spending "2236.61
亿元", its 2024 GDP "3.68 trillion yuan". Before two such figures can share an axis
they have to be put in one unit, and where two documents give a figure for the
same year one of them has to be chosen, visibly. The functions here do both, and
nothing else: no figure is interpolated, extrapolated or estimated. A year that no
source covers stays missing and is reported as such (``None``), so that results
for different cities keep the same keys and stay comparable.

The chapter on city types (``book/cities.md``) explains why these indicators were
chosen: R&D intensity (研发强度) and the enterprise share of R&D separate
innovation-leading cities from the rest, the weight of industry separates the old
industrial bases, and the share of strategic emerging industries (战略性新兴产业)
separates the emerging-industry builders. Reference for the typology: the article
examined by the book (丈量城市, 2025); for the data conventions, ``data/README.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

# How many 亿元 (100 million yuan) one unit of each printed money unit is.
TO_100M_YUAN = {
    "100m yuan": 1.0,
    "100m yuan (rounded in headline)": 1.0,
    "billion yuan (as published)": 10.0,
    "billion yuan (rounded as published)": 10.0,
    "trillion yuan (as published; 'nearly')": 10_000.0,
    "trillion yuan (rounded as published)": 10_000.0,
}

# Rank of precision: the lower, the more digits the printed figure carries.
_PRECISION_RANK = {
    "100m yuan": 0,
    "billion yuan (as published)": 1,
    "100m yuan (rounded in headline)": 2,
    "billion yuan (rounded as published)": 2,
    "trillion yuan (as published; 'nearly')": 3,
    "trillion yuan (rounded as published)": 4,
}

MONEY_INDICATORS = ("gdp", "rnd_expenditure", "enterprise_rnd_expenditure")

# Province-level division of each city in the data set (Chinese name as in ``province_rnd``).
PROVINCE_OF = {
    "Shenzhen": "广东",
    "Shenyang": "辽宁",
    "Hefei": "安徽",
    "Beijing": "北京",
    "Shanghai": "上海",
    "Tianjin": "天津",
    "Chongqing": "重庆",
    "Guangzhou": "广东",
    "Nanjing": "江苏",
    "Suzhou": "江苏",
    "Jinan": "山东",
    "Xi'an": "陕西",
    "Dalian": "辽宁",
}

CITY_ZH = {"Shenzhen": "深圳", "Shenyang": "沈阳", "Hefei": "合肥", "Beijing": "北京", "Shanghai": "上海",
           "Tianjin": "天津", "Chongqing": "重庆", "Guangzhou": "广州", "Nanjing": "南京", "Suzhou": "苏州",
           "Jinan": "济南", "Xi'an": "西安", "Dalian": "大连"}

# What was read for a value, from the most to the least direct (column ``source_kind``).
SOURCE_KINDS = ("official release", "official reprint", "press report")
_KIND_RANK = {k: i for i, k in enumerate(SOURCE_KINDS)}

# The article's three types of central city (中心城市) and the case it gives for each.
CITY_TYPES = {
    "innovation-leading (创新引领型)": "Shenzhen",
    "traditional-industry upgrading (传统产业升级型)": "Shenyang",
    "emerging-industry led (新兴产业主导型)": "Hefei",
}

PROVINCE_EN = {
    "全国": "China (national)", "北京": "Beijing", "天津": "Tianjin", "河北": "Hebei", "山西": "Shanxi",
    "内蒙古": "Inner Mongolia", "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang",
    "上海": "Shanghai", "江苏": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian",
    "江西": "Jiangxi", "山东": "Shandong", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan",
    "广东": "Guangdong", "广西": "Guangxi", "海南": "Hainan", "重庆": "Chongqing", "四川": "Sichuan",
    "贵州": "Guizhou", "云南": "Yunnan", "西藏": "Tibet", "陕西": "Shaanxi", "甘肃": "Gansu",
    "青海": "Qinghai", "宁夏": "Ningxia", "新疆": "Xinjiang",
}


def to_100m_yuan(value: float, unit: str) -> float:
    """Convert a printed money figure to 亿元 (100 million yuan).

    Only a change of unit: 168.2 billion yuan is 1682 亿元. A unit not listed in
    ``TO_100M_YUAN`` is an error rather than a guess.
    """
    if unit not in TO_100M_YUAN:
        raise ValueError(f"unknown money unit {unit!r}; known: {sorted(TO_100M_YUAN)}")
    return float(value) * TO_100M_YUAN[unit]


def rows(df: pd.DataFrame, city: str, indicator: str) -> pd.DataFrame:
    """Every numeric row for one city and indicator, money converted to 亿元.

    Columns: year, value (in ``unit_out``), unit_out, unit (as published),
    value_as_published, source_key, source_date, source_kind, rounded (True when
    the printed figure is a rounded headline). Rows whose published figure is a phrase
    ("above 93") have no value and are left out here; ``phrases`` returns them.
    """
    sel = df[(df["city"] == city) & (df["indicator"] == indicator) & df["value"].notna()].copy()
    money = indicator in MONEY_INDICATORS
    sel["unit_out"] = "100m yuan" if money else sel["unit"]
    if money:
        sel["value"] = [to_100m_yuan(v, u) for v, u in zip(sel["value"], sel["unit"])]
    sel["rounded"] = sel["unit"].str.contains("rounded|nearly")
    sel["_rank"] = sel["unit"].map(_PRECISION_RANK).fillna(0)
    kind = sel["source_kind"] if "source_kind" in sel else pd.Series("press report", index=sel.index)
    sel["source_kind"] = kind
    sel["_kind"] = kind.map(_KIND_RANK).fillna(len(SOURCE_KINDS))
    cols = ["year", "value", "unit_out", "unit", "value_as_published", "source_key", "source_date", "source_kind",
            "rounded", "_rank", "_kind"]
    return sel[cols].sort_values(["year", "_rank"]).reset_index(drop=True)


def phrases(df: pd.DataFrame, city: str) -> pd.DataFrame:
    """Rows for ``city`` whose published figure is a phrase, not a number (kept as printed)."""
    sel = df[(df["city"] == city) & df["value"].isna()]
    return sel[["year", "indicator", "value_as_published", "unit", "source_key"]].reset_index(drop=True)


def chosen_rows(df: pd.DataFrame, city: str, indicator: str) -> pd.DataFrame:
    """The one row per year that ``series`` uses (same columns as ``rows``).

    Where several documents give a figure for the same year, the most precise
    printed figure wins (亿元 to two decimals over a rounded "trillion" headline),
    then the most direct source (an official release over a reprint over a press
    report, see ``SOURCE_KINDS``), then the most recent document. The choice is
    deterministic and every candidate stays visible through ``rows``.
    """
    r = rows(df, city, indicator)
    r = r.assign(_date=r["source_date"].fillna(""))
    r = r.sort_values(["year", "_rank", "_kind", "_date"], ascending=[True, True, True, False])
    return r.drop_duplicates("year").drop(columns="_date").reset_index(drop=True)


def series(df: pd.DataFrame, city: str, indicator: str) -> pd.Series:
    """One value per year for a city and indicator, indexed by year (float, 亿元 for money).

    See ``chosen_rows`` for which document wins when several give a figure.
    """
    r = chosen_rows(df, city, indicator)
    if r.empty:
        return pd.Series(dtype=float, name=indicator)
    out = r.set_index("year")["value"].astype(float)
    out.name = indicator
    return out


def source_pairs(df: pd.DataFrame, city: str, indicators, years=None) -> list[tuple[str, str]]:
    """(title, bibkey) of every document behind the chosen figures, for a chart's source line."""
    pairs: dict[str, str] = {}
    for ind in indicators:
        r = chosen_rows(df, city, ind)
        if years is not None:
            r = r[r["year"].isin(list(years))]
        for key in r["source_key"]:
            title = df.loc[df["source_key"] == key, "source_title"].iloc[0]
            pairs.setdefault(key, title)
    return [(t, k) for k, t in pairs.items()]


# Shares that describe a city's structure, each kept as its own measure (they are not
# interchangeable: an output share of above-scale industry is not a value-added share of GDP).
STRUCTURE_MEASURES = {
    "enterprise_rnd_share": "Enterprises' share of R&D spending (% of R&D)",
    "sei_output_share_of_above_scale_industry": "Strategic emerging industries (% of above-scale industrial output)",
    "sei_value_added_share_of_gdp": "Strategic emerging industries, value added (% of GDP)",
    "secondary_industry_share_of_gdp": "Secondary industry (% of GDP)",
    "industry_share_of_gdp": "Industry (% of GDP)",
}


def structure_frame(df: pd.DataFrame, city: str) -> pd.DataFrame:
    """Long table (year, measure, pct) of the structural shares known for a city.

    The enterprise share uses ``enterprise_share_series`` (computed from amounts
    where possible); the others are the published shares. Empty when none is known.
    """
    parts = []
    ent = enterprise_share_series(df, city)["pct"].dropna()
    if not ent.empty:
        parts.append(pd.DataFrame({"year": ent.index, "measure": STRUCTURE_MEASURES["enterprise_rnd_share"],
                                   "pct": ent.values}))
    for ind, label in STRUCTURE_MEASURES.items():
        if ind == "enterprise_rnd_share":
            continue
        s = series(df, city, ind)
        if not s.empty:
            parts.append(pd.DataFrame({"year": s.index, "measure": label, "pct": s.values}))
    if not parts:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "measure": pd.Series(dtype="str"),
                             "pct": pd.Series(dtype="float64")})
    return pd.concat(parts, ignore_index=True)


COVERAGE_INDICATORS = {
    "gdp": "GDP (100m yuan)",
    "rnd_expenditure": "R&D spending (100m yuan)",
    "rnd_intensity": "R&D intensity (% of GDP)",
    "enterprise_rnd_share": "Enterprise share of R&D (%)",
    "sei_output_share_of_above_scale_industry": "Strategic emerging industries (% of above-scale output)",
    "secondary_industry_share_of_gdp": "Secondary industry (% of GDP)",
}


def coverage(df: pd.DataFrame, city: str, years) -> pd.DataFrame:
    """Which years each core indicator has a sourced value for (NaN where none was found).

    Rows are the ``COVERAGE_INDICATORS`` labels, columns the years; the enterprise
    share is the one of ``enterprise_share_series``.
    """
    years = list(years)
    out = {}
    for ind, label in COVERAGE_INDICATORS.items():
        s = (enterprise_share_series(df, city)["pct"] if ind == "enterprise_rnd_share"
             else series(df, city, ind))
        out[label] = [at(s, y) for y in years]
    return pd.DataFrame(out, index=years).T.astype(float)


def latest(s: pd.Series) -> tuple[int | None, float | None]:
    """(year, value) of the last year a series covers, or (None, None) if it is empty."""
    s = s.dropna()
    if s.empty:
        return None, None
    return int(s.index.max()), float(s.loc[s.index.max()])


def at(s: pd.Series, year: int) -> float | None:
    """The value for ``year``, or None when no source gives one (never interpolated)."""
    if year in s.index and not pd.isna(s.loc[year]):
        return float(s.loc[year])
    return None


def share_pct(part: float, whole: float) -> float:
    """``part`` as a percentage of ``whole``."""
    if whole <= 0:
        raise ValueError("the whole must be positive")
    return part / whole * 100.0


def enterprise_share_series(df: pd.DataFrame, city: str) -> pd.DataFrame:
    """Enterprise share of R&D spending by year: computed from amounts and as published.

    ``computed_pct`` divides enterprise R&D by total R&D for years in which both
    amounts are sourced; ``published_pct`` is a share printed as such. ``pct``
    takes the computed value where there is one (it carries more digits) and the
    published share otherwise.
    """
    ent = series(df, city, "enterprise_rnd_expenditure")
    tot = series(df, city, "rnd_expenditure")
    pub = series(df, city, "enterprise_rnd_share")
    years = sorted(set(ent.index) & set(tot.index) | set(pub.index))
    out = pd.DataFrame(index=pd.Index(years, name="year"))
    out["computed_pct"] = [share_pct(ent[y], tot[y]) if y in ent.index and y in tot.index else None
                           for y in years]
    out["published_pct"] = [at(pub, y) for y in years]
    out["pct"] = out["computed_pct"].where(out["computed_pct"].notna(), out["published_pct"])
    return out.astype(float)


def decimals(text: str) -> int:
    """Number of decimal places in a printed figure ("93.3" -> 1, "56" -> 0)."""
    m = re.fullmatch(r"\s*[<>]?\s*\d+(?:\.(\d+))?\s*", str(text))
    if not m:
        raise ValueError(f"not a single printed number: {text!r}")
    return len(m.group(1) or "")


def consistent_at_precision(stated: str, computed: float | None) -> bool | None:
    """Whether ``computed`` rounds to the figure as stated (to the stated decimals).

    "56" is consistent with 55.8 (within half a unit) but not with 54.9; "93.3"
    is consistent with 93.26. Returns None when there is nothing to compare
    (no computed value, or a stated range or bound such as "80-90" or ">1000").
    """
    if computed is None or (isinstance(computed, float) and math.isnan(computed)):
        return None
    try:
        d = decimals(stated)
    except ValueError:
        return None
    if str(stated).strip()[0] in "<>":
        return None
    return abs(float(stated) - computed) <= 0.5 * 10 ** (-d) + 1e-9


@dataclass(frozen=True)
class Describe:
    """A figure and its year rendered for prose, or a plain statement that it was not found."""

    value: float | None
    year: int | None
    unit: str
    digits: int = 2

    def text(self) -> str:
        if self.value is None:
            return "not found in the sources searched"
        return f"{self.value:,.{self.digits}f}{self.unit} in {self.year}"


def profile(df: pd.DataFrame, city: str) -> dict:
    """The comparable indicators of one city, with None where no source gives a value.

    Keys: rnd_intensity_latest_pct/_year, rnd_intensity_2023_pct,
    rnd_expenditure_latest_100m/_year, gdp_latest_100m/_year,
    enterprise_rnd_share_latest_pct/_year, enterprise_rnd_share_2023_pct,
    sei_share_latest_pct/_year (strategic emerging industries, % of above-scale
    industrial output), secondary_share_latest_pct/_year (secondary industry, % of
    GDP), years_with_rnd_intensity. The same keys for every city.
    """
    out: dict = {}
    intensity = series(df, city, "rnd_intensity")
    y, v = latest(intensity)
    out.update(rnd_intensity_latest_year=y, rnd_intensity_latest_pct=v,
               rnd_intensity_2023_pct=at(intensity, 2023), years_with_rnd_intensity=int(intensity.size))
    y, v = latest(series(df, city, "rnd_expenditure"))
    out.update(rnd_expenditure_latest_year=y, rnd_expenditure_latest_100m=v)
    y, v = latest(series(df, city, "gdp"))
    out.update(gdp_latest_year=y, gdp_latest_100m=v)
    ent = enterprise_share_series(df, city)["pct"]
    y, v = latest(ent)
    out.update(enterprise_rnd_share_latest_year=y, enterprise_rnd_share_latest_pct=v,
               enterprise_rnd_share_2023_pct=at(ent, 2023))
    y, v = latest(series(df, city, "sei_output_share_of_above_scale_industry"))
    out.update(sei_share_latest_year=y, sei_share_latest_pct=v)
    y, v = latest(series(df, city, "secondary_industry_share_of_gdp"))
    out.update(secondary_share_latest_year=y, secondary_share_latest_pct=v)
    return out


def ledger_keys(city: str, prof: dict) -> dict:
    """The claims-ledger key names for a city (``<city>_...``), from a ``profile``.

    The ledger's ``result_key`` column names these for Shenzhen and Hefei
    (e.g. ``cities.shenzhen_rnd_intensity_2023_pct``); every city records the same
    four, with None where it has no value, so that the runs stay comparable.
    """
    c = city.lower()
    return {
        f"{c}_rnd_intensity_2023_pct": prof["rnd_intensity_2023_pct"],
        f"{c}_rnd_intensity_latest_pct": prof["rnd_intensity_latest_pct"],
        f"{c}_enterprise_rnd_share_2023_pct": prof["enterprise_rnd_share_2023_pct"],
        f"{c}_sei_share_latest_pct": prof["sei_share_latest_pct"],
    }


def comparison_table(df: pd.DataFrame, national_intensity: pd.Series,
                     cities: list[str] | None = None) -> pd.DataFrame:
    """One row per city: the indicators that tell the article's city types apart.

    ``national_intensity`` is China's R&D intensity by year (final vintage); the
    ratio compares each city's latest intensity with the national figure for the
    same year (None if that year has no national figure).
    """
    cities = cities or sorted(df["city"].unique())
    recs = []
    for c in cities:
        p = profile(df, c)
        nat = at(national_intensity, p["rnd_intensity_latest_year"]) if p["rnd_intensity_latest_year"] else None
        ratio = p["rnd_intensity_latest_pct"] / nat if nat and p["rnd_intensity_latest_pct"] is not None else None
        recs.append({
            "city": c,
            "rnd_intensity_pct": p["rnd_intensity_latest_pct"],
            "rnd_intensity_year": p["rnd_intensity_latest_year"],
            "times_national": ratio,
            "enterprise_share_pct": p["enterprise_rnd_share_latest_pct"],
            "enterprise_share_year": p["enterprise_rnd_share_latest_year"],
            "sei_share_pct": p["sei_share_latest_pct"],
            "sei_share_year": p["sei_share_latest_year"],
            "secondary_share_pct": p["secondary_share_latest_pct"],
            "secondary_share_year": p["secondary_share_latest_year"],
        })
    return pd.DataFrame(recs).set_index("city")


def latest_complete_year(prov: pd.DataFrame, n_provinces: int = 31) -> int:
    """The last year in which ``province_rnd`` has every province and the national row.

    Completeness means all ``n_provinces`` province-level divisions plus 全国, each
    with both spending and intensity.
    """
    ok = prov.dropna(subset=["rnd_100m_yuan", "rnd_intensity_pct"])
    counts = ok.groupby("year")["province"].nunique()
    full = counts[counts == n_provinces + 1]
    if full.empty:
        raise ValueError("no year has a complete provincial table")
    return int(full.index.max())


def province_ranking(prov: pd.DataFrame, year: int, measure: str = "rnd_intensity_pct") -> pd.DataFrame:
    """Provinces of one year ranked by ``measure`` (1 = highest), national row excluded.

    Columns: province (Chinese), name (English), rnd_100m_yuan, rnd_intensity_pct,
    rank. Ties share the better rank.
    """
    if measure not in ("rnd_intensity_pct", "rnd_100m_yuan"):
        raise ValueError(f"unknown measure {measure!r}")
    sel = prov[(prov["year"] == year) & (prov["province"] != "全国")].copy()
    if sel.empty:
        raise ValueError(f"province_rnd has no rows for {year}")
    sel["name"] = sel["province"].map(PROVINCE_EN)
    sel["rank"] = sel[measure].rank(ascending=False, method="min").astype(int)
    cols = ["province", "name", "rnd_100m_yuan", "rnd_intensity_pct", "rank"]
    return sel.sort_values(["rank", "province"])[cols].reset_index(drop=True)


def claims_table(claims: pd.DataFrame, section: str, values: dict) -> pd.DataFrame:
    """The ledger's claims for one section, with values recomputed by this chapter.

    ``values`` maps key names (without the ``cities.`` prefix) to what the city
    profile computed. For each claim whose ``result_key`` starts with ``cities.``,
    the recomputed value and whether it rounds to the stated figure are shown;
    other claims keep the ledger's verdict alone. Columns: Claim, Chinese, Stated,
    Verdict, Recomputed here.
    """
    mine = claims[claims["section"] == section]
    out = []
    for r in mine.itertuples():
        key = r.result_key if isinstance(r.result_key, str) else ""
        own = key.startswith("cities.")
        value = values.get(key.split(".", 1)[1]) if own else None
        if own and value is not None:
            ok = consistent_at_precision(r.stated_value, value)
            recomputed = f"{value:.2f} ({'rounds to the stated figure' if ok else 'does not round to it'})"
        elif own:
            recomputed = "no value in the data"
        else:
            recomputed = ""
        out.append({"id": r.id, "Claim": r.claim_en, "Chinese": r.term_zh,
                    "Stated": f"{r.stated_value} {r.stated_unit}", "Verdict": r.verdict,
                    "Recomputed here": recomputed, "_value": value,
                    "_consistent": consistent_at_precision(r.stated_value, value) if own else None})
    cols = ["id", "Claim", "Chinese", "Stated", "Verdict", "Recomputed here", "_value", "_consistent"]
    return pd.DataFrame(out, columns=cols).set_index("id")


# ---------------------------------------------------------------------------
# What the values rest on
# ---------------------------------------------------------------------------

def source_kind_counts(df: pd.DataFrame, city: str | None = None) -> pd.Series:
    """Number of rows (values) by ``source_kind``, for one city or the whole table.

    Always indexed by every kind in ``SOURCE_KINDS`` (zero where none), so that
    counts for different cities line up.
    """
    sel = df if city is None else df[df["city"] == city]
    return sel["source_kind"].value_counts().reindex(list(SOURCE_KINDS), fill_value=0).astype(int)


def source_kind_table(df: pd.DataFrame, cities: list[str] | None = None) -> pd.DataFrame:
    """One row per city, one column per source kind (counts of values), plus the total.

    Rows follow ``cities`` (default: every city in the table, in order of first
    appearance); a last row ``All cities`` sums the whole table.
    """
    cities = cities or list(dict.fromkeys(df["city"]))
    out = pd.DataFrame({c: source_kind_counts(df, c) for c in cities}).T
    out.loc["All cities"] = source_kind_counts(df)
    out["total"] = out.sum(axis=1)
    out.index.name = "city"
    return out


def used_source_kinds(df: pd.DataFrame, city: str, indicators) -> pd.DataFrame:
    """The source kind of each value a profile actually uses (one per indicator and year).

    Columns: indicator, year, value, source_kind, source_key. ``chosen_rows`` decides
    which document a year's value comes from when several give one.
    """
    parts = [chosen_rows(df, city, ind).assign(indicator=ind) for ind in indicators]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["indicator", "year", "value", "source_kind", "source_key"])
    out = pd.concat(parts, ignore_index=True)
    return out[["indicator", "year", "value", "source_kind", "source_key"]]


# ---------------------------------------------------------------------------
# The framing chapter's expectations, checked
# ---------------------------------------------------------------------------

# The article's type for the cities it names (the three cases and the two cities it
# names as innovation-leading without a case). Other cities have no type from the article.
ARTICLE_TYPE = {
    "Shenzhen": "innovation-leading (创新引领型)",
    "Beijing": "innovation-leading (创新引领型)",
    "Shanghai": "innovation-leading (创新引领型)",
    "Shenyang": "traditional-industry upgrading (传统产业升级型)",
    "Hefei": "emerging-industry led (新兴产业主导型)",
}

# How this book reads the framing chapter's words (stated on every profile page).
FAR_ABOVE_RATIO = 1.5        # "far above the national level": at least 1.5 times the national intensity
NEAR_BAND = (0.75, 1.25)     # "near the national level": between 0.75 and 1.25 times it
SEI_HIGH_PCT = 50.0          # a "high" strategic emerging industries share: more than half of above-scale output

CONSISTENT, NOT_CONSISTENT, UNTESTED = "consistent", "not consistent", "cannot be checked"


def _ratio_to_national(df, city, national_intensity):
    y, v = latest(series(df, city, "rnd_intensity"))
    nat = at(national_intensity, y) if y is not None else None
    if v is None or nat is None:
        return y, v, nat, None
    return y, v, nat, v / nat


def type_checks(df: pd.DataFrame, city: str, national_intensity: pd.Series,
                national_enterprise_share: pd.Series, industry_benchmark: tuple | None = None) -> pd.DataFrame:
    """Test the city against the indicators the framing chapter gives for each of the three types.

    One row per (type, expectation): the city's value and year, the benchmark it is
    compared with, and a verdict: ``consistent``, ``not consistent`` or ``cannot be
    checked`` (with the reason). Rules, stated in the page from the module
    constants: "far above" the national intensity means at least
    ``FAR_ABOVE_RATIO`` times it, "near" means within ``NEAR_BAND`` times it, a
    "high" strategic emerging industries share is above ``SEI_HIGH_PCT`` % of
    above-scale output, and "rising" needs two or more years with the latest above
    the earliest. National figures are for the same year as the city's (final
    vintage); no year is borrowed from another.

    ``industry_benchmark`` is an optional ``(value_pct, year, label)`` to compare
    the secondary-industry share with (for instance the city's province); without
    one, the industrial-weight test cannot be run.
    """
    y, v, nat, ratio = _ratio_to_national(df, city, national_intensity)
    recs = []

    def add(type_, expectation, value, benchmark, verdict, why):
        recs.append({"type": type_, "expectation": expectation, "city value": value, "benchmark": benchmark,
                     "verdict": verdict, "reason": why})

    intensity_txt = f"{v:.2f}% ({y})" if v is not None else "not held"
    nat_txt = f"{nat:.2f}% national ({y})" if nat is not None else "no national figure for that year"
    T1, T2, T3 = ("innovation-leading (创新引领型)", "traditional-industry upgrading (传统产业升级型)",
                  "emerging-industry led (新兴产业主导型)")

    # Innovation-leading: intensity far above national; high enterprise share.
    if ratio is None:
        add(T1, "R&D intensity far above the national level", intensity_txt, nat_txt, UNTESTED,
            "no city intensity with a national figure for the same year")
    else:
        add(T1, "R&D intensity far above the national level", intensity_txt, nat_txt,
            CONSISTENT if ratio >= FAR_ABOVE_RATIO else NOT_CONSISTENT,
            f"{ratio:.2f} times the national figure (rule: at least {FAR_ABOVE_RATIO:g} times)")
    ent = enterprise_share_series(df, city)["pct"].dropna()
    ey, ev = latest(ent)
    en = at(national_enterprise_share, ey) if ey is not None else None
    if ev is None or en is None:
        add(T1, "Enterprise share of R&D above the national share",
            f"{ev:.1f}% ({ey})" if ev is not None else "not held",
            f"{en:.1f}% national ({ey})" if en is not None else "no national figure for that year",
            UNTESTED, "no enterprise share for the city" if ev is None else "no national share for that year")
    else:
        add(T1, "Enterprise share of R&D above the national share", f"{ev:.1f}% ({ey})", f"{en:.1f}% national ({ey})",
            CONSISTENT if ev > en else NOT_CONSISTENT, f"{ev - en:+.1f} points")

    # Traditional-industry upgrading: heavy industry; intensity near national; smart factories.
    sy, sv = latest(series(df, city, "secondary_industry_share_of_gdp"))
    if sv is None:
        add(T2, "Large weight of industry in GDP", "not held", "", UNTESTED,
            "no secondary-industry share for the city")
    elif industry_benchmark is None:
        add(T2, "Large weight of industry in GDP", f"{sv:.1f}% of GDP ({sy})", "none held", UNTESTED,
            "the book holds no national or provincial secondary-industry share to compare with")
    else:
        bv, by, blabel = industry_benchmark
        add(T2, "Large weight of industry in GDP", f"{sv:.1f}% of GDP ({sy})", f"{bv:.1f}% {blabel} ({by})",
            CONSISTENT if sv > bv else NOT_CONSISTENT, f"{sv - bv:+.1f} points")
    if ratio is None:
        add(T2, "R&D intensity near the national level", intensity_txt, nat_txt, UNTESTED,
            "no city intensity with a national figure for the same year")
    else:
        lo, hi = NEAR_BAND
        add(T2, "R&D intensity near the national level", intensity_txt, nat_txt,
            CONSISTENT if lo <= ratio <= hi else NOT_CONSISTENT,
            f"{ratio:.2f} times the national figure (rule: between {lo:g} and {hi:g} times)")
    smart = df[(df["city"] == city) & df["indicator"].str.contains("smart_factor", na=False)]
    add(T2, "Counts of smart factories (智能工厂)", "not held" if smart.empty else f"{len(smart)} rows", "",
        UNTESTED if smart.empty else CONSISTENT,
        "no city count of smart factories was found" if smart.empty else "counts held")

    # Emerging-industry led: high and rising SEI share; intensity above national.
    sei = series(df, city, "sei_output_share_of_above_scale_industry").dropna()
    if sei.empty:
        add(T3, "High share of strategic emerging industries in above-scale output", "not held", "", UNTESTED,
            "no share of above-scale output for the city (other SEI measures are not comparable)")
        add(T3, "Rising share of strategic emerging industries", "not held", "", UNTESTED,
            "no share of above-scale output for the city")
    else:
        ly, lv = latest(sei)
        add(T3, "High share of strategic emerging industries in above-scale output", f"{lv:.1f}% ({ly})",
            f"more than {SEI_HIGH_PCT:g}%", CONSISTENT if lv > SEI_HIGH_PCT else NOT_CONSISTENT,
            f"{lv - SEI_HIGH_PCT:+.1f} points from the rule")
        if len(sei) < 2:
            add(T3, "Rising share of strategic emerging industries", f"{lv:.1f}% ({ly})", "an earlier year",
                UNTESTED, "only one year held")
        else:
            fy, fv = int(sei.index.min()), float(sei.iloc[0])
            add(T3, "Rising share of strategic emerging industries", f"{fv:.1f}% ({fy}) to {lv:.1f}% ({ly})", "",
                CONSISTENT if lv > fv else NOT_CONSISTENT, f"{lv - fv:+.1f} points over {ly - fy} years")
    if ratio is None:
        add(T3, "R&D intensity above the national level", intensity_txt, nat_txt, UNTESTED,
            "no city intensity with a national figure for the same year")
    else:
        add(T3, "R&D intensity above the national level", intensity_txt, nat_txt,
            CONSISTENT if ratio > 1 else NOT_CONSISTENT, f"{ratio:.2f} times the national figure")
    return pd.DataFrame(recs)


def type_verdicts(checks: pd.DataFrame) -> pd.DataFrame:
    """Per type: how many expectations hold, fail and cannot be checked, and a one-word fit.

    ``fit`` is ``fits`` when every testable expectation holds (and at least one
    could be tested), ``mixed`` when some hold and some fail, ``does not fit`` when
    none holds, ``untested`` when none could be tested.
    """
    out = []
    for t, g in checks.groupby("type", sort=False):
        n_ok = int((g["verdict"] == CONSISTENT).sum())
        n_no = int((g["verdict"] == NOT_CONSISTENT).sum())
        n_un = int((g["verdict"] == UNTESTED).sum())
        fit = ("untested" if n_ok + n_no == 0 else "fits" if n_no == 0 else
               "does not fit" if n_ok == 0 else "mixed")
        out.append({"type": t, "consistent": n_ok, "not consistent": n_no, "cannot be checked": n_un, "fit": fit})
    return pd.DataFrame(out).set_index("type")


def verdict_sentence(city: str, checks: pd.DataFrame) -> str:
    """A sentence saying whether the data agree with the article's type for the city.

    Takes the ``type_checks`` table. Says how many testable expectations of the
    article's type hold, which other types fit as well, and warns when R&D
    intensity is the only indicator that could be tested (it cannot separate the
    types on its own).
    """
    verdicts = type_verdicts(checks)
    own = ARTICLE_TYPE.get(city)
    fitting = [t for t, r in verdicts.iterrows() if r["fit"] == "fits"]
    if own is None:
        head = f"The article gives {city} no type."
    else:
        r = verdicts.loc[own]
        n = int(r["consistent"] + r["not consistent"])
        if n == 0:
            head = f"None of the expectations for the article's type, {own}, can be checked with the data held."
        else:
            head = (f"For the article's type, {own}, {int(r['consistent'])} of the {n} expectations that can be "
                    f"checked hold ({r['fit']})")
            un = int(r["cannot be checked"])
            head += f"; {un} cannot be checked." if un else "."
    others = [t for t in fitting if t != own]
    if others:
        head += " Every testable expectation of " + " and ".join(others) + " holds"
        head += " as well, so the indicators held do not single out one type." if own in fitting else "."
    elif own is not None and own in fitting:
        head += " No other type fits."
    tested = checks[checks["verdict"] != UNTESTED]
    if len(tested) and tested["expectation"].str.contains("R&D intensity").all():
        head += (" R&D intensity is the only indicator that could be tested, and on its own it cannot tell "
                 "the types apart.")
    return head


# ---------------------------------------------------------------------------
# City and province side by side (used by the exercises)
# ---------------------------------------------------------------------------

def share_of_province(df: pd.DataFrame, prov: pd.DataFrame, city: str) -> pd.DataFrame:
    """The city's R&D spending as a share of its province's, for years where both are held.

    Columns: city_100m, province_100m, share_pct. Empty for a municipality (the
    city is the province) or when no year has both.
    """
    p = PROVINCE_OF.get(city)
    cols = ["city_100m", "province_100m", "share_pct"]
    if p is None or p == CITY_ZH.get(city):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="year"))
    c = series(df, city, "rnd_expenditure")
    pr = prov[prov["province"] == p].set_index("year")["rnd_100m_yuan"]
    years = sorted(set(c.index) & set(pr.index))
    out = pd.DataFrame({"city_100m": [float(c[y]) for y in years],
                        "province_100m": [float(pr[y]) for y in years]}, index=pd.Index(years, name="year"))
    out["share_pct"] = out["city_100m"] / out["province_100m"] * 100.0
    return out


def gap_to_province(df: pd.DataFrame, prov: pd.DataFrame, city: str) -> pd.DataFrame:
    """The city's R&D intensity against its province's, same year (percentage points).

    Columns: city_pct, province_pct, gap_pp. Empty for a municipality or when no
    year has both figures.
    """
    p = PROVINCE_OF.get(city)
    cols = ["city_pct", "province_pct", "gap_pp"]
    if p is None or p == CITY_ZH.get(city):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="year"))
    c = series(df, city, "rnd_intensity")
    pr = prov[prov["province"] == p].set_index("year")["rnd_intensity_pct"]
    years = sorted(set(c.index) & set(pr.index))
    out = pd.DataFrame({"city_pct": [float(c[y]) for y in years],
                        "province_pct": [float(pr[y]) for y in years]}, index=pd.Index(years, name="year"))
    out["gap_pp"] = out["city_pct"] - out["province_pct"]
    return out


# ---------------------------------------------------------------------------
# Exercise solutions (each profile page poses the exercises written for its city)
# ---------------------------------------------------------------------------

def exercise_solution(name: str, df: pd.DataFrame, prov: pd.DataFrame, national_intensity: pd.Series,
                      national_enterprise_share: pd.Series, city: str) -> tuple[pd.DataFrame, str]:
    """Compute the solution of exercise ``name`` for ``city``: a table and a sentence.

    Names: ``gap`` (city against national intensity), ``share`` (city's share of
    its province's R&D), ``province_gap`` (city against provincial intensity),
    ``enterprise`` (enterprise share against the national share), ``sources``
    (values by source kind and indicator), ``sei`` (change in the strategic
    emerging industries share). Every number in the sentence comes from the table.
    """
    if name == "gap":
        own = series(df, city, "rnd_intensity")
        years = [y for y in own.index if at(national_intensity, y) is not None]
        t = pd.DataFrame({"city_pct": [float(own[y]) for y in years],
                          "national_pct": [at(national_intensity, y) for y in years]},
                         index=pd.Index(years, name="year"))
        t["gap_pp"] = t["city_pct"] - t["national_pct"]
        if t.empty:
            return t, "No year has both a city and a national intensity."
        f, l = int(t.index.min()), int(t.index.max())
        if f == l:
            return t, f"Only one year, {f}, has both figures: the gap was {t.loc[f, 'gap_pp']:+.2f} points."
        return t, (f"In {f} the city was {t.loc[f, 'gap_pp']:+.2f} points from the national figure; in {l}, "
                   f"{t.loc[l, 'gap_pp']:+.2f} points ({len(t)} years with both figures).")
    if name == "share":
        t = share_of_province(df, prov, city)
        if t.empty:
            why = ("the city is itself a province-level division" if PROVINCE_OF.get(city) == CITY_ZH.get(city)
                   else "no year has both a city and a provincial R&D amount")
            return t, f"No share can be computed: {why}."
        f, l = int(t.index.min()), int(t.index.max())
        text = (f"{city} accounted for {t.loc[f, 'share_pct']:.1f}% of "
                f"{PROVINCE_EN[PROVINCE_OF[city]]}'s R&D spending in {f}")
        if l != f:
            move = "up" if t.loc[l, "share_pct"] > t.loc[f, "share_pct"] else "down"
            text += f" and {t.loc[l, 'share_pct']:.1f}% in {l} ({move} {abs(t.loc[l, 'share_pct'] - t.loc[f, 'share_pct']):.1f} points)"
        return t, text + "."
    if name == "province_gap":
        t = gap_to_province(df, prov, city)
        if t.empty:
            return t, "No year has both a city and a provincial intensity."
        kinds = used_source_kinds(df, city, ["rnd_intensity"])
        kind_txt = ", ".join(f"{int(r.year)}: {r.source_kind}" for r in kinds.itertuples() if r.year in t.index)
        parts = [f"{int(y)}: {r.gap_pp:+.2f} points ({r.city_pct:.2f}% against {r.province_pct:.2f}%)"
                 for y, r in t.iterrows()]
        return t, ("Gap to the province — " + "; ".join(parts) + f". The city figures rest on: {kind_txt}.")
    if name == "enterprise":
        e = enterprise_share_series(df, city)
        e = e.assign(national_pct=[at(national_enterprise_share, y) for y in e.index])
        e["gap_pp"] = e["pct"] - e["national_pct"]
        if e["gap_pp"].dropna().empty:
            return e, "No year has both a city and a national enterprise share."
        parts = [f"{int(y)}: {r.gap_pp:+.1f} points" for y, r in e.dropna(subset=["gap_pp"]).iterrows()]
        both = e.dropna(subset=["computed_pct", "published_pct"])
        diff = ("; where both a computed and a published share exist, they differ by "
                + ", ".join(f"{abs(r.computed_pct - r.published_pct):.1f} points ({int(y)})" for y, r in both.iterrows())
                if len(both) else "")
        return e, "Above the national share — " + "; ".join(parts) + diff + "."
    if name == "sources":
        sel = df[df["city"] == city]
        t = sel.pivot_table(index="indicator", columns="source_kind", values="year", aggfunc="count", fill_value=0)
        t = t.reindex(columns=list(SOURCE_KINDS), fill_value=0)
        counts = source_kind_counts(df, city)
        weak = sorted(sel[sel["notes"].fillna("").str.contains("WEAK")]["indicator"].unique())
        text = (f"{city} has {int(counts.sum())} values: " + ", ".join(f"{int(n)} from {k}s" for k, n in counts.items())
                + ".")
        if weak:
            text += " Flagged as weak sources: " + ", ".join(weak) + "."
        return t, text
    if name == "sei":
        s_ = series(df, city, "sei_output_share_of_above_scale_industry").dropna()
        t = s_.to_frame("pct").rename_axis("year")
        if len(s_) < 2:
            return t, "Fewer than two years of the share are held, so no change can be computed."
        f, l = int(s_.index.min()), int(s_.index.max())
        ch = float(s_.iloc[-1] - s_.iloc[0])
        return t, (f"The share moved from {s_.iloc[0]:.1f}% in {f} to {s_.iloc[-1]:.1f}% in {l}, "
                   f"{ch:+.1f} points, or {ch / (l - f):+.2f} points a year.")
    raise ValueError(f"unknown exercise {name!r}")
