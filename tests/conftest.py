"""Shared fixtures: a scratch copy of the project, so tests never touch the real book."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from innobook.pipeline.bench import copy_sources

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    """Copy the sources of the project (not its build products) to ``dest``."""
    return copy_sources(ROOT, dest)


def toc_pages() -> list[str]:
    """Every page the table of contents names, as site paths (``book/intro.html`` ...)."""
    import re

    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return list(dict.fromkeys(re.sub(r"\.(md|ipynb)$", "", f) + ".html" for f in files))


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A fresh copy of the project, with INNOBOOK_ROOT pointing at it."""
    root = copy_project(tmp_path / "book")
    monkeypatch.setenv("INNOBOOK_ROOT", str(root))
    monkeypatch.chdir(root)
    return root


# --------------------------------------------------------------------------- the built site
# Browser tests share one build per session, made in a scratch copy by the README's command.
# Set INNOBOOK_TEST_SITE to a built ``_build/html`` folder to test that site instead (faster
# when working on the tests themselves; the default run always builds from scratch).

def _build_scratch_site(base: Path) -> Path:
    import os
    import subprocess
    import sys

    root = copy_project(base / "book")
    env = {**os.environ, "INNOBOOK_ROOT": str(root)}
    proc = subprocess.run([sys.executable, "-m", "innobook", "build"], cwd=root, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "_build" / "html"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The ``_build/html`` folder of a site built once per test session."""
    import os

    given = os.environ.get("INNOBOOK_TEST_SITE")
    if given:
        site = Path(given).resolve()
        assert (site / "index.html").exists(), f"INNOBOOK_TEST_SITE={given} holds no built site"
        return site
    return _build_scratch_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def site_url(built_site):
    """The built site served on 127.0.0.1 (a free port), for the length of the session."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- the browser
# One Chromium for the whole session, shared by every browser test module: Playwright's sync
# API refuses to start a second instance while one is running in the same process.
CHROMIUM = os.environ.get("INNOBOOK_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser_deps.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/`` (git-ignored): screenshots and printed pages for a person to look at."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
