"""The claims ledger: rules, computed verdicts, and the offline table."""

from __future__ import annotations

import pandas as pd
import pytest

from innobook.analysis import claims


@pytest.mark.parametrize("rule, value, holds", [
    ("at_least 36000", 36130.0, True), ("at_least 36000", 35999.9, False),
    ("greater_than 40", 41.8, True), ("greater_than 40", 40.0, False),
    ("less_than 93.3", 77.7, True), ("less_than 93.3", 93.3, False),
    ("equals 2.68", 2.68, True), ("equals 82", 79, False),
    ("rounds_to 48", 48.1157, True), ("rounds_to 48", 48.9224, False),
    ("rounds_to 93.3", 93.26, True), ("rounds_to 56", 55.8, True),
    ("on_or_before 2024-12-31", "2025-01-14", False), ("on_or_before 2024-12-31", "2024-10-08", True),
    ("on_or_before 2024-12-31", "2024-12", True), ("on_or_before 2024-12-31", "2025", False),
])
def test_rules(rule, value, holds):
    assert claims.Rule.parse(rule).holds(value) is holds


@pytest.mark.parametrize("bad", ["bigger 3", "equals", "", "at_least"])
def test_bad_rules_are_refused(bad):
    with pytest.raises(ValueError, match="expected"):
        claims.Rule.parse(bad)


def _ledger(rows):
    base = {"section": "Test", "claim_en": "A claim.", "term_zh": "术语", "stated_unit": "%",
            "checked_value": "", "checked_unit": "%", "source": "zlcs2025fyp", "method": "m", "note": ""}
    return pd.DataFrame([{**base, **r} for r in rows])


@claims.check("testchapter.value_fifty")
def _fifty():
    return 50.0


@claims.check("testchapter.missing")
def _missing():
    return None


def test_evaluate_derives_verdicts_from_rules_and_keeps_read_checks():
    ledger = _ledger([
        {"id": "C01", "stated_value": "50", "result_key": "testchapter.value_fifty", "rule": "equals 50",
         "verdict": "supported"},
        {"id": "C02", "stated_value": "60", "result_key": "testchapter.value_fifty", "rule": "equals 60",
         "verdict": "supported"},
        {"id": "C03", "stated_value": "1", "result_key": "testchapter.missing", "rule": "equals 1",
         "verdict": "unverified"},
        {"id": "C04", "stated_value": "7", "result_key": "", "rule": "", "checked_value": "7",
         "verdict": "supported"},
    ])
    out = claims.evaluate(ledger).set_index("id")
    assert out.loc["C01", "verdict"] == "supported" and out.loc["C01", "checked_value"] == "50"
    assert out.loc["C02", "verdict"] == "differs"
    assert out.loc["C03", "verdict"] == "unverified"
    assert out.loc["C04", "verdict"] == "supported" and not out.loc["C04", "computed"]
    stale = claims.disagreements(out.reset_index())
    assert list(stale["id"]) == ["C02"], "a computed verdict that contradicts the recorded one is flagged"
    assert claims.verdict_counts(out) == {"supported": 2, "partly supported": 0, "differs": 1,
                                          "unverified": 1, "not checkable": 0}


def test_unknown_result_key_is_an_error():
    with pytest.raises(KeyError, match="no computation registered"):
        claims.compute("nochapter.nothing")


def test_table_is_searchable_offline_and_escapes_text():
    ledger = _ledger([{"id": "C09", "stated_value": "<b>9</b>", "result_key": "", "rule": "",
                       "verdict": "differs", "claim_en": "Tags & ampersands <script>"}])
    page = claims.table_html(claims.evaluate(ledger), {"Test": "chapter.html"})
    assert 'id="claims-search"' in page and 'id="claims-verdict"' in page and 'id="claims-section"' in page
    assert "&lt;script&gt;" in page and "<b>9</b>" not in page
    assert 'data-verdict="differs"' in page and 'href="chapter.html"' in page
    assert "http" not in page, "the table loads nothing from anywhere"


def test_every_computed_claim_has_a_computation_and_agrees_with_its_chapter():
    """The ledger and the chapters compute the same numbers: compare with tests/expected/."""
    import json
    from pathlib import Path

    from innobook.analysis import claims as _registered  # noqa: F401  (registers the computations)
    from innobook.data import load

    expected_dir = Path(__file__).parent / "expected"
    ledger = load("claims")
    keys = sorted({k for k in ledger["result_key"].dropna() if k})
    assert keys, "the ledger has computed claims"
    for key in keys:
        chapter, name = key.split(".")
        value = claims.compute(key)
        expected = json.loads((expected_dir / f"{_chapter_run(chapter, name)}.json").read_text())
        assert name in expected, f"chapter {chapter} does not record {name}"
        if isinstance(value, float):
            assert value == pytest.approx(expected[name], rel=1e-9), key
        else:
            assert value == expected[name], key


def _chapter_run(chapter: str, name: str) -> str:
    """The run that records a key: city keys live in that city's profile run."""
    if chapter == "cities":
        return "city_" + name.split("_")[0]
    return chapter


def test_recorded_verdicts_agree_with_the_data():
    from innobook.analysis import claims as _registered  # noqa: F401
    from innobook.data import load

    evaluated = claims.evaluate(load("claims"))
    assert claims.disagreements(evaluated).empty
    assert evaluated["computed"].sum() == evaluated["rule"].fillna("").ne("").sum()


