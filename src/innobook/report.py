"""Key results: glued into the prose and recorded in the run's results JSON.

A notebook calls :func:`key_result` for every number the prose quotes. The value
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


def recorded() -> dict[str, Any]:
    """What this kernel has recorded so far (for a summary cell)."""
    return dict(_recorded)
