"""The Chinese edition's message catalogs: extract, check, compile.

The prose of every page (Markdown pages and the notebooks' Markdown cells) is translated
through Sphinx's gettext catalogs, one per page, in ``locales/zh_CN/LC_MESSAGES/<page>.po``
(``sphinx-build -b gettext``, then ``sphinx-intl update``). A translation can break a number
without any error from Sphinx, so every message is checked before the Chinese edition is
rendered, and the build stops on the first catalog that fails:

* **glue references**: the translation carries exactly the glue references of its source,
  key and format (``{glue:text}`key:.1f```). A plain reference to the page's own notebook is
  rewritten into its path form (``/book/generated/<page>.ipynb::key``) when the catalog is
  compiled, because a translated message is parsed as a separate document and a plain
  reference in it would find no value and show nothing;
* **no typed numbers**: every number written in the translation, outside roles, code, maths
  and link targets, is one written in its source (a year, a date); a number that the source
  does not have was typed by hand;
* **the same citations and cross-references** (``{cite}``, ``{doc}``, ``{ref}``, ``{term}``
  targets), so no source or link is lost;
* **complete**: no message of a published page is untranslated or fuzzy (a fuzzy message is
  one whose source changed after it was translated; Sphinx would silently show the English).

Compiled ``.mo`` files go to ``_build/locale`` (never committed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

LOCALES = Path("locales")
LANGUAGE = "zh_CN"
MESSAGES = LOCALES / LANGUAGE / "LC_MESSAGES"
COMPILED = Path("_build") / "locale"
POT = Path("_build") / "gettext"
OUTPUTS = LOCALES / LANGUAGE / "outputs.po"     # the notebooks' generated text (innobook.i18n)
RESULTS = Path("book") / "generated" / "results"

ROLE = re.compile(r"\{([a-z:\-]+)\}`([^`]*)`")
GLUE_DIRECTIVE = re.compile(r"```\{(glue(?::[a-z]+)?)\}\s*(\S+)")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# What is not prose: roles, inline code, maths, link targets, HTML tags, URLs.
NOT_PROSE = re.compile(r"\{[a-z:\-]+\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]*>|https?://\S+",
                       re.S)
CROSS_REFERENCES = ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts", "doc", "ref", "numref", "term",
                    "eq", "prf:ref")


class CatalogError(Exception):
    """A catalog failed a check; the message names the file, the message and the rule."""


@dataclass(frozen=True)
class Problem:
    path: str
    msgid: str
    rule: str

    def describe(self) -> str:
        shown = self.msgid if len(self.msgid) < 90 else self.msgid[:87] + "..."
        return f"{self.path}: message {shown!r}: {self.rule}"


def docname_of(po: Path, root: Path) -> str:
    """The page a catalog translates: ``locales/zh_CN/LC_MESSAGES/book/intro.po`` -> ``book/intro``."""
    return po.relative_to(root / MESSAGES).with_suffix("").as_posix()


def _glue_refs(text: str, docname: str) -> Counter:
    """(page, key, format) of every glue reference, a plain key read as the page's own."""
    refs = Counter()
    found = [(m.group(1), m.group(2)) for m in ROLE.finditer(text) if m.group(1).startswith("glue")]
    found += [(m.group(1), m.group(2)) for m in GLUE_DIRECTIVE.finditer(text)]
    for role, content in found:
        page, rest = docname, content
        if "::" in content:
            path, rest = content.split("::", 1)
            page = _resolve(path, docname)
        key, _, fmt = rest.partition(":") if role == "glue:text" else (rest, "", "")
        refs[(role, page, key.strip(), fmt)] += 1
    return refs


def _resolve(path: str, docname: str) -> str:
    path = path[:-len(".ipynb")] if path.endswith(".ipynb") else path
    if path.startswith("/"):
        return path.lstrip("/")
    parts = list(PurePosixPath(docname).parent.parts)
    for part in PurePosixPath(path).parts:
        if part == "..":
            parts = parts[:-1]
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _cross_refs(text: str) -> Counter:
    refs = Counter()
    for m in ROLE.finditer(text):
        role, content = m.group(1), m.group(2)
        if role in CROSS_REFERENCES:
            target = re.search(r"<([^<>]*)>\s*$", content)
            refs[(role, (target.group(1) if target else content).strip())] += 1
    return refs


def numbers(text: str) -> Counter:
    """The numbers written in the prose of ``text`` (not in roles, code, maths or links)."""
    return Counter(NUMBER.findall(NOT_PROSE.sub(" ", text)))


