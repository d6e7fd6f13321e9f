"""Provenance and ledger checks on the committed data package (no corruption here)."""

from __future__ import annotations

import json
import pathlib
import re

import pandas as pd
import pytest

from innobook import data as D

REPO = pathlib.Path(__file__).resolve().parents[1]
PKG = json.loads((REPO / "data" / "datapackage.json").read_text(encoding="utf-8"))
BIB = (REPO / "book" / "bib" / "data_sources.bib").read_text(encoding="utf-8")
BIB_KEYS = re.findall(r"^@\w+\{([^,]+),", BIB, flags=re.M)


def test_bib_keys_are_ascii_and_unique():
    assert BIB_KEYS and len(BIB_KEYS) == len(set(BIB_KEYS))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in BIB_KEYS)


def test_every_source_has_a_bib_entry_and_metadata():
    for res in PKG["resources"]:
        assert res.get("sources"), res["name"]
        assert res.get("licenses") and res.get("title") and res.get("description") and res.get("vintage_note")
        for s in res["sources"]:
            assert s["bibkey"] in BIB_KEYS, (res["name"], s["bibkey"])
            assert s.get("title")


def test_every_field_has_unit_and_description():
    for res in PKG["resources"]:
        for f in res["schema"]["fields"]:
            assert "unit" in f and f.get("description"), (res["name"], f["name"])


def test_row_source_keys_are_in_the_bibliography():
    for name in ("rnd_national", "rnd_intensity_international", "rnd_basic_share_international",
                 "lighthouse_cohorts", "lighthouse_sites", "city_indicators", "province_rnd"):
        keys = set(D.load(name).source_key)
        assert keys <= set(BIB_KEYS), (name, keys - set(BIB_KEYS))


def test_read_at_is_never_the_official_url():
    for name in ("rnd_national", "rnd_intensity_international", "city_indicators", "province_rnd", "lighthouse_cohorts"):
        df = D.load(name)
        both = df.dropna(subset=["official_url", "read_at_url"])
        assert (both.official_url != both.read_at_url).all(), name


def test_disagreeing_sources_are_both_kept():
    lh = D.load("lighthouse_cohorts")
    at189 = lh[(lh.batch == lh.loc[(lh.measure == "cumulative_total") & (lh.value == 189), "batch"].iloc[0])
               & (lh.measure == "cumulative_china")]
    assert {79, 82}.issubset(set(at189.value))
    rnd = D.load("rnd_national")
    amounts = rnd[(rnd.year == 2024) & (rnd.indicator == "rd_expenditure")]
    assert set(amounts.value) == {36130.0, 36326.8}
    assert set(amounts.vintage) == {"preliminary", "final"}


def test_claims_ledger_shape():
    c = D.load("claims")
    assert len(c) >= 40 and c.id.is_unique
    computed = c[c.result_key.notna()]
    assert len(computed) >= 10
    assert computed.checked_value.isna().all()  # computed checks leave checked_value blank
    assert not c.note.fillna("").str.contains("To be confirmed").any()  # no placeholders left for readers
    assert set(c.verdict) <= {"supported", "partly supported", "differs", "unverified", "not checkable"}
    # the two headline disagreements are recorded as such
    assert (c[c.term_zh.str.contains("82家")].verdict == "differs").all()
    assert (c[c.term_zh.str.contains("稳居世界第二")].verdict == "differs").all()


MACHINE_PATH = re.compile(r"""(?:^|[\s"'(=])/(?:work|tmp|home|Users|root)/|[A-Z]:\\""", re.M)


@pytest.mark.parametrize("path", sorted(p.relative_to(REPO).as_posix() for p in (REPO / "data").rglob("*")
                                        if p.is_file() and p.suffix in {".csv", ".json"} and p.name != "instinnovation.csv")
                         + ["book/bib/data_sources.bib"])
def test_no_machine_paths(path):
    text = (REPO / path).read_text(encoding="utf-8")
    assert not MACHINE_PATH.search(text), path
