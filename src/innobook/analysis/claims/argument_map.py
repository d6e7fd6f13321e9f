"""The argument map: the article's chain of reasoning, link by link, tied to the ledger and the chapters.

Each row of ``data/argument/argument_map.csv`` is one link of the article's argument, in the
article's order: what it claims (paraphrased), the evidence the article offers, the kind of claim
(fact, causal claim or prescription), what data could test it, what the book finds, a verdict on the
ledger's scale, the page that examines it (``page``, a docname, plus ``also_pages``) and the claims
of the ledger it covers (``claim_ids``). The ledger lists the same links from its side
(``map_ids`` in ``data/claims/claims.csv``); :func:`problems` checks that the two agree, that every
section of the article has an entry, that every page exists, and that a factual link's verdict
follows from the verdicts of its ledger claims.

Rendering: :func:`part_markdown` writes one part of the article as MyST Markdown for the map's
page (entry targets ``map-a01`` ... for ``{ref}`` and for links from the ledger), and
:func:`page_box` writes the box each chapter shows with the links it examines.
"""

from __future__ import annotations

import html
import posixpath
from typing import Any, Iterable

import pandas as pd

from .registry import VERDICTS

__all__ = ["PARTS", "PART_TITLES", "TOPICS", "KINDS", "MAP_DOC", "LEDGER_DOC", "split", "pages_of",
           "label", "ledger_verdict", "problems", "counts", "part_markdown", "page_box", "box_key",
           "href", "toc_docnames"]

PARTS = ("opening", "part 01", "part 02", "part 03", "part 04")
PART_TITLES = {
    "opening": "Opening: a Victorian warning, the 14th Plan's record and the 15th Plan's goals",
    "part 01": "Part 01: three lessons of the 2025 Nobel, and what cities should do with them",
    "part 02": "Part 02: city clusters and central cities",
    "part 03": "Part 03: three kinds of city and their cases",
    "part 04": "Part 04: the conclusion",
}
# The sections of the article every map must cover, in the article's order.
TOPICS = {
    "opening": ("Red Flag Act", "14th Plan record", "15th Plan goals", "Two challenges"),
    "part 01": ("Nobel lessons", "Useful knowledge (Mokyr)", "Rare earths", "Creative destruction",
                "Moderate competition", "Talent", "Anti-involution", "Patient capital"),
    "part 02": ("City clusters", "Metropolitan central cities", "Three city types"),
    "part 03": ("Shenzhen", "Shenyang", "Green transition", "Hefei"),
    "part 04": ("Conclusion",),
}
KINDS = ("fact", "causal claim", "prescription")
MAP_DOC = "book/generated/argument_map"
LEDGER_DOC = "book/generated/claims"


def split(value: Any) -> list[str]:
    """A '; '-separated cell as a list (blank cells give an empty list)."""
    if not isinstance(value, str):
        return []
    return [v.strip() for v in value.split(";") if v.strip()]


def pages_of(entry: Any) -> list[str]:
    """The docnames an entry points to: its page first, then its other pages."""
    return [entry["page"], *split(entry.get("also_pages"))]


def label(entry_id: str) -> str:
    """The target of an entry on the map's page (Sphinx lowercases labels)."""
    return f"map-{entry_id.lower()}"


def ledger_verdict(verdicts: Iterable[str]) -> str | None:
    """The verdict a factual link earns from the verdicts of its ledger claims.

    One verdict for all: that verdict. Any support (full or partial) mixed with anything else:
    partly supported. No support but a contradiction: differs. Otherwise: unverified.
    """
    found = set(verdicts)
    if not found:
        return None
    if len(found) == 1:
        return found.pop()
    if found & {"supported", "partly supported"}:
        return "partly supported"
    if "differs" in found:
        return "differs"
    return "unverified"


def problems(argmap: pd.DataFrame, ledger: pd.DataFrame, docnames: Iterable[str] | None = None) -> list[str]:
    """Everything wrong with the map, the ledger links or the pages, as sentences (empty if none)."""
    found: list[str] = []
    ids = list(argmap["id"])
    if len(set(ids)) != len(ids):
        found.append("entry ids are not unique")
    for part, topics in TOPICS.items():
        for topic in topics:
            if not ((argmap["article_part"] == part) & (argmap["topic"] == topic)).any():
                found.append(f"no entry for {part} / {topic}")
    for _, e in argmap.iterrows():
        if e["article_part"] not in PARTS:
            found.append(f"{e['id']}: unknown article part {e['article_part']!r}")
        elif e["topic"] not in TOPICS[e["article_part"]]:
            found.append(f"{e['id']}: topic {e['topic']!r} is not a section of {e['article_part']}")
        if e["kind"] not in KINDS:
            found.append(f"{e['id']}: kind {e['kind']!r} is not one of {', '.join(KINDS)}")
        if e["verdict"] not in VERDICTS:
            found.append(f"{e['id']}: verdict {e['verdict']!r} is not one of {', '.join(VERDICTS)}")
    if list(argmap.sort_values("order")["id"]) != ids:
        found.append("entries are not listed in the article's order")
    parts_in_order = [PARTS.index(p) for p in argmap.sort_values("order")["article_part"] if p in PARTS]
    if parts_in_order != sorted(parts_in_order):
        found.append("the order of entries does not follow the article's parts")
    if docnames is not None:
        known = set(docnames)
        for _, e in argmap.iterrows():
            for page in pages_of(e):
                if page not in known:
                    found.append(f"{e['id']}: page {page} is not in the table of contents")
    # both ways: map -> ledger and ledger -> map
    claims = set(ledger["id"])
    by_claim = {r.id: set(split(getattr(r, "map_ids", None))) for r in ledger.itertuples()}
    for _, e in argmap.iterrows():
        for cid in split(e["claim_ids"]):
            if cid not in claims:
                found.append(f"{e['id']}: claim {cid} is not in the ledger")
            elif e["id"] not in by_claim[cid]:
                found.append(f"{e['id']} lists {cid}, but the ledger row of {cid} does not list {e['id']}")
    listed = {e["id"]: set(split(e["claim_ids"])) for _, e in argmap.iterrows()}
    for cid, entries in by_claim.items():
        if not entries:
            found.append(f"ledger claim {cid} belongs to no entry of the map")
        for mid in entries:
            if mid not in listed:
                found.append(f"ledger claim {cid} names map entry {mid}, which does not exist")
            elif cid not in listed[mid]:
                found.append(f"ledger claim {cid} names {mid}, but {mid} does not list {cid}")
    # a factual link is as strong as its ledger claims
    verdict_of = ledger.set_index("id")["verdict"].to_dict()
    for _, e in argmap[argmap["kind"] == "fact"].iterrows():
        linked = [verdict_of[c] for c in split(e["claim_ids"]) if c in verdict_of]
        expected = ledger_verdict(linked)
        if expected is not None and e["verdict"] != expected:
            found.append(f"{e['id']}: verdict {e['verdict']!r}, but its ledger claims give {expected!r}")
    return found


