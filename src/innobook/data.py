"""Validated access to the book's data package (``data/datapackage.json``).

Public API::

    load(name) -> pandas.DataFrame      # validated, typed
    validate_all() -> None              # raises DataValidationError
    resource_names() -> list[str]
    resource_files(name) -> list[pathlib.Path]
    resource_meta(name) -> dict
    DataValidationError                 # .problems: list[Problem]

Validation follows the Table Schema in the data package. Rules that Table Schema
cannot express (a unit tied to each indicator, percentages capped at 100 for rows
whose unit is a percentage, a minimum number of rows, a source key that must be
listed in the resource's ``sources``) are declared per resource under ``rules`` in
the data package. Every problem is reported the same way: file, row, column, rule.

Beyond Table Schema, values a notebook could not use are refused: numbers must be
finite (no ``inf`` or ``NaN``) and written with the ASCII digits 0-9 (not full-width
ones), and a date in a text field that holds dates (one named ``*date*``, or whose pattern
describes a date) must be a real calendar day, not ``2024-02-30``. Metadata text (titles, descriptions, sources, units ...) must be plain text: no
HTML tags or character references, since it is shown on the site. A malformed
``datapackage.json`` (wrong shape) is answered with one line naming what is wrong.

How a table is checked (fast enough for large files):

* the file is read once as bytes, in blocks: its SHA-256, UTF-8 validity and, counting
  delimiters outside quotes, whether every row has as many cells as the header;
* a table whose content digest (with its schema and this module's code) was validated
  before is not validated again: the digest is recorded under ``_build/cache/validated/``,
  so a large file is validated once, not in every kernel that loads it;
* otherwise the rows are streamed in chunks through pandas' C parser and checked column
  by column (types, constraints, primary key, rules) without holding the table in memory;
* a file whose structure is irregular (a row with too few or too many cells, a blank row),
  or a schema using features the streaming checker does not cover, is validated row by
  row by the ``frictionless`` library instead, which reports the same problems.

Validation stops after :data:`ERROR_LIMIT` problems per file, and then says "at least".

Environment variables:

``INNOBOOK_ROOT``
    Project root (the folder holding ``data/datapackage.json``). Defaults to
    the nearest parent of this file, or of the working directory, that holds
    ``_config.yml`` or ``data/datapackage.json``.
``INNOBOOK_DECLARED_RESOURCES``
    Comma-separated resource names a notebook declared in its ``reads:`` list.
    When set, ``load()`` refuses any other name.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import json
import math
import numbers
import os
import pathlib
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

__all__ = [
    "DataValidationError",
    "Problem",
    "UndeclaredResourceError",
    "load",
    "project_root",
    "resource_files",
    "resource_meta",
    "resource_names",
    "validate",
    "validate_all",
]

PACKAGE_RELPATH = pathlib.Path("data") / "datapackage.json"
_ENV_ROOT = "INNOBOOK_ROOT"
_ENV_DECLARED = "INNOBOOK_DECLARED_RESOURCES"


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One validation problem.

    ``file`` is relative to the project root (POSIX separators); ``row`` is the
    line number in the CSV with the header as row 1 (``None`` when the problem
    is not about one row); ``column`` is the field name (``None`` when not about
    one column); ``rule`` names the broken rule, e.g. ``minimum: 0``,
    ``primary key``, ``encoding: utf-8``.
    """

    file: str
    row: int | None
    column: str | None
    rule: str
    message: str
    resource: str | None = None
    cell: str | None = None

    def __str__(self) -> str:
        return self.message


class DataValidationError(Exception):
    """Raised when data files break the rules in ``data/datapackage.json``."""

    def __init__(self, problems: Iterable[Problem], header: str | None = None, truncated: bool = False):
        self.problems: list[Problem] = list(problems)
        self.truncated = truncated
        n = len(self.problems)
        count = f"at least {n}" if truncated else f"{n}"
        lines = [header or f"{count} data validation problem{'s' if n != 1 or truncated else ''}"
                 + (" (checking stopped early)" if truncated else "") + ":"]
        shown = self.problems[:20]
        lines += [f"- {p.message}" for p in shown]
        if n > len(shown):
            lines.append(f"- ... and {'at least ' if truncated else ''}{n - len(shown)} more")
        super().__init__("\n".join(lines))


class UndeclaredResourceError(PermissionError):
    """Raised when a notebook loads a resource it did not declare in ``reads:``."""


# --------------------------------------------------------------------------
# Package location and metadata
# --------------------------------------------------------------------------


def _is_root(path: pathlib.Path) -> bool:
    return (path / "_config.yml").is_file() or (path / PACKAGE_RELPATH).is_file()


def project_root() -> pathlib.Path:
    """Return the project root (see module docstring)."""
    env = os.environ.get(_ENV_ROOT)
    if env:
        root = pathlib.Path(env).expanduser().resolve()
        if not (root / PACKAGE_RELPATH).is_file():
            raise FileNotFoundError(
                f"{_ENV_ROOT} points to {root}, which has no {PACKAGE_RELPATH.as_posix()}."
            )
        return root
    for start in (pathlib.Path(__file__).resolve().parent, pathlib.Path.cwd().resolve()):
        for cand in (start, *start.parents):
            if (cand / PACKAGE_RELPATH).is_file():
                return cand
            if (cand / "_config.yml").is_file() and (cand / PACKAGE_RELPATH).is_file():
                return cand
    raise FileNotFoundError(
        f"Could not find {PACKAGE_RELPATH.as_posix()} above {pathlib.Path(__file__).parent} "
        f"or the working directory; set {_ENV_ROOT}."
    )


_DESCRIPTOR_CACHE: dict[tuple[str, float], dict] = {}


def _descriptor() -> tuple[pathlib.Path, dict]:
    root = project_root()
    path = root / PACKAGE_RELPATH
    key = (str(path), path.stat().st_mtime_ns)
    desc = _DESCRIPTOR_CACHE.get(key)
    if desc is None:
        try:
            desc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataValidationError(
                [
                    Problem(
                        file=PACKAGE_RELPATH.as_posix(),
                        row=getattr(exc, "lineno", None),
                        column=None,
                        rule="valid JSON (UTF-8)",
                        message=f"{PACKAGE_RELPATH.as_posix()} is not valid UTF-8 JSON: {exc}. Fix that file.",
                    )
                ]
            ) from None
        _check_shape(desc)
        _DESCRIPTOR_CACHE.clear()
        _DESCRIPTOR_CACHE[key] = desc
    return root, desc


_SHAPE_HINT = "Fix that file (see CONTRIBUTING.md, 'Adding data')."
FIELD_TYPES = ("string", "number", "integer", "boolean", "date", "datetime", "time", "year",
               "yearmonth", "duration", "geopoint", "geojson", "object", "array", "any")
RULE_TYPES = ("unit-by-indicator", "percent-range", "source-key-listed", "min-rows", "in-list")


def _shape_error(where: str, what: str) -> DataValidationError:
    file = PACKAGE_RELPATH.as_posix()
    message = f"{file}: {where}{': ' if where else ''}{what}. {_SHAPE_HINT}"
    problem = Problem(file=file, row=None, column=None, rule="data package shape", message=message)
    return DataValidationError([problem], header="The data package description is malformed:")