def check_message(msgid: str, msgstr: str, docname: str) -> list[str]:
    """What is wrong with one translation (an empty list if nothing)."""
    wrong = []
    source, target = _glue_refs(msgid, docname), _glue_refs(msgstr, docname)
    if source != target:
        lost = sorted(f"{k[2]}{':' + k[3] if k[3] else ''}" for k in (source - target))
        added = sorted(f"{k[2]}{':' + k[3] if k[3] else ''}" for k in (target - source))
        wrong.append("the translation must carry exactly the glue references of its source"
                     + (f"; missing {', '.join(lost)}" if lost else "")
                     + (f"; not in the source {', '.join(added)}" if added else ""))
    from ..i18n import without_named_months

    typed = numbers(without_named_months(msgstr, msgid)) - numbers(msgid)
    if typed:
        wrong.append(f"numbers typed by hand (not in the source): {', '.join(sorted(typed))}; "
                     "write only the numbers the source writes, and glue references for the rest")
    if _cross_refs(msgid) != _cross_refs(msgstr):
        lost = sorted(f"{{{r}}}`{t}`" for r, t in (_cross_refs(msgid) - _cross_refs(msgstr)))
        added = sorted(f"{{{r}}}`{t}`" for r, t in (_cross_refs(msgstr) - _cross_refs(msgid)))
        wrong.append("the translation must keep the source's citations and cross-references (their "
                     "targets unchanged)" + (f"; missing {', '.join(lost)}" if lost else "")
                     + (f"; not in the source {', '.join(added)}" if added else ""))
    return wrong


def read(po: Path):
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        return read_po(fh, locale=LANGUAGE, abort_invalid=True)


def check_catalog(po: Path, root: Path, complete: bool = True) -> list[Problem]:
    """Every problem of one catalog (see the module docstring)."""
    docname = docname_of(po, root)
    rel = po.relative_to(root).as_posix()
    problems = []
    for message in read(po):
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else (message.string or [""])[0]
        if message.fuzzy:
            problems.append(Problem(rel, msgid, "fuzzy: its source changed since it was translated; "
                                                "revise the translation and remove the fuzzy flag"))
            continue
        if not msgstr:
            if complete:
                problems.append(Problem(rel, msgid, "not translated"))
            continue
        problems += [Problem(rel, msgid, rule) for rule in check_message(msgid, msgstr, docname)]
    return problems


def catalogs(root: Path) -> list[Path]:
    return sorted((root / MESSAGES).rglob("*.po"))


def published_pages(root: Path) -> set[str]:
    """The pages in the table of contents."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = {toc["root"]}

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.add(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc)
    return {p[:-3] if p.endswith((".md", ".ipynb")) else p for p in pages}


def check_outputs(root: Path, complete: bool = True) -> list[Problem]:
    """The generated-text catalog: placeholders kept, no digit typed, nothing left out by a run."""
    from ..i18n import check_entry

    path = root / OUTPUTS
    rel = OUTPUTS.as_posix()
    problems = []
    entries = {}
    if path.exists():
        for message in read(path):
            if not message.id:
                continue
            entries[message.id] = message
            if message.fuzzy:
                problems.append(Problem(rel, message.id, "fuzzy: revise it and remove the fuzzy flag"))
            elif message.string:
                problems += [Problem(rel, message.id, r) for r in check_entry(message.id, message.string)]
            elif complete:
                problems.append(Problem(rel, message.id, "not translated"))
    for text, runs in sorted(untranslated_outputs(root).items()):
        if text not in entries:
            problems.append(Problem(rel, text, f"written by {', '.join(runs)} and not in the catalog; "
                                               "run `python -m innobook i18n outputs`"))
    return problems


def untranslated_outputs(root: Path) -> dict[str, list[str]]:
    """Generated text without a Chinese entry, as the last runs recorded it, and the project's
    own texts the site shows (:func:`site_texts`): {template: [run or file, ...]}."""
    import json

    from ..i18n import template

    found: dict[str, list[str]] = {}
    for path in sorted((root / RESULTS).glob("*.json")):
        for text in json.loads(path.read_text(encoding="utf-8")).get("untranslated", []):
            found.setdefault(text, []).append(path.stem)
    entries = {m.id for m in read(root / OUTPUTS) if m.id} if (root / OUTPUTS).exists() else set()
    for text, where in site_texts(root):
        pattern = template(text)[0]
        if pattern not in entries and where not in found.setdefault(pattern, []):
            found[pattern].append(where)
    return {k: v for k, v in found.items() if v}


def site_texts(root: Path) -> list[tuple[str, str]]:
    """(text, file) for each English text of the project's own files that the site shows
    through the generated-text catalog: the data package's titles, descriptions, vintage notes,
    licences and units; each chapter's title and parameter help (``notebooks/*.params.yml``);
    the chapters' prerequisites (``book/prerequisites.yml``)."""
    import json

    import yaml

    from ..i18n import needs_translation

    out: list[tuple[str, str]] = []

    def add(text, where: str) -> None:
        if isinstance(text, str) and needs_translation(text):
            out.append((" ".join(text.split()), where))

    package = root / "data" / "datapackage.json"
    if package.exists():
        for res in json.loads(package.read_text(encoding="utf-8")).get("resources", []):
            for key in ("title", "description", "vintage_note"):
                add(res.get(key), "data/datapackage.json")
            for licence in res.get("licenses", []):
                add(licence.get("title"), "data/datapackage.json")
            for f in res.get("schema", {}).get("fields", []):
                add(f.get("unit"), "data/datapackage.json")
    for params in sorted((root / "notebooks").glob("*.params.yml")):
        spec = yaml.safe_load(params.read_text(encoding="utf-8")) or {}
        where = params.relative_to(root).as_posix()
        add(spec.get("title"), where)
        for p in (spec.get("parameters") or {}).values():
            add((p or {}).get("help"), where)
    prerequisites = root / "book" / "prerequisites.yml"
    if prerequisites.exists():
        chapters = (yaml.safe_load(prerequisites.read_text(encoding="utf-8")) or {}).get("chapters") or {}
        for items in chapters.values():
            for item in items or []:
                add(item, "book/prerequisites.yml")
    return out


