"""The build: from ``data/`` and ``notebooks/`` to the static site in ``_build/html``.

``build()`` reads as the table of contents of the pipeline:

1. ``preflight``: validate the data package and every parameter set, before any kernel starts;
2. ``plan``: compare content hashes and pick the runs whose inputs changed;
3. ``execute``: run those notebooks with papermill, in parallel;
4. ``publish_notebooks``: tidy each executed notebook, check it holds no error, write it
   and its key results into ``book/generated/`` (failed ones go to ``_build/failed/``);
5. ``build_site``: render the book with Jupyter Book (execution off, warnings are
   errors) into a staging folder, then swap it in for ``_build/html``.

A failure at any step leaves the last good site where it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, notebook_io, stamp
from .execute import Outcome, execute_all, job_for
from .params import ParameterError, Run, load_declarations, load_runs

GENERATED = Path("book") / "generated"
RESULTS = GENERATED / "results"
FAILED = Path("_build") / "failed"
STAGING = Path("_build") / ".staging"
SITE = Path("_build") / "html"
SITE_KEY = Path("_build") / "cache" / "site.json"


class BuildError(Exception):
    """A build step failed; ``exit_code`` is 2 for bad input, 1 for a failed step."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class BuildReport:
    executed: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    site_built: bool = False
    seconds: float = 0.0
    started: float = field(default=0.0, repr=False)

    def as_dict(self) -> dict:
        return {"executed": self.executed, "up_to_date": self.up_to_date,
                "reasons": self.reasons, "site_built": self.site_built,
                "seconds": round(self.seconds, 2)}


