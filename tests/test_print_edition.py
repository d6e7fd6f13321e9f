"""The print edition: the whole book printed to one PDF by Chromium (``make pdf``).

The PDF is made from the session's built site (fixture ``built_site``) by
``scripts/print_pdf.py`` and read back with poppler: ``pdftotext`` for its words (the glued
numbers are there, none of the rough-edge patterns is), ``pdfinfo`` for its pages, and
``pdftoppm`` for page images, written to ``test-artifacts/print-edition/`` for a person to look
at. Bookmarks, running heads, page numbers and the solutions' appendix are checked too.

The same run prints the Simplified Chinese edition (the site's ``zh/``) to ``book-zh.pdf``:
its cover, contents, running heads and appendix are in Chinese, its chapters are the Chinese
pages, and it shows the same glued numbers as the English one.
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
    found = {"project": project, "site": built_site, "log": proc.stdout, **read_pdf(out)}
    zh = out.with_name("book-zh.pdf")
    if "zh" in editions(project):
        assert zh.exists(), f"the Chinese edition was not printed:\n{proc.stdout}"
        assert not (built_site / "zh" / ".print-edition.html").exists()
        found["zh"] = {"project": project, "site": built_site / "zh", **read_pdf(zh)}
    return found


def read_pdf(pdf: Path) -> dict:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {"pdf": pdf, "text": text, "pages": text.split("\f"), "info": info,
            "count": int(re.search(r"Pages:\s+(\d+)", info).group(1))}


def editions(project: Path) -> list[str]:
    from innobook.pipeline.sphinx_conf import editions as published

    return published(project)


@pytest.fixture(scope="module")
def printed_zh(printed) -> dict:
    if "zh" not in editions(printed["project"]):
        pytest.skip("the Chinese edition is not published (locales/zh_CN/edition.yml)")
    return printed["zh"]


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


def render_cover_and_a_chart(printed: dict, folder: Path, chart_sign: str) -> None:
    """The first two pages and the two from the first chart's page on, as PNG images in
    ``folder``: none may be blank."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    chart_page = next(i for i, p in enumerate(printed["pages"], start=1) if chart_sign in p)
    for first in (1, chart_page):
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(first), "-l", str(first + 1),
                        str(printed["pdf"]), str(folder / "page")], check=True)
    images = sorted(folder.glob("page-*.png"))
    assert len(images) >= 3
    assert all(p.stat().st_size > 5_000 for p in images), "a page image is blank"


def test_page_images_render(printed, artifacts):
    render_cover_and_a_chart(printed, artifacts / "print-edition", "Documents cited")


# --------------------------------------------------------------------------- the Chinese edition
def squeeze(text: str) -> str:
    """Text without white space: pdftotext breaks and spaces Chinese lines as it likes."""
    return re.sub(r"\s+", "", text)


