"""Rebuild ``provinces_panel.csv`` from the gathered research material.

Run from the project root::

    .venv/bin/python data/provinces/build_panel.py [--sources ../shared/sources]

Inputs (read, never changed):

* ``<sources>/yearbook/provinces_rnd_panel.csv``: provincial tables 2010-2023 as compiled in the
  MIT-licensed R package huhuaping/techme (commit 9ad60a19) from the Statistical Yearbook on
  Science and Technology and the R&D communiques;
* ``data/cities/provinces_rnd.csv`` (resource ``province_rnd``): the 2024 R&D communique table;
* the tables typed below, each transcribed from one stored official page (see README.md).

Every output row names its official document (source_key = bibkey in
book/bib/data_sources.bib), the place it was read and its vintage. Nothing is estimated: a
province-year that no source gives is simply absent.
"""

from __future__ import annotations

import argparse
import csv
import pathlib

import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "provinces_panel.csv"

TECHME = "https://github.com/huhuaping/techme/blob/9ad60a190dec4a56953da9c478d42cd44c80762a/data/{}.rda"
NBS3 = "国家统计局, 科学技术部, 财政部 (NBS, MOST, MOF)"
YB_PUB = "国家统计局社会科技和文化产业统计司, 科学技术部战略规划司 (NBS, MOST); 中国统计出版社"

# Date and official address of each year's R&D communique, where captured (see the bib).
COMMUNIQUE = {
    2011: ("", ""), 2012: ("", ""), 2013: ("", ""), 2014: ("", ""), 2015: ("", ""),
    2016: ("2017-10-10", ""), 2017: ("2018-10-09", ""), 2018: ("2019-08-30", ""),
    2019: ("2020-08-27", ""), 2020: ("2021-09-22", ""),
    2021: ("2022-08-31", "http://www.stats.gov.cn/sj/zxfb/202302/t20230203_1901565.html"),
    2022: ("2023-09-18", "http://www.stats.gov.cn/sj/zxfb/202309/t20230918_1942920.html"),
    2023: ("2024-10-02", "https://www.stats.gov.cn/sj/zxfb/202410/t20241002_1956810.html"),
    2024: ("2025-09-29", "https://www.stats.gov.cn/sj/zxfb/202509/t20250929_1961429.html"),
}

KEEP = {  # indicator in the compilation -> (indicator here, unit here)
    "rnd_expenditure": ("rnd_expenditure", "100 million yuan"),
    "rnd_intensity": ("rnd_intensity", "% of GDP"),
    "rnd_intramural_total": ("rnd_intramural_total", "10 thousand yuan"),
    "rnd_basic": ("rnd_basic", "10 thousand yuan"),
    "rnd_applied": ("rnd_applied", "10 thousand yuan"),
    "rnd_experimental": ("rnd_experimental", "10 thousand yuan"),
    "rnd_funds_government": ("rnd_funds_government", "10 thousand yuan"),
    "rnd_funds_enterprise": ("rnd_funds_enterprise", "10 thousand yuan"),
    "rnd_funds_foreign": ("rnd_funds_foreign", "10 thousand yuan"),
    "rnd_funds_other": ("rnd_funds_other", "10 thousand yuan"),
    "patent_applications_total": ("patent_applications_total", "pieces"),
    "patent_applications_invention": ("patent_applications_invention", "pieces"),
}

YB_TABLE = {
    "RDActivity": "R&D by region and type of activity",
    "RDSource": "R&D by region and source of funds",
    "RDPatentAccept": "patent applications accepted by region",
}

# Publisher, date and official address of each document are in the resource's ``sources`` (by
# bibkey) in data/datapackage.json and in book/bib/data_sources.bib; each row names its document.
COLUMNS = ["year", "province", "indicator", "value", "unit", "vintage", "gdp_basis", "source_key",
           "source_title", "read_at_url", "notes"]


def communique_row(year, province, indicator, value, unit, read_at, note=""):
    date, _url = COMMUNIQUE[year]
    basis = ""
    if indicator == "rnd_intensity":
        basis = (f"regional GDP as used in the {year} R&D communique"
                 + (f" (published {date})" if date else "")
                 + "; not restated after later GDP revisions")
    return dict(year=year, province=province, indicator=indicator, value=value, unit=unit,
                vintage=f"final: R&D communique for {year}", gdp_basis=basis,
                source_key=f"nbs_rd_communique_{year}", source_title=f"{year}年全国科技经费投入统计公报",
                read_at_url=read_at,
                notes=note)


