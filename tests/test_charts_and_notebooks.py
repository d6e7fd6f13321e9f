"""House chart renderer and executed-notebook tidying."""

from __future__ import annotations

import json
import re

import altair as alt
import nbformat
import pandas as pd
import pytest

from innobook import charts
from innobook.pipeline import notebook_io
from innobook.report import plain


def _chart():
    df = pd.DataFrame({"year": [2020, 2021, 2022], "value": [1.0, 2.0, 3.5]})
    base = alt.Chart(df).mark_line().encode(x="year:O", y=alt.Y("value:Q", title="Value (units)"))
    return charts.finish(base, title="Values rose", subtitle="Test data",
                         sources=[("A test source", "zlcs2025fyp")], alt_text="A rising line.")


def test_chart_html_is_offline_deterministic_and_complete():
    spec = _chart().to_dict()
    first, second = charts.to_html(spec), charts.to_html(spec)
    ids = [re.search(r'id="(chart-[0-9a-f]{12})-\d+"', h).group(1) for h in (first, second)]
    assert ids[0] == ids[1], "the id's digest part depends only on the specification"
    assert "https://" not in first.split("<script")[0], "no remote reference in the markup"
    assert '<img src="data:image/svg+xml;charset=utf-8,%3Csvg' in first, "static fallback image"
    assert 'alt="A rising line."' in first and 'aria-label="A rising line."' in first
    assert 'href="bib:zlcs2025fyp"' in first, "source line links to the bibliography"
    assert re.search(r'aspect-ratio:\d+/\d+', first), "the chart reserves its size"
    payload = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', first, re.S).group(1)
    embedded = json.loads(payload.replace("<\\/", "</"))
    text = embedded["title"]["text"]
    assert "$schema" not in embedded and " ".join([text] if isinstance(text, str) else text) == "Values rose"


def test_static_svg_round_trips_through_its_data_uri():
    from urllib.parse import unquote

    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text fill="#000">R&amp;D 100% 研发</text></svg>'
    uri = charts.svg_data_uri(svg)
    assert unquote(uri.split(",", 1)[1]) == svg
    assert '"' not in uri and "<" not in uri and "#" not in uri


def test_chart_data_are_rounded_to_six_significant_digits():
    df = pd.DataFrame({"x": [1, 2], "y": [0.123456789, 12345.6789]})
    chart = charts.finish(alt.Chart(df).mark_point().encode(x="x:Q", y="y:Q"), title="t",
                          sources=[("s", "zlcs2025fyp")], alt_text="a")
    page = charts.to_html(chart.to_dict())
    assert "0.123457" in page and "12345.7" in page and "0.123456789" not in page


def test_a_chart_without_source_or_alt_text_is_refused():
    with pytest.raises(ValueError, match="source"):
        charts.finish(alt.Chart(pd.DataFrame({"a": [1]})).mark_point(), title="t", sources=[], alt_text="x")
    with pytest.raises(ValueError, match="alt text"):
        charts.finish(alt.Chart(pd.DataFrame({"a": [1]})).mark_point(), title="t",
                      sources=[("s", "k")], alt_text=" ")
    with pytest.raises(ValueError, match="charts.finish"):
        charts.to_html(alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a").to_dict())


def test_plain_converts_numpy_scalars():
    import numpy as np

    assert type(plain(np.float64(1.5))) is float
    assert type(plain(np.int64(3))) is int
    assert plain(np.bool_(True)) is True
    assert plain(float("nan")) is None
    assert plain([np.float64(1.0), "a"]) == [1.0, "a"]
    with pytest.raises(TypeError):
        plain({"a": 1})


def _executed_notebook():
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"],
                                                           "papermill": {"duration": 0.1}})
    glued = nbformat.v4.new_code_cell("glue", execution_count=3, outputs=[nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "48.1157"},
        metadata={"scrapbook": {"name": "growth", "mime_prefix": "application/papermill.record/"}})])
    glued.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    nb.cells = [params, injected, glued]
    nb.metadata["papermill"] = {"parameters": {"x": 2}, "start_time": "2026-01-01", "duration": 3.0}
    return nb


