"""The provincial data family (data/provinces/): valid as published, and bad input refused.

Each corruption test copies data/ into a temporary project (INNOBOOK_ROOT), breaks one thing
and checks the error names the file, the row, the column and the rule.
"""

from __future__ import annotations

import csv
import io
import pathlib
import shutil

import pandas as pd
import pytest

from innobook import data as D
from innobook.analysis.regions import panel

REPO = pathlib.Path(__file__).resolve().parents[1]
PANEL = "data/provinces/provinces_panel.csv"
LIST = "data/provinces/provinces.csv"


@pytest.fixture()
def project(tmp_path, monkeypatch):
    shutil.copytree(REPO / "data", tmp_path / "data")
    monkeypatch.setenv("INNOBOOK_ROOT", str(tmp_path))
    monkeypatch.delenv("INNOBOOK_DECLARED_RESOURCES", raising=False)
    return tmp_path


def rows_of(root, rel):
    with open(root / rel, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write(root, rel, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    (root / rel).write_text(buf.getvalue(), encoding="utf-8")


def test_published_tables_load_and_names_are_the_list():
    prov = panel.load_provinces()
    assert len(prov) == 32 and (prov["level"] == "province").sum() == 31
    p = panel.load_panel()
    assert set(p["province"]) <= set(prov["province"])
    assert p["source_key"].notna().all() and p["source_title"].notna().all()


def test_2024_rows_agree_with_the_communique_table():
    p = panel.load_panel()
    old = D.load("province_rnd")
    old = old[old["year"] == 2024].set_index("province")
    new = p[p["year"] == 2024].pivot(index="province", columns="indicator", values="value")
    assert (new.loc[old.index, "rnd_expenditure"] == old["rnd_100m_yuan"]).all()
    assert (new.loc[old.index, "rnd_intensity"] == old["rnd_intensity_pct"]).all()


def test_derived_shares_are_computed_not_stored():
    p = panel.load_panel()
    assert not {"basic_share", "enterprise_share", "invention_per_10k"} & set(p["indicator"])
    f = panel.frame(p)
    row = f[(f["province"] == "广东") & (f["year"] == 2020)].iloc[0]
    assert row["basic_share"] == pytest.approx(100 * row["rnd_basic"] / row["rnd_intramural_total"])


def test_bad_province_name_is_refused_with_the_lists_path(project):
    rows = rows_of(project, PANEL)
    i = next(k for k, r in enumerate(rows) if k and r[1] == "广东")
    rows[i][1] = "广东省"
    write(project, PANEL, rows)
    with pytest.raises(D.DataValidationError) as exc:
        panel.load_panel()
    prob = exc.value.problems[0]
    assert prob.file == PANEL and prob.row == i + 1 and prob.column == "province"
    assert LIST in prob.rule and LIST in str(exc.value)
    assert "广东省" in str(exc.value)


def test_value_without_a_source_is_refused(project):
    rows = rows_of(project, PANEL)
    header = rows[0]
    i = 5
    rows[i][header.index("source_key")] = ""
    write(project, PANEL, rows)
    with pytest.raises(D.DataValidationError) as exc:
        D.load("provinces_panel")
    p = exc.value.problems[0]
    assert (p.file, p.row, p.column, p.rule) == (PANEL, i + 1, "source_key", "required")


def test_unlisted_source_key_is_refused(project):
    rows = rows_of(project, PANEL)
    rows[7][rows[0].index("source_key")] = "some_blog_post"
    write(project, PANEL, rows)
    with pytest.raises(D.DataValidationError) as exc:
        D.load("provinces_panel")
    assert any(p.rule == "source-key-listed" and p.row == 8 for p in exc.value.problems)


def test_wrong_unit_is_refused(project):
    rows = rows_of(project, PANEL)
    i = next(k for k, r in enumerate(rows) if k and r[2] == "population")
    rows[i][rows[0].index("unit")] = "persons"
    write(project, PANEL, rows)
    with pytest.raises(D.DataValidationError) as exc:
        D.load("provinces_panel")
    assert any(p.rule.startswith("unit-by-indicator") and p.row == i + 1 for p in exc.value.problems)


def test_two_provinces_on_one_square_or_a_bad_cluster_are_refused(project):
    rows = rows_of(project, LIST)
    rows[2][rows[0].index("cluster")] = "珠三角"
    write(project, LIST, rows)
    with pytest.raises(D.DataValidationError) as exc:
        D.load("provinces")
    assert any(p.column == "cluster" and p.row == 3 for p in exc.value.problems)


def test_builder_reproduces_the_published_panel(tmp_path):
    """The CSV is what data/provinces/build_panel.py writes from the gathered material."""
    sources = REPO.parent / "shared" / "sources"
    if not (sources / "yearbook" / "provinces_rnd_panel.csv").exists():
        pytest.skip("gathered research material not present beside the checkout")
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_panel", REPO / "data/provinces/build_panel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.OUT = tmp_path / "panel.csv"
    mod.main(["--sources", str(sources)])
    assert (tmp_path / "panel.csv").read_text(encoding="utf-8") == (REPO / PANEL).read_text(encoding="utf-8")
