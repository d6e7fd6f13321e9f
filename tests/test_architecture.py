"""The import contract (README, "Layout"): two wings on one floor, checked by import-linter.

The engine (``innobook.pipeline``) and the analysis (``innobook.analysis``) never import each
other; the floor (``data``, ``charts``, ``report``) imports neither; the analysis wing and
the floor never import papermill, Jupyter or Sphinx; no sibling modules form a cycle.
The contracts live in ``pyproject.toml`` under ``[tool.importlinter]``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, env=env, capture_output=True, text=True)


def scratch_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "book"
    copy.mkdir()
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return copy


def test_the_contract_holds():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("analysis/rnd.py", "from innobook.pipeline import cache", "independent wings"),
    ("pipeline/cache.py", "from innobook.analysis import rnd", "independent wings"),
    ("data.py", "from innobook.analysis import lighthouse", "independent wings"),
    ("analysis/lighthouse.py", "import papermill", "know nothing of papermill"),
    ("analysis/claims/registry.py", "from innobook.analysis.claims import checks", "registry"),
])
def test_a_violation_breaks_the_contract(tmp_path, module, line, contract):
    copy = scratch_copy(tmp_path)
    target = copy / "src" / "innobook" / module
    target.write_text(target.read_text() + f"\n{line}  # deliberate violation\n")
    result = lint(copy)
    assert result.returncode != 0, result.stdout
    broken = [l for l in result.stdout.splitlines() if l.endswith("BROKEN")]
    assert any(contract in l for l in broken), result.stdout
