"""Monte Carlo: confidence sets cover the truth at about their nominal rate.

200 simulated panels with a true inverted U (peak at 0.75) and NB2-type
overdispersion, each fitted by Poisson QMLE with firm-clustered standard
errors. With 200 replications a coverage estimate has a standard error of
about 0.015 around 0.95, so the tolerance of 0.045 is three standard errors.
The Lind-Mehlum test must also keep its size under a monotone concave truth.
"""

from innobook.analysis.competition.inverted_u import fit_quadratic, simulate_panel

REPS = 200
TOLERANCE = 0.045


def _coverage(shape, truth_b2, truth_tp, seed0):
    hits = {"b2": 0, "delta": 0, "fieller": 0}
    rejections = 0
    for rep in range(REPS):
        data = simulate_panel(shape, n_firms=250, n_years=4, n_industries=40,
                              dispersion=0.5, seed=seed0 + rep)
        data = data.rename(columns={"y": "cites"})
        fit = fit_quadratic(data, "cites", "poisson", "year", "cluster_firm",
                            correction="stata", two_lines=False)
        ci = fit.conf_int().loc["competition_sq"]
        hits["b2"] += ci["lower"] <= truth_b2 <= ci["upper"]
        lo, hi = fit.turning_point_ci_delta
        hits["delta"] += lo <= truth_tp <= hi
        hits["fieller"] += fit.turning_point_ci_fieller.contains(truth_tp)
        rejections += fit.lind_mehlum.verdict == "inverted U"
    return {k: v / REPS for k, v in hits.items()}, rejections / REPS


def test_confidence_sets_cover_at_nominal_rate():
    coverage, power = _coverage("inverted_u", -40.0, 0.75, seed0=1000)
    for name, rate in coverage.items():
        assert abs(rate - 0.95) <= TOLERANCE, (name, rate)
    assert power > 0.9  # the design is informative enough to find the true inverted U


def test_lind_mehlum_keeps_its_size_for_a_monotone_curve():
    # truth rises over the whole range; the turning point 1.2 is outside it
    coverage, rejections = _coverage("monotone_concave", -20.0, 1.2, seed0=5000)
    assert rejections <= 0.05 + TOLERANCE
    for name, rate in coverage.items():  # the sets also cover a peak outside the data
        assert abs(rate - 0.95) <= TOLERANCE, (name, rate)
