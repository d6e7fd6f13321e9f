"""Publishing results: one call glues a value into the prose and records it as a key result.

A notebook calls :func:`key_result` for every number the prose quotes, and
:func:`sentence` for a sentence built from the data. Cells that only publish are
plumbing, not analysis: the templates tag them ``remove-cell`` so the rendered page
shows the code that teaches (loading, computing, charting) and none of this. The value
is glued with myst-nb (so the page shows it with ``{glue:text}``) as a plain
Python value, never a NumPy scalar, whose text form is what the build reads back
into ``book/generated/results/<run>.json``. There is one source of truth: the
number on the page and the number in the JSON are the same object.
"""

from __future__ import annotations

import math
import re
from numbers import Integral, Real
from typing import Any

from . import i18n
from .tables import WORD, zh_term

GLUE_PREFIX = "application/papermill.record/"   # myst_nb.ext.glue.GLUE_PREFIX
_recorded: dict[str, Any] = {}


def plain(value: Any) -> Any:
    """Convert NumPy and pandas scalars (and lists of them) to plain Python values."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        if math.isnan(value):
            return None
        return value
    if isinstance(value, str):
        return value
    raise TypeError(f"key results must be numbers, strings, booleans or lists, got {type(value).__name__}")


# An element whose whole text is one lowercase word: a verdict badge, an <em>fact</em>, an
# <option>all</option> (code, scripts and styles excepted).
_LONE_WORD = re.compile(r"(<(?!(?:code|kbd|samp|pre|script|style)\b)[a-zA-Z][^>]*>)(\s*)([a-z]+)(\s*)(?=</)")


def zh_words_html(text: str) -> str:
    """Chinese HTML: :func:`innobook.i18n.zh_html`, with an element that holds a single word
    (which ``zh_html`` takes for an identifier) translated as a word."""
    return i18n.zh_html(_LONE_WORD.sub(lambda m: m.group(1) + m.group(2) + zh_term(m.group(3)) + m.group(4),
                                       text))


def _chinese(variable: Any) -> Any:
    """The Chinese form of a glued value: text translated, numbers as they are."""
    from IPython.display import HTML, Markdown

    if isinstance(variable, str):
        return zh_term(variable)
    if isinstance(variable, (list, tuple)):
        return type(variable)(_chinese(v) for v in variable)
    if isinstance(variable, Markdown):
        text = variable.data
        return Markdown(zh_term(text) if WORD.fullmatch(text.strip()) else i18n.zh_markdown(text))
    if isinstance(variable, HTML):
        return HTML(zh_words_html(variable.data))
    return variable


def _both_editions(obj) -> tuple[dict, dict]:
    """IPython's Markdown and HTML displays in both editions: the English as the output, the
    Chinese (text through :mod:`innobook.i18n`) in its metadata. Registered with IPython when a
    notebook imports this module, so a notebook's visible code keeps IPython's own classes."""
    from IPython.display import Markdown

    mime = "text/markdown" if isinstance(obj, Markdown) else "text/html"
    i18n.take_missing()
    return {mime: obj.data}, i18n.bundle_metadata({mime: _chinese(obj).data})


def _install() -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, Markdown
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebooks
        return
    shell = get_ipython()
    if shell is not None:
        for cls in (Markdown, HTML):
            shell.display_formatter.mimebundle_formatter.for_type(cls, _both_editions)


_install()


def glue(name: str, variable: Any, display: bool = False) -> None:
    """:func:`myst_nb.glue` for both editions: the English display under ``name`` and, in the
    output's metadata, the Chinese one (text through :mod:`innobook.i18n`, numbers unchanged).
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    prefix = "" if display else GLUE_PREFIX
    bundle, metadata = format_display_data(variable)
    metadata = dict(metadata or {})
    chinese = metadata.pop(i18n.ZH_BUNDLE, None)   # an object that draws both itself (a table)
    untranslated = metadata.pop(i18n.UNTRANSLATED, [])
    if chinese is None:
        i18n.take_missing()
        chinese, _ = format_display_data(_chinese(variable))
        untranslated = i18n.take_missing()
    metadata["scrapbook"] = dict(name=name, mime_prefix=prefix)
    if chinese != bundle:
        metadata[i18n.ZH_BUNDLE] = {prefix + k: v for k, v in chinese.items()}
    if untranslated:
        metadata[i18n.UNTRANSLATED] = untranslated
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def key_result(name: str, value: Any) -> Any:
    """Glue ``value`` under ``name`` for the prose and record it as a key result."""
    if name in _recorded:
        raise ValueError(f"key result {name!r} recorded twice")
    value = plain(value)
    _recorded[name] = value
    glue(name, value, display=False)
    return value


def sentence(name: str, text: str) -> str:
    """Publish a sentence built from the data.

    It is recorded as the key result ``name`` (plain text) and glued as Markdown under
    ``name + "_md"``, for ``{glue:md}`` in the prose.
    """
    from IPython.display import Markdown

    key_result(name, text)
    glue(name + "_md", Markdown(text), display=False)
    return text


def recorded() -> dict[str, Any]:
    """What this kernel has recorded so far (for a summary cell)."""
    return dict(_recorded)
