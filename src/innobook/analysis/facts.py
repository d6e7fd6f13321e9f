"""Computations for the pages that examine the article's argument part by part.

Three tables feed them (see ``data/datapackage.json``):

* ``rare_earths``: USGS and IEA figures on rare earths, one row per *edition* of the
  source. A share of world output or reserves is only defined together with the edition
  it comes from, because each edition revises earlier years and world totals; every
  function here therefore takes the edition explicitly and defaults to the latest one.
* ``hitech_provinces``: high-technology manufacturing by province (yearbook).
* ``policy_facts``: single sourced facts (laws, funds, prices) with the kind of document
  each was read in.

Pure functions over pandas data frames; nothing here reads files or publishes results.
"""

from __future__ import annotations

import pandas as pd

WORLD = "World"


class MissingFigure(LookupError):
    """The table has no value for the cell asked for (the source printed NA or was not found)."""


# --------------------------------------------------------------------------- editions
def editions(table: pd.DataFrame, publisher: str = "USGS") -> list[str]:
    """Editions of one publisher, oldest first."""
    rows = table[table["publisher"] == publisher][["edition", "edition_year"]].drop_duplicates()
    return rows.sort_values("edition_year")["edition"].tolist()


def latest_edition(table: pd.DataFrame, publisher: str = "USGS") -> str:
    """The most recent edition of ``publisher`` in the table (the default everywhere)."""
    found = editions(table, publisher)
    if not found:
        raise MissingFigure(f"no edition of {publisher} in the table")
    return found[-1]


def latest_data_year(table: pd.DataFrame, edition: str, measure: str) -> int:
    """The most recent data year an edition gives for a measure."""
    rows = table[(table["edition"] == edition) & (table["measure"] == measure)]
    if rows.empty:
        raise MissingFigure(f"{edition} has no {measure} figures in the table")
    return int(rows["data_year"].max())


def figure(table: pd.DataFrame, measure: str, country: str, *, edition: str | None = None,
           data_year: int | None = None) -> float:
    """One figure: ``measure`` for ``country`` in ``edition`` (latest by default) and ``data_year``
    (the edition's latest by default)."""
    edition = edition or latest_edition(table)
    data_year = data_year if data_year is not None else latest_data_year(table, edition, measure)
    rows = table[(table["edition"] == edition) & (table["measure"] == measure)
                 & (table["country"] == country) & (table["data_year"] == data_year)]
    if rows.empty or rows["value"].isna().all():
        raise MissingFigure(f"{edition} gives no {measure} for {country} in {data_year}")
    return float(rows["value"].iloc[0])


def share_pct(table: pd.DataFrame, measure: str, country: str, *, edition: str | None = None,
              data_year: int | None = None) -> float:
    """``country``'s share of the world total, in percent, within one edition.

    Both numerator and denominator come from the same edition and data year; a share that
    mixed editions would compare a revised figure with an unrevised total.
    """
    edition = edition or latest_edition(table)
    data_year = data_year if data_year is not None else latest_data_year(table, edition, measure)
    part = figure(table, measure, country, edition=edition, data_year=data_year)
    world = figure(table, measure, WORLD, edition=edition, data_year=data_year)
    return part / world * 100.0


def country_shares(table: pd.DataFrame, measure: str, *, edition: str | None = None,
                   data_year: int | None = None) -> pd.DataFrame:
    """Every country's value and share of the world total in one edition, largest first.

    Countries whose value is NA in the source keep a blank share. ``sum_of_countries`` in
    ``attrs`` is the total of the country rows (including 'Other'), which differs from the
    rounded world total the source prints.
    """
    edition = edition or latest_edition(table)
    data_year = data_year if data_year is not None else latest_data_year(table, edition, measure)
    rows = table[(table["edition"] == edition) & (table["measure"] == measure)
                 & (table["data_year"] == data_year)]
    world = rows.loc[rows["country"] == WORLD, "value"]
    if world.empty or world.isna().all():
        raise MissingFigure(f"{edition} gives no world total of {measure} for {data_year}")
    world_value = float(world.iloc[0])
    out = rows[rows["country"] != WORLD][["country", "value", "value_as_published", "source_kind"]].copy()
    out["share_pct"] = out["value"] / world_value * 100.0
    out = out.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
    out.attrs.update(edition=edition, data_year=data_year, world=world_value,
                     sum_of_countries=float(out["value"].sum()))
    return out