def yearbook_rows(sources: pathlib.Path) -> list[dict]:
    raw = pd.read_csv(sources / "yearbook" / "provinces_rnd_panel.csv")
    out = []
    for r in raw.itertuples(index=False):
        if r.indicator not in KEEP or pd.isna(r.value):
            continue
        ind, unit = KEEP[r.indicator]
        if unit != r.unit:
            raise ValueError(f"unexpected unit {r.unit!r} for {r.indicator}")
        value = float(r.value)
        note = ("label as compiled: " + r.province_as_compiled) if r.province_as_compiled != r.province else ""
        if r.dataset == "RDIntense":
            out.append(communique_row(int(r.year), r.province, ind, value, unit, TECHME.format("RDIntense"), note))
            continue
        edition = int(r.year) + 1
        out.append(dict(
            year=int(r.year), province=r.province, indicator=ind, value=value, unit=unit,
            vintage=f"final: yearbook edition {edition}", gdp_basis="",
            source_key=f"nbs_most_st_yearbook_{edition}",
            source_title=f"中国科技统计年鉴{edition}: {YB_TABLE[r.dataset]}",
            read_at_url=TECHME.format(r.dataset),
            notes=note))
    return out


def communique_2024_rows() -> list[dict]:
    prov = pd.read_csv(ROOT / "data" / "cities" / "provinces_rnd.csv", dtype=str)
    out = []
    for r in prov[prov["year"] == "2024"].itertuples(index=False):
        for ind, col, unit in (("rnd_expenditure", "rnd_100m_yuan", "100 million yuan"),
                               ("rnd_intensity", "rnd_intensity_pct", "% of GDP")):
            out.append(communique_row(2024, r.province, ind, float(getattr(r, col)), unit, r.read_at_url,
                                      "附表2; as in data/cities/provinces_rnd.csv"))
    return out


# --------------------------------------------------------------------------- population
# 年末常住人口 (year-end resident population, 10 000 persons), NBS national data portal, 分省年度数据
# (easyquery cn=E0103), as copied with its header comment into the public repository
# pik-piam/PyPSA-China-PIK (file resources/data/load/History_POP.csv, commit 88169bb6).
POP_READ_AT = ("https://github.com/pik-piam/PyPSA-China-PIK/blob/88169bb6b363085e377f4ad77441f7b9c860c400/"
               "resources/data/load/History_POP.csv")
POP_YEARS = list(range(2024, 2004, -1))
POP = """Beijing,2183,2186,2184,2189,2189,2190,2192,2194,2195,2188,2171,2125,2078,2024,1962,1860,1771,1676,1601,1538
Tianjin,1364,1364,1363,1373,1387,1385,1383,1410,1443,1439,1429,1410,1378,1341,1299,1228,1176,1115,1075,1043
Hebei,7378,7393,7420,7448,7464,7447,7426,7409,7375,7345,7323,7288,7262,7232,7194,7034,6989,6943,6898,6851
Shanxi,3446,3466,3481,3480,3490,3497,3502,3510,3514,3519,3528,3535,3548,3562,3574,3427,3411,3393,3375,3355
Inner Mongolia,2388,2396,2401,2400,2403,2415,2422,2433,2436,2440,2449,2455,2464,2470,2472,2458,2444,2429,2415,2403
Liaoning,4155,4182,4197,4229,4255,4277,4291,4312,4327,4338,4358,4365,4375,4379,4375,4341,4315,4298,4271,4221
Jilin,2317,2339,2348,2375,2399,2448,2484,2526,2567,2613,2642,2668,2698,2725,2747,2740,2734,2730,2723,2716
Heilongjiang,3029,3062,3099,3125,3171,3255,3327,3399,3463,3529,3608,3666,3724,3782,3833,3826,3825,3824,3823,3820
Shanghai,2480,2487,2475,2489,2488,2481,2475,2466,2467,2458,2467,2448,2399,2356,2303,2210,2141,2064,1964,1890
Jiangsu,8526,8526,8515,8505,8477,8469,8446,8423,8381,8315,8281,8192,8120,8023,7869,7810,7762,7723,7656,7588
Zhejiang,6670,6627,6577,6540,6468,6375,6273,6170,6072,5985,5890,5784,5685,5570,5447,5276,5212,5155,5072,4991
Anhui,6123,6121,6127,6113,6105,6092,6076,6057,6033,6011,5997,5988,5978,5972,5957,6131,6135,6118,6110,6120
Fujian,4193,4183,4188,4187,4161,4137,4104,4065,4016,3984,3945,3885,3841,3784,3693,3666,3639,3612,3585,3557
Jiangxi,4502,4515,4528,4517,4519,4516,4513,4511,4496,4485,4480,4476,4475,4474,4462,4432,4400,4368,4339,4311
Shandong,10080,10123,10163,10170,10165,10106,10077,10033,9973,9866,9808,9746,9708,9665,9588,9470,9417,9367,9309,9248
Henan,9785,9815,9872,9883,9941,9901,9864,9829,9778,9701,9645,9573,9532,9461,9405,9487,9429,9360,9392,9380
Hubei,5834,5838,5844,5830,5745,5927,5917,5904,5885,5850,5816,5798,5781,5760,5728,5720,5711,5699,5693,5710
Hunan,6539,6568,6604,6622,6645,6640,6635,6633,6625,6615,6611,6600,6590,6581,6570,6406,6380,6355,6342,6326
Guangdong,12780,12706,12657,12684,12624,12489,12348,12141,11908,11678,11489,11270,11041,10756,10441,10130,9893,9660,9442,9194
Guangxi,5013,5027,5047,5037,5019,4982,4947,4907,4857,4811,4770,4731,4694,4655,4610,4856,4816,4768,4719,4660
Hainan,1048,1043,1027,1020,1012,995,982,972,957,945,936,920,910,890,869,864,854,845,836,828
Chongqing,3190,3191,3213,3212,3209,3188,3163,3144,3110,3070,3043,3011,2975,2944,2885,2859,2839,2816,2808,2798
Sichuan,8364,8368,8374,8372,8371,8351,8321,8289,8251,8196,8139,8109,8085,8064,8045,8185,8138,8127,8169,8212
Guizhou,3860,3865,3856,3852,3858,3848,3822,3803,3758,3708,3677,3632,3587,3530,3479,3537,3596,3632,3690,3730
Yunnan,4655,4673,4693,4690,4722,4714,4703,4693,4677,4663,4653,4641,4631,4620,4602,4571,4543,4514,4483,4450
Tibet,370,365,364,366,366,361,354,349,340,330,325,317,315,309,300,296,292,289,285,280
Shaanxi,3953,3952,3956,3954,3955,3944,3931,3904,3874,3846,3827,3804,3787,3765,3735,3727,3718,3708,3699,3690
Gansu,2458,2465,2492,2490,2501,2509,2515,2522,2520,2523,2531,2537,2550,2552,2560,2555,2551,2548,2547,2545
Qinghai,593,594,595,594,593,590,587,586,582,577,576,571,571,568,563,557,554,552,548,543
Ningxia,729,729,728,725,721,717,710,705,695,684,678,666,659,648,633,625,618,610,604,596
Xinjiang,2623,2598,2587,2589,2590,2559,2520,2480,2428,2385,2325,2285,2253,2225,2185,2159,2131,2095,2050,2010"""


