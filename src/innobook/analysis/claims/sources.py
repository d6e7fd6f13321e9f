"""How strong are the book's sources? A census of the data package's sources by kind.

Every source in ``data/datapackage.json`` is judged once, in ``data/claims/source_kinds.csv``,
on two counts:

``publisher_kind``  who published the document: ``official`` (a government body, statistical
                    office, legislature or intergovernmental organisation), ``organisation`` (a
                    company, industry body, research firm or prize committee speaking of its own
                    work), ``research`` (a scholarly paper or data set), ``press`` (a newspaper,
                    news agency or trade publication) or ``other`` (blogs, forums, encyclopedias,
                    pages whose author is unknown);
``read_as``         what was actually read: ``original`` (the publisher's own page), ``saved
                    copy`` (an archived copy of that page or file), ``reprint`` (the text or table
                    reproduced on another site), ``report`` (a news report or summary quoting it)
                    or ``not recorded``.

The two combine into a *tier*, from strongest to weakest (:data:`TIERS`). The census counts
distinct sources (bibliography keys) by tier; a claim of the ledger takes the tier of the
strongest source it cites. Sources added to the data package after the last judgement are
counted as ``not classified`` rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pandas as pd

__all__ = ["PUBLISHER_KINDS", "READ_AS", "TIERS", "tier", "package_sources", "classify",
           "Census", "census", "claim_tiers", "verdicts_by_tier"]

PUBLISHER_KINDS = ("official", "organisation", "research", "press", "other")
READ_AS = ("original", "saved copy", "reprint", "report", "not recorded")
TIERS = (
    "official, read at source",
    "official, read in a reprint or report",
    "organisation or research",
    "press or other secondary",
    "not classified",
)
NO_SOURCE = "no source"


def tier(publisher_kind: str, read_as: str) -> str:
    """The tier of one source from who published it and what was read."""
    if publisher_kind not in PUBLISHER_KINDS:
        raise ValueError(f"publisher_kind {publisher_kind!r}: expected one of {', '.join(PUBLISHER_KINDS)}")
    if read_as not in READ_AS:
        raise ValueError(f"read_as {read_as!r}: expected one of {', '.join(READ_AS)}")
    if publisher_kind == "official":
        return TIERS[0] if read_as in ("original", "saved copy") else TIERS[1]
    if publisher_kind in ("organisation", "research"):
        return TIERS[2]
    return TIERS[3]


def package_sources(resources: Iterable[dict]) -> pd.DataFrame:
    """Distinct sources of the data package (one row per bibliography key).

    ``resources`` are resource descriptions as :func:`innobook.data.resource_meta` returns
    them (each with ``name`` and ``sources``). Columns: bibkey, publisher, title, resources
    (the resources citing it, '; '-separated).
    """
    rows: dict[str, dict] = {}
    for res in resources:
        for src in res.get("sources", []):
            key = src.get("bibkey")
            if not key:
                continue
            row = rows.setdefault(key, {"bibkey": key, "publisher": src.get("publisher", ""),
                                        "title": src.get("title", ""), "resources": []})
            if res["name"] not in row["resources"]:
                row["resources"].append(res["name"])
    out = pd.DataFrame(list(rows.values()), columns=["bibkey", "publisher", "title", "resources"])
    out["resources"] = out["resources"].map(lambda names: "; ".join(names))
    return out.sort_values("bibkey").reset_index(drop=True)


def classify(sources: pd.DataFrame, kinds: pd.DataFrame) -> pd.DataFrame:
    """Add ``publisher_kind``, ``read_as`` and ``tier`` to ``sources`` from the judgement table."""
    judged = kinds.set_index("bibkey")[["publisher_kind", "read_as"]]
    out = sources.join(judged, on="bibkey")
    out["tier"] = [tier(p, r) if isinstance(p, str) and isinstance(r, str) else TIERS[-1]
                   for p, r in zip(out["publisher_kind"], out["read_as"])]
    return out


@dataclass
class Census:
    """Distinct sources by tier, and the sources not yet judged."""

    total: int
    by_tier: dict[str, int]
    unclassified: list[str] = field(default_factory=list)

    @property
    def official(self) -> int:
        return self.by_tier[TIERS[0]] + self.by_tier[TIERS[1]]

    @property
    def official_at_source(self) -> int:
        return self.by_tier[TIERS[0]]

    @property
    def official_reprinted(self) -> int:
        return self.by_tier[TIERS[1]]

    @property
    def non_official(self) -> int:
        return self.by_tier[TIERS[2]] + self.by_tier[TIERS[3]]

    def pct(self, n: int) -> float:
        return 100.0 * n / self.total if self.total else 0.0

    def sentence(self) -> str:
        """The census in one or two plain sentences (no formatting)."""
        text = (f"Of the {self.total} sources behind the book's data, {self.official} are official "
                f"publications, but only {self.official_at_source} of them were read at the publisher's "
                f"own address or in a saved copy of it; the other {self.official_reprinted} were read in "
                f"reprints or in news reports that quote them. The remaining "
                f"{self.by_tier[TIERS[2]]} come from organisations and researchers speaking of their own "
                f"work and {self.by_tier[TIERS[3]]} from the press or other secondary pages.")
        if self.unclassified:
            text += (f" {len(self.unclassified)} recently added source"
                     f"{'s have' if len(self.unclassified) != 1 else ' has'} not been classified yet.")
        return text


def census(classified: pd.DataFrame) -> Census:
    """Count the classified sources by tier."""
    counts = classified["tier"].value_counts()
    by_tier = {t: int(counts.get(t, 0)) for t in TIERS}
    unclassified = sorted(classified.loc[classified["tier"] == TIERS[-1], "bibkey"])
    return Census(total=len(classified), by_tier=by_tier, unclassified=unclassified)


def _keys(source_field) -> list[str]:
    if not isinstance(source_field, str):
        return []
    return [k.strip() for k in source_field.split(";") if k.strip()]


def claim_tiers(ledger: pd.DataFrame, classified: pd.DataFrame) -> pd.Series:
    """For each claim, the tier of the strongest source it cites (``no source`` when it cites none).

    Names in the ``source`` column that are data resources rather than sources are skipped:
    the ledger lists the specific documents behind each claim beside them.
    """
    rank = {t: i for i, t in enumerate(TIERS)}
    tiers = classified.set_index("bibkey")["tier"].to_dict()

    def best(field_value) -> str:
        found = [tiers[k] for k in _keys(field_value) if k in tiers]
        return min(found, key=rank.__getitem__) if found else NO_SOURCE

    return ledger["source"].map(best).rename("source_tier")


def verdicts_by_tier(evaluated: pd.DataFrame, tiers: pd.Series, verdicts: Iterable[str]) -> pd.DataFrame:
    """A table of claims: one row per source tier (strongest first), one column per verdict."""
    order = [t for t in (*TIERS, NO_SOURCE) if t in set(tiers)]
    table = pd.crosstab(tiers.values, evaluated["verdict"].values).reindex(
        index=order, columns=list(verdicts), fill_value=0)
    table.index.name = "strongest source"
    table.columns.name = None
    table["all"] = table.sum(axis=1)
    return table
