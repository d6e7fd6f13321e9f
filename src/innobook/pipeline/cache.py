"""Content-hash cache that decides which notebooks need to run again.

A run's key is made of the SHA-256 of everything its output depends on:

* ``notebook``: the notebook template's source;
* ``parameters``: its full parameter set (canonical JSON);
* ``data``: every file of every data resource the notebook declares it reads;
* ``package``: the code notebooks can import: the floor and the analysis wing
  (``src/innobook`` less the engine in ``src/innobook/pipeline``, which never runs inside a kernel);
* ``requirements``: the pinned ``requirements.txt``.

A run is re-executed when any component differs from the one stored with its
last successful execution, or when its executed notebook is missing. Comparing
components one by one (rather than a single digest) lets the build say *why*
a notebook ran again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Iterable

from .params import Run

MANIFEST = Path("_build") / "cache" / "manifest.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path], root: Path) -> str:
    """One digest over several files, including their paths relative to ``root``."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(sha256_file(path).encode())
    return h.hexdigest()


def package_digest(root: Path) -> str:
    package = root / "src" / "innobook"
    return sha256_files([p for p in package.rglob("*.py")
                         if "__pycache__" not in p.parts and "pipeline" not in p.relative_to(package).parts],
                        root)


def run_components(run: Run, root: Path, data_files: Callable[[str], list[Path]],
                   shared: dict[str, str] | None = None) -> dict[str, str]:
    """The hashed inputs of one run. ``data_files(name)`` lists a resource's files."""
    shared = shared or {}
    files = sorted({f for name in run.notebook.reads for f in data_files(name)})
    return {
        "notebook": sha256_file(run.notebook.path),
        "parameters": hashlib.sha256(json.dumps(run.parameters, sort_keys=True).encode()).hexdigest(),
        "data": sha256_files(files, root),
        "package": shared.get("package") or package_digest(root),
        "requirements": shared.get("requirements") or sha256_file(root / "requirements.txt"),
    }


class Manifest:
    """The stored keys of the last successful execution of each run."""

    def __init__(self, root: Path):
        self.path = root / MANIFEST
        try:
            self.entries: dict[str, dict[str, str]] = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            self.entries = {}

    def changed(self, run_id: str, components: dict[str, str]) -> list[str]:
        """Names of the components that differ from the stored ones (all if none stored)."""
        old = self.entries.get(run_id)
        if old is None:
            return ["never executed"]
        return [k for k, v in components.items() if old.get(k) != v]

    def record(self, run_id: str, components: dict[str, str]) -> None:
        self.entries[run_id] = dict(components)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        tmp.replace(self.path)
