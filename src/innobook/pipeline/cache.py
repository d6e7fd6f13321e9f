"""Content-hash cache that decides which notebooks need to run again.

A run's key is made of the SHA-256 of everything its output depends on:

* ``notebook``: the notebook template's source;
* ``parameters``: its full parameter set (canonical JSON);
* ``data``: every file of every data resource the notebook declares it reads;
* ``package``: the code notebooks can import: the floor and the analysis wing
  (``src/innobook`` less the engine in ``src/innobook/pipeline``, which never runs inside a
  kernel), and the engine's one module that shapes what is published, ``notebook_io``;
* ``requirements``: the pinned ``requirements.txt``.

A run is re-executed when any component differs from the one stored with its
last successful execution, or when what it published changed behind the cache's back:
the manifest also records the SHA-256 of every file a run published (its executed
notebook and its results JSON), and a file that is missing, truncated or edited makes the
run execute again. Comparing components one by one (rather than a single digest) lets the
build say *why* a notebook ran again.

The manifest is written (atomically: a temporary file renamed over the old one) each time a
run is published, so the work finished before a build is killed is not lost.
"""

from __future__ import annotations

import hashlib
import json
import os
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
    code = [p for p in package.rglob("*.py")
            if "__pycache__" not in p.parts and "pipeline" not in p.relative_to(package).parts]
    return sha256_files(code + [package / "pipeline" / "notebook_io.py"], root)


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
        # The Chinese of generated text is written by the run itself (innobook.i18n).
        "translations": shared.get("translations") or optional_digest(root / OUTPUT_CATALOG),
    }


OUTPUT_CATALOG = Path("locales") / "zh_CN" / "outputs.po"


def optional_digest(path: Path) -> str:
    return sha256_file(path) if path.exists() else "absent"


class Manifest:
    """The stored keys of the last successful execution of each run, and what it published."""

    OUTPUTS = "outputs"   # inside an entry: {path relative to the root: SHA-256}

    def __init__(self, root: Path):
        self.root = root
        self.path = root / MANIFEST
        try:
            entries = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            entries = {}
        self.entries: dict[str, dict] = entries if isinstance(entries, dict) else {}

    def changed(self, run_id: str, components: dict[str, str]) -> list[str]:
        """Names of the components that differ from the stored ones (all if none stored)."""
        old = self.entries.get(run_id)
        if not isinstance(old, dict):
            return ["never executed"]
        return [k for k, v in components.items() if old.get(k) != v]

    def outputs_changed(self, run_id: str) -> list[str]:
        """Why the files this run published no longer match the manifest (empty if they do)."""
        recorded = (self.entries.get(run_id) or {}).get(self.OUTPUTS)
        if not isinstance(recorded, dict) or not recorded:
            return ["no record of what it published"]
        why = []
        for rel, digest in sorted(recorded.items()):
            path = self.root / rel
            if not path.is_file():
                why.append(f"{rel} is missing")
            elif sha256_file(path) != digest:
                why.append(f"{rel} was changed after it was published")
        return why

    def record(self, run_id: str, components: dict[str, str], outputs: list[Path] | None = None) -> None:
        entry = dict(components)
        if outputs is not None:
            entry[self.OUTPUTS] = {p.relative_to(self.root).as_posix(): sha256_file(p) for p in outputs}
        self.entries[run_id] = entry

    def forget(self, run_id: str) -> None:
        self.entries.pop(run_id, None)

    def save(self) -> None:
        """Write the manifest atomically (never a half-written file, even if killed)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(self.entries, indent=1, sort_keys=True))
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)
