"""The city and province functions behind the three city profiles and the provincial view."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from innobook.analysis import cities
from innobook import data as D
from innobook.analysis import rnd as growth


def _frame(rows):
    cols = ["city", "year", "indicator", "value", "value_as_published", "unit", "source_key",
            "source_title", "source_date"]
    return pd.DataFrame(rows, columns=cols)


@pytest.fixture(scope="module")
def table():
    return D.load("city_indicators")


@pytest.fixture(scope="module")
def national_intensity():
    return growth.series(D.load("rnd_national"), "rd_intensity", "final")


def test_money_units_are_converted_not_estimated():
    assert cities.to_100m_yuan(168.2, "billion yuan (as published)") == pytest.approx(1682.0)
    assert cities.to_100m_yuan(3.68, "trillion yuan (rounded as published)") == pytest.approx(36800.0)
    assert cities.to_100m_yuan(2236.61, "100m yuan") == 2236.61
    with pytest.raises(ValueError, match="unknown money unit"):
        cities.to_100m_yuan(1.0, "million dollars")


def test_precise_figure_beats_rounded_headline_then_newest_document():
    df = _frame([
        ["X", 2024, "gdp", 3.7, "3.7", "trillion yuan (rounded as published)", "a", "A", "2025-12-01"],
        ["X", 2024, "gdp", 36812.5, "36812.5", "100m yuan", "b", "B", "2025-03-01"],
        ["X", 2023, "gdp", 3.4, "3.4", "trillion yuan (rounded as published)", "c", "C", "2024-01-01"],
        ["X", 2023, "gdp", 3.5, "3.5", "trillion yuan (rounded as published)", "d", "D", "2025-01-01"],
    ])
    s = cities.series(df, "X", "gdp")
    assert s.loc[2024] == 36812.5            # the communiqué figure, not the later headline
    assert s.loc[2023] == pytest.approx(35000.0)  # same precision: the newer document
    assert [k for _, k in cities.source_pairs(df, "X", ["gdp"])] == ["d", "b"]


def test_phrases_are_kept_but_never_become_numbers(table):
    p = cities.phrases(table, "Shenzhen")
    assert "above 93" in set(p.value_as_published)
    share = cities.enterprise_share_series(table, "Shenzhen")
    assert 2024 not in share.index          # "above 93" is not turned into 93


def test_shenzhen_figures_match_the_ledger(table):
    prof = cities.profile(table, "Shenzhen")
    assert prof["rnd_intensity_2023_pct"] == 6.46
    assert (prof["rnd_intensity_latest_year"], prof["rnd_intensity_latest_pct"]) == (2024, 6.67)
    assert prof["enterprise_rnd_share_2023_pct"] == pytest.approx(2085.78 / 2236.61 * 100)
    assert cities.consistent_at_precision("93.3", prof["enterprise_rnd_share_2023_pct"])
    share = cities.enterprise_share_series(table, "Shenzhen")
    assert share.loc[2021, "published_pct"] == 94.0
    assert share.loc[2021, "computed_pct"] == pytest.approx(158.2 / 168.2 * 100)


def test_gaps_stay_none_and_keys_are_the_same_for_every_city(table):
    profiles = {c: cities.profile(table, c) for c in cities.PROVINCE_OF}
    keysets = {frozenset(p) for p in profiles.values()}
    assert len(keysets) == 1
    assert profiles["Shenyang"]["rnd_intensity_2023_pct"] is None
    assert profiles["Shenyang"]["enterprise_rnd_share_latest_pct"] is None
    assert profiles["Hefei"]["sei_share_latest_pct"] == 55.8
    assert profiles["Hefei"]["sei_share_latest_year"] == 2024
    for c, p in profiles.items():
        led = cities.ledger_keys(c, p)
        assert set(led) == {f"{c.lower()}_{k}" for k in ("rnd_intensity_2023_pct", "rnd_intensity_latest_pct",
                                                        "enterprise_rnd_share_2023_pct", "sei_share_latest_pct")}
    assert cities.ledger_keys("Hefei", profiles["Hefei"])["hefei_sei_share_latest_pct"] == 55.8


def test_at_never_interpolates(table):
    s = cities.series(table, "Shenzhen", "rnd_intensity")
    assert cities.at(s, 2022) is None        # 2021 and 2023 are known, 2022 is not
    assert cities.latest(pd.Series(dtype=float)) == (None, None)


@pytest.mark.parametrize("stated, computed, expected", [
    ("56", 55.8, True), ("56", 54.9, False), ("93.3", 93.2563, True), ("6.46", 6.46, True),
    ("6.46", 6.67, False), (">1000", 1000.0, None), ("80-90", 85.0, None), ("56", None, None),
])
def test_consistent_at_precision(stated, computed, expected):
    assert cities.consistent_at_precision(stated, computed) is expected


def test_claims_table_recomputes_only_this_chapters_keys(table):
    claims = D.load("claims")
    prof = cities.profile(table, "Hefei")
    t = cities.claims_table(claims, "Hefei", {**prof, **cities.ledger_keys("Hefei", prof)})
    assert len(t) == (claims.section == "Hefei").sum()
    assert t.loc["C58", "_consistent"] is True
    assert "rounds to the stated figure" in t.loc["C58", "Recomputed here"]
    assert t.loc["C57", "Recomputed here"] == ""
    assert cities.claims_table(claims, "Beijing", {}).empty


def test_structure_keeps_measures_apart(table):
    sz = cities.structure_frame(table, "Shenzhen")
    assert set(sz.measure) == {cities.STRUCTURE_MEASURES["enterprise_rnd_share"],
                               cities.STRUCTURE_MEASURES["sei_value_added_share_of_gdp"]}
    assert cities.structure_frame(table, "Beijing").empty


def test_coverage_marks_gaps(table):
    grid = cities.coverage(table, "Shenyang", range(2019, 2025))
    assert grid.shape == (len(cities.COVERAGE_INDICATORS), 6)
    intensity = grid.loc[cities.COVERAGE_INDICATORS["rnd_intensity"]]
    assert intensity.notna().sum() == 1 and intensity[2021] == 2.97


def test_comparison_table(table, national_intensity):
    t = cities.comparison_table(table, national_intensity)
    assert set(t.index) == set(cities.PROVINCE_OF)
    assert t.loc["Shenzhen", "times_national"] == pytest.approx(6.67 / national_intensity.loc[2024])
    assert (t.loc[list(cities.ARTICLE_TYPE), "times_national"].dropna() > 1).all()
    assert t.loc["Chongqing", "times_national"] < 1   # a municipality below the national level
    assert math.isnan(t.loc["Beijing", "enterprise_share_pct"])


def test_province_ranking_and_completeness():
    prov = D.load("province_rnd")
    assert cities.latest_complete_year(prov) == int(prov.year.max())
    ranked = cities.province_ranking(prov, 2024)
    assert len(ranked) == 31 and "全国" not in set(ranked.province)
    assert ranked.iloc[0]["name"] == "Beijing"
    assert ranked["rnd_intensity_pct"].is_monotonic_decreasing
    by_amount = cities.province_ranking(prov, 2024, "rnd_100m_yuan")
    assert by_amount.iloc[0]["name"] == "Guangdong"
    assert set(cities.PROVINCE_EN) >= set(prov.province)
    with pytest.raises(ValueError):
        cities.province_ranking(prov, 2024, "population")
    with pytest.raises(ValueError):
        cities.latest_complete_year(prov[prov.province != "西藏"])


# ---------------------------------------------------------------- source kinds, types, exercises

import csv
import io
import json
import pathlib
import shutil
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
CITY_CSV = "data/cities/city_indicators.csv"


def test_source_kind_counts_cover_every_value(table):
    counts = cities.source_kind_counts(table)
    assert list(counts.index) == list(cities.SOURCE_KINDS)
    assert counts.sum() == len(table)
    kinds = cities.source_kind_table(table)
    assert kinds.loc["All cities", "total"] == len(table)
    assert (kinds.drop(index="All cities")["total"].sum()) == len(table)
    # the municipalities' R&D rows are the NBS provincial tables, read as official releases
    assert kinds.loc["Tianjin", "official release"] == kinds.loc["Tianjin", "total"] > 0


def test_official_release_preferred_when_same_precision():
    rows = [["X", 2023, "rnd_intensity", 6.7, "6.7", "% of GDP", "press", "P", "2025-01-01"],
            ["X", 2023, "rnd_intensity", 6.7, "6.7", "% of GDP", "nbs", "N", "2024-10-02"]]
    df = _frame(rows).assign(source_kind=["press report", "official release"])
    assert cities.chosen_rows(df, "X", "rnd_intensity").iloc[0]["source_key"] == "nbs"


@pytest.fixture()
def project(tmp_path, monkeypatch):
    shutil.copytree(REPO / "data", tmp_path / "data")
    monkeypatch.setenv("INNOBOOK_ROOT", str(tmp_path))
    monkeypatch.delenv("INNOBOOK_DECLARED_RESOURCES", raising=False)
    return tmp_path


def _rewrite(root, edit):
    with open(root / CITY_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    k = edit(rows)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (root / CITY_CSV).write_text(buf.getvalue(), encoding="utf-8")
    return k


@pytest.mark.parametrize("bad, rule", [("blog", "enum"), ("", "required")])
def test_bad_source_kind_is_refused_with_file_row_column_rule(project, bad, rule):
    def edit(rows):
        c = rows[0].index("source_kind")
        k = next(i for i, r in enumerate(rows[1:], start=1) if r[0] == "Hefei")
        rows[k][c] = bad
        return k
    k = _rewrite(project, edit)
    with pytest.raises(D.DataValidationError) as exc:
        D.load("city_indicators")
    probs = [p for p in exc.value.problems if p.column == "source_kind"]
    assert probs, str(exc.value)
    p = probs[0]
    assert p.file == CITY_CSV and p.row == k + 1 and rule in p.rule
    assert p.message.startswith(CITY_CSV) and f"row {k + 1}" in p.message and 'column "source_kind"' in p.message
    if rule == "enum":
        assert "official release" in p.message   # the allowed values are named


def test_unknown_city_is_refused(project):
    def edit(rows):
        rows[1][0] = "Atlantis"
        return 1
    _rewrite(project, edit)
    with pytest.raises(D.DataValidationError) as exc:
        D.load("city_indicators")
    assert any(p.column == "city" and "enum" in p.rule for p in exc.value.problems)


def test_city_lists_agree(table):
    """The city enum, the notebook's choices and the province map name the same cities."""
    enum = next(f for f in D._resource_desc("city_indicators")["schema"]["fields"]
                if f["name"] == "city")["constraints"]["enum"]
    params = yaml.safe_load((REPO / "notebooks/city_profile.params.yml").read_text(encoding="utf-8"))
    assert set(enum) == set(table.city) == set(params["parameters"]["city"]["choices"])
    assert set(enum) == set(cities.PROVINCE_OF) == set(cities.CITY_ZH)
    assert set(cities.PROVINCE_OF.values()) <= set(cities.PROVINCE_EN)


