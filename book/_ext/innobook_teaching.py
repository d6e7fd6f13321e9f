"""For teachers: student editions of the chapters and each chapter's prerequisites (used by
``innobook_site``).

Student editions
    For every run of ``notebooks/runs.yml`` the build writes ``student/<run>.ipynb`` into the
    site: the chapter's notebook as a student reruns it (the template, with the run's
    parameters in its parameters cell, no outputs) and without the exercises' solutions. A
    solution is everything between a ``{solution-start}`` and its ``{solution-end}``, code
    cells included, or a ``{solution}`` block; where a chapter writes its exercises from code
    (glued Markdown), the glued text is taken from the executed notebook so that the
    exercise stays and its solution goes. A line in place of each solution says so, in the
    language of the edition whose site holds the notebook (:data:`OMITTED`).

Prerequisites
    ``book/prerequisites.yml`` states, per notebook (or per Markdown chapter), what a reader
    needs before the chapter, as it really is: the competition chapters need graduate
    econometrics. The teachers' page shows them chapter by chapter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

FENCE = re.compile(r"^(`{3,}|:{3,})\{([a-z-]+)\}(.*)$")
GLUE_BLOCK = re.compile(r"^(`{3,}|:{3,})\{glue:md\}\s+(\S+)[^\n]*\n(?::[a-z]+:[^\n]*\n)*\1[ \t]*$", re.M)
GLUE_ROLE = re.compile(r"\{glue:md\}`([^`]+)`")
#: The line in place of each solution, per edition.
OMITTED = {"en": "*The solution is left out of the student edition; your teacher has it.*",
           "zh": "*学生版略去了本题的答案，答案在授课教师处。*"}


def glued_markdown(executed) -> dict[str, str]:
    """Markdown glued by a notebook's code (``glue(name, Markdown(...))``), by name."""
    out = {}
    for cell in executed.cells:
        for o in cell.get("outputs", []):
            meta = (o.get("metadata") or {}).get("scrapbook") or {}
            name = meta.get("name")
            prefix = meta.get("mime_prefix", "")
            text = (o.get("data") or {}).get(prefix + "text/markdown")
            if name and text is not None:
                out[name] = text if isinstance(text, str) else "".join(text)
    return out


def _expand(text: str, glued: dict[str, str]) -> str:
    """Put glued Markdown that opens or closes a solution in place, so it can be cut at its fences."""
    def block(m: re.Match) -> str:
        value = glued.get(m.group(2))
        return value if value is not None and "{solution" in value else m.group(0)

    def role(m: re.Match) -> str:
        value = glued.get(m.group(1))
        return value if value is not None and "{solution" in value else m.group(0)

    return GLUE_ROLE.sub(role, GLUE_BLOCK.sub(block, text))


def _set_parameters(source: str, parameters: dict) -> str:
    lines = []
    for line in source.splitlines():
        m = re.match(r"^([A-Za-z_]\w*)\s*=", line)
        if m and m.group(1) in parameters:
            line = f"{m.group(1)} = {parameters[m.group(1)]!r}"
        lines.append(line)
    return "\n".join(lines)


def student_edition(template, executed=None, parameters: dict | None = None, lang: str = "en"):
    """The notebook ``template`` without solutions (a new notebook; the template is not changed)."""
    import copy

    import nbformat

    glued = glued_markdown(executed) if executed is not None else {}
    out = copy.deepcopy(template)
    cells = []
    inside = False          # within a solution, across cells
    skipping_fence = None   # the fence of a directive whose option lines are being skipped
    omitted = 0
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if "parameters" in cell.metadata.get("tags", []) and parameters:
                cell.source = _set_parameters(cell.source, parameters)
            if not inside:
                cells.append(cell)
            continue
        if cell.cell_type != "markdown":
            if not inside:
                cells.append(cell)
            continue
        kept = []
        block_fence = None  # inside a one-piece {solution} block
        for line in _expand(cell.source, glued).splitlines():
            if skipping_fence is not None:
                if line.strip() == skipping_fence:
                    skipping_fence = None
                continue
            if block_fence is not None:
                if line.strip() == block_fence:
                    block_fence = None
                    kept.append(OMITTED[lang])
                    omitted += 1
                continue
            m = FENCE.match(line.strip())
            if m and m.group(2) == "solution-start":
                inside = True
                skipping_fence = m.group(1)
                continue
            if m and m.group(2) == "solution-end":
                if inside:
                    kept.append(OMITTED[lang])
                    omitted += 1
                inside = False
                skipping_fence = m.group(1)
                continue
            if m and m.group(2) == "solution":
                block_fence = m.group(1)
                continue
            if not inside:
                kept.append(line)
        text = "\n".join(kept).strip("\n")
        if text:
            cell.source = text
            cells.append(cell)
    out.cells = cells
    out.metadata.setdefault("innobook", {})["edition"] = "student (solutions left out)"
    out.metadata["innobook"]["solutions_omitted"] = omitted
    nbformat.validate(out)
    return out


