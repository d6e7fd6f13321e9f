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
    assert "$schema" not in embedded and embedded["title"]["text"] == "Values rose"


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
