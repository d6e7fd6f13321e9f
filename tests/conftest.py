"""Shared fixtures: a scratch copy of the project, so tests never touch the real book."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".venv", "_build", "generated", "_vendor", ".git", "node_modules",
                                "__pycache__", ".pytest_cache", "test-artifacts")


def copy_project(dest: Path) -> Path:
    """Copy the sources of the project (not its build products) to ``dest``."""
    shutil.copytree(ROOT, dest, ignore=IGNORE)
    return dest


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A fresh copy of the project, with INNOBOOK_ROOT pointing at it."""
    root = copy_project(tmp_path / "book")
    monkeypatch.setenv("INNOBOOK_ROOT", str(root))
    monkeypatch.chdir(root)
    return root
