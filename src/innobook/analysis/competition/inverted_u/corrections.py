"""Small-sample corrections for robust and clustered standard errors.

Software packages scale the same sandwich differently. Writing the choice
down explicitly lets the book state which convention produced a number
and lets a reader switch to another one.

``N`` is the number of observations, ``K`` the number of mean parameters
(fixed-effect dummies included, since they are estimated explicitly) and
``G`` the number of clusters.

Presets (Cameron and Miller 2015 discuss the cluster factors and the
t(G-1) reference distribution; the HC1 factor is from MacKinnon and White
1985). Each preset states the call whose numbers it reproduces:

``"stata"``
    * ``regress y x, vce(robust)`` (our ``ols_log1p``): HC1, ``N/(N-K)``,
      with t(N-K) inference; ``regress y x, vce(cluster g)``:
      ``G/(G-1) * (N-1)/(N-K)`` with t(G-1) inference.
    * ``poisson`` / ``nbreg`` with ``vce(robust)``: ``N/(N-1)``; with
      ``vce(cluster g)``: ``G/(G-1)``; both with normal (z) inference.
``"sandwich"``
    R's sandwich package (Zeileis, Koell and Graham 2020) used with
    ``lmtest::coeftest``. ``vcovCL`` chooses its default adjustment by model
    class (``type = "HC1"`` when ``class(x)[1] == "lm"``, ``"HC0"``
    otherwise, always with ``cadjust = TRUE``):

    * ``ols_log1p``: ``coeftest(m, vcov = vcovCL(m, cluster = ~g))`` for an
      ``lm`` fit ``m`` gives ``G/(G-1) * (N-1)/(N-K)``; ``coeftest(m, vcov =
      vcovHC(m, type = "HC1"))`` gives ``N/(N-K)``; ``coeftest`` uses
      t(N-K) for ``lm`` fits, clustered or not.
    * ``poisson`` (a ``glm(..., family = poisson)`` fit) and ``negbin``
      (a ``MASS::glm.nb`` fit, class ``"negbin"``): ``coeftest(m, vcov =
      vcovCL(m, cluster = ~g))`` gives ``G/(G-1)`` only (HC0 with the
      cluster adjustment); ``vcovHC(m, type = "HC1")`` gives ``N/(N-K)``;
      ``coeftest`` uses the normal distribution for ``glm`` fits. For
      ``glm.nb`` R's bread treats the dispersion as known, while this
      library's NB2 sandwich is taken over the mean parameters and the
      dispersion jointly; the factors agree, the NB2 numbers can differ
      slightly.

    (The package's own default for ``vcovHC`` is HC3, which is not offered.)
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
CLUSTER_DFS = ("G-1", "N-K")


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
        ``N - K`` for non-clustered covariances and ``cluster_df`` for
        clustered ones.
    cluster_df : str
        ``"G-1"`` (Stata's ``regress``) or ``"N-K"`` (``lmtest::coeftest``
        on an ``lm`` fit, whatever the covariance).
    """

    name: str = "custom"
    hc_scale: str = "N/(N-K)"
    cluster_scale: str = "G/(G-1)"
    distribution: str = "normal"
    cluster_df: str = "G-1"

    def __post_init__(self):
        if self.hc_scale not in HC_SCALES:
            raise ValueError(f"hc_scale must be one of {HC_SCALES}")
        if self.cluster_scale not in CLUSTER_SCALES:
            raise ValueError(f"cluster_scale must be one of {CLUSTER_SCALES}")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {DISTRIBUTIONS}")
        if self.cluster_df not in CLUSTER_DFS:
            raise ValueError(f"cluster_df must be one of {CLUSTER_DFS}")

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
        if kind == "cluster" and self.cluster_df == "G-1":
            return float(g - 1)
        return float(n - k)

    def describe(self, kind: str) -> str:
        """One line saying what was applied for covariance ``kind``."""
        if kind == "cluster":
            scale = "CR0 (no factor)" if self.cluster_scale == "none" else self.cluster_scale
            ref = f"t({self.cluster_df})" if self.distribution == "t" else "normal"
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
        if ols:  # lm: vcovCL type "HC1"; coeftest with t(N-K)
            return SECorrection("sandwich", "N/(N-K)", "G/(G-1)*(N-1)/(N-K)", "t", "N-K")
        # glm / glm.nb: vcovCL type "HC0" with cadjust; coeftest with z
        return SECorrection("sandwich", "N/(N-K)", "G/(G-1)", "normal")
    if name == "asymptotic":
        return SECorrection("asymptotic", "none", "none", "normal")
    raise ValueError(f"unknown correction preset {name!r}; choose from {PRESETS}")


def resolve_correction(correction, estimator: str) -> SECorrection:
    """Accept a preset name or an :class:`SECorrection` instance."""
    if isinstance(correction, SECorrection):
        return correction
    return correction_preset(str(correction), estimator)