def test_type_checks_follow_the_stated_rules(table, national_intensity):
    ent = growth.series(D.load("rnd_national"), "enterprise_share", "final")
    sz = cities.type_checks(table, "Shenzhen", national_intensity, ent).set_index("expectation")
    assert sz.loc["R&D intensity far above the national level", "verdict"] == cities.CONSISTENT
    assert sz.loc["R&D intensity near the national level", "verdict"] == cities.NOT_CONSISTENT
    assert sz.loc["Counts of smart factories (智能工厂)", "verdict"] == cities.UNTESTED
    hf = cities.type_checks(table, "Hefei", national_intensity, ent).set_index("expectation")
    assert hf.loc["Rising share of strategic emerging industries", "verdict"] == cities.CONSISTENT
    assert hf.loc["High share of strategic emerging industries in above-scale output", "verdict"] == cities.CONSISTENT
    sy = cities.type_checks(table, "Shenyang", national_intensity, ent).set_index("expectation")
    ratio = 2.97 / national_intensity.loc[2021]
    lo, hi = cities.NEAR_BAND
    assert sy.loc["R&D intensity near the national level", "verdict"] == (
        cities.CONSISTENT if lo <= ratio <= hi else cities.NOT_CONSISTENT)
    # with a benchmark the industrial-weight test runs; without one it cannot
    assert sy.loc["Large weight of industry in GDP", "verdict"] == cities.UNTESTED
    sy2 = cities.type_checks(table, "Shenyang", national_intensity, ent, industry_benchmark=(30.0, 2022, "test"))
    assert sy2.set_index("expectation").loc["Large weight of industry in GDP", "verdict"] == cities.CONSISTENT
    v = cities.type_verdicts(cities.type_checks(table, "Nanjing", national_intensity, ent))
    assert (v["fit"] == "untested").all()          # Nanjing has an amount but no intensity


