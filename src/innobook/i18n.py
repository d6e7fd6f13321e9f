"""Text the notebooks generate, in English and Simplified Chinese, from the same run.

The book has two editions rendered from one execution of each notebook. Prose written in
the pages is translated through Sphinx's catalogs; text that a notebook *computes* (a chart's
title and axis labels, a table's headings, a glued sentence) is produced here, in both
languages, by the kernel that computed the numbers:

* every output that carries language keeps its English form in its data and its Chinese form
  in the output's metadata under :data:`ZH_BUNDLE`; the site's notebook reader
  (``book/_ext/innobook_i18n.py``) picks one per edition;
* Chinese text comes from the catalog ``locales/zh_CN/outputs.po``, whose entries are
  *templates*: each number of the English text is replaced by a placeholder ``{0}``, ``{1}``
  ... and the Chinese template must use the same placeholders and write no digit of its own,
  so a number reaches the Chinese edition only by being computed (:func:`template`);
* a text with no entry is left in English in the Chinese output and listed under
  :data:`UNTRANSLATED` in the output's metadata; the build collects those lists and refuses to
  render the Chinese edition until the catalog has them
  (``python -m innobook i18n outputs`` adds them to the catalog for translation).

A chart is drawn once per language from the same data (:func:`translate_spec`); a table is
formatted once per language from the same frame.
"""

from __future__ import annotations

import copy
import functools
import html as html_lib
import json
import re
from pathlib import Path
from typing import Any, Iterable

#: The output metadata key holding an output's Chinese mime bundle.
ZH_BUNDLE = "innobook/zh"
#: The output metadata key listing the templates that had no Chinese entry.
UNTRANSLATED = "innobook/untranslated"
CATALOG = Path("locales") / "zh_CN" / "outputs.po"

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
PLACEHOLDER = re.compile(r"\{(\d+)\}")
#: The English name of the unit 亿元 (10^8 yuan), which Chinese writes without a number.
UNIT_NUMBER = re.compile(r"100(?= ?(?:million|m) yuan)")
LATIN = re.compile(r"[A-Za-z]{2,}")
# Text that is never translated: addresses, file names, identifiers.
VERBATIM = re.compile(r"^(https?://\S+|[\w./-]+\.(csv|json|ipynb|md|png|svg|pdf)|[a-z0-9_]+|[A-Z0-9_]+)$")

TARGET = re.compile(r"^\([\w.:-]+\)=\s*$")   # a MyST label line, "(map-a01)="

_missing: set[str] = set()


def template(text: str) -> tuple[str, list[str]]:
    """``"R&D rose 8.3% in 2024"`` -> ``("R&D rose {0}% in {1}", ["8.3", "2024"])``."""
    found: list[str] = []

    def mark(m: re.Match) -> str:
        if UNIT_NUMBER.match(m.string, m.start()):   # "100 million yuan" is a unit, 亿元, not a number
            return m.group(0)
        found.append(m.group(0))
        return "{%d}" % (len(found) - 1)

    return NUMBER.sub(mark, text), found


def fill(pattern: str, values: list[str]) -> str:
    """Put the numbers back into a (translated) template."""
    return PLACEHOLDER.sub(lambda m: values[int(m.group(1))], pattern)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
MONTH_NUMBER = re.compile(r"(?<![\d.])(\d{1,2})(?=月)")


def named_months(source: str) -> set[str]:
    """The numbers of the months an English text names: ``"23 October"`` -> ``{"10"}``."""
    return {str(i) for i, name in enumerate(MONTHS, 1)
            if re.search(rf"\b({name}|{name[:3]}\.?)(?![a-z])", source)}


def without_named_months(target: str, source: str) -> str:
    """``target`` without the month numbers that stand for a month its source names: Chinese
    writes October as ``10月``, a digit the English spells as a word (no other digit is freed)."""
    allowed = named_months(source)
    return MONTH_NUMBER.sub(lambda m: "" if m.group(1) in allowed else m.group(0), target)


def check_entry(source: str, target: str) -> list[str]:
    """What is wrong with one catalog entry: placeholders must match, no typed digits."""
    wrong = []
    if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
        wrong.append("the translation must use each placeholder of its source ({0}, {1} ...) "
                     "exactly as often as the source does")
    if NUMBER.search(PLACEHOLDER.sub("", without_named_months(target, source))):
        wrong.append("digits typed by hand: every number comes from a placeholder")
    return wrong


def needs_translation(text: str) -> bool:
    """Does ``text`` read as English words (not a number, a code or an address)?"""
    stripped = text.strip()
    return bool(stripped) and bool(LATIN.search(stripped)) and not VERBATIM.match(stripped)


