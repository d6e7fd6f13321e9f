"""A tile-grid map of China's provinces: one square per province, positions from the data package.

A choropleth on real boundaries gives vast, thinly populated provinces most of the ink; a tile
grid gives every province the same square, placed roughly where it lies, so that small coastal
provinces (Shanghai, Tianjin) are as visible as Xinjiang. Positions are in
``data/provinces/provinces.csv`` (``tile_row`` from the top, ``tile_col`` from the left). No
boundary file is used.

``cluster_outlines`` returns, for each city cluster, the edges of its squares that are not
shared with another square of the same cluster: drawn as line segments they outline the cluster.
"""

from __future__ import annotations

import pandas as pd

from .panel import NATIONAL


def tile_frame(provinces: pd.DataFrame) -> pd.DataFrame:
    """The provinces with a tile position, checked: every province placed, no two on one square."""
    t = provinces[provinces["province"] != NATIONAL].copy()
    if t[["tile_row", "tile_col"]].isna().any(axis=None):
        missing = ", ".join(t.loc[t[["tile_row", "tile_col"]].isna().any(axis=1), "province"])
        raise ValueError(f"provinces without a tile position: {missing}")
    t["tile_row"] = t["tile_row"].astype(int)
    t["tile_col"] = t["tile_col"].astype(int)
    dup = t.duplicated(["tile_row", "tile_col"], keep=False)
    if dup.any():
        raise ValueError("two provinces share a square: " + ", ".join(t.loc[dup, "province"]))
    return t.reset_index(drop=True)


def cluster_outlines(tiles: pd.DataFrame, group: str = "cluster") -> pd.DataFrame:
    """Outer edges of each group's squares, as segments (x, y) -> (x2, y2) in grid units.

    A square at (row r, column c) spans x in [c, c+1] and y in [r, r+1] (y grows downwards). An
    edge belongs to the outline when the square on its other side is not in the same group.
    """
    rows = []
    t = tiles[tiles[group].notna() & (tiles[group] != "")]
    for g, sq in t.groupby(group):
        cells = set(zip(sq["tile_row"].astype(int), sq["tile_col"].astype(int)))
        for r, c in sorted(cells):
            for (dr, dc), seg in (((-1, 0), (c, r, c + 1, r)), ((1, 0), (c, r + 1, c + 1, r + 1)),
                                  ((0, -1), (c, r, c, r + 1)), ((0, 1), (c + 1, r, c + 1, r + 1))):
                if (r + dr, c + dc) not in cells:
                    x, y, x2, y2 = seg
                    rows.append({group: g, "x": x, "y": y, "x2": x2, "y2": y2})
    return pd.DataFrame(rows, columns=[group, "x", "y", "x2", "y2"])
