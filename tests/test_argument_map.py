"""The argument map: every section of the article covered, every link resolving both ways."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from innobook.analysis.claims import argument_map as amap
from innobook.data import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return load("argument_map")


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return load("claims")


@pytest.fixture(scope="module")
def docnames() -> set[str]:
    return amap.toc_docnames(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))


def test_the_map_is_the_books_first_chapter(docnames):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    first = toc["parts"][0]["chapters"][0]["file"]
    assert first == amap.MAP_DOC
    assert toc["parts"][1]["chapters"][0]["file"] == "book/framework", "the framework comes before the evidence"


def test_every_section_of_the_article_has_an_entry(links):
    for part, topics in amap.TOPICS.items():
        for topic in topics:
            rows = links[(links["article_part"] == part) & (links["topic"] == topic)]
            assert len(rows) >= 1, f"no entry for {part} / {topic}"
    assert set(links["article_part"]) == set(amap.PARTS)
    assert set(links["kind"]) == set(amap.KINDS), "facts, causal claims and prescriptions all appear"


def test_every_entry_points_to_a_page_in_the_table_of_contents(links, docnames):
    for _, e in links.iterrows():
        for page in amap.pages_of(e):
            assert page in docnames, f"{e['id']} points to {page}, which is not in _toc.yml"
            suffix = ".md" if not page.startswith("book/generated/") else ""
            if suffix:
                assert (ROOT / (page + suffix)).exists(), page


def test_ledger_and_map_link_both_ways(links, ledger):
    ids = set(ledger["id"])
    for _, e in links.iterrows():
        for cid in amap.split(e["claim_ids"]):
            assert cid in ids, f"{e['id']} names {cid}, which is not in the ledger"
            assert e["id"] in amap.split(ledger.set_index("id").loc[cid, "map_ids"]), (e["id"], cid)
    entries = set(links["id"])
    for r in ledger.itertuples():
        mine = amap.split(r.map_ids)
        assert mine, f"ledger claim {r.id} belongs to no entry"
        for mid in mine:
            assert mid in entries, (r.id, mid)
            assert r.id in amap.split(links.set_index("id").loc[mid, "claim_ids"]), (r.id, mid)


def test_the_real_map_has_no_problems(links, ledger, docnames):
    assert amap.problems(links, ledger, docnames) == []


def _tiny():
    links = pd.DataFrame([
        {"id": "A01", "article_part": "opening", "topic": "Red Flag Act", "order": 1, "kind": "fact",
         "verdict": "partly supported", "page": "book/framework", "also_pages": "", "claim_ids": "C01; C02"},
        {"id": "A02", "article_part": "part 04", "topic": "Conclusion", "order": 2, "kind": "prescription",
         "verdict": "not checkable", "page": "book/conclusion", "also_pages": "book/generated/claims", "claim_ids": ""},
    ])
    ledger = pd.DataFrame([{"id": "C01", "verdict": "supported", "map_ids": "A01"},
                           {"id": "C02", "verdict": "differs", "map_ids": "A01"}])
    return links, ledger


def test_problems_catch_missing_sections_pages_one_way_links_and_inflated_verdicts():
    links, ledger = _tiny()
    found = amap.problems(links, ledger, {"book/framework", "book/conclusion", "book/generated/claims"})
    assert any("part 01 / Rare earths" in p for p in found), "missing sections are reported"
    assert not any(p.startswith("A0") for p in found), found
    assert not amap.problems(links, ledger, {"book/framework"}) == [] and any(
        "book/conclusion is not in the table of contents" in p for p in amap.problems(links, ledger, {"book/framework"}))
    one_way = ledger.assign(map_ids=["A01", ""])
    assert any("C02 belongs to no entry" in p for p in amap.problems(links, one_way))
    assert any("does not list A01" in p for p in amap.problems(links, one_way))
    stray = links.assign(claim_ids=["C01; C02; C09", ""])
    assert any("C09 is not in the ledger" in p for p in amap.problems(stray, ledger))
    inflated = links.assign(verdict=["supported", "not checkable"])
    assert any("A01: verdict 'supported', but its ledger claims give 'partly supported'" in p
               for p in amap.problems(inflated, ledger))
    shuffled = links.assign(order=[2, 1])
    assert any("article's order" in p for p in amap.problems(shuffled, ledger))


@pytest.mark.parametrize("verdicts, expected", [
    (["supported"], "supported"), (["supported", "supported"], "supported"),
    (["supported", "differs"], "partly supported"), (["partly supported", "unverified"], "partly supported"),
    (["differs", "unverified"], "differs"), (["unverified", "not checkable"], "unverified"), ([], None),
])
def test_a_factual_link_is_as_strong_as_its_ledger_claims(verdicts, expected):
    assert amap.ledger_verdict(verdicts) == expected


def test_rendering_links_each_entry_to_its_pages_and_ledger_rows(links):
    text = amap.part_markdown(links, "opening")
    assert "(map-a01)=" in text and "{doc}`/book/framework`" in text
    assert 'href="claims.html#claim-C01"' in text and "nan" not in text
    assert amap.href("book/generated/argument_map", "book/framework", "map-a01") == "generated/argument_map.html#map-a01"
    assert amap.href("book/generated/argument_map", "book/argument/challenges") == "../generated/argument_map.html"
    assert amap.href("book/generated/claims", "book/generated/argument_map", "claim-C05") == "claims.html#claim-C05"
    box = amap.page_box(links, "book/framework")
    assert 'href="generated/argument_map.html#map-a01"' in box and "A02" in box
    assert amap.page_box(links, "book/no_such_page") == ""
    assert amap.box_key("book/argument/anti_involution") == "map_box_book_argument_anti_involution"


def test_every_page_the_map_names_gets_a_box(links):
    """The map notebook glues one box per page; a page shows its box with the glue directive."""
    pages = {p for _, e in links.iterrows() for p in amap.pages_of(e)}
    for page in pages:
        assert amap.page_box(links, page), page


# --------------------------------------------------------------------------- the home page's key findings
GLUE = __import__("re").compile(r"\{glue:text\}`/book/generated/([a-z0-9_]+)\.ipynb::([a-z0-9_]+):[^`]*`")
DOC = __import__("re").compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")
ROLE = __import__("re").compile(r"\{[a-z:]+\}`[^`]*`")


def _key_findings() -> list[str]:
    import re

    text = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    section = text.split("## Key findings", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\d+\. (.+?)(?=^\d+\. |^\S|\Z)", section, flags=re.M | re.S)]


def test_the_home_page_leads_with_five_to_eight_key_findings():
    findings = _key_findings()
    assert 5 <= len(findings) <= 8, len(findings)


def test_every_key_finding_is_glued_from_an_executed_notebook_and_links_to_its_evidence(docnames):
    import json
    import re

    runs = {r.get("id", r["notebook"]) for r in yaml.safe_load((ROOT / "notebooks" / "runs.yml").read_text())["runs"]}
    for finding in _key_findings():
        glued = GLUE.findall(finding)
        assert glued, f"no glued number in: {finding[:80]}"
        for run, key in glued:
            assert run in runs, f"{run} is not a notebook run"
            expected = json.loads((ROOT / "tests" / "expected" / f"{run}.json").read_text())
            assert key in expected, f"{run} does not publish {key}"
        linked = ["book/" + d if not d.startswith("/") else d.lstrip("/") for d in DOC.findall(finding)]
        assert linked and all(d in docnames for d in linked), (finding[:80], linked)
        bare = ROLE.sub(" ", finding)
        assert not re.search(r"\d", bare), f"a number typed rather than glued: {bare[:120]}"