def _root() -> Path:
    """The book's folder: ``INNOBOOK_ROOT``, or the nearest folder up from here with a
    ``_config.yml`` (this module sits beside the data layer, not above it, so it does not ask
    :mod:`innobook.data`)."""
    import os

    env = os.environ.get("INNOBOOK_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / "_config.yml").is_file() and (folder / "locales").is_dir():
                return folder
    return Path.cwd()


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, str]:
    """The Chinese templates of ``locales/zh_CN/outputs.po`` (translated, not fuzzy)."""
    from babel.messages.pofile import read_po

    path = _root() / CATALOG
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        entries = read_po(fh, locale="zh_CN")
    return {m.id: m.string for m in entries if m.id and m.string and not m.fuzzy}


@functools.lru_cache(maxsize=1)
def translated() -> frozenset[str]:
    """The catalog's Chinese templates themselves: text that is already translated."""
    return frozenset(catalog().values())


def zh(text: Any) -> Any:
    """The Chinese of one English text (the English itself, recorded, if it has no entry)."""
    if not isinstance(text, str) or not needs_translation(text):
        return text
    pattern, values = template(text)
    found = catalog().get(pattern)
    if found is None:
        if pattern in translated():   # already Chinese (a label translated once, met again)
            return text
        _missing.add(pattern)
        return text
    return fill(found, values)


LONE_WORD = re.compile(r"[a-z]+(?:_[a-z]+)*")


def zh_term(text: Any) -> Any:
    """:func:`zh`, and for a lone lowercase word (a verdict, a category: ``supported``) its
    catalog entry; :func:`zh` leaves such a word alone, as it might be an identifier, so a word
    shown to a reader without an entry is recorded here as untranslated."""
    if not isinstance(text, str) or not LONE_WORD.fullmatch(text.strip()) or len(text.strip()) < 2:
        return zh(text)
    word = text.strip()
    found = catalog().get(word)
    if found is None:
        _missing.add(word)
        return text
    return text.replace(word, found)


def zh_markdown(text: str) -> str:
    """Chinese Markdown, translated a paragraph at a time; directive fences and option lines
    (``\u0060\u0060\u0060{exercise}``, ``:label: x``) and label lines (``(map-a01)=``) are kept
    as they are."""
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(zh("\n".join(paragraph)))
            paragraph.clear()

    for line in text.split("\n"):
        if not line.strip() or line.startswith(("```", ":")) or TARGET.match(line):
            flush()
            out.append(line)
        else:
            paragraph.append(line)
    flush()
    return "\n".join(out)


_TAG = re.compile(r"(<[^>]+>)")


def zh_html(text: str) -> str:
    """Chinese HTML: each run of text between tags is translated; tags and attributes are kept
    (an ``alt``, ``title`` or ``aria-label`` attribute is translated too)."""
    parts = _TAG.split(text)
    out = []
    in_script = False
    for part in parts:
        if part.startswith("<"):
            low = part.lower()
            if low.startswith(("<script", "<style")):
                in_script = True
            elif low.startswith(("</script", "</style")):
                in_script = False
            out.append(re.sub(r'((?:alt|title|aria-label)=")([^"]*)(")',
                              lambda m: m.group(1) + html_lib.escape(zh(html_lib.unescape(m.group(2))))
                              + m.group(3), part))
        elif in_script or not part.strip():
            out.append(part)
        else:
            lead = part[:len(part) - len(part.lstrip())]
            trail = part[len(part.rstrip()):]
            core = html_lib.unescape(part.strip())
            translated = zh(core)
            out.append(lead + (html_lib.escape(translated, quote=False) if translated != core
                               else part.strip()) + trail)
    return "".join(out)


def take_missing() -> list[str]:
    """The templates found without an entry since the last call (and forget them)."""
    found = sorted(_missing)
    _missing.clear()
    return found


def bundle_metadata(zh_bundle: dict[str, Any]) -> dict[str, Any]:
    """The output metadata that carries a Chinese bundle (and what it could not translate)."""
    meta: dict[str, Any] = {ZH_BUNDLE: zh_bundle}
    missing = take_missing()
    if missing:
        meta[UNTRANSLATED] = missing
    return meta


# --------------------------------------------------------------------------- charts
_TEXT_KEYS = ("title", "subtitle", "description", "text")
_NOMINAL = ("nominal", "ordinal")
_LABEL_OWNER = {"x": "axis", "y": "axis", "color": "legend", "fill": "legend", "stroke": "legend",
                "shape": "legend", "strokeDash": "legend", "row": "header", "column": "header",
                "facet": "header"}