def _check_shape(desc: Any) -> None:
    """Refuse a descriptor of the wrong shape with one line, before anything reads it."""
    if not isinstance(desc, dict):
        raise _shape_error("", f"expected a JSON object with a \"resources\" list, found {_json_kind(desc)}")
    resources = desc.get("resources")
    if not isinstance(resources, list) or not resources:
        raise _shape_error("", f"\"resources\" must be a non-empty list, found {_json_kind(resources)}")
    seen: set[str] = set()
    for i, res in enumerate(resources):
        where = f"resources[{i}]"
        if not isinstance(res, dict):
            raise _shape_error(where, f"expected an object, found {_json_kind(res)}")
        name = res.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
            raise _shape_error(where, f"\"name\" must be lower-case letters, digits, _, . or -, found {_json_kind(name)}")
        if name in seen:
            raise _shape_error(where, f"the name {name!r} is used twice")
        seen.add(name)
        where = f'resource "{name}"'
        paths = res.get("path")
        paths = [paths] if isinstance(paths, str) else paths
        if not isinstance(paths, list) or not paths or not all(isinstance(x, str) and x for x in paths):
            raise _shape_error(where, "\"path\" must be a file path under data/ (or a list of them)")
        for rel in paths:
            pure = pathlib.PurePosixPath(rel)
            if pure.is_absolute() or ".." in pure.parts or "://" in rel:
                raise _shape_error(where, f"path {rel!r} must be relative to data/ and stay inside it")
        schema = res.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
            raise _shape_error(where, "\"schema\" must be an object with a non-empty \"fields\" list")
        names = []
        for j, f in enumerate(schema["fields"]):
            if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
                raise _shape_error(where, f"schema.fields[{j}] must be an object with a \"name\"")
            if f.get("type", "string") not in FIELD_TYPES:
                raise _shape_error(where, f"field \"{f['name']}\" has unknown type {f.get('type')!r}; "
                                          f"use one of {', '.join(FIELD_TYPES[:8])} ...")
            if not isinstance(f.get("constraints", {}), dict):
                raise _shape_error(where, f"field \"{f['name']}\": \"constraints\" must be an object")
            names.append(f["name"])
        pk = schema.get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else pk
        if not isinstance(pk, list) or not all(isinstance(k, str) and k in names for k in pk):
            raise _shape_error(where, "\"primaryKey\" must list field names of the schema")
        for key in ("sources", "licenses", "rules"):
            items = res.get(key, [])
            if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
                raise _shape_error(where, f"\"{key}\" must be a list of objects")
        for rule in res.get("rules", []):
            if rule.get("type") not in RULE_TYPES:
                raise _shape_error(where, f"unknown rule type {rule.get('type')!r}; use one of {', '.join(RULE_TYPES)}")
            needed = {"unit-by-indicator": ("indicatorField", "unitField", "units"),
                      "percent-range": ("valueField", "unitField"),
                      "in-list": ("field", "list", "listField")}.get(rule["type"], ())
            for k in needed:
                if k not in rule:
                    raise _shape_error(where, f"rule {rule['type']} needs \"{k}\"")
            for k in ("indicatorField", "unitField", "valueField", "field"):
                if k in rule and rule[k] not in names:
                    raise _shape_error(where, f"rule {rule['type']}: {k} {rule[k]!r} is not a field of the schema")


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


# Markup in metadata: HTML tags, comments or declarations, character references, and script
# addresses. Metadata is shown on the site as text; refusing markup here is the second line
# of defence (every page also escapes it where it is written). A placeholder in angle
# brackets, such as ``<chapter>.<name>``, is text, not a tag: it names no HTML element and
# carries no attribute.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:_-]*)([^>]*)>?")
_MARKUP = re.compile(r"<[!?]|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);|"
                     r"\bjavascript\s*:|\bvbscript\s*:|\bdata\s*:\s*text/html", re.I)
_HTML_ELEMENTS = set("""a abbr address area article aside audio b base bdi bdo blockquote body br button
canvas caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed
fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html
i iframe img image input ins kbd label legend li link main map mark math menu meta meter nav noembed
noframes noscript object ol optgroup option output p param picture portal pre progress q rp rt ruby
s samp script search section select slot small source span strong style sub summary sup svg table
tbody td template textarea tfoot th thead time title tr track u ul var video wbr xmp marquee
plaintext listing base basefont blink center font isindex keygen applet acronym big tt strike
animate set use foreignobject""".split())


def _has_markup(text: str) -> bool:
    if _MARKUP.search(text):
        return True
    for m in _TAG.finditer(text):
        closing, name, rest = m.groups()
        if closing or name.lower() in _HTML_ELEMENTS or "-" in name or ":" in name or rest.strip():
            return True
    return False


_URL_KEYS = ("path",)


def _metadata_problems(desc: dict, only: str | None = None) -> list[Problem]:
    """Markup in any text of the data package (constraint patterns excepted)."""
    file = PACKAGE_RELPATH.as_posix()
    problems: list[Problem] = []

    def walk(value: Any, where: str, resource: str | None, url: bool = False) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "pattern" and where.endswith("constraints"):
                    continue
                walk(v, f"{where}.{k}" if where else str(k), resource,
                     url=k in _URL_KEYS and (".sources" in where or ".licenses" in where
                                             or where.startswith("licenses")))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]", resource, url)
        elif isinstance(value, str):
            if _has_markup(value):
                problems.append(_problem(
                    file, None, where, "no markup in metadata",
                    "metadata is shown on the site as plain text; write it without HTML tags, "
                    "character references or script addresses", resource, cell=value[:80],
                    hint=f"Fix that text in {file}."))
            elif url and not re.match(r"https?://\S+$", value):
                problems.append(_problem(
                    file, None, where, "web address", "a source or licence path must be an http(s) address",
                    resource, cell=value[:80], hint=f"Fix that address in {file}."))

    if only is None:
        walk({k: v for k, v in desc.items() if k != "resources"}, "", None)
    for res in desc.get("resources", []):
        if only is None or res.get("name") == only:
            walk(res, f'resources["{res.get("name")}"]', res.get("name"))
    return problems


def _resource_desc(name: str) -> dict:
    _, desc = _descriptor()
    for res in desc.get("resources", []):
        if res.get("name") == name:
            return res
    raise KeyError(
        f"No resource named {name!r} in {PACKAGE_RELPATH.as_posix()}; "
        f"known resources: {', '.join(resource_names())}."
    )


def resource_names() -> list[str]:
    """Names of all resources in the data package, in package order."""
    _, desc = _descriptor()
    return [r["name"] for r in desc.get("resources", [])]


def _paths(res: dict) -> list[str]:
    p = res.get("path")
    if p is None:
        return []
    return [p] if isinstance(p, str) else list(p)


def resource_files(name: str) -> list[pathlib.Path]:
    """Absolute paths of the files resource ``name`` reads, plus the package descriptor.

    The descriptor is included because a schema change alters what ``load``
    returns, so build caches must hash it too.
    """
    root, _ = _descriptor()
    res = _resource_desc(name)
    files = [root / "data" / p for p in _paths(res)]
    return files + [root / PACKAGE_RELPATH]