def write_student_editions(root: Path, outdir: Path, runs, lang: str = "en",
                           stamps: Path | None = None) -> list[Path]:
    """``student/<run>.ipynb`` in the site for every run (``lang``: the site's edition).

    With ``stamps`` (a file kept between builds, outside the site), a student edition whose
    inputs are unchanged is not made again: the template, the executed notebook, the run's
    parameters, the Chinese catalog and this module. Reading the executed notebooks is most of
    an incremental build's fixed cost otherwise."""
    import hashlib

    import nbformat

    written = []
    folder = outdir / "student"
    folder.mkdir(parents=True, exist_ok=True)
    from innobook.pipeline.catalogs import OUTPUTS

    known = json.loads(stamps.read_text()) if stamps and stamps.exists() else {}
    catalog = root / OUTPUTS

    def stat(path: Path) -> str:
        return f"{path.stat().st_mtime_ns}:{path.stat().st_size}" if path.exists() else "-"

    for run in runs:
        executed_path = root / "book" / "generated" / f"{run.run_id}.ipynb"
        target = folder / f"{run.run_id}.ipynb"
        key = hashlib.sha256(json.dumps([lang, stat(run.notebook.path), stat(executed_path),
                                         stat(catalog) if lang != "en" else "", stat(Path(__file__)),
                                         run.parameters], sort_keys=True, default=str).encode()).hexdigest()
        if target.exists() and known.get(run.run_id) == key:
            continue
        template = nbformat.read(run.notebook.path, as_version=4)
        executed = nbformat.read(executed_path, as_version=4) if executed_path.exists() else None
        changed = {k: v for k, v in run.parameters.items() if run.notebook.defaults().get(k) != v}
        nb = student_edition(template, executed, changed, lang)
        nbformat.write(nb, target)
        known[run.run_id] = key
        written.append(target)
    if stamps:
        stamps.write_text(json.dumps(known, sort_keys=True))
    return written


# --------------------------------------------------------------------------- prerequisites
def prerequisites(root: Path) -> dict[str, list[str]]:
    """Notebook or page name -> what a reader needs first (``book/prerequisites.yml``)."""
    path = root / "book" / "prerequisites.yml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for name, items in (raw.get("chapters") or {}).items():
        out[str(name)] = [str(i) for i in (items if isinstance(items, list) else [items])]
    return out


def markdown_facts(path: Path) -> dict:
    """Title, learning objectives, exercise count and prose length of a Markdown chapter."""
    text = path.read_text(encoding="utf-8")
    body = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S)
    title = re.search(r"^#\s+(.+)$", body, re.M)
    words = len(re.findall(r"[A-Za-z]+(?:'[a-z]+)?|[\u4e00-\u9fff]", re.sub(r"`[^`]*`", "", body)))
    exercises = len(re.findall(r"^(?:`{3,}|:{3,})\{exercise(?:-start)?\}", body, re.M))
    objectives = []
    block = re.search(r"(?:```|:::)\{admonition\} Learning objectives\n(.*?)(?:```|:::)", body, re.S)
    if block:
        objectives = [line[2:].strip() for line in block.group(1).splitlines() if line.startswith("- ")]
    return {"title": title.group(1).strip() if title else path.stem, "words": words,
            "exercises": exercises, "objectives": objectives}
