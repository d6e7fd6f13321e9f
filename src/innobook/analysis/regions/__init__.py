"""Provinces, city clusters and the article's three city types, at the level where data exist.

The article examined by the book reads city innovation through two spatial lenses (city
clusters 城市群 and metropolitan areas 都市圈) and three types of central city. Official
statistics cover provinces every year and cities only here and there, so this subpackage
works on the provincial panel (``data/provinces/``) and uses city figures where a city
table gives them. Pure functions and result objects; no notebook machinery.

Modules and their public API (each function's docstring gives details):

``panel``
    ``load_provinces()``, ``load_panel()`` (validated, names checked against
    ``data/provinces/provinces.csv``; a bad name raises
    :class:`innobook.data.DataValidationError` naming that list), ``check_names(df, ...)``,
    ``wide(panel)`` (one row per province-year, one column per indicator),
    ``derive(wide)`` (basic-research share, enterprise-funds share, invention applications
    per 10 000 residents, industrial weight, computed from amounts), ``coverage(...)``,
    ``MISSING_RULE`` (the rule for missing values, quoted on the pages).
``typology``
    ``standardise()``, ``choose_k()`` (silhouette over k = 2..6, KMeans with a fixed seed),
    ``cluster_provinces()`` -> :class:`Typology`, ``agreement()`` (adjusted Rand index),
    ``robustness()`` (other indicator sets, years and a hierarchical method).
``clusters``
    ``CLUSTERS`` (each cluster, its provinces and the approximation made),
    ``cluster_shares()`` (each cluster's share of the provincial total by year),
    ``core_shares()`` (大聚小散: the share of a cluster or province that sits in its core
    cities, where city figures exist; gaps kept).
``concentration``
    ``hhi()``, ``gini()``, ``concentration_by_year()``.
``growth``
    ``growth_panel()``, ``fit_growth()`` -> :class:`GrowthFit` (year effects, optional province
    effects, errors clustered by province, wild cluster bootstrap p-value via ``wildboottest``),
    ``simulate_growth_panel()`` (data with a known effect, for tests and exercises).
``mokyr``
    ``knowledge_mix()`` (basic-research share against enterprise-funds share, each province
    and year, placed against the national figures), ``trajectory()``.
``tiles``
    ``tile_frame()`` (one square per province, positions from the data package),
    ``cluster_outlines()`` (the outer edges of each cluster's squares, for drawing).
"""

from . import clusters, concentration, growth, mokyr, panel, tiles, typology

__all__ = ["clusters", "concentration", "growth", "mokyr", "panel", "tiles", "typology"]
