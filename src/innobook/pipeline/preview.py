"""A live-reloading local site for authors and teachers (``make preview``).

The preview serves the book on 127.0.0.1 with sphinx-autobuild's watcher, server and
reload script, and watches the project. Before each Sphinx pass it looks at file sizes and
times (:mod:`.stamp`): when no notebook input changed it goes straight to Sphinx; otherwise it
executes only the notebooks whose inputs changed (the same content-hash cache as
``make book``) and rewrites an executed notebook only when its content changed, so Sphinx
re-reads only the pages whose sources changed. Generated and build folders are ignored by
the watcher, so publishing an executed notebook never triggers another pass.

Where this departs from ``sphinx-autobuild``'s command line: that tool starts a new Python
process for each pre-build command and for each Sphinx pass, and each one imports Sphinx,
the theme, the extensions and the analysis package again and loads the Chinese word
dictionary of the search index (about 2.5 s before any page is read). Here one process
imports all of that once, and every pass runs in a copy of it made by ``fork``
(sphinx-autobuild already runs every rebuild in a child process): the child starts warm, and
whatever a pass leaves behind goes away with it, so every pass starts from the same state.
The first pass reports the modules it imported, and the parent imports them too. Sphinx's own
``build_main`` does the work, as ``sphinx-build`` would. The book's own modules (``src/``,
``book/_ext/``) are the exception to "import once": a pass that finds one of their files
changed since the parent imported it drops them all and runs from fresh imports, so an edit
to an extension or to the engine shows at the next pass, as it did with a new process.

Sphinx needs a ``conf.py``; Jupyter Book 1 derives one from ``_config.yml`` and
``_toc.yml`` (``jupyter-book config sphinx``). It is written to ``_build/preview/conf``
with absolute paths, never into the book's own folders, at each start and after each edit
of ``_config.yml`` (the table of contents is read from ``_toc.yml`` at each pass).
The preview keeps its own output and environment in ``_build/preview``, apart from the
site that ``make book`` publishes.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import stamp
from .build import BuildError, execute
from .site_assets import prepare_assets
from .sphinx_conf import write_conf

PREVIEW = Path("_build") / "preview"

# Watched: the whole project (book/, notebooks/, src/, data/, the configuration). Ignored:
# everything a build writes and everything that is not the book's source.
IGNORED = ("_build", ".venv", ".git", "book/generated", "book/_vendor", "test-artifacts",
           "tools", "node_modules", ".venv.lock")
IGNORED_PATTERNS = (r"__pycache__", r"\.ipynb_checkpoints", r"\.tmp$", r"~$", r"\.swp$")


def sphinx_args(root: Path) -> list[str]:
    """The ``sphinx-build`` arguments of a preview pass."""
    preview = root / PREVIEW
    return [str(root), str(preview / "html"), "-c", str(preview / "conf"),
            "-d", str(preview / "doctrees"), "-q"]


class PreviewPass:
    """One pass of the preview: execute what changed, then run Sphinx, in this process.

    sphinx-autobuild calls it (in a forked child) with the paths that changed. Its messages
    are sphinx-autobuild's own ("Serving on ..." after each pass).
    """

    def __init__(self, root: Path, url_host: str):
        self.root = root
        self.uri = f"http://{url_host}"

    def __call__(self, *, changed_paths: Sequence[Path] = ()) -> int:
        if _forget_edited_modules():
            # the book's own code changed since this process imported it: run the pass from
            # the code as it is now (the modules are imported again, in this child only)
            fresh = importlib.import_module(__name__)
            return fresh.PreviewPass(self.root, self.uri.split("//", 1)[1]).run(changed_paths)
        return self.run(changed_paths)

    def run(self, changed_paths: Sequence[Path]) -> int:
        from sphinx_autobuild.utils import show_message

        if changed_paths:
            shown = []
            for path in changed_paths[:5]:
                try:
                    shown.append(path.relative_to(self.root).as_posix())
                except ValueError:
                    shown.append(path.as_posix())
            show_message(f"Detected changes ({', '.join(shown)})")
            show_message("Rebuilding...")
        try:
            if any(path.name == "_config.yml" for path in changed_paths):
                write_conf(self.root, "en", self.root / PREVIEW / "conf")   # Sphinx's conf.py follows it
            code = self.execute() or self.render()
        except BuildError as err:   # a notebook failed: the build's own message
            print(f"error: {err}", flush=True)
            code = err.exit_code or 1
        except Exception as err:   # noqa: BLE001 - the preview goes on; the author fixes and saves
            from .faults import expected_fault

            fault = expected_fault(err)
            if fault is None:
                import traceback

                traceback.print_exc()
            print(f"error: {fault[0] if fault else err}", flush=True)
            code = fault[1] if fault else 1
        if code:
            print("The preview goes on serving the last pages it built; fix the cause above and "
                  "save again, or press Ctrl-C to stop.", flush=True)
        show_message(f"Serving on {self.uri}")
        sys.stdout.flush()
        return code

    def execute(self) -> int:
        """Execute the notebooks whose inputs changed, if any (0: nothing failed)."""
        if stamp.says_unchanged(self.root):
            return 0
        report = execute(self.root, in_process=True)
        print(f"Done in {report.seconds:.1f} s: executed {len(report.executed)}, "
              f"up to date {len(report.up_to_date)}", flush=True)
        return 0

    def render(self) -> int:
        """Sphinx's own ``build_main``, as ``sphinx-build`` runs it; its exit code."""
        from sphinx.cmd.build import build_main
        from sphinx_autobuild.utils import show_command

        args = sphinx_args(self.root)
        show_command(["sphinx-build", *args])
        code = build_main(args)
        if code:
            print(f"Sphinx exited with exit code: {code}", flush=True)
        return code