def _translate_titles(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("data", "datasets", "usermeta", "params", "transform", "$schema", "config"):
                out[k] = v
            elif k in _TEXT_KEYS and isinstance(v, (str, list)):
                out[k] = [zh(s) for s in v] if isinstance(v, list) else zh(v)
            else:
                out[k] = _translate_titles(v, k)
        return out
    if isinstance(node, list):
        return [_translate_titles(v, key) for v in node]
    return node


def _values_of(spec: dict, field: str, definition: dict | None = None) -> list[str]:
    """The text values a category field takes: in the chart's data sets, and in the channel's
    own scale domain and sort order (a domain may name a category that this chart's data lack,
    so that colours agree across charts; its legend still shows it)."""
    values = []
    for rows in (spec.get("datasets") or {}).values():
        for row in rows:
            value = row.get(field) if isinstance(row, dict) else None
            if isinstance(value, str) and value not in values:
                values.append(value)
    definition = definition or {}
    scale = definition.get("scale") if isinstance(definition.get("scale"), dict) else {}
    for listed in (scale.get("domain"), definition.get("sort")):
        if isinstance(listed, list):
            values += [v for v in listed if isinstance(v, str) and v not in values]
    return values


def _label_expr(pairs: list[tuple[str, str]]) -> str:
    en = json.dumps([a for a, _ in pairs], ensure_ascii=False)
    cn = json.dumps([b for _, b in pairs], ensure_ascii=False)
    return f"indexof({en}, datum.label) >= 0 ? {cn}[indexof({en}, datum.label)] : datum.label"


def _label_channels(node: Any, spec: dict) -> None:
    """Categories on axes, legends and facet headers shown in Chinese through a label
    expression: the data keep their values, so filters, sorting and colours are unchanged.
    Text marks that write a category field (a province's name beside its point) write it in
    Chinese: a ``calculate`` transform of the mark's own view puts the Chinese in the field."""
    if isinstance(node, dict):
        encoding = node.get("encoding")
        if isinstance(encoding, dict):
            for channel, definition in encoding.items():
                owner = _LABEL_OWNER.get(channel)
                if not owner or not isinstance(definition, dict) or definition.get("type") not in _NOMINAL:
                    continue
                field = definition.get("field")
                if not isinstance(field, str):
                    continue
                pairs = _pairs(spec, field, definition)
                if not pairs or definition.get(owner) is None and owner in definition:
                    continue
                part = dict(definition.get(owner) or {})
                part.setdefault("labelExpr", _label_expr(pairs))
                definition[owner] = part
        _text_fields(node, spec)
        for value in node.values():
            _label_channels(value, spec)
    elif isinstance(node, list):
        for value in node:
            _label_channels(value, spec)


def _pairs(spec: dict, field: str, definition: dict | None = None) -> list[tuple[str, str]]:
    pairs = [(v, zh_term(v)) for v in _values_of(spec, field, definition)]
    return [(a, b) for a, b in pairs if a != b]


DATUM_FIELD = re.compile(r"datum\.([A-Za-z_]\w*)")


def _text_fields(view: dict, spec: dict) -> None:
    """In a view whose mark writes text, the text fields translated in place (see
    :func:`_label_channels`): the field of the ``text`` channel, and the fields a mark's text
    expression reads (``datum.short``)."""
    mark = view.get("mark")
    text = (view.get("encoding") or {}).get("text")
    fields = []
    if isinstance(text, dict) and isinstance(text.get("field"), str) and text.get("type") in _NOMINAL:
        fields.append(text["field"])
    if isinstance(mark, dict) and isinstance(mark.get("text"), dict) and isinstance(mark["text"].get("expr"), str):
        fields += DATUM_FIELD.findall(mark["text"]["expr"])
    steps = []
    for field in dict.fromkeys(fields):
        pairs = _pairs(spec, field)
        if pairs:
            steps.append({"calculate": _label_expr(pairs).replace("datum.label", f"datum[{json.dumps(field)}]"),
                          "as": field})
    if steps:
        view["transform"] = [*(view.get("transform") or []), *steps]


def translate_spec(spec: dict) -> dict:
    """The Chinese drawing of a finished chart: titles, subtitles, axis, legend and header
    titles, category labels, alt text, the table's headings and the source labels; the data are
    the same values."""
    out = _translate_titles(copy.deepcopy(spec))
    _label_channels(out, out)
    meta = out.get("usermeta", {}).get("innobook")
    if meta:
        meta["alt"] = zh(meta.get("alt"))
        if meta.get("unit"):
            meta["unit"] = zh(meta["unit"])
        if isinstance(meta.get("table"), dict):
            meta["table"] = {k: zh(v) if v else v for k, v in meta["table"].items()}
        meta["sources"] = [[zh(label), key] for label, key in meta.get("sources", [])]
        meta["lang"] = "zh"
    return out


def zh_cells(values: Iterable[Any]) -> list[Any]:
    return [zh(v) for v in values]
