"""One executor interface: local processes and a Dask cluster give identical curves."""
import numpy as np
import pandas as pd
import pytest

from innobook.analysis.competition.bootstrap import BootstrapSettings
from innobook.analysis.competition.inverted_u import Columns, QuadraticSpec, simulate_panel
from innobook.analysis.competition.spec_curve import build_specs, run_spec_curve, spec_seed
from innobook.executors import DaskExecutor, LocalExecutor, make_executor, task_seed

PROVINCE = Columns(competition="competition", firm="industry", industry="industry", year="year")


def _square(shared, item):
    return shared * item * item


def test_task_seed_is_a_stable_hash_of_the_description():
    spec = QuadraticSpec("patents", "poisson", "year_industry", "cluster_industry", "industry")
    assert task_seed(spec, "all") == task_seed(spec.to_dict(), "all")
    assert task_seed(spec, "all") == spec_seed(spec, "all")
    assert task_seed(spec, "all") != task_seed(spec, "rule applied")
    other = QuadraticSpec("patents", "negbin", "year_industry", "cluster_industry", "industry")
    assert task_seed(spec, "all") != task_seed(other, "all")
    # the same on every machine and in every Python process: a fixed hash
    assert task_seed({"b": 1, "a": [1, 2]}, "x") == task_seed({"a": [1, 2], "b": 1}, "x")
    assert task_seed("innobook") == 0x5680D393  # first 32 bits of sha256 of '["innobook"]'
    assert 0 <= task_seed(spec) < 2**32


def test_local_executor_keeps_order_in_and_out_of_process():
    items = list(range(7))
    assert LocalExecutor(1).map(_square, items, shared=2) == [2 * i * i for i in items]
    with LocalExecutor(2) as ex:
        assert ex.map(_square, items, shared=3) == [3 * i * i for i in items]
    assert isinstance(make_executor(None, 1), LocalExecutor)


@pytest.fixture(scope="module")
def provinces():
    """A province-year panel of this book's size: 30 provinces, 7 years."""
    data = simulate_panel("inverted_u", n_firms=30, n_years=7, n_industries=30,
                          dispersion=0.2, seed=21)
    cells = data.groupby(["industry", "year"], as_index=False).agg(
        competition=("competition", "mean"), patents=("y", "sum"))
    cells["rnd"] = cells["patents"] * 10.0 + 1.0
    return cells


def test_spec_curve_identical_on_dask_and_local_processes(provinces):
    distributed = pytest.importorskip("distributed")
    specs = build_specs(outcomes=("patents", "rnd"), fixed_effects=("year", "year_industry"),
                        se_types=("cluster_industry", "hc"), levels=("industry",),
                        panel="provinces")
    samples = {"all": provinces, "trimmed": provinces[provinces["competition"] > 0.55]}
    settings = BootstrapSettings(draws=99, engine="numpy")
    kwargs = dict(columns=PROVINCE, bootstrap=settings, two_lines=False, min_clusters=10)
    with LocalExecutor(2) as local:
        here = run_spec_curve(samples, specs, executor=local, **kwargs)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client, DaskExecutor(client) as dask:
            assert dask.workers == 2
            there = run_spec_curve(samples, specs, executor=dask, **kwargs)
    assert len(here) == 2 * len(specs)
    clustered = here["se"] == "cluster_industry"
    assert here.loc[clustered, "boot_p_b2"].notna().all()
    assert here.loc[~clustered, "boot_p_b2"].isna().all()
    # identical, not merely close: same fits, same hashed seeds, same draws
    pd.testing.assert_frame_equal(here.drop(columns="seconds"), there.drop(columns="seconds"),
                                  check_exact=True)
    # and a different number of local workers changes nothing either
    serial = run_spec_curve(samples, specs, n_jobs=1, **kwargs)
    pd.testing.assert_frame_equal(here.drop(columns="seconds"), serial.drop(columns="seconds"),
                                  check_exact=True)
    assert np.isfinite(here.loc[clustered, "boot_lm_p"].astype(float)).all()