def add_outputs(root: Path, out=sys.stdout) -> int:
    """Add the generated text the runs could not translate to ``outputs.po`` (empty entries)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = root / OUTPUTS
    catalog = read(path) if path.exists() else Catalog(locale=LANGUAGE, project="innobook outputs")
    added = 0
    for text, runs in sorted(untranslated_outputs(root).items()):
        if text in catalog:
            continue
        catalog.add(text, "", auto_comments=[f"runs: {', '.join(runs)}"], flags=["python-brace-format"]
                    if re.search(r"\{\d+\}", text) else [])
        added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0)
    print(f"{added} text(s) added to {OUTPUTS} for translation", file=out)
    return added


def check_all(root: Path, complete: bool = True) -> list[Problem]:
    """Every problem of every catalog, and a published page without a catalog."""
    problems = check_outputs(root, complete)
    found = {docname_of(po, root) for po in catalogs(root)}
    for page in sorted(published_pages(root) - found):
        problems.append(Problem((MESSAGES / f"{page}.po").as_posix(), "", "the page has no catalog; "
                                "run `python -m innobook i18n update`"))
    for po in catalogs(root):
        problems += check_catalog(po, root, complete)
    return (problems + check_captions(root, complete) + check_bibliography(root, complete)
            + check_interface(root, complete))


def check_captions(root: Path, complete: bool = True) -> list[Problem]:
    """Each part caption of ``_toc.yml`` has its Chinese in ``edition.yml`` (``captions``)."""
    import yaml

    from .sphinx_conf import EDITION, chinese_edition

    found = chinese_edition(root).get("captions") or {}
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
    wanted = [part["caption"] for part in toc.get("parts", []) if part.get("caption")]
    return [Problem(EDITION.as_posix(), caption, "the table of contents' caption has no Chinese under "
                    "`captions:`") for caption in wanted if complete and not found.get(caption)]


INTERFACE = LOCALES / LANGUAGE / "interface.po"


def check_interface(root: Path, complete: bool = True) -> list[Problem]:
    """The interface words Sphinx and the theme leave untranslated: each one translated."""
    path = root / INTERFACE
    if not path.exists():
        return []
    rel = INTERFACE.as_posix()
    problems = []
    for message in read(path):
        if message.id and message.fuzzy:
            problems.append(Problem(rel, message.id, "fuzzy: revise it and remove the fuzzy flag"))
        elif message.id and not message.string and complete:
            problems.append(Problem(rel, message.id, "not translated"))
    return problems


def compile_all(root: Path) -> Path:
    """Check every catalog and compile it into ``_build/locale`` (refuses on any problem)."""
    from babel.messages.mofile import write_mo

    problems = check_all(root)
    # A broken number first; untranslated messages after.
    problems.sort(key=lambda p: p.rule.startswith(("not translated", "written by")))
    if problems:
        shown = "\n  ".join(p.describe() for p in problems[:15])
        more = f"\n  ... and {len(problems) - 15} more" if len(problems) > 15 else ""
        raise CatalogError(f"{len(problems)} problem(s) in the Chinese catalogs; the Chinese edition "
                           f"was not rendered:\n  {shown}{more}\n  (python -m innobook i18n check "
                           "lists them all)")
    out = root / COMPILED / LANGUAGE / "LC_MESSAGES"
    staging = out.with_name("LC_MESSAGES.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    for po in catalogs(root):
        docname = docname_of(po, root)
        catalog = read(po)   # glue references stay as written: the page's parser lends them its glue
        mo = staging / f"{docname}.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
    if (root / INTERFACE).exists():   # Sphinx reads a `sphinx` catalog in locale_dirs before its own
        staging.mkdir(parents=True, exist_ok=True)
        with (staging / "sphinx.mo").open("wb") as fh:
            write_mo(fh, read(root / INTERFACE))
    _replace_tree(staging, out)
    return out


#: The inputs of :func:`compile_all` when it last succeeded (one digest), so that a build whose
#: catalogs and their inputs did not change starts the Chinese render at once.
COMPILE_KEY = Path("_build") / "cache" / "catalogs.json"


def compile_inputs_digest(root: Path) -> str:
    """One digest over everything :func:`compile_all` reads: the catalogs and the edition's
    settings (``locales/``), the table of contents and configuration, the ``.bib`` files, the
    runs' recorded untranslated text, the data package, the chapters' declarations and
    prerequisites, and the package's code (the rules)."""
    import yaml

    from . import cache

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    files = [p for p in (root / LOCALES).rglob("*") if p.is_file()]
    files += [root / "_toc.yml", root / "_config.yml", root / "data" / "datapackage.json",
              root / "book" / "prerequisites.yml"]
    files += [root / bib for bib in config.get("bibtex_bibfiles", [])]
    files += sorted((root / RESULTS).glob("*.json")) + sorted((root / "notebooks").glob("*.params.yml"))
    files += [p for p in (root / "src" / "innobook").rglob("*.py") if "__pycache__" not in p.parts]
    return cache.sha256_files([f for f in set(files) if f.is_file()], root)


