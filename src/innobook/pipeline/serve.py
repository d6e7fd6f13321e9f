"""Preview the built site on localhost (``python -m innobook serve``)."""

from __future__ import annotations

import errno
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .build import SITE, BuildError


def serve(root: Path, port: int = 8000) -> int:
    site = root / SITE
    if not (site / "index.html").exists():
        raise BuildError("no site yet: build it first with `make book`", 2)
    if not 0 <= port <= 65535:
        raise BuildError(f"--port {port}: a port is a number from 1 to 65535 (0 picks a free one)", 2)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise BuildError(f"port {port} on 127.0.0.1 is in use (another server is running); stop "
                             "it, or choose another port with --port (0 picks a free one)", 1) from None
        raise BuildError(f"cannot listen on 127.0.0.1:{port} ({err.strerror or err}); "
                         "choose another port with --port", 1) from None
    with server:
        port = server.server_address[1]
        print(f"Serving {SITE} at http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
