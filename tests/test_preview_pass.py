"""The live preview's passes run in copies of one warm process: the book's own code an author
edits (``src/``, ``book/_ext/``) must still take effect at the next pass."""

from __future__ import annotations

import importlib
import os
import sys

from innobook.pipeline import preview


def test_a_pass_loads_the_books_own_modules_again_after_an_edit(tmp_path, monkeypatch):
    ext = tmp_path / "book" / "_ext"
    ext.mkdir(parents=True)
    source = ext / "innobook_probe_extension.py"
    source.write_text("WORD = 'before'\n")
    monkeypatch.syspath_prepend(str(ext))
    monkeypatch.setattr(preview, "_IMPORTED", {})
    try:
        assert importlib.import_module("innobook_probe_extension").WORD == "before"
        preview._IMPORTED.update(preview._book_modules(tmp_path))
        assert list(preview._IMPORTED) == ["innobook_probe_extension"], "only the book's own modules"
        assert not preview._forget_edited_modules(), "nothing edited: the warm modules are used"
        assert "innobook_probe_extension" in sys.modules

        imported = source.stat().st_mtime_ns
        source.write_text("WORD = 'after!'\n")
        os.utime(source, ns=(imported + 2_000_000_000, imported + 2_000_000_000))
        assert preview._forget_edited_modules(), "an edited source sends the pass to fresh modules"
        assert "innobook_probe_extension" not in sys.modules
        assert importlib.import_module("innobook_probe_extension").WORD == "after!"
    finally:
        sys.modules.pop("innobook_probe_extension", None)


def test_a_pass_reports_a_broken_configuration_in_one_line():
    import yaml

    from innobook.pipeline.faults import expected_fault

    try:
        yaml.safe_load('title: "a" b')
    except yaml.YAMLError as err:
        message, code = expected_fault(err)
    assert "not valid YAML" in message and "line 1" in message and code == 1
