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

A malformed file (not YAML, or YAML of the wrong shape) is answered the same way: one
line naming the file, what is wrong and what to do.

A declaration may set ``timeout``: the most seconds one run of the notebook may take once
its kernel is ready (default :data:`DEFAULT_TIMEOUT`). A run that reaches it is stopped.
"""

from __future__ import annotations

import ast
import datetime
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TYPES = ("int", "float", "str", "bool", "list[str]", "list[int]")
RUN_ID = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_TIMEOUT = 900.0           # seconds one run may take once its kernel is ready (15 minutes)
MAX_TIMEOUT = 24 * 3600.0
DECLARATION_KEYS = ("title", "reads", "parameters", "checks", "timeout")
PARAMETER_KEYS = ("type", "default", "help", "choices", "min", "max")
RUN_KEYS = ("notebook", "id", "parameters")


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
    timeout: float = DEFAULT_TIMEOUT

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
def _read_yaml(path: Path, where: str) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"{where}: file not found; restore it (see CONTRIBUTING.md)") from None
    except UnicodeDecodeError:
        raise ParameterError(f"{where}: not UTF-8 text; re-save it as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ParameterError(f"{where}{line}: not valid YAML ({problem}); "
                             "fix the indentation or quoting there") from None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_declaration(path: Path) -> NotebookSpec:
    """Read ``notebooks/<name>.params.yml`` and check that it is well formed."""
    name = path.name.removesuffix(".params.yml")
    where = f"notebooks/{path.name}"
    raw = _read_yaml(path, where)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: expected a mapping with keys {', '.join(DECLARATION_KEYS)}, "
                             f"found {_kind(raw)}; see CONTRIBUTING.md, 'Adding a chapter'")
    unknown = [k for k in raw if k not in DECLARATION_KEYS]
    if unknown:
        raise ParameterError(f"{where}: unknown key {unknown[0]!r}; the keys are "
                             f"{', '.join(DECLARATION_KEYS)}")
    notebook = path.with_name(name + ".ipynb")
    if not notebook.exists():
        raise ParameterError(f"{where}: no notebook {notebook.name} beside it")
    title = raw.get("title", name)
    if not isinstance(title, str) or not title.strip():
        raise ParameterError(f"{where}: title must be a line of text, found {_kind(title)}")
    reads = raw.get("reads") or []
    if not isinstance(reads, list) or not all(isinstance(r, str) and r for r in reads):
        raise ParameterError(f"{where}: reads must be a list of data resource names "
                             f"(e.g. [rnd_national]), found {_kind(reads)}")
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if not _finite_number(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise ParameterError(f"{where}: timeout must be a number of seconds above 0 and at most "
                             f"{MAX_TIMEOUT:g}, found {_kind(timeout)}")
    declared = raw.get("parameters") or {}
    if not isinstance(declared, dict):
        raise ParameterError(f"{where}: parameters must be a mapping of name to "
                             f"{{type, default, help}}, found {_kind(declared)}")
    params: dict[str, ParamSpec] = {}
    for pname, p in declared.items():
        if not isinstance(pname, str) or not pname.isidentifier():
            raise ParameterError(f"{where}: parameter name {pname!r} must be a Python identifier")
        if not isinstance(p, dict) or "type" not in p or "default" not in p or "help" not in p:
            raise ParameterError(f"{where}: parameter {pname!r} needs type, default and help")
        extra = [k for k in p if k not in PARAMETER_KEYS]
        if extra:
            raise ParameterError(f"{where}: parameter {pname!r} has unknown key {extra[0]!r}; "
                                 f"the keys are {', '.join(PARAMETER_KEYS)}")
        if p["type"] not in TYPES:
            raise ParameterError(f"{where}: parameter {pname!r} has unknown type {p['type']!r}; "
                                 f"use one of {', '.join(TYPES)}")
        if p.get("choices") is not None and (not isinstance(p["choices"], list) or not p["choices"]):
            raise ParameterError(f"{where}: parameter {pname!r}: choices must be a non-empty list, "
                                 f"found {_kind(p['choices'])}")
        for bound in ("min", "max"):
            if p.get(bound) is not None and not _finite_number(p[bound]):
                raise ParameterError(f"{where}: parameter {pname!r}: {bound} must be a finite number, "
                                     f"found {_kind(p[bound])}")
        if not isinstance(p["help"], str):
            raise ParameterError(f"{where}: parameter {pname!r}: help must be a line of text")
        spec = ParamSpec(
            name=pname, type=p["type"], default=p["default"], help=p["help"],
            choices=tuple(p["choices"]) if p.get("choices") is not None else None,
            min=p.get("min"), max=p.get("max"),
        )
        # The default itself must be valid.
        _check_value(spec, spec.default, f"{where} (default)")
        params[pname] = spec
    checks_raw = raw.get("checks") or []
    if not isinstance(checks_raw, list):
        raise ParameterError(f"{where}: checks must be a list of {{rule, message}}, found {_kind(checks_raw)}")
    checks = []
    for i, c in enumerate(checks_raw, start=1):
        if not isinstance(c, dict) or not isinstance(c.get("rule"), str) or not isinstance(c.get("message"), str):
            raise ParameterError(f"{where}: check {i} needs a rule and a message (both text)")
        _check_rule(c["rule"], params, f"{where}: check {i}")
        checks.append(Check(c["rule"], c["message"]))
    return NotebookSpec(
        name=name, path=notebook, title=title, reads=tuple(reads), parameters=params,
        checks=tuple(checks), timeout=float(timeout),
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
    where = "notebooks/runs.yml"
    raw = _read_yaml(root / "notebooks" / "runs.yml", where)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or not isinstance(raw.get("runs", []), (list, type(None))):
        raise ParameterError(f"{where}: expected `runs:` followed by a list of runs "
                             f"(each with notebook, optional id and parameters), found {_kind(raw)}")
    runs, seen = [], set()
    for i, entry in enumerate(raw.get("runs") or [], start=1):
        if not isinstance(entry, dict):
            raise ParameterError(f"{where}, run {i}: expected a mapping with notebook, optional id "
                                 f"and parameters, found {_kind(entry)}")
        extra = [k for k in entry if k not in RUN_KEYS]
        if extra:
            raise ParameterError(f"{where}, run {i}: unknown key {extra[0]!r}; the keys are "
                                 f"{', '.join(RUN_KEYS)}")
        nb = entry.get("notebook")
        if not isinstance(nb, str) or nb not in specs:
            raise ParameterError(f"{where}, run {i}: unknown notebook {nb!r}; "
                                 f"declared notebooks: {', '.join(sorted(specs))}")
        run_id = entry.get("id", nb)
        if not isinstance(run_id, str) or not RUN_ID.match(run_id) or run_id in seen:
            raise ParameterError(f"{where}, run {i}: id {run_id!r} must be unique "
                                 "and made of lower-case letters, digits and underscores")
        seen.add(run_id)
        given = entry.get("parameters") or {}
        if not isinstance(given, dict):
            raise ParameterError(f"{where}, run {i}: parameters must be a mapping of name to value, "
                                 f"found {_kind(given)}")
        try:
            params = validate(specs[nb], given)
        except ParameterError as err:
            raise ParameterError(f"{where}, run {i} ({run_id}): {err}") from None
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
        try:
            holds = _eval_rule(check.rule, full)
        except ParameterError:
            raise
        except Exception as err:  # e.g. comparing a number with a text
            raise ParameterError(f"{spec.label}: rule {check.rule!r} cannot be evaluated "
                                 f"({type(err).__name__}: {err}); fix the rule or the parameter types") from None
        if not holds:
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
        if not math.isfinite(value):
            raise bad("is not a finite number")
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


def _check_rule(rule: str, params: dict[str, ParamSpec], where: str) -> None:
    """A check's rule must parse, use only the allowed expressions, and name declared parameters."""
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as err:
        raise ParameterError(f"{where}: rule {rule!r} is not a valid expression ({err.msg}); "
                             "write a comparison such as 'start_year <= end_year'") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES) or (
                isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id == "len")):
            raise ParameterError(f"{where}: rule {rule!r} uses an unsupported expression; use comparisons, "
                                 "and/or/not, + and -, and len()")
    unknown = [n for n in _names_in(rule) if n not in params]
    if unknown:
        raise ParameterError(f"{where}: rule {rule!r} names {unknown[0]!r}, which is not a declared parameter")


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
