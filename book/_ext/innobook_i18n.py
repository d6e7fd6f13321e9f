"""The two editions of the book: English and Simplified Chinese (简体中文), from one run.

Each notebook is executed once. Output that carries language (a chart, a table, a glued
sentence) holds its English form in the output's data and its Chinese form under the
output's metadata key :data:`ZH_BUNDLE`, both written by the same kernel from the same
values (see ``innobook.i18n``). The book is then rendered twice, and this module's
:func:`read_notebook` is the notebook reader of both renderings (MyST-NB's
``nb_custom_formats`` for ``.ipynb``):

* ``edition="en"`` keeps the English data and drops the Chinese bundle;
* ``edition="zh"`` puts the Chinese bundle in place of the English data;
* ``edition="source"`` (the message-catalog extraction) drops every output, so that only the
  notebooks' own Markdown goes into the prose catalogs; generated text has its own catalog.
"""

from __future__ import annotations

import functools
import os
import re

import nbformat

#: The output metadata key holding an output's Chinese mime bundle (same as innobook.i18n).
ZH_BUNDLE = "innobook/zh"
EDITIONS = ("en", "zh", "source")


def read_notebook(text: str, edition: str = "en") -> nbformat.NotebookNode:
    """Read an executed notebook for one edition (see the module docstring)."""
    if edition not in EDITIONS:
        raise ValueError(f"edition {edition!r}: use one of {', '.join(EDITIONS)}")
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and edition == "zh" and ZH_BUNDLE in cell.get("metadata", {}):
            cell.source = cell.metadata.pop(ZH_BUNDLE)   # a cell the build wrote in both languages
        if cell.cell_type != "code":
            continue
        if edition == "source":
            cell.outputs = [_skeleton(o) for o in cell.get("outputs", []) if _is_glued_markdown(o)]
            continue
        for output in cell.get("outputs", []):
            bundle = output.get("metadata", {}).pop(ZH_BUNDLE, None)
            if bundle is not None and edition == "zh":
                output["data"] = bundle
    return nb


def _is_glued_markdown(output) -> bool:
    return any(k.endswith("text/markdown") for k in output.get("data", {})) \
        and "scrapbook" in output.get("metadata", {})


def _skeleton(output):
    """A glued Markdown output reduced to its directive fences: an exercise opened in glued
    Markdown and closed in the page (sphinx-exercise's gated directives) still pairs up, and
    none of the generated words reaches the prose catalogs."""
    for key, text in output["data"].items():
        if key.endswith("text/markdown"):
            text = text if isinstance(text, str) else "".join(text)
            output["data"][key] = "\n".join(l for l in text.splitlines()
                                            if l.startswith("```") or l.startswith(":"))
    return output


# --------------------------------------------------------------- glue inside translated messages
_RENDERER = "innobook_nb_renderer"


class _Remember(dict):
    """A document's attributes that keep MyST-NB's notebook renderer for the page's later
    translated messages (MyST-NB removes it from the document when the parse ends)."""

    def __init__(self, attributes, temp_data):
        super().__init__(attributes)
        self._temp_data = temp_data

    def __setitem__(self, key, value):
        if key == "nb_renderer":
            self._temp_data[_RENDERER] = value
        super().__setitem__(key, value)


def translating_parser():
    """MyST-NB's notebook parser, which also lets a translated message use the page's glue.

    Sphinx parses each translated message (``msgstr``) as a separate small Markdown document;
    MyST-NB's glue roles look the key up in the notebook renderer stored on the document, so
    ``{glue:text}`key``` in a translation would find nothing. This parser remembers the page's
    renderer while the page is read (in ``env.temp_data``, cleared by Sphinx after each page)
    and lends it to the page's translated messages, so a translation writes the same plain
    glue reference as its English message. The values pasted are the edition's own: in the
    Chinese rendering :func:`read_notebook` has already put the Chinese bundles in place.
    """
    from myst_nb.sphinx_ import Parser

    class TranslatingParser(Parser):
        def parse(self, inputstring, document):
            temp_data = self.env.temp_data
            if document.current_source.endswith("<translated>"):
                renderer = temp_data.get(_RENDERER)
                if renderer is not None:
                    document.attributes["nb_renderer"] = renderer
                try:
                    return super().parse(inputstring, document)
                finally:
                    document.attributes.pop("nb_renderer", None)
            temp_data.pop(_RENDERER, None)
            attributes = document.attributes
            document.attributes = _Remember(attributes, temp_data)
            try:
                return super().parse(inputstring, document)
            finally:
                document.attributes = dict(document.attributes)

    return TranslatingParser


def forget_message_documents(app, doctree) -> None:
    """Nodes of a translated message still point to the small document Sphinx parsed the
    message into, and through its settings to the whole build environment; pickled with the
    page, that made each Chinese doctree about ten times the English one (and every
    incremental render load them all). They belong to the page now."""
    for node in doctree.findall():
        if getattr(node, "_document", None) not in (None, doctree):
            node._document = None


