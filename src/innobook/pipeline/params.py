"""Parameter declarations for the book's notebooks, and their validation.

Each notebook ``notebooks/<name>.ipynb`` has a declaration beside it,
``notebooks/<name>.params.yml``, that is the one place where its parameters are
described: name, type, allowed values or range, default and a one-line meaning,
plus the data resources the notebook reads. ``notebooks/runs.yml`` lists the
parameter sets each chapter runs (a notebook may run several times, for example
once per city).

papermill itself accepts any parameter name and value and only logs a warning,
so every parameter set is checked here, before a kernel starts. A bad set raises
:class:`ParameterError`, whose message names the notebook, the parameter, the
bad value and what is allowed; the command line turns it into exit code 2.
"""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TYPES = ("int", "float", "str", "bool", "list[str]", "list[int]")
RUN_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class ParameterError(ValueError):
    """A parameter set, or a parameter declaration, is not acceptable."""


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter."""

    name: str
    type: str
    default: Any
    help: str
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages and docs."""
        if self.type.startswith("list["):
            inner = self.type[5:-1]
            if self.choices:
                return f"a list of {inner} drawn from {', '.join(map(str, self.choices))}"
            return f"a list of {inner}"
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.min is not None or self.max is not None:
            lo = "-inf" if self.min is None else _fmt(self.min)
            hi = "inf" if self.max is None else _fmt(self.max)
            return f"{'an integer' if self.type == 'int' else 'a number'} from {lo} to {hi}"
        return {"int": "an integer", "float": "a number", "str": "a string",
                "bool": "true or false"}[self.type]


@dataclass(frozen=True)
class Check:
    """A rule that ties several parameters together, e.g. ``start_year <= end_year``."""

    rule: str
    message: str


@dataclass(frozen=True)
class NotebookSpec:
    """What a notebook declares: its parameters and the data it reads."""

    name: str
    path: Path
    title: str
    reads: tuple[str, ...]
    parameters: dict[str, ParamSpec]
    checks: tuple[Check, ...] = ()

    @property
    def label(self) -> str:
        return f"notebooks/{self.path.name}"

    def defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.parameters.items()}


@dataclass(frozen=True)
class Run:
    """One execution of a notebook with a full, validated parameter set."""

    run_id: str
    notebook: NotebookSpec
    parameters: dict[str, Any] = field(default_factory=dict)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# --------------------------------------------------------------------------- declarations
