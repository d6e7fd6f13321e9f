"""The claims ledger: every number the article states, checked against a source.

Most claims were checked by reading a document (the ledger records the checked value,
source and method). Claims that the book's data can settle carry a ``result_key`` and a
``rule``; for those the checked value is *computed* here from the data and the verdict
follows from the rule, so a change in the data that overturns a verdict stops the build
instead of leaving a stale verdict on the page.

Rules (column ``rule``), applied to the computed value ``x``:

``at_least V``      x >= V                ``greater_than V``  x > V
``less_than V``     x < V                 ``equals V``        x == V (to 1e-9)
``rounds_to V``     x rounded to as many decimals as V is written with equals V
``on_or_before D``  the date x (YYYY-MM-DD, YYYY-MM or YYYY) is not later than D

A verdict is never stronger than its sources allow: a computed claim whose value rests on a
weak source carries ``max_verdict`` (e.g. ``partly supported``), and a rule that holds then
yields that weaker verdict instead of ``supported``.

Verdicts (:data:`VERDICTS`): *supported* (the record matches), *partly supported* (part of the
claim matches, or it matches only an outdated or weak record), *differs* (the record contradicts
it), *unverified* (nothing was found either way: a quotation that could not be traced is
unverified, not wrong) and *not checkable* (not a statement of fact that a record could settle).
"""

from __future__ import annotations

import calendar
import html
import json
import math
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

__all__ = ["VERDICTS", "VERDICT_COLOURS", "Rule", "check", "computed_keys", "compute", "evaluate",
           "disagreements", "verdict_counts", "map_ids", "chapter_links", "chapter_box", "table_html",
           "differences_md", "to_records"]

VERDICTS = ("supported", "partly supported", "differs", "unverified", "not checkable")
VERDICT_COLOURS = ("#2e933c", "#8fbf5a", "#d1495b", "#edae49", "#8a8a8a")


# --------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rule:
    op: str
    operand: str

    OPS = ("at_least", "greater_than", "less_than", "equals", "rounds_to", "on_or_before")

    @classmethod
    def parse(cls, text: str) -> "Rule":
        op, _, operand = text.strip().partition(" ")
        if op not in cls.OPS or not operand:
            raise ValueError(f"rule {text!r}: expected '<op> <value>' with op one of {', '.join(cls.OPS)}")
        return cls(op, operand.strip())

    def holds(self, x: Any) -> bool:
        if self.op == "on_or_before":
            return _date_key(str(x)) <= _date_key(self.operand)
        v = float(self.operand)
        x = float(x)
        if self.op == "at_least":
            return x >= v
        if self.op == "greater_than":
            return x > v
        if self.op == "less_than":
            return x < v
        if self.op == "equals":
            return math.isclose(x, v, abs_tol=1e-9)
        decimals = len(self.operand.split(".")[1]) if "." in self.operand else 0
        return round(x, decimals) == round(v, decimals)

    def describe(self) -> str:
        words = {"at_least": "at least", "greater_than": "above", "less_than": "below",
                 "equals": "equal to", "rounds_to": "rounding to", "on_or_before": "on or before"}
        return f"{words[self.op]} {self.operand}"


def _date_key(text: str) -> tuple[int, int, int]:
    """A date as (year, month, day); a bare year or month counts as its last day."""
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 12
    day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
    return year, month, day


# --------------------------------------------------------------------------- computed checks
Check = Callable[[], Any]
_CHECKS: dict[str, Check] = {}


def check(key: str) -> Callable[[Check], Check]:
    """Register the function that computes ``key`` (``<chapter>.<name>``) from the data."""
    def register(fn: Check) -> Check:
        if key in _CHECKS:
            raise ValueError(f"check {key!r} registered twice")
        _CHECKS[key] = fn
        return fn
    return register


def computed_keys() -> list[str]:
    return sorted(_CHECKS)


def compute(key: str) -> Any:
    if key not in _CHECKS:
        raise KeyError(f"no computation registered for result key {key!r}; "
                       f"known: {', '.join(computed_keys())}")
    return _CHECKS[key]()


