"""The Chinese edition's bibliography: the same entries, in a list a Chinese reader expects.

The English edition formats the ``.bib`` files with pybtex's ``alpha`` style. The Chinese
edition uses :class:`ChineseStyle`, the same style with four changes:

* a date with its month reads ``2017年10月``, the edition ``第2版``, a report, thesis or editor in Chinese, and
  a web address is introduced by ``网址：``;
* names are listed as Chinese reference lists list them (GB/T 7714): separated by commas,
  with no "and";
* the English gloss the English edition puts beside a Chinese name or title, ``国家统计局 (NBS)``, is
  left out: in Chinese the name is enough;
* the entries' notes (how a document was read, what it is, what it shows) are taken from
  ``locales/zh_CN/bibliography.po``, translated like the pages' prose (one message per entry
  and field; ``python -m innobook i18n update`` adds new and changed notes). A note without a
  translation stays English; the catalog check refuses it in a published edition.

Everything else (authors, titles, journals, volumes, pages, DOIs) is printed as published,
which is how Chinese reference lists cite foreign works too.
"""

from __future__ import annotations

import re
from pathlib import Path

from pybtex.database import Entry, Person
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.template import field, href, join, names, optional, sentence

from innobook.pipeline.catalogs import BIB_NOTES as TRANSLATED, BIBLIOGRAPHY as CATALOG  # noqa: E402

NAME = "innobook_zh"
#: The fields whose English gloss after Chinese text is dropped.
NAMED = ("title", "organization", "institution", "publisher", "school", "journal", "howpublished")
HAN = re.compile(r"[\u3400-\u9fff]")
# A parenthesis in Latin letters after Chinese text: "国家统计局 (NBS, MOST)", "丈量城市 (a blog)".
GLOSS = re.compile(r"(?<=[\u3400-\u9fff》」”）)])\s*\((?![^()]*[\u3400-\u9fff])[^()]*[A-Za-z][^()]*\)")
KINDS = {"techreport": "报告", "phdthesis": "博士学位论文", "mastersthesis": "硕士学位论文"}
MONTHS = {name: i for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

_translations: dict[tuple[str, str], str] = {}


def without_gloss(text: str) -> str:
    """``"国家统计局, 科学技术部 (NBS, MOST)"`` -> ``"国家统计局、科学技术部"``."""
    text = GLOSS.sub("", text).strip()
    return re.sub(r"(?<=[\u3400-\u9fff]),\s*(?=[\u3400-\u9fff])", "、", text)


def chinese_date(year: str, month: str | None) -> str:
    """``("2017", "October")`` -> ``"2017年10月"``; a year alone stays as it is (``2013``), as
    Chinese reference lists print it."""
    number = MONTHS.get((month or "").strip().lower()[:3])
    return f"{year}年{number}月" if number else year


def load_translations(root: Path) -> dict[tuple[str, str], str]:
    """``{(key, field): Chinese}`` from the catalog (translated, not fuzzy)."""
    from babel.messages.pofile import read_po

    path = root / CATALOG
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    found = {}
    for message in catalog:
        if message.id and message.string and not message.fuzzy and message.context:
            key, _, name = message.context.rpartition(".")
            found[(key, name)] = message.string
    return found


class ChineseStyle(AlphaStyle):
    """pybtex's ``alpha`` style for the Chinese edition (see the module docstring)."""

    def format_entry(self, label, entry, bib_data=None):
        return super().format_entry(label, self.chinese(entry), bib_data)

    def chinese(self, entry: Entry) -> Entry:
        fields = dict(entry.fields)
        for name in NAMED:
            if name in fields:
                fields[name] = without_gloss(fields[name])
        for name in TRANSLATED:
            if name in fields and (entry.key, name) in _translations:
                fields[name] = _translations[(entry.key, name)]
        if "year" in fields:
            fields["year"] = chinese_date(fields["year"], fields.pop("month", None))
        if entry.type in KINDS and "type" not in fields:
            fields["type"] = KINDS[entry.type]
        persons = {role: [Person(without_gloss(str(p))) if HAN.search(str(p)) else p for p in people]
                   for role, people in entry.persons.items()}
        copy = Entry(entry.type, fields=fields, persons=persons)
        copy.key = entry.key
        return copy

    def format_names(self, role, as_sentence=True):
        listed = names(role, sep=", ", sep2=", ", last_sep=", ")
        return sentence[listed] if as_sentence else listed

    def format_editor(self, e, as_sentence=True):
        result = join[self.format_names("editor", as_sentence=False), "（编）"]
        return sentence[result] if as_sentence else result

    def format_edition(self, e):
        return optional[join["第", field("edition"), "版"]]

    def format_url(self, e):
        url = field("url", raw=True)
        return join["网址：", href(url)[url]]

    def format_web_refs(self, e):
        return sentence[
            optional[self.format_url(e), optional["（访问于", field("urldate"), "）"]],
            optional[self.format_eprint(e)],
            optional[self.format_pubmed(e)],
            optional[self.format_doi(e)],
        ]


def setup_style(app) -> None:
    """Register the style with pybtex and, in the Chinese edition, read the notes' catalog."""
    import pybtex.plugin

    pybtex.plugin.register_plugin("pybtex.style.formatting", NAME, ChineseStyle, force=True)

    def read_catalog(app):
        if app.config.bibtex_default_style == NAME:
            _translations.clear()
            _translations.update(load_translations(Path(app.srcdir)))

    app.connect("builder-inited", read_catalog)
