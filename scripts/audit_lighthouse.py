"""Run Google Lighthouse on every page of the built site and print a table of scores.

    make audit                                   # every page of both editions, mobile and desktop
    .venv/bin/python scripts/audit_lighthouse.py --runs 3 --only book/intro.html
    .venv/bin/python scripts/audit_lighthouse.py --edition zh     # the Chinese edition only

The site in ``_build/html`` is served on 127.0.0.1 by a small server that compresses text
with gzip and sends cache headers, as GitHub Pages does (Python's ``http.server`` does
neither, which alone costs a mobile score about 20 points). Chromium is started with every
host name except 127.0.0.1 mapped to nothing, so the audit runs offline and anything a page
tried to fetch from elsewhere would show up as a failed request.

Lighthouse is pinned in ``tools/lighthouse/package.json`` and installed there with
``npm ci`` on first use (Node 18.16 or later). Each page is audited three times (``--runs``)
and the median score is kept, because performance varies by a few points between runs.

Targets (exit code 1 when one is missed): accessibility, best practices and SEO 100,
performance 100 on desktop and 95 on mobile.

Pages stay light: the table gives each page's transfer size (``KB``: bytes over the wire,
compressed, as Lighthouse counts them for the page's load). ``--sizes`` prints the same kind of
figure without Lighthouse: each page's HTML and the stylesheets and scripts it loads when it
opens, gzipped as the server sends them (the Vega bundle, loaded only when a chart comes near
the screen, and MathJax are listed apart). Chart-only pages (``charts/``) are left out unless
``--chart-pages`` is given.

The site publishes more than one edition: the English one at its root and each language
edition in a folder named by its language code (the Simplified Chinese one in ``zh/``, with
its own ``_static/``). Every edition's pages are audited (``--edition`` picks some), and the
table's first column says which edition a page belongs to.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
TOOLS = ROOT / "tools" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "bp", "seo": "seo"}
TARGETS = {("mobile", "performance"): 95, ("desktop", "performance"): 100,
           "accessibility": 100, "best-practices": 100, "seo": 100}
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run "
                "--host-resolver-rules=\"MAP * ~NOTFOUND, EXCLUDE 127.0.0.1\"")
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".txt", ".xml", ".map", ".ipynb", ".csv")


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files, gzipped when the client accepts it, with a cache lifetime like GitHub Pages."""

    def log_message(self, *args) -> None:  # quiet
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        import io
        return io.BytesIO(body)