def test_tidy_removes_timestamps_and_hides_parameter_cells():
    nb = notebook_io.tidy(_executed_notebook())
    text = nbformat.writes(nb)
    assert "2026-01-01" not in text and "duration" not in text
    assert nb.metadata["papermill"] == {"parameters": {"x": 2}}
    assert "remove-cell" in nb.cells[0].metadata["tags"] and "remove-cell" in nb.cells[1].metadata["tags"]
    assert [c.get("id") for c in nb.cells] == ["cell-0", "cell-1", "cell-2"], "ids by position, not random"


def test_glued_values_are_read_back_as_python_values():
    assert notebook_io.glued_values(_executed_notebook()) == {"growth": 48.1157}


def test_errors_and_stderr_are_found():
    nb = _executed_notebook()
    nb.cells[2].outputs.append(nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                                      evalue="division by zero", traceback=[]))
    nb.cells[2].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: x\n"))
    found = notebook_io.problems(nb)
    assert [p.kind for p in found] == ["error", "stderr"]
    assert "ZeroDivisionError: division by zero" in found[0].describe()
    assert "In [3]" in found[0].describe()


# --------------------------------------------------------------------------- the chart panel
def _panel_chart(**extra):
    df = pd.DataFrame({"year": [2020, 2021, 2022], "value": [1.0, 2.123456789, None],
                       "series": ["a", "b", "a"], "helper": [1, 2, 3],
                       "source_key": ["nbs_rd_communique_2024"] * 3})
    base = alt.Chart(df).mark_line().encode(
        x=alt.X("year:O", title="Year"), y=alt.Y("value:Q", title="Value (units)"),
        color=alt.Color("series:N", title=None), tooltip=[alt.Tooltip("value:Q", format=".2f")])
    return charts.finish(base, title="Values rose", sources=[("A test source", "zlcs2025fyp")],
                         alt_text="A rising line.", **extra)


def _tabs(page: str) -> list[str]:
    return re.findall(r'<input type="radio" class="innobook-chart__tab innobook-chart__tab--(\w+)"', page)


def test_panel_has_three_tabs_that_need_no_script():
    page = charts.to_html(_panel_chart().to_dict())
    assert _tabs(page) == ["chart", "table", "sources"]
    names = set(re.findall(r'<input type="radio"[^>]*name="([^"]+)"', page))
    assert len(names) == 1, "the three tabs are one radio group"
    ids = re.findall(r'<input type="radio"[^>]*id="([^"]+)"', page)
    assert all(f'<label for="{i}">' in page for i in ids), "every tab has a label"
    assert re.search(r'tab--chart" [^>]*checked', page), "the Chart tab is open by default"
    for kind in ("chart", "table", "sources"):
        assert f"innobook-chart__panel--{kind}" in page
    assert "<!--innobook-downloads-->" in page, "the site adds the downloads"


def test_table_tab_shows_the_charts_data_set_formatted():
    spec = _panel_chart().to_dict()
    page = charts.to_html(spec)
    table = re.search(r'panel--table">(.*?)</table>', page, re.S).group(1)
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert heads == ["Series", "Year", "Value (units)"], "encoded fields, titled as on the axes"
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells == ["a", "2020", "1.00", "b", "2021", "2.12", "a", "2022", "–"], \
        "years as years, the tooltip's format, a dash for a gap"
    assert "helper" not in table and "nbs_rd_communique_2024" not in table


