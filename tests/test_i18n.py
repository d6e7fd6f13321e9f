"""The Chinese edition's safety rules: a translation cannot lose or change a number.

The checks in ``innobook.pipeline.catalogs`` (prose) and ``innobook.i18n`` (generated text)
are exercised on broken translations, in scratch copies of the catalogs where a file is
involved; the committed prose catalogs must pass them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from innobook import i18n
from innobook.pipeline import catalogs

ROOT = Path(__file__).resolve().parents[1]
SRC = "Spending rose {glue:text}`rnd_pct:.1f`% in 2023 {cite:p}`nbs_2024` (see {doc}`../cities`)."
DOC = "book/generated/rnd_growth"


def test_a_faithful_translation_passes():
    ok = "2023年支出增长{glue:text}`rnd_pct:.1f`%{cite:p}`nbs_2024`（见{doc}`城市 <../cities>`）。"
    assert catalogs.check_message(SRC, ok, DOC) == []


@pytest.mark.parametrize("broken, rule", [
    ("2023年支出增长%{cite:p}`nbs_2024`（见{doc}`../cities`）。", "glue references"),
    ("2023年支出增长{glue:text}`rnd_pct:.0f`%{cite:p}`nbs_2024`（见{doc}`../cities`）。", "glue references"),
    ("2023年支出增长{glue:text}`other:.1f`%{cite:p}`nbs_2024`（见{doc}`../cities`）。", "glue references"),
    ("2023年支出增长{glue:text}`rnd_pct:.1f`%，即8.3%{cite:p}`nbs_2024`（见{doc}`../cities`）。", "typed by hand"),
    ("2024年支出增长{glue:text}`rnd_pct:.1f`%{cite:p}`nbs_2024`（见{doc}`../cities`）。", "typed by hand"),
    ("2023年支出增长{glue:text}`rnd_pct:.1f`%（见{doc}`../cities`）。", "citations"),
    ("2023年支出增长{glue:text}`rnd_pct:.1f`%{cite:p}`nbs_2024`（见{doc}`../data`）。", "citations"),
])
def test_a_broken_translation_is_caught(broken, rule):
    found = catalogs.check_message(SRC, broken, DOC)
    assert any(rule in f for f in found), found


def test_path_form_and_plain_form_count_as_the_same_reference():
    same = "增长{glue:text}`/book/generated/rnd_growth.ipynb::rnd_pct:.1f`%（2023年）{cite:p}`nbs_2024`" \
           "（见{doc}`../cities`）。"
    assert catalogs.check_message(SRC, same, DOC) == []


def _scratch(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    shutil.copytree(ROOT / "locales", root / "locales")
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")          # names the .bib files
    shutil.copytree(ROOT / "book" / "bib", root / "book" / "bib")
    (root / catalogs.OUTPUTS).unlink(missing_ok=True)   # the prose catalogs only
    return root


def _break(po: Path, mutate) -> None:
    from babel.messages.pofile import write_po

    catalog = catalogs.read(po)
    for message in catalog:
        if message.id and "{glue:text}" in message.id and message.string:
            message.string = mutate(message.string)
            break
    else:
        pytest.fail(f"{po} has no translated message with a glue reference")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=0)


@pytest.mark.parametrize("mutate, rule", [
    (lambda s: s.replace("{glue:text}", "{glue:md}", 1), "glue references"),
    (lambda s: s + "（约12.5%）", "typed by hand"),
])
def test_compiling_refuses_a_broken_catalog_and_names_it(tmp_path, mutate, rule):
    root = _scratch(tmp_path)
    po = root / catalogs.MESSAGES / "book" / "conclusion.po"
    _break(po, mutate)
    with pytest.raises(catalogs.CatalogError) as err:
        catalogs.compile_all(root)
    assert "locales/zh_CN/LC_MESSAGES/book/conclusion.po" in str(err.value)
    assert rule in str(err.value)
    assert not (root / catalogs.COMPILED).exists(), "nothing is compiled from a broken catalog"


def test_catalogs_are_checked_again_only_when_what_they_read_changed(tmp_path):
    root = _scratch(tmp_path)
    assert catalogs.compile_if_changed(root), "the first build checks and compiles"
    compiled = root / catalogs.COMPILED / catalogs.LANGUAGE / "LC_MESSAGES" / "book" / "conclusion.mo"
    assert compiled.exists()
    assert not catalogs.compile_if_changed(root), "nothing changed: nothing to check"
    compiled.unlink()
    assert catalogs.compile_if_changed(root), "a compiled catalog missing: compiled again"
    po = root / catalogs.MESSAGES / "book" / "conclusion.po"
    _break(po, lambda s: s + "（约12.5%）")
    with pytest.raises(catalogs.CatalogError):
        catalogs.compile_if_changed(root)
    with pytest.raises(catalogs.CatalogError):   # refused again: a failed check is not remembered
        catalogs.compile_if_changed(root)


def test_a_fuzzy_message_is_refused(tmp_path):
    from babel.messages.pofile import write_po

    root = _scratch(tmp_path)
    po = root / catalogs.MESSAGES / "book" / "intro.po"
    catalog = catalogs.read(po)
    next(m for m in catalog if m.id and m.string).flags.add("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=0)
    problems = catalogs.check_catalog(po, root)
    assert any("fuzzy" in p.rule for p in problems)


def test_every_published_page_has_a_complete_valid_catalog():
    problems = [p for p in catalogs.check_all(ROOT) if p.path != catalogs.OUTPUTS.as_posix()]
    assert problems == [], "\n".join(p.describe() for p in problems[:10])


def test_generated_text_catalog_entries_carry_their_placeholders():
    problems = [p for p in catalogs.check_outputs(ROOT, complete=False)
                if "not in the catalog" not in p.rule]
    assert problems == [], "\n".join(p.describe() for p in problems[:10])


# --------------------------------------------------------------------------- generated text
def test_template_takes_the_numbers_out_and_fill_puts_them_back():
    pattern, values = i18n.template("R&D rose 8.3% in 2024, to 3,613.0 billion yuan")
    assert pattern == "R&D rose {0}% in {1}, to {2} billion yuan"
    assert i18n.fill("{1}年研发经费增长{0}%，达到{2}十亿元", values) == "2024年研发经费增长8.3%，达到3,613.0十亿元"


@pytest.mark.parametrize("target, ok", [("{1}年增长{0}%", True), ("{1}年增长{0}%，即2024年", False),
                                        ("增长{0}%", False)])
def test_generated_text_entries_are_checked(target, ok):
    assert (i18n.check_entry("rose {0}% in {1}", target) == []) is ok


@pytest.mark.parametrize("source, target, ok", [
    ("adopted on {0} October {1}", "{1}年10月{0}日通过", True),     # October is month 10
    ("adopted on {0} October {1}", "{1}年11月{0}日通过", False),    # a different month
    ("adopted in {0}", "{0}年10月通过", False),                     # no month in the source
])
def test_a_month_the_source_names_may_be_written_in_digits(source, target, ok):
    assert (i18n.check_entry(source, target) == []) is ok
    prose_source, prose_target = i18n.fill(source, ["23", "2025"]), i18n.fill(target, ["23", "2025"])
    assert (catalogs.check_message(prose_source, prose_target, DOC) == []) is ok


def test_an_untranslated_text_stays_english_and_is_recorded(monkeypatch):
    entries = {"Share of {0}": "{0}年占比", "R&D intensity (% of GDP)": "研发强度（占GDP%）"}
    monkeypatch.setattr(i18n, "catalog", lambda: entries)
    monkeypatch.setattr(i18n, "translated", lambda: frozenset(entries.values()))
    i18n.take_missing()
    assert i18n.zh("Share of 2024") == "2024年占比"
    assert i18n.zh("Something new") == "Something new"
    assert i18n.zh("share_pct") == "share_pct" and i18n.zh("12.5") == "12.5"
    # a label translated once and met again (an axis title reused as a column) is left alone
    assert i18n.zh("研发强度（占GDP%）") == "研发强度（占GDP%）"
    assert i18n.take_missing() == ["Something new"]


def test_a_chart_is_drawn_in_chinese_from_the_same_data(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda: {"R&D by city": "各城市研发", "City": "城市",
                                                  "Shenzhen": "深圳", "Figures": "数据"})
    spec = {"title": {"text": "R&D by city"}, "datasets": {"d": [{"city": "Shenzhen", "v": 1.5}]},
            "encoding": {"x": {"field": "city", "type": "nominal", "title": "City"},
                         "y": {"field": "v", "type": "quantitative"}},
            "usermeta": {"innobook": {"alt": "Figures", "sources": [["NBS", "nbs"]]}}}
    out = i18n.translate_spec(spec)
    assert out["title"]["text"] == "各城市研发" and out["encoding"]["x"]["title"] == "城市"
    assert "深圳" in out["encoding"]["x"]["axis"]["labelExpr"]
    assert out["datasets"] == spec["datasets"], "the data are the same values"
    assert spec["title"]["text"] == "R&D by city", "the English chart is untouched"


def test_the_site_reader_picks_one_language_per_edition():
    import sys

    import nbformat

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import innobook_i18n

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>Share</p>"},
                                           metadata={i18n.ZH_BUNDLE: {"text/html": "<p>占比</p>"}})]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("Prose")]
    text = nbformat.writes(nb)
    en = innobook_i18n.read_notebook(text, "en")
    zh = innobook_i18n.read_notebook(text, "zh")
    assert en.cells[0].outputs[0].data["text/html"] == "<p>Share</p>"
    assert zh.cells[0].outputs[0].data["text/html"] == "<p>占比</p>"
    assert i18n.ZH_BUNDLE not in en.cells[0].outputs[0].metadata
    assert innobook_i18n.read_notebook(text, "source").cells[0].outputs == []
    with pytest.raises(ValueError, match="en, zh, source"):
        innobook_i18n.read_notebook(text, "fr")


def test_a_table_of_contents_caption_without_chinese_is_caught(tmp_path):
    root = _scratch(tmp_path)
    assert catalogs.check_captions(root) == []
    edition = root / "locales" / "zh_CN" / "edition.yml"
    edition.write_text(edition.read_text(encoding="utf-8").replace("  Conclusion: 结论\n", ""),
                       encoding="utf-8")
    problems = catalogs.check_captions(root)
    assert [p.msgid for p in problems] == ["Conclusion"] and problems[0].path.endswith("edition.yml")


# --------------------------------------------------------------------------- the bibliography
def _bib_style():
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import innobook_bib_zh

    return innobook_bib_zh


def test_the_chinese_bibliography_reads_as_a_chinese_reference_list(monkeypatch):
    from pybtex.backends.plaintext import Backend
    from pybtex.database import parse_string

    z = _bib_style()
    assert z.without_gloss("国家统计局, 科学技术部 (NBS, MOST)") == "国家统计局、科学技术部"
    assert z.without_gloss("OECD (Paris)") == "OECD (Paris)"          # no Chinese: kept
    assert z.chinese_date("2017", "October") == "2017年10月" and z.chinese_date("2013", None) == "2013"
    bib = parse_string("""@techreport{nbs,
      author = {{国家统计局 (NBS)}}, title = {2024年全国科技经费投入统计公报},
      institution = {国家统计局 (NBS)}, year = 2025, month = sep,
      note = {Read at http://example.org/a}, url = {http://example.org/b}}""", "bibtex")
    monkeypatch.setitem(z._translations, ("nbs", "note"), "阅读地址：http://example.org/a")
    text = next(iter(z.ChineseStyle().format_entries(bib.entries.values()))).text.render(Backend())
    assert text == ("国家统计局. 2024年全国科技经费投入统计公报. 报告, 国家统计局, 2025年9月. "
                    "阅读地址：http://example.org/a. 网址：http://example.org/b.")


def test_a_bibliography_note_untranslated_changed_or_with_a_typed_number_is_caught(tmp_path):
    root = _scratch(tmp_path)
    path = root / catalogs.BIBLIOGRAPHY
    assert catalogs.check_bibliography(root) == []
    text = path.read_text(encoding="utf-8")
    first = text.index('msgstr "', text.index("msgctxt"))
    end = text.index('"\n', first + 8)
    broken = text[:first] + 'msgstr "1999年"' + text[end + 1:]
    path.write_text(broken, encoding="utf-8")
    assert any("typed by hand" in p.rule for p in catalogs.check_bibliography(root))
    path.write_text(text[:first] + 'msgstr ""' + text[end + 1:], encoding="utf-8")
    assert [p.rule for p in catalogs.check_bibliography(root)] == ["not translated"]
    bib = root / "book" / "bib" / "methods.bib"
    text = bib.read_text(encoding="utf-8")
    assert re.search(r"note\s*=\s*\{", text)
    bib.write_text(re.sub(r"(note\s*=\s*\{)", r"\1Changed. ", text, count=1), encoding="utf-8")
    assert any("changed in the .bib file" in p.rule for p in catalogs.check_bibliography(root))


def test_the_interface_words_are_compiled_as_the_chinese_sphinx_catalog(tmp_path):
    import gettext

    root = _scratch(tmp_path)
    shutil.copy(ROOT / catalogs.INTERFACE, root / catalogs.INTERFACE)
    out = catalogs.compile_all(root)
    with (out / "sphinx.mo").open("rb") as fh:
        assert gettext.GNUTranslations(fh).gettext("Link to this heading") == "链接到本节标题"
    path = root / catalogs.INTERFACE
    path.write_text(path.read_text(encoding="utf-8").replace('msgstr "配色模式"', 'msgstr ""'),
                    encoding="utf-8")
    assert [p.msgid for p in catalogs.check_interface(root)] == ["Color mode"]


def test_the_sites_own_texts_need_chinese_entries_too(tmp_path):
    root = _scratch(tmp_path)
    shutil.copy(ROOT / catalogs.OUTPUTS, root / catalogs.OUTPUTS)
    (root / "notebooks").mkdir()
    (root / "notebooks" / "demo.params.yml").write_text(
        "title: A demonstration chapter\nparameters:\n  year:\n    type: int\n"
        "    help: Last year shown in 2024 terms.\n", encoding="utf-8")
    texts = dict(catalogs.site_texts(root))
    assert texts == {"A demonstration chapter": "notebooks/demo.params.yml",
                     "Last year shown in 2024 terms.": "notebooks/demo.params.yml"}
    missing = catalogs.untranslated_outputs(root)
    assert missing["Last year shown in {0} terms."] == ["notebooks/demo.params.yml"]
    assert any("demo.params.yml" in p.rule for p in catalogs.check_outputs(root))


def test_the_parameter_box_is_written_in_both_languages(monkeypatch):
    from innobook.pipeline import notebook_io

    monkeypatch.setattr(i18n, "catalog", lambda: {"Last year of the window.": "窗口的最后一年。"})
    box = notebook_io.parameter_box("rnd_growth", {"end_year": 2024}, {"end_year": "Last year of the window."})
    assert "| `end_year` | `2024` | Last year of the window. |" in box.source
    assert "| `end_year` | `2024` | 窗口的最后一年。 |" in box.metadata[notebook_io.ZH_SOURCE]
    assert "本页参数" in box.metadata[notebook_io.ZH_SOURCE]