# --------------------------------------------------------------------------- evaluation
def evaluate(ledger: pd.DataFrame) -> pd.DataFrame:
    """Add computed values and verdicts for the claims that carry a result key and a rule.

    Returns the ledger with columns ``checked_value`` (computed where possible),
    ``verdict`` (from the rule where computed), ``computed`` (bool) and
    ``recorded_verdict`` (the verdict written in the ledger file).
    """
    out = ledger.copy()
    out["recorded_verdict"] = out["verdict"]
    out["computed"] = False
    for i, row in out.iterrows():
        key, rule = row.get("result_key"), row.get("rule")
        if not isinstance(key, str) or not key or not isinstance(rule, str) or not rule:
            continue
        value = compute(key)
        out.at[i, "computed"] = True
        if value is None:
            out.at[i, "checked_value"] = ""
            out.at[i, "verdict"] = "unverified"
            continue
        out.at[i, "checked_value"] = _show(value)
        verdict = "supported" if Rule.parse(rule).holds(value) else "differs"
        cap = row.get("max_verdict")
        if verdict == "supported" and isinstance(cap, str) and cap:
            if cap not in VERDICTS[:2]:
                raise ValueError(f"claim {row['id']}: max_verdict {cap!r} must be one of {VERDICTS[:2]}")
            verdict = cap
        out.at[i, "verdict"] = verdict
    return out


def disagreements(evaluated: pd.DataFrame) -> pd.DataFrame:
    """Computed verdicts that differ from the verdict recorded in the ledger file."""
    rows = evaluated[evaluated["computed"] & (evaluated["verdict"] != evaluated["recorded_verdict"])]
    return rows[["id", "claim_en", "checked_value", "rule", "verdict", "recorded_verdict"]]