def test_named_table_columns_and_formats_are_used_and_checked():
    page = charts.to_html(_panel_chart(table={"year": "Year", "helper": "Helper (count)"},
                                       formats={"helper": "{:.1f}"}).to_dict())
    table = re.search(r'panel--table">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r"<th[^>]*>([^<]*)</th>", table) == ["Year", "Helper (count)"]
    assert "<td class=\"num\">1.0</td>" in table
    with pytest.raises(ValueError, match="table column"):
        charts.to_html(_panel_chart(table=["no_such_column"]).to_dict())
    with pytest.raises(ValueError, match="name"):
        _panel_chart(name="Not A Slug")


def test_csv_matches_the_data_the_chart_draws():
    import io

    spec = charts.to_html.__globals__["_round_floats"](_panel_chart().to_dict())
    csv = pd.read_csv(io.StringIO(charts.table_csv(spec)))
    name = charts.resolve_table(spec)["dataset"]
    drawn = pd.DataFrame(spec["datasets"][name])
    assert list(csv.columns) == ["Series", "Year", "Value (units)"]
    assert csv["Year"].tolist() == drawn["year"].tolist()
    assert csv["Value (units)"].tolist()[:2] == drawn["value"].tolist()[:2]
    assert pd.isna(csv["Value (units)"].iloc[2])


def test_the_embedded_spec_records_the_table_and_the_sources():
    spec = _panel_chart(resources=["rnd_national"], name="levels", unit="yuan").to_dict()
    page = charts.to_html(spec)
    payload = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
                         .group(1).replace("<\\/", "</"))
    panel = payload["usermeta"]["innobook"]["panel"]
    assert panel["dataset"] in payload["datasets"] and panel["columns"][1] == ["year", "Year"]
    assert 'data-resources="rnd_national"' in page and 'data-name="levels"' in page
    assert 'data-bibkeys="zlcs2025fyp nbs_rd_communique_2024"' in page, "sources cited in the data too"


def test_bound_parameters_are_announced_for_the_address_bar():
    df = pd.DataFrame({"year": [2020, 2021], "v": [1.0, 2.0], "vintage": ["final", "preliminary"]})
    pick = alt.param(name="vintage", value="final", bind=alt.binding_radio(options=["final", "preliminary"]))
    chart = alt.Chart(df).mark_bar().encode(x="year:O", y="v:Q").add_params(pick) \
        .transform_filter(alt.datum.vintage == pick)
    page = charts.to_html(charts.finish(chart, title="t", sources=[("s", "zlcs2025fyp")], alt_text="a").to_dict())
    assert 'data-params="vintage"' in page


def test_a_chart_with_many_sources_names_a_few_in_its_caption():
    line = charts.source_line([(f"S{i}", f"k{i}") for i in range(12)])
    assert line.count("<a ") == 3 and "9 more" in line


# --------------------------------------------------------------------------- tables for reading
def test_show_formats_a_frame_for_reading():
    from innobook import tables

    df = pd.DataFrame({"year": [2023.0, 2024.0], "growth_pct": [48.922441, None],
                       "above": [True, False], "amount": [24393.1, 36326.8], "n": [3, 12000]})
    t = tables.show(df)
    page = t._repr_html_()
    assert "48.922441" not in page and ">48.9<" in page, "three significant digits"
    assert ">2024<" in page and "2024.0" not in page and "2,024" not in page
    assert ">yes<" in page and ">no<" in page and ">True<" not in page
    assert ">–<" in page and "NaN" not in page
    assert ">36,326.8<" in page, "values published with one decimal keep it"
    assert ">12,000<" in page
    assert "<th scope=\"col\" class=\"num\">Growth (%)</th>" in page
    assert re.search(r"<th[^>]*>\s*0\s*</th>", page) is None, "no index column"
    assert "dtype" not in repr(t) and "48.9" in repr(t)


def test_show_keeps_a_named_index_and_takes_a_series():
    from innobook import tables

    s = pd.Series([77.5, 77.6], index=pd.Index([2016, 2017], name="year"), name="share")
    page = tables.show(s, formats={"share": "{:.1f}"})._repr_html_()
    assert re.findall(r"<th[^>]*>([^<]*)</th>", page) == ["Year", "Share"]
    assert ">77.5<" in page and "dtype" not in page
    styled = tables.show(s).styler.to_html()
    assert "T_" in styled and tables.show(s).styler.to_html() == styled, "a stable id"


