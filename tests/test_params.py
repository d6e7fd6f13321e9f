"""Parameter declarations: every kind of bad value is refused with a message that helps."""

from __future__ import annotations

import subprocess
import sys

import pytest

from innobook.pipeline.params import ParameterError, load_declarations, load_runs, parse_cli_value, validate
from conftest import ROOT


@pytest.fixture(scope="module")
def rnd():
    return load_declarations(ROOT)["rnd_growth"]


def test_every_notebook_has_a_declaration_and_the_runs_validate():
    specs = load_declarations(ROOT)
    assert specs, "no notebooks declared"
    runs = load_runs(ROOT, specs)
    assert {r.notebook.name for r in runs} == set(specs), "every declared notebook is run"


def test_defaults_fill_in(rnd):
    full = validate(rnd, {"start_year": 2018})
    assert full["start_year"] == 2018 and full["end_year"] == 2024


@pytest.mark.parametrize("given, words", [
    ({"colour": "red"}, ["unknown parameter 'colour'", "allowed parameters", "start_year"]),
    ({"start_year": "2016x"}, ["'start_year'", "'2016x'", "expected int", "from 2016 to 2024"]),
    ({"start_year": 2016.5}, ["'start_year'", "expected int"]),
    ({"start_year": True}, ["'start_year'", "expected int"]),
    ({"start_year": 2030}, ["'start_year' = 2030", "above the maximum", "from 2016 to 2024"]),
    ({"end_year": 2000}, ["'end_year' = 2000", "below the minimum"]),
    ({"vintage": "revised"}, ["'vintage' = 'revised'", "one of 'final', 'preliminary'"]),
    ({"comparators": "Japan"}, ["'comparators'", "expected a list"]),
    ({"comparators": ["Mars"]}, ["'Mars'", "not allowed", "United States"]),
    ({"comparators": ["Japan", "Japan"]}, ["repeats"]),
    ({"window_start": 2024}, ["growth window", "window_start=2024"]),
])
def test_bad_values_are_refused_with_the_allowed_values(rnd, given, words):
    with pytest.raises(ParameterError) as err:
        validate(rnd, given)
    message = str(err.value)
    assert message.startswith("notebooks/rnd_growth.ipynb")
    for word in words:
        assert word in message


def test_cli_values_parse_like_yaml():
    assert parse_cli_value("2024-10-08") == "2024-10-08", "dates stay text"
    assert parse_cli_value("2016") == 2016
    assert parse_cli_value("true") is True
    assert parse_cli_value("[Japan, Germany]") == ["Japan", "Germany"]
    assert parse_cli_value("final") == "final"


def test_bad_declaration_default_is_caught(project):
    path = project / "notebooks" / "rnd_growth.params.yml"
    path.write_text(path.read_text().replace("default: 2016", "default: 1999", 1))
    with pytest.raises(ParameterError, match="1999"):
        load_declarations(project)


def test_bad_run_set_stops_before_any_kernel(project):
    """The command line refuses a bad set in runs.yml with exit code 2 and executes nothing."""
    runs = project / "notebooks" / "runs.yml"
    runs.write_text(runs.read_text() + "  - notebook: rnd_growth\n    id: rnd_bad\n    parameters: {vintage: revised}\n")
    proc = subprocess.run([sys.executable, "-m", "innobook", "build"], cwd=project,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "'vintage' = 'revised'" in proc.stderr and "one of 'final', 'preliminary'" in proc.stderr
    assert not (project / "_build" / ".staging").exists(), "a kernel was started"
    assert not (project / "book" / "generated").exists()


@pytest.mark.parametrize("args, words", [
    (["-p", "start_year", "2030"], ["'start_year' = 2030", "from 2016 to 2024"]),
    (["-p", "colour", "red"], ["unknown parameter 'colour'"]),
    (["-p", "start_year", "soon"], ["expected int"]),
    (["-p", "vintage", "revised"], ["one of 'final', 'preliminary'"]),
])
def test_run_command_refuses_bad_parameters_with_exit_2(project, args, words):
    proc = subprocess.run([sys.executable, "-m", "innobook", "run", "notebooks/rnd_growth.ipynb", *args],
                          cwd=project, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    for word in words:
        assert word in proc.stderr
    assert not (project / "_build" / "runs").exists()


def test_template_must_match_its_declaration(project):
    from innobook.pipeline.build import BuildError, preflight

    path = project / "notebooks" / "rnd_growth.params.yml"
    path.write_text(path.read_text().replace("default: final", "default: preliminary"))
    with pytest.raises(BuildError) as err:
        preflight(project)
    assert err.value.exit_code == 2 and "does not match the declaration" in str(err.value)
