"""Reading notebook templates and tidying executed notebooks.

Executed notebooks are rendered into the book, so they must be deterministic
(no timestamps, no run-dependent ids) and must never carry an error. This
module holds the small, pure functions that check and clean them, and that
read back the values a notebook glued for the prose.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import nbformat

GLUE_PREFIX = "application/papermill.record/"


@dataclass(frozen=True)
class CellProblem:
    """An error or stderr output found in an executed notebook."""

    cell_index: int          # 0-based index in the executed notebook
    execution_count: int | None
    kind: str                # "error" or "stderr"
    summary: str             # e.g. "ZeroDivisionError: division by zero"

    def describe(self) -> str:
        label = f"In [{self.execution_count}]" if self.execution_count else "no execution count"
        return f"cell {self.cell_index} ({label}): {self.summary}"


def parameters_cell(nb: nbformat.NotebookNode) -> tuple[int, dict[str, Any]]:
    """Find the cell tagged ``parameters`` and return its index and literal defaults."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            values = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                    if isinstance(target, ast.Name):
                        values[target.id] = ast.literal_eval(node.value)
            return i, values
    raise ValueError("no cell tagged 'parameters'")


PUBLISHING_CALLS = frozenset({"key_result", "sentence", "glue"})
PLUMBING_MODULES = ("innobook.report", "innobook.pipeline", "myst_nb")
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input"})


def plumbing_cells(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """Visible code cells that publish results or import plumbing, as ``(index, what)``.

    A page shows the code that teaches; cells that publish (``key_result``, ``sentence``,
    ``glue``) or import the publishing machinery belong in cells tagged ``remove-cell``
    (or ``remove-input`` where their output is shown). A cell that mixes both kinds must
    be split.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in PUBLISHING_CALLS:
                found.append((i, f"calls {node.func.id}()"))
                break
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                hit = next((n for n in names if n.startswith(PLUMBING_MODULES)), None)
                if hit:
                    found.append((i, f"imports {hit}"))
                    break
    return found


def problems(nb: nbformat.NotebookNode) -> list[CellProblem]:
    """Error outputs and stderr streams in an executed notebook."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(CellProblem(i, cell.get("execution_count"), "error",
                                         f"{out.ename}: {out.evalue}"))
            elif out.output_type == "stream" and out.name == "stderr":
                text = out.text.strip().splitlines()
                found.append(CellProblem(i, cell.get("execution_count"), "stderr",
                                         "wrote to stderr: " + (text[-1] if text else "")))
    return found


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make an executed notebook deterministic and ready to render.

    * drop per-cell timing metadata written by papermill and nbclient;
    * drop the notebook-level start/end times, keeping the parameters as provenance;
    * remove papermill's parameter cells from the rendered page (tag ``remove-cell``);
    * give cells ids by position (papermill assigns random ones).
    """
    for i, cell in enumerate(nb.cells):
        if "id" in cell:
            cell["id"] = f"cell-{i}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        tags = cell.metadata.get("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    pm = nb.metadata.get("papermill")
    if pm is not None:
        nb.metadata["papermill"] = {k: pm[k] for k in ("parameters",) if k in pm}
    nb.metadata.pop("widgets", None)
    return nb


PARAMETER_BOX_TAG = "innobook-parameters"


def _cli_value(value: Any) -> str:
    """A value as it is typed after ``-p name`` (see :func:`~innobook.pipeline.params.parse_cli_value`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "'[" + ", ".join(str(v) for v in value) + "]'"
    text = str(value)
    return f"'{text}'" if any(ch in text for ch in " ;&|$'\"<>()") else text


#: The parameter box's own words in each edition (the help texts go through innobook.i18n).
BOX_WORDS = {
    "en": {"title": "This page's parameters", "head": "| parameter | value | meaning |",
           "rerun": "Rerun the page with other values (any parameter can be left out; "
                    "{doc}`/book/reproduce` says more):"},
    "zh": {"title": "本页参数", "head": "| 参数 | 取值 | 含义 |",
           "rerun": "可用其他参数值重新运行本页（任何参数都可省略；详见{doc}`/book/reproduce`）："},
}
#: The cell metadata key holding the box's Chinese text (read by the Chinese rendering).
ZH_SOURCE = "innobook/zh"


def _box_text(notebook: str, parameters: dict[str, Any], helps: dict[str, str], lang: str) -> str:
    w = BOX_WORDS[lang]
    rows = "\n".join(f"| `{name}` | `{_cli_value(value)}` | {' '.join(helps.get(name, '').split())} |"
                     for name, value in parameters.items())
    command = " ".join([f"python -m innobook run notebooks/{notebook}.ipynb"]
                       + [f"-p {name} {_cli_value(value)}" for name, value in parameters.items()])
    return (f"```{{admonition}} {w['title']}\n:class: note dropdown innobook-params\n\n"
            f"{w['head']}\n|---|---|---|\n" + rows + "\n\n" + w["rerun"] + "\n\n"
            f"`{command}`\n```")


def parameter_box(notebook: str, parameters: dict[str, Any], helps: dict[str, str]) -> nbformat.NotebookNode:
    """A Markdown cell listing a run's parameters, their meaning and the command that reruns it.

    It replaces, on the rendered page, the parameters cell that papermill's run hides. Its
    Chinese text is kept in the cell's metadata (:data:`ZH_SOURCE`), the help texts translated
    by the generated-text catalog, for the Chinese rendering.
    """
    from ..i18n import zh

    cell = nbformat.v4.new_markdown_cell(_box_text(notebook, parameters, helps, "en"))
    cell.metadata["tags"] = [PARAMETER_BOX_TAG]
    cell.metadata[ZH_SOURCE] = _box_text(notebook, parameters,
                                         {k: zh(" ".join(v.split())) for k, v in helps.items()}, "zh")
    return cell


def insert_parameter_box(nb: nbformat.NotebookNode, box: nbformat.NotebookNode) -> None:
    """Put ``box`` after the last parameters cell (papermill's injected one, if any)."""
    nb.cells = [c for c in nb.cells if PARAMETER_BOX_TAG not in c.metadata.get("tags", [])]
    after = max((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and
                 {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))), default=-1)
    if after < 0 or not box.source:
        return
    nb.cells.insert(after + 1, box)


def glued_values(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Plain values glued with ``myst_nb.glue`` (numbers, strings, booleans, lists).

    Charts and tables are glued too, but only values whose text form is a Python
    literal are key results; those are what the results JSON records.
    """
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = out.get("data", {})
            prefix = meta.get("mime_prefix", "")
            if any(k != prefix + "text/plain" for k in data):
                continue  # a chart, a table or an image
            text = data.get(prefix + "text/plain")
            try:
                values[meta["name"]] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                continue
    return values


UNTRANSLATED = "innobook/untranslated"   # innobook.i18n.UNTRANSLATED


def untranslated(nb: nbformat.NotebookNode) -> list[str]:
    """The texts a run produced without a Chinese entry in ``locales/zh_CN/outputs.po``."""
    found: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for text in out.get("metadata", {}).get(UNTRANSLATED, []):
                if text not in found:
                    found.append(text)
    return found


def chart_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """The HTML of every chart in a notebook, in order (for determinism checks)."""
    charts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for key, html in out.get("data", {}).items():
                if key.endswith("text/html") and "innobook-chart" in html:
                    charts.append(html)
    return charts
