"""The live preview (``make preview``).

It runs in a scratch copy trimmed to one notebook run, so that the initial execution is
short; pages whose chapter is not run are left out of the table of contents (the preview
reports them and goes on). About a minute on a 2-core machine. Incremental rendering in
``make book`` is tested in ``test_build.py``, on the full book.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import copy_project

pytestmark = pytest.mark.slow


def one_run_project(dest: Path) -> Path:
    root = copy_project(dest)
    runs = root / "notebooks" / "runs.yml"
    text = runs.read_text()
    runs.write_text(text[:text.index("runs:")] + "runs:\n  - notebook: rnd_growth\n")
    return root


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def wait_for(predicate, seconds: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    tail = ""
    if log is not None and log.exists():
        lines = [l for l in log.read_text(errors="replace").splitlines() if "WARNING" not in l]
        tail = "\npreview log (warnings left out), last lines:\n" + "\n".join(lines[-40:])
    raise AssertionError(f"timed out after {seconds} s waiting for {what}{tail}")


def add_to_markdown_cell(notebook: Path, text: str) -> None:
    nb = json.loads(notebook.read_text())
    cell = [c for c in nb["cells"] if c["cell_type"] == "markdown"][1]
    cell["source"] = "".join(cell["source"]) + text
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def test_preview_serves_on_a_free_port_picks_up_edits_and_stops_cleanly(tmp_path):
    root = one_run_project(tmp_path / "book")
    env = {**os.environ, "INNOBOOK_ROOT": str(root)}
    log_path = tmp_path / "preview.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "innobook", "preview", "--port", "0"], cwd=root,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def served():
            text = log_path.read_text(errors="replace")
            found = re.findall(r"Serving on (http://127\.0\.0\.1:\d+)", text)
            return found[-1] if found and "Waiting to detect changes" in text else None

        url = wait_for(served, 240, "the preview to serve its first build", log_path)
        assert wait_for(lambda: "Glossary" in fetch(url + "/book/glossary.html"), 60, "the glossary page", log_path)

        (root / "book" / "glossary.md").write_text((root / "book" / "glossary.md").read_text()
                                                    + "\nA sentence added while previewing: PROSEMARK.\n")
        wait_for(lambda: "PROSEMARK" in fetch(url + "/book/glossary.html"), 90, "the prose edit", log_path)

        add_to_markdown_cell(root / "notebooks" / "rnd_growth.ipynb", "\n\nA note added: NOTEBOOKMARK.")
        wait_for(lambda: "NOTEBOOKMARK" in fetch(url + "/book/generated/rnd_growth.html"), 150,
                 "the notebook edit to be executed and rendered", log_path)
        text = log_path.read_text(errors="replace")
        assert "rnd_growth: notebook" in text, "the edited notebook was re-executed because it changed"
        # once at start, once for the notebook edit: the prose edit executed nothing
        assert text.count("Executing 1 notebook run") == 2, text
        assert "Nothing changed since the last execution" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("the preview did not stop within 20 s of SIGTERM")
    assert code == 0
    port = int(url.rsplit(":", 1)[1])
    time.sleep(0.5)
    assert fetch(url + "/") == "", f"something still answers on port {port} after the preview stopped"
    assert not (root / "conf.py").exists(), "the preview writes its configuration under _build only"
