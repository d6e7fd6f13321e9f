"""The cluster lens: national city clusters (城市群) approximated by whole provinces.

Statistics are published by province, not by city cluster, so each cluster is approximated by
the provinces it lies in (membership in ``data/provinces/provinces.csv``). The approximation is
exact for 京津冀 only; :data:`APPROXIMATION` states it for each cluster, and the pages quote it.

``cluster_shares`` gives each cluster's share of the provincial total (R&D spending, invention
patent applications) by year. ``core_shares`` asks the "大聚小散" question (concentrate the large,
disperse the small): how much of a cluster's, or a province's, R&D sits in its core cities, for
the city-years that a city table actually gives; the other years stay missing and are shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .panel import NATIONAL

ORDER = ["京津冀", "长三角", "粤港澳", "成渝", "长江中游"]

APPROXIMATION = {
    "京津冀": "Beijing, Tianjin and Hebei: the cluster is these three whole provinces, so the approximation is exact.",
    "长三角": "Shanghai, Jiangsu, Zhejiang and Anhui as wholes; the development plan's central area covers only "
              "parts of the last three, so the provincial sum overstates the cluster.",
    "粤港澳": "Guangdong as a whole stands for the mainland part (nine Pearl River Delta cities); Hong Kong and "
              "Macao are outside the mainland statistics, and Guangdong's other twelve cities are included.",
    "成渝": "Sichuan and Chongqing as wholes; the plan covers Chongqing's core districts and fifteen Sichuan "
            "cities, so the sum overstates the cluster.",
    "长江中游": "Hubei, Hunan and Jiangxi as wholes; the plan covers the Wuhan, Changsha-Zhuzhou-Xiangtan and "
               "Poyang Lake city groups, so the sum overstates the cluster.",
}

# Core cities of each cluster named by the article's lens, and the English names used by the
# city table (data/cities/city_indicators.csv). Municipalities are whole provinces in the tables.
CORE_CITIES = {
    "京津冀": ["Beijing", "Tianjin"],
    "长三角": ["Shanghai", "Nanjing", "Hangzhou", "Hefei"],
    "粤港澳": ["Guangzhou", "Shenzhen"],
    "成渝": ["Chengdu", "Chongqing"],
    "长江中游": ["Wuhan", "Changsha", "Nanchang"],
}
MUNICIPALITIES = {"Beijing": "北京", "Tianjin": "天津", "Shanghai": "上海", "Chongqing": "重庆"}
CITY_PROVINCE = {"Nanjing": "江苏", "Hangzhou": "浙江", "Hefei": "安徽", "Guangzhou": "广东", "Shenzhen": "广东",
                 "Chengdu": "四川", "Wuhan": "湖北", "Changsha": "湖南", "Nanchang": "江西", **MUNICIPALITIES}


def membership(provinces: pd.DataFrame) -> pd.DataFrame:
    """Cluster of each province (blank clusters dropped), with English names."""
    m = provinces[provinces["cluster"].notna() & (provinces["cluster"] != "")]
    return m[["province", "name_en", "cluster", "cluster_en"]].reset_index(drop=True)


def cluster_shares(df: pd.DataFrame, value: str, provinces: pd.DataFrame, expected_n: int = 31) -> pd.DataFrame:
    """Each cluster's share (%) of the sum over all provinces of ``value``, by year.

    The denominator is the sum of the 31 provinces (not the published national row, which can
    differ through rounding); a year in which any province lacks the value is left out rather
    than computed on a partial total. Returns long rows: year, cluster, cluster_en, total,
    share_pct; plus a row "other provinces" per year so that shares add to 100.
    """
    m = membership(provinces).set_index("province")
    d = df[df["province"] != NATIONAL][["province", "year", value]]
    rows = []
    for y, g in d.groupby("year"):
        if g[value].isna().any() or len(g) != expected_n:
            continue
        total = g[value].sum()
        g = g.assign(cluster=g["province"].map(m["cluster"]).fillna("other"))
        by = g.groupby("cluster")[value].sum()
        for c in ORDER + ["other"]:
            amount = float(by.get(c, 0.0))
            rows.append({"year": int(y), "cluster": c, "amount": amount, "total": float(total),
                         "share_pct": 100.0 * amount / total})
    out = pd.DataFrame(rows)
    en = dict(zip(m["cluster"], m["cluster_en"]))
    en["other"] = "Other provinces"
    out["cluster_en"] = out["cluster"].map(en)
    return out


def national_gap(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Sum of the provinces against the published national row, by year (a check on the tables)."""
    prov = df[df["province"] != NATIONAL].groupby("year")[value].sum(min_count=31)
    nat = df[df["province"] == NATIONAL].set_index("year")[value]
    out = pd.DataFrame({"provinces_sum": prov, "national_row": nat}).dropna()
    out["gap_pct"] = 100 * (out["provinces_sum"] - out["national_row"]) / out["national_row"]
    return out.reset_index()


def core_shares(df: pd.DataFrame, city_table: pd.DataFrame | None, years, series_fn=None) -> pd.DataFrame:
    """R&D of each core city as a share of its province and of its cluster, for every year asked.

    ``df``: derived provincial frame (``rnd_expenditure`` in 亿元). ``city_table``: the
    ``city_indicators`` resource (or None); ``series_fn(table, city, indicator)`` returns a
    year-indexed series in 亿元 (default: :func:`innobook.analysis.cities.series`). A
    municipality's figure is its province's. Missing city-years stay NaN with
    ``status = "not in the city table"``; nothing is filled.
    """
    if series_fn is None:
        from innobook.analysis.cities import series as series_fn  # noqa: PLC0415
    prov = df[df["province"] != NATIONAL].set_index(["province", "year"])["rnd_expenditure"]
    cluster_of = df.drop_duplicates("province").set_index("province")["cluster"]
    rows = []
    for cluster, cities in CORE_CITIES.items():
        members = [p for p, c in cluster_of.items() if c == cluster]
        for city in cities:
            province = CITY_PROVINCE[city]
            s = pd.Series(dtype=float)
            if city not in MUNICIPALITIES and city_table is not None and city in set(city_table["city"]):
                s = series_fn(city_table, city, "rnd_expenditure")
            for y in years:
                p_val = prov.get((province, y), np.nan)
                c_val = sum(prov.get((m, y), np.nan) for m in members) if members else np.nan
                if city in MUNICIPALITIES:
                    v, status = p_val, "municipality: the province's figure"
                else:
                    v = float(s.get(y, np.nan)) if len(s) else np.nan
                    status = "city table" if not np.isnan(v) else "not in the city table"
                rows.append({"cluster": cluster, "city": city, "province": province, "year": int(y),
                             "city_rnd": v, "province_rnd": p_val, "cluster_rnd": c_val,
                             "share_of_province_pct": 100 * v / p_val if p_val else np.nan,
                             "share_of_cluster_pct": 100 * v / c_val if c_val else np.nan,
                             "status": status})
    return pd.DataFrame(rows)
