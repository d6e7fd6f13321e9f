"""The computations behind the claims ledger's computed checks.

Each function computes one ``result_key`` of ``data/claims/claims.csv`` from the book's
data, with the same functions the chapters use, so the ledger and the chapter cannot
disagree. The registry lives in :mod:`innobook.analysis.claims.registry`.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from ... import data
from .. import cities, lighthouse, rnd
from .registry import check


@lru_cache(maxsize=None)
def _national() -> pd.DataFrame:
    return data.load("rnd_national")


@lru_cache(maxsize=None)
def _intensity_international() -> pd.DataFrame:
    return data.load("rnd_intensity_international")


def _rnd(indicator: str, vintage: str, year: int) -> float:
    return rnd.value(rnd.series(_national(), indicator, vintage), year, f"{indicator} ({vintage})")


# --------------------------------------------------------------------------- national R&D
@check("rnd_growth.end_value_prelim")
def end_value_prelim() -> float:
    """2024 R&D expenditure, preliminary vintage (100 million yuan)."""
    return _rnd("rd_expenditure", "preliminary", 2024)


@check("rnd_growth.growth_prelim_on_final_pct")
def growth_prelim_on_final_pct() -> float:
    """Growth of 2024 R&D spending (preliminary) on 2020 (final), percent."""
    return rnd.growth_pct(_rnd("rd_expenditure", "final", 2020), _rnd("rd_expenditure", "preliminary", 2024))


@check("rnd_growth.china_intensity_prelim_2024")
def china_intensity_prelim_2024() -> float:
    """2024 R&D intensity, preliminary vintage (% of GDP)."""
    return _rnd("rd_intensity", "preliminary", 2024)


@check("rnd_growth.china_minus_eu27_intensity_2024_pp")
def china_minus_eu27_intensity_2024_pp() -> float:
    """China's 2024 final intensity minus Eurostat's EU27 figure for 2024 (percentage points)."""
    peers = _intensity_international()
    eu = peers[peers["country_or_region"] == "EU27 (Eurostat)"].set_index("year")["gerd_pct_gdp"]
    return _rnd("rd_intensity", "final", 2024) - rnd.value(eu, 2024, "EU27 intensity")


@check("rnd_growth.enterprise_share_2023_final_pct")
def enterprise_share_2023_final_pct() -> float:
    """Share of R&D performed by enterprises in 2023, final vintage (%)."""
    return _rnd("enterprise_share", "final", 2023)


# --------------------------------------------------------------------------- lighthouse factories
NETWORK_SIZE_CLAIMED = 189   # the network size the article states (claim C17)
CHINA_COUNT_CLAIMED = 82     # China's count the article states (claim C18)


@lru_cache(maxsize=None)
def _cohorts() -> pd.DataFrame:
    return data.load("lighthouse_cohorts")


def _counts_at_claimed_size() -> pd.DataFrame:
    reached = lighthouse.first_batch_reaching(_cohorts(), NETWORK_SIZE_CLAIMED)
    return lighthouse.counts_at_batch(_cohorts(), int(reached["batch"]))


@check("lighthouse.announcement_date_at_189")
def announcement_date_at_189() -> str:
    """Date of the announcement at which the network first had 189 sites."""
    return str(lighthouse.first_batch_reaching(_cohorts(), NETWORK_SIZE_CLAIMED)["announcement_date"])


@check("lighthouse.total_end_2024")
def total_end_2024() -> int:
    """Network size after the last announcement made on or before 31 December 2024."""
    return int(lighthouse.as_of(_cohorts(), "2024-12-31")["cumulative_total"])


@check("lighthouse.china_count_at_189_modal")
def china_count_at_189_modal() -> int:
    """China's count at 189 sites as given by the most sources (see lighthouse.modal_count)."""
    return lighthouse.modal_count(_counts_at_claimed_size()["value"])


@check("lighthouse.china_share_at_189_pct")
def china_share_at_189_pct() -> float:
    """China's share of the 189-site network on the modal count (%)."""
    return lighthouse.share_pct(china_count_at_189_modal(), NETWORK_SIZE_CLAIMED)


@check("lighthouse.china_share_at_189_claimed_pct")
def china_share_at_189_claimed_pct() -> float:
    """China's share of the 189-site network on the article's own count (%)."""
    return lighthouse.share_pct(CHINA_COUNT_CLAIMED, NETWORK_SIZE_CLAIMED)


# --------------------------------------------------------------------------- city cases
@lru_cache(maxsize=None)
def _city_keys(city: str) -> dict:
    """The ledger values of one city's profile (None where no source gives a value)."""
    indicators = data.load("city_indicators")
    return cities.ledger_keys(city, cities.profile(indicators, city))


@check("cities.shenzhen_rnd_intensity_2023_pct")
def shenzhen_rnd_intensity_2023_pct() -> float | None:
    """Shenzhen's R&D intensity in 2023 (% of GDP)."""
    return _city_keys("Shenzhen")["shenzhen_rnd_intensity_2023_pct"]


@check("cities.shenzhen_enterprise_rnd_share_2023_pct")
def shenzhen_enterprise_rnd_share_2023_pct() -> float | None:
    """Enterprises' share of Shenzhen's R&D spending in 2023 (%)."""
    return _city_keys("Shenzhen")["shenzhen_enterprise_rnd_share_2023_pct"]


@check("cities.hefei_sei_share_latest_pct")
def hefei_sei_share_latest_pct() -> float | None:
    """Strategic emerging industries' share of Hefei's above-scale industrial output, latest year (%)."""
    return _city_keys("Hefei")["hefei_sei_share_latest_pct"]
