"""The bibliography's formatting, remembered between builds.

sphinxcontrib-bibtex formats every entry of the bibliography again at each build, even an
incremental one that re-reads a single page, because citation labels must be known before
any page is resolved (``BibtexDomain.env_updated``). For the book's 300-odd entries that is
most of a second per edition, spent in pybtex's templates and in ``latexcodec`` decoding
each field and name. Two caches, kept in one pickle beside Sphinx's doctrees
(``innobook-bib.pickle``), avoid doing it again:

* :meth:`pybtex.richtext.Text.from_latex`, per LaTeX string: the decoded text depends on
  the string alone;
* :meth:`pybtex.style.formatting.BaseStyle.format_entry`, per style, label and entry. The key
  holds everything the formatted entry depends on: the entry's type, key, fields and names
  (as the style receives them, so the Chinese style's translated notes are part of it), the
  label, the style class and its name, label and sorting styles, and a digest of the source
  files of the style classes that are not pybtex's own, with pybtex's version. An edited
  ``.bib`` entry, catalog note or style therefore formats afresh.

The formatted objects are pybtex's own; the book's references are unchanged (the references
page of a clean build and of an incremental one are the same, which ``tests/test_build.py``
checks through the whole site).
"""

from __future__ import annotations

import hashlib
import inspect
import pickle
from importlib.metadata import version
from pathlib import Path

from sphinx.application import Sphinx

FILE = "innobook-bib.pickle"
_latex: dict[str, object] = {}
_entries: dict[tuple, object] = {}
_used: set[tuple] = set()   # the entries this build formatted
_state = {"loaded": (frozenset(), frozenset())}
_class_digests: dict[type, str] = {}


def _install() -> None:
    from pybtex import richtext
    from pybtex.style.formatting import BaseStyle

    if not getattr(richtext.Text.from_latex, "_innobook_cached", False):
        original = richtext.Text.from_latex.__func__

        def from_latex(cls, latex):
            if cls is not richtext.Text:
                return original(cls, latex)
            found = _latex.get(latex)
            if found is None:
                found = _latex[latex] = original(cls, latex)
            return found

        from_latex._innobook_cached = True
        richtext.Text.from_latex = classmethod(from_latex)

    if not getattr(BaseStyle.format_entry, "_innobook_cached", False):
        format_entry = BaseStyle.format_entry

        def cached_format_entry(self, label, entry, bib_data=None):
            if bib_data is not None:   # cross-references read other entries: not cached
                return format_entry(self, label, entry, bib_data)
            key = (_style_key(self), label, _entry_key(entry))
            _used.add(key)
            found = _entries.get(key)
            if found is None:
                found = _entries[key] = format_entry(self, label, entry, bib_data)
            return found

        cached_format_entry._innobook_cached = True
        BaseStyle.format_entry = cached_format_entry


def _style_key(style) -> tuple:
    cls = type(style)
    digest = _class_digests.get(cls)
    if digest is None:
        h = hashlib.sha256(version("pybtex").encode())
        for klass in cls.__mro__:
            if klass.__module__.split(".")[0] in ("pybtex", "builtins"):
                continue
            try:
                h.update(Path(inspect.getsourcefile(klass)).read_bytes())
            except (TypeError, OSError):
                h.update(klass.__qualname__.encode())
        digest = _class_digests[cls] = h.hexdigest()
    return (cls.__module__, cls.__qualname__, digest, type(style.name_style).__qualname__,
            type(style.label_style).__qualname__, type(style.sorting_style).__qualname__,
            style.abbreviate_names)


def _entry_key(entry) -> tuple:
    return (entry.type, entry.key, tuple((str(k), str(v)) for k, v in entry.fields.items()),
            tuple((str(role), tuple(str(p) for p in people)) for role, people in entry.persons.items()))


def load(app: Sphinx) -> None:
    path = Path(app.doctreedir) / FILE
    try:
        latex, entries = pickle.loads(path.read_bytes())
        _latex.update(latex)
        _entries.update(entries)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        pass   # no cache yet, or one written by another pybtex: format afresh
    _state["loaded"] = (frozenset(_latex), frozenset(_entries))
    _used.clear()


def save(app: Sphinx, exception) -> None:
    """Keep the entries this build formatted (every build formats them all), nothing older;
    the decoded strings, which change only with the ``.bib`` files, are all kept."""
    if exception is not None or not _used:
        return
    entries = frozenset(_used)
    if entries == _state["loaded"][1] and len(_latex) == len(_state["loaded"][0]):
        return
    path = Path(app.doctreedir) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps((_latex, {k: _entries[k] for k in entries}),
                                 protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)


def setup(app: Sphinx) -> dict:
    _install()
    app.connect("builder-inited", load)
    app.connect("build-finished", save)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
