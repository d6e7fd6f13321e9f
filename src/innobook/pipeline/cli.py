"""Command line: ``python -m innobook <verb>``.

Verbs
  build    execute what changed and build the site into _build/html
  execute  execute what changed and publish it into book/generated/, without rendering the site
  check    validate data and every parameter set, run nothing
  run      execute one notebook with other parameters into a separate folder
  verify   re-execute everything and compare key results with tests/expected/
  bench    time clean, no-op and one-notebook rebuilds against Jupyter Book's own execution
  serve    serve _build/html on localhost
  preview  live-reloading site for authors: re-executes changed notebooks, re-renders changed pages
  i18n     the Chinese edition's catalogs: update (extract the prose), check, stat

Exit codes: 0 success, 1 a notebook or the site build failed, 2 bad input
(parameters, data, configuration files, or command line). Expected faults are answered by
a message naming the file, what is wrong and what to do, never by a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import BuildError, build, preflight, project_root
from .faults import expected_fault
from .params import parse_cli_value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m innobook", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="verb", required=True)

    b = sub.add_parser("build", help="execute what changed and build the site")
    b.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebooks (default: cores)")
    b.add_argument("--force", action="store_true", help="re-execute every notebook and rebuild the site")

    e = sub.add_parser("execute", help="execute what changed and publish it; no site")
    e.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebooks (default: cores)")
    e.add_argument("--force", action="store_true", help="re-execute every notebook")
    e.add_argument("--if-changed", action="store_true",
                   help="first compare file sizes and times with the last execution; stop if none changed")

    sub.add_parser("check", help="validate data and parameters; run nothing")

    r = sub.add_parser("run", help="execute one notebook with other parameters, outside the book")
    r.add_argument("notebook", help="e.g. notebooks/rnd_growth.ipynb")
    r.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"), help="a parameter (value parsed as YAML)")
    r.add_argument("--out", type=Path, default=None, help="output folder (default _build/runs/...)")

    v = sub.add_parser("verify", help="re-execute everything and compare with expected results")
    v.add_argument("--jobs", "-j", type=int, default=None)
    v.add_argument("--update", action="store_true",
                   help="write the new results as the expected ones (for maintainers)")
    v.add_argument("--only", action="append", default=None, metavar="RUN_ID",
                   help="verify only this run (repeatable)")

    bench = sub.add_parser("bench", help="print build timings")
    bench.add_argument("--skip-jupyter-book", action="store_true",
                       help="leave out the comparison with Jupyter Book's own execution")
    bench.add_argument("--skip-preview", action="store_true", help="leave out the live preview timings")

    s = sub.add_parser("serve", help="serve the built site")
    s.add_argument("--port", type=int, default=8000)

    pv = sub.add_parser("preview", help="live-reloading local site for authors")
    pv.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)")
    i = sub.add_parser("i18n", help="the Chinese edition's message catalogs")
    i.add_argument("action", choices=("update", "outputs", "check", "stat"),
                   help="update: extract the prose and merge it into locales/; check: every rule, "
                        "every catalog; outputs: add the generated text the runs could not translate to "
                        "locales/zh_CN/outputs.po; stat: translated, fuzzy and untranslated per catalog")
    i.add_argument("catalogs", nargs="*", type=Path, help="check only these .po files")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if getattr(args, "jobs", None) is not None and args.jobs < 1:
            raise BuildError(f"--jobs {args.jobs}: give at least 1 (notebooks run at once)", 2)
        root = project_root()
        if args.verb == "build":
            report = build(root, workers=args.jobs, force=args.force)
            print(f"Done in {report.seconds:.1f} s: executed {len(report.executed)}, "
                  f"up to date {len(report.up_to_date)}, site {'rebuilt' if report.site_built else 'unchanged'}")
            return 0
        if args.verb == "execute":
            from .build import execute

            report = execute(root, workers=args.jobs, force=args.force)
            print(f"Done in {report.seconds:.1f} s: executed {len(report.executed)}, "
                  f"up to date {len(report.up_to_date)}")
            return 0
        if args.verb == "check":
            runs = preflight(root)
            print(f"Data and {len(runs)} parameter set(s) are valid")
            return 0
        if args.verb == "run":
            given = {name: parse_cli_value(value) for name, value in args.parameter}
            from .review import run_one

            run_one(root, args.notebook, given, args.out)
            return 0
        if args.verb == "verify":
            from .review import verify

            return verify(root, args.jobs, args.update, args.only)
        if args.verb == "bench":
            from .bench import bench

            return bench(root, include_jupyter_book=not args.skip_jupyter_book,
                         include_preview=not args.skip_preview)
        if args.verb == "serve":
            from .serve import serve

            return serve(root, args.port)
        if args.verb == "preview":
            from .preview import preview

            return preview(root, args.port)
        if args.verb == "i18n":
            return _i18n(root, args.action, args.catalogs)
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; the last good site is left in place", file=sys.stderr)
        return 130
    except Exception as err:  # an expected fault that reached here without a message of its own
        fault = expected_fault(err)
        if fault is None:
            raise
        print(f"error: {fault[0]}", file=sys.stderr)
        return fault[1]
    return 2


def _i18n(root: Path, action: str, only: list[Path]) -> int:
    from . import catalogs

    if action == "update":
        catalogs.extract(root)
        return 0
    if action == "outputs":
        catalogs.add_outputs(root)
        return 0
    if action == "stat":
        rows = catalogs.stat(root)
        for name, t, f, u in rows:
            print(f"{name}: {t} translated, {f} fuzzy, {u} untranslated")
        print(f"total: {sum(r[1] for r in rows)} translated, {sum(r[2] for r in rows)} fuzzy, "
              f"{sum(r[3] for r in rows)} untranslated")
        return 0
    problems = []
    for po in only:
        if po.resolve() == (root / catalogs.OUTPUTS).resolve():
            problems += catalogs.check_outputs(root)
        else:
            problems += catalogs.check_catalog(po.resolve(), root)
    if not only:
        problems = catalogs.check_all(root)
    for problem in problems:
        print(problem.describe())
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0