def test_untestable_means_absent_from_the_table(table, national_intensity):
    """No check says a figure is missing when the table holds it (for every city)."""
    ent = growth.series(D.load("rnd_national"), "enterprise_share", "final")
    needs = {"R&D intensity": ["rnd_intensity"], "Enterprise share": ["enterprise_rnd_share", "enterprise_rnd_expenditure"],
             "weight of industry": ["secondary_industry_share_of_gdp"],
             "strategic emerging": ["sei_output_share_of_above_scale_industry"], "smart factories": ["smart_factor"]}
    for c in table.city.unique():
        held = set(table[(table.city == c) & table.value.notna()].indicator)
        for r in cities.type_checks(table, c, national_intensity, ent).itertuples():
            if r.verdict == cities.UNTESTED and r._3 == "not held":
                key = next(k for k in needs if k in r.expectation)
                assert not any(i.startswith(n) for i in held for n in needs[key]), (c, r.expectation)


def _exercise_table():
    nb = json.loads((REPO / "notebooks/city_profile.ipynb").read_text(encoding="utf-8"))
    src = next("".join(c["source"]) for c in nb["cells"] if "EXERCISES = {" in "".join(c["source"]))
    ns: dict = {"city": "Shenzhen"}
    exec(src, ns)
    return ns["EXERCISES"], ns["GENERIC"]


