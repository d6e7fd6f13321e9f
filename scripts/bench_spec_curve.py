#!/usr/bin/env python3
"""Time the full specification curve on the InstInnovation panel.

Usage::

    python scripts/bench_spec_curve.py            # all cores
    python scripts/bench_spec_curve.py --jobs 1   # serial, for comparison

Prints a small table: number of specifications (valid, failed, invalid),
worker processes and wall time. The target is under 60 s on two cores.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

import pandas as pd  # noqa: E402

from innobook.analysis.competition.spec_curve import build_specs, run_spec_curve, summarise_curve  # noqa: E402

DATA = REPO_ROOT / "data" / "firms" / "instinnovation.csv"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--no-two-lines", action="store_true", help="skip the two-lines test")
    parser.add_argument("--csv", type=Path, default=None, help="also write the curve to this CSV")
    args = parser.parse_args(argv)

    data = pd.read_csv(DATA)
    specs = build_specs()
    jobs = args.jobs or os.cpu_count() or 1
    start = time.perf_counter()
    curve = run_spec_curve(data, specs, n_jobs=jobs, two_lines=not args.no_two_lines)
    wall = time.perf_counter() - start
    counts = summarise_curve(curve)
    if args.csv:
        curve.to_csv(args.csv, index=False)

    rows = [
        ("specifications", counts["n_specs"]),
        ("  valid", counts["n_valid"]),
        ("  estimated", counts["n_estimated"]),
        ("  failed at run time", counts["n_failed"]),
        ("  invalid by construction", counts["n_specs"] - counts["n_valid"]),
        ("two-lines test", "no" if args.no_two_lines else "yes"),
        ("worker processes", jobs),
        ("cores on this machine", os.cpu_count()),
        ("wall time (s)", f"{wall:.1f}"),
        ("sum of per-spec times (s)", f"{curve['seconds'].sum():.1f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'quantity':<{width}}  value")
    print(f"{'-' * width}  -----")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