def verdict_counts(evaluated: pd.DataFrame) -> dict[str, int]:
    counts = evaluated["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


# --------------------------------------------------------------------------- chapters
# The chapter page that examines each section of the article, relative to the ledger's
# own page (both live in book/generated/). Sections without a chapter are not linked.
SECTION_CHAPTERS = {
    "Red Flag Act": "../framework.html",
    "National R&D": "rnd_growth.html",
    "Lighthouse factories": "lighthouse.html",
    "15th FYP proposal": "plan_goals.html",
    "Nobel lessons": "../framework.html",
    "Rare earths": "rare_earths.html",
    "City clusters": "../cities.html",
    "Shenzhen": "city_shenzhen.html",
    "Shenyang": "city_shenyang.html",
    "Hefei": "city_hefei.html",
}
MAP_PAGE = "argument_map.html"   # the argument map, relative to book/generated/


def chapter_links() -> dict[str, str]:
    return dict(SECTION_CHAPTERS)


def map_ids(value: Any) -> list[str]:
    """The argument-map entries a ledger row belongs to (column ``map_ids``, '; '-separated)."""
    if not isinstance(value, str):
        return []
    return [v.strip() for v in value.split(";") if v.strip()]


def _map_links(ids: list[str], map_page: str) -> str:
    return ", ".join(f'<a href="{html.escape(map_page)}#map-{html.escape(i.lower())}">{html.escape(i)}</a>' for i in ids)


def _verdict_badge(verdict: str) -> str:
    v = html.escape(verdict)
    return f'<span class="verdict verdict--{v.replace(" ", "-")}">{v}</span>'


def chapter_box(ledger: pd.DataFrame, section: str, ledger_page: str = "claims.html",
                map_page: str = MAP_PAGE) -> str:
    """HTML for a chapter: the article's claims on this section, each linked to its ledger row,
    and the links of the article's argument (argument-map entries) they belong to."""
    evaluated = evaluate(ledger[ledger["section"] == section])
    if evaluated.empty:
        return ""
    items = "".join(
        f'<li><a href="{ledger_page}#claim-{html.escape(r.id)}">{html.escape(r.id)}</a> '
        f"{html.escape(r.claim_en)} {_verdict_badge(r.verdict)}</li>"
        for r in evaluated.itertuples())
    anchor = html.escape(section).replace(" ", "%20").replace("&amp;", "%26")
    entries = sorted({i for v in evaluated.get("map_ids", pd.Series(dtype=object)) for i in map_ids(v)})
    argument = (f"<p>In the article's argument these claims belong to {_map_links(entries, map_page)} "
                f'(see the <a href="{html.escape(map_page)}">argument map</a>).</p>') if entries else ""
    return (STYLE + f'<aside class="claims-box"><p class="claims-box__title">The article\'s claims examined here</p>'
            f"<ul>{items}</ul>{argument}<p>See them with every other claim in the "
            f'<a href="{ledger_page}#section={anchor}">claims ledger</a>.</p></aside>')


# --------------------------------------------------------------------------- rendering
STYLE = """
<style>
.claims-ledger__filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; margin: 0.5rem 0 1rem; }
.claims-ledger__filters input, .claims-ledger__filters select { margin-left: 0.3rem; padding: 0.2rem 0.4rem; }
.claims-ledger__scroll { overflow-x: auto; }
.claims-ledger__table { font-size: 0.85rem; border-collapse: collapse; }
.claims-ledger__table th, .claims-ledger__table td { padding: 0.35rem 0.5rem; vertical-align: top;
  border-bottom: 1px solid #ddd; text-align: left; }
.verdict { white-space: nowrap; padding: 0.05rem 0.4rem; border-radius: 0.6rem; font-size: 0.8rem; color: #111; }
.verdict--supported { background: #cfe9d2; } .verdict--partly-supported { background: #e4f0c9; }
.verdict--differs { background: #f6d0d5; }
.verdict--unverified { background: #f8e7c2; } .verdict--not-checkable { background: #e3e3e3; }
.claims-ledger__id { font-weight: 600; } .claims-ledger__term { color: #555; }
.claims-ledger__how { font-size: 0.78rem; color: #333; min-width: 14rem; }
.claims-ledger__table td:first-child { min-width: 16rem; }
.claims-box { border-left: 4px solid #1f5fa8; padding: 0.5rem 1rem; margin: 1.5rem 0; background: #f5f8fc; }
.claims-box__title { font-weight: 600; margin-bottom: 0.3rem; }
</style>
"""

TABLE_SCRIPT = """
<script>
(function () {
  var root = document.getElementById("claims-ledger");
  if (!root) { return; }
  var rows = Array.prototype.slice.call(root.querySelectorAll("tbody tr"));
  var text = root.querySelector("#claims-search"), verdict = root.querySelector("#claims-verdict"),
      section = root.querySelector("#claims-section"), shown = root.querySelector("#claims-shown"),
      words = root.querySelector("#claims-shown-words").textContent;
  function apply() {
    var q = text.value.trim().toLowerCase(), v = verdict.value, s = section.value, n = 0;
    rows.forEach(function (tr) {
      var ok = (!q || tr.textContent.toLowerCase().indexOf(q) >= 0) &&
               (!v || tr.dataset.verdict === v) && (!s || tr.dataset.section === s);
      tr.hidden = !ok; if (ok) { n += 1; }
    });
    shown.textContent = words.replace("{n}", n).replace("{total}", rows.length);
  }
  [text, verdict, section].forEach(function (el) { el.addEventListener("input", apply); });
  var wanted = decodeURIComponent((location.hash.match(/section=([^&]+)/) || [])[1] || "");
  if (wanted) { section.value = wanted; }
  apply();
})();
</script>
"""


def _text(x: Any) -> str:
    """A cell as text: blank for missing values (never 'nan')."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def _value_with_unit(value: Any, unit: Any) -> str:
    value, unit = _text(value), _text(unit)
    if not value:
        return ""
    if unit == "rank" or unit.startswith("rank "):    # "rank 2", "rank 12 among major economies"
        return f"rank {value}{unit[4:]}"
    return f"{value} {unit}".strip()


def table_html(evaluated: pd.DataFrame, chapter_links: dict[str, str] | None = None,
               map_page: str = MAP_PAGE) -> str:
    """A searchable, filterable table of the ledger that needs no network (plain HTML + a few lines of JS)."""
    chapter_links = chapter_links or {}
    esc = lambda x: html.escape(_text(x))
    sections = sorted(evaluated["section"].unique())
    options = lambda values: "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
    head = (
        '<div id="claims-ledger" class="claims-ledger">'
        '<div class="claims-ledger__filters">'
        '<label>Search <input id="claims-search" type="search" placeholder="e.g. R&amp;D, 灯塔工厂, Hefei"></label> '
        f'<label>Verdict <select id="claims-verdict"><option value="">all</option>{options(VERDICTS)}</select></label> '
        f'<label>Section <select id="claims-section"><option value="">all</option>{options(sections)}</select></label> '
        '<span id="claims-shown" aria-live="polite"></span>'
        '<span id="claims-shown-words" hidden>{n} of {total} claims shown</span></div>'
        '<div class="claims-ledger__scroll"><table class="claims-ledger__table">'
        "<thead><tr><th>Claim</th><th>Article says</th><th>Record says</th><th>Verdict</th>"
        "<th>How it was checked</th></tr></thead><tbody>"
    )
    body = []
    for _, r in evaluated.iterrows():
        section = esc(r["section"])
        link = chapter_links.get(r["section"])
        section_cell = f'<a href="{esc(link)}">{section}</a>' if link else section
        stated = html.escape(_value_with_unit(r["stated_value"], r["stated_unit"])) or "no figure"
        checked = html.escape(_value_with_unit(r["checked_value"], r["checked_unit"])) or "not found"
        how = esc(r["method"]) + (" <em>(computed from the book's data)</em>" if r["computed"] else "")
        note = esc(r.get("note"))
        if note:
            how += f"<br>{note}"
        entries = map_ids(r.get("map_ids"))
        argument = f"<br>Argument map: {_map_links(entries, map_page)}" if entries else ""
        body.append(
            f'<tr id="claim-{esc(r["id"])}" data-verdict="{esc(r["verdict"])}" data-section="{section}">'
            f'<td><span class="claims-ledger__id">{esc(r["id"])}</span> · {section_cell}<br>'
            f'{esc(r["claim_en"])} <span class="claims-ledger__term" lang="zh-Hans">{esc(r["term_zh"])}</span>'
            f"{argument}</td>"
            f"<td>{stated}</td><td>{checked}</td>"
            f'<td>{_verdict_badge(_text(r["verdict"]))}</td>'
            f'<td class="claims-ledger__how">{how}</td></tr>'
        )
    return STYLE + head + "".join(body) + "</tbody></table></div></div>" + TABLE_SCRIPT


def differences_md(evaluated: pd.DataFrame, verdicts: tuple[str, ...] = ("differs",)) -> str:
    """A Markdown list of the claims with the given verdicts: what the article says, what the record
    says and why they part. Blank cells read as 'no figure' and 'nothing comparable', never as 'nan'."""
    lines = []
    for r in evaluated[evaluated["verdict"].isin(verdicts)].itertuples():
        stated = _value_with_unit(r.stated_value, r.stated_unit)
        checked = _value_with_unit(r.checked_value, r.checked_unit)
        said = f"The article says {stated}" if stated else "The article gives no figure"
        record = f"the record says {checked}." if checked else "the record holds nothing comparable."
        note = _text(r.note)
        lines.append(f"- **{r.id} ({r.section}).** {_text(r.claim_en)} {said}; {record}"
                     + (f" {note}" if note else ""))
    return "\n".join(lines)


def to_records(evaluated: pd.DataFrame) -> str:
    """The evaluated ledger as JSON (for download beside the page)."""
    cols = ["id", "section", "claim_en", "term_zh", "stated_value", "stated_unit", "checked_value",
            "checked_unit", "verdict", "source", "method", "note", "map_ids"]
    cols = [c for c in cols if c in evaluated.columns]
    return json.dumps(evaluated[cols].fillna("").to_dict(orient="records"), ensure_ascii=False, indent=1)
