"""Figure numbers from page skeletons (``book/_ext/innobook_figure_numbers.py``) are Sphinx's.

A small Sphinx project (figures, tables and captioned code blocks on three pages, one figure
without a caption, which Sphinx does not number, and a section; the numbers run through the
book) is built with and without the extension, clean and after an edit that adds a figure to
the first page; the numbers Sphinx records must be the same each time.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

EXT = Path(__file__).resolve().parents[1] / "book" / "_ext"

PAGES = {
    "index.rst": """Book
====

.. toctree::

   a
   b
""",
    "a.rst": """A
=

.. figure:: pic.png

   First caption.

.. figure:: pic.png

Section
-------

.. table:: A titled table

   ===  ===
   x    y
   ===  ===
   1    2
   ===  ===

.. code-block:: python
   :caption: Some code

   x = 1
""",
    "b.rst": """B
=

.. figure:: pic.png
   :name: fig-b

   Second page's figure, see :numref:`fig-b`.

.. list-table:: Listed
   :header-rows: 1

   * - a
   * - 1
""",
}

ADDED = """
.. figure:: pic.png

   A figure added at the top.

"""


def _project(folder: Path, with_extension: bool) -> Path:
    folder.mkdir(parents=True)
    for name, text in PAGES.items():
        (folder / name).write_text(text)
    (folder / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    extensions = ["innobook_figure_numbers"] if with_extension else []
    (folder / "conf.py").write_text(f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
                                    f"extensions = {extensions!r}\nnumfig = True\n")
    return folder


def _build(folder: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(folder),
                           str(folder / "_out"), "-d", str(folder / "_doctrees")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = pickle.loads((folder / "_doctrees" / "environment.pickle").read_bytes())
    return env.toc_fignumbers


def _add_figure(folder: Path) -> None:
    page = folder / "a.rst"
    text = page.read_text()
    page.write_text(text.replace("A\n=\n", "A\n=\n" + ADDED, 1))


def test_skeleton_figure_numbers_are_sphinx_numbers(tmp_path):
    with_ext = _project(tmp_path / "with", True)
    without = _project(tmp_path / "without", False)
    first = _build(with_ext)
    assert first == _build(without)
    assert first["a"]["figure"] and first["a"]["table"] and first["a"]["code-block"] and first["b"]["figure"]
    assert len(first["a"]["figure"]) == 1, "the figure without a caption is not numbered"

    _add_figure(with_ext)
    _add_figure(without)
    incremental = _build(with_ext)   # a's skeleton made again, b's kept from the first build
    assert incremental == _build(without)
    assert incremental["b"]["figure"] != first["b"]["figure"], "b's figure number moved on"