def population_rows(zh_of: dict[str, str]) -> list[dict]:
    out = []
    for line in POP.splitlines():
        name, *vals = line.split(",")
        for year, v in zip(POP_YEARS, vals):
            if year < 2010:
                continue
            out.append(dict(
                year=year, province=zh_of[name], indicator="population", value=float(v),
                unit="10 thousand persons",
                vintage="NBS data portal series as copied in 2025",
                gdp_basis="", source_key="nbs_data_provincial_population",
                source_title="国家数据, 分省年度数据: 年末常住人口",
                read_at_url=POP_READ_AT, notes=""))
    return out


# --------------------------------------------------------------------------- Qinghai yearbook reprints
# 青海统计年鉴2014, table 23-3 全国各地区人均GDP和增长率及排序(2012-2013年): per capita GDP (yuan) and
# its growth rate (%); only the rows down to Hainan were legible in the stored copy of the page.
# (name, pc2012, growth2012, pc2013, growth2013); None = not legible in the stored copy.
QH2014_URL = "http://tjj.qinghai.gov.cn/nj/2014/html/2303.htm"
QH2014 = [
    ("全国", 38420, 7.1, 41908, 7.1), ("北京", 87475, 4.9, 93213, 5.2), ("天津", 93173, 9.2, 99607, 7.9),
    ("河北", 36584, 8.9, 38716, 7.5), ("山西", 33628, 9.6, 34813, 8.4), ("内蒙古", 63886, 11.1, 67498, 8.7),
    ("辽宁", 56649, 9.4, 61686, 8.6), ("吉林", 43415, 11.9, 47191, 8.2), ("黑龙江", 35711, 10.1, 37509, 7.9),
    ("上海", 85373, 5.7, 90092, 6.1), ("江苏", 68347, 9.7, 74607, 9.3), ("浙江", 63374, 7.7, 68462, 7.8),
    ("安徽", 28792, 11.8, 31684, 9.8), ("福建", 52763, 10.5, 57856, 10.2), ("江西", 28800, 10.4, 31771, 9.7),
    ("山东", 51768, 9.2, 56323, 9.0), ("河南", 31499, 10.1, 34174, 8.9), ("湖北", 38572, 10.7, 42613, 9.7),
    ("湖南", 33480, 10.7, 36763, 9.3), ("广东", 54095, 7.4, 58540, 7.8), ("广西", 27952, 10.4, 30588, 9.3),
    ("海南", 32377, 8.0, 35317, None),
]
# 青海统计年鉴2018, table 23-2 全国各地区第二、三产业增加值及排序(2017年): value added (100 million yuan).
QH2018_URL = "http://tjj.qinghai.gov.cn/nj/2018/html/2302.htm"
QH2018 = [
    ("全国", 334622.6, 427031.5), ("北京", 5310.6, 22569.3), ("天津", 7590.4, 10786.7), ("河北", 17416.5, 15039.7),
    ("山西", 6181.8, 8013.9), ("内蒙古", 6408.6, 8047.4), ("辽宁", 9397.8, 12362.1), ("吉林", 7012.9, 6846.9),
    ("黑龙江", 4289.7, 8941.4), ("上海", 9251.4, 20783.5), ("江苏", 38654.9, 43169.4), ("浙江", 22471.5, 27279.3),
    ("安徽", 13486.6, 11420.4), ("福建", 15770.3, 14085.5), ("江西", 9972.1, 8892.6), ("山东", 32925.1, 34876.3),
    ("河南", 21450.0, 19198.7), ("湖北", 16259.9, 16503.4), ("湖南", 14145.5, 16755.1), ("广东", 38598.6, 47488.3),
    ("广西", 9297.8, 8191.5), ("海南", 997.1, 2486.1), ("重庆", 8596.6, 9564.0), ("四川", 14294.0, 18403.4),
    ("贵州", 5439.6, 6080.4), ("云南", 6387.5, 7833.1), ("西藏", 514.5, 673.3), ("陕西", 10895.4, 9264.0),
    ("甘肃", 2562.7, 4050.8), ("青海", 1180.4, 1224.0), ("宁夏", 1580.5, 1612.3), ("新疆", 4292.0, 4936.5),
]
QH_PUB = "青海省统计局, 国家统计局青海调查总队 (Qinghai Provincial Bureau of Statistics)"


