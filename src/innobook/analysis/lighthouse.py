"""Counts and shares for the World Economic Forum's Global Lighthouse Network.

The WEF announces new "lighthouse" sites in cohorts (batches) and states the
size of the network; it does not publish a count per country. China's count
comes from Chinese official and media reports, which disagree with one another
and do not always say whether Taiwan is included. The ``lighthouse_cohorts``
table therefore keeps one row per batch, measure, scope and source.

The functions here never pick one count silently. Where several sources give
China's count for a batch, a *rule* chooses one, and the rule is a parameter:

``modal``
    the value given by the most sources; where several values tie, the lower
    median of the tied values (``statistics.median_low``), so the result is
    always one of the published values;
``lowest`` / ``highest``
    the smallest or largest published value;
a source key
    that source's value where it gives one, the modal value elsewhere.

Geographic scope is handled by :data:`REGIONS`. Counts whose scope the source
did not state are usable for either region, but a count stated explicitly for
the region asked for takes precedence over them.

Announcement dates are ISO strings, some with the day unknown (``2023-12``).
Comparisons with a cut-off treat a month-only date as the last day of that
month (:func:`period_end`), so an announcement counts as "on or before" a date
only when it certainly was.

Reference: World Economic Forum, Global Lighthouse Network releases 2018-2026
(see the ``sources`` of ``lighthouse_cohorts`` in ``data/datapackage.json``).
"""

from __future__ import annotations

import calendar
import statistics
from collections import Counter
from typing import Iterable

import pandas as pd

#: region parameter -> (scope stated explicitly for it, scopes usable as a fallback)
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mainland": ("China (mainland)", ("China (scope not stated)",)),
    "including_taiwan": ("China (incl. Taiwan)", ("China (scope not stated)",)),
}
RULES = ("modal", "lowest", "highest")


def period_end(date: str) -> pd.Timestamp:
    """The last day an ISO date string (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) can stand for."""
    parts = [int(p) for p in str(date).split("-")]
    if len(parts) == 3:
        return pd.Timestamp(*parts)
    if len(parts) == 2:
        y, m = parts
        return pd.Timestamp(y, m, calendar.monthrange(y, m)[1])
    if len(parts) == 1:
        return pd.Timestamp(parts[0], 12, 31)
    raise ValueError(f"not an ISO date: {date!r}")


def modal_count(values: Iterable[int]) -> int:
    """The value most sources give; ties are broken by the lower median of the tied values.

    >>> modal_count([79, 79, 82, 85])
    79
    >>> modal_count([72, 74, 75])   # no value repeats: the median
    74
    """
    counts = Counter(int(v) for v in values)
    if not counts:
        raise ValueError("no counts to choose from")
    top = max(counts.values())
    return int(statistics.median_low(sorted(v for v, n in counts.items() if n == top)))


def share_pct(count: float, total: float) -> float:
    """``count`` as a percentage of ``total``."""
    if total <= 0:
        raise ValueError("a share needs a positive total")
    return 100.0 * count / total


def batches(cohorts: pd.DataFrame) -> pd.DataFrame:
    """One row per announcement: batch, date, new sites and network size (world).

    Raises ``ValueError`` if a batch has two different network sizes or if the
    sizes do not grow with the batch number (the network has had no delistings).
    """
    world = cohorts[cohorts["scope"] == "world"]
    out = cohorts.groupby("batch", as_index=False)["announcement_date"].first()
    for measure in ("new_sites", "cumulative_total"):
        rows = world[world["measure"] == measure]
        if rows.groupby("batch")["value"].nunique().gt(1).any():
            raise ValueError(f"a batch has several values of {measure}")
        out = out.merge(rows.groupby("batch", as_index=False)["value"].first()
                        .rename(columns={"value": measure}), on="batch", how="left")
    totals = out["cumulative_total"].dropna()
    if not totals.is_monotonic_increasing:
        raise ValueError("network size falls between announcements")
    out["date_end"] = out["announcement_date"].map(period_end)
    return out.sort_values("batch").reset_index(drop=True)


def totals_add_up(cohorts: pd.DataFrame) -> bool:
    """Whether the running sum of new sites equals the published network size at every batch."""
    b = batches(cohorts)
    if b["new_sites"].isna().any() or b["cumulative_total"].isna().any():
        return False
    return bool((b["new_sites"].cumsum() == b["cumulative_total"]).all())


def first_batch_reaching(cohorts: pd.DataFrame, size: int) -> pd.Series:
    """The first announcement at which the network reached ``size`` sites."""
    b = batches(cohorts)
    hit = b[b["cumulative_total"] >= size]
    if hit.empty:
        raise LookupError(f"the network never reached {size} sites in these data")
    return hit.iloc[0]


def as_of(cohorts: pd.DataFrame, date: str) -> pd.Series:
    """The last announcement certainly made on or before ``date``."""
    b = batches(cohorts)
    known = b[b["date_end"] <= period_end(date)]
    if known.empty:
        raise LookupError(f"no announcement on or before {date}")
    return known.iloc[-1]


