"""Sphinx directive ``{datapackage-catalog}``: the book's data sets, listed from their description.

The Data page is generated from ``data/datapackage.json`` at build time, so it can never
drift from the data: for each resource it shows the title and description, a download
link for the CSV, its license, its coverage (rows, columns, years), the vintage note for
official statistics, and its sources, each linked to the bibliography.

Every text from the data package becomes a text node, never markup to be parsed: a title
holding ``<script>`` or a MyST role is shown as those characters (``innobook.data`` refuses
markup in metadata as well; this is the second line of defence). Only the citation of a
source is parsed, from its bibliography key, which must look like one.

The page's own words (Download, Coverage, License...) are written in the edition's language
(:data:`WORDS`); the package's texts are shown as written, or in Chinese where the
generated-text catalog has them (``innobook_panels.data_text``).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx


BIBKEY = re.compile(r"[A-Za-z0-9_:.+-]+")

#: The catalog's own words, per edition.
WORDS = {
    "en": {"label": "{label}: ", "download": "Download", "file": " (CSV, UTF-8; resource name {name})",
           "coverage": "Coverage", "rows": "{rows} rows, {columns} columns", "years": ", years {span}",
           "license": "License", "vintage": "Vintage", "units": "Units", "unit": "{field} ({unit})",
           "sep": "; ", "list_sep": ", ", "sources": "Sources ({n}):"},
    "zh": {"label": "{label}：", "download": "下载", "file": "（CSV，UTF-8编码；资源名 {name}）",
           "coverage": "覆盖范围", "rows": "{rows}行，{columns}列", "years": "，年份{span}",
           "license": "许可", "vintage": "数据版本", "units": "单位", "unit": "{field}（{unit}）",
           "sep": "；", "list_sep": "，", "sources": "来源（{n}项）："},
}


def _coverage(csv_path: Path) -> tuple[int, str]:
    """Number of data rows and the span of the ``year`` column, if there is one."""
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    years = sorted({int(r["year"]) for r in rows if r.get("year", "").strip().isdigit()})
    span = f"{years[0]}-{years[-1]}" if years else ""
    return len(rows), span


class DataPackageCatalog(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from innobook_i18n import edition_of

        env = self.state.document.settings.env
        self.lang = edition_of(env.app)
        self.words = WORDS[self.lang]
        root = Path(env.srcdir)
        package_path = root / "data" / "datapackage.json"
        env.note_dependency(str(package_path))
        package = json.loads(package_path.read_text(encoding="utf-8"))
        out: list[nodes.Node] = []
        for res in package["resources"]:
            out.append(self._resource(res, root, env))
        return out

    def _text(self, text: str) -> str:
        import innobook_panels

        return innobook_panels.data_text(text, self.lang)

    def _resource(self, res: dict, root: Path, env) -> nodes.Node:
        w = self.words
        path = root / "data" / res["path"]
        env.note_dependency(str(path))
        rows, span = _coverage(path)
        section = nodes.section(ids=[nodes.make_id("data-" + res["name"])])
        section += nodes.title(text=self._text(res.get("title", res["name"])))
        section += nodes.paragraph(text=self._text(res.get("description", "")))

        items = nodes.bullet_list()

        def item(label: str, *children: nodes.Node) -> None:
            para = nodes.paragraph()
            para += nodes.strong(text=w["label"].format(label=label))
            for child in children:
                para += child
            items.append(nodes.list_item("", para))

        download = addnodes.download_reference("", "", reftarget="/data/" + res["path"],
                                              refdoc=env.docname, refexplicit=True, refdomain="",
                                              reftype="download")
        download += nodes.literal(text=f"data/{res['path']}")
        item(w["download"], download, nodes.Text(w["file"].format(name=res["name"])))
        fields = res["schema"]["fields"]
        coverage = w["rows"].format(rows=rows, columns=len(fields)) + (w["years"].format(span=span) if span else "")
        item(w["coverage"], nodes.Text(coverage))
        licenses = w["sep"].join(self._text(l.get("title") or l.get("name", "")) for l in res.get("licenses", []))
        if licenses:
            item(w["license"], nodes.Text(licenses))
        if res.get("vintage_note"):
            item(w["vintage"], nodes.Text(self._text(res["vintage_note"])))
        units = sorted({w["unit"].format(field=f["name"], unit=self._text(f["unit"])) for f in fields if f.get("unit")})
        if units:
            item(w["units"], nodes.Text(w["sep"].join(units)))
        section += items

        sources = res.get("sources", [])
        if sources:
            section += nodes.paragraph(text=w["sources"].format(n=len(sources)))
            listing = nodes.bullet_list()
            for s in sources:
                text = w["list_sep"].join(str(s[k]) for k in ("title", "publisher", "date") if s.get(k))
                para = nodes.paragraph()
                para += nodes.Text(text)
                key = s.get("bibkey")
                if isinstance(key, str) and BIBKEY.fullmatch(key):
                    para += nodes.Text(" ")
                    para.extend(self._cite(key))
                listing += nodes.list_item("", para)
            container = nodes.container(classes=["datapackage-sources"])
            container += listing
            section += container
        return section


    def _cite(self, key: str) -> list[nodes.Node]:
        """The nodes of ``{cite:p}`key``` (the key was checked to be a plain identifier)."""
        holder = nodes.container()
        self.state.nested_parse(StringList([f"{{cite:p}}`{key}`"], source="data/datapackage.json"),
                                self.content_offset, holder)
        parts: list[nodes.Node] = []
        for child in list(holder.children):
            inner = list(child.children) if isinstance(child, nodes.paragraph) else [child]
            for node in inner:
                node.parent = None
                parts.append(node)
        return parts


def setup(app: Sphinx) -> dict:
    app.add_directive("datapackage-catalog", DataPackageCatalog)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