def shares_by_edition(table: pd.DataFrame, measure: str, country: str,
                      publisher: str = "USGS") -> pd.DataFrame:
    """``country``'s share of the world total in each edition that gives both figures.

    Returns one row per edition (oldest first) with the edition's latest data year, the two
    figures and the share; editions missing either figure are listed with a blank share, so
    a gap stays visible instead of disappearing.
    """
    out = []
    for edition in editions(table, publisher):
        rows = table[(table["edition"] == edition) & (table["measure"] == measure)]
        if rows.empty:
            continue
        year = int(rows["data_year"].max())
        def get(who):
            try:
                return figure(table, measure, who, edition=edition, data_year=year)
            except MissingFigure:
                return float("nan")
        part, world = get(country), get(WORLD)
        kinds = rows[rows["country"].isin([country, WORLD]) & (rows["data_year"] == year)]["source_kind"]
        out.append({"edition": edition,
                    "edition_year": int(rows["edition_year"].iloc[0]),
                    "data_year": year, "value": part, "world": world,
                    "share_pct": part / world * 100.0 if world == world and part == part else float("nan"),
                    "source_kinds": ", ".join(sorted(set(kinds)))})
    return pd.DataFrame(out)


def revisions(table: pd.DataFrame, measure: str, data_year: int, publisher: str = "USGS") -> pd.DataFrame:
    """The same data year as printed in successive editions, one column per edition.

    Only countries given by at least two editions are kept: these are the revisions.
    """
    rows = table[(table["publisher"] == publisher) & (table["measure"] == measure)
                 & (table["data_year"] == data_year)]
    wide = rows.pivot_table(index="country", columns="edition", values="value", aggfunc="first")
    wide = wide[[e for e in editions(table, publisher) if e in wide.columns]]
    return wide[wide.notna().sum(axis=1) >= 2]


def chain_shares(table: pd.DataFrame, country: str = "China", *, edition: str | None = None) -> pd.DataFrame:
    """``country``'s share at each stage of the supply chain, with the edition of each figure.

    Reserves and mining come from the chosen USGS edition (latest by default); the later
    stages (refining, separation, magnets) from the latest IEA figures in the table. The
    stages come from different bodies and years, which the ``edition`` and ``data_year``
    columns show.
    """
    edition = edition or latest_edition(table)
    out = []
    for stage, measure in (("Reserves", "reserves"), ("Mine production", "mine_production")):
        year = latest_data_year(table, edition, measure)
        out.append({"stage": stage, "share_pct": share_pct(table, measure, country, edition=edition,
                                                           data_year=year),
                    "edition": edition, "data_year": year})
    iea = table[(table["publisher"] == "IEA") & (table["country"] == country)
                & table["measure"].isin(["refined_output_share", "separation_share", "magnet_production_share"])]
    labels = {"refined_output_share": "Refining", "separation_share": "Separation",
              "magnet_production_share": "Magnet production"}
    for measure, label in labels.items():
        rows = iea[iea["measure"] == measure].sort_values(["edition_year", "data_year"])
        if rows.empty:
            continue
        last = rows.iloc[-1]
        out.append({"stage": label, "share_pct": float(last["value"]), "edition": last["edition"],
                    "data_year": int(last["data_year"])})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- provinces
NATIONAL = "全国"


