"""The build cache: a hit when nothing changed, a miss naming the input that changed."""

from __future__ import annotations

import pytest

from innobook.pipeline import cache
from innobook.pipeline.build import GENERATED, RESULTS, plan
from innobook.data import resource_files
from innobook.pipeline.params import load_declarations, load_runs


def _record_current_state(root):
    """Pretend every run was executed with today's inputs."""
    runs = load_runs(root, load_declarations(root))
    manifest = cache.Manifest(root)
    for run in runs:
        out = root / GENERATED / f"{run.run_id}.ipynb"
        results = root / RESULTS / f"{run.run_id}.json"
        results.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("{}")
        results.write_text("{}")
        manifest.record(run.run_id, cache.run_components(run, root, resource_files), [out, results])
    manifest.save()
    return runs


def _stale(root):
    runs = load_runs(root, load_declarations(root))
    stale, _, reasons = plan(runs, root)
    return {r.run_id for r in stale}, reasons


def test_nothing_changed_is_a_hit(project):
    _record_current_state(project)
    stale, _ = _stale(project)
    assert stale == set()


def test_never_executed_is_a_miss(project):
    stale, reasons = _stale(project)
    assert "rnd_growth" in stale and reasons["rnd_growth"] == ["never executed"]


def _edit_notebook(root):
    import nbformat
    path = root / "notebooks" / "rnd_growth.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("An extra paragraph."))
    nb.cells[-1].pop("id", None)
    nbformat.write(nb, path)


def _edit_parameters(root):
    path = root / "notebooks" / "runs.yml"
    path.write_text(path.read_text().replace("  - notebook: rnd_growth\n",
                                             "  - notebook: rnd_growth\n    parameters: {start_year: 2018}\n"))


def _edit_data(root):
    path = root / "data" / "rnd" / "china_rnd_national.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("36326.8", "36326.9"), encoding="utf-8")


def _edit_package(root):
    path = root / "src" / "innobook" / "analysis/rnd.py"
    path.write_text(path.read_text() + "\n# a comment\n")


def _edit_requirements(root):
    path = root / "requirements.txt"
    path.write_text(path.read_text() + "# touched\n")


@pytest.mark.parametrize("edit, component", [
    (_edit_notebook, "notebook"),
    (_edit_parameters, "parameters"),
    (_edit_data, "data"),
    (_edit_package, "package"),
    (_edit_requirements, "requirements"),
])
def test_each_kind_of_input_change_is_a_miss(project, edit, component):
    _record_current_state(project)
    edit(project)
    stale, reasons = _stale(project)
    assert "rnd_growth" in stale
    assert reasons["rnd_growth"] == [component]
    if component in ("notebook", "parameters"):
        assert stale == {"rnd_growth"}, "only the edited chapter re-runs"
    if component in ("package", "requirements"):
        assert stale == set(reasons) and len(stale) == len(load_runs(project)), "every run depends on these"


def test_data_a_notebook_does_not_read_is_not_a_miss_for_it(project):
    _record_current_state(project)
    runs = load_runs(project)
    path = next(p for p in resource_files("lighthouse_cohorts") if p.suffix == ".csv")
    assert project in path.parents
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    stale, reasons = _stale(project)
    readers = {r.run_id for r in runs if "lighthouse_cohorts" in r.notebook.reads}
    assert stale == readers, "exactly the runs that read the changed file"
    assert "rnd_growth" not in stale and all(reasons[r] == ["data"] for r in stale)


def test_missing_executed_notebook_is_a_miss(project):
    _record_current_state(project)
    (project / GENERATED / "rnd_growth.ipynb").unlink()
    stale, reasons = _stale(project)
    assert stale == {"rnd_growth"} and reasons["rnd_growth"] == ["executed notebook missing"]
