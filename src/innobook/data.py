"""Validated access to the book's data package (``data/datapackage.json``).

Public API::

    load(name) -> pandas.DataFrame      # validated, typed
    validate_all() -> None              # raises DataValidationError
    resource_names() -> list[str]
    resource_files(name) -> list[pathlib.Path]
    resource_meta(name) -> dict
    DataValidationError                 # .problems: list[Problem]

Validation is done by the ``frictionless`` library against the schema in the
data package. Rules that Table Schema cannot express (a unit tied to each
indicator, percentages capped at 100 for rows whose unit is a percentage, a
minimum number of rows, a source key that must be listed in the resource's
``sources``) are declared per resource under ``rules`` in the data package and
run as frictionless checks, so every problem is reported the same way: file,
row, column, rule.

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

import csv
import io
import json
import numbers
import os
import pathlib
import warnings
from dataclasses import dataclass
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

    def __init__(self, problems: Iterable[Problem], header: str | None = None):
        self.problems: list[Problem] = list(problems)
        n = len(self.problems)
        lines = [header or f"{n} data validation problem{'s' if n != 1 else ''}:"]
        shown = self.problems[:20]
        lines += [f"- {p.message}" for p in shown]
        if n > len(shown):
            lines.append(f"- ... and {n - len(shown)} more")
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
        _DESCRIPTOR_CACHE.clear()
        _DESCRIPTOR_CACHE[key] = desc
    return root, desc


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


def _precheck_bytes(root: pathlib.Path, res: dict) -> list[Problem]:
    """Checks that must run before frictionless can parse the file at all."""
    problems: list[Problem] = []
    name = res["name"]
    encoding = (res.get("encoding") or "utf-8").lower()
    for rel in _paths(res):
        path = root / "data" / rel
        file = _rel(root, path)
        if not path.is_file():
            problems.append(
                _problem(file, None, None, "file exists", "the data package lists this path but there is no such file", name,
                         hint=f"Restore the file, or correct the path of resource {name!r} in {PACKAGE_RELPATH.as_posix()}.")
            )
            continue
        data = path.read_bytes()
        if not data.strip():
            problems.append(
                _problem(file, None, None, "non-empty file with a header row", "the file is empty", name,
                         hint="Restore the header and data rows in that file.")
            )
            continue
        if encoding in ("utf-8", "utf8"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                row = data[: exc.start].count(b"\n") + 1
                column = _column_at(data, exc.start)
                problems.append(
                    _problem(
                        file, row, column, "encoding: utf-8",
                        f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8; "
                        "the file looks like it was saved in another encoding (GBK/GB18030 or similar)",
                        name,
                        hint="Re-save that file as UTF-8 (without changing any values).",
                    )
                )
    return problems


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

    _CHECK_CLASSES = {
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
        else:
            raise ValueError(f"Unknown rule type {t!r} in resource {res.get('name')!r} of {PACKAGE_RELPATH.as_posix()}")
    return out


def validate(name: str) -> None:
    """Validate one resource; raise :class:`DataValidationError` on problems."""
    problems = _validate(name)
    if problems:
        raise DataValidationError(problems, header=f"Resource {name!r} does not match {PACKAGE_RELPATH.as_posix()}:")


def _validate(name: str) -> list[Problem]:
    root, _ = _descriptor()
    res = _resource_desc(name)
    problems = _precheck_bytes(root, res)
    if problems:
        return problems
    import frictionless

    descriptor = {k: v for k, v in res.items() if k not in ("rules", "vintage_note", "sources")}
    descriptor["path"] = _paths(res)[0] if len(_paths(res)) == 1 else _paths(res)
    file = _rel(root, root / "data" / _paths(res)[0])
    checklist = frictionless.Checklist(checks=_make_checks(res))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            resource = frictionless.Resource(descriptor, basepath=str(root / "data"))
            report = resource.validate(checklist, limit_errors=200)
        except frictionless.FrictionlessException as exc:
            err = exc.error
            return [
                _problem(file, None, None, _RULE_NAMES.get(err.type, err.type), err.note or str(exc), name,
                         hint=f"Check that file and resource {name!r} in {PACKAGE_RELPATH.as_posix()}.")
            ]
    return _problems_from_report(root, res, report, file)


def validate_all() -> None:
    """Validate every resource; raise :class:`DataValidationError` listing all problems."""
    problems: list[Problem] = []
    for name in resource_names():
        problems += _validate(name)
    if problems:
        raise DataValidationError(problems)


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
    frames = [
        pd.read_csv(root / "data" / p, dtype=str, keep_default_na=False, encoding="utf-8")
        for p in _paths(res)
    ]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = _apply_types(df, res)
    meta = resource_meta(name)
    df.attrs.update({"resource": name, "units": meta["units"], "bibkeys": meta["bibkeys"]})
    _LOAD_CACHE[key] = df
    return df.copy()


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
