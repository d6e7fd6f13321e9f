"""Figure numbers without reading every page again at each incremental build.

With ``numfig`` on, Sphinx numbers figures, tables and code blocks across the whole book after
every read phase: :meth:`sphinx.environment.collectors.toctree.TocTreeCollector.assign_figure_numbers`
walks the root page's tree of pages and loads every page's doctree from disk to find its
sections, tables of contents and numbered nodes (about half a second for this book, in each
edition, at every build, even one that re-read a single page).

Here that method walks, in place of each page's doctree, a skeleton of it: the same nodes
Sphinx's walk looks at (sections, ``toctree`` nodes, and every node Sphinx numbers, copied
with its caption), and none of the rest. A page's skeleton is kept in the build
environment (pickled with it) and dropped when the page is read again or removed, so an
incremental build loads only the doctrees of the pages it read. Sphinx's own walk runs on the
skeletons, and each copy of a node that may be numbered passes Sphinx's own test the way the
node does (it is kept whole otherwise), so the numbers are Sphinx's;
``tests/test_figure_numbers.py`` compares them, clean and after an edit.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

#: Changed whenever the skeleton's shape changes, so skeletons kept by older code are not used.
VERSION = 3
ATTRIBUTE = "_innobook_figure_skeletons"


def _figtype(env, node) -> str | None:
    """Sphinx's own test (``assign_figure_numbers.get_figtype``): may this node be numbered?"""
    for domain in env.domains.values():
        figtype = domain.get_enumerable_node_type(node)
        if domain.name == "std" and not domain.get_numfig_title(node):
            continue
        if figtype:
            return figtype
    return None


def _detached(node: nodes.Node) -> nodes.Node:
    """``node`` with no link to its page's document (a copy keeps one, and pickling the copy
    would then store the whole page again)."""
    for each in node.findall(include_self=True):
        each.document = None
    return node


def skeleton(env, tree: nodes.Element) -> nodes.Element | None:
    """A copy of ``tree`` keeping only what the figure-numbering walk reads, or None when
    nothing under it matters: sections (their ids), ``toctree`` nodes (whole), and each node
    that may be numbered with its caption or title (what decides whether it is numbered) and
    whatever numbered nodes it holds. A page's skeleton is a plain element holding the
    skeletons of the page's children."""
    if isinstance(tree, addnodes.toctree):
        return _detached(tree.deepcopy())
    figtype = _figtype(env, tree)
    kept = []
    for child in tree.children:
        if figtype and isinstance(child, (nodes.caption, nodes.title)):
            kept.append(_detached(child.deepcopy()))
        elif isinstance(child, nodes.Element):
            found = skeleton(env, child)
            if found is not None:
                kept.append(found)
    if isinstance(tree, nodes.document):
        page = nodes.Element()
        page.extend(kept)
        return page
    if not kept and not figtype:
        return None
    copy = _detached(tree.copy())   # the attributes (ids) without the children
    copy.extend(kept)
    if figtype and _figtype(env, copy) != figtype:
        return _detached(tree.deepcopy())   # a title getter that reads more: keep it all
    return copy


def _skeletons(env) -> dict:
    store = env.__dict__.get(ATTRIBUTE)
    if not isinstance(store, dict) or store.get("version") != VERSION:
        store = {"version": VERSION, "pages": {}}
        setattr(env, ATTRIBUTE, store)
    return store["pages"]


def _install() -> None:
    from sphinx.environment.collectors.toctree import TocTreeCollector

    original = TocTreeCollector.assign_figure_numbers
    if getattr(original, "_innobook_skeletons", False):
        return

    def assign_figure_numbers(self, env):
        pages = _skeletons(env)
        read = env.get_doctree

        def get_doctree(docname: str):
            found = pages.get(docname)
            if found is None:
                found = pages[docname] = skeleton(env, read(docname))
            return found

        env.get_doctree = get_doctree   # for the length of Sphinx's walk only
        try:
            return original(self, env)
        finally:
            del env.get_doctree

    assign_figure_numbers._innobook_skeletons = True
    TocTreeCollector.assign_figure_numbers = assign_figure_numbers


def forget_page(app: Sphinx, env, docname: str) -> None:
    _skeletons(env).pop(docname, None)


def setup(app: Sphinx) -> dict:
    _install()
    app.connect("env-purge-doc", forget_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