def project_root() -> Path:
    env = os.environ.get("INNOBOOK_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "_config.yml").exists() and (candidate / "notebooks").is_dir():
            return candidate
    raise BuildError("run this from the book's folder (the one with _config.yml)", 2)


# --------------------------------------------------------------------------- 1. preflight
def preflight(root: Path) -> list[Run]:
    """Validate data and parameters; nothing runs if either is wrong (exit code 2)."""
    from ..data import DataValidationError, validate_all

    try:
        validate_all()
    except DataValidationError as err:
        raise BuildError(f"Data check failed, nothing was executed:\n{err}", 2) from err
    try:
        specs = load_declarations(root)
        check_templates(specs.values())
        return load_runs(root, specs)
    except ParameterError as err:
        raise BuildError(f"Parameter check failed, nothing was executed:\n  {err}", 2) from err


def check_templates(specs) -> None:
    """Each template's ``parameters`` cell must match its declaration exactly."""
    import nbformat

    for spec in specs:
        nb = nbformat.read(spec.path, as_version=4)
        try:
            _, defaults = notebook_io.parameters_cell(nb)
        except ValueError as err:
            raise ParameterError(f"{spec.label}: {err}") from err
        if defaults != spec.defaults():
            raise ParameterError(
                f"{spec.label}: the parameters cell {defaults} does not match the declaration in "
                f"notebooks/{spec.name}.params.yml {spec.defaults()}")
        for index, what in notebook_io.plumbing_cells(nb):
            raise ParameterError(
                f"{spec.label}: code cell {index} {what}, which is plumbing a reader should not see; "
                "move it to a cell of its own tagged remove-cell (remove-input if it shows output)")
        if any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            raise ParameterError(f"{spec.label}: notebook templates are committed without outputs; "
                                 "clear them (Kernel > Restart and Clear Outputs)")


# --------------------------------------------------------------------------- 2. plan
def plan(runs: list[Run], root: Path, force: bool = False, out=sys.stdout
         ) -> tuple[list[Run], dict[str, dict], dict[str, list[str]]]:
    """Which runs must execute, their hashed inputs, and why."""
    from ..data import resource_files

    manifest = cache.Manifest(root)
    remove_unproduced(runs, root, manifest, out)
    shared = {"package": cache.package_digest(root),
              "requirements": cache.sha256_file(root / "requirements.txt"),
              "translations": cache.optional_digest(root / cache.OUTPUT_CATALOG)}
    stale, components, reasons = [], {}, {}
    for run in runs:
        comp = cache.run_components(run, root, resource_files, shared)
        components[run.run_id] = comp
        why = manifest.changed(run.run_id, comp)
        if not (root / GENERATED / f"{run.run_id}.ipynb").exists():
            why = why or ["executed notebook missing"]
        # What was published must still be what this run wrote: a deleted results file or an
        # edited or truncated executed notebook makes the run execute again.
        why = why or manifest.outputs_changed(run.run_id)
        if force:
            why = why or ["forced"]
        if why:
            stale.append(run)
            reasons[run.run_id] = why
    return stale, components, reasons


def published_outputs(run_id: str, root: Path) -> list[Path]:
    """The files one run publishes into the book."""
    return [root / GENERATED / f"{run_id}.ipynb", root / RESULTS / f"{run_id}.json"]


def remove_unproduced(runs: list[Run], root: Path, manifest: cache.Manifest | None = None,
                      out=sys.stdout) -> list[str]:
    """Remove published notebooks and results that no run of ``runs.yml`` produces any more
    (a run removed or renamed), and half-written files left by a killed build."""
    manifest = manifest or cache.Manifest(root)
    ids = {run.run_id for run in runs}
    removed = []
    candidates = [*(root / GENERATED).glob("*.ipynb"), *(root / RESULTS).glob("*.json"),
                  *(root / GENERATED).glob("*.tmp"), *(root / RESULTS).glob("*.tmp")]
    for path in sorted(candidates):
        if path.suffix == ".tmp" or path.stem not in ids:
            path.unlink(missing_ok=True)
            removed.append(path.relative_to(root).as_posix())
    gone = [run_id for run_id in manifest.entries if run_id not in ids]
    for run_id in gone:
        manifest.forget(run_id)
    if gone:
        manifest.save()
    if removed:
        print(f"  removed what no run in notebooks/runs.yml produces: {', '.join(removed)}",
              file=out, flush=True)
    return removed


# --------------------------------------------------------------------------- 3-4. execute and publish
def publish_notebook(outcome: Outcome, run: Run, root: Path, generated: Path, results: Path) -> str | None:
    """Tidy one executed notebook and move it into place; return a problem or None."""
    import nbformat

    nb = nbformat.read(outcome.output, as_version=4)
    found = notebook_io.problems(nb)
    if found:
        return f"{run.notebook.label}: " + "; ".join(p.describe() for p in found)
    unrecordable = unrecordable_results(nb)
    if unrecordable:
        name, text = unrecordable[0]
        return (f"{run.notebook.label}: key result {name!r} cannot be recorded: its value {text} is not "
                "a finite number, a text, true/false or a list of them; compute a finite value or "
                "leave the result out")
    if run.parameters:
        helps = {name: spec.help for name, spec in run.notebook.parameters.items()}
        notebook_io.insert_parameter_box(nb, notebook_io.parameter_box(run.notebook.name, run.parameters, helps))
    notebook_io.tidy(nb)
    generated.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    _write_atomic(generated / f"{run.run_id}.ipynb", nbformat.writes(nb) + "\n")
    payload = {"run": run.run_id, "notebook": run.notebook.label, "parameters": run.parameters,
               "results": notebook_io.glued_values(nb),
               # Text without a Chinese entry: the Chinese edition is not rendered while any is left.
               "untranslated": notebook_io.untranslated(nb)}
    _write_atomic(results / f"{run.run_id}.json", json.dumps(payload, indent=1, sort_keys=True,
                                                             ensure_ascii=False) + "\n")
    return None


def unrecordable_results(nb) -> list[tuple[str, str]]:
    """Glued plain values whose text cannot be read back (``inf``, ``nan``, an object ...).

    ``notebook_io.glued_values`` skips them, so without this check they would vanish from the
    results file without a word."""
    import ast

    bad = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = output.get("data", {})
            prefix = meta.get("mime_prefix", "")
            if any(k != prefix + "text/plain" for k in data):
                continue  # a chart, a table, Markdown: not a key result
            text = data.get(prefix + "text/plain", "")
            try:
                ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                bad.append((meta.get("name", "?"), text if len(text) < 60 else text[:57] + "..."))
    return bad


def _write_atomic(path: Path, text: str) -> None:
    """Write by rename, and only when the content changed: an unchanged executed notebook keeps
    its file untouched, so Sphinx (and the live preview) re-reads only the pages that changed."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def execute_and_publish(stale: list[Run], components: dict, root: Path, workers: int | None,
                        out=sys.stdout, in_process: bool = False) -> None:
    """Run the stale notebooks; publish successes; keep failures aside and raise."""
    work = root / STAGING / "notebooks"
    shutil.rmtree(work, ignore_errors=True)
    jobs = [job_for(run, work / f"{run.run_id}.ipynb", root) for run in stale]
    by_id = {run.run_id: run for run in stale}
    manifest = cache.Manifest(root)
    failures = []

    def done(outcome: Outcome) -> None:
        # Publish each run as it finishes and write the manifest at once (atomically), so a
        # build killed half-way keeps the runs it finished.
        run = by_id[outcome.run_id]
        problem = None if outcome.ok else outcome.describe_failure(root)
        if problem is None:
            problem = publish_notebook(outcome, run, root, root / GENERATED, root / RESULTS)
        if problem is None:
            manifest.record(run.run_id, components[run.run_id], published_outputs(run.run_id, root))
            manifest.save()
            return
        kept = root / FAILED / f"{run.run_id}.ipynb"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if outcome.output.exists():
            shutil.copyfile(outcome.output, kept)
        failures.append(f"{problem}\n    executed notebook kept at {kept.relative_to(root)}")

    execute_all(jobs, workers, out, on_done=done, in_process=in_process)
    if failures:
        raise BuildError("Notebook execution failed; the site was not rebuilt and the last good "
                         "one is untouched:\n  " + "\n  ".join(failures), 1)


# --------------------------------------------------------------------------- 5. site
def site_inputs_digest(root: Path) -> str:
    files = [root / "_config.yml", root / "_toc.yml", root / "requirements.txt"]
    files += [p for p in (root / "book").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [p for p in (root / "data").rglob("*") if p.is_file()]  # the Data page lists them
    files += [p for p in (root / "locales").rglob("*") if p.is_file()]  # the Chinese edition
    return cache.sha256_files(files, root)


SPHINX = Path("_build") / "sphinx"          # Jupyter Book's output kept between builds
SPHINX_HTML = SPHINX / "_build" / "html"
#: Where each edition's Sphinx output is kept between builds, and where it goes in the site.
EDITION_DIRS = {"en": (SPHINX, ""), "zh": (Path("_build") / "sphinx-zh", "zh")}
SPHINX_KEY = Path("_build") / "cache" / "sphinx.json"


def structure_digest(root: Path) -> str:
    """What Sphinx cannot track by itself: the table of contents, the configuration, the
    extensions and the set of pages. When it changes, the kept environment is thrown away, so
    no page of a removed chapter survives and every page sees a changed extension."""
    files = [root / "_config.yml", root / "_toc.yml", root / "requirements.txt"]
    files += sorted((root / "book" / "_ext").glob("*.py"))
    # the edition's settings and the interface words are on every page
    files += [p for p in [root / "locales" / "zh_CN" / "edition.yml", root / "locales" / "zh_CN" / "interface.po",
                          root / "locales" / "zh_CN" / "search_words.txt"]
              if p.exists()]
    names = sorted(p.relative_to(root).as_posix() for p in (root / "book").rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    return cache.sha256_files(files, root) + hashlib.sha256("\n".join(names).encode()).hexdigest()


def build_site(root: Path, out=sys.stdout, force: bool = False) -> bool:
    """Render the book and swap it in for ``_build/html``; False if it was up to date.

    Each edition (English, and Chinese once ``locales/zh_CN/edition.yml`` publishes it) is
    rendered by its own Sphinx process from the same executed notebooks, at the same time,
    each with its own environment and doctrees kept between builds (``_build/sphinx``,
    ``_build/sphinx-zh``), so an edit to one page re-renders that page, not the whole book.
    The Chinese catalogs are checked and compiled first; any problem stops the build.
    Both editions' HTML is copied to one staging folder (the Chinese under ``zh/``) and
    swapped in by rename, so a failed or interrupted build never leaves a half-written site
    where the last good one was. A failed build also discards the kept environments, so the
    next build reads every page again and reports every warning.
    """
    from .catalogs import CatalogError, compile_all, compile_if_changed
    from .site_assets import prepare_assets
    from .sphinx_conf import editions, write_conf

    prepare_assets(root)
    check_generated(root)
    digest = site_inputs_digest(root)
    key_file = root / SITE_KEY
    if not force and (root / SITE / "index.html").exists() and key_file.exists() \
            and json.loads(key_file.read_text()).get("inputs") == digest:
        print("Site is up to date", file=out, flush=True)
        return False
    chosen = editions(root)
    structure = structure_digest(root) + "|" + ",".join(chosen)
    sphinx_key = root / SPHINX_KEY
    known = json.loads(sphinx_key.read_text()).get("structure") if sphinx_key.exists() else None
    fresh = force or known != structure or not all(
        (root / EDITION_DIRS[e][0] / "_build" / "html" / "index.html").exists() for e in chosen)
    if fresh:
        for kept, _ in EDITION_DIRS.values():
            shutil.rmtree(root / kept, ignore_errors=True)
    print(f"Rendering the site ({' and '.join(chosen)}; {'every page' if fresh else 'changed pages'}; "
          "execution off, warnings are errors)", file=out, flush=True)
    started = time.perf_counter()
    # The English render needs no catalogs: it starts while the Chinese ones are checked.
    procs = {e: start_sphinx(root, write_conf(root, e), root / EDITION_DIRS[e][0]) for e in chosen if e == "en"}
    if "zh" in chosen:
        try:
            if force:
                compile_all(root)
            else:
                compile_if_changed(root)
        except CatalogError as err:
            # a finished English render stays valid for the next build; a failed one is discarded
            if any(finish(proc)[0] != 0 for proc in procs.values()):
                for kept, _ in EDITION_DIRS.values():
                    shutil.rmtree(root / kept, ignore_errors=True)
                sphinx_key.unlink(missing_ok=True)
            raise BuildError(str(err), 1) from None
    procs.update({e: start_sphinx(root, write_conf(root, e), root / EDITION_DIRS[e][0])
                  for e in chosen if e not in procs})
    results = {e: finish(p) for e, p in procs.items()}
    failed = [e for e, (code, _) in results.items()
              if code != 0 or not (root / EDITION_DIRS[e][0] / "_build" / "html" / "index.html").exists()]
    if failed:
        for kept, _ in EDITION_DIRS.values():
            shutil.rmtree(root / kept, ignore_errors=True)
        sphinx_key.unlink(missing_ok=True)
        log = root / "_build" / "site-build.log"
        text = "".join(f"===== {e}\n{results[e][1]}" for e in chosen)
        log.write_text(text, encoding="utf-8")
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        warnings = [l for l in text.splitlines() if "WARNING" in l or "ERROR" in l]
        raise BuildError(f"Jupyter Book failed ({', '.join(failed)}); the last good site is untouched.\n  "
                         + "\n  ".join(warnings[:20] or ["see " + str(log.relative_to(root))])
                         + f"\n  full log: {log.relative_to(root)}", 1)
    sphinx_key.parent.mkdir(parents=True, exist_ok=True)
    sphinx_key.write_text(json.dumps({"structure": structure,
                                      "written": pages_written(results["en"][1])}))
    staging = root / STAGING / "site"
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    for e in chosen:
        kept, sub = EDITION_DIRS[e]
        stage(root / kept / "_build" / "html", staging / sub if sub else staging,
              root / SITE / sub if sub else root / SITE)
    swap_in(staging, root / SITE)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(json.dumps({"inputs": digest}))
    print(f"Site built in {time.perf_counter() - started:.1f} s: {SITE}/index.html", file=out, flush=True)
    return True


def start_sphinx(root: Path, conf: Path, output: Path) -> subprocess.Popen:
    """One edition's render (incremental: only outdated pages are written), as Jupyter Book
    runs it: HTML builder, nitpicky, warnings are errors, every warning reported."""
    cmd = [str(Path(sys.executable).with_name("sphinx-build")), "-b", "html", "-c", str(conf),
           "-d", str(output / "_build" / ".doctrees"), "-W", "-n", "--keep-going",
           str(root), str(output / "_build" / "html")]
    log = output.with_name(output.name + ".log")   # a file, not a pipe: two renders run at once
    output.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, cwd=root, stdout=fh, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "NO_COLOR": "1", "INNOBOOK_ROOT": str(root)})
    proc.log = log
    return proc


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    proc.wait()
    return proc.returncode, proc.log.read_text(encoding="utf-8", errors="replace")


def pages_written(sphinx_output: str) -> list[str]:
    """The documents Sphinx wrote, read from its ``writing output... [ n%] docname`` lines."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", sphinx_output)
    return sorted(set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", text)))


def check_generated(root: Path) -> None:
    """Never render an executed notebook that holds an error output."""
    import nbformat

    for path in sorted((root / GENERATED).glob("*.ipynb")):
        found = notebook_io.problems(nbformat.read(path, as_version=4))
        if found:
            raise BuildError(f"{path.relative_to(root)} holds an error output and will not be "
                             f"rendered: {found[0].describe()}", 1)


def stage(rendered: Path, staging: Path, published: Path) -> None:
    """Copy one edition's rendered HTML into the staging folder, ``rsync --link-dest`` style.

    A file the published site already holds as it is (same size and modification time: the
    site's files are copies made with their times) is hard-linked from the published site
    instead of copied, so an incremental build copies only the pages it wrote (the whole site
    is about 100 MB). Sphinx writes into its own output, never into the published site, and
    nothing writes into the site after the swap, so a linked file is never changed in place.
    """
    def copy(src: str, dst: str) -> str:
        old = published / Path(dst).relative_to(staging)
        try:
            a, b = os.stat(src), os.stat(old)
            if a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns:
                os.link(old, dst)
                return dst
        except OSError:
            pass   # not published yet, or not linkable here: copy
        return shutil.copy2(src, dst)

    shutil.copytree(rendered, staging, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"),
                    dirs_exist_ok=True, copy_function=copy)


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with two renames, so no half-written site is ever served.

    A leftover ``<target>.old`` (from a swap that was interrupted, or one that could not be
    removed) never stops the swap: it is removed, or moved aside with a message saying what
    to delete by hand.
    """
    old = target.with_name(target.name + ".old")
    if not target.exists() and _exists(old):
        old.rename(target)  # an interrupted swap: the last good site is back before we go on
    _clear(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    _clear(old)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def _clear(path: Path) -> None:
    """Remove a leftover file or folder; if it cannot be removed, move it out of the way."""
    if not _exists(path):
        return
    try:
        _remove(path)
        return
    except OSError as err:
        reason = err.strerror or str(err)
    aside = path.with_name(f"{path.name}-{os.getpid()}-{int(time.time())}")
    try:
        path.rename(aside)
    except OSError as err:
        raise BuildError(f"{path} is left over from an earlier build and cannot be removed "
                         f"({reason}) or moved ({err.strerror or err}); remove it by hand "
                         "and build again", 1) from None
    try:
        _remove(aside)
    except OSError:
        print(f"warning: {path} could not be removed ({reason}); it was moved to {aside.name}: "
              "remove that by hand", file=sys.stderr, flush=True)


def recover_leftovers(root: Path, out=sys.stderr) -> None:
    """Undo what a killed build can leave behind (called with the build lock held)."""
    target = root / SITE
    old = target.with_name(target.name + ".old")
    if not target.exists() and _exists(old) and old.is_dir() and not old.is_symlink():
        old.rename(target)
        print(f"Restored the last good site from {old.relative_to(root)} (a build was "
              "interrupted while swapping it in)", file=out, flush=True)
    elif target.exists():
        _clear(old)


# --------------------------------------------------------------------------- the whole build
LOCK = Path("_build") / "build.lock"
_HELD: dict[str, list] = {}          # root -> [thread lock, depth] of the locks this process holds
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def exclusive(root: Path, out=sys.stderr):
    """Hold the build lock, so two builds in one folder wait for each other instead of clashing.

    The lock is a POSIX record lock (``fcntl.lockf``) on ``_build/build.lock``: the kernel drops
    it when the process that holds it ends, however it ends, and no child process ever holds it
    (record locks are not inherited), so a killed build never locks out the next one. The file
    records the holder's pid, and a build that has to wait says for which one. Re-entrant within
    one process (and exclusive between its threads).
    """
    key = str(Path(root).resolve())
    with _HELD_GUARD:
        held = _HELD.setdefault(key, [threading.RLock(), 0])
    with held[0]:
        if held[1]:
            held[1] += 1
            try:
                yield
            finally:
                held[1] -= 1
            return
        fd = _acquire(root / LOCK, out)
        held[1] = 1
        try:
            recover_leftovers(root, out)
            yield
        finally:
            held[1] = 0
            os.close(fd)  # releases the record lock


def _acquire(path: Path, out) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            who = f"the build with pid {holder}" if holder else "another build"
            print(f"waiting for {who} to finish in this folder ({path.parent.parent})",
                  file=out, flush=True)
            fcntl.lockf(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _holder(fd: int) -> int | None:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").split()
        return int(text[0]) if text else None
    except (OSError, ValueError):
        return None


def build(root: Path | None = None, *, workers: int | None = None, force: bool = False,
          out=sys.stdout) -> BuildReport:
    """Preflight, execute what changed, publish, and build the site."""
    root = root or project_root()
    with exclusive(root):
        if not force and stamp.unchanged(root):
            # No file that execution reads or publishes changed since the last successful
            # build (sizes and times, as make compares them): data, parameters and notebooks
            # were valid and current then and are the same now.
            report = BuildReport(executed=[], up_to_date=sorted(
                p.stem for p in (root / GENERATED / "results").glob("*.json")), reasons={})
            report.started = time.perf_counter()
            print(f"All {len(report.up_to_date)} notebook run(s) are up to date "
                  "(no input changed since the last build)", file=out, flush=True)
        else:
            report = _execute(root, workers, force, out)
        report.site_built = build_site(root, out, force=force)
        stamp.record(root)
    report.seconds = time.perf_counter() - report.started
    return report


def execute(root: Path | None = None, *, workers: int | None = None, force: bool = False,
            out=sys.stdout, in_process: bool = False) -> BuildReport:
    """Preflight, execute what changed and publish it into ``book/generated/``; no Sphinx.

    The live preview runs this before each Sphinx pass: only notebooks whose inputs changed
    run, and an executed notebook whose content did not change is not rewritten.
    ``in_process``: a single stale notebook is executed from this process rather than a
    worker started for it (the preview's passes, which run in a throw-away process).
    """
    root = root or project_root()
    with exclusive(root):
        stamp.forget(root)
        report = _execute(root, workers, force, out, in_process)
        stamp.record(root)
    report.seconds = time.perf_counter() - report.started
    return report


def _execute(root: Path, workers: int | None, force: bool, out, in_process: bool = False) -> BuildReport:
    started = time.perf_counter()
    runs = preflight(root)
    stale, components, reasons = plan(runs, root, force, out)
    report = BuildReport(executed=[r.run_id for r in stale],
                         up_to_date=[r.run_id for r in runs if r not in stale], reasons=reasons)
    report.started = started
    for run in stale:
        print(f"  {run.run_id}: {', '.join(reasons[run.run_id])}", file=out)
    if not stale:
        print(f"All {len(runs)} notebook run(s) are up to date", file=out, flush=True)
    else:
        execute_and_publish(stale, components, root, workers, out, in_process)
    return report
