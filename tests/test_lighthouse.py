"""Lighthouse counts and shares (src/innobook/lighthouse.py) on small tables with known answers."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest
import yaml

from innobook import data
from innobook.analysis import lighthouse as L

REPO = pathlib.Path(__file__).resolve().parents[1]


def _row(batch, date, measure, scope, value, source):
    return {"batch": batch, "announcement_date": date, "measure": measure, "scope": scope,
            "value": value, "basis": "published", "source_key": source}


@pytest.fixture
def cohorts() -> pd.DataFrame:
    """Three announcements; China counted by several sources with different scopes at batch 3."""
    w, ns, mn, tw = "world", "China (scope not stated)", "China (mainland)", "China (incl. Taiwan)"
    rows = [
        _row(1, "2020-05", "new_sites", w, 10, "wef1"), _row(1, "2020-05", "cumulative_total", w, 10, "wef1"),
        _row(1, "2020-05", "cumulative_china", ns, 4, "a"),
        _row(2, "2021-03-01", "new_sites", w, 10, "wef2"), _row(2, "2021-03-01", "cumulative_total", w, 20, "wef2"),
        _row(2, "2021-03-01", "cumulative_china", mn, 7, "b"),
        _row(3, "2022-01-10", "new_sites", w, 20, "wef3"), _row(3, "2022-01-10", "cumulative_total", w, 40, "wef3"),
        _row(3, "2022-01-10", "cumulative_china", ns, 16, "c"), _row(3, "2022-01-10", "cumulative_china", ns, 16, "d"),
        _row(3, "2022-01-10", "cumulative_china", ns, 18, "e"), _row(3, "2022-01-10", "cumulative_china", tw, 20, "f"),
        _row(3, "2022-01-10", "new_sites_china", mn, 9, "c"),
    ]
    return pd.DataFrame(rows)


def test_period_end_treats_partial_dates_as_the_end_of_the_period():
    assert L.period_end("2023-12") == pd.Timestamp(2024, 1, 1) - pd.Timedelta(days=1)
    assert L.period_end("2024-02") == pd.Timestamp(2024, 2, 29)
    assert L.period_end("2025-01-14") == pd.Timestamp(2025, 1, 14)
    assert L.period_end("2019") == pd.Timestamp(2019, 12, 31)


def test_modal_count_and_its_tie_break():
    assert L.modal_count([79, 79, 82, 85]) == 79
    assert L.modal_count([72, 74, 75]) == 74          # all tie: lower median
    assert L.modal_count([5, 5, 9, 9]) == 5           # two-way tie: lower of the two
    with pytest.raises(ValueError):
        L.modal_count([])


def test_share_pct():
    assert L.share_pct(79, 189) == pytest.approx(41.7989, abs=1e-4)
    with pytest.raises(ValueError):
        L.share_pct(1, 0)


def test_batches_and_running_totals(cohorts):
    b = L.batches(cohorts)
    assert list(b["cumulative_total"]) == [10, 20, 40]
    assert L.totals_add_up(cohorts)
    broken = cohorts.copy()
    broken.loc[(broken.batch == 3) & (broken.measure == "new_sites"), "value"] = 19
    assert not L.totals_add_up(broken)
    shrinking = cohorts.copy()
    shrinking.loc[(shrinking.batch == 3) & (shrinking.measure == "cumulative_total"), "value"] = 15
    with pytest.raises(ValueError, match="falls"):
        L.batches(shrinking)


def test_first_batch_reaching_and_as_of(cohorts):
    assert L.first_batch_reaching(cohorts, 20)["batch"] == 2
    assert L.first_batch_reaching(cohorts, 21)["announcement_date"] == "2022-01-10"
    with pytest.raises(LookupError):
        L.first_batch_reaching(cohorts, 41)
    assert L.as_of(cohorts, "2021-12-31")["cumulative_total"] == 20
    # a month-only date is "on or before" a cut-off only once the whole month is
    assert L.as_of(cohorts, "2020-05-31")["batch"] == 1
    with pytest.raises(LookupError):
        L.as_of(cohorts, "2020-05-15")


def test_rules_and_regions_choose_published_values(cohorts):
    mainland = L.china_series(cohorts, "modal", "mainland").set_index("batch")
    assert mainland.loc[3, "value"] == 16 and mainland.loc[3, "n_sources"] == 2 and mainland.loc[3, "n_counts"] == 3
    assert mainland.loc[2, "value"] == 7                   # stated mainland count is used
    assert L.china_series(cohorts, "highest", "mainland").set_index("batch").loc[3, "value"] == 18
    assert L.china_series(cohorts, "lowest", "mainland").set_index("batch").loc[3, "value"] == 16
    taiwan = L.china_series(cohorts, "modal", "including_taiwan").set_index("batch")
    assert taiwan.loc[3, "value"] == 20                    # an explicit scope beats unstated counts
    assert 2 not in taiwan.index                           # a mainland-only count is not used: gap
    named = L.china_series(cohorts, "e", "mainland").set_index("batch")
    assert named.loc[3, "value"] == 18 and named.loc[1, "value"] == 4   # modal where the source is silent
    with pytest.raises(ValueError, match="region"):
        L.china_series(cohorts, "modal", "hong_kong")


def test_share_series_and_counts_at_batch(cohorts):
    s = L.share_series(cohorts).set_index("batch")
    assert s.loc[1, "share_pct"] == pytest.approx(40.0)
    assert s.loc[3, "share_pct"] == pytest.approx(40.0)
    at3 = L.counts_at_batch(cohorts, 3)
    assert sorted(at3["value"]) == [16, 16, 18, 20]
    assert at3["share_pct"].max() == pytest.approx(50.0)
    new = L.china_series(cohorts, measure="new_sites_china")
    assert list(new["value"]) == [9]


def test_site_coverage_and_counts_by_column(cohorts):
    sites = pd.DataFrame({
        "company": ["A", "B", "C", "D"], "country": ["China", "China", None, "Brazil"],
        "industry": ["steel", None, None, "food"], "batch": [1, 3, 3, 3],
    })
    cov = L.site_coverage(sites, cohorts, "2021-03-01", china_count=7)
    assert cov == {"batch": 2, "network_size": 20, "listed": 1, "listed_pct": 5.0, "with_country": 1,
                   "with_industry": 1, "listed_china": 1, "china_count": 7, "listed_china_pct": pytest.approx(100 / 7)}
    cov3 = L.site_coverage(sites, cohorts, "2022-01-10")
    assert cov3["listed"] == 4 and cov3["listed_pct"] == 10.0 and "listed_china_pct" not in cov3
    by = L.sites_by(sites, "country")
    assert list(by["country"]) == ["China", "Brazil", "not stated"] and list(by["sites"]) == [2, 1, 1]


# ---------------------------------------------------------------- the real data
def test_real_data_189_was_reached_in_january_2025():
    c = data.load("lighthouse_cohorts")
    assert L.totals_add_up(c)
    hit = L.first_batch_reaching(c, 189)
    assert hit["announcement_date"] == "2025-01-14"
    assert L.as_of(c, "2024-12-31")["cumulative_total"] == 172
    at189 = L.counts_at_batch(c, int(hit["batch"]))
    assert L.modal_count(at189["value"]) == 79
    assert L.share_pct(79, 189) > 40 and L.share_pct(82, 189) > 40


def test_declared_choices_follow_the_data():
    spec = yaml.safe_load((REPO / "notebooks" / "lighthouse.params.yml").read_text(encoding="utf-8"))
    c = data.load("lighthouse_cohorts")
    params = spec["parameters"]
    assert params["as_of"]["choices"] == sorted(c["announcement_date"].unique())
    sources = sorted(c.loc[c["measure"] == "cumulative_china", "source_key"].unique())
    assert params["china_count_source"]["choices"] == list(L.RULES) + sources
    assert params["region"]["choices"] == list(L.REGIONS)