def test_exercises_differ_between_the_three_cases_and_are_solvable(table, national_intensity):
    exercises, generic = _exercise_table()
    cases = ["Shenzhen", "Shenyang", "Hefei"]
    prompts = {c: tuple(body for _, body in exercises[c]) for c in cases}
    assert len(set(prompts.values())) == 3
    assert all(len(set(prompts[a]) & set(prompts[b])) == 0 for a in cases for b in cases if a < b)
    assert all(set(prompts[c]).isdisjoint(body for _, body in generic) for c in cases)
    prov = D.load("province_rnd")
    ent = growth.series(D.load("rnd_national"), "enterprise_share", "final")
    for c in table.city.unique():
        for name, _ in exercises.get(c, generic):
            frame, text = cities.exercise_solution(name, table, prov, national_intensity, ent, c)
            assert isinstance(frame, pd.DataFrame) and text
    # the published results record which exercises each case page poses
    names = {c: json.loads((REPO / f"tests/expected/city_{c.lower()}.json").read_text())["exercise_names"]
             for c in cases}
    assert len(set(names.values())) == 3


def _not_found_claims(results: dict) -> set[str]:
    phrases = {"enterprise share of R&D not found": "enterprise_rnd_share",
               "strategic emerging industries' share of above-scale output not found":
                   "sei_output_share_of_above_scale_industry",
               "secondary industry's share of GDP not found": "secondary_industry_share_of_gdp",
               "No R&D intensity for this city was found": "rnd_intensity"}
    text = " ".join(str(v) for v in results.values())
    return {ind for p, ind in phrases.items() if p in text}


@pytest.mark.parametrize("city", ["Shenzhen", "Shenyang", "Hefei"])
def test_no_case_page_says_not_found_where_the_table_has_a_value(table, city):
    results = json.loads((REPO / f"tests/expected/city_{city.lower()}.json").read_text())
    held = set(table[(table.city == city) & table.value.notna()].indicator)
    if "enterprise_rnd_expenditure" in held and "rnd_expenditure" in held:
        held.add("enterprise_rnd_share")
    assert not (_not_found_claims(results) & held)


def test_profile_runs_for_a_city_outside_the_three_cases(table, tmp_path):
    """The same notebook profiles Tianjin with no code change, and says nothing false about gaps."""
    proc = subprocess.run([sys.executable, "-m", "innobook", "run", "notebooks/city_profile.ipynb",
                           "-p", "city", "Tianjin"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = next(l.split(":", 1)[1].strip() for l in proc.stdout.splitlines() if l.startswith("Results:"))
    results = json.loads((REPO / out).read_text())
    results = results.get("results", results)
    assert results["city_label"] == "Tianjin (天津)"
    assert results["rnd_intensity_latest_pct"] == cities.latest(cities.series(table, "Tianjin", "rnd_intensity"))[1]
    assert results["exercise_names"] == "gap,share"          # the generic pair
    assert results["used_official_release"] == results["used_total"] > 0
    held = set(table[(table.city == "Tianjin") & table.value.notna()].indicator)
    assert not (_not_found_claims(results) & held)


def test_profile_uses_the_typology_chapters_defaults():
    """The profile places the province with the typology chapter's own default settings."""
    nb = json.loads((REPO / "notebooks/city_profile.ipynb").read_text(encoding="utf-8"))
    src = next("".join(c["source"]) for c in nb["cells"] if "TYPOLOGY_YEAR =" in "".join(c["source"]))
    ns: dict = {}
    exec("\n".join(l for l in src.splitlines() if l.startswith("TYPOLOGY_")), ns)
    params = yaml.safe_load((REPO / "notebooks/typology.params.yml").read_text(encoding="utf-8"))["parameters"]
    assert ns["TYPOLOGY_YEAR"] == params["year"]["default"]
    assert ns["TYPOLOGY_INDICATORS"] == params["indicators"]["default"]
    assert params["k"]["default"] == 0          # silhouette choice, as the profile uses