def h1(site: Path, page: str) -> str:
    import html

    heading = re.search(r"<h1>(.*?)</h1>", (site / page).read_text(encoding="utf-8"), re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", heading)).strip()


def test_the_chinese_pdf_has_a_chinese_cover_contents_and_the_whole_book(printed, printed_zh):
    import yaml

    edition = yaml.safe_load((printed["project"] / "locales" / "zh_CN" / "edition.yml").read_text(encoding="utf-8"))
    pages = printed_zh["count"]
    assert pages > 40, f"only {pages} pages"
    assert 0.7 * printed["count"] < pages < 1.3 * printed["count"], \
        f"{pages} pages in Chinese against {printed['count']} in English"
    assert "A4" in printed_zh["info"]
    assert re.search(r"Title:\s+" + re.escape(edition["title"]), printed_zh["info"]), "the PDF's title is the edition's"
    cover, contents = squeeze(printed_zh["pages"][0]), squeeze(printed_zh["pages"][1])
    assert "印刷版" in cover and squeeze(edition["title"]) in cover
    assert "目录" in contents
    text = squeeze(printed_zh["text"])
    for english in ("Printedition", "PRINTEDITION", "Appendix:solutions", "intheappendix"):
        assert english not in text, f"the Chinese PDF says {english!r}"
    assert b"/Lang (zh-CN)" in printed_zh["pdf"].read_bytes(), "the PDF is tagged as Chinese"


def test_the_chinese_pdf_holds_every_chapter_under_its_chinese_title(printed_zh):
    from conftest import toc_pages

    text = squeeze(printed_zh["text"])
    contents = squeeze("".join(printed_zh["pages"][1:4]))
    missing = []
    for page in toc_pages():
        title = h1(printed_zh["site"], page)
        assert re.search(r"[\u4e00-\u9fff]", title), f"{page}: the Chinese page's title {title!r} has no Chinese"
        if text.count(squeeze(title)) < 2 or squeeze(title) not in contents:
            missing.append(title)
    assert not missing, f"chapters missing from the Chinese PDF or its contents: {missing}"


def test_the_chinese_pdf_prints_the_same_glued_numbers(printed_zh):
    text = re.sub(r"\s+", " ", printed_zh["text"])
    rnd = results(printed_zh["project"], "rnd_growth")
    lighthouse = results(printed_zh["project"], "lighthouse")
    for shown in (f"{rnd['growth_final_pct']:.1f}%", f"{rnd['china_intensity_final_2024']:.2f}%",
                  f"{rnd['end_value_final_trillion']:.2f}万亿元", f"{lighthouse['china_share_at_189_pct']:.1f}%"):
        assert shown in text, f"glued value {shown!r} is missing from the Chinese PDF"


def test_the_chinese_pdf_has_running_heads_page_numbers_and_bookmarks(printed_zh):
    pages = printed_zh["pages"]
    numbered = [i for i, p in enumerate(pages[2:-1], start=3) if p.strip().splitlines()[-1].strip() == str(i)]
    assert len(numbered) > 0.9 * (len(pages) - 3), "page numbers at the foot of the pages"
    title = squeeze(h1(printed_zh["site"], "book/generated/rnd_growth.html"))
    heads = [squeeze(p.strip().splitlines()[0]) for p in pages if p.strip()]
    assert sum(title in h for h in heads) >= 3, f"{title} does not run at the head of its pages"
    assert squeeze(pages[1].strip().splitlines()[0]) == "目录", "the contents' running head"
    raw = printed_zh["pdf"].read_bytes()
    assert b"/Outlines" in raw, "the PDF has bookmarks"
    assert len(re.findall(rb"/Title <", raw)) > 20, "bookmarks named in Chinese (UTF-16 strings)"


def test_the_chinese_pdf_gathers_the_solutions_in_a_chinese_appendix(printed, printed_zh):
    pages = printed_zh["pages"]
    start = next((i for i, p in enumerate(pages) if "各章练习的解答按章节顺序收录于此" in squeeze(p)), None)
    assert start, "the appendix of solutions is missing"
    before, after = squeeze("".join(pages[:start])), squeeze("".join(pages[start:]))
    assert "附录：练习解答" in squeeze(pages[start])
    english_solutions = printed["text"][printed["text"].find("Each chapter's exercises are answered here"):]
    assert after.count("解答") >= english_solutions.count("Solution to") >= 10, "every solution is in the appendix"
    assert before.count("见附录") >= 10, "chapters point to their solutions"


def test_chinese_page_images_render(printed_zh, artifacts):
    render_cover_and_a_chart(printed_zh, artifacts / "print-edition-zh", "来源：")


def test_each_edition_is_printed_and_served_from_its_own_folder(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import print_pdf
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    site = tmp_path / "html"
    for folder in (site, site / "zh", site / "book"):
        folder.mkdir(parents=True, exist_ok=True)
    for folder in (site, site / "zh"):
        (folder / "index.html").write_text("<html></html>")
    out = tmp_path / "pdf" / "book.pdf"
    assert print_pdf.editions(site, out) == [("en", site, out), ("zh", site / "zh", out.with_name("book-zh.pdf"))]
    title, author = print_pdf.book_config(ROOT, "zh")
    assert re.search(r"[\u4e00-\u9fff]", title) and title != print_pdf.book_config(ROOT)[0]
    (site / "fr").mkdir()
    (site / "fr" / "index.html").write_text("<html></html>")
    with pytest.raises(SystemExit):
        print_pdf.editions(site, out)
