"""The print edition: the whole book printed to one PDF by Chromium (``make pdf``).

The PDF is made from the session's built site (fixture ``built_site``) by
``scripts/print_pdf.py`` and read back with poppler: ``pdftotext`` for its words (the glued
numbers are there, none of the rough-edge patterns is), ``pdfinfo`` for its pages, and
``pdftoppm`` for page images, written to ``test-artifacts/print-edition/`` for a person to look
at. Bookmarks, running heads, page numbers and the solutions' appendix are checked too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from test_rough_edges import TEXT_PATTERNS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def printed(built_site, tmp_path_factory) -> dict:
    for tool in ("pdftotext", "pdftoppm", "pdfinfo"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: run scripts/install_browser_deps.sh (poppler-utils)")
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    project = built_site.parent.parent
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "print_pdf.py"), "--site", str(built_site),
                           "--root", str(project), "--out", str(out), "--no-copy"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (built_site / ".print-edition.html").exists(), "the composed page is removed after printing"
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    return {"pdf": out, "text": text, "pages": text.split("\f"), "info": info, "project": project,
            "site": built_site}


def results(project: Path, run: str) -> dict:
    return json.loads((project / "book" / "generated" / "results" / f"{run}.json").read_text())["results"]


def test_the_pdf_holds_the_whole_book_with_a_cover_and_contents(printed):
    pages = int(re.search(r"Pages:\s+(\d+)", printed["info"]).group(1))
    assert pages > 40, f"only {pages} pages"
    assert "A4" in printed["info"]
    first = printed["pages"][0]
    assert "Print edition" in first or "PRINT EDITION" in first
    assert "Contents" in printed["pages"][1]
    text = printed["text"]
    for page in ("book/generated/rnd_growth.html", "book/generated/lighthouse.html", "book/references.html"):
        h1 = re.search(r"<h1>(.*?)</h1>", (printed["site"] / page).read_text(encoding="utf-8"), re.S).group(1)
        title = re.sub(r"<[^>]+>", "", h1).replace("&amp;", "&").strip()
        words = title.split()[-3:]
        assert " ".join(words) in re.sub(r"\s+", " ", text), f"chapter {title!r} is not in the PDF"


def test_glued_numbers_are_printed(printed):
    text = re.sub(r"\s+", " ", printed["text"])
    rnd = results(printed["project"], "rnd_growth")
    lighthouse = results(printed["project"], "lighthouse")
    for shown in (f"{rnd['growth_final_pct']:.1f}%", f"{rnd['china_intensity_final_2024']:.2f}%",
                  f"{rnd['end_value_final_trillion']:.2f} trillion yuan",
                  f"{lighthouse['china_share_at_189_pct']:.1f}%"):
        assert shown in text, f"glued value {shown!r} is missing from the PDF"


def test_no_rough_edges_in_the_pdf(printed):
    text = re.sub(r"[ \t]+", " ", printed["text"])
    found = []
    for what, pattern in TEXT_PATTERNS.items():
        for m in list(pattern.finditer(text))[:3]:
            found.append(f"{what}: ...{text[max(0, m.start() - 60):m.end() + 40]}...")
    for token in (" NaN ", " True ", " False "):
        for m in list(re.finditer(re.escape(token), text))[:3]:
            context = text[max(0, m.start() - 60):m.end() + 40]
            if "=" not in context and "(" not in context:  # code may say x = True; a table may not
                found.append(f"raw {token.strip()!r}: ...{context}...")
    assert not found, "\n".join(found)


def test_running_heads_page_numbers_and_bookmarks(printed):
    pages = printed["pages"]
    numbered = [i for i, p in enumerate(pages[2:-1], start=3) if p.strip().splitlines()[-1].strip() == str(i)]
    assert len(numbered) > 0.9 * (len(pages) - 3), "page numbers at the foot of the pages"
    rnd_title = "China’s R&D push"
    heads = [p.strip().splitlines()[0] for p in pages if p.strip()]
    assert sum(rnd_title in h for h in heads) >= 3, "the chapter's title runs at the head of its pages"
    raw = printed["pdf"].read_bytes()
    assert b"/Outlines" in raw, "the PDF has bookmarks"
    assert len(re.findall(rb"/Title \(", raw)) > 20 or len(re.findall(rb"/Title <", raw)) > 20


def test_solutions_are_gathered_in_an_appendix(printed):
    text = printed["text"]
    start = text.rfind("Appendix: solutions to the exercises\n")
    body = text.find("Each chapter's exercises are answered here")
    assert body > 0, "the appendix of solutions is missing"
    before, after = text[:body], text[body:]
    assert after.count("Solution to") >= 10, "the solutions are in the appendix"
    assert "in the appendix" in before, "chapters point to their solutions"
    assert start > 0


def test_page_images_render(printed, artifacts):
    folder = artifacts / "print-edition"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    chart_page = next(i for i, p in enumerate(printed["pages"], start=1) if "Documents cited" in p)
    for first in (1, chart_page):
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(first), "-l", str(first + 1),
                        str(printed["pdf"]), str(folder / "page")], check=True)
    images = sorted(folder.glob("page-*.png"))
    assert len(images) >= 3
    assert all(p.stat().st_size > 5_000 for p in images), "a page image is blank"