# --------------------------------------------------------------- glue from another page
def _glue_sources(env) -> dict:
    if not hasattr(env, "innobook_glue_sources"):
        env.innobook_glue_sources = {}
    return env.innobook_glue_sources


def note_glue_sources(app, doctree) -> None:
    """Record the pages whose glue a page pastes (``{glue:text}`/book/generated/x.ipynb::key```)."""
    from myst_nb.ext.glue.utils import PendingGlueReference

    found = {node["refdoc"] for node in doctree.findall(PendingGlueReference) if node.get("refdoc")}
    _glue_sources(app.env)[app.env.docname] = found


def forget_glue_sources(app, env, docname) -> None:
    _glue_sources(env).pop(docname, None)


def merge_glue_sources(app, env, docnames, other) -> None:
    for docname in docnames:
        if docname in _glue_sources(other):
            _glue_sources(env)[docname] = _glue_sources(other)[docname]


def _glue_file(env, docname: str):
    """Where MyST-NB keeps a page's glued values for other pages (``<doc>.glue.json``)."""
    from pathlib import Path

    return Path(env.mystnb_config.output_folder, *docname.split("/")[:-1], docname.split("/")[-1] + ".glue.json")


def _glue_text(env, docname: str) -> str | None:
    path = _glue_file(env, docname)
    return path.read_text(encoding="utf-8") if path.exists() else None


def remember_read(app, env, docnames) -> None:
    """The pages about to be read again, with the values they glue for other pages as they are
    before the read."""
    app.innobook_read = {doc: _glue_text(env, doc) for doc in docnames}


def pages_pasting_changed_glue(app, env) -> list[str]:
    """Pages to write again because a page whose glue they paste was read again (a re-executed
    notebook) and glues other values now: Sphinx resolves that glue when it writes, but does
    not know the dependency. A page read again with the same values (an edit to its prose)
    sends no other page to be written."""
    before = getattr(app, "innobook_read", {})
    changed = {doc for doc, text in before.items() if text is None or _glue_text(env, doc) != text}
    return sorted(doc for doc, sources in _glue_sources(env).items() if sources & changed and doc not in before)


# ------------------------------------------------------------------- the table of contents' captions
def translate_captions(app, doctree) -> None:
    """The part captions of ``_toc.yml`` in the edition's language (``innobook_captions``, from
    ``locales/zh_CN/edition.yml``): sphinx-external-toc writes them into the root page's
    toctrees, where no message catalog reaches them."""
    captions = app.config.innobook_captions
    if not captions:
        return
    from sphinx import addnodes

    for toctree in doctree.findall(addnodes.toctree):
        caption = toctree.get("caption")
        if caption in captions:
            toctree["caption"] = captions[caption]


# --------------------------------------------------------------------------- the editions' links
LABELS = {"en": ("English", "en", "en"), "zh": ("简体中文", "zh-CN", "zh-Hans")}


def edition_of(app) -> str:
    return "zh" if (app.config.language or "en").startswith("zh") else "en"


def counterpart(pagename: str, here: str, there: str) -> str:
    """The relative address of the same page in the other edition (the Chinese one lives in
    ``zh/`` under the English one)."""
    depth = pagename.count("/") + (1 if here == "zh" else 0)
    prefix = "../" * depth
    return prefix + ("zh/" if there == "zh" else "") + pagename + ".html"


def alternates(pagename: str, editions: list[str], base: str) -> str:
    """``<link rel="alternate" hreflang>`` for each edition of a page, by its full address.

    Search engines (and Lighthouse's SEO audit) accept only full addresses here, so the links
    are written once the site's public address is known (``html_baseurl`` in ``_config.yml``);
    until then the visible language links, which carry ``hreflang`` too, join the editions."""
    import html
    from urllib.parse import urljoin

    if not base:
        return ""
    base = base if base.endswith("/") else base + "/"
    return "".join(f'<link rel="alternate" hreflang="{LABELS[e][2]}" '
                   f'href="{html.escape(urljoin(base, ("zh/" if e == "zh" else "") + pagename + ".html"))}">\n'
                   for e in editions)


def on_page_context(app, pagename, templatename, context, doctree) -> None:
    """A link to the same page in the other edition at the top of every page, and ``hreflang``
    alternates in its head (see :func:`alternates`), once the site publishes more than one edition."""
    editions = list(app.config.innobook_editions or ["en"])
    here = edition_of(app)
    if len(editions) < 2 or here not in editions:
        return
    context["metatags"] = context.get("metatags", "") + alternates(pagename, editions, app.config.html_baseurl)
    context["body"] = language_nav(pagename, here, editions) + context.get("body", "")