def china_counts(cohorts: pd.DataFrame, measure: str = "cumulative_china") -> pd.DataFrame:
    """Every published count of China's sites, one row per batch and source (a view, not a choice)."""
    rows = cohorts[cohorts["measure"] == measure]
    cols = ["batch", "announcement_date", "scope", "value", "basis", "source_key"]
    return rows[cols].sort_values(["batch", "value", "source_key"]).reset_index(drop=True)


def _eligible(rows: pd.DataFrame, region: str) -> pd.DataFrame:
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; use one of {', '.join(REGIONS)}")
    explicit, fallback = REGIONS[region]
    stated = rows[rows["scope"] == explicit]
    return stated if len(stated) else rows[rows["scope"].isin(fallback)]


def choose(rows: pd.DataFrame, rule: str) -> pd.Series | None:
    """Apply a counting rule (see the module docstring) to one batch's rows; ``None`` if empty."""
    if rows.empty:
        return None
    if rule not in RULES:
        own = rows[rows["source_key"] == rule]
        if len(own):
            return own.iloc[0]
        rule = "modal"
    if rule == "lowest":
        value = int(rows["value"].min())
    elif rule == "highest":
        value = int(rows["value"].max())
    else:
        value = modal_count(rows["value"])
    return rows[rows["value"] == value].sort_values("source_key").iloc[0]


def china_series(cohorts: pd.DataFrame, rule: str = "modal", region: str = "mainland",
                 measure: str = "cumulative_china") -> pd.DataFrame:
    """China's count per announcement under a counting rule and a region.

    Returns batch, announcement_date, value, scope, basis, source_key (of the
    chosen value), n_sources (sources giving that value) and n_counts (all
    eligible counts for the batch). Batches with no eligible count are left
    out: a gap is not filled.
    """
    out = []
    for batch, rows in cohorts[cohorts["measure"] == measure].groupby("batch"):
        eligible = _eligible(rows, region)
        picked = choose(eligible, rule)
        if picked is None:
            continue
        out.append({"batch": int(batch), "announcement_date": picked["announcement_date"],
                    "value": int(picked["value"]), "scope": picked["scope"], "basis": picked["basis"],
                    "source_key": picked["source_key"],
                    "n_sources": int((eligible["value"] == picked["value"]).sum()),
                    "n_counts": len(eligible)})
    cols = ["batch", "announcement_date", "value", "scope", "basis", "source_key", "n_sources", "n_counts"]
    return pd.DataFrame(out, columns=cols)


def share_series(cohorts: pd.DataFrame, rule: str = "modal", region: str = "mainland") -> pd.DataFrame:
    """China's count, network size and China's share (%) per announcement where both are known."""
    b = batches(cohorts)[["batch", "announcement_date", "cumulative_total"]]
    china = china_series(cohorts, rule, region).rename(columns={"value": "china"})
    both = china.drop(columns="announcement_date").merge(b, on="batch").dropna(subset=["cumulative_total"])
    both["share_pct"] = [share_pct(c, t) for c, t in zip(both["china"], both["cumulative_total"])]
    return both[["batch", "announcement_date", "cumulative_total", "china", "share_pct",
                 "scope", "basis", "source_key", "n_sources", "n_counts"]].reset_index(drop=True)


def counts_at_batch(cohorts: pd.DataFrame, batch: int) -> pd.DataFrame:
    """Every China count published for one batch, with the share of the network each implies."""
    size = batches(cohorts).set_index("batch").loc[batch, "cumulative_total"]
    rows = china_counts(cohorts)
    rows = rows[rows["batch"] == batch].copy()
    rows["network_size"] = int(size)
    rows["share_pct"] = [share_pct(v, size) for v in rows["value"]]
    return rows.reset_index(drop=True)


def site_coverage(sites: pd.DataFrame, cohorts: pd.DataFrame, date: str,
                  china_count: int | None = None) -> dict:
    """How much of the network the partial site list covers at the announcement ``as_of(date)``.

    Returns the number of sites listed, the network size, the share listed (%),
    the number listed with a country and with an industry, and, when
    ``china_count`` is given, the listed sites in China (mainland) against it.
    """
    last = as_of(cohorts, date)
    listed = sites[sites["batch"] <= last["batch"]]
    size = int(last["cumulative_total"])
    out = {
        "batch": int(last["batch"]), "network_size": size, "listed": len(listed),
        "listed_pct": share_pct(len(listed), size),
        "with_country": int(listed["country"].notna().sum()),
        "with_industry": int(listed["industry"].notna().sum()),
        "listed_china": int((listed["country"] == "China").sum()),
    }
    if china_count:
        out["china_count"] = int(china_count)
        out["listed_china_pct"] = share_pct(out["listed_china"], china_count)
    return out


def sites_by(sites: pd.DataFrame, column: str, unknown: str = "not stated") -> pd.DataFrame:
    """Listed sites counted by ``column`` (e.g. country or industry), blanks shown as ``unknown``."""
    col = sites[column].fillna(unknown)
    out = col.value_counts().rename_axis(column).reset_index(name="sites")
    return out.sort_values(["sites", column], ascending=[False, True]).reset_index(drop=True)