def province_panel(hitech: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Year by province table of one indicator (provinces only, the national row left out)."""
    rows = hitech[(hitech["indicator"] == indicator) & (hitech["province"] != NATIONAL)]
    return rows.pivot_table(index="year", columns="province", values="value", aggfunc="first").sort_index()


def national_series(hitech: pd.DataFrame, indicator: str) -> pd.Series:
    """The national row of one indicator, indexed by year."""
    rows = hitech[(hitech["indicator"] == indicator) & (hitech["province"] == NATIONAL)]
    return rows.set_index("year")["value"].sort_index().astype(float)


def province_growth(hitech: pd.DataFrame, indicator: str, start: int, end: int) -> pd.DataFrame:
    """Each province's level in ``start`` and ``end``, its growth multiple, compound annual
    growth and share of the national total in ``end``; largest in ``end`` first."""
    if end <= start:
        raise ValueError("end must come after start")
    panel = province_panel(hitech, indicator)
    for y in (start, end):
        if y not in panel.index:
            raise MissingFigure(f"{indicator} has no provincial figures for {y}")
    national = national_series(hitech, indicator)
    out = pd.DataFrame({"start": panel.loc[start], "end": panel.loc[end]})
    out["multiple"] = out["end"] / out["start"]
    out["cagr_pct"] = (out["multiple"] ** (1.0 / (end - start)) - 1.0) * 100.0
    out["share_of_national_pct"] = out["end"] / float(national.loc[end]) * 100.0
    out = out.sort_values("end", ascending=False)
    out["rank"] = range(1, len(out) + 1)
    return out


def top_share_pct(hitech: pd.DataFrame, indicator: str, year: int, n: int) -> float:
    """Share of the national total held by the ``n`` largest provinces in ``year``."""
    panel = province_panel(hitech, indicator)
    if year not in panel.index:
        raise MissingFigure(f"{indicator} has no provincial figures for {year}")
    row = panel.loc[year].sort_values(ascending=False)
    return float(row.iloc[:n].sum() / national_series(hitech, indicator).loc[year] * 100.0)


def margin_pct(hitech: pd.DataFrame, province: str = NATIONAL) -> pd.Series:
    """Total profits over main-business revenue, in percent, by year (years with both)."""
    rows = hitech[hitech["province"] == province]
    wide = rows.pivot_table(index="year", columns="indicator", values="value", aggfunc="first")
    both = wide[["total_profits", "main_business_revenue"]].dropna()
    return (both["total_profits"] / both["main_business_revenue"] * 100.0).rename("margin_pct")


# --------------------------------------------------------------------------- facts
def fact(facts: pd.DataFrame, fact_id: str) -> float:
    """The value of one sourced fact."""
    rows = facts[facts["id"] == fact_id]
    if rows.empty:
        raise MissingFigure(f"no fact {fact_id!r} in policy_facts")
    return float(rows["value"].iloc[0])


def topic_facts(facts: pd.DataFrame, topics) -> pd.DataFrame:
    """The facts of some topics, in table order."""
    topics = [topics] if isinstance(topics, str) else list(topics)
    unknown = set(topics) - set(facts["topic"])
    if unknown:
        raise MissingFigure(f"no facts for topic(s) {sorted(unknown)}")
    return facts[facts["topic"].isin(topics)]


OFFICIAL_KINDS = ("official", "official_reprint")


def source_kind_table(facts: pd.DataFrame) -> pd.DataFrame:
    """Count of facts by topic and source kind, with the share resting on official documents
    (read on the publisher's own page or in a reprint of the official text)."""
    counts = facts.pivot_table(index="topic", columns="source_kind", values="id", aggfunc="count", fill_value=0)
    counts["total"] = counts.sum(axis=1)
    official = counts[[k for k in OFFICIAL_KINDS if k in counts.columns]].sum(axis=1)
    counts["official_share_pct"] = official / counts["total"] * 100.0
    return counts.sort_values("official_share_pct")
