"""Sphinx directive ``{datapackage-catalog}``: the book's data sets, listed from their description.

The Data page is generated from ``data/datapackage.json`` at build time, so it can never
drift from the data: for each resource it shows the title and description, a download
link for the CSV, its license, its coverage (rows, columns, years), the vintage note for
official statistics, and its sources, each linked to the bibliography.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx


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
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        package_path = root / "data" / "datapackage.json"
        env.note_dependency(str(package_path))
        package = json.loads(package_path.read_text(encoding="utf-8"))
        out: list[nodes.Node] = []
        for res in package["resources"]:
            out.append(self._resource(res, root, env))
        return out

    def _resource(self, res: dict, root: Path, env) -> nodes.Node:
        path = root / "data" / res["path"]
        env.note_dependency(str(path))
        rows, span = _coverage(path)
        section = nodes.section(ids=[nodes.make_id("data-" + res["name"])])
        section += nodes.title(text=res.get("title", res["name"]))
        section += nodes.paragraph(text=res.get("description", ""))

        items = nodes.bullet_list()

        def item(label: str, *children: nodes.Node) -> None:
            para = nodes.paragraph()
            para += nodes.strong(text=f"{label}: ")
            for child in children:
                para += child
            items.append(nodes.list_item("", para))

        download = addnodes.download_reference("", "", reftarget="/data/" + res["path"],
                                              refdoc=env.docname, refexplicit=True, refdomain="",
                                              reftype="download")
        download += nodes.literal(text=f"data/{res['path']}")
        item("Download", download, nodes.Text(f" (CSV, UTF-8; resource name {res['name']})"))
        fields = res["schema"]["fields"]
        coverage = f"{rows} rows, {len(fields)} columns" + (f", years {span}" if span else "")
        item("Coverage", nodes.Text(coverage))
        licenses = "; ".join(l.get("title") or l.get("name", "") for l in res.get("licenses", []))
        if licenses:
            item("License", nodes.Text(licenses))
        if res.get("vintage_note"):
            item("Vintage", nodes.Text(res["vintage_note"]))
        units = sorted({f"{f['name']} ({f['unit']})" for f in fields if f.get("unit")})
        if units:
            item("Units", nodes.Text("; ".join(units)))
        section += items

        sources = res.get("sources", [])
        if sources:
            section += nodes.paragraph(text=f"Sources ({len(sources)}):")
            lines = []
            for s in sources:
                text = s.get("title", "")
                if s.get("publisher"):
                    text += f", {s['publisher']}"
                if s.get("date"):
                    text += f", {s['date']}"
                if s.get("bibkey"):
                    text += f" {{cite:p}}`{s['bibkey']}`"
                lines.append(f"- {text}")
            container = nodes.container(classes=["datapackage-sources"])
            self.state.nested_parse(StringList(lines, source="data/datapackage.json"),
                                    self.content_offset, container)
            section += container
        return section


def setup(app: Sphinx) -> dict:
    app.add_directive("datapackage-catalog", DataPackageCatalog)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
