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
}

CITY_ZH = {"Shenzhen": "深圳", "Shenyang": "沈阳", "Hefei": "合肥", "Beijing": "北京", "Shanghai": "上海"}

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
    value_as_published, source_key, source_date, rounded (True when the printed
    figure is a rounded headline). Rows whose published figure is a phrase
    ("above 93") have no value and are left out here; ``phrases`` returns them.
    """
    sel = df[(df["city"] == city) & (df["indicator"] == indicator) & df["value"].notna()].copy()
    money = indicator in MONEY_INDICATORS
    sel["unit_out"] = "100m yuan" if money else sel["unit"]
    if money:
        sel["value"] = [to_100m_yuan(v, u) for v, u in zip(sel["value"], sel["unit"])]
    sel["rounded"] = sel["unit"].str.contains("rounded|nearly")
    sel["_rank"] = sel["unit"].map(_PRECISION_RANK).fillna(0)
    cols = ["year", "value", "unit_out", "unit", "value_as_published", "source_key", "source_date", "rounded", "_rank"]
    return sel[cols].sort_values(["year", "_rank"]).reset_index(drop=True)


def phrases(df: pd.DataFrame, city: str) -> pd.DataFrame:
    """Rows for ``city`` whose published figure is a phrase, not a number (kept as printed)."""
    sel = df[(df["city"] == city) & df["value"].isna()]
    return sel[["year", "indicator", "value_as_published", "unit", "source_key"]].reset_index(drop=True)


def chosen_rows(df: pd.DataFrame, city: str, indicator: str) -> pd.DataFrame:
    """The one row per year that ``series`` uses (same columns as ``rows``).

    Where several documents give a figure for the same year, the most precise
    printed figure wins (亿元 to two decimals over a rounded "trillion" headline),
    then the most recent document. The choice is deterministic and every
    candidate stays visible through ``rows``.
    """
    r = rows(df, city, indicator)
    r = r.assign(_date=r["source_date"].fillna(""))
    r = r.sort_values(["year", "_rank", "_date"], ascending=[True, True, False])
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