def load_declaration(path: Path) -> NotebookSpec:
    """Read ``notebooks/<name>.params.yml`` and check that it is well formed."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    name = path.name.removesuffix(".params.yml")
    where = f"notebooks/{path.name}"
    notebook = path.with_name(name + ".ipynb")
    if not notebook.exists():
        raise ParameterError(f"{where}: no notebook {notebook.name} beside it")
    params: dict[str, ParamSpec] = {}
    for pname, p in (raw.get("parameters") or {}).items():
        if not isinstance(p, dict) or "type" not in p or "default" not in p or "help" not in p:
            raise ParameterError(f"{where}: parameter {pname!r} needs type, default and help")
        if p["type"] not in TYPES:
            raise ParameterError(f"{where}: parameter {pname!r} has unknown type {p['type']!r}; "
                                 f"use one of {', '.join(TYPES)}")
        spec = ParamSpec(
            name=pname, type=p["type"], default=p["default"], help=p["help"],
            choices=tuple(p["choices"]) if p.get("choices") is not None else None,
            min=p.get("min"), max=p.get("max"),
        )
        # The default itself must be valid.
        _check_value(spec, spec.default, f"{where} (default)")
        params[pname] = spec
    checks = tuple(Check(c["rule"], c["message"]) for c in raw.get("checks") or [])
    return NotebookSpec(
        name=name, path=notebook, title=raw.get("title", name),
        reads=tuple(raw.get("reads") or ()), parameters=params, checks=checks,
    )


def load_declarations(root: Path) -> dict[str, NotebookSpec]:
    """All notebook declarations under ``root/notebooks``, by notebook name."""
    specs = {}
    for path in sorted((root / "notebooks").glob("*.params.yml")):
        spec = load_declaration(path)
        specs[spec.name] = spec
    return specs


def load_runs(root: Path, specs: dict[str, NotebookSpec] | None = None) -> list[Run]:
    """Read ``notebooks/runs.yml`` and validate every parameter set in it.

    Raises :class:`ParameterError` on the first bad set; nothing is executed.
    """
    specs = specs if specs is not None else load_declarations(root)
    raw = yaml.safe_load((root / "notebooks" / "runs.yml").read_text(encoding="utf-8")) or {}
    runs, seen = [], set()
    for i, entry in enumerate(raw.get("runs") or [], start=1):
        nb = entry.get("notebook")
        if nb not in specs:
            raise ParameterError(f"notebooks/runs.yml, run {i}: unknown notebook {nb!r}; "
                                 f"declared notebooks: {', '.join(sorted(specs))}")
        run_id = entry.get("id", nb)
        if not RUN_ID.match(run_id) or run_id in seen:
            raise ParameterError(f"notebooks/runs.yml, run {i}: id {run_id!r} must be unique "
                                 "and made of lower-case letters, digits and underscores")
        seen.add(run_id)
        params = validate(specs[nb], entry.get("parameters") or {})
        runs.append(Run(run_id=run_id, notebook=specs[nb], parameters=params))
    return runs


# --------------------------------------------------------------------------- validation
def validate(spec: NotebookSpec, given: dict[str, Any]) -> dict[str, Any]:
    """Check a parameter set against a notebook's declaration.

    Returns the full set (defaults filled in). Raises :class:`ParameterError`
    naming the notebook, the parameter, the bad value and what is allowed.
    """
    unknown = sorted(set(given) - set(spec.parameters))
    if unknown:
        raise ParameterError(
            f"{spec.label}: unknown parameter {unknown[0]!r}; allowed parameters: "
            + ", ".join(f"{n} ({p.allowed()})" for n, p in spec.parameters.items()))
    full = spec.defaults()
    for name, value in given.items():
        full[name] = _check_value(spec.parameters[name], value, spec.label)
    for check in spec.checks:
        if not _eval_rule(check.rule, full):
            shown = ", ".join(f"{n}={full[n]!r}" for n in _names_in(check.rule))
            raise ParameterError(f"{spec.label}: {check.message} (rule {check.rule!r}; got {shown})")
    return full


def _check_value(p: ParamSpec, value: Any, label: str) -> Any:
    def bad(why: str) -> ParameterError:
        return ParameterError(f"{label}: parameter {p.name!r} = {value!r} {why}; "
                              f"allowed: {p.allowed()}")

    if p.type.startswith("list["):
        if not isinstance(value, (list, tuple)):
            raise bad(f"has type {type(value).__name__}, expected a list")
        inner = p.type[5:-1]
        items = [_scalar(inner, v, bad) for v in value]
        if p.choices:
            wrong = [v for v in items if v not in p.choices]
            if wrong:
                raise bad(f"contains {wrong[0]!r}, which is not allowed")
        if len(set(items)) != len(items):
            raise bad("repeats an item")
        return items
    v = _scalar(p.type, value, bad)
    if p.choices is not None and v not in p.choices:
        raise bad("is not an allowed value")
    if p.min is not None and v < p.min:
        raise bad("is below the minimum")
    if p.max is not None and v > p.max:
        raise bad("is above the maximum")
    return v


def _scalar(kind: str, value: Any, bad) -> Any:
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"has type {type(value).__name__}, expected int")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad(f"has type {type(value).__name__}, expected float")
        return float(value)
    if kind == "str":
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()  # an unquoted date in runs.yml
        if not isinstance(value, str):
            raise bad(f"has type {type(value).__name__}, expected str")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad(f"has type {type(value).__name__}, expected bool")
        return value
    raise AssertionError(kind)


_ALLOWED_NODES = (ast.Expression, ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.Name, ast.Load,
                  ast.Constant, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.In,
                  ast.NotIn, ast.UnaryOp, ast.Not, ast.Call, ast.BinOp, ast.Sub, ast.Add)


def _names_in(rule: str) -> list[str]:
    return sorted({n.id for n in ast.walk(ast.parse(rule, mode="eval")) if isinstance(n, ast.Name)
                   and n.id != "len"})


def _eval_rule(rule: str, params: dict[str, Any]) -> bool:
    """Evaluate a small comparison such as ``start_year <= end_year`` safely."""
    tree = ast.parse(rule, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ParameterError(f"rule {rule!r} uses an unsupported expression")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id == "len"):
            raise ParameterError(f"rule {rule!r}: only len() may be called")
    return bool(eval(compile(tree, "<rule>", "eval"), {"__builtins__": {}, "len": len}, dict(params)))


def parse_cli_value(text: str) -> Any:
    """Turn a ``-p name value`` string into a Python value the way YAML would.

    ``2016`` becomes an int, ``true`` a bool, ``[a, b]`` a list, anything else a string.
    """
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    # YAML reads 2024-10-08 as a date; parameters are plain values, so keep the text.
    return text if isinstance(value, (datetime.date, datetime.datetime)) else value