def serve(site: Path) -> tuple[ThreadingHTTPServer, int]:
    handler = functools.partial(GzipHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def editions(site: Path) -> dict[str, str]:
    """The site's editions: name -> folder in the site (``""`` for the English one at the root,
    ``"zh"`` for a language edition in ``zh/``, any folder named by a language code that has
    its own ``index.html``)."""
    import re

    found = {"en": ""}
    for sub in sorted(p for p in site.iterdir() if p.is_dir() and re.fullmatch(r"[a-z]{2}(?:_[A-Z]{2})?", p.name)):
        if (sub / "index.html").exists():
            found[sub.name] = sub.name
    return found


def edition_of(page: str, known: dict[str, str]) -> str:
    """The edition a site path belongs to (by its first folder)."""
    first = page.split("/", 1)[0]
    return next((name for name, folder in known.items() if folder and folder == first), "en")


def pages(site: Path, chart_pages: bool = False, edition: str = "en") -> list[str]:
    """Every HTML page of one edition of the site (site paths), except the root redirect (and
    chart-only pages unless asked)."""
    known = editions(site)
    folder = known[edition]
    base = site / folder if folder else site
    others = tuple(f"{f}/" for f in known.values() if f)
    found = []
    for path in sorted(base.rglob("*.html")):
        rel = path.relative_to(base).as_posix()
        if rel.startswith(("_static/", "_sources/")) or (rel.startswith("charts/") and not chart_pages):
            continue
        if rel.startswith(".print") or (not folder and rel.startswith(others)):
            continue
        if 'http-equiv="Refresh"' in path.read_text(errors="replace")[:500]:
            continue
        found.append(f"{folder}/{rel}" if folder else rel)
    return found


def lighthouse_bin() -> Path:
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if not shutil.which("npm"):
            sys.exit("error: npm (Node 18.16 or later) is needed to install Lighthouse")
        print("Installing Lighthouse into tools/lighthouse (npm ci)", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOLS, check=True)
    return binary


def audit(binary: Path, url: str, form: str, workdir: Path) -> dict:
    """One Lighthouse run; returns category scores (0-100) and the report's main opportunities."""
    out = workdir / "report.json"
    cmd = [str(binary), url, "--quiet", "--output=json", f"--output-path={out}",
           f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    if form == "desktop":
        cmd.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url} ({form}):\n{proc.stderr[-2000:]}")
    report = json.loads(out.read_text())
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    failing = []
    for cat in CATEGORIES:
        for ref in report["categories"][cat]["auditRefs"]:
            a = report["audits"].get(ref["id"], {})
            if ref.get("weight", 0) > 0 and a.get("score") is not None and a["score"] < 0.9:
                # the elements at fault, as Lighthouse quotes them (an accessibility audit names them)
                nodes = [item["node"].get("snippet", "")[:160] for item in (a.get("details") or {}).get("items", [])
                         if isinstance(item, dict) and isinstance(item.get("node"), dict)]
                failing.append(f"{SHORT[cat]}:{ref['id']}" + (f" {nodes[:3]}" if nodes else ""))
    metrics = {k: report["audits"][k].get("displayValue", "")
               for k in ("first-contentful-paint", "largest-contentful-paint",
                         "total-blocking-time", "cumulative-layout-shift")}
    weight = report["audits"].get("total-byte-weight", {}).get("numericValue")
    return {"scores": scores, "failing": failing, "metrics": metrics,
            "bytes": int(weight) if weight is not None else None}


# --------------------------------------------------------------------------- sizes without Lighthouse
LAZY = ("vega/vega-bundle.js", "mathjax/")


def page_weight(site: Path, page: str) -> dict:
    """Gzipped bytes of a page and of the stylesheets and scripts its HTML loads on opening.

    Assets fetched later by the page's own scripts (the Vega bundle when a chart nears the
    screen, MathJax when a formula does) are counted apart, as ``lazy``.
    """
    import posixpath
    import re

    path = site / page
    text = path.read_text(encoding="utf-8", errors="replace")
    base = posixpath.dirname(page)
    sizes = {"html": len(gzip.compress(text.encode("utf-8"), 6)), "assets": 0, "lazy": 0, "files": 0}
    seen = set()
    refs = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
    refs += re.findall(r'<script[^>]+src="([^"]+)"', text)
    refs += [m for m in re.findall(r'data-(?:vega|mathjax)="([^"]+)"', text)]
    for ref in refs:
        if re.match(r"^(?:[a-z]+:)?//", ref):
            continue
        rel = posixpath.normpath(posixpath.join(base, ref.split("?")[0].split("#")[0]))
        if rel in seen or not (site / rel).is_file():
            continue
        seen.add(rel)
        data = (site / rel).read_bytes()
        n = len(gzip.compress(data, 6)) if Path(rel).suffix in COMPRESSIBLE else len(data)
        if any(k in rel for k in LAZY):
            sizes["lazy"] += n
        else:
            sizes["assets"] += n
            sizes["files"] += 1
    sizes["total"] = sizes["html"] + sizes["assets"]
    return sizes


def print_sizes(site: Path, todo: list[str]) -> None:
    known = editions(site)
    print(f"{'ed':<3} {'page':<44} {'html KB':>8} {'css+js KB':>10} {'files':>6} {'total KB':>9} {'lazy KB':>8}")
    for page in todo:
        w = page_weight(site, page)
        print(f"{edition_of(page, known):<3} {page:<44} {w['html'] / 1024:>8.1f} {w['assets'] / 1024:>10.1f} {w['files']:>6} "
              f"{w['total'] / 1024:>9.1f} {w['lazy'] / 1024:>8.1f}", flush=True)


def target(form: str, cat: str) -> int:
    return TARGETS.get((form, cat), TARGETS.get(cat, 0))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--site", type=Path, default=SITE, help="built site (default _build/html)")
    p.add_argument("--only", action="append", help="audit only this page (path in the site)")
    p.add_argument("--form", choices=("mobile", "desktop"), action="append",
                   help="form factor (default both)")
    p.add_argument("--runs", type=int, default=3, help="runs per page; the median is kept (default 3)")
    p.add_argument("--sizes", action="store_true",
                   help="print each page's transfer size (gzip) without running Lighthouse")
    p.add_argument("--chart-pages", action="store_true", help="include the chart-only pages (charts/)")
    p.add_argument("--edition", action="append",
                   help="audit only this edition's pages: en, or a language folder such as zh "
                        "(default every edition)")
    p.add_argument("--json", type=Path, help="also write the results to this file")
    p.add_argument("--verbose", "-v", action="store_true", help="print failing audits and metrics")
    args = p.parse_args(argv)

    site = args.site.resolve()
    if not (site / "index.html").exists():
        print(f"error: no site at {site}; build it first with `make book`", file=sys.stderr)
        return 2
    known = editions(site)
    chosen = args.edition or list(known)
    unknown = [e for e in chosen if e not in known]
    if unknown:
        print(f"error: the site has no {', '.join(unknown)} edition (it has {', '.join(known)})", file=sys.stderr)
        return 2
    todo = args.only or [page for e in chosen for page in pages(site, args.chart_pages, e)]
    missing = [page for page in todo if not (site / page).is_file()]
    if missing:
        print(f"error: not in the site: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.sizes:
        print_sizes(site, todo)
        return 0
    binary = lighthouse_bin()
    server, port = serve(site)
    forms = args.form or ["mobile", "desktop"]
    rows, misses = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for page in todo:
            row = {"edition": edition_of(page, known), "page": page}
            for form in forms:
                url = f"http://127.0.0.1:{port}/{page}"
                runs = [audit(binary, url, form, Path(tmp)) for _ in range(args.runs)]
                if len(runs) < 3 and any(r["scores"][c] < target(form, c) for r in runs for c in CATEGORIES):
                    # Performance varies by a few points between runs: confirm a miss by the
                    # median of three before reporting it.
                    runs += [audit(binary, url, form, Path(tmp)) for _ in range(3 - len(runs))]
                row[form] = {c: int(statistics.median(r["scores"][c] for r in runs)) for c in CATEGORIES}
                row[form + "_failing"] = sorted({f for r in runs for f in r["failing"]})
                row[form + "_metrics"] = runs[-1]["metrics"]
                sizes = [r["bytes"] for r in runs if r.get("bytes") is not None]
                row[form + "_kb"] = round(statistics.median(sizes) / 1024) if sizes else None
                for c in CATEGORIES:
                    if row[form][c] < target(form, c):
                        misses.append(f"{row['edition']} {page} {form} {c} {row[form][c]} < {target(form, c)}")
            rows.append(row)
            print_row(row, forms, header=len(rows) == 1)
            if args.verbose:
                for form in forms:
                    print(f"    {form}: {row[form + '_metrics']}  failing: {row[form + '_failing']}")
    server.shutdown()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print()
    if misses:
        print("Below target:\n  " + "\n  ".join(misses))
        return 1
    counts = ", ".join(f"{e} {sum(r['edition'] == e for r in rows)}" for e in dict.fromkeys(r["edition"] for r in rows))
    print(f"All {len(rows)} page(s) ({counts}) meet the targets (accessibility, best practices and SEO 100, "
          "performance 100 desktop, >= 95 mobile).")
    return 0


def print_row(row: dict, forms: list[str], header: bool) -> None:
    if header:
        cols = "".join(f" | {form:^28}" for form in forms)
        print(f"{'ed':<3} {'page':<36}{cols}")
        sub = "".join(" | " + " ".join(f"{SHORT[c]:>4}" for c in CATEGORIES) + f" {'KB':>5} " for _ in forms)
        print(f"{'':<3} {'':<36}{sub}")
    cells = "".join(" | " + " ".join(f"{row[f][c]:>4}" for c in CATEGORIES)
                    + f" {row.get(f + '_kb') if row.get(f + '_kb') is not None else '?':>5} " for f in forms)
    print(f"{row['edition']:<3} {row['page']:<36}{cells}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