def compile_if_changed(root: Path) -> bool:
    """:func:`compile_all`, unless nothing it reads changed since it last succeeded and its
    output is in place; True if it ran."""
    import json

    digest = compile_inputs_digest(root)
    key = root / COMPILE_KEY
    try:
        known = json.loads(key.read_text()).get("inputs")
    except (OSError, ValueError):
        known = None
    out = root / COMPILED / LANGUAGE / "LC_MESSAGES"
    if known == digest and all((out / f"{docname_of(po, root)}.mo").is_file() for po in catalogs(root)):
        return False
    key.unlink(missing_ok=True)
    compile_all(root)
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps({"inputs": digest}))
    return True


def _replace_tree(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target``, leaving unchanged ``.mo`` files untouched (Sphinx
    re-reads a page whose catalog file changed)."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(new) for p in new.rglob("*.mo")}
    for old in list(target.rglob("*.mo")):
        if old.relative_to(target) not in wanted:
            old.unlink()
    for rel in wanted:
        src, dst = new / rel, target / rel
        if dst.exists() and dst.read_bytes() == src.read_bytes():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    shutil.rmtree(new, ignore_errors=True)


def extract(root: Path, out=sys.stdout) -> None:
    """Extract the prose into ``_build/gettext/*.pot`` and merge it into the catalogs."""
    from .sphinx_conf import write_conf

    conf = write_conf(root, "source")
    pot = root / POT
    shutil.rmtree(pot, ignore_errors=True)
    bindir = Path(sys.executable).parent
    cmd = [str(bindir / "sphinx-build"), "-b", "gettext", "-q", "-c", str(conf),
           "-d", str(root / "_build" / "gettext-doctrees"), str(root), str(pot)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CatalogError("extracting the prose failed:\n" + proc.stderr[-2000:])
    cmd = [str(bindir / "sphinx-intl"), "update", "-p", str(pot), "-l", LANGUAGE,
           "-d", str(root / LOCALES), "-w", "0"]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise CatalogError("sphinx-intl update failed:\n" + proc.stderr[-2000:])
    # A catalog whose page is gone from the book goes too.
    pages = {p.relative_to(pot).with_suffix("").as_posix() for p in pot.rglob("*.pot")}
    for po in catalogs(root):
        if docname_of(po, root) not in pages:
            po.unlink()
            print(f"  removed {po.relative_to(root)} (its page is gone)", file=out)
    filled = fill_from_memory(root)
    print(f"Catalogs updated in {MESSAGES}/ from {len(pages)} page(s); {filled} message(s) filled "
          "from identical translated messages of other pages", file=out)
    added, changed = update_bibliography(root)
    print(f"{BIBLIOGRAPHY}: {added} note(s) added, {changed} changed (fuzzy)", file=out)


# --------------------------------------------------------------------------- the bibliography
BIBLIOGRAPHY = LOCALES / LANGUAGE / "bibliography.po"
#: The fields of a bibliography entry that are notes to the reader, translated in
#: ``bibliography.po`` (the Chinese edition's style, book/_ext/innobook_bib_zh.py, reads them).
BIB_NOTES = ("note", "howpublished")


def bibliography_notes(root: Path) -> dict[str, str]:
    """``{"<key>.<field>": English}`` for every note of the book's ``.bib`` files that reads
    as English words."""
    import yaml
    from pybtex.database import parse_file

    from ..i18n import needs_translation

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    notes = {}
    for bib in config.get("bibtex_bibfiles", []):
        for key, entry in parse_file(str(root / bib)).entries.items():
            for name in BIB_NOTES:
                text = entry.fields.get(name)
                if text and needs_translation(text):
                    notes[f"{key}.{name}"] = text
    return notes


def update_bibliography(root: Path) -> tuple[int, int]:
    """Bring ``bibliography.po`` in line with the ``.bib`` files: a new note is added empty, a
    changed one keeps its old translation as a fuzzy start, a removed one goes."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = root / BIBLIOGRAPHY
    old = {m.context: m for m in read(path) if m.id} if path.exists() else {}
    catalog = Catalog(locale=LANGUAGE, project="innobook bibliography")
    added = changed = 0
    for context, text in sorted(bibliography_notes(root).items()):
        before = old.get(context)
        if before is None:
            catalog.add(text, "", context=context)
            added += 1
        elif before.id != text:
            catalog.add(text, before.string, context=context, flags=["fuzzy"] if before.string else [])
            changed += 1
        else:
            catalog.add(text, before.string, context=context, flags=list(before.flags))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return added, changed


def check_bibliography(root: Path, complete: bool = True) -> list[Problem]:
    """Every note translated, not fuzzy, with no number the English does not write."""
    path = root / BIBLIOGRAPHY
    rel = BIBLIOGRAPHY.as_posix()
    entries = {m.context: m for m in read(path) if m.id} if path.exists() else {}
    problems = []
    for context, text in sorted(bibliography_notes(root).items()):
        message = entries.get(context)
        if message is None or message.id != text:
            problems.append(Problem(rel, f"{context}: {text}", "not in the catalog or changed in the "
                                    ".bib file; run `python -m innobook i18n update`"))
        elif message.fuzzy:
            problems.append(Problem(rel, f"{context}: {text}", "fuzzy: revise it and remove the fuzzy flag"))
        elif not message.string:
            if complete:
                problems.append(Problem(rel, f"{context}: {text}", "not translated"))
        else:
            problems += [Problem(rel, f"{context}: {text}", rule)
                         for rule in check_message(text, message.string, "")]
    return problems


def fill_from_memory(root: Path) -> int:
    """Fill an untranslated message whose source text is translated, unchanged, in another
    page's catalog (the three city pages share one notebook's Markdown). Plain glue
    references stay plain, so each page's own values are shown."""
    from babel.messages.pofile import write_po

    memory: dict[str, str] = {}
    loaded = {po: read(po) for po in catalogs(root)}
    for catalog in loaded.values():
        for m in catalog:
            if m.id and isinstance(m.string, str) and m.string and not m.fuzzy:
                memory.setdefault(m.id, m.string)
    filled = 0
    for po, catalog in loaded.items():
        changed = False
        for m in catalog:
            if m.id and not m.string and m.id in memory:
                m.string = memory[m.id]
                changed = True
                filled += 1
        if changed:
            with po.open("wb") as fh:
                write_po(fh, catalog, width=0)
    return filled


def stat(root: Path) -> list[tuple[str, int, int, int]]:
    """(catalog, translated, fuzzy, untranslated) for every catalog."""
    rows = []
    for po in catalogs(root):
        t = f = u = 0
        for message in read(po):
            if not message.id:
                continue
            if message.fuzzy:
                f += 1
            elif message.string:
                t += 1
            else:
                u += 1
        rows.append((po.relative_to(root).as_posix(), t, f, u))
    return rows