def language_nav(pagename: str, here: str, editions: list[str]) -> str:
    """The visible link to the same page in the other edition(s)."""
    import html

    links = "".join(
        f'<a class="innobook-language__link" lang="{LABELS[e][1]}" hreflang="{LABELS[e][2]}" '
        f'href="{html.escape(counterpart(pagename, here, e))}">{LABELS[e][0]}</a>'
        for e in editions if e != here)
    label = "其他语言版本" if here == "zh" else "Other editions"
    return f'<nav class="innobook-language" aria-label="{label}">{links}</nav>'


#: Pages Sphinx writes from its own templates, without the page body the link goes into.
TEMPLATE_PAGES = ("search", "genindex")


def on_build_finished(app, exception) -> None:
    """The language link on Sphinx's search and index pages, and ``<html lang="zh-CN">`` on
    every Chinese page (Sphinx writes the configuration's ``zh_CN``)."""
    if exception is not None or app.builder.format != "html":
        return
    from pathlib import Path

    editions = list(app.config.innobook_editions or ["en"])
    here = edition_of(app)
    if len(editions) > 1 and here in editions:
        for name in TEMPLATE_PAGES:   # the language link goes above their heading
            page = Path(app.outdir) / f"{name}.html"
            if page.exists():
                text = page.read_text(encoding="utf-8")
                if "innobook-language" not in text and "<h1" in text:
                    i = text.index("<h1")
                    page.write_text(text[:i] + language_nav(name, here, editions) + text[i:], encoding="utf-8")
    if here != "zh":
        return
    from sphinx.locale import _

    # Words the theme's templates and scripts write without asking a catalog: translated by
    # the edition's interface catalog (locales/zh_CN/interface.po) all the same.
    fixed_words = [(f'{attr}="{word}"', f'{attr}="{_(word)}"') for word in FIXED_WORDS
                   for attr in ("aria-label", "title") if _(word) != word]
    outdir = Path(app.outdir)
    since = getattr(app, "_innobook_started", 0.0)   # files an earlier build finished are done
    for page in [*outdir.rglob("*.html"), *outdir.glob("_static/togglebutton.js")]:
        if page.suffix == ".html" and page.stat().st_mtime < since:   # (Sphinx copies scripts with their old times)
            continue
        text = page.read_text(encoding="utf-8")
        fixed = text.replace('<html lang="zh_CN"', '<html lang="zh-CN"', 1)
        for english, chinese in fixed_words:
            fixed = fixed.replace(english, chinese)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


#: Interface words written into templates and scripts as plain English (labels and tooltips).
FIXED_WORDS = ("Main", "Page", "Toggle primary sidebar", "Toggle secondary sidebar", "Toggle hidden content")


