"""Small-sample corrections for robust and clustered standard errors.

Software packages scale the same sandwich differently. Writing the choice
down explicitly lets the book state which convention produced a number
and lets a reader switch to another one.

``N`` is the number of observations, ``K`` the number of mean parameters
(fixed-effect dummies included, since they are estimated explicitly) and
``G`` the number of clusters.

Presets (Cameron and Miller 2015 discuss the cluster factors and the
t(G-1) reference distribution; the HC1 factor is from MacKinnon and White
1985):

``"stata"``
    * ``regress`` (our ``ols_log1p``): ``vce(robust)`` uses HC1,
      ``N/(N-K)``, with t(N-K) inference; ``vce(cluster)`` uses
      ``G/(G-1) * (N-1)/(N-K)`` with t(G-1) inference.
    * ``poisson`` / ``nbreg`` (maximum likelihood): ``vce(robust)`` uses
      ``N/(N-1)`` and ``vce(cluster)`` uses ``G/(G-1)``, both with normal
      (z) inference.
``"sandwich"``
    R's sandwich package (Zeileis, Koell and Graham 2020) as typically used
    with ``lmtest::coeftest``: ``vcovCL`` defaults (``type = "HC1"``,
    ``cadjust = TRUE``) give ``G/(G-1) * (N-1)/(N-K)`` for every model class;
    ``vcovHC(type = "HC1")`` gives ``N/(N-K)`` (the package's own default is
    HC3, which is not offered here). ``coeftest`` uses t(N-K) for ``lm`` fits
    and normal inference for ``glm`` fits.
``"asymptotic"``
    No finite-sample factor at all (HC0 and CR0) and normal inference; the
    textbook large-sample sandwich.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

PRESETS = ("stata", "sandwich", "asymptotic")

HC_SCALES = ("none", "N/(N-1)", "N/(N-K)")
CLUSTER_SCALES = ("none", "G/(G-1)", "G/(G-1)*(N-1)/(N-K)")
DISTRIBUTIONS = ("normal", "t")


@dataclass(frozen=True)
class SECorrection:
    """Which finite-sample factors and reference distribution to use.

    Attributes
    ----------
    name : str
        Preset name or ``"custom"``.
    hc_scale : str
        Factor for heteroskedasticity-robust covariances, one of
        :data:`HC_SCALES` (``"none"`` is HC0, ``"N/(N-K)"`` is HC1).
    cluster_scale : str
        Factor for cluster-robust covariances, one of :data:`CLUSTER_SCALES`
        (``"none"`` is CR0).
    distribution : str
        ``"normal"`` or ``"t"``. With ``"t"`` the degrees of freedom are
        ``G - 1`` for clustered and ``N - K`` for other covariances.
    """

    name: str = "custom"
    hc_scale: str = "N/(N-K)"
    cluster_scale: str = "G/(G-1)"
    distribution: str = "normal"

    def __post_init__(self):
        if self.hc_scale not in HC_SCALES:
            raise ValueError(f"hc_scale must be one of {HC_SCALES}")
        if self.cluster_scale not in CLUSTER_SCALES:
            raise ValueError(f"cluster_scale must be one of {CLUSTER_SCALES}")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {DISTRIBUTIONS}")

    def hc_factor(self, n: int, k: int) -> float:
        return {"none": 1.0, "N/(N-1)": n / (n - 1), "N/(N-K)": n / (n - k)}[self.hc_scale]

    def cluster_factor(self, n: int, k: int, g: int) -> float:
        if self.cluster_scale == "none":
            return 1.0
        factor = g / (g - 1)
        if self.cluster_scale == "G/(G-1)*(N-1)/(N-K)":
            factor *= (n - 1) / (n - k)
        return factor

    def df(self, kind: str, n: int, k: int, g: int | None) -> float | None:
        """Degrees of freedom for t inference, ``None`` for normal."""
        if self.distribution == "normal":
            return None
        if kind == "cluster":
            return float(g - 1)
        return float(n - k)

    def describe(self, kind: str) -> str:
        """One line saying what was applied for covariance ``kind``."""
        if kind == "cluster":
            scale = "CR0 (no factor)" if self.cluster_scale == "none" else self.cluster_scale
            ref = "t(G-1)" if self.distribution == "t" else "normal"
        elif kind == "hc":
            scale = {"none": "HC0", "N/(N-1)": "HC0 x N/(N-1)", "N/(N-K)": "HC1 = HC0 x N/(N-K)"}[
                self.hc_scale]
            ref = "t(N-K)" if self.distribution == "t" else "normal"
        else:
            scale = "model-based"
            ref = "t(N-K)" if self.distribution == "t" else "normal"
        return f"{self.name}: {scale}; {ref} reference distribution"

    def to_dict(self) -> dict:
        return asdict(self)


def correction_preset(name: str, estimator: str) -> SECorrection:
    """The :class:`SECorrection` that package ``name`` applies to ``estimator``.

    ``estimator`` matters because Stata treats ``regress`` and maximum
    likelihood commands differently (see the module docstring).
    """
    ols = estimator == "ols_log1p"
    if name == "stata":
        if ols:
            return SECorrection("stata", "N/(N-K)", "G/(G-1)*(N-1)/(N-K)", "t")
        return SECorrection("stata", "N/(N-1)", "G/(G-1)", "normal")
    if name == "sandwich":
        return SECorrection("sandwich", "N/(N-K)", "G/(G-1)*(N-1)/(N-K)", "t" if ols else "normal")
    if name == "asymptotic":
        return SECorrection("asymptotic", "none", "none", "normal")
    raise ValueError(f"unknown correction preset {name!r}; choose from {PRESETS}")


def resolve_correction(correction, estimator: str) -> SECorrection:
    """Accept a preset name or an :class:`SECorrection` instance."""
    if isinstance(correction, SECorrection):
        return correction
    return correction_preset(str(correction), estimator)
