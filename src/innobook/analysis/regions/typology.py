"""Do the article's three types of place exist in the data? Standardise, cluster, check robustness.

The article sorts central cities into three types: innovation-leading (创新引领型), traditional
industry upgrading (传统产业升级型) and emerging-industry led (新兴产业主导型). Whether provinces
fall into three natural groups is an empirical question. The recipe here:

1. keep the provinces that have every chosen indicator in the chosen year (the missing-value
   rule of :mod:`.panel`; the dropped ones are reported);
2. standardise each indicator to mean 0 and standard deviation 1 across those provinces
   (z-scores; otherwise the indicator with the largest numbers would dominate the distances);
3. run k-means (scikit-learn ``KMeans``, fixed ``random_state``, many starts) for k = 2..6 and
   choose the k with the largest mean silhouette width (Rousseeuw 1987); the silhouettes of the
   other k are kept and shown, so a reader sees how clear the choice is;
4. check robustness: the same k with other indicator sets, other years, and Ward's hierarchical
   clustering (SciPy), compared with the adjusted Rand index (Hubert and Arabie 1985), which is
   1 for identical partitions and about 0 for agreement no better than chance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .panel import NATIONAL, complete_cases

SEED = 20251
N_INIT = 20
K_RANGE = range(2, 7)


def standardise(df: pd.DataFrame, indicators: list[str]) -> np.ndarray:
    """z-scores of the indicator columns (population standard deviation, as StandardScaler)."""
    return StandardScaler().fit_transform(df[indicators].to_numpy(float))


def kmeans_labels(z: np.ndarray, k: int, seed: int = SEED) -> np.ndarray:
    """k-means labels, renumbered so that group 1 has the largest first-column mean, and so on."""
    with threadpool_limits(1):  # 31 points: threads cost far more than they save (and stay deterministic)
        km = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(z)
    return _order(km.labels_, z)


def ward_labels(z: np.ndarray, k: int) -> np.ndarray:
    """Ward hierarchical clustering cut into k groups (SciPy), renumbered like :func:`kmeans_labels`."""
    lab = fcluster(linkage(z, method="ward"), t=k, criterion="maxclust") - 1
    return _order(lab, z)


def _order(labels: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Renumber groups 1..k by decreasing mean of the first indicator (stable, readable labels)."""
    groups = np.unique(labels)
    means = {g: z[labels == g, 0].mean() for g in groups}
    rank = {g: i + 1 for i, g in enumerate(sorted(groups, key=lambda g: (-means[g], g)))}
    return np.array([rank[g] for g in labels])


def choose_k(z: np.ndarray, k_range=K_RANGE, seed: int = SEED) -> tuple[int, pd.Series]:
    """The k with the largest mean silhouette width, and the silhouette of every k tried.

    Ties go to the smaller k. Raises ``ValueError`` when there are too few observations.
    """
    ks = [k for k in k_range if 2 <= k < len(z)]
    if not ks:
        raise ValueError(f"{len(z)} observations are too few to compare numbers of groups")
    sil = pd.Series({k: float(silhouette_score(z, kmeans_labels(z, k, seed))) for k in ks}, name="silhouette")
    sil.index.name = "k"
    best = int(sil.idxmax())  # idxmax returns the first maximum, i.e. the smallest k on ties
    return best, sil


@dataclass
class Typology:
    """Result of :func:`cluster_provinces`.

    ``table``: the provinces used, their indicators, z-scores (``z_<indicator>``) and ``group``;
    ``dropped``: provinces left out for a missing indicator; ``k``: groups chosen (or imposed);
    ``k_best``: the silhouette choice; ``silhouette``: mean silhouette by k; ``centres``: mean
    of each indicator (original units) by group.
    """

    year: int
    indicators: list[str]
    k: int
    k_best: int
    silhouette: pd.Series
    table: pd.DataFrame
    dropped: pd.DataFrame
    centres: pd.DataFrame = field(repr=False)

    def group_of(self, name: str) -> int | None:
        row = self.table[self.table["name"] == name]
        return int(row["group"].iloc[0]) if len(row) else None

    def members(self, group: int) -> list[str]:
        return sorted(self.table.loc[self.table["group"] == group, "name"])


def cluster_provinces(df: pd.DataFrame, year: int, indicators: list[str], k: int | None = None,
                      seed: int = SEED, k_range=K_RANGE) -> Typology:
    """Cluster the provinces of ``year`` on ``indicators`` (see the module docstring).

    ``df`` is the output of :func:`.panel.derive`. ``k=None`` uses the silhouette choice; an
    integer imposes that number of groups (the silhouette choice is still reported).
    """
    rows = df[(df["year"] == year) & (df["province"] != NATIONAL)]
    used, dropped = complete_cases(rows, indicators)
    used = used.sort_values("province").reset_index(drop=True)
    z = standardise(used, indicators)
    k_best, sil = choose_k(z, k_range, seed)
    k_use = k_best if k is None else int(k)
    used["group"] = kmeans_labels(z, k_use, seed)
    for i, ind in enumerate(indicators):
        used[f"z_{ind}"] = z[:, i]
    centres = used.groupby("group")[indicators].mean()
    centres["n"] = used.groupby("group").size()
    return Typology(year=year, indicators=list(indicators), k=k_use, k_best=k_best, silhouette=sil,
                    table=used, dropped=dropped[["province", "name"] + [c for c in indicators]].copy(),
                    centres=centres)


def agreement(a: pd.Series, b: pd.Series) -> float:
    """Adjusted Rand index between two partitions indexed by province (common provinces only)."""
    common = a.index.intersection(b.index)
    if len(common) < 2:
        return float("nan")
    return float(adjusted_rand_score(a.loc[common], b.loc[common]))


def robustness(df: pd.DataFrame, base: Typology, indicator_sets: dict[str, list[str]],
               years: list[int], seed: int = SEED) -> pd.DataFrame:
    """Agreement of other choices with the base grouping (same k), one row per alternative.

    Columns: ``alternative``, ``kind`` (indicators, year, method), ``n`` provinces, ``k_best`` (the
    silhouette choice under that alternative), ``ari`` with the base grouping.
    """
    ref = base.table.set_index("name")["group"]
    out = []

    def add(label, kind, typ: Typology):
        out.append({"alternative": label, "kind": kind, "n": len(typ.table), "k_best": typ.k_best,
                     "ari": agreement(ref, typ.table.set_index("name")["group"])})

    for label, inds in indicator_sets.items():
        add(label, "indicators", cluster_provinces(df, base.year, inds, k=base.k, seed=seed))
    for y in years:
        if y == base.year:
            continue
        rows = df[(df["year"] == y) & (df["province"] != NATIONAL)]
        inds = [i for i in base.indicators if rows[i].notna().sum() >= 10]
        if len(inds) < 2:
            continue
        label = f"year {y}" + ("" if inds == base.indicators else " (without " +
                               ", ".join(sorted(set(base.indicators) - set(inds))) + ")")
        add(label, "year", cluster_provinces(df, y, inds, k=base.k, seed=seed))
    z = base.table[[f"z_{i}" for i in base.indicators]].to_numpy()
    ward = pd.Series(ward_labels(z, base.k), index=base.table["name"])
    out.append({"alternative": "Ward hierarchical clustering", "kind": "method", "n": len(z),
                "k_best": base.k_best, "ari": agreement(ref, ward)})
    return pd.DataFrame(out)
