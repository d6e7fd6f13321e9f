"""Mokyr's two kinds of useful knowledge, read in the provincial R&D accounts.

Mokyr (2002) separates propositional knowledge (knowing why: science, principles) from
prescriptive knowledge (knowing how: techniques, engineering practice); the article calls the
second 技术性知识 and says that Shenzhen, a master of the second, must now turn to the first.
The R&D statistics offer two imperfect proxies: the share of R&D spent on basic research (基础
研究) for the propositional side, and the share of R&D funded by enterprises (企业资金) for the
prescriptive, market-driven side. Neither is a measure of knowledge; both are measures of where
money goes. Each province-year is placed against that year's national figures:

* ``propositional``: basic share above the national share and enterprise share below it;
* ``prescriptive``: enterprise share above the national share and basic share below it;
* ``both above`` / ``both below``: the other two quadrants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .panel import NATIONAL

QUADRANTS = ["propositional", "prescriptive", "both above", "both below"]


def knowledge_mix(df: pd.DataFrame) -> pd.DataFrame:
    """Basic and enterprise shares of every province-year, relative to the national row, with a quadrant.

    Province-years missing either share are left out (missing-value rule of :mod:`.panel`).
    """
    nat = df[df["province"] == NATIONAL].set_index("year")[["basic_share", "enterprise_share"]]
    d = df[(df["province"] != NATIONAL)].dropna(subset=["basic_share", "enterprise_share"]).copy()
    d = d[d["year"].isin(nat.dropna().index)]
    d["basic_nat"] = d["year"].map(nat["basic_share"])
    d["enterprise_nat"] = d["year"].map(nat["enterprise_share"])
    d["basic_gap_pp"] = d["basic_share"] - d["basic_nat"]
    d["enterprise_gap_pp"] = d["enterprise_share"] - d["enterprise_nat"]
    b, e = d["basic_gap_pp"] > 0, d["enterprise_gap_pp"] > 0
    d["quadrant"] = np.select([b & ~e, e & ~b, b & e], QUADRANTS[:3], default=QUADRANTS[3])
    return d[["province", "name", "cluster", "year", "basic_share", "enterprise_share", "basic_nat",
              "enterprise_nat", "basic_gap_pp", "enterprise_gap_pp", "quadrant"]].reset_index(drop=True)


def trajectory(mix: pd.DataFrame, name: str, first: int, last: int) -> dict:
    """Change of a province's two shares (and of its gaps to the nation) between two years."""
    d = mix[mix["name"] == name].set_index("year")
    if first not in d.index or last not in d.index:
        raise KeyError(f"{name}: no shares for {first} or {last}")
    a, b = d.loc[first], d.loc[last]
    return {"name": name, "first": first, "last": last,
            "basic_first": float(a["basic_share"]), "basic_last": float(b["basic_share"]),
            "enterprise_first": float(a["enterprise_share"]), "enterprise_last": float(b["enterprise_share"]),
            "basic_change_pp": float(b["basic_share"] - a["basic_share"]),
            "enterprise_change_pp": float(b["enterprise_share"] - a["enterprise_share"]),
            "basic_gap_change_pp": float(b["basic_gap_pp"] - a["basic_gap_pp"]),
            "quadrant_first": a["quadrant"], "quadrant_last": b["quadrant"]}


def quadrant_counts(mix: pd.DataFrame) -> pd.DataFrame:
    """Number of provinces in each quadrant, by year."""
    return mix.pivot_table(index="year", columns="quadrant", values="province", aggfunc="count",
                           fill_value=0).reindex(columns=QUADRANTS, fill_value=0)