def _book_modules(root: Path) -> dict[str, int]:
    """The imported modules whose source is the book's own (``src/``, ``book/``), with the
    modification time of that source when it was imported."""
    tops = [(root / "src").resolve(), (root / "book").resolve()]
    found = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and any(Path(path).resolve().is_relative_to(top) for top in tops):
            found[name] = _IMPORTED.get(name) or os.stat(path).st_mtime_ns
    return found


#: The book's modules imported by this process, with their sources' modification times.
_IMPORTED: dict[str, int] = {}


def _forget_edited_modules() -> bool:
    """If a source file of the book's own modules changed since they were imported, drop all of
    them from ``sys.modules`` (each pass runs in a throw-away child), so they load afresh."""
    edited = False
    for name, imported in _IMPORTED.items():
        module = sys.modules.get(name)
        try:
            edited = edited or module is None or os.stat(module.__file__).st_mtime_ns != imported
        except OSError:
            edited = True   # a module whose file was removed
    if edited:
        for name in _IMPORTED:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
    return edited


def _first_pass(build: PreviewPass) -> list[str]:
    """The first pass, in a child process; returns the names of the modules it imported."""
    build()
    return sorted(sys.modules)


def _in_child(function, *args, **kwargs):
    """Call ``function`` in a forked copy of this process, which it leaves untouched; return
    its result (None, after printing why, if it failed). If this process is interrupted
    meanwhile, the copy is stopped too (a pass may be executing a notebook), not waited for."""
    child, receive = _fork(function, args, kwargs)
    try:
        return _collect(child, receive)
    except BaseException:
        _stop(child)
        raise


async def _in_child_async(function, *args, **kwargs):
    """:func:`_in_child` for the watcher's event loop, which goes on serving pages meanwhile;
    a cancelled watcher (the server shutting down) stops the copy."""
    import asyncio

    child, receive = _fork(function, args, kwargs)
    try:
        return await asyncio.get_running_loop().run_in_executor(None, _collect, child, receive)
    except BaseException:
        _stop(child)
        raise


def _fork(function, args, kwargs):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(send, function, args, kwargs))
    child.start()
    send.close()
    return child, receive


def _collect(child, receive):
    try:
        status, value = receive.recv()
    except EOFError:
        status, value = "failed", f"the pass ended without a result (exit code {child.exitcode})"
    finally:
        receive.close()
    child.join()
    if status == "failed":
        print(f"error: {value}", flush=True)
        return None
    return value


def _child_main(send, function, args, kwargs) -> None:
    def stop(signum, frame):   # not the server's handlers, which the fork inherits
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        send.send(("done", function(*args, **kwargs)))
    except KeyboardInterrupt:
        send.send(("failed", "the pass was stopped"))
    except BaseException as err:   # noqa: BLE001 - reported to the parent, which goes on
        send.send(("failed", f"{type(err).__name__}: {err}"))
    finally:
        send.close()


def _stop(child) -> None:
    child.terminate()
    child.join(10)
    if child.is_alive():
        child.kill()
        child.join()