def qinghai_rows() -> list[dict]:
    out = []
    base = dict(gdp_basis="", read_at_url="")
    for name, pc12, g12, pc13, g13 in QH2014:
        for year, pc, g in ((2012, pc12, g12), (2013, pc13, g13)):
            for ind, val, unit in (("gdp_per_capita", pc, "yuan"),
                                   ("gdp_per_capita_growth", g, "% (real, previous year = 100)")):
                if val is None:
                    continue
                out.append(dict(base, year=year, province=name, indicator=ind, value=float(val), unit=unit,
                                vintage="as reprinted in the Qinghai Statistical Yearbook 2014 (figures of early 2014)",
                                source_key="qinghai_yearbook_2014_t23_3",
                                source_title="青海统计年鉴2014, 表23-3 全国各地区人均GDP和增长率及排序(2012-2013年)",
                                notes="NBS figures reprinted in a provincial yearbook"))
    for name, sec, ter in QH2018:
        for ind, val in (("secondary_value_added", sec), ("tertiary_value_added", ter)):
            out.append(dict(base, year=2017, province=name, indicator=ind, value=float(val), unit="100 million yuan",
                            vintage="as reprinted in the Qinghai Statistical Yearbook 2018 (figures of early 2018, "
                                    "before the fourth economic census revision)",
                            source_key="qinghai_yearbook_2018_t23_2",
                            source_title="青海统计年鉴2018, 表23-2 全国各地区第二、三产业增加值及排序(2017年)",
                            notes="NBS figures reprinted in a provincial yearbook"))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default=str(ROOT.parent / "shared" / "sources"),
                    help="folder of the gathered research material (default: ../shared/sources)")
    args = ap.parse_args(argv)
    names = pd.read_csv(HERE / "provinces.csv", dtype=str)
    zh_of = dict(zip(names["name_en"], names["province"]))
    rows = (yearbook_rows(pathlib.Path(args.sources)) + communique_2024_rows()
            + population_rows(zh_of) + qinghai_rows())
    df = pd.DataFrame(rows, columns=COLUMNS)
    order = {p: i for i, p in enumerate(names["province"])}
    df["_p"] = df["province"].map(order)
    if df["_p"].isna().any():
        raise ValueError(f"unknown provinces: {sorted(df.loc[df['_p'].isna(), 'province'].unique())}")
    df = df.sort_values(["indicator", "year", "_p"]).drop(columns="_p")
    df["value"] = df["value"].map(lambda v: f"{v:.10g}")
    df.to_csv(OUT, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    print(f"wrote {len(df)} rows to {OUT.name}")


if __name__ == "__main__":
    main()