def counts(argmap: pd.DataFrame, column: str) -> dict[str, int]:
    """Entries by ``kind`` or ``verdict``, in the fixed order of that vocabulary."""
    order = {"kind": KINDS, "verdict": VERDICTS}[column]
    tally = argmap[column].value_counts()
    return {k: int(tally.get(k, 0)) for k in order}


def href(docname: str, from_doc: str, anchor: str = "") -> str:
    """The relative address of ``docname``'s HTML page as seen from ``from_doc``'s page."""
    rel = posixpath.relpath(docname + ".html", posixpath.dirname(from_doc))
    return rel + (f"#{anchor}" if anchor else "")


def _badge(verdict: str) -> str:
    v = html.escape(verdict)
    return f'<span class="verdict verdict--{v.replace(" ", "-")}">{v}</span>'


def part_markdown(argmap: pd.DataFrame, part: str, map_doc: str = MAP_DOC, ledger_doc: str = LEDGER_DOC) -> str:
    """The entries of one part of the article as MyST Markdown (for a cell rendered as MyST)."""
    blocks = []
    for _, e in argmap[argmap["article_part"] == part].sort_values("order").iterrows():
        where = [f"{{doc}}`/{e['page']}`"] + [f"{{doc}}`/{p}`" for p in split(e.get("also_pages"))]
        claims = ", ".join(f'<a href="{html.escape(href(ledger_doc, map_doc, "claim-" + c))}">{html.escape(c)}</a>'
                           for c in split(e["claim_ids"]))
        ledger = f" Ledger: {claims}." if claims else ""
        blocks.append(
            f"({label(e['id'])})=\n"
            f"**{e['id']}** · {e['topic']} · *{e['kind']}* · {_badge(e['verdict'])}\n\n"
            f"{e['claim_en']} ({e['term_zh']})\n\n"
            f"- *Evidence the article offers:* {e['evidence_offered']}\n"
            f"- *What could test it:* {e['test_data']}\n"
            f"- *What the book finds:* {e['finding']}\n"
            f"- *Where:* {', '.join(where)}.{ledger}\n")
    return "\n".join(blocks)


def box_key(docname: str) -> str:
    """The glue key of the box for page ``docname`` (e.g. ``map_box_book_framework``)."""
    return "map_box_" + docname.replace("/", "_").replace("-", "_")


BOX_STYLE = """
<style>
.map-box { border-left: 4px solid #6a3d9a; padding: 0.5rem 1rem; margin: 1.5rem 0; background: #f7f4fb; }
.map-box__title { font-weight: 600; margin-bottom: 0.3rem; }
.map-box ul { margin-bottom: 0.3rem; }
.verdict { white-space: nowrap; padding: 0.05rem 0.4rem; border-radius: 0.6rem; font-size: 0.8rem; color: #111; }
.verdict--supported { background: #cfe9d2; } .verdict--partly-supported { background: #e4f0c9; }
.verdict--differs { background: #f6d0d5; }
.verdict--unverified { background: #f8e7c2; } .verdict--not-checkable { background: #e3e3e3; }
</style>
"""


def page_box(argmap: pd.DataFrame, docname: str, map_doc: str = MAP_DOC) -> str:
    """HTML for page ``docname``: the links of the article's argument it examines, each linked to
    its entry on the map (empty string if the map points nowhere to this page)."""
    mine = argmap[argmap.apply(lambda e: docname in pages_of(e), axis=1)].sort_values("order")
    if mine.empty:
        return ""
    items = "".join(
        f'<li><a href="{html.escape(href(map_doc, docname, label(e["id"])))}">{html.escape(e["id"])}</a> '
        f'<em>{html.escape(e["kind"])}</em>: {html.escape(e["claim_en"])} {_badge(e["verdict"])}</li>'
        for _, e in mine.iterrows())
    return (BOX_STYLE + '<aside class="map-box"><p class="map-box__title">The article\'s argument examined here</p>'
            f"<ul>{items}</ul><p>See each link in its place in the "
            f'<a href="{html.escape(href(map_doc, docname))}">argument map</a>.</p></aside>')


def toc_docnames(toc: dict) -> set[str]:
    """Every docname in a parsed ``_toc.yml`` (root, chapters and their sections)."""
    names = {toc["root"]}

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.add(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return names