def _warm_up(conf: Path) -> None:
    """Import what every pass needs, once, so that forked passes start with it loaded: Sphinx,
    the theme, every extension ``conf.py`` names (imported, not set up: each pass sets up its
    own application), papermill, and jieba's dictionary for the Chinese words of the search."""
    import jieba
    import papermill  # noqa: F401
    import sphinx.application  # noqa: F401
    import sphinx.cmd.build  # noqa: F401

    settings: dict = {}
    exec(compile((conf / "conf.py").read_text(encoding="utf-8"), str(conf / "conf.py"), "exec"), settings)
    for name in [*settings.get("extensions", []), settings.get("html_theme", "")]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass   # Sphinx reports it, with its own message, when the pass loads it
    jieba.setLogLevel(60)
    words = (settings.get("html_search_options") or {}).get("dict")
    if words and os.path.isfile(words):
        jieba.load_userdict(words)   # loads jieba's own dictionary first (about 0.5 s)
    else:
        jieba.initialize()


def _watcher_class():
    from sphinx_autobuild.server import RebuildServer

    class Watcher(RebuildServer):
        """sphinx-autobuild's watcher, which says "Waiting to detect changes..." only once it
        is watching (an edit saved before that would go unseen), and runs each pass in a
        forked copy of this process, as its own does, but stops that copy when the server
        shuts down rather than waiting for the pass to end."""

        async def watch(self) -> None:
            import watchfiles
            from sphinx_autobuild.utils import show_message

            ready = False
            async for changes in watchfiles.awatch(*self.paths, watch_filter=lambda _, path: not self.ignore(path),
                                                   yield_on_timeout=True, rust_timeout=200):
                if not changes:   # no change within 0.2 s: the first one says the watch is on
                    if not ready:
                        ready = True
                        show_message("Waiting to detect changes...")
                        sys.stdout.flush()
                    continue
                changed = [Path(path).resolve() for _, path in changes]
                await _in_child_async(self.change_callback, changed_paths=changed)
                self.flag.set()

    return Watcher


def _app(root: Path, build: PreviewPass, url_host: str):
    """sphinx-autobuild's web application: static files, the reload script and the watcher."""
    from sphinx_autobuild.filter import IgnoreFilter
    from sphinx_autobuild.middleware import JavascriptInjectorMiddleware
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    ignore = IgnoreFilter([root / name for name in IGNORED], list(IGNORED_PATTERNS))
    watcher = _watcher_class()([root], ignore, change_callback=build)
    return Starlette(
        routes=[WebSocketRoute("/websocket-reload", watcher, name="reload"),
                Mount("/", app=StaticFiles(directory=root / PREVIEW / "html", html=True), name="static")],
        middleware=[Middleware(JavascriptInjectorMiddleware, ws_url=url_host)],
        lifespan=watcher.lifespan)


def preview(root: Path, port: int = 8000) -> int:
    """Execute what changed, then serve a live-reloading site until interrupted."""
    import uvicorn
    from sphinx_autobuild.utils import find_free_port, show_message

    prepare_assets(root)
    execute(root)  # fail early, with the build's own message, if a notebook or the data is wrong
    conf = root / PREVIEW / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (root / PREVIEW / "html").mkdir(parents=True, exist_ok=True)
    write_conf(root, "en", conf)
    os.environ["INNOBOOK_ROOT"] = str(root)
    os.environ["NO_COLOR"] = "1"
    logging.getLogger("watchfiles").setLevel(logging.WARNING)   # its "1 change detected" lines
    port = port or find_free_port()
    url_host = f"127.0.0.1:{port}"
    print(f"Preview on http://{url_host}/: edits to book/, notebooks/, src/ and data/ rebuild what "
          "they touch (Ctrl-C to stop)", flush=True)

    def stop(signum, frame):  # a terminated preview stops its server and its pass too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    _warm_up(conf)
    build = PreviewPass(root, url_host)
    app = _app(root, build, url_host)
    show_message("Starting initial build")
    for name in _in_child(_first_pass, build) or ():
        if name not in sys.modules:   # what a pass imports lazily (the Sphinx pass, the writers)
            try:
                importlib.import_module(name)
            except Exception:   # noqa: BLE001 - a module that imports only inside a pass
                pass
    _IMPORTED.update(_book_modules(root))

    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    except KeyboardInterrupt:
        pass
    show_message("Preview stopped")
    return 0