def test_regression_summary_is_a_table_that_wraps():
    import numpy as np
    import statsmodels.api as sm

    from innobook import tables

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 1.5 + 2.0 * x + rng.normal(size=200)
    res = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC1")
    t = tables.regression(res, names={"const": "Intercept", "x1": "x"})
    page = t._repr_html_()
    assert "Intercept" in page and "<caption>" in page and "200 observations" in page
    assert "HC1" in page and "95% interval" in page
    assert max(len(line) for line in repr(t).splitlines()) < 120, "no line runs off the screen"


def test_a_title_wider_than_its_chart_is_wrapped_not_cut():
    df = pd.DataFrame({"year": [2020, 2021], "v": [1.0, 2.0]})
    title = "A title far too long for a chart only three hundred pixels wide, which must therefore wrap"
    chart = charts.finish(alt.Chart(df).mark_bar().encode(x="year:O", y="v:Q").properties(width=300),
                          title=title, sources=[("s", "zlcs2025fyp")], alt_text="a")
    page = charts.to_html(chart.to_dict())
    spec = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
                      .group(1).replace("<\\/", "</"))
    lines = spec["title"]["text"]
    assert isinstance(lines, list) and len(lines) >= 2 and " ".join(lines) == title
    assert chart.to_dict()["title"]["text"] == title, "the caller's chart is left as it was"


# --------------------------------------------------------------------------- student editions
def _teaching():
    import importlib
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        return importlib.import_module("innobook_teaching")
    finally:
        sys.path.pop(0)


def test_student_edition_leaves_out_every_solution_and_keeps_the_exercises():
    teaching = _teaching()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    params = code("year = 2020", metadata={"tags": ["parameters"]})
    nb.cells = [
        md("# Chapter"), params,
        md("```{exercise}\n:label: ex-1\n\nWhat grew?\n```\n\n```{solution-start} ex-1\n:class: dropdown\n```"),
        code("answer = 42"),
        md("It was {glue:text}`answer`.\n\n```{solution-end}\n```\n\n```{exercise}\n:label: ex-2\n\nWhy?\n```"),
        md("```{solution} ex-2\n:class: dropdown\n\nBecause.\n```\n\nAfter the answers."),
        code("x = 1", outputs=[nbformat.v4.new_output("stream", text="1\n")], execution_count=3),
    ]
    student = teaching.student_edition(nb, None, {"year": 2024})
    text = "\n".join(c.source for c in student.cells)
    assert "What grew?" in text and "Why?" in text, "the exercises stay"
    assert "answer = 42" not in text and "It was" not in text and "Because." not in text
    assert "solution" not in text.replace("The solution is left out", ""), text
    assert text.count("left out of the student edition") == 2
    assert "After the answers." in text
    assert "year = 2024" in student.cells[1].source, "the run's parameters"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert student.metadata["innobook"]["solutions_omitted"] == 2
    assert nb.cells[3].source == "answer = 42", "the template is not changed"


def test_student_edition_keeps_exercises_written_by_code():
    teaching = _teaching()
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    glued = ("```{exercise}\n:label: ex-g\n\nA glued question?\n```\n\n"
             "```{solution-start} ex-g\n:class: dropdown\n```\n")
    executed = nbformat.v4.new_notebook()
    executed.cells = [code("glue(...)", outputs=[nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/markdown": glued},
        metadata={"scrapbook": {"name": "exercise_1", "mime_prefix": "application/papermill.record/"}})])]
    template = nbformat.v4.new_notebook()
    template.cells = [md("## Exercises\n\n```{glue:md} exercise_1\n:format: myst\n```"),
                      code("secret = 7"), md("The answer.\n\n```{solution-end}\n```")]
    student = teaching.student_edition(template, executed)
    text = "\n".join(c.source for c in student.cells)
    assert "A glued question?" in text and "secret = 7" not in text and "The answer." not in text
