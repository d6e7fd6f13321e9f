"""Corrupted-file tests for the data package loader (innobook.data).

Each test copies the real data package into a temporary project (INNOBOOK_ROOT),
breaks one file in one way, and checks that DataValidationError names the file,
the row (when a row applies), the column (when one applies) and the rule.
"""

from __future__ import annotations

import csv
import io
import pathlib
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from innobook import data as D

REPO = pathlib.Path(__file__).resolve().parents[1]
RND = "data/rnd/china_rnd_national.csv"


# ---------------------------------------------------------------- helpers


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A temporary project root holding a copy of data/ (the real files stay untouched)."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    monkeypatch.setenv("INNOBOOK_ROOT", str(tmp_path))
    monkeypatch.delenv("INNOBOOK_DECLARED_RESOURCES", raising=False)
    return tmp_path


def read_rows(root: pathlib.Path, rel: str) -> list[list[str]]:
    with open(root / rel, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(root: pathlib.Path, rel: str, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (root / rel).write_text(buf.getvalue(), encoding="utf-8")


def col(rows, name):
    return rows[0].index(name)


def find_row(rows, **where) -> int:
    """Index in rows (0 = header) of the first data row matching all column=value pairs."""
    idx = {k: col(rows, k) for k in where}
    for i, r in enumerate(rows[1:], start=1):
        if all(r[idx[k]] == v for k, v in where.items()):
            return i
    raise LookupError(where)


def expect_error(name: str) -> D.DataValidationError:
    with pytest.raises(D.DataValidationError) as exc:
        D.load(name)
    return exc.value


def assert_problem(err, *, file, rule, row=None, column=None):
    """One problem carries file/row/column/rule, and the message spells them out."""
    msg = str(err)
    matches = [p for p in err.problems if p.file == file and rule in p.rule
               and (row is None or p.row == row) and (column is None or p.column == column)]
    assert matches, f"no problem with file={file} row={row} column={column} rule~{rule}:\n{msg}"
    p = matches[0]
    assert p.message in msg
    assert p.message.startswith(file)
    if row is not None:
        assert f"row {row}" in p.message
    if column is not None:
        assert f'column "{column}"' in p.message
    assert rule in p.message
    assert "Fix" in p.message or "Re-save" in p.message or "Restore" in p.message
    return p


# ------------------------------------------------------- the clean package


def test_clean_package_validates():
    D.validate_all()


EXPECTED = {
    # name: (rows, {column: dtype kind})
    "rnd_national": (153, {"year": "int64", "value": "float64", "indicator": "str", "vintage": "str"}),
    "rnd_intensity_international": (68, {"year": "int64", "gerd_pct_gdp": "float64"}),
    "rnd_basic_share_international": (24, {"year": "int64", "basic_research_share_pct": "float64"}),
    "lighthouse_cohorts": (67, {"batch": "int64", "value": "int64", "measure": "str"}),
    "lighthouse_sites": (85, {"batch": "int64", "company": "str"}),
    "cities": (13, {"city": "str", "city_zh": "str", "province": "str"}),
    "city_indicators": (137, {"year": "int64", "value": "float64", "value_as_published": "str"}),
    "province_rnd": (160, {"year": "int64", "rnd_100m_yuan": "float64", "rnd_intensity_pct": "float64"}),
    "instinnovation": (6208, {"year": "int64", "cites": "int64", "competition": "float64", "tobinq": "float64"}),
    "claims": (60, {"id": "str", "verdict": "str"}),
    "source_kinds": (None, {"bibkey": "str", "publisher_kind": "str", "read_as": "str"}),
    "provinces": (32, {"province": "str", "name_en": "str", "cluster": "str"}),
    "provinces_panel": (5960, {"year": "int64", "province": "str", "value": "float64"}),
    "rare_earths": (86, {"edition": "str", "edition_year": "int64", "data_year": "int64"}),
    "hitech_provinces": (1760, {"province": "str", "year": "int64", "indicator": "str"}),
    "policy_facts": (103, {"id": "str", "topic": "str", "value": "float64"}),
    "competition_hitech_provinces": (1888, {"province": "str", "year": "int64", "indicator": "str"}),
    "competition_industries_rnd": (177, {"year": "int64", "industry": "str", "level": "str"}),
    "argument_map": (52, {"id": "str", "order": "int64", "kind": "str", "verdict": "str"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_types_and_rows(name):
    n, dtypes = EXPECTED[name]
    df = D.load(name)
    assert n is None or len(df) == n  # None: grows with the package (one row per source)
    schema_cols = [f["name"] for f in D._resource_desc(name)["schema"]["fields"]]
    assert list(df.columns) == schema_cols
    for c, kind in dtypes.items():
        assert str(df[c].dtype) == kind, (c, df[c].dtype)
    assert df.attrs["resource"] == name


def test_loaded_values_are_as_published():
    df = D.load("rnd_national")
    r = df[(df.year == 2024) & (df.indicator == "rd_expenditure")].set_index("vintage")["value"]
    assert r["preliminary"] == 36130
    assert r["final"] == pytest.approx(36326.8)
    basic = D.load("rnd_basic_share_international")
    germany = basic[basic.country_or_region == "Germany"]
    assert germany.basic_research_share_pct.isna().all()  # documented gap stays blank


def test_resource_names_files_and_meta():
    names = D.resource_names()
    assert set(EXPECTED) == set(names)
    files = D.resource_files("rnd_national")
    assert all(p.exists() for p in files)
    assert files[0].as_posix().endswith(RND)
    assert files[-1].name == "datapackage.json"
    meta = D.resource_meta("rnd_national")
    assert meta["units"]["value"] and meta["units"]["year"] == "calendar year"
    assert "nbs_rd_communique_2024" in meta["bibkeys"]
    assert "preliminary" in meta["vintage_note"]
    with pytest.raises(KeyError):
        D.resource_meta("no_such_resource")


def test_undeclared_read_is_refused(monkeypatch):
    monkeypatch.setenv("INNOBOOK_DECLARED_RESOURCES", "rnd_national, claims")
    assert len(D.load("rnd_national")) > 0
    with pytest.raises(D.UndeclaredResourceError) as exc:
        D.load("lighthouse_cohorts")
    msg = str(exc.value)
    assert "'lighthouse_cohorts'" in msg and "reads:" in msg


def test_root_override_must_hold_a_package(tmp_path, monkeypatch):
    monkeypatch.setenv("INNOBOOK_ROOT", str(tmp_path))
    with pytest.raises(FileNotFoundError):
        D.resource_names()


# ------------------------------------------------------ corrupted copies


def test_missing_column(project):
    rows = read_rows(project, RND)
    i = col(rows, "value")
    write_rows(project, RND, [r[:i] + r[i + 1:] for r in rows])
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, row=1, column="value", rule="required column")


def test_extra_unknown_column(project):
    rows = read_rows(project, RND)
    write_rows(project, RND, [r + (["comment"] if k == 0 else ["x"]) for k, r in enumerate(rows)])
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, row=1, column="comment", rule="no unknown columns")


def test_wrong_type(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2020", indicator="rd_expenditure", vintage="final")
    rows[k][col(rows, "value")] = "24393,1"
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    p = assert_problem(err, file=RND, row=k + 1, column="value", rule="type: number")
    assert p.cell == "24393,1"


def test_negative_spending(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2021", indicator="rd_expenditure", vintage="final")
    rows[k][col(rows, "value")] = "-5"
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, row=k + 1, column="value", rule="minimum: 0")
    assert f'{RND}, row {k + 1}, column "value": \'-5\' breaks "minimum: 0"' in str(err)


def test_share_above_100(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2022", indicator="basic_research_share", vintage="final")
    rows[k][col(rows, "value")] = "106.32"
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, row=k + 1, column="value", rule="percent-range")


def test_share_above_100_in_plain_percent_column(project):
    rel = "data/cities/provinces_rnd.csv"
    rows = read_rows(project, rel)
    k = find_row(rows, year="2024", province="北京")
    rows[k][col(rows, "rnd_intensity_pct")] = "658"
    write_rows(project, rel, rows)
    err = expect_error("province_rnd")
    assert_problem(err, file=rel, row=k + 1, column="rnd_intensity_pct", rule="maximum: 100")


def test_duplicate_key(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2023", indicator="rd_intensity", vintage="final")
    rows.insert(k + 1, list(rows[k]))
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    p = assert_problem(err, file=RND, row=k + 2, rule="primary key")
    assert "year+indicator+vintage+source_key" in p.message
    assert f"(row {k + 1})" in p.message  # points at the row it duplicates


def test_year_out_of_range(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2019", indicator="rd_intensity", vintage="final")
    rows[k][col(rows, "year")] = "2109"
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, row=k + 1, column="year", rule="maximum: 2030")


def test_unknown_vintage(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2024", indicator="rd_intensity", vintage="preliminary")
    rows[k][col(rows, "vintage")] = "provisional"
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    p = assert_problem(err, file=RND, row=k + 1, column="vintage", rule="enum")
    assert "preliminary, final, revised" in p.message


def test_unit_mismatch(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2024", indicator="rd_expenditure", vintage="final")
    rows[k][col(rows, "unit")] = "% of GDP"  # an allowed unit, but not for this indicator
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    p = assert_problem(err, file=RND, row=k + 1, column="unit", rule="unit-by-indicator")
    assert "rd_expenditure" in p.message and "亿元" in p.message


def test_empty_file(project):
    (project / RND).write_bytes(b"")
    err = expect_error("rnd_national")
    p = assert_problem(err, file=RND, rule="non-empty file")
    assert p.row is None and p.column is None


def test_header_only(project):
    rows = read_rows(project, RND)
    write_rows(project, RND, rows[:1])
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, rule="at least one data row")
    assert "number of rows is 0" in str(err)


def test_gbk_encoding(project):
    text = (project / RND).read_text(encoding="utf-8")
    (project / RND).write_bytes(text.encode("gbk"))
    err = expect_error("rnd_national")
    first_non_ascii_line = next(i for i, line in enumerate(text.splitlines(), start=1) if not line.isascii())
    first_col = next(c for c in text.splitlines()[first_non_ascii_line - 1].split(",") if not c.isascii())
    header = text.splitlines()[0].split(",")
    p = assert_problem(err, file=RND, row=first_non_ascii_line, rule="encoding: utf-8")
    assert p.column in header
    assert "Re-save that file as UTF-8" in p.message
    assert "Traceback" not in str(err) and "codec" not in str(err)
    assert first_col  # the offending line does contain non-ASCII text


def test_unknown_source_key(project):
    rows = read_rows(project, RND)
    k = find_row(rows, year="2024", indicator="rd_intensity", vintage="final")
    rows[k][col(rows, "source_key")] = "nbs_rd_communique_2042"
    write_rows(project, RND, rows)
    err = expect_error("rnd_national")
    assert_problem(err, file=RND, row=k + 1, column="source_key", rule="source-key-listed")


def test_bad_claim_verdict_and_source(project):
    rel = "data/claims/claims.csv"
    rows = read_rows(project, rel)
    rows[3][col(rows, "verdict")] = "true"
    rows[4][col(rows, "source")] = "rnd_national; made_up_key"
    write_rows(project, rel, rows)
    err = expect_error("claims")
    assert_problem(err, file=rel, row=4, column="verdict", rule="enum")
    assert_problem(err, file=rel, row=5, column="source", rule="source-key-listed")


def test_validate_all_reports_every_broken_file(project):
    for rel in (RND, "data/lighthouse/lighthouse_cohorts.csv"):
        rows = read_rows(project, rel)
        rows[1][col(rows, "year" if rel == RND else "value")] = "-1"
        write_rows(project, rel, rows)
    with pytest.raises(D.DataValidationError) as exc:
        D.validate_all()
    files = {p.file for p in exc.value.problems}
    assert files == {RND, "data/lighthouse/lighthouse_cohorts.csv"}


def test_fixing_the_file_clears_the_error(project):
    original = (project / RND).read_bytes()
    rows = read_rows(project, RND)
    rows[1][col(rows, "value")] = "-1"
    write_rows(project, RND, rows)
    expect_error("rnd_national")
    (project / RND).write_bytes(original)
    assert len(D.load("rnd_national")) == EXPECTED["rnd_national"][0]


# ------------------------------------------------------------ CLI round trip


def _cli(root: pathlib.Path) -> subprocess.CompletedProcess:
    exe = pathlib.Path(sys.executable).with_name("frictionless")
    return subprocess.run([str(exe), "validate", "data/datapackage.json"], cwd=root,
                          capture_output=True, text=True, timeout=120)


def test_frictionless_cli_round_trip(project):
    assert _cli(project).returncode == 0
    rows = read_rows(project, RND)
    rows[1][col(rows, "vintage")] = "provisional"
    write_rows(project, RND, rows)
    res = _cli(project)
    assert res.returncode != 0
    assert "constraint" in res.stdout.lower()


# ---------------------------------------------------------------- names from the package's lists
def test_a_province_not_in_the_list_is_refused_with_the_lists_path(project):
    rel = "data/provinces/provinces_panel.csv"
    rows = read_rows(project, rel)
    rows[1][col(rows, "province")] = "广东省"   # the list uses short names: 广东
    write_rows(project, rel, rows)
    err = expect_error("provinces_panel")
    assert_problem(err, file=rel, rule="in-list: data/provinces/provinces.csv", row=2, column="province")
    assert "data/provinces/provinces.csv" in str(err) and "广东省" in str(err)


def test_a_city_not_in_the_list_is_refused_with_the_lists_path(project):
    rel = "data/cities/city_indicators.csv"
    rows = read_rows(project, rel)
    rows[3][col(rows, "city")] = "Shenzen"
    write_rows(project, rel, rows)
    err = expect_error("city_indicators")
    assert_problem(err, file=rel, rule="in-list: data/cities/cities.csv", row=4, column="city")


def test_the_city_list_agrees_with_the_analysis_code():
    from innobook.analysis import cities

    listed = D.load("cities").set_index("city")
    assert dict(listed["province"]) == cities.PROVINCE_OF, "edit data/cities/cities.csv and cities.PROVINCE_OF together"
    assert dict(listed["city_zh"]) == cities.CITY_ZH
