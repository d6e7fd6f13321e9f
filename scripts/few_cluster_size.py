#!/usr/bin/env python3
"""Rejection rates of a true null with 20, 30 and 40 clusters: analytic clustered tests
against the wild cluster bootstrap (WCR for OLS, the Kline-Santos score bootstrap for
Poisson).

Usage::

    python scripts/few_cluster_size.py                 # 1000 panels per cell, 199 draws each
    python scripts/few_cluster_size.py --reps 200      # quicker

Each panel has the shape of the book's province panel (provinces x 7 years, province and
year effects, competition that varies much more in a few provinces, persistent shocks);
the squared term is truly zero (see innobook.analysis.competition.bootstrap.
simulate_cluster_panel). Prints one row per number of clusters and model, with the Monte
Carlo standard error of each rate.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

import pandas as pd  # noqa: E402

from innobook.analysis.competition.bootstrap import size_simulation  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="simulated panels per cell")
    parser.add_argument("--draws", type=int, default=199, help="bootstrap draws per test")
    parser.add_argument("--clusters", type=int, nargs="+", default=[20, 30, 40])
    parser.add_argument("--weights", choices=("rademacher", "webb"), default="rademacher")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    rows = []
    start = time.perf_counter()
    for clusters in args.clusters:
        for model in ("ols_log1p", "poisson"):
            r = size_simulation(clusters, model, reps=args.reps, draws=args.draws,
                                seed=args.seed, weights=args.weights)
            rows.append({"clusters": clusters, "model": model,
                         "clustered test (%)": round(100 * r["analytic"], 1),
                         "bootstrap (%)": round(100 * r["bootstrap"], 1),
                         "MC s.e. (points)": round(100 * r["mc_se_bootstrap"], 1)})
    print(f"nominal level 5%; {args.reps} panels per row, {args.draws} draws per bootstrap test, "
          f"{args.weights} weights; {time.perf_counter() - start:.0f} s")
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
