"""Preview the built site on localhost (``python -m innobook serve``)."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .build import SITE, BuildError


def serve(root: Path, port: int = 8000) -> int:
    site = root / SITE
    if not (site / "index.html").exists():
        raise BuildError("no site yet: build it first with `make book`", 2)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Serving {SITE} at http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
