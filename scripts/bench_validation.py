"""Benchmark: validating a large table against reading it with pandas.

Generates a ~300 MB CSV shaped like the book's firm panel (``instinnovation``: 25 columns of
numbers, integers, codes and names, a two-column primary key, blanks in six columns) in a
temporary folder, with a one-resource data package that reuses the book's schema for it, and
measures, each in a fresh process:

1. ``pandas.read_csv`` of the file (time and peak memory);
2. ``innobook.data.validate`` of the resource, the first time (time and peak memory);
3. the same validation again, answered from the record of validated content digests.

Each is run three times (``--repeat``) and the fastest run counts, so that other work on the
machine distorts the comparison less.

Prints a table and the ratios to the targets of the book's reliability issue: validation
in at most 3 times the pandas read time, with peak memory at most 2 times the file size.
Peak memory is the process's highest resident memory (Linux's VmHWM), which includes Python
and pandas themselves; the baseline of a process that has only imported them is printed too.

    .venv/bin/python scripts/bench_validation.py            # about 300 MB, a few minutes
    .venv/bin/python scripts/bench_validation.py --mb 50    # smaller, quicker
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BYTES_PER_ROW = 296  # of the generated rows, measured


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    idx = np.arange(rows)
    company = np.array([f"FIRM {i:07d} HOLDINGS CORP" for i in range(rows // 9 + 1)], dtype=object)
    df = pd.DataFrame({
        "company": company[idx // 9], "sales": rng.lognormal(5, 2, rows),
        "acompetition": rng.uniform(0.7, 1, rows), "competition": rng.uniform(0.7, 1, rows),
        "capital": rng.lognormal(4, 2, rows), "cites": rng.poisson(30, rows),
        "precites": rng.lognormal(2, 1, rows), "dprecites": rng.integers(0, 2, rows),
        "patents": rng.poisson(5, rows), "drandd": rng.integers(0, 2, rows),
        "randd": rng.lognormal(4, 2, rows), "employment": rng.lognormal(1, 1, rows),
        "sp500": np.where(rng.random(rows) < .3, "yes", "no"), "tobinq": rng.lognormal(0.5, .5, rows),
        "value": rng.lognormal(6, 2, rows), "institutions": rng.uniform(0, 100, rows),
        "industry": rng.integers(100, 9999, rows).astype(str), "year": 1991 + idx % 9,
        "top1": rng.uniform(0, 100, rows), "quasiindexed": rng.uniform(0, 100, rows),
        "nonquasiindexed": rng.uniform(0, 100, rows), "transient": rng.uniform(0, 100, rows),
        "dedicated": rng.uniform(0, 100, rows), "competition4": rng.uniform(0, 2, rows),
        "subsample": np.where(rng.random(rows) < .5, "yes", "no")})
    for col in ("top1", "quasiindexed", "nonquasiindexed", "transient", "dedicated", "competition4"):
        df.loc[rng.random(rows) < .5, col] = np.nan
    df.to_csv(path, index=False)


def make_project(folder: Path, mb: int) -> tuple[Path, Path]:
    """A scratch project holding only data/: the big table and its description."""
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == "instinnovation")
    resource = {**resource, "name": "big_panel", "path": "big/big_panel.csv",
                "title": "Generated firm panel for the validation benchmark",
                "description": "Random values shaped like the firm panel.", "sources": []}
    (folder / "data" / "big").mkdir(parents=True)
    (folder / "data" / "datapackage.json").write_text(json.dumps(
        {"name": "bench", "title": "Validation benchmark", "licenses": package.get("licenses", []),
         "resources": [resource]}, indent=1), encoding="utf-8")
    csv = folder / "data" / "big" / "big_panel.csv"
    generate(csv, mb * 1_000_000 // BYTES_PER_ROW)
    return folder, csv


# Peak memory is the kernel's high-water mark of the process's resident memory (VmHWM), which,
# unlike getrusage's ru_maxrss, does not carry over the parent's peak into a child process.
MEASURE = textwrap.dedent("""
    import json, re, sys, time
    import pandas as pd
    from innobook import data

    def high_water():
        text = open("/proc/self/status").read()
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", text).group(1)) * 1024

    base = high_water()
    start = time.perf_counter()
    {action}
    seconds = time.perf_counter() - start
    print(json.dumps({{"seconds": seconds, "peak": high_water(), "base": base}}))
""")


def measure(action: str, root: Path, repeat: int = 1, fresh: bool = False) -> dict:
    """Time ``action`` in fresh processes; the fastest of ``repeat`` runs, the highest peak.

    ``fresh`` forgets the validated content digests before each run (a first validation)."""
    env = {**os.environ, "INNOBOOK_ROOT": str(root)}
    env.pop("INNOBOOK_DECLARED_RESOURCES", None)
    runs = []
    for _ in range(repeat):
        if fresh:
            shutil.rmtree(root / "_build", ignore_errors=True)
        proc = subprocess.run([sys.executable, "-c", MEASURE.format(action=action)], env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"measurement failed:\n{proc.stdout}\n{proc.stderr}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"seconds": min(r["seconds"] for r in runs), "peak": max(r["peak"] for r in runs),
            "base": max(r["base"] for r in runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=300, help="size of the generated table (default 300)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement; the fastest counts (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="innobook-bench-validation-"))
    try:
        print(f"Generating a {args.mb} MB table in {folder} ...", flush=True)
        started = time.perf_counter()
        root, csv = make_project(folder, args.mb)
        size = csv.stat().st_size
        print(f"  {size / 1e6:.0f} MB written in {time.perf_counter() - started:.0f} s", flush=True)
        read = measure(f"pd.read_csv({str(csv)!r})", root, args.repeat)
        first = measure("data.validate('big_panel')", root, args.repeat, fresh=True)
        again = measure("data.validate('big_panel')", root, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    mb = 1e6
    rows = [("pandas.read_csv", read), ("validate, first time", first), ("validate, digest known", again)]
    print(f"\nTable: {size / mb:.0f} MB\n")
    print(f"{'':<24} {'seconds':>8} {'peak MB':>9} {'peak / file':>12} {'(baseline MB)':>14}")
    for label, m in rows:
        print(f"{label:<24} {m['seconds']:8.2f} {m['peak'] / mb:9.0f} {m['peak'] / size:12.2f} "
              f"{m['base'] / mb:14.0f}")
    time_ratio = first["seconds"] / read["seconds"]
    memory_ratio = first["peak"] / size
    print(f"\nvalidation time / pandas read time: {time_ratio:.2f} (target at most 3)")
    print(f"validation peak memory / file size: {memory_ratio:.2f} (target at most 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
