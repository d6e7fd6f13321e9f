"""A cache of pybtex's LaTeX decoding, kept between builds.

sphinxcontrib-bibtex formats every entry of the bibliography again at each build, even an
incremental one that re-reads a single page, because citation labels must be known before
any page is resolved. Most of that time goes to :meth:`pybtex.richtext.Text.from_latex`
(``latexcodec`` decoding each field and name, twice when citations carry tooltips). The
decoded text depends on the field's string alone, so it is kept here, per string, in a pickle
beside Sphinx's doctrees (``innobook-latex.pickle``): an incremental build decodes only
strings it has not seen. The decoded objects are pybtex's own; the book's formatting is
unchanged (the references page of a clean build and of an incremental one are the same).
"""

from __future__ import annotations

import pickle
from pathlib import Path

from sphinx.application import Sphinx

FILE = "innobook-latex.pickle"
_cache: dict[str, object] = {}
_state = {"loaded": 0}


def _install() -> None:
    from pybtex import richtext

    if getattr(richtext.Text.from_latex, "_innobook_cached", False):
        return
    original = richtext.Text.from_latex.__func__

    def from_latex(cls, latex):
        if cls is not richtext.Text:
            return original(cls, latex)
        found = _cache.get(latex)
        if found is None:
            found = _cache[latex] = original(cls, latex)
        return found

    from_latex._innobook_cached = True
    richtext.Text.from_latex = classmethod(from_latex)


def load(app: Sphinx) -> None:
    path = Path(app.doctreedir) / FILE
    try:
        _cache.update(pickle.loads(path.read_bytes()))
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass   # no cache yet, or one written by another pybtex: decode afresh
    _state["loaded"] = len(_cache)


def save(app: Sphinx, exception) -> None:
    if exception is None and len(_cache) != _state["loaded"]:
        path = Path(app.doctreedir) / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(_cache, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)


def setup(app: Sphinx) -> dict:
    _install()
    app.connect("builder-inited", load)
    app.connect("build-finished", save)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