def test_a_weak_source_caps_a_computed_verdict():
    ledger = _ledger([
        {"id": "C01", "stated_value": "50", "result_key": "testchapter.value_fifty", "rule": "equals 50",
         "verdict": "partly supported", "max_verdict": "partly supported"},
        {"id": "C02", "stated_value": "60", "result_key": "testchapter.value_fifty", "rule": "equals 60",
         "verdict": "differs", "max_verdict": "partly supported"},
    ])
    out = claims.evaluate(ledger).set_index("id")
    assert out.loc["C01", "verdict"] == "partly supported", "a rule that holds on a weak source is capped"
    assert out.loc["C02", "verdict"] == "differs", "a cap never turns evidence against into support"
    bad = _ledger([{"id": "C03", "stated_value": "50", "result_key": "testchapter.value_fifty",
                    "rule": "equals 50", "verdict": "supported", "max_verdict": "differs"}])
    with pytest.raises(ValueError, match="max_verdict"):
        claims.evaluate(bad)


def test_lists_and_tables_never_show_nan():
    ledger = _ledger([{"id": "C05", "stated_value": float("nan"), "stated_unit": float("nan"),
                       "checked_value": float("nan"), "checked_unit": float("nan"), "result_key": "",
                       "rule": "", "verdict": "differs", "note": float("nan")}])
    evaluated = claims.evaluate(ledger)
    text = claims.differences_md(evaluated)
    assert "nan" not in text and "gives no figure" in text and "nothing comparable" in text
    page = claims.table_html(evaluated)
    assert ">nan<" not in page and "no figure" in page and "not found" in page


def test_ledger_rows_link_to_their_argument_map_entries():
    ledger = _ledger([{"id": "C07", "stated_value": "7", "result_key": "", "rule": "", "checked_value": "7",
                       "verdict": "supported", "map_ids": "A03; A05"}])
    evaluated = claims.evaluate(ledger)
    page = claims.table_html(evaluated)
    assert 'href="argument_map.html#map-a03"' in page and 'href="argument_map.html#map-a05"' in page
    box = claims.chapter_box(ledger, "Test")
    assert 'href="argument_map.html#map-a05"' in box and 'href="claims.html#claim-C07"' in box


def test_differs_is_kept_for_evidence_against_a_claim():
    """A 'differs' verdict needs a record that contradicts the claim: a checked value or a computation.
    A quotation or figure that simply was not found is 'unverified'."""
    from innobook.data import load

    ledger = load("claims")
    differs = ledger[ledger["verdict"] == "differs"]
    assert len(differs), "the ledger has claims that differ"
    no_evidence = differs[differs["checked_value"].fillna("").eq("") & differs["result_key"].fillna("").eq("")]
    assert no_evidence.empty, f"'differs' without a contradicting record: {list(no_evidence['id'])}"


def test_source_tiers_rank_official_reads_above_reprints_and_secondary_pages():
    from innobook.analysis.claims import sources

    assert sources.tier("official", "original") == sources.tier("official", "saved copy") == sources.TIERS[0]
    assert sources.tier("official", "reprint") == sources.tier("official", "report") == sources.TIERS[1]
    assert sources.tier("organisation", "reprint") == sources.TIERS[2]
    assert sources.tier("other", "original") == sources.tier("press", "original") == sources.TIERS[3]
    with pytest.raises(ValueError, match="publisher_kind"):
        sources.tier("government", "original")
    package = [{"name": "r1", "sources": [{"bibkey": "a", "publisher": "NBS"}, {"bibkey": "b", "publisher": "Blog"}]},
               {"name": "r2", "sources": [{"bibkey": "a", "publisher": "NBS"}, {"bibkey": "c", "publisher": "New"}]}]
    kinds = pd.DataFrame({"bibkey": ["a", "b"], "publisher_kind": ["official", "other"],
                          "read_as": ["reprint", "original"], "note": ["", ""]})
    classified = sources.classify(sources.package_sources(package), kinds)
    assert list(classified["bibkey"]) == ["a", "b", "c"]
    assert classified.set_index("bibkey").loc["a", "resources"] == "r1; r2"
    census = sources.census(classified)
    assert census.total == 3 and census.official == 1 and census.official_at_source == 0
    assert census.unclassified == ["c"], "a source nobody judged is reported, not guessed"
    assert "1 recently added source has not been classified" in census.sentence()
    ledger = _ledger([{"id": "C01", "source": "a; b", "verdict": "supported"},
                      {"id": "C02", "source": "b; some_resource", "verdict": "differs"},
                      {"id": "C03", "source": "", "verdict": "unverified"}])
    tiers = sources.claim_tiers(ledger, classified)
    assert list(tiers) == [sources.TIERS[1], sources.TIERS[3], sources.NO_SOURCE]
    table = sources.verdicts_by_tier(ledger, tiers, claims.VERDICTS)
    assert table.loc[sources.TIERS[1], "supported"] == 1 and table["all"].sum() == 3


def test_every_source_in_the_data_package_is_judged_once():
    """source_kinds.csv judges real sources only; sources added since are counted as not classified."""
    from innobook.analysis.claims import sources
    from innobook.data import load, resource_meta, resource_names

    kinds = load("source_kinds")
    package = sources.package_sources(resource_meta(n) for n in resource_names())
    stray = set(kinds["bibkey"]) - set(package["bibkey"])
    assert not stray, f"source_kinds.csv judges sources the data package does not cite: {sorted(stray)}"
    census = sources.census(sources.classify(package, kinds))
    assert census.total == len(package) and census.official + census.non_official + len(census.unclassified) == census.total
