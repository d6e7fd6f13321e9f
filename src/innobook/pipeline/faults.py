"""Faults a user can cause and fix, turned into a one-line message and an exit code.

Used by the command line (``python -m innobook``) and by the live preview, which prints the
same message and goes on serving.
"""

from __future__ import annotations


def expected_fault(err: Exception) -> tuple[str, int] | None:
    """The message and exit code of a fault a user can cause and fix, or None."""
    from ..data import DataValidationError
    from .params import ParameterError

    if isinstance(err, ParameterError):
        return str(err), 2
    if isinstance(err, DataValidationError):
        return f"Data check failed, nothing was executed:\n{err}", 2
    from .catalogs import CatalogError

    if isinstance(err, CatalogError):
        return str(err), 1
    import yaml

    if isinstance(err, yaml.YAMLError):
        return f"a YAML file (_config.yml, _toc.yml or a notebook's .params.yml) is not valid YAML: {err}", 1
    if isinstance(err, PermissionError):
        return (f"cannot write {err.filename or 'a file'} ({err.strerror}); check that folder's "
                "permissions or choose another folder", 2)
    if isinstance(err, OSError) and err.filename:
        return f"{err.filename}: {err.strerror or err}; check that path and its folder", 1
    return None
