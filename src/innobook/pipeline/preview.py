"""A live-reloading local site for authors and teachers (``make preview``).

``sphinx-autobuild`` serves the book on 127.0.0.1 and watches the project. Before each
Sphinx pass it runs ``python -m innobook execute --if-changed``: a look at file sizes and
times (:mod:`.stamp`) answers at once when no notebook input changed; otherwise it executes
only the notebooks whose inputs changed (the same content-hash cache as ``make book``) and rewrites an executed
notebook only when its content changed; Sphinx then re-reads only the pages whose sources
changed. Generated and build folders are ignored by the watcher, so publishing an executed
notebook never triggers another pass.

Sphinx needs a ``conf.py``; Jupyter Book 1 derives one from ``_config.yml`` and
``_toc.yml`` (``jupyter-book config sphinx``). It is written to ``_build/preview/conf``
with absolute paths, never into the book's own folders, and rewritten at each start.
The preview keeps its own output and environment in ``_build/preview``, apart from the
site that ``make book`` publishes.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from .build import execute
from .site_assets import prepare_assets
from .sphinx_conf import write_conf

PREVIEW = Path("_build") / "preview"

# Watched: the whole project (book/, notebooks/, src/, data/, the configuration). Ignored:
# everything a build writes and everything that is not the book's source.
IGNORED = ("_build", ".venv", ".git", "book/generated", "book/_vendor", "test-artifacts",
           "tools", "node_modules", ".venv.lock")
IGNORED_PATTERNS = (r"__pycache__", r"\.ipynb_checkpoints", r"\.tmp$", r"~$", r"\.swp$")

def autobuild_command(root: Path, port: int) -> list[str]:
    """The ``sphinx-autobuild`` command line for this project."""
    preview = root / PREVIEW
    pre_build = shlex.join([sys.executable, "-m", "innobook", "execute", "--if-changed"])
    cmd = [str(Path(sys.executable).with_name("sphinx-autobuild")), str(root), str(preview / "html"),
           "-c", str(preview / "conf"), "-d", str(preview / "doctrees"),
           "--host", "127.0.0.1", "--port", str(port), "--pre-build", pre_build, "-q"]
    for name in IGNORED:
        cmd += ["--ignore", str(root / name)]
    for pattern in IGNORED_PATTERNS:
        cmd += ["--re-ignore", pattern]
    return cmd


def preview(root: Path, port: int = 8000) -> int:
    """Execute what changed, then serve a live-reloading site until interrupted."""
    prepare_assets(root)
    execute(root)  # fail early, with the build's own message, if a notebook or the data is wrong
    conf = root / PREVIEW / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    write_conf(root, "en", conf)
    cmd = autobuild_command(root, port)
    shown = "any free port" if port == 0 else f"http://127.0.0.1:{port}/"
    print(f"Preview on {shown}: edits to book/, notebooks/, src/ and data/ rebuild what they "
          "touch (Ctrl-C to stop)", flush=True)
    env = {**os.environ, "INNOBOOK_ROOT": str(root), "NO_COLOR": "1"}

    def stop(signum, frame):  # a terminated preview stops its server too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    proc = subprocess.Popen(cmd, cwd=root, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0
    except BaseException:
        proc.kill()
        raise

