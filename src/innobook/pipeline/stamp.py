"""A quick "has anything changed?" check before the real one, for the live preview and
``make book``.

The build's cache compares SHA-256 digests of every input, after validating the data: exact,
but it takes seconds (pandas, frictionless and the hashing). The live preview asks the
question before every Sphinx pass, mostly after an edit to a prose page that cannot change
any notebook's result. This module answers it from file sizes and modification times alone,
the way ``make`` does, using the standard library only: if no file that execution reads or
publishes has changed since the last successful execution, nothing needs to run. Any
difference (a file added, removed, touched or resized) sends the caller to the full check,
so the stamp can make a build faster but never make it skip real work.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STAMP = Path("_build") / "cache" / "execute-stamp.json"

# What execution reads (templates, declarations, runs, data, the code notebooks import, the
# pinned environment) and what it publishes (executed notebooks and their results).
WATCHED = ("notebooks", "data", "src/innobook", "book/generated", "requirements.txt")


def snapshot(root: Path) -> dict[str, list[int]]:
    """Size and modification time (ns) of every watched file, by path relative to ``root``."""
    found: dict[str, list[int]] = {}
    for name in WATCHED:
        top = root / name
        if top.is_file():
            st = top.stat()
            found[name] = [st.st_size, st.st_mtime_ns]
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for file in files:
                if file.endswith((".pyc", ".tmp")):
                    continue
                path = Path(folder) / file
                st = path.stat()
                found[path.relative_to(root).as_posix()] = [st.st_size, st.st_mtime_ns]
    return found


def unchanged(root: Path) -> bool:
    """True when no watched file changed since :func:`record` was last called."""
    try:
        recorded = json.loads((root / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return recorded == snapshot(root)


def record(root: Path) -> None:
    """Remember the watched files as they are after a successful execution."""
    path = root / STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(snapshot(root)))
    tmp.replace(path)


def forget(root: Path) -> None:
    (root / STAMP).unlink(missing_ok=True)


def quick_exit(argv: list[str]) -> bool:
    """For ``python -m innobook execute --if-changed``: True (after saying so) when nothing
    changed, before the command line module and its heavy imports are loaded."""
    if not argv or argv[0] != "execute" or "--if-changed" not in argv or "--force" in argv:
        return False
    env = os.environ.get("INNOBOOK_ROOT")
    here = Path(env).resolve() if env else Path.cwd().resolve()
    root = next((p for p in (here, *here.parents) if (p / "_config.yml").exists()), None)
    return root is not None and says_unchanged(root)


def says_unchanged(root: Path) -> bool:
    """:func:`unchanged`, saying so when it is (the live preview before each pass, and
    ``execute --if-changed``)."""
    if not unchanged(root):
        return False
    print("Nothing changed since the last execution", flush=True)
    return True