def resource_meta(name: str) -> dict:
    """Title, description, license, sources (with ``bibkey``), vintage note and field units."""
    res = _resource_desc(name)
    fields = res.get("schema", {}).get("fields", [])
    return {
        "name": res["name"],
        "title": res.get("title", ""),
        "description": res.get("description", ""),
        "path": _paths(res),
        "licenses": res.get("licenses") or _descriptor()[1].get("licenses", []),
        "sources": res.get("sources", []),
        "bibkeys": [s["bibkey"] for s in res.get("sources", []) if s.get("bibkey")],
        "vintage_note": res.get("vintage_note", ""),
        "units": {f["name"]: f.get("unit", "") for f in fields},
        "field_descriptions": {f["name"]: f.get("description", "") for f in fields},
        "primary_key": res.get("schema", {}).get("primaryKey", []),
    }


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _rel(root: pathlib.Path, path: pathlib.Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _fix_hint(file: str) -> str:
    return f"Fix the value in that file, or the rule in {PACKAGE_RELPATH.as_posix()}."


def _problem(file, row, column, rule, detail, resource, cell=None, hint=None) -> Problem:
    where = file
    if row is not None:
        where += f", row {row}"
    if column is not None:
        where += f', column "{column}"'
    what = f"{cell!r} breaks" if cell is not None else "breaks"
    if detail:
        body = f'{what} "{rule}" ({detail})'
    else:
        body = f'{what} "{rule}"'
    msg = f"{where}: {body}. {hint or _fix_hint(file)}"
    return Problem(file=file, row=row, column=column, rule=rule, message=msg, resource=resource, cell=cell)


def _column_at(data: bytes, offset: int) -> str | None:
    """Best-effort name of the CSV column containing byte ``offset``."""
    try:
        text_before = data[:offset].decode("utf-8", errors="replace")
        header_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        header = next(csv.reader(io.StringIO(header_line)))
        line_start = text_before.rfind("\n") + 1
        prefix = text_before[line_start:]
        # number of complete fields before the offset on this line
        fields = next(csv.reader(io.StringIO(prefix + "\x00")))
        idx = len(fields) - 1
        if 0 <= idx < len(header):
            return header[idx].strip()
    except Exception:  # pragma: no cover - best effort only
        return None
    return None


_RULE_NAMES = {
    "type-error": None,  # built from the field type
    "missing-label": "required column",
    "extra-label": "no unknown columns",
    "blank-label": "no blank column names",
    "duplicate-label": "unique column names",
    "incorrect-label": "column order and names as in the schema",
    "blank-header": "header row present",
    "unmatched-header": "header matches schema",
    "missing-cell": "row has all columns",
    "extra-cell": "row has no extra cells",
    "blank-row": "no blank rows",
    "primary-key": "primary key unique",
    "unique-error": "unique",
    "encoding-error": "encoding: utf-8",
    "source-error": "readable CSV",
    "scheme-error": "readable file",
    "format-error": "CSV format",
}


def _constraint_rule(field: dict | None, note: str) -> str:
    """Turn a frictionless constraint note into ``name: value`` using the schema."""
    cons = (field or {}).get("constraints", {})
    note_l = (note or "").lower()
    for key in ("required", "minimum", "maximum", "minLength", "maxLength", "pattern", "enum", "unique", "exclusiveMinimum", "exclusiveMaximum"):
        if f'"{key}"' in note or f"{key.lower()}" in note_l.replace(" ", ""):
            if key in cons:
                val = cons[key]
                if key == "required":
                    return "required"
                if key == "enum":
                    return "enum: " + ", ".join(map(str, val))
                return f"{key}: {val}"
    return "constraint"


_HEADER_HINT = f"Fix the header row of that file, or the schema in {PACKAGE_RELPATH.as_posix()}."

_LABEL_ERRORS = ("missing-label", "extra-label", "blank-label", "duplicate-label", "incorrect-label")


def _header_problems(root: pathlib.Path, res: dict, file: str, labels: list[str]) -> list[Problem]:
    """Name-based description of header problems (frictionless matches columns by position)."""
    name = res["name"]
    schema_names = [f["name"] for f in res.get("schema", {}).get("fields", [])]
    out: list[Problem] = []
    for col in schema_names:
        if col not in labels:
            out.append(_problem(file, 1, col, "required column",
                                f'the schema lists column "{col}" but the header does not have it', name, hint=_HEADER_HINT))
    for col in labels:
        if col not in schema_names:
            shown = col if col.strip() else "(blank)"
            out.append(_problem(file, 1, shown, "no unknown columns",
                                f'column "{shown}" is not in the schema', name, hint=_HEADER_HINT))
    seen: set[str] = set()
    for col in labels:
        if col in seen:
            out.append(_problem(file, 1, col, "unique column names", f'column "{col}" appears twice', name, hint=_HEADER_HINT))
        seen.add(col)
    if not out and labels != schema_names:
        out.append(_problem(file, 1, None, "column order as in the schema",
                            "expected " + ", ".join(schema_names), name, hint=_HEADER_HINT))
    return out


def _problems_from_report(root: pathlib.Path, res: dict, report, file: str) -> list[Problem]:
    fields = {f["name"]: f for f in res.get("schema", {}).get("fields", [])}
    pk = res.get("schema", {}).get("primaryKey", [])
    out: list[Problem] = []
    name = res["name"]
    for task in report.tasks:
        if any(e.type in _LABEL_ERRORS for e in task.errors):
            out += _header_problems(root, res, file, list(task.labels or []))
            # cell errors that follow from a shifted header are noise; report the header first
            return out
        for err in task.errors:
            etype = err.type
            row = getattr(err, "row_number", None)
            column = getattr(err, "field_name", None) or None
            cell = getattr(err, "cell", None)
            note = getattr(err, "note", "") or ""
            if etype in ("missing-label", "extra-label", "blank-label", "duplicate-label", "incorrect-label"):
                label = getattr(err, "label", None)
                column = column or label
                if etype == "extra-label":
                    column = label or column
                rule = _RULE_NAMES[etype]
                detail = {
                    "missing-label": f'the schema requires column "{column}" but the header does not have it',
                    "extra-label": f'column "{column}" is not in the schema',
                }.get(etype, note)
                out.append(_problem(file, 1, column, rule, detail, name))
                continue
            if etype == "type-error":
                ftype = fields.get(column, {}).get("type", "?")
                rule = f"type: {ftype}"
                out.append(_problem(file, row, column, rule, f"not a valid {ftype}", name, cell=cell))
                continue
            if etype == "constraint-error":
                rule = _constraint_rule(fields.get(column), note)
                if rule == "required":
                    out.append(_problem(file, row, column, rule, "the cell is empty", name))
                else:
                    out.append(_problem(file, row, column, rule, "", name, cell=cell))
                continue
            if etype == "primary-key":
                cols = "+".join(pk)
                first = _first_dup_row(note)
                detail = f"the key ({cols}) repeats an earlier row" + (f" (row {first})" if first else "")
                out.append(_problem(file, row, pk[0] if len(pk) == 1 else cols, f"primary key: {cols}", detail, name))
                continue
            if etype == "custom-rule":
                out.append(_problem(file, row, column, getattr(err, "rule", etype) or etype, note, name, cell=cell))
                continue
            if etype == "table-dimensions":
                out.append(_problem(file, None, None, "at least one data row", note, name,
                                    hint="Restore the data rows in that file."))
                continue
            if etype == "encoding-error":
                out.append(_problem(file, row, column, "encoding: utf-8", note, name,
                                    hint="Re-save that file as UTF-8 (without changing any values)."))
                continue
            rule = _RULE_NAMES.get(etype) or etype
            out.append(_problem(file, row, column, rule, note or err.message, name, cell=cell))
    return out


def _first_dup_row(note: str) -> int | None:
    import re

    m = re.search(r"row at position \"?(\d+)\"?", note or "")
    return int(m.group(1)) if m else None


_CHECK_CLASSES: dict | None = None


def _check_classes() -> dict:
    """Build (once) the frictionless Check classes for the package's custom rules."""
    global _CHECK_CLASSES
    if _CHECK_CLASSES is not None:
        return _CHECK_CLASSES
    import attrs
    import frictionless
    from frictionless import errors as ferrors

    @attrs.define(kw_only=True, repr=False)
    class RuleError(ferrors.CellError):
        type = "custom-rule"
        title = "Custom Rule"
        description = "A rule declared under `rules` in the data package."
        template = 'Row "{rowNumber}", field "{fieldName}": {note}'
        rule: str = ""

    @attrs.define(kw_only=True, repr=False)
    class unit_by_indicator(frictionless.Check):
        """The unit of each row must be the one declared for its indicator."""

        type = "unit-by-indicator"
        Errors = [RuleError]
        indicator_field: str = "indicator"
        unit_field: str = "unit"
        units: dict = attrs.field(factory=dict)

        def validate_row(self, row):
            ind = row[self.indicator_field]
            unit = row[self.unit_field]
            expected = self.units.get(ind)
            if expected is None:
                return
            allowed = [expected] if isinstance(expected, str) else list(expected)
            if unit is not None and unit not in allowed:
                shown = " | ".join(allowed)
                err = RuleError.from_row(row, note=f'indicator "{ind}" must have unit "{shown}", found "{unit}"',
                                         field_name=self.unit_field)
                err.rule = f"unit-by-indicator: {ind} -> {shown}"
                yield err

    @attrs.define(kw_only=True, repr=False)
    class percent_range(frictionless.Check):
        """Values whose unit is a percentage must lie within [minimum, maximum]."""

        type = "percent-range"
        Errors = [RuleError]
        value_field: str = "value"
        unit_field: str = "unit"
        unit_prefix: str = "%"
        minimum: float = 0
        maximum: float = 100

        def validate_row(self, row):
            unit = row[self.unit_field]
            val = row[self.value_field]
            if isinstance(unit, str) and unit.startswith(self.unit_prefix) and isinstance(val, numbers.Number):
                if not (self.minimum <= val <= self.maximum):
                    err = RuleError.from_row(
                        row, note=f"a percentage (unit {unit!r}) must lie between {self.minimum} and {self.maximum}",
                        field_name=self.value_field)
                    err.rule = f"percent-range: {self.minimum}..{self.maximum} when unit starts with {self.unit_prefix!r}"
                    yield err

    @attrs.define(kw_only=True, repr=False)
    class source_key_listed(frictionless.Check):
        """Each row's source key must be a bibkey listed in the resource's sources."""

        type = "source-key-listed"
        Errors = [RuleError]
        field: str = "source_key"
        keys: list = attrs.field(factory=list)
        separator: str = ""

        def validate_row(self, row):
            val = row[self.field]
            if val is None:
                return
            items = [v.strip() for v in val.split(self.separator)] if self.separator else [val]
            for item in items:
                if item and item not in self.keys:
                    err = RuleError.from_row(
                        row, note=f"source key {item!r} is not a bibkey listed in this resource's sources"
                                  + (" nor a resource name" if self.separator else ""),
                        field_name=self.field)
                    err.rule = "source-key-listed"
                    yield err

    @attrs.define(kw_only=True, repr=False)
    class in_list(frictionless.Check):
        """Each row's name must be in a list kept as a CSV file of the package."""

        type = "in-list"
        Errors = [RuleError]
        rule_desc: dict = attrs.field(factory=dict)
        allowed: set = attrs.field(factory=set)

        def validate_row(self, row):
            val = row[self.rule_desc["field"]]
            if val is not None and val not in self.allowed:
                err = RuleError.from_row(row, note=_in_list_note(val, self.rule_desc),
                                         field_name=self.rule_desc["field"])
                err.rule = f"in-list: {self.rule_desc['list']}"
                yield err

    _CHECK_CLASSES = {
        "in-list": in_list,
        "unit-by-indicator": unit_by_indicator,
        "percent-range": percent_range,
        "source-key-listed": source_key_listed,
        "_error": RuleError,
    }
    return _CHECK_CLASSES


def _make_checks(res: dict) -> list:
    """Frictionless checks for the resource's custom ``rules`` (declared in the data package)."""
    from frictionless import checks as fchecks

    classes = _check_classes()
    out = []
    for rule in res.get("rules", []):
        t = rule.get("type")
        if t == "unit-by-indicator":
            out.append(classes[t](indicator_field=rule["indicatorField"], unit_field=rule["unitField"], units=rule["units"]))
        elif t == "percent-range":
            out.append(classes[t](value_field=rule["valueField"], unit_field=rule["unitField"],
                                  unit_prefix=rule.get("unitPrefix", "%"), minimum=rule.get("minimum", 0),
                                  maximum=rule.get("maximum", 100)))
        elif t == "source-key-listed":
            keys = [s["bibkey"] for s in res.get("sources", []) if s.get("bibkey")]
            if rule.get("allowResourceNames"):
                keys += resource_names()
            out.append(classes[t](field=rule.get("field", "source_key"), keys=keys, separator=rule.get("separator", "")))
        elif t == "min-rows":
            out.append(fchecks.table_dimensions(min_rows=rule.get("minimum", 1)))
        elif t == "in-list":
            out.append(classes[t](rule_desc=dict(rule), allowed=_list_values(rule)))
        else:
            raise ValueError(f"Unknown rule type {t!r} in resource {res.get('name')!r} of {PACKAGE_RELPATH.as_posix()}")
    return out


ERROR_LIMIT = 200           # problems per file before checking stops ("at least N")
BLOCK_BYTES = 1 << 22       # bytes per block when scanning a file
SEGMENT_BYTES = 1 << 24     # bytes per piece of a table parsed at once (whole records)
VALIDATED = pathlib.Path("_build") / "cache" / "validated"


def validate(name: str) -> None:
    """Validate one resource; raise :class:`DataValidationError` on problems."""
    problems, truncated = _validate(name)
    if problems:
        raise DataValidationError(problems, header=(
            f"Resource {name!r} does not match {PACKAGE_RELPATH.as_posix()} "
            f"({'at least ' if truncated else ''}{len(problems)} problem{'s' if len(problems) != 1 else ''}):"),
            truncated=truncated)


def validate_all() -> None:
    """Validate every resource; raise :class:`DataValidationError` listing all problems."""
    _, desc = _descriptor()
    problems: list[Problem] = _metadata_problems(desc)
    truncated = False
    for name in resource_names():
        found, cut = _validate(name, metadata=False)
        problems += found
        truncated = truncated or cut
    if problems:
        raise DataValidationError(problems, truncated=truncated)


def _validate(name: str, metadata: bool = True) -> tuple[list[Problem], bool]:
    """The problems of one resource, and whether checking stopped early."""
    root, desc = _descriptor()
    res = _resource_desc(name)
    problems = _metadata_problems(desc, only=name) if metadata else []
    scans, found = _scan_files(root, res)
    if found:
        return problems + found, False
    key = _validation_key(desc, res, scans)
    marker = root / VALIDATED / key
    if marker.exists():
        return problems, False
    found, truncated = _validate_rows(root, res, scans)
    if not found:
        _remember(marker, name)
    return problems + found, truncated


def _validation_key(desc: dict, res: dict, scans: list["_Scan"]) -> str:
    """What a table's validity depends on: its bytes, its description, and this code."""
    h = hashlib.sha256()
    h.update(_CODE_DIGEST.encode())
    h.update(json.dumps(res, sort_keys=True, ensure_ascii=False).encode())
    h.update(json.dumps([r.get("name") for r in desc.get("resources", [])]).encode())  # source-key rule
    for scan in scans:
        h.update(scan.digest.encode())
    for rule in res.get("rules", []):
        if rule.get("type") == "in-list":  # the table is valid only against this version of its list
            h.update(_file_digest(project_root() / rule["list"]).encode())
    return h.hexdigest()


def _file_digest(path: pathlib.Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _list_values(rule: dict) -> set[str]:
    """The allowed names of an ``in-list`` rule: one column of a CSV file of the package."""
    path = project_root() / rule["list"]
    with open(path, encoding="utf-8", newline="") as fh:
        return {row[rule["listField"]] for row in csv.DictReader(fh) if row.get(rule["listField"])}


def _in_list_note(value: str, rule: dict) -> str:
    return (f"{value!r} is not in the list {rule['list']} (column {rule['listField']}); "
            "correct the name, or add it to that list")


def _code_digest() -> str:
    try:
        return hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest()
    except OSError:  # pragma: no cover
        return "unknown"


_CODE_DIGEST = _code_digest()


def _remember(marker: pathlib.Path, name: str) -> None:
    """Record a validated content digest (best effort: a read-only checkout just revalidates)."""
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
        tmp.write_text(name + "\n", encoding="utf-8")
        tmp.replace(marker)
    except OSError:
        pass


# --------------------------------------------------------------------------
# Scanning the bytes: existence, encoding, digest, row structure
# --------------------------------------------------------------------------


@dataclass
class _Scan:
    path: pathlib.Path
    file: str
    digest: str = ""
    ascii: bool = True
    records: int = 0          # CSV records, header included
    delimiters: int = 0       # delimiters outside quotes
    regular: bool = True      # every record has as many cells as the header
    segments: list = field(default_factory=list)  # (start byte, end byte, first record) of pieces


def _scan_files(root: pathlib.Path, res: dict) -> tuple[list[_Scan], list[Problem]]:
    """One pass over each file's bytes: what must hold before its rows can be parsed."""
    name = res["name"]
    encoding = (res.get("encoding") or "utf-8").lower()
    ncols = len(res.get("schema", {}).get("fields", []))
    scans, problems = [], []
    for rel in _paths(res):
        path = root / "data" / rel
        file = _rel(root, path)
        if not path.is_file():
            problems.append(
                _problem(file, None, None, "file exists", "the data package lists this path but there is no such file", name,
                         hint=f"Restore the file, or correct the path of resource {name!r} in {PACKAGE_RELPATH.as_posix()}.")
            )
            continue
        scan = _Scan(path, file)
        problem = _scan_bytes(scan, ncols, encoding in ("utf-8", "utf8"), name)
        if problem is not None:
            problems.append(problem)
        scans.append(scan)
    return scans, problems


def _scan_bytes(scan: _Scan, ncols: int, utf8: bool, name: str) -> Problem | None:
    import numpy as np

    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0            # bytes before the current block
    lines = 0             # newlines before the current block
    header = b""          # the first line, for naming a column
    tail = b""            # bytes of the current line before the block
    parity = 0            # inside quotes at the end of the whole lines counted so far?
    content = False
    pending = b""         # an incomplete last line, carried to the next block
    segment_start, segment_record = 0, 0
    with open(scan.path, "rb") as fh:
        while True:
            block = fh.read(BLOCK_BYTES)
            final = not block
            h.update(block)
            if block and not content and block.strip():
                content = True
            ascii_block = block.isascii()
            if not ascii_block:
                scan.ascii = False
            if utf8 and not (ascii_block and not final and decoder.getstate()[0] == b""):
                try:
                    decoder.decode(block, final=final)
                except UnicodeDecodeError as exc:
                    at = exc.start
                    where = block[:at] if at >= 0 else b""
                    row = lines + where.count(b"\n") + 1
                    line_start = where.rfind(b"\n")
                    prefix = (tail + where) if line_start < 0 else where[line_start + 1:]
                    first = header or (tail + block).split(b"\n", 1)[0]
                    column = _column_at(first + b"\n" + prefix, len(first) + 1 + len(prefix)) if row > 1 else None
                    bad = block[at] if 0 <= at < len(block) else 0
                    return _problem(
                        scan.file, row, column, "encoding: utf-8",
                        f"byte 0x{bad:02x} at offset {offset + at} is not valid UTF-8; "
                        "the file looks like it was saved in another encoding (GBK/GB18030 or similar)",
                        name, hint="Re-save that file as UTF-8 (without changing any values).")
            if final:
                break
            newline = block.rfind(b"\n")
            if not header and (newline >= 0 or tail):
                header = (tail + block).split(b"\n", 1)[0] if newline >= 0 else b""
            if newline >= 0:
                tail = block[newline + 1:]
                # row structure: delimiters and record ends outside quotes, on whole lines
                whole = pending + block[:newline + 1]
                parity, newlines = _count_structure(scan, whole, parity)
                lines += newlines
                pending = block[newline + 1:]
                end = offset + newline + 1
                if parity == 0 and end - segment_start >= SEGMENT_BYTES:
                    scan.segments.append((segment_start, end, segment_record))
                    segment_start, segment_record = end, scan.records
            else:
                tail += block
                pending += block
            offset += len(block)
    scan.digest = h.hexdigest()
    if not content:
        return _problem(scan.file, None, None, "non-empty file with a header row", "the file is empty", name,
                        hint="Restore the header and data rows in that file.")
    if pending.strip(b"\r\n"):
        parity, _ = _count_structure(scan, pending + b"\n", parity)
    if offset > segment_start:
        scan.segments.append((segment_start, offset, segment_record))
    scan.regular = parity == 0 and scan.delimiters == (ncols - 1) * scan.records
    return None


def _count_structure(scan: _Scan, chunk: bytes, parity: int) -> tuple[int, int]:
    """Count delimiters and record ends outside quotes in whole lines.

    Returns the quote parity at the end of the chunk and the chunk's number of line ends.
    """
    import numpy as np

    a = np.frombuffer(chunk, dtype=np.uint8)
    newline = a == 10
    newlines = int(np.count_nonzero(newline))
    if parity == 0 and b'"' not in chunk:
        scan.delimiters += int(np.count_nonzero(a == 44))  # ','
        scan.records += newlines
        return 0, newlines
    inside = (np.cumsum(a == 34, dtype=np.uint8) + parity) & 1   # 34 is '"'; uint8 keeps parity
    outside = inside == 0
    scan.delimiters += int(np.count_nonzero((a == 44) & outside))
    scan.records += int(np.count_nonzero(newline & outside))
    return (int(inside[-1]) if len(inside) else parity), newlines


# --------------------------------------------------------------------------
# Checking the rows
# --------------------------------------------------------------------------


_FAST_FIELD_KEYS = {"name", "type", "description", "unit", "constraints", "title", "example"}
_FAST_CONSTRAINTS = {"required", "minimum", "maximum", "enum", "pattern", "unique", "minLength", "maxLength"}


def _streamable(res: dict, scans: list[_Scan]) -> bool:
    """Whether the streaming checker covers this resource (else frictionless checks it)."""
    schema = res.get("schema", {})
    if len(scans) != 1 or not scans[0].regular:
        return False
    if (res.get("format") or "csv") != "csv" or res.get("dialect") or set(schema) - {"fields", "primaryKey", "missingValues"}:
        return False
    for f in schema.get("fields", []):
        if f.get("type", "string") not in ("string", "integer", "number") or set(f) - _FAST_FIELD_KEYS:
            return False
        if set(f.get("constraints", {})) - _FAST_CONSTRAINTS:
            return False
    return True


def _validate_rows(root: pathlib.Path, res: dict, scans: list[_Scan]) -> tuple[list[Problem], bool]:
    if _streamable(res, scans):
        return _stream_check(res, scans[0])
    return _frictionless_check(root, res)


def _frictionless_check(root: pathlib.Path, res: dict) -> tuple[list[Problem], bool]:
    import frictionless

    name = res["name"]
    descriptor = {k: v for k, v in res.items() if k not in ("rules", "vintage_note", "sources")}
    descriptor["path"] = _paths(res)[0] if len(_paths(res)) == 1 else _paths(res)
    file = _rel(root, root / "data" / _paths(res)[0])
    checklist = frictionless.Checklist(checks=_make_checks(res) + [_hygiene_check(res)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            resource = frictionless.Resource(descriptor, basepath=str(root / "data"))
            report = resource.validate(checklist, limit_errors=ERROR_LIMIT)
        except frictionless.FrictionlessException as exc:
            err = exc.error
            return [
                _problem(file, None, None, _RULE_NAMES.get(err.type, err.type), err.note or str(exc), name,
                         hint=f"Check that file and resource {name!r} in {PACKAGE_RELPATH.as_posix()}.")
            ], False
    problems = _problems_from_report(root, res, report, file)
    truncated = any(getattr(t, "partial", False) for t in report.tasks) or len(problems) >= ERROR_LIMIT
    return problems, truncated


_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*", re.ASCII)
_NOT_FINITE = re.compile(r"\s*[+-]?(?:nan|inf|infinity)\s*", re.I)
_DATE_SHAPE = re.compile(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?", re.ASCII)


def _number_problem(text: str, kind: str) -> tuple[str, str] | None:
    """(rule, detail) for a numeric cell's text, or None when it is a valid ``kind``."""
    pattern = _INTEGER_TEXT if kind == "integer" else _NUMBER_TEXT
    if pattern.fullmatch(text):
        if kind == "number" and not math.isfinite(float(text)):
            return "finite number", "the value is too large to be a finite number"
        return None
    if _NOT_FINITE.fullmatch(text):
        return "finite number", "infinite and not-a-number values cannot be computed with"
    if not text.isascii() and pattern.fullmatch(unicodedata.normalize("NFKC", text)):
        return "ASCII digits", "write numbers with the digits 0-9 (this cell uses other digits, e.g. full-width ones)"
    return f"type: {kind}", f"not a valid {kind}"


def _is_date_field(f: dict) -> bool:
    """A text field holding dates: named so, or with a pattern that describes a date."""
    pattern = f.get("constraints", {}).get("pattern", "")
    return f.get("type", "string") == "string" and (
        "date" in f["name"].lower() or bool(re.fullmatch(r"[^ ]*(\\d\{4\}|\[0-9\]\{4\})-[^ ]*", pattern)))


def _date_problem(text: str) -> str | None:
    """Why a date-shaped text is not a real calendar day (or month), or None."""
    m = _DATE_SHAPE.fullmatch(text)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    if not 1 <= month <= 12:
        return f"there is no month {month:02d}"
    if day is not None:
        try:
            datetime.date(year, month, int(day))
        except ValueError:
            return f"there is no day {day} in {year}-{month:02d}"
    return None


def _hygiene_check(res: dict):
    """The checks beyond Table Schema, as a frictionless check (for the row-by-row path)."""
    import attrs
    import frictionless

    RuleError = _check_classes()["_error"]
    fields = res.get("schema", {}).get("fields", [])

    @attrs.define(kw_only=True, repr=False)
    class cell_hygiene(frictionless.Check):
        type = "cell-hygiene"
        Errors = [RuleError]

        def validate_row(self, row):
            cells = getattr(row, "cells", None) or []
            for i, f in enumerate(fields):
                raw = cells[i] if i < len(cells) else None
                if not isinstance(raw, str) or not raw.strip():
                    continue
                kind = f.get("type", "string")
                found = None
                if kind in ("integer", "number"):
                    found = _number_problem(raw, kind)
                    if found and found[0].startswith("type:"):
                        found = None  # frictionless reports type errors itself
                elif kind == "string" and _is_date_field(f):
                    why = _date_problem(raw)
                    found = ("real date", why) if why else None
                if found:
                    err = RuleError.from_row(row, note=found[1], field_name=f["name"])
                    err.rule = found[0]
                    yield err

    return cell_hygiene()


class _Collector:
    """Problems of one file, in row order, up to the limit."""

    def __init__(self, res: dict, file: str):
        self.res, self.file, self.name = res, file, res["name"]
        self.items: list[tuple[int, int, Problem]] = []
        self.order = {f["name"]: i for i, f in enumerate(res["schema"]["fields"])}

    def add(self, row: int | None, column: str | None, rule: str, detail: str, cell=None, hint=None) -> None:
        problem = _problem(self.file, row, column, rule, detail, self.name, cell=cell, hint=hint)
        self.items.append((row or 0, self.order.get(column, len(self.order)), problem))

    def full(self) -> bool:
        return len(self.items) >= ERROR_LIMIT

    def result(self) -> tuple[list[Problem], bool]:
        self.items.sort(key=lambda t: (t[0], t[1]))
        truncated = len(self.items) >= ERROR_LIMIT
        return [p for _, _, p in self.items[:ERROR_LIMIT]], truncated


def _stream_check(res: dict, scan: _Scan) -> tuple[list[Problem], bool]:
    """Check a regular CSV in chunks, column by column (pandas' C parser; numpy)."""
    import numpy as np

    schema = res["schema"]
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    out = _Collector(res, scan.file)
    with open(scan.path, encoding="utf-8", newline="") as fh:
        labels = next(csv.reader(fh), [])
    if labels != names:
        return _header_problems(None, res, scan.file, labels), False
    missing = list(schema.get("missingValues", [""]))
    kinds = {f["name"]: f.get("type", "string") for f in fields}
    dtypes = {n: str for n, k in kinds.items() if k == "string"}
    pk = schema.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else list(pk)
    unique_fields = [f["name"] for f in fields if f.get("constraints", {}).get("unique")]
    kept: dict[str, list] = {n: [] for n in dict.fromkeys(pk + unique_fields)}
    rules = res.get("rules", [])
    min_rows = max([r.get("minimum", 1) for r in rules if r.get("type") == "min-rows"], default=None)
    nrows = 0
    with open(scan.path, "rb") as fh:
        for begin, stop, first_record in scan.segments:
            fh.seek(begin)
            piece = fh.read(stop - begin)
            options = dict(header=0) if first_record == 0 else dict(header=None, names=names)
            # one list of missing values for every column: a per-column mapping is much slower
            options.update(keep_default_na=False, na_values=missing,
                           skip_blank_lines=False, encoding="utf-8", low_memory=False)
            chunk = pd.read_csv(io.BytesIO(piece), dtype=dtypes, **options)
            first_row = nrows + 2   # the header is row 1
            nrows += len(chunk)
            values = {}
            for f in fields:
                col = chunk[f["name"]]
                if f.get("type") == "integer" and col.dtype.kind not in "iu":
                    # blanks or other text: read this piece's column again, as text, to check each cell
                    col = pd.read_csv(io.BytesIO(piece), usecols=[f["name"]], dtype=str, **options)[f["name"]]
                values[f["name"]] = _check_column(col, f, first_row, out)
            _check_rules(chunk, values, res, first_row, out)
            for n in kept:
                kept[n].append(values[n])
            if out.full():
                return out.result()
    _check_keys(kept, pk, unique_fields, nrows, out)
    if min_rows is not None and nrows < min_rows:
        out.add(None, None, "at least one data row" if min_rows == 1 else f"at least {min_rows} data rows",
                f"the number of rows is {nrows}, the minimum is {min_rows}",
                hint="Restore the data rows in that file.")
    return out.result()


def _check_column(col: "pd.Series", f: dict, first_row: int, out: _Collector) -> "pd.Series":
    """Check one column of a chunk; return its typed values (NaN where blank or invalid)."""
    import numpy as np

    name, kind = f["name"], f.get("type", "string")
    cons = f.get("constraints", {})
    blank = col.isna().to_numpy()
    rows = np.arange(first_row, first_row + len(col))
    if cons.get("required") and blank.any():
        for r in rows[blank][:ERROR_LIMIT]:
            out.add(int(r), name, "required", "the cell is empty")
    invalid = np.zeros(len(col), dtype=bool)
    if kind == "string":
        values = col
        present = col[~blank]
        dated = _is_date_field(f)
        if "enum" in cons and len(present):
            if present.isin(cons["enum"]).all():
                cons = {k: v for k, v in cons.items() if k != "enum"}  # all allowed: nothing to name
        if len(present) and (dated or set(cons) & {"enum", "pattern", "minLength", "maxLength"}):
            codes, uniques = pd.factorize(present)
            bad = np.zeros(len(uniques), dtype=bool)
            reasons: dict[int, tuple[str, str]] = {}
            pattern = re.compile(cons["pattern"], re.ASCII) if "pattern" in cons else None
            enum = set(cons["enum"]) if "enum" in cons else None
            for i, text in enumerate(uniques.tolist()):
                why = None
                if enum is not None and text not in enum:
                    why = ("enum: " + ", ".join(map(str, cons["enum"])), "")
                elif pattern is not None and not pattern.fullmatch(text):
                    why = (f"pattern: {cons['pattern']}", "")
                elif "minLength" in cons and len(text) < cons["minLength"]:
                    why = (f"minLength: {cons['minLength']}", "")
                elif "maxLength" in cons and len(text) > cons["maxLength"]:
                    why = (f"maxLength: {cons['maxLength']}", "")
                elif dated:
                    date = _date_problem(text)
                    if date:
                        why = ("real date", date)
                if why:
                    bad[i] = True
                    reasons[i] = why
            if bad.any():
                hit = bad[codes]
                for r, code, text in zip(rows[~blank][hit], codes[hit], present.to_numpy()[hit]):
                    rule, detail = reasons[int(code)]
                    out.add(int(r), name, rule, detail, cell=text)
        return values
    # numbers and integers
    if kind == "number" and col.dtype.kind in "fi":
        values = col.astype("float64")
    else:
        values = pd.Series(np.full(len(col), np.nan), index=col.index)
        present = col[~blank]
        if len(present):
            codes, uniques = pd.factorize(present)
            parsed = np.full(len(uniques), np.nan)
            reasons = {}
            for i, text in enumerate(uniques.tolist()):
                text = str(text)
                why = _number_problem(text, kind)
                if why:
                    reasons[i] = why
                else:
                    parsed[i] = float(text) if kind == "number" else float(int(text))
            values[~blank] = parsed[codes]
            if reasons:
                hit = np.isin(codes, list(reasons))
                invalid[~blank] = hit
                for r, code, text in zip(rows[~blank][hit], codes[hit], present.to_numpy()[hit]):
                    rule, detail = reasons[int(code)]
                    out.add(int(r), name, rule, detail, cell=str(text))
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    if kind == "number":
        inf = np.isinf(v)
        if inf.any():
            for r, x in zip(rows[inf], _shown(col, v, inf)):
                out.add(int(r), name, "finite number", "infinite and not-a-number values cannot be computed with",
                        cell=x)
            invalid |= inf
            v = np.where(inf, np.nan, v)
            values = pd.Series(v, index=col.index)
    ok = ~np.isnan(v)
    for key, test in (("minimum", lambda lim: v < lim), ("maximum", lambda lim: v > lim),
                      ("exclusiveMinimum", lambda lim: v <= lim), ("exclusiveMaximum", lambda lim: v >= lim)):
        if key in cons:
            broken = ok & test(float(cons[key]))
            for r, x in zip(rows[broken], _shown(col, v, broken)):
                out.add(int(r), name, f"{key}: {cons[key]}", "", cell=x)
    if "enum" in cons:
        allowed = np.array([float(e) for e in cons["enum"]])
        broken = ok & ~np.isin(v, allowed)
        for r, x in zip(rows[broken], _shown(col, v, broken)):
            out.add(int(r), name, "enum: " + ", ".join(map(str, cons["enum"])), "", cell=x)
    return values


def _check_rules(chunk, values: dict, res: dict, first_row: int, out: _Collector) -> None:
    """The package's own rules (``rules`` in the resource), vectorised."""
    import numpy as np

    rows = np.arange(first_row, first_row + len(chunk))
    for rule in res.get("rules", []):
        t = rule.get("type")
        if t == "unit-by-indicator":
            ind, unit = chunk[rule["indicatorField"]], chunk[rule["unitField"]]
            units = rule["units"]
            pairs = pd.DataFrame({"i": ind, "u": unit}).drop_duplicates()
            for i, u in zip(pairs["i"], pairs["u"]):
                expected = units.get(i) if isinstance(i, str) else None
                if expected is None or not isinstance(u, str):
                    continue
                allowed = [expected] if isinstance(expected, str) else list(expected)
                if u in allowed:
                    continue
                shown = " | ".join(allowed)
                hit = ((ind == i) & (unit == u)).to_numpy()
                for r in rows[hit]:
                    out.add(int(r), rule["unitField"], f"unit-by-indicator: {i} -> {shown}",
                            f'indicator "{i}" must have unit "{shown}", found "{u}"', cell=u)
        elif t == "percent-range":
            unit = chunk[rule["unitField"]]
            v = values[rule["valueField"]].to_numpy(dtype="float64", na_value=np.nan)
            prefix = rule.get("unitPrefix", "%")
            lo, hi = rule.get("minimum", 0), rule.get("maximum", 100)
            is_pct = unit.map(lambda u: isinstance(u, str) and u.startswith(prefix)).to_numpy(dtype=bool)
            broken = is_pct & ~np.isnan(v) & ((v < lo) | (v > hi))
            for r, u, x in zip(rows[broken], unit.to_numpy()[broken], v[broken]):
                out.add(int(r), rule["valueField"], f"percent-range: {lo}..{hi} when unit starts with {prefix!r}",
                        f"a percentage (unit {u!r}) must lie between {lo} and {hi}", cell=_plain(x))
        elif t == "in-list":
            allowed = _list_values(rule)
            col = chunk[rule["field"]]
            for value in pd.unique(col.dropna()):
                if value not in allowed:
                    for r in rows[(col == value).to_numpy()]:
                        out.add(int(r), rule["field"], f"in-list: {rule['list']}", _in_list_note(value, rule),
                                cell=value)
        elif t == "source-key-listed":
            field = rule.get("field", "source_key")
            keys = [s["bibkey"] for s in res.get("sources", []) if s.get("bibkey")]
            if rule.get("allowResourceNames"):
                keys += resource_names()
            keys = set(keys)
            sep = rule.get("separator", "")
            col = chunk[field]
            for value in pd.unique(col.dropna()):
                items = [v.strip() for v in value.split(sep)] if sep else [value]
                for item in items:
                    if item and item not in keys:
                        for r in rows[(col == value).to_numpy()]:
                            out.add(int(r), field, "source-key-listed",
                                    f"source key {item!r} is not a bibkey listed in this resource's sources"
                                    + (" nor a resource name" if sep else ""), cell=value)


def _shown(col: "pd.Series", v, mask) -> list[str]:
    """The cells to quote in messages: the text when the column was read as text, else the number."""
    if col.dtype.kind in "fiu":
        return [_plain(x) for x in v[mask]]
    return [str(x) for x in col.to_numpy()[mask]]


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _check_keys(kept: dict[str, list], pk: list[str], unique_fields: list[str], nrows: int, out: _Collector) -> None:
    """Primary key and unique constraints over the whole file (only the key columns were kept)."""
    import numpy as np

    if not kept or not nrows:
        return
    table = pd.DataFrame({n: pd.concat(parts, ignore_index=True) for n, parts in kept.items()})
    checks = ([(pk, f"primary key: {'+'.join(pk)}")] if pk else []) + [([u], "unique") for u in unique_fields]
    for cols, rule in checks:
        keys = table[cols]
        if rule == "unique":
            keys = keys[keys[cols[0]].notna()]
        dup = keys.duplicated(keep=False).to_numpy()
        if not dup.any():
            continue
        sub = keys[dup]
        groups = sub.groupby(cols, sort=False, dropna=False).ngroup().to_numpy()
        positions = sub.index.to_numpy()
        first: dict[int, int] = {}
        for g, pos in zip(groups, positions):
            if g not in first:
                first[int(g)] = int(pos)
                continue
            row, origin = int(pos) + 2, first[int(g)] + 2
            if rule == "unique":
                out.add(row, cols[0], "unique", f"the value repeats row {origin}", cell=str(sub.loc[pos, cols[0]]))
            else:
                joined = "+".join(cols)
                out.add(row, cols[0] if len(cols) == 1 else joined, rule,
                        f"the key ({joined}) repeats an earlier row (row {origin})")


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def _check_declared(name: str) -> None:
    declared = os.environ.get(_ENV_DECLARED)
    if declared is None:
        return
    names = {n.strip() for n in declared.split(",") if n.strip()}
    if name not in names:
        raise UndeclaredResourceError(
            f"This notebook loads data resource {name!r} but does not declare it. "
            f"Add {name!r} to the `reads:` list of the notebook's parameter declaration "
            f"(declared now: {', '.join(sorted(names)) or 'none'}), so the build cache "
            f"knows the notebook depends on {', '.join(p.as_posix() for p in _paths_rel(name))}."
        )


def _paths_rel(name: str) -> list[pathlib.PurePosixPath]:
    return [pathlib.PurePosixPath("data") / p for p in _paths(_resource_desc(name))]


_LOAD_CACHE: dict[tuple, pd.DataFrame] = {}


def _cache_key(name: str) -> tuple:
    files = resource_files(name)
    return (name,) + tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists())


def load(name: str) -> pd.DataFrame:
    """Validate resource ``name`` against the data package and return it as a typed DataFrame.

    Column types follow the schema: ``integer`` -> ``int64`` (``Int64`` if the
    column may be blank), ``number`` -> ``float64``, ``boolean`` -> ``boolean``,
    ``date`` -> ``datetime64``, ``string`` -> ``str``. Blank cells are missing
    values (NaN/NA). Units and sources are in ``resource_meta(name)`` and in
    ``df.attrs`` (keys ``units``, ``bibkeys``, ``resource``).
    """
    _check_declared(name)
    key = _cache_key(name)
    cached = _LOAD_CACHE.get(key)
    if cached is not None:
        return cached.copy()
    validate(name)
    root, _ = _descriptor()
    res = _resource_desc(name)
    frames = [_read_typed(root / "data" / p, res) for p in _paths(res)]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    meta = resource_meta(name)
    df.attrs.update({"resource": name, "units": meta["units"], "bibkeys": meta["bibkeys"]})
    _LOAD_CACHE[key] = df
    return df.copy()


def _read_typed(path: pathlib.Path, res: dict) -> pd.DataFrame:
    """Read a validated CSV with each column parsed once, to its type (not as text first).

    Strings, integers and numbers are parsed by pandas' C parser directly; other types
    (boolean, date, year) are read as text and converted by :func:`_apply_types`.
    """
    fields = res.get("schema", {}).get("fields", [])
    missing = list(res.get("schema", {}).get("missingValues", [""]))
    direct = {"string": str, "integer": "Int64", "number": "float64"}
    dtypes = {f["name"]: direct.get(f.get("type", "string"), str) for f in fields}
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={n: missing for n in dtypes},
                     encoding="utf-8")
    other = [f for f in fields if f.get("type", "string") not in direct]
    if other:
        raw = {"schema": {**res.get("schema", {}), "fields": other}}
        text = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8",
                           usecols=[f["name"] for f in other])
        typed = _apply_types(text, raw)
        for f in other:
            df[f["name"]] = typed[f["name"]]
    for f in fields:
        col = df[f["name"]]
        if f.get("type") == "integer" and f.get("constraints", {}).get("required") and not col.isna().any():
            df[f["name"]] = col.astype("int64")
    return df


def _apply_types(df: pd.DataFrame, res: dict) -> pd.DataFrame:
    fields = res.get("schema", {}).get("fields", [])
    missing = set(res.get("schema", {}).get("missingValues", [""]))
    out = {}
    for f in fields:
        col = df[f["name"]]
        blank = col.isin(missing)
        t = f.get("type", "string")
        if t == "integer":
            vals = pd.to_numeric(col.where(~blank), errors="raise")
            out[f["name"]] = vals.astype("Int64") if blank.any() or not f.get("constraints", {}).get("required") else vals.astype("int64")
        elif t == "number":
            out[f["name"]] = pd.to_numeric(col.where(~blank), errors="raise").astype("float64")
        elif t == "boolean":
            tv = {"true", "True", "TRUE", "1"}
            s = col.map(lambda v: pd.NA if v in missing else (v in tv))
            out[f["name"]] = s.astype("boolean")
        elif t in ("date", "datetime"):
            out[f["name"]] = pd.to_datetime(col.where(~blank))
        elif t == "year":
            out[f["name"]] = pd.to_numeric(col.where(~blank)).astype("Int64")
        else:
            out[f["name"]] = col.where(~blank).astype("str") if not blank.any() else col.where(~blank)
    return pd.DataFrame(out, index=df.index)
