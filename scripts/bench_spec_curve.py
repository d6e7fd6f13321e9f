#!/usr/bin/env python3
"""Time the specification curves: the Chinese province panel (analytic, and with 999 wild
cluster bootstrap draws per specification) and the US firm panel.

Usage::

    python scripts/bench_spec_curve.py                     # local processes, every core
    python scripts/bench_spec_curve.py --jobs 1            # one process, for comparison
    python scripts/bench_spec_curve.py --scheduler tcp://host:8786   # a Dask cluster
    python scripts/bench_spec_curve.py --only china --draws 9999     # more draws

Prints one table: for each curve, the number of specifications (valid, failed,
invalid), where it ran, and the wall time, all measured in this one run. Targets on the
two-core reference machine: the China curve with 999 bootstrap draws per specification
within 120 s; the US curve within 60 s. Bootstrap seeds come from a hash of each
specification, so the curve is the same wherever it runs.
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

from innobook import data  # noqa: E402
from innobook.analysis.competition import china_panel  # noqa: E402
from innobook.analysis.competition.bootstrap import BootstrapSettings  # noqa: E402
from innobook.analysis.competition.spec_curve import (build_specs, run_spec_curve,  # noqa: E402
                                                      summarise_curve)
from innobook.executors import make_executor  # noqa: E402

US_DATA = REPO_ROOT / "data" / "firms" / "instinnovation.csv"
TARGETS = {"China, bootstrap": 120.0, "US firms": 60.0}


def _timed(label, run):
    start = time.perf_counter()
    curve = run()
    wall = time.perf_counter() - start
    counts = summarise_curve(curve)
    return {"curve": label, "specifications": counts["n_specs"], "valid": counts["n_valid"],
            "estimated": counts["n_estimated"], "failed": counts["n_failed"],
            "bootstrapped": counts.get("n_bootstrapped", 0), "wall time (s)": round(wall, 1),
            "target (s)": TARGETS.get(label.split(" (")[0], float("nan"))}, curve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None,
                        help="local worker processes (default: every core)")
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler, e.g. tcp://host:8786 (default: run here)")
    parser.add_argument("--draws", type=int, default=999,
                        help="bootstrap draws per specification for the China curve (default 999)")
    parser.add_argument("--weights", choices=("rademacher", "webb"), default="rademacher")
    parser.add_argument("--only", choices=("china", "us", "all"), default="all")
    parser.add_argument("--no-two-lines", action="store_true", help="skip the two-lines test")
    parser.add_argument("--csv", type=Path, default=None,
                        help="write the China bootstrap curve to this CSV")
    args = parser.parse_args(argv)

    two_lines = not args.no_two_lines
    rows = []
    with make_executor(args.scheduler, args.jobs) as executor:
        where = executor.describe()
        if args.only in ("china", "all"):
            panel = china_panel.build_panel(data.load("competition_hitech_provinces"))
            specs = china_panel.china_specs()
            row, _ = _timed("China, analytic", lambda: china_panel.run_china_curve(
                panel, specs, executor=executor, two_lines=two_lines))
            rows.append(row)
            settings = BootstrapSettings(draws=args.draws, weights=args.weights)
            row, curve = _timed(f"China, bootstrap ({args.draws} draws per spec)",
                                lambda: china_panel.run_china_curve(
                                    panel, specs, executor=executor, bootstrap=settings,
                                    two_lines=two_lines))
            rows.append(row)
            if args.csv:
                curve.to_csv(args.csv, index=False)
        if args.only in ("us", "all"):
            firms = pd.read_csv(US_DATA)
            row, _ = _timed("US firms", lambda: run_spec_curve(
                firms, build_specs(), executor=executor, two_lines=two_lines))
            rows.append(row)

    table = pd.DataFrame(rows)
    print(f"executor: {where}; cores on this machine: {os.cpu_count()}; "
          f"two-lines test: {'yes' if two_lines else 'no'}")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
