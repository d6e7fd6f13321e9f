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
from numbers import Integral, Real
from typing import Any

from myst_nb import glue

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
