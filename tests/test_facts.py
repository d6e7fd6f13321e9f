"""The data/facts family: rare earths by edition, high-tech industry by province, sourced facts."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest
import yaml

from innobook import data as D
from innobook.analysis import facts as F

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rare():
    return D.load("rare_earths")


@pytest.fixture(scope="module")
def hitech():
    return D.load("hitech_provinces")


@pytest.fixture(scope="module")
def pf():
    return D.load("policy_facts")


def test_the_family_loads_and_validates():
    for name in ("rare_earths", "hitech_provinces", "policy_facts"):
        D.validate(name)
        assert len(D.load(name)) > 0
        meta = D.resource_meta(name)
        assert meta["path"][0].startswith("facts/")
        assert meta["bibkeys"] and meta["vintage_note"]


def test_edition_column_present_and_each_figure_tied_to_one_edition(rare):
    assert {"edition", "edition_year", "data_year"} <= set(rare.columns)
    # one value per edition, measure, data year and country (the primary key)
    assert not rare.duplicated(["edition", "measure", "data_year", "country"]).any()
    # an edition has a single publication year
    assert (rare.groupby("edition")["edition_year"].nunique() == 1).all()


def test_latest_edition_is_the_default(rare):
    latest = F.latest_edition(rare)
    assert latest == "USGS MCS 2025"
    assert latest == rare.loc[rare.publisher == "USGS"].sort_values("edition_year")["edition"].iloc[-1]
    # the default share is the latest edition's, and differs from an older edition's
    assert F.share_pct(rare, "reserves", "China") == F.share_pct(rare, "reserves", "China", edition=latest)
    assert F.share_pct(rare, "reserves", "China") != F.share_pct(rare, "reserves", "China", edition="USGS MCS 2022")
    # the notebook's declared default edition is the latest one in the data
    declared = yaml.safe_load((REPO / "notebooks" / "rare_earths.params.yml").read_text(encoding="utf-8"))
    assert declared["parameters"]["edition"]["default"] == latest
    assert set(declared["parameters"]["edition"]["choices"]) == set(F.editions(rare))


def test_share_equals_hand_computation(rare):
    # MCS 2025: China's reserves 44,000,000 t of a world total of more than 90,000,000 t
    assert F.share_pct(rare, "reserves", "China") == pytest.approx(44_000_000 / 90_000_000 * 100)
    # MCS 2025: China mined 270,000 t of 390,000 t in 2024
    assert F.share_pct(rare, "mine_production", "China") == pytest.approx(270_000 / 390_000 * 100)
    # MCS 2021: Mountain Pass 38,000 of 240,000 t in 2020: the article's 15.8%
    assert round(F.share_pct(rare, "mine_production", "United States", edition="USGS MCS 2021"), 1) == 15.8
    # MCS 2022: 44 of 120 million t, the article's "one third"
    assert F.share_pct(rare, "reserves", "China", edition="USGS MCS 2022") == pytest.approx(44 / 120 * 100)


def test_shares_never_mix_editions(rare):
    # 2023 is printed by MCS 2024 and (revised) by MCS 2025: each edition's share uses its own total
    s24 = F.share_pct(rare, "mine_production", "China", edition="USGS MCS 2024", data_year=2023)
    s25 = F.share_pct(rare, "mine_production", "China", edition="USGS MCS 2025", data_year=2023)
    assert s24 == pytest.approx(240_000 / 350_000 * 100)
    assert s25 == pytest.approx(255_000 / 376_000 * 100)
    rev = F.revisions(rare, "mine_production", 2023)
    assert rev.loc["China", "USGS MCS 2024"] == 240_000 and rev.loc["China", "USGS MCS 2025"] == 255_000


def test_a_missing_figure_is_an_error_and_a_visible_gap(rare):
    with pytest.raises(F.MissingFigure):
        F.figure(rare, "reserves", "Burma (Myanmar)")  # NA in MCS 2025
    by_edition = F.shares_by_edition(rare, "reserves", "China")
    row = by_edition.set_index("edition").loc["USGS MCS 2021"]
    assert pd.isna(row["share_pct"]) and row["value"] == 44_000_000  # world total not found: no share


def test_country_shares_keep_na_and_report_the_sum(rare):
    shares = F.country_shares(rare, "reserves")
    assert shares["country"].iloc[0] == "China"
    assert shares.attrs["world"] == 90_000_000
    assert shares.attrs["sum_of_countries"] > shares.attrs["world"]
    assert shares.loc[shares.country == "Burma (Myanmar)", "share_pct"].isna().all()


def test_chain_shares_name_their_sources(rare):
    chain = F.chain_shares(rare)
    assert list(chain["stage"])[:2] == ["Reserves", "Mine production"]
    assert set(chain.loc[chain.stage.isin(["Refining", "Separation", "Magnet production"]), "edition"]) <= set(
        F.editions(rare, "IEA"))
    assert (chain["share_pct"].between(0, 100)).all()


def test_provinces_sum_to_the_national_row(hitech):
    panel = F.province_panel(hitech, "rnd_personnel_fte")
    national = F.national_series(hitech, "rnd_personnel_fte")
    gap = (panel.sum(axis=1) - national).abs() / national
    assert (gap < 1e-4).all()
    assert panel.shape[1] == 31


def test_province_growth_and_concentration(hitech):
    g = F.province_growth(hitech, "rnd_personnel_fte", 2016, 2023)
    anhui = g.loc["安徽"]
    assert anhui["multiple"] == pytest.approx(45010 / 19257.5)
    assert anhui["cagr_pct"] == pytest.approx(((45010 / 19257.5) ** (1 / 7) - 1) * 100)
    assert g["rank"].tolist() == list(range(1, 32))
    top3 = F.top_share_pct(hitech, "rnd_personnel_fte", 2023, 3)
    assert top3 == pytest.approx((423227 + 214940 + 145681) / 1397796 * 100)
    with pytest.raises(ValueError):
        F.province_growth(hitech, "rnd_personnel_fte", 2023, 2016)
    with pytest.raises(F.MissingFigure):
        F.province_growth(hitech, "main_business_revenue", 2017, 2023)  # 2017 missing in the compilation


def test_margin_is_profits_over_revenue(hitech):
    m = F.margin_pct(hitech)
    assert 2017 not in m.index
    assert m.loc[2021] == pytest.approx(18435 / 209896 * 100)


def test_policy_facts_lookup_and_source_kinds(pf):
    assert F.fact(pf, "outline_rd_growth_target") == 7
    with pytest.raises(F.MissingFigure):
        F.fact(pf, "no_such_fact")
    table = F.source_kind_table(pf)
    assert (table["total"] == pf.groupby("topic").size().reindex(table.index)).all()
    assert table["official_share_pct"].between(0, 100).all()
    # the two sources that disagree on the NSF technology directorate are both kept
    assert {F.fact(pf, "chips_tip_ace"), F.fact(pf, "chips_tip_aip")} == {20.0, 16.3}


def test_corrupted_rare_earth_row_is_refused(tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "book"
    (root / "data" / "facts").mkdir(parents=True)
    shutil.copy(REPO / "data" / "datapackage.json", root / "data" / "datapackage.json")
    for p in (REPO / "data").rglob("*.csv"):
        dest = root / "data" / p.relative_to(REPO / "data")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    path = root / "data" / "facts" / "rare_earths.csv"
    text = path.read_text(encoding="utf-8")
    # a share above 100% and a production figure in the wrong unit
    text = text.replace("refined_output_share,China,92,92%", "refined_output_share,China,192,92%", 1)
    text = text.replace("mine_production,China,270000,\"270,000\",t REO", "mine_production,China,270000,\"270,000\",% of world", 1)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("INNOBOOK_ROOT", str(root))
    with pytest.raises(D.DataValidationError) as err:
        D.validate("rare_earths")
    rules = {p.rule for p in err.value.problems}
    assert any(r.startswith("percent-range") for r in rules)
    assert any(r.startswith("unit-by-indicator: mine_production") for r in rules)
    assert all(p.file == "data/facts/rare_earths.csv" for p in err.value.problems)