# --------------------------------------------------------------------------- search
class SearchWordsCache:
    """jieba's cuts of the pages' text, kept between builds beside the doctrees.

    An incremental build feeds the search index only the pages it writes, but Sphinx's Chinese
    search loads jieba's dictionary (about half a second) before it cuts a single word. The cut
    of a stretch of text depends on the text, jieba's version and the book's word list alone,
    so it is remembered per stretch (``innobook-search-words.pickle``); a build whose pages
    hold no new Chinese text never loads the dictionary. A changed word list or jieba version
    discards the whole cache. Stretches not used for 20 builds are dropped.
    """

    FILE = "innobook-search-words.pickle"
    KEEP_BUILDS = 20

    def __init__(self):
        self.words: dict[str, tuple[str, ...]] = {}
        self.last_used: dict[str, int] = {}
        self.build = 0
        self.changed = False
        self.path = None
        self.key = None

    def get(self, run: str):
        words = self.words.get(run)
        if words is not None and self.last_used.get(run) != self.build:
            self.last_used[run] = self.build
            self.changed = True
        return words

    def put(self, run: str, words: tuple[str, ...]) -> tuple[str, ...]:
        self.words[run] = words
        self.last_used[run] = self.build
        self.changed = True
        return words

    def load(self, app) -> None:
        import hashlib
        import pickle
        from importlib.metadata import version
        from pathlib import Path

        digest = hashlib.sha256(version("jieba").encode())
        words = (app.config.html_search_options or {}).get("dict")
        if words and os.path.isfile(words):
            digest.update(Path(words).read_bytes())
        self.key = digest.hexdigest()
        self.path = Path(app.doctreedir) / self.FILE
        self.words, self.last_used, self.build, self.changed = {}, {}, 0, False
        try:
            key, build, words, last_used = pickle.loads(self.path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            key = None
        if key == self.key:
            self.words, self.last_used, self.build = words, last_used, build
        self.build += 1

    def save(self, app, exception) -> None:
        import pickle

        if exception is not None or self.path is None or not self.changed:
            return
        oldest = self.build - self.KEEP_BUILDS
        kept = [run for run, used in self.last_used.items() if used > oldest]
        data = (self.key, self.build, {run: self.words[run] for run in kept},
                {run: self.last_used[run] for run in kept})
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(self.path)


SEARCH_WORDS = SearchWordsCache()
_JIEBA_DICTS: set = set()   # the word lists jieba has loaded in this process


def _search_language():
    from sphinx.search.zh import SearchChinese

    class TermSet(set):
        """Sphinx keeps the Latin words it has seen in a list, and looks each word up in it when
        stemming: quadratic in the words of the pages fed. A set answers the same questions."""

        extend = set.update

    class SearchChineseWords(SearchChinese):
        """Sphinx's Chinese search (jieba cuts the pages' text into words for the index), with a
        query splitter for the browser: a run of Chinese characters is cut into the longest
        words the index holds, so 新质生产力 finds the pages that hold 新质 and 生产力. Sphinx's own
        browser code keeps such a run whole, and finds nothing."""

        #: A stretch of text with a character outside ASCII (Chinese, or an accented word), with
        #: the letters and digits attached to it: only these go to jieba. Plain ASCII text is
        #: cut into words by Sphinx's own pattern, as jieba would cut it, at a fraction of the cost.
        NON_ASCII = re.compile(r"[A-Za-z0-9]*(?:[^\x00-\x7f]+[A-Za-z0-9]*)+")

        def init(self, options: dict) -> None:
            # SearchChinese.init, except that jieba's dictionary (half a second) is loaded only
            # when a stretch of text is not in the words cache (see :class:`SearchWordsCache`)
            import snowballstemmer

            self._dict = options.get("dict")
            self.stemmer = snowballstemmer.stemmer("english")
            self.latin_terms = TermSet()
            # the English stemmer is a pure function of the word; the pages repeat their words
            self._stem_word = functools.lru_cache(maxsize=None)(self.stemmer.stemWord)

        def cut(self, run: str) -> tuple[str, ...]:
            words = SEARCH_WORDS.get(run)
            if words is None:
                import jieba

                if self._dict not in _JIEBA_DICTS:
                    if self._dict and os.path.isfile(self._dict):
                        jieba.load_userdict(self._dict)
                    _JIEBA_DICTS.add(self._dict)
                words = SEARCH_WORDS.put(run, tuple(jieba.cut_for_search(run)))
            return words

        def split(self, input: str) -> list[str]:
            chinese = [w for run in self.NON_ASCII.findall(input) for w in self.cut(run)]
            latin1 = [term.strip() for term in self.latin1_letters.findall(input)]
            self.latin_terms.extend(latin1)
            return chinese + latin1

        def stem(self, word: str) -> str:
            # SearchChinese.stem, with the stemmer's answers remembered
            stemmed = self._stem_word(word.lower())
            if word in self.latin_terms and len(word) >= 3 and len(stemmed) < 3:
                return word.lower()
            return stemmed

        js_splitter_code = r"""
function splitQuery(query) {
  const index = (typeof Search !== "undefined" && Search._index) ? Search._index : {};
  const known = (w) => (index.terms && w in index.terms) || (index.titleterms && w in index.titleterms);
  const out = [];
  for (const part of query.split(/[^\p{L}\p{N}_]+/gu)) {
    for (const run of (part.match(/[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+/g) || [])) {
      if (!/[\u3400-\u9fff\uf900-\ufaff]/.test(run)) { out.push(run); continue; }
      let i = 0;
      while (i < run.length) {
        let n = Math.min(8, run.length - i);
        while (n > 1 && !known(run.substr(i, n))) n--;
        if (n > 1 || known(run[i]) || run.length === 1) out.push(run.substr(i, n));
        i += n;
      }
    }
  }
  return out.filter((w) => w.length > 0);
}
"""

    return SearchChineseWords


def setup(app):
    app.add_config_value("innobook_editions", ["en"], "html")
    app.add_config_value("innobook_captions", {}, "env")
    from innobook_bib_zh import setup_style

    setup_style(app)
    app.connect("doctree-read", translate_captions)
    app.connect("doctree-read", note_glue_sources)
    app.connect("doctree-read", forget_message_documents)
    app.connect("env-purge-doc", forget_glue_sources)
    app.connect("env-merge-info", merge_glue_sources)
    app.connect("env-before-read-docs", remember_read)
    app.connect("env-get-updated", pages_pasting_changed_glue)
    app.add_search_language(_search_language())
    app.connect("builder-inited", SEARCH_WORDS.load)
    app.connect("build-finished", SEARCH_WORDS.save)
    app.setup_extension("myst_nb")
    app.add_source_parser(translating_parser(), override=True)
    app.connect("html-page-context", on_page_context)
    app.connect("build-finished", on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
