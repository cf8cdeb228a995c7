"""Layer-wise spectral bias: which layer of a deep network learns which frequency.

The chapter *Layer-wise spectral bias* (after Dandi & Jacot, arXiv 2111.03972) splits the neural
tangent kernel of an ``L``-layer network (the NTK parametrisation of :mod:`lofi_utils.kernels`) into
one kernel per weight layer, ``Theta = sum_l Theta_l`` with ``Theta_l = Sigma^(l) prod_{m>l} Sigma_dot^(m)``,
and asks how each layer's kernel weighs the frequencies (spherical-harmonic degrees ``k``):

1. **Hermite view** -- every ``Theta_l`` is a power series ``sum_n b_n^(l) t^n`` with ``b_n^(l) >= 0``,
   built by composing the dual activations ``V(rho) = sum_n a_n^2 rho^n`` (:func:`hermite_sq_coeffs`,
   :func:`layer_series`); :func:`layer_maclaurin` gets the same coefficients to high order by a Cauchy
   integral (FFT on a circle of the complex disk); :func:`nngp_sensitivity` checks
   ``Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l)``; :func:`layer_identity_gaps` and :func:`series_gap` measure
   how well these identities hold.
2. **Per-layer spectra** -- Funk--Hecke eigenvalues ``mu_k^(l)`` on S^{d-1} with an error bound per
   entry (:func:`layer_spectrum`), the shares ``s_k^(l) = mu_k^(l) / sum_l' mu_k^(l')``, their ReLU
   large-k limit (:func:`relu_share_limit`), their high-dimensional limit (:func:`maclaurin_shares`,
   :func:`high_dim_limit`), the ordering of the layers over many networks (:func:`share_ordering`),
   and a figure / widget (:func:`plot_layer_shares`, :func:`share_explorer`).
3. **Finite networks** -- per-layer empirical NTKs against the analytic kernels
   (:func:`layer_width_sweep`, the loop of :func:`lofi_utils.spectra.ntk_width_sweep`) and per-layer shares measured with zonal-harmonic probes
   (:func:`zonal_probes`, :func:`measure_probe_shares`).
4. **Who reduces the error** -- the test-loss reduction attributed to each layer during gradient
   descent (:func:`train_attribution`, exact to second order per step) and in the linearised model
   (:func:`kernel_attribution`); the experiments on degree-k targets (:func:`zonal_attribution`), with
   one layer trained at a time (:func:`single_layer_rates`), and on several targets
   (:func:`attribution_runs`).
5. **Real data** -- the same analysis with the eigenvectors of the NTK Gram matrix on data playing the
   role of the harmonics (:func:`load_real_data`, :func:`data_layer_spectrum`).

Kernels and spectra are float64 NumPy; networks are PyTorch (float32 unless asked otherwise).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.special import gammaln

from .hermite import relu_hermite_coeffs
from .kernels import (ACTIVATIONS, ERF_SCALE, _horner, _tanh_mehler, check_activation, check_bias, check_depth,
                      dual_activation, layer_kernels, ntk as ntk_recursion)
from .ntk import MLP, empirical_layer_ntk
from .plotting import PALETTE, control_panel, get_ax, label, sequential_colors
from .width_sweep import WidthSweep, kernel_width_sweep
from .sphere import (_sphere_constant, check_d, gegenbauer_table, harmonic_dimension, sample_sphere,
                     series_moment, theta_nodes)
from .stats import fit_power_law
from .validation import check_choice, check_int, check_positive

__all__ = [
    "hermite_sq_coeffs", "LayerSeries", "layer_series", "layer_maclaurin", "nngp_sensitivity",
    "LayerSpectrum", "layer_spectrum", "relu_share_limit", "pair_shares", "ratio_monotonicity",
    "maclaurin_shares", "plot_layer_kernels", "plot_layer_shares", "share_explorer",
    "LayerWidthSweep", "layer_width_sweep", "zonal_probes", "probe_shares", "ProbeShares",
    "measure_probe_shares", "zonal_target", "AttributionResult", "train_attribution",
    "kernel_attribution", "residual_rate", "RealData", "load_real_data", "DataSpectrum",
    "data_layer_spectrum", "band_target", "AttributionComparison", "compare_attribution",
    "plot_attribution", "plot_contributions", "plot_layer_width_errors", "plot_probe_shares",
    "plot_high_dim", "plot_data_shares", "plot_work_shares",
    "layer_identity_gaps", "series_gap", "monotone_in_parity", "ShareOrdering", "share_ordering",
    "HighDimLimit", "high_dim_limit", "zonal_task", "ZonalAttribution", "zonal_attribution",
    "SingleLayerRates", "single_layer_rates", "attribution_runs", "closure_error", "linearisation_gap",
    "early_late_shares",
]

_EPS = np.finfo(float).eps


@contextmanager
def _lapack_one_thread():
    """One BLAS thread inside LAPACK factorisations (eigh, QR).

    OpenBLAS's threaded eigh spin-waits: on two cores shared with other work it ran ~17x slower with two
    threads than with one (eigh of a 1797 x 1797 matrix: 19 s against 1.1 s, measured).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                                   # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@contextmanager
def _torch_threads(n: int | None):
    """Run with ``n`` PyTorch intra-op threads (``None``: leave the setting alone), restoring it after."""
    if n is None:
        yield
        return
    n = check_int(n, "threads", minimum=1)
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _diagonals(depth: int, activation: str, bias: float) -> np.ndarray:
    """``q_l = Sigma^(l)(1)``, l = 1..L (shape (L,))."""
    return layer_kernels(np.array([1.0]), depth=depth, activation=activation, bias=bias).q


# =========================================================================== 1. Hermite view
def hermite_sq_coeffs(activation: str, q: float, nmax: int) -> np.ndarray:
    """Squared normalised Hermite coefficients ``a_n(q)^2`` of ``u -> sigma(sqrt(q) u)``, n = 0..nmax.

    Mehler: ``V(q, c) = E[sigma(u) sigma(v)] = sum_n a_n(q)^2 (c/q)^n`` for ``(u, v)`` of variances ``q`` and
    covariance ``c``. Closed forms where they exist:

    * relu (``sqrt(2) max(z, 0)``, homogeneous): ``a_n(q)^2 = q a_n^2`` with
      :func:`lofi_utils.hermite.relu_hermite_coeffs`;
    * erf(a z): only odd n = 2j+1, ``E[sigma(sqrt(q) u) He_n(u)] = (2 s/sqrt(pi)) (1+2s^2)^(-1/2)
      (-s^2/(1+2s^2))^j (2j)!/j!`` with ``s = a sqrt(q)`` (Gaussian integration by parts), squared over n!;
    * tanh: no closed form; the coefficients of :mod:`lofi_utils.kernels` (trapezoidal quadrature,
      n <= 800, ~1e-14 accurate; zero beyond).

    ``activation``: one of :data:`lofi_utils.kernels.ACTIVATIONS`; ``q``: variance > 0; ``nmax``: int >= 0.
    Returns float64 of shape ``(nmax+1,)``, all entries >= 0.
    """
    act = check_activation(activation)
    nmax = check_int(nmax, "nmax", minimum=0)
    q = check_positive(q, "the variance q")
    if act == "relu":
        return q * relu_hermite_coeffs(nmax)
    out = np.zeros(nmax + 1)
    if act == "erf":
        s2 = ERF_SCALE ** 2 * q
        n = np.arange(1, nmax + 1, 2)
        j = (n - 1) // 2
        log_m = (math.log(2.0) + 0.5 * math.log(s2) - 0.5 * math.log(math.pi) - 0.5 * math.log1p(2 * s2)
                 + j * (math.log(s2) - math.log1p(2 * s2)) + gammaln(2 * j + 1) - gammaln(j + 1))
        out[1::2] = np.exp(2 * log_m - gammaln(n + 1))
        return out
    a2 = _tanh_mehler(q)[0]
    m = min(a2.size, nmax + 1)
    out[:m] = a2[:m]
    return out


def _compose(A: np.ndarray, total: float, r: np.ndarray, *, tol: float = 1e-17) -> np.ndarray:
    """Maclaurin coefficients (to the length of ``r``) of ``sum_n A_n r(t)^n`` for a series ``r`` with
    ``r_j >= 0`` and ``r(1) = 1``; ``A_n >= 0`` with ``sum_n A_n = total``.

    Forward accumulation of the truncated powers ``r^n``. Each truncated power has mass ``<= 1`` in the
    kept degrees, so the neglected outer terms change no kept coefficient by more than
    ``mass(r^n) * (total - sum_{m<=n} A_m)``; the sum stops when that bound is below ``tol`` times the
    accumulated mass (or when ``A`` is exhausted).
    """
    nkeep = r.size
    out = np.zeros(nkeep)
    power = np.zeros(nkeep)
    power[0] = 1.0
    out[0] = A[0]
    rest = total - A[0]
    for n in range(1, A.size):
        power = np.convolve(power, r)[:nkeep]
        out += A[n] * power
        rest -= A[n]
        if power.sum() * max(rest, 0.0) <= tol * out.sum():
            break
    return out


def _outer_series(act: str, q: float, r0: float, nmax: int):
    """Outer coefficients for ``V`` and ``V_dot`` at variance ``q`` (long enough for :func:`_compose`)."""
    n_outer = int(min(4_000_000, 12 * (nmax + 16) / max(1.0 - r0, 1e-3)))
    if act != "relu":
        n_outer = min(n_outer, 801)
    A = hermite_sq_coeffs(act, q, n_outer + 1)
    Ad = np.arange(1, A.size) * A[1:] / q            # dV/dc = sum_n n a_n^2 c^(n-1) / q^n
    V1, Vd1 = dual_activation(act, q, q)
    return A, float(V1), Ad, float(Vd1)


@dataclass(frozen=True)
class LayerSeries:
    """Maclaurin coefficients in ``t`` of the per-layer kernels (all float64, ``>= 0`` up to rounding).

    ``sigma`` (L, n+1): ``Sigma^(l)(t) = sum_j sigma[l-1, j] t^j``; ``sigma_dot`` (L, n+1), row 0 NaN;
    ``theta`` (L, n+1): ``Theta_l``; ``q`` (L,) the diagonals; ``kappa1`` (L,) = ``Theta_l(1)`` from the
    closed-form recursion (so ``kappa1 - theta.sum(1)`` is the mass of the degrees above ``nmax``).
    """

    sigma: np.ndarray
    sigma_dot: np.ndarray
    theta: np.ndarray
    q: np.ndarray
    kappa1: np.ndarray
    activation: str
    bias: float

    @property
    def depth(self) -> int:
        """The number of weight layers L."""
        return self.theta.shape[0]

    @property
    def tail(self) -> np.ndarray:
        """``Theta_l(1) - sum_{j <= nmax} b_j^(l)``, shape (L,): the series mass beyond the kept degrees."""
        return self.kappa1 - self.theta.sum(axis=1)

    def evaluate(self, t) -> np.ndarray:
        """``sum_j b_j^(l) t^j`` at cosines ``t`` (1-D, shape (n,)); returns (L, n)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.stack([_horner(b, t) for b in self.theta])


def layer_series(depth: int, *, activation: str = "relu", bias: float = 0.0, nmax: int = 40) -> LayerSeries:
    """Per-layer kernels as power series in ``t``, built from the Hermite coefficients of the activation.

    ``Sigma^(1) = beta^2 + t``; ``Sigma^(l+1) = sum_n a_n(q_l)^2 (Sigma^(l)/q_l)^n + beta^2``;
    ``Sigma_dot^(l+1) = sum_n n a_n(q_l)^2 (Sigma^(l))^(n-1) / q_l^n``; ``Theta_l = Sigma^(l) prod_{m>l}
    Sigma_dot^(m)``, every product truncated at degree ``nmax``. All coefficients are non-negative, so
    the composition is a sum of positive terms (no cancellation): each ``b_j^(l)`` is accurate to a few
    ulps relative. Cost O(L n_outer nmax^2) with ``n_outer ~ 12 nmax / (1 - Sigma^(l)(0)/q_l)``: meant for
    ``nmax`` up to a few hundred (use :func:`layer_maclaurin` beyond).

    ``depth``: L >= 1; ``activation``, ``bias``: as in :func:`lofi_utils.kernels.layer_kernels`;
    ``nmax``: highest degree kept, int >= 1. Returns a :class:`LayerSeries`.
    """
    L = check_depth(depth)
    act = check_activation(activation)
    beta2 = check_bias(bias) ** 2
    nmax = check_int(nmax, "nmax", minimum=1)
    q = _diagonals(L, act, bias)
    sig = np.zeros((L, nmax + 1))
    sdot = np.full((L, nmax + 1), np.nan)
    sig[0, 0], sig[0, 1] = beta2, 1.0
    for l in range(1, L):
        r = sig[l - 1] / q[l - 1]
        A, V1, Ad, Vd1 = _outer_series(act, q[l - 1], r[0], nmax)
        sig[l] = _compose(A, V1, r)
        sig[l, 0] += beta2
        sdot[l] = _compose(Ad, Vd1, r)
    theta = np.empty_like(sig)
    prod = np.zeros(nmax + 1)
    prod[0] = 1.0
    for l in range(L - 1, -1, -1):
        theta[l] = np.convolve(sig[l], prod)[:nmax + 1]
        if l > 0:
            prod = np.convolve(prod, sdot[l])[:nmax + 1]
    kappa1 = layer_kernels(np.array([1.0]), depth=L, activation=act, bias=bias).theta_layers[:, 0]
    return LayerSeries(sigma=sig, sigma_dot=sdot, theta=theta, q=q, kappa1=kappa1, activation=act,
                       bias=float(bias))


def _dual_complex(act: str, q: float, c: np.ndarray):
    """``(V, V_dot)`` at complex covariances ``|c| < q`` (analytic continuation of the closed forms)."""
    if act == "relu":
        r = c / q
        th = np.arccos(r)
        return q * (np.sqrt(1.0 - r * r) + (math.pi - th) * r) / math.pi, (math.pi - th) / math.pi
    if act == "erf":
        a2 = ERF_SCALE ** 2
        den = 1.0 + 2.0 * a2 * q
        return (2.0 / math.pi) * np.arcsin(2.0 * a2 * c / den), (4.0 * a2 / math.pi) / np.sqrt(den * den - 4.0 * a2 * a2 * c * c)
    a2, b2 = _tanh_mehler(float(q))
    keep = max(np.flatnonzero(a2 > 1e-34 * a2.sum()).max(), np.flatnonzero(b2 > 1e-34 * b2.sum()).max()) + 1
    r = c / q
    return _horner(a2[:keep], r), _horner(b2[:keep], r)


def _layer_values_complex(t: np.ndarray, L: int, act: str, beta2: float, q: np.ndarray) -> np.ndarray:
    sig = [t + beta2]
    sdot = [None]
    for l in range(1, L):
        V, Vd = _dual_complex(act, q[l - 1], sig[l - 1])
        sig.append(V + beta2)
        sdot.append(Vd)
    out = np.empty((L, t.size), dtype=complex)
    prod = np.ones_like(t)
    for l in range(L - 1, -1, -1):
        out[l] = sig[l] * prod
        if l > 0:
            prod = prod * sdot[l]
    return out


def layer_maclaurin(depth: int, *, activation: str = "relu", bias: float = 0.0, nmax: int = 4095,
                    return_error: bool = False):
    """Maclaurin coefficients ``b_n^(l)`` of every ``Theta_l`` to high order, by a Cauchy integral.

    ``b_n = (1/(2 pi i)) oint Theta_l(t) t^(-n-1) dt`` on the circle ``|t| = rho = 10^(-1/nmax)``, discretised
    with ``M = 16 (nmax+1)`` points (an FFT of the closed-form kernels continued to complex ``t``; they are
    analytic in the unit disk). Aliasing is ``<= rho^M = 1e-16`` relative; rounding gives an absolute error
    ``~ eps Theta_l(1) rho^(-n) <= 10 eps Theta_l(1)``. Agrees with :func:`layer_series` (tested); use it
    where thousands of coefficients are needed (the power-series route of :func:`layer_spectrum`).

    ``depth``, ``activation``, ``bias``: as in :func:`lofi_utils.kernels.layer_kernels`; ``nmax``: int >= 1.
    Returns ``b`` of shape ``(L, nmax+1)``, or ``(b, err)`` with ``return_error=True`` (``err`` the
    absolute error bound per coefficient, same shape).
    """
    L = check_depth(depth)
    act = check_activation(activation)
    beta2 = check_bias(bias) ** 2
    nmax = check_int(nmax, "nmax", minimum=1)
    q = _diagonals(L, act, bias)
    M = 16 * (nmax + 1)
    rho = 10.0 ** (-1.0 / nmax)
    t = rho * np.exp(2j * math.pi * np.arange(M) / M)
    vals = _layer_values_complex(t, L, act, beta2, q)
    scale = rho ** -np.arange(nmax + 1)
    b = (np.fft.fft(vals, axis=-1).real / M)[:, :nmax + 1] * scale
    if not return_error:
        return b
    kappa1 = layer_kernels(np.array([1.0]), depth=L, activation=act, bias=bias).theta_layers[:, 0]
    err = 32 * _EPS * np.abs(kappa1)[:, None] * scale[None, :]
    return b, err


def nngp_sensitivity(t, *, depth: int, layer: int, activation: str = "relu", bias: float = 0.0,
                     h: float = 1e-6) -> np.ndarray:
    """``dSigma^(L)/dSigma^(l)`` at the cosines ``t`` by central differences, the diagonals held fixed.

    ``Sigma^(l) +- h`` is pushed through ``Sigma^(m+1) = V(q_m, Sigma^(m)) + beta^2`` up to layer L. By
    Price's theorem ``dV/dc = Sigma_dot``, so ``Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l)`` (the chain rule
    of the forward recursion); this function lets a reader check it without trusting ``Sigma_dot``.

    ``t``: 1-D cosines in (-1, 1) (keep ``|Sigma^(l)| + h <= q_l``); ``layer``: l in 1..L; ``h``: step.
    Returns float64 of ``t``'s shape (ones for ``l = L``).
    """
    L = check_depth(depth)
    act = check_activation(activation)
    beta2 = check_bias(bias) ** 2
    layer = check_int(layer, "layer", minimum=1)
    if layer > L:
        raise ValueError(f"layer must lie in 1..{L}, got {layer}")
    lk = layer_kernels(t, depth=L, activation=act, bias=bias)
    base = lk.sigma[layer - 1]

    def push(c):
        for m in range(layer - 1, L - 1):
            c = dual_activation(act, lk.q[m], c)[0] + beta2
        return c

    return (push(base + h) - push(base - h)) / (2 * h)


def layer_identity_gaps(t, *, depth: int, activations: Sequence[str] = ACTIVATIONS,
                        biases: Sequence[float] = (0.0, 0.1)) -> tuple[dict, dict]:
    """Largest violations of the two identities of the per-layer NTK, for every activation and bias.

    * sum: ``max_t |sum_l Theta_l(t) - Theta(t)|``, the per-layer kernels of
      :func:`lofi_utils.kernels.layer_kernels` against the forward NTK recursion :func:`lofi_utils.kernels.ntk`;
    * sensitivity: ``max_{l, t} |Sigma^(l)(t) dSigma^(L)/dSigma^(l)(t) - Theta_l(t)|`` with the derivative by
      central differences (:func:`nngp_sensitivity`, accurate to about 1e-9 relative).

    ``t``: 1-D cosines in (-1, 1); ``depth``: L >= 1; ``activations``: names from
    :data:`lofi_utils.kernels.ACTIVATIONS`; ``biases``: values of beta >= 0. Returns two dicts
    ``{(activation, beta): gap}``: ``(sum_gaps, sensitivity_gaps)``.
    """
    L = check_depth(depth)
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0 or np.any(np.abs(t) >= 1):
        raise ValueError("t must be a non-empty 1-D array of cosines in (-1, 1)")
    if len(activations) == 0 or len(biases) == 0:
        raise ValueError("need at least one activation and one bias")
    sum_gap, sens_gap = {}, {}
    for act in activations:
        for beta in biases:
            lk = layer_kernels(t, depth=L, activation=act, bias=beta)
            sum_gap[act, beta] = np.abs(lk.theta_layers.sum(0) - ntk_recursion(t, depth=L, activation=act,
                                                                               bias=beta)).max()
            sens_gap[act, beta] = max(
                np.abs(lk.sigma[l - 1] * nngp_sensitivity(t, depth=L, layer=l, activation=act, bias=beta)
                       - lk.theta_layers[l - 1]).max() for l in range(1, L + 1))
    return sum_gap, sens_gap


def series_gap(series: LayerSeries, t) -> float:
    """``max_{l, t} |sum_{j <= nmax} b_j^(l) t^j - Theta_l(t)|``: a truncated series against the closed-form kernels.

    ``series``: a :class:`LayerSeries` (its depth, activation and bias select the kernels of
    :func:`lofi_utils.kernels.layer_kernels`); ``t``: 1-D cosines in [-1, 1]. At ``t = 1`` the gap is the
    series tail :attr:`LayerSeries.tail` (all coefficients are non-negative). Returns a float.
    """
    if not isinstance(series, LayerSeries):
        raise ValueError(f"series must be a LayerSeries, got {type(series).__name__}")
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"t must be a non-empty 1-D array, got shape {t.shape}")
    exact = layer_kernels(t, depth=series.depth, activation=series.activation, bias=series.bias).theta_layers
    return float(np.abs(series.evaluate(t) - exact).max())


# =========================================================================== 2. per-layer spectra
@dataclass(frozen=True)
class LayerSpectrum:
    """Per-layer Funk--Hecke eigenvalues on S^{d-1} with error bounds (output of :func:`layer_spectrum`).

    ``mu`` (L, K+1): ``mu_k^(l)``; ``err`` (L, K+1): an absolute error bound per entry; ``route`` (L, K+1):
    ``"quadrature"`` or ``"series"``, the route that gave the smaller bound. ``total`` (K+1,) = the NTK
    spectrum; ``shares`` (L, K+1): ``mu_k^(l) / total_k``, NaN where not :attr:`resolved`.
    """

    d: int
    depth: int
    activation: str
    bias: float
    mu: np.ndarray
    err: np.ndarray
    route: np.ndarray

    @property
    def k(self) -> np.ndarray:
        return np.arange(self.mu.shape[1])

    @property
    def total(self) -> np.ndarray:
        return self.mu.sum(axis=0)

    @property
    def share_error(self) -> np.ndarray:
        """Bound on the absolute error of every share at degree k: ``(max_l err + sum_l err) / |total|``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.err.max(axis=0) + self.err.sum(axis=0)) / np.abs(self.total)

    @property
    def resolved(self) -> np.ndarray:
        """Degrees whose shares are known to 1e-3 (exact zeros, e.g. even k for odd activations without bias, are not)."""
        return self.share_error < 1e-3

    @property
    def shares(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            s = self.mu / self.total
        return np.where(self.resolved[None, :], s, np.nan)


def _quadrature_spectrum(d, kmax, L, act, bias, n_nodes):
    theta, w = theta_nodes(n_nodes)
    t = np.cos(theta)
    vals = layer_kernels(t, depth=L, activation=act, bias=bias).theta_layers
    weight = _sphere_constant(d) * w * np.sin(theta) ** (d - 2)
    table = gegenbauer_table(kmax, d, t)
    mu = (vals * weight) @ table.T
    # rounding: each term carries ~ (k+1) eps relative error (Gegenbauer recurrence, products, sums)
    err = 8 * _EPS * np.arange(1, kmax + 2) * ((np.abs(vals) * weight) @ np.abs(table).T)
    return mu, err


def _series_spectrum(d, kmax, L, act, bias, nmax):
    b, db = layer_maclaurin(L, activation=act, bias=bias, nmax=nmax, return_error=True)
    if act != "relu" and bias == 0.0:                      # odd kernels: the even coefficients are exactly 0
        b[:, 0::2] = 0.0
    b = np.maximum(b, 0.0)                                 # exact coefficients are >= 0
    moments = series_moment(np.arange(nmax + 1)[:, None], np.arange(kmax + 1)[None, :], d)   # (nmax+1, kmax+1)
    mu = b @ moments
    err = db @ moments
    kappa1 = layer_kernels(np.array([1.0]), depth=L, activation=act, bias=bias).theta_layers[:, 0]
    rest = np.maximum(kappa1 - b.sum(axis=1), 0.0) + db.sum(axis=1)              # (L,)
    k = np.arange(kmax + 1)
    n0 = nmax + 1 + ((nmax + 1 - k) % 2)                    # first neglected degree of k's parity
    # m(n, k, d) decreases in n for n (d-1) > (k-2)(k+d) + 2; then m(n0) bounds every neglected moment
    decreasing = n0 * (d - 1) > (k - 2) * (k + d) + 2
    mtail = np.where(decreasing, series_moment(n0, k, d), np.inf)
    err = err + rest[:, None] * mtail[None, :]
    return mu, err


def layer_spectrum(d: int, kmax: int, *, depth: int, activation: str = "relu", bias: float = 0.0,
                   method: str = "auto", n_nodes: int | None = None, nmax: int | None = None) -> LayerSpectrum:
    """Funk--Hecke eigenvalues ``mu_k^(l)`` of every layer's kernel on S^{d-1}, k = 0..kmax, with error bounds.

    Two routes, each with a bound:

    * ``"quadrature"``: ``mu_k = c_d int_0^pi Theta_l(cos th) P_k(cos th) sin^(d-2) th dth`` (composite
      Gauss--Legendre, ``n_nodes`` = 6000 for ReLU, 2000 otherwise); rounding bound
      ``8 (k+1) eps int |Theta_l P_k| sin^(d-2)``. Absolute: it cannot resolve eigenvalues far below
      ``eps Theta_l(1)``, which at large d or k are most of them.
    * ``"series"``: ``mu_k = sum_j b_{k+2j} m(k+2j, k, d)`` from :func:`layer_maclaurin` (default ``nmax``:
      twice the degree beyond which ``m(n, kmax, d)`` decreases, at most 4095 for ReLU and 1023 otherwise)
      and :func:`lofi_utils.sphere.series_moment`. Positive terms, so accurate
      *relative* to ``mu_k``; the neglected degrees add at most ``m(n0, k, d) (Theta_l(1) - sum b)``
      once ``m`` decreases in n (large d); infinite bound otherwise.

    ``"auto"`` keeps, entry by entry, the route with the smaller bound (quadrature only for d < 5, where
    ``m(n, k, d)`` decays too slowly in n for the series route to compete). Both bounds are absolute at
    ~1e-16 Theta_l(1) in the worst case, so spectra decaying exponentially (erf, tanh) are resolved only
    while ``mu_k`` stays above that floor (k up to ~25 at d = 3 or 10). On S^1 (d = 2, Gegenbauer index
    0) both routes use the Chebyshev form ``mu_k = (1/pi) int_0^pi kappa(cos th) cos(k th) dth``.

    ``d``: int >= 2; ``kmax``: int >= 0; ``depth``, ``activation``, ``bias``: the network;
    ``method``: ``"auto"``, ``"quadrature"`` or ``"series"``. Returns a :class:`LayerSpectrum`.
    """
    d = check_d(d)
    kmax = check_int(kmax, "kmax", minimum=0)
    L = check_depth(depth)
    act = check_activation(activation)
    b = check_bias(bias)
    check_choice(method, "method", ("auto", "quadrature", "series"))
    n_nodes = n_nodes or (6000 if act == "relu" else 2000)
    if nmax is None:
        # twice the degree beyond which every neglected moment m(n, kmax, d) decreases, as a power of 2 minus 1
        need = 2 * max((kmax - 2) * (kmax + d) + 2, 0) / (d - 1) + 64
        nmax = int(min(2 ** math.ceil(math.log2(need)), 4096 if act == "relu" else 1024)) - 1
    parts = []
    if method in ("auto", "quadrature"):
        parts.append(("quadrature",) + _quadrature_spectrum(d, kmax, L, act, b, n_nodes))
    if method == "series" or (method == "auto" and d >= 5):
        parts.append(("series",) + _series_spectrum(d, kmax, L, act, b, nmax))
    if len(parts) == 1:
        name, mu, err = parts[0]
        route = np.full(mu.shape, name)
    else:
        (_, mu_q, err_q), (_, mu_s, err_s) = parts
        use_s = err_s < err_q
        mu = np.where(use_s, mu_s, mu_q)
        err = np.where(use_s, err_s, err_q)
        route = np.where(use_s, "series", "quadrature")
    return LayerSpectrum(d=d, depth=L, activation=act, bias=b, mu=mu, err=err, route=route)


def relu_share_limit(depth: int, *, bias: float = 0.0) -> np.ndarray:
    """Large-k limit of the parity-averaged ReLU layer shares: ``c_l / sum_l' c_l'``.

    Near ``theta = 0`` every ReLU layer kernel is ``Theta_l(cos theta) = q_l - c_l |theta| + O(theta^2)``: the
    angle of layer m is ``theta_m = theta / sqrt(q_m)`` to first order and ``Sigma_dot^(m+1) = 1 - theta_m/pi``,
    so ``c_l = (q_l / pi) sum_{m=l}^{L-1} q_m^(-1/2)`` (``q_1 = 1 + beta^2``, ``q_{m+1} = q_m + beta^2``). The
    ``|theta|`` kink sets the ``k^-d`` tail of every ``mu_k^(l)``, hence the limit; without bias it is
    ``2 (L - l) / (L (L - 1))`` (the readout's share tends to 0).

    ``depth``: L >= 2; ``bias``: beta >= 0. Returns shape (L,), summing to 1.
    """
    L = check_depth(depth)
    if L < 2:
        raise ValueError("the share limit needs at least two layers (depth >= 2)")
    beta2 = check_bias(bias) ** 2
    q = 1.0 + beta2 * np.arange(1, L + 1)
    inv = q ** -0.5
    c = np.array([q[l] * inv[l:L - 1].sum() for l in range(L)])
    return c / c.sum()


def pair_shares(spectrum: LayerSpectrum, k) -> np.ndarray:
    """Shares of the pair of consecutive degrees: ``(mu_k^(l) + mu_{k+1}^(l)) / (total_k + total_{k+1})``.

    Summing a degree with its neighbour of the other parity cancels the ``(-1)^k`` term that the
    singularity at ``t = -1`` adds to the asymptotics. ``k``: int or integer array with ``k + 1 <= kmax``.
    Returns (L,) or (L, len(k)).
    """
    k = np.asarray(k)
    if np.any(k < 0) or np.any(k + 1 >= spectrum.mu.shape[1]):
        raise ValueError(f"need 0 <= k and k + 1 <= kmax = {spectrum.mu.shape[1] - 1}")
    num = spectrum.mu[:, k] + spectrum.mu[:, k + 1]
    return num / num.sum(axis=0)


def ratio_monotonicity(spectrum: LayerSpectrum, *, kmin: int = 1, kmax: int | None = None,
                       min_step: float = 0.0, first: int | None = None) -> dict:
    """Test that ``mu_k^(l) / mu_k^(l')`` increases with k within each parity, for every pair ``l < l'``.

    Only degrees that are resolved and have every ``mu_k^(l) > 0`` take part. A step counts as a violation
    when ``log(ratio_{k+2}) - log(ratio_k) <= min_step``. ``first``: only the pairs whose earlier layer is
    ``first`` (1-based; e.g. 1 for "layer 1 against every later layer"); default every pair.

    Returns ``{"violations": int, "comparisons": int, "worst": float (smallest step), "where": list of
    (l, l', k)}`` (layers numbered from 1).
    """
    mu = spectrum.mu
    K = mu.shape[1] - 1
    kmax = K if kmax is None else min(int(kmax), K)
    ok = spectrum.resolved & np.all(mu > 0, axis=0)
    L = mu.shape[0]
    viol, comps, worst, where = 0, 0, np.inf, []
    for parity in (0, 1):
        ks = np.array([k for k in range(kmin, kmax + 1) if k % 2 == parity and ok[k]])
        ks = ks[np.r_[True, np.diff(ks) == 2]] if ks.size else ks   # keep consecutive same-parity runs
        if ks.size < 2:
            continue
        for a in (range(L) if first is None else [int(first) - 1]):
            for b in range(a + 1, L):
                lr = np.log(mu[a, ks]) - np.log(mu[b, ks])
                steps = np.diff(lr)
                consecutive = np.diff(ks) == 2
                steps = steps[consecutive]
                comps += steps.size
                if steps.size:
                    worst = min(worst, steps.min())
                bad = np.flatnonzero(steps <= min_step)
                viol += bad.size
                where += [(a + 1, b + 1, int(ks[:-1][consecutive][i])) for i in bad]
    return {"violations": viol, "comparisons": comps, "worst": float(worst), "where": where}


def maclaurin_shares(depth: int, kmax: int, *, activation: str = "relu", bias: float = 0.0) -> np.ndarray:
    """High-dimensional limit of the shares: ``b_k^(l) / sum_l' b_k^(l')``, k = 0..kmax.

    ``mu_k N(d, k) = sum_j b_{k+2j} m(k+2j, k, d) N(d, k) -> b_k`` as ``d -> infinity`` at fixed k
    (``m(k, k, d) N(d, k) -> 1`` and ``m(k+2j, k, d) N(d, k) = O(d^-j)``), so layer l's weight at degree k
    becomes its k-th Maclaurin coefficient (from :func:`layer_series`). Returns (L, kmax+1); NaN where
    every ``b_k^(l)`` vanishes (e.g. even k for odd activations without bias).
    """
    kmax = check_int(kmax, "kmax", minimum=0)
    b = layer_series(depth, activation=activation, bias=bias, nmax=max(kmax, 1)).theta[:, :kmax + 1]
    tot = b.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tot > 1e-14 * b.max(), b / tot, np.nan)


def monotone_in_parity(shares, *, increasing: bool = True, kmin: int = 1) -> bool:
    """Whether a row of shares ``s_k`` is strictly monotone in k within each parity of k.

    The degrees ``kmin, kmin+2, ...`` and ``kmin+1, kmin+3, ...`` are tested separately (odd and even degrees
    feel the kernels' behaviour at ``t = -1`` differently); NaN entries (unresolved shares) are skipped.
    ``shares``: 1-D array indexed by k; ``increasing``: the direction; ``kmin``: first degree, int >= 0.
    Returns a bool (``True`` also when a parity holds fewer than two finite entries).
    """
    s = np.asarray(shares, dtype=float)
    if s.ndim != 1:
        raise ValueError(f"shares must be a 1-D array indexed by the degree, got shape {s.shape}")
    kmin = check_int(kmin, "kmin", minimum=0)
    sign = 1.0 if increasing else -1.0
    return all(bool(np.all(sign * np.diff(s[k0::2][np.isfinite(s[k0::2])]) > 0)) for k0 in (kmin, kmin + 1))


@dataclass
class ShareOrdering:
    """Output of :func:`share_ordering`: the pairwise ordering of the layers over a set of networks.

    ``spectra``: ``{(activation, d, depth): LayerSpectrum}``; ``kmax``; ``caps``: ``{activation: highest degree
    tested for all pairs}``; per activation (summed over d and depth): ``violations`` and ``comparisons`` of
    :func:`ratio_monotonicity` over all pairs ``l < l'`` up to the cap, ``first_violations`` over the pairs
    ``(1, l')`` up to ``kmax``.
    """

    spectra: dict
    kmax: int
    caps: dict
    violations: dict
    comparisons: dict
    first_violations: dict

    def first_share_increasing(self) -> bool:
        """Whether the first layer's share increases with k within each parity (k >= 1), for every spectrum."""
        return all(monotone_in_parity(sp.shares[0], increasing=True) for sp in self.spectra.values())

    def readout_share_decreasing(self) -> bool:
        """Whether the readout's share decreases with k within each parity (k >= 1), for every spectrum."""
        return all(monotone_in_parity(sp.shares[-1], increasing=False) for sp in self.spectra.values())


def share_ordering(ds: Sequence[int], depths: Sequence[int], kmax: int, *,
                   activations: Sequence[str] = ACTIVATIONS, caps: dict | None = None) -> ShareOrdering:
    """Survey of the claim "earlier layers, higher frequencies" over dimensions, depths and activations.

    For every activation, d in ``ds`` and L in ``depths`` (no bias): the per-layer spectrum up to ``kmax``
    (:func:`layer_spectrum`), then :func:`ratio_monotonicity` from k = 0: all pairs ``l < l'`` up to
    ``caps.get(activation, kmax)``, and the pairs with the first layer up to ``kmax``. A violation is a step
    ``k -> k+2`` where ``mu_k^(l) / mu_k^(l')`` does not increase.

    ``ds``: dimensions >= 2; ``depths``: depths >= 2; ``kmax``: int >= 2; ``caps``: optional
    ``{activation: kmax for all pairs}``. Returns a :class:`ShareOrdering`.
    """
    kmax = check_int(kmax, "kmax", minimum=2)
    if len(ds) == 0 or len(depths) == 0 or len(activations) == 0:
        raise ValueError("need at least one dimension, one depth and one activation")
    if any(int(L) < 2 for L in depths):
        raise ValueError(f"the ordering of layers needs depths >= 2, got {list(depths)}")
    caps = {act: (caps or {}).get(act, kmax) for act in activations}
    spectra = {(act, d, L): layer_spectrum(d, kmax, depth=L, activation=act)
               for act in activations for d in ds for L in depths}
    viol = dict.fromkeys(activations, 0)
    comps = dict.fromkeys(activations, 0)
    first = dict.fromkeys(activations, 0)
    for (act, _, _), sp in spectra.items():
        every = ratio_monotonicity(sp, kmin=0, kmax=caps[act])
        viol[act] += every["violations"]
        comps[act] += every["comparisons"]
        first[act] += ratio_monotonicity(sp, kmin=0, kmax=kmax, first=1)["violations"]
    return ShareOrdering(spectra=spectra, kmax=kmax, caps=caps, violations=viol, comparisons=comps,
                         first_violations=first)


@dataclass
class HighDimLimit:
    """Output of :func:`high_dim_limit` (arrays indexed like ``ds``).

    ``ds`` (D,); ``ks`` (K,) the degrees 1..kmax; ``gap`` (D,): ``max_{l,k} |mu_k^(l) N(d,k) / b_k^(l) - 1|``;
    ``share_gap`` (D,): ``max_{l,k} |s_k^(l) - b_k^(l) / sum_l' b_k^(l')|``; ``exponent``: fitted slope of
    ``log gap`` against ``log d`` (theory -1).
    """

    ds: np.ndarray
    ks: np.ndarray
    gap: np.ndarray
    share_gap: np.ndarray
    exponent: float


def high_dim_limit(depth: int, kmax: int, ds: Sequence[int], *, activation: str = "relu",
                   bias: float = 0.0) -> HighDimLimit:
    """How fast the per-layer spectra reach their high-dimensional limit, the Maclaurin coefficients.

    ``mu_k^(l) N(d, k) = sum_j b_{k+2j}^(l) m(k+2j, k, d) N(d, k) = b_k^(l) + O(1/d)`` at fixed k
    (:func:`maclaurin_shares`), so the relative gap should fall like ``1/d``. Degrees ``k = 1..kmax``; a
    degree where some ``b_k^(l) = 0`` (odd ``k >= 3`` for the two-layer ReLU) makes the gap NaN.

    ``depth``: L >= 1; ``kmax``: int >= 1; ``ds``: at least two dimensions >= 2, increasing.
    Returns a :class:`HighDimLimit`.
    """
    L = check_depth(depth)
    kmax = check_int(kmax, "kmax", minimum=1)
    ds = np.asarray(ds, dtype=int)
    if ds.ndim != 1 or ds.size < 2 or np.any(ds < 2) or np.any(np.diff(ds) <= 0):
        raise ValueError(f"ds must hold at least two increasing dimensions >= 2, got {ds!r}")
    ks = np.arange(1, kmax + 1)
    b = layer_series(L, activation=activation, bias=bias, nmax=kmax + 2).theta
    mac = maclaurin_shares(L, kmax, activation=activation, bias=bias)
    gap, share_gap = [], []
    for d in ds:
        sp = layer_spectrum(int(d), kmax, depth=L, activation=activation, bias=bias)
        with np.errstate(divide="ignore", invalid="ignore"):
            gap.append(np.abs(sp.mu[:, ks] * harmonic_dimension(int(d), ks) / b[:, ks] - 1).max())
        share_gap.append(np.abs(sp.shares[:, ks] - mac[:, ks]).max())
    gap = np.array(gap)
    exponent = fit_power_law(ds, gap)[0] if np.all(np.isfinite(gap) & (gap > 0)) else np.nan
    return HighDimLimit(ds=ds, ks=ks, gap=gap, share_gap=np.array(share_gap), exponent=float(exponent))


def plot_layer_kernels(depth: int, *, activation: str = "relu", bias: float = 0.0, ax=None):
    """The normalised per-layer kernels ``Theta_l(t) / Theta_l(1)`` against the cosine t. Returns the axes."""
    ax = get_ax(ax)
    t = np.linspace(-1, 1, 801)
    lk = layer_kernels(t, depth=depth, activation=activation, bias=bias)
    cols = sequential_colors(depth)
    for l in range(depth):
        name = "readout" if l == depth - 1 else f"layer {l + 1}"
        ax.plot(t, lk.theta_layers[l] / lk.theta_layers[l, -1], color=cols[l], label=name)
    return label(ax, r"cosine $t = x\cdot x'/d$", r"$\Theta_\ell(t)/\Theta_\ell(1)$",
                 f"{activation}, L = {depth}, β = {bias:g}", legend=True)


def plot_layer_shares(d: int, *, depth: int, activation: str = "relu", bias: float = 0.0, kmax: int = 24,
                      limit: bool = True, ax=None, spectrum: LayerSpectrum | None = None):
    """Layer shares ``s_k^(l)`` against the degree k on S^{d-1} (filled markers: even k, open: odd k).

    Degrees whose shares are not resolved (see :class:`LayerSpectrum`) are left out. For ReLU with
    ``limit=True`` the large-k limits of :func:`relu_share_limit` are drawn dashed. ``spectrum``: a
    precomputed :func:`layer_spectrum` (else computed). Returns the axes.
    """
    ax = get_ax(ax)
    sp = spectrum or layer_spectrum(d, kmax, depth=depth, activation=activation, bias=bias)
    s = sp.shares
    k = sp.k
    cols = sequential_colors(depth)
    for l in range(depth):
        name = "readout" if l == depth - 1 else f"layer {l + 1}"
        labelled = False
        for parity, mfc in ((0, None), (1, "none")):
            sel = (k % 2 == parity) & np.isfinite(s[l])
            if not sel.any():
                continue
            ax.plot(k[sel], s[l, sel], "o-", ms=3.5, lw=1.0, color=cols[l], mfc=mfc,
                    label=None if labelled else name)
            labelled = True
        if limit and activation == "relu" and depth >= 2:
            ax.axhline(relu_share_limit(depth, bias=bias)[l], color=cols[l], ls="--", lw=0.8)
    ax.set_ylim(0, 1)
    return label(ax, "degree k (filled: even, open: odd)", r"share $s_k^{(\ell)}$",
                 f"{activation}, L = {depth}, d = {d}, β = {bias:g}", legend=True)


def share_explorer(*, kmax: int = 24):
    """An ``ipywidgets`` panel over :func:`plot_layer_shares`: choose activation, depth, dimension and bias.

    Needs a live kernel. It draws only when a control changes (:func:`lofi_utils.plotting.control_panel`;
    the chapter's static figure is the same function with fixed arguments), so building the chapter draws
    no figure for it. ``kmax``: highest degree shown. Returns a ``VBox`` of the four controls and the output.
    """
    import ipywidgets as widgets

    controls = [
        widgets.Dropdown(options=list(ACTIVATIONS), value="relu", description="activation"),
        widgets.IntSlider(value=4, min=2, max=8, description="depth L"),
        widgets.Dropdown(options=[2, 3, 5, 10, 50, 200], value=10, description="dimension d"),
        widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="bias β"),
    ]

    def draw(ax, activation, depth, d, bias):
        plot_layer_shares(d, depth=depth, activation=activation, bias=bias, kmax=kmax, ax=ax)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))

    return control_panel(controls, draw)


# =========================================================================== 3. finite networks
def _sphere_tensor(n, d, rng, dtype, device):
    x = sample_sphere(n, d, radius=math.sqrt(d), rng=rng)
    return x, torch.as_tensor(x, dtype=dtype, device=device)


@dataclass
class LayerWidthSweep(WidthSweep):
    """Output of :func:`layer_width_sweep`: ``errors`` (W, S, L) relative Frobenius errors
    ``|Theta_hat_l - Theta_l|_F / |Theta_l|_F`` per width, network seed and layer (``mean_errors``: (W, L));
    ``total_errors`` (W, S) the same for the NTK ``sum_l Theta_hat_l`` (what
    :func:`lofi_utils.spectra.ntk_width_sweep` records); ``n_points``; ``wall_time`` in seconds."""

    total_errors: np.ndarray
    n_points: int
    wall_time: float

    def exponents(self) -> np.ndarray:
        """(L,): fitted slope of log(mean error) against log(width), per layer (theory -1/2)."""
        return np.array([fit_power_law(self.widths, self.mean_errors[:, l])[0] for l in range(self.depth)])

    def scaled(self) -> np.ndarray:
        """(W, L): ``mean error x sqrt(width)``, constant under an ``n^(-1/2)`` law."""
        return self.mean_errors * np.sqrt(self.widths)[:, None]


def layer_width_sweep(d: int, depth: int, n_points: int, widths: Sequence[int], *, seeds: int = 2,
                      activation: str = "relu", bias: float = 0.0, seed: int = 0, device=None,
                      dtype: torch.dtype = torch.float32) -> LayerWidthSweep:
    """Per-layer empirical NTK (factorised formula, :func:`lofi_utils.ntk.empirical_layer_ntk`) against the
    analytic ``Theta_l`` at several widths.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` (drawn with ``seed``); networks seeded
    ``seed .. seed+seeds-1``; error of layer l: ``|Theta_hat_l - Theta_l|_F / |Theta_l|_F``. The loop is that of
    :func:`lofi_utils.spectra.ntk_width_sweep` (same inputs and networks for the same arguments), which
    records the error of the sum over layers. ``widths``: positive ints; ``seeds``: int >= 1;
    ``n_points``: int >= 2. Returns a :class:`LayerWidthSweep`.
    """
    L = check_depth(depth)
    sw = kernel_width_sweep(d, L, n_points, widths, seeds=seeds, bias=bias, activation=activation, seed=seed,
                             device=device, dtype=dtype)
    return LayerWidthSweep(widths=sw.widths, errors=sw.layer_errors, d=int(d), depth=L, bias=float(bias),
                           activation=activation, total_errors=sw.total_errors, n_points=int(n_points),
                           wall_time=sw.wall_time)


def zonal_probes(x, k: int, *, n_probes: int, rng: np.random.Generator, extra: int = 5) -> np.ndarray:
    """Degree-k zonal harmonics ``P_k(x . e / |x|)`` at the points ``x``, cleaned of sampled lower degrees.

    For random unit directions ``e`` the zonal function is a degree-k spherical harmonic; on a finite sample
    it is not orthogonal to the lower degrees, whose much larger eigenvalues would leak into a quadratic
    form. So ``N(d, j) + extra`` random zonal functions of each degree ``j < k`` (which span the degree-j
    harmonics at the sample points) are orthonormalised (QR) and projected out of every probe.

    ``x``: (N, d) points on a sphere; ``k``: degree >= 0; ``n_probes``: number of directions; ``rng``: a
    ``numpy.random.Generator``. Returns (N, n_probes) float64.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be an (N, d) array, got shape {x.shape}")
    N, d = x.shape
    k = check_int(k, "k", minimum=0)
    n_probes = check_int(n_probes, "n_probes", minimum=1)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)

    def zonal(j, m):
        e = sample_sphere(m, d, rng=rng)
        t = np.clip(u @ e.T, -1.0, 1.0)                      # (N, m)
        return gegenbauer_table(j, d, t.ravel())[j].reshape(N, m)

    Y = zonal(k, n_probes)
    if k == 0:
        return Y
    low = np.hstack([zonal(j, int(harmonic_dimension(d, j)) + extra) for j in range(k)])
    if low.shape[1] >= N:
        raise ValueError(f"{low.shape[1]} lower-degree functions for {N} points: use more points or a lower k")
    with _lapack_one_thread():
        Q, _ = np.linalg.qr(low)
    return Y - Q @ (Q.T @ Y)


def probe_shares(grams, probes) -> np.ndarray:
    """Per-layer shares of the quadratic forms ``sum_p y_p^T G_l y_p / sum_p y_p^T G y_p`` (G = sum_l G_l).

    ``grams``: (L, N, N) array or tensor of per-layer Gram matrices; ``probes``: (N, P). Returns (L,).
    """
    G = grams.double().cpu().numpy() if isinstance(grams, torch.Tensor) else np.asarray(grams, dtype=float)
    Y = np.asarray(probes, dtype=float)
    if G.ndim != 3 or G.shape[1] != G.shape[2] or G.shape[1] != Y.shape[0]:
        raise ValueError(f"grams must be (L, N, N) and probes (N, P), got {G.shape} and {Y.shape}")
    q = ((G @ Y) * Y).sum(axis=(1, 2))
    return q / q.sum()


@dataclass
class ProbeShares:
    """Output of :func:`measure_probe_shares` (arrays indexed by degree, then layer).

    ``network`` (S, K, L): shares measured on finite networks (one row per seed); ``analytic`` (K, L): the
    same estimator on the analytic Gram matrices at the same points (isolates the sampling error);
    ``theory`` (K, L): the population shares ``s_k^(l)`` (:func:`layer_spectrum`).
    """

    ks: np.ndarray
    network: np.ndarray
    analytic: np.ndarray
    theory: np.ndarray
    width: int
    n_points: int
    wall_time: float

    @property
    def network_mean(self) -> np.ndarray:
        """(K, L): the network's shares averaged over seeds."""
        return self.network.mean(axis=0)


def measure_probe_shares(d: int, depth: int, width: int, n_points: int, ks: Sequence[int], *, seeds: int = 2,
                         n_probes: int = 20, activation: str = "relu", bias: float = 0.0, seed: int = 0,
                         device=None, dtype: torch.dtype = torch.float32) -> ProbeShares:
    """Per-layer shares ``s_k^(l)`` measured on finite networks with zonal-harmonic probes.

    For every seed: ``n_points`` fresh inputs on the sphere, the network's per-layer Gram matrices
    (factorised formula), probes from :func:`zonal_probes`, shares from :func:`probe_shares`. Returns a
    :class:`ProbeShares` with the analytic-kernel and population references.
    """
    ks = np.asarray(ks, dtype=int)
    seeds = check_int(seeds, "seeds", minimum=1)
    L = check_depth(depth)
    sp = layer_spectrum(d, int(ks.max()), depth=L, activation=activation, bias=bias)
    net = np.empty((seeds, ks.size, L))
    ana = np.zeros((ks.size, L))
    t0 = time.perf_counter()
    for s in range(seeds):
        rng = np.random.default_rng(seed + 1000 + s)
        x, xt = _sphere_tensor(n_points, d, rng, dtype, device)
        G = empirical_layer_ntk(MLP(d, width, L, activation=activation, bias=bias, seed=seed + s, dtype=dtype,
                                    device=device), xt).double().cpu().numpy()
        A = layer_kernels(np.clip(x @ x.T / d, -1, 1), depth=L, activation=activation, bias=bias).theta_layers
        for i, k in enumerate(ks):
            Y = zonal_probes(x, int(k), n_probes=n_probes, rng=rng)
            net[s, i] = probe_shares(G, Y)
            ana[i] += probe_shares(A, Y) / seeds
    return ProbeShares(ks=ks, network=net, analytic=ana, theory=sp.mu[:, ks].T / sp.total[ks][:, None],
                       width=int(width), n_points=int(n_points), wall_time=time.perf_counter() - t0)


# =========================================================================== 4. who reduces the error
def zonal_target(x, k: int, e) -> np.ndarray:
    """Unit-variance degree-k zonal harmonic ``sqrt(N(d, k)) P_k(x . e / (|x| |e|))`` (``E[y^2] = 1`` for x uniform).

    ``x``: (N, d); ``k``: int >= 0; ``e``: (d,) direction. Returns (N,).
    """
    x = np.asarray(x, dtype=float)
    e = np.asarray(e, dtype=float)
    if x.ndim != 2 or e.shape != (x.shape[1],):
        raise ValueError(f"x must be (N, d) and e (d,), got {x.shape} and {e.shape}")
    k = check_int(k, "k", minimum=0)
    t = np.clip((x / np.linalg.norm(x, axis=1, keepdims=True)) @ (e / np.linalg.norm(e)), -1.0, 1.0)
    return math.sqrt(harmonic_dimension(x.shape[1], k)) * gegenbauer_table(k, x.shape[1], t)[k]


@dataclass
class AttributionResult:
    """Per-layer attribution of the test-loss reduction during gradient descent.

    ``contrib`` (T+1, L): cumulative ``C_l(t)`` by the trapezoidal rule,
    ``C_l += (eta/2) <grad_l L_test(theta_t) + grad_l L_test(theta_{t+1}), grad_l L_train(theta_t)>`` (exact
    for a quadratic test loss, so ``sum_l C_l`` equals the drop of the linearised model's test loss);
    ``contrib_euler`` (T+1, L): the first-order version ``eta <grad_l L_test(theta_t), grad_l L_train(theta_t)>``;
    ``test_loss``, ``train_loss`` (T+1,); ``trained``: the layers (1-based) that were updated.
    """

    contrib: np.ndarray
    contrib_euler: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    eta: float
    trained: tuple
    wall_time: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def drop(self) -> float:
        """Test-loss reduction over the run, ``L_test(0) - L_test(T)``."""
        return float(self.test_loss[0] - self.test_loss[-1])

    @property
    def shares(self) -> np.ndarray:
        """(L,): fraction of the total attributed reduction done by each layer, ``C_l(T) / sum_l C_l(T)``."""
        c = self.contrib[-1]
        return c / c.sum()

    @property
    def closure(self) -> float:
        """``sum_l C_l(T) / drop``: 1 when the attribution accounts for the whole reduction."""
        return float(self.contrib[-1].sum() / self.drop)

    @property
    def closure_euler(self) -> float:
        return float(self.contrib_euler[-1].sum() / self.drop)


def _check_trained(train_layers, L):
    if train_layers is None:
        return tuple(range(1, L + 1))
    tl = tuple(sorted({int(l) for l in train_layers}))
    if not tl or tl[0] < 1 or tl[-1] > L:
        raise ValueError(f"train_layers must be layers in 1..{L}, got {train_layers!r}")
    return tl


def train_attribution(model: MLP, x_train, y_train, x_test, y_test, *, eta: float, steps: int,
                      train_layers: Sequence[int] | None = None, record_every: int = 1,
                      threads: int | None = None) -> AttributionResult:
    """Full-batch gradient descent on ``L_train = 1/(2n) sum (f - f_0 - y)^2`` with the test-loss reduction
    attributed to each layer.

    ``f_0`` is the initial function (subtracted so that the network starts at 0, like the linearised
    model). At every step the gradients of ``L_train`` and ``L_test`` (the same loss on the test points) are
    taken per parameter group ``(W_{l-1}, b_{l-1})``; layer l's share of the step's test-loss change is
    ``-eta <g_l^test, g_l^train>``, with ``g^test`` averaged between the two ends of the step
    (:class:`AttributionResult`). Only ``train_layers`` (1-based; default all) are updated: with one layer,
    this is the train-one-layer-only experiment.

    ``model``: :class:`lofi_utils.ntk.MLP` (modified in place); ``x_*``: tensors (n, d) on the model's device;
    ``y_*``: tensors (n,); ``eta``: step > 0; ``steps``: int >= 1; ``record_every``: loss/contribution
    recording stride; ``threads``: PyTorch threads during training (``None``: unchanged; on a CPU shared
    with other work one thread can be 10x faster for these small networks). Returns an
    :class:`AttributionResult` (arrays at the recorded steps).
    """
    if not isinstance(model, MLP):
        raise ValueError(f"model must be a lofi_utils.ntk.MLP, got {type(model).__name__}")
    steps = check_int(steps, "steps", minimum=1)
    eta = check_positive(eta, "eta")
    with _torch_threads(threads):
        return _train_attribution(model, x_train, y_train, x_test, y_test, eta, steps, train_layers, record_every)


def _train_attribution(model, x_train, y_train, x_test, y_test, eta, steps, train_layers, record_every):
    L = model.depth
    trained = _check_trained(train_layers, L)
    params = [p for l in trained for p in (model.weights[l - 1], model.biases[l - 1])]
    with torch.no_grad():
        f0_tr, f0_te = model(x_train), model(x_test)
    y_tr, y_te = y_train.to(f0_tr.dtype), y_test.to(f0_te.dtype)

    def loss_and_grad(x, f0, y):                     # separate passes: each backward sees only its samples
        r = model(x) - f0 - y
        loss = 0.5 * (r * r).mean()
        return loss.item(), torch.autograd.grad(loss, params)

    def per_layer_dot(ga, gb):
        out = np.zeros(L)
        for i, l in enumerate(trained):
            out[l - 1] = sum((a * b).sum().item() for a, b in zip(ga[2 * i:2 * i + 2], gb[2 * i:2 * i + 2]))
        return out

    C = np.zeros(L)
    Ce = np.zeros(L)
    rec_C, rec_Ce, rec_te, rec_tr = [C.copy()], [Ce.copy()], [], []
    t0 = time.perf_counter()
    ltr, gtr = loss_and_grad(x_train, f0_tr, y_tr)
    lte, gte = loss_and_grad(x_test, f0_te, y_te)
    rec_te.append(lte)
    rec_tr.append(ltr)
    for s in range(1, steps + 1):
        now = per_layer_dot(gte, gtr)
        with torch.no_grad():
            for p, g in zip(params, gtr):
                p.sub_(eta * g)
        lte, gte = loss_and_grad(x_test, f0_te, y_te)
        after = per_layer_dot(gte, gtr)
        ltr, gtr = loss_and_grad(x_train, f0_tr, y_tr)
        Ce += eta * now
        C += 0.5 * eta * (now + after)
        if s % record_every == 0 or s == steps:
            rec_C.append(C.copy())
            rec_Ce.append(Ce.copy())
            rec_te.append(lte)
            rec_tr.append(ltr)
    return AttributionResult(contrib=np.array(rec_C), contrib_euler=np.array(rec_Ce), test_loss=np.array(rec_te),
                             train_loss=np.array(rec_tr), eta=eta, trained=trained,
                             wall_time=time.perf_counter() - t0, extra={"record_every": record_every})


def kernel_attribution(K_train, K_test_train, y_train, y_test, *, eta: float, steps: int,
                       train_layers: Sequence[int] | None = None, record_every: int = 1) -> AttributionResult:
    """The linearised (kernel) model's version of :func:`train_attribution`, from per-layer Gram matrices.

    Residuals ``r = f - y`` on the training and test points, from ``f = 0``:
    ``r_tr <- r_tr - (eta/n) K r_tr``, ``r_te <- r_te - (eta/n) K_te,tr r_tr`` with ``K = sum_{l trained} K_l``;
    layer l's share of a step is ``-eta <g_l^test, g_l^train> = -(eta/(n m)) r_te^T K_l,te,tr r_tr`` (trapezoidal
    in ``g^test``, exact here since the loss is quadratic).

    ``K_train``: (L, n, n); ``K_test_train``: (L, m, n); ``y_train`` (n,), ``y_test`` (m,) float arrays;
    ``eta``, ``steps``, ``train_layers``, ``record_every``: as in :func:`train_attribution`. Returns an
    :class:`AttributionResult`.
    """
    Ktr = np.asarray(K_train, dtype=float)
    Kte = np.asarray(K_test_train, dtype=float)
    ytr = np.asarray(y_train, dtype=float)
    yte = np.asarray(y_test, dtype=float)
    if Ktr.ndim != 3 or Kte.ndim != 3 or Ktr.shape[0] != Kte.shape[0] or Ktr.shape[1:] != (ytr.size, ytr.size) \
            or Kte.shape[1:] != (yte.size, ytr.size):
        raise ValueError(f"need K_train (L, n, n), K_test_train (L, m, n), y_train (n,), y_test (m,); got "
                         f"{Ktr.shape}, {Kte.shape}, {ytr.shape}, {yte.shape}")
    steps = check_int(steps, "steps", minimum=1)
    L = Ktr.shape[0]
    trained = _check_trained(train_layers, L)
    idx = [l - 1 for l in trained]
    n, m = ytr.size, yte.size
    Ksum = Ktr[idx].sum(axis=0)
    Kte_sum = Kte[idx].sum(axis=0)
    mask = np.zeros(L)
    mask[idx] = 1.0
    rtr, rte = -ytr.copy(), -yte.copy()
    C = np.zeros(L)
    Ce = np.zeros(L)
    rec_C, rec_Ce = [C.copy()], [Ce.copy()]
    rec_te, rec_tr = [0.5 * np.mean(rte ** 2)], [0.5 * np.mean(rtr ** 2)]
    for s in range(1, steps + 1):
        KlR = Kte @ rtr                                       # (L, m): K_l,te,tr r_tr
        now = (KlR @ rte) / (n * m) * mask
        rte_new = rte - (eta / n) * (Kte_sum @ rtr)
        after = (KlR @ rte_new) / (n * m) * mask
        rtr = rtr - (eta / n) * (Ksum @ rtr)
        rte = rte_new
        Ce += eta * now
        C += 0.5 * eta * (now + after)
        if s % record_every == 0 or s == steps:
            rec_C.append(C.copy())
            rec_Ce.append(Ce.copy())
            rec_te.append(0.5 * np.mean(rte ** 2))
            rec_tr.append(0.5 * np.mean(rtr ** 2))
    return AttributionResult(contrib=np.array(rec_C), contrib_euler=np.array(rec_Ce), test_loss=np.array(rec_te),
                             train_loss=np.array(rec_tr), eta=float(eta), trained=trained,
                             extra={"record_every": record_every})


def residual_rate(loss, *, floor: float = 0.3) -> float:
    """Per-step decay rate of a residual from its loss curve: ``r(t) ~ (1 - rate)^t``, ``loss ~ r^2``.

    Least-squares slope of ``log(loss)/2`` over the steps before the loss first drops below ``floor`` times
    its initial value (at least the first 10 steps). ``loss``: (T+1,) positive. Returns ``1 - exp(slope)``.
    """
    a = np.asarray(loss, dtype=float)
    if a.ndim != 1 or a.size < 3 or np.any(a <= 0):
        raise ValueError("loss must be a 1-D array of at least 3 positive values")
    below = np.flatnonzero(a <= floor * a[0])
    end = max(int(below[0]) if below.size else a.size, min(10, a.size))
    slope = np.polyfit(np.arange(end, dtype=float), 0.5 * np.log(a[:end]), 1)[0]
    return float(1.0 - math.exp(slope))


# =========================================================================== 5. real data
@dataclass
class RealData:
    """A real dataset on the sphere of radius ``sqrt(D)``: ``X`` (n, D) float64, ``labels`` (n,) int64, a
    ``±1`` regression target ``y`` (n,), its ``name`` and a one-line ``note`` on what was loaded."""

    X: np.ndarray
    labels: np.ndarray
    y: np.ndarray
    name: str
    note: str


def load_real_data(data_path=None, *, n: int, seed: int = 0) -> RealData:
    """Load a real dataset, flatten it and put it on the sphere (:func:`lofi_utils.datasets.to_sphere`).

    ``data_path=None``: scikit-learn's digits (offline), target ``+1`` for digits 0-4 and ``-1`` for 5-9.
    Otherwise the files under the path decide (:func:`lofi_utils.datasets.detect`, whatever the folder's
    name): CIFAR-10 batches (:func:`lofi_utils.datasets.load_cifar10`), target animals (+1) vs vehicles (-1);
    MNIST IDX files or ``mnist.npz`` (:func:`lofi_utils.datasets.load_mnist`), target 0-4 vs 5-9. A bad path
    or file raises :class:`lofi_utils.datasets.DataMissing` with a one-line message.

    ``n``: number of samples (a random subset drawn with ``seed``; all of the training split if larger).
    Returns a :class:`RealData`.
    """
    from . import datasets

    n = check_int(n, "n", minimum=2)
    if data_path is None:
        X, lab = datasets.digits(normalize=None)
        name = "digits"
        note = "scikit-learn digits (8x8, offline); no data_path given"
        y = np.where(lab <= 4, 1.0, -1.0)
    elif datasets.detect(data_path, ("cifar10", "mnist")) == "cifar10":
        X, lab = datasets.load_cifar10(data_path)
        name = "CIFAR-10"
        note = f"CIFAR-10 from {data_path}"
        y = datasets.cifar10_animals_vs_vehicles(lab)
    else:
        X, lab = datasets.load_mnist(data_path)
        name = "MNIST"
        note = f"MNIST from {data_path}"
        y = np.where(lab <= 4, 1.0, -1.0)
    X = np.asarray(X, dtype=np.float64).reshape(len(lab), -1)
    if n < len(lab):
        idx = np.random.default_rng(seed).choice(len(lab), size=n, replace=False)
        X, lab, y = X[idx], lab[idx], y[idx]
    return RealData(X=datasets.to_sphere(X), labels=np.asarray(lab, dtype=np.int64), y=np.asarray(y, dtype=float),
                    name=name, note=f"{note}; {len(lab) if n >= len(lab) else n} samples, D = {X.shape[1]}")


@dataclass
class DataSpectrum:
    """Per-layer analysis of the analytic NTK on a dataset (output of :func:`data_layer_spectrum`).

    ``eigvals`` (n,): eigenvalues of ``K / n`` (``K = sum_l K_l`` on the data), decreasing; ``eigvecs``
    (n, n): orthonormal columns; ``shares`` (L, n): ``v_i^T K_l v_i / v_i^T K v_i``, the analogue of
    ``s_k^(l)`` with the eigen-index i in the role of the degree; ``grams`` (L, n, n) the analytic
    per-layer Gram matrices; ``bands``: list of index arrays (logarithmic bins of i).
    """

    eigvals: np.ndarray
    eigvecs: np.ndarray
    shares: np.ndarray
    grams: np.ndarray
    bands: list
    depth: int
    activation: str
    bias: float

    @property
    def band_centres(self) -> np.ndarray:
        return np.array([np.exp(np.mean(np.log(b + 1))) for b in self.bands])

    def band_shares(self, shares: np.ndarray | None = None) -> np.ndarray:
        """(L, B): shares averaged in each band, weighted by eigenvalue (``sum v^T K_l v / sum v^T K v``)."""
        s = self.shares if shares is None else shares
        w = self.eigvals
        return np.stack([(s[:, b] * w[b]).sum(axis=1) / w[b].sum() for b in self.bands], axis=1)

    def project_shares(self, grams) -> np.ndarray:
        """(L, n): ``v_i^T G_l v_i / v_i^T G v_i`` for other per-layer Gram matrices ``grams`` (L, n, n)."""
        G = grams.double().cpu().numpy() if isinstance(grams, torch.Tensor) else np.asarray(grams, dtype=float)
        V = self.eigvecs
        q = ((G @ V) * V).sum(axis=1)
        return q / q.sum(axis=0)


def data_layer_spectrum(X, *, depth: int, activation: str = "relu", bias: float = 0.0,
                        n_bands: int = 8, device=None) -> DataSpectrum:
    """Per-layer shares of the analytic NTK along the eigenvectors of its Gram matrix on the data ``X``.

    ``K_l = Theta_l(x_i . x_j / D)`` for rows on the sphere of radius ``sqrt(D)``; ``K = sum_l K_l = V diag(n lambda)
    V^T``. On the uniform sphere the eigenvectors are the spherical harmonics, ordered by degree; on data,
    the index i of ``lambda_i`` (decreasing) plays the role of the frequency.

    ``X``: (n, D) on the sphere of radius sqrt(D); ``n_bands``: number of logarithmic bands of i;
    ``device``: a CUDA device does the eigendecomposition and the quadratic forms there (float64).
    Returns a :class:`DataSpectrum`.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be an (n, D) array, got shape {X.shape}")
    n, D = X.shape
    if not np.allclose(np.einsum("ij,ij->i", X, X), D, rtol=1e-8):
        raise ValueError("rows of X must lie on the sphere of radius sqrt(D) (see lofi_utils.datasets.to_sphere)")
    L = check_depth(depth)
    n_bands = check_int(n_bands, "n_bands", minimum=1)
    cos = np.clip(X @ X.T / D, -1.0, 1.0)
    grams = layer_kernels(cos, depth=L, activation=activation, bias=bias).theta_layers
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if dev.type == "cuda":
        Gt = torch.as_tensor(grams, device=dev)
        lam_t, V_t = torch.linalg.eigh(Gt.sum(0))
        q = ((Gt @ V_t) * V_t).sum(1).cpu().numpy()
        lam, V = lam_t.cpu().numpy(), V_t.cpu().numpy()
    else:
        with _lapack_one_thread():
            lam, V = np.linalg.eigh(grams.sum(axis=0))
        q = ((grams @ V) * V).sum(axis=1)
    lam, V, q = lam[::-1] / n, np.ascontiguousarray(V[:, ::-1]), q[:, ::-1]
    shares = q / q.sum(axis=0)
    edges = np.unique(np.round(np.logspace(0, np.log10(n), n_bands + 1)).astype(int)) - 1
    edges[-1] = n
    bands = [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    return DataSpectrum(eigvals=lam, eigvecs=V, shares=shares, grams=grams, bands=bands, depth=L,
                        activation=activation, bias=float(bias))


def band_target(spectrum: DataSpectrum, band: Sequence[int], n_train: int, *,
                rng: np.random.Generator) -> np.ndarray:
    """A unit-variance target spanned by the kernel's eigenfunctions ``band``, estimated on the training points.

    The data analogue of a degree-k harmonic, built so that it generalises: with ``K`` the analytic NTK Gram
    matrix of all points (``spectrum.grams``), ``K_tr = V diag(n_train lambda) V^T`` on the first ``n_train``
    points, the Nystrom eigenfunctions ``phi_i(x) = sum_j K(x, x_j) V_ji / (n_train lambda_i)`` equal ``V_:i`` on
    the training points and extend them to the others; the target is ``sum_{i in band} g_i phi_i`` with Gaussian
    ``g``, scaled to mean square 1 on the training points. Eigen-indices count from 0 (decreasing order).

    Returns (n,) over all points of ``spectrum``, in their order.
    """
    band = np.asarray(band, dtype=int)
    K = spectrum.grams.sum(axis=0)
    n = K.shape[0]
    n_train = check_int(n_train, "n_train", minimum=2)
    if band.size == 0 or band.min() < 0 or band.max() >= min(n_train, n):
        raise ValueError(f"band must hold eigen-indices in [0, {min(n_train, n) - 1}], got {band}")
    with _lapack_one_thread():
        lam, V = np.linalg.eigh(K[:n_train, :n_train])
    lam, V = lam[::-1][band], V[:, ::-1][:, band]
    g = rng.standard_normal(band.size)
    y = K[:, :n_train] @ (V @ (g / lam))                     # = V g on the training points
    return y / np.sqrt(np.mean(y[:n_train] ** 2))


# =========================================================================== experiments and figures
@dataclass
class AttributionComparison:
    """One target, three levels of description (output of :func:`compare_attribution`).

    ``network``: the trained network; ``initial``: the linearised model with the network's own per-layer
    NTK at initialisation (differs from ``network`` only by the kernel's drift during training);
    ``analytic``: the linearised model with the analytic per-layer kernels at the same points (differs from
    ``initial`` by the finite width). Each is an :class:`AttributionResult`.
    """

    network: AttributionResult
    initial: AttributionResult
    analytic: AttributionResult
    label: str = ""

    def describe(self) -> str:
        """One line: the three share vectors, the network's test loss before and after, and its closure."""
        net = self.network
        return (f"{self.label:9s}: network {np.round(net.shares, 3)}, initial kernel {np.round(self.initial.shares, 3)}, "
                f"analytic {np.round(self.analytic.shares, 3)}; test loss {net.test_loss[0]:.3f} -> "
                f"{net.test_loss[-1]:.3f}, closure {net.closure:.4f}")


def compare_attribution(model: MLP, x, y, n_train: int, *, eta: float, steps: int,
                        train_layers: Sequence[int] | None = None, record_every: int = 1,
                        label: str = "", threads: int | None = None) -> AttributionComparison:
    """Train ``model`` on the first ``n_train`` points of ``(x, y)``, test on the rest, and attribute the
    test-loss reduction per layer for the network, its initial-kernel linearisation and the analytic kernel.

    ``x``: (N, D) float array on the sphere of radius ``sqrt(D)``; ``y``: (N,); the network trains in its own
    dtype on its device; ``threads``: passed to :func:`train_attribution`. Returns an
    :class:`AttributionComparison`.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_train = check_int(n_train, "n_train", minimum=1)
    if x.ndim != 2 or y.shape != (x.shape[0],) or n_train >= x.shape[0]:
        raise ValueError(f"need x (N, D), y (N,) and 1 <= n_train < N; got {x.shape}, {y.shape}, {n_train}")
    p0 = next(model.parameters())
    xt = torch.as_tensor(x, dtype=p0.dtype, device=p0.device)
    yt = torch.as_tensor(y, dtype=p0.dtype, device=p0.device)
    G = empirical_layer_ntk(model, xt).double().cpu().numpy()
    A = layer_kernels(np.clip(x @ x.T / x.shape[1], -1, 1), depth=model.depth, activation=model.activation,
                      bias=model.beta).theta_layers
    n = n_train
    kw = dict(eta=eta, steps=steps, train_layers=train_layers, record_every=record_every)
    ini = kernel_attribution(G[:, :n, :n], G[:, n:, :n], y[:n], y[n:], **kw)
    ana = kernel_attribution(A[:, :n, :n], A[:, n:, :n], y[:n], y[n:], **kw)
    net = train_attribution(model, xt[:n], yt[:n], xt[n:], yt[n:], threads=threads, **kw)
    return AttributionComparison(network=net, initial=ini, analytic=ana, label=label)


def _attribution_run(x, y, n_train: int, *, width: int, depth: int, model_seed: int, eta: float, steps: int,
                     device, threads, label: str = "", train_layers=None) -> AttributionComparison:
    """:func:`compare_attribution` for a fresh ReLU :class:`lofi_utils.ntk.MLP` seeded ``model_seed``."""
    model = MLP(np.shape(x)[1], width, depth, seed=model_seed, device=device)
    return compare_attribution(model, x, y, n_train, eta=eta, steps=steps, train_layers=train_layers,
                               label=label, threads=threads)


def zonal_task(d: int, n_points: int, k: int, *, seed: int = 0, rep: int = 0):
    """Inputs and a degree-k target for the attribution experiments on the sphere.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` and the unit-variance zonal harmonic
    ``y = sqrt(N(d, k)) P_k(x . e / |x|)`` of a random direction ``e`` (:func:`zonal_target`), all drawn
    from ``numpy.random.default_rng(10_000 seed + 100 k + rep)`` (one stream per degree and repetition).

    ``d``: int >= 2; ``n_points``: int >= 2; ``k``: degree >= 0; ``seed``, ``rep``: ints >= 0.
    Returns ``(x, y)`` of shapes (n_points, d) and (n_points,).
    """
    d = check_int(d, "d", minimum=2)
    n_points = check_int(n_points, "n_points", minimum=2)
    k = check_int(k, "k", minimum=0)
    seed, rep = check_int(seed, "seed", minimum=0), check_int(rep, "rep", minimum=0)
    rng = np.random.default_rng(10_000 * seed + 100 * k + rep)
    x = sample_sphere(n_points, d, radius=math.sqrt(d), rng=rng)
    return x, zonal_target(x, k, sample_sphere(1, d, rng=rng)[0])


@dataclass
class ZonalAttribution:
    """Output of :func:`zonal_attribution`: ``runs[k, rep]`` an :class:`AttributionComparison` per degree and
    repetition; ``ks``; ``reps``. Indexing the object indexes ``runs``."""

    runs: dict
    ks: tuple
    reps: int

    def __getitem__(self, key) -> AttributionComparison:
        return self.runs[key]

    def values(self) -> list:
        return list(self.runs.values())

    def network_mean(self, k: int) -> np.ndarray:
        """(L,): the network's shares ``C_l(T) / sum C(T)`` for degree k, averaged over repetitions."""
        return np.mean([self.runs[k, r].network.shares for r in range(self.reps)], axis=0)

    def closure(self, k: int, *, euler: bool = False) -> float:
        """Mean over repetitions of ``sum_l C_l / test-loss drop`` (``euler=True``: the first-order sum)."""
        return float(np.mean([self.runs[k, r].network.closure_euler if euler else self.runs[k, r].network.closure
                              for r in range(self.reps)]))

    def theory_gaps(self, theory) -> tuple[float, float]:
        """Distances to the population shares ``theory`` (L, K+1) (e.g. ``LayerSpectrum.shares``):
        ``(max_k |mean network shares - s_k|, max_{k, rep} |analytic-kernel shares - s_k|)``."""
        theory = np.asarray(theory, dtype=float)
        if theory.ndim != 2 or theory.shape[1] <= max(self.ks):
            raise ValueError(f"theory must be (L, K+1) with K >= {max(self.ks)}, got shape {theory.shape}")
        net = max(np.abs(self.network_mean(k) - theory[:, k]).max() for k in self.ks)
        ana = max(np.abs(r.analytic.shares - theory[:, k]).max() for (k, _), r in self.runs.items())
        return float(net), float(ana)


def zonal_attribution(d: int, depth: int, width: int, n_train: int, ks: Sequence[int], *, reps: int,
                      eta: float, steps: int, seed: int = 0, device=None,
                      threads: int | None = None) -> ZonalAttribution:
    """Who reduces the error on degree-k targets: :func:`compare_attribution` for every k and repetition.

    For degree k and repetition r: ``2 n_train`` points and a zonal degree-k target from :func:`zonal_task`
    (``seed``, r), the first half for training and the second for testing, and a ReLU network of width
    ``width`` and depth ``depth`` seeded ``seed + r``, trained by full-batch gradient descent (step ``eta``,
    ``steps`` steps). For a single-degree target the theory says each layer does the share ``s_k^(l)``.

    ``ks``: degrees >= 0; ``reps``: int >= 1; ``threads``: PyTorch threads while training (see
    :func:`train_attribution`). Returns a :class:`ZonalAttribution`.
    """
    reps = check_int(reps, "reps", minimum=1)
    ks = tuple(int(k) for k in ks)
    if not ks:
        raise ValueError("need at least one degree k")
    runs = {}
    for k in ks:
        for rep in range(reps):
            x, y = zonal_task(d, 2 * n_train, k, seed=seed, rep=rep)
            runs[k, rep] = _attribution_run(x, y, n_train, width=width, depth=depth, model_seed=seed + rep, eta=eta,
                                            steps=steps, device=device, threads=threads, label=f"k = {k}")
    return ZonalAttribution(runs=runs, ks=ks, reps=reps)


@dataclass
class SingleLayerRates:
    """Output of :func:`single_layer_rates`: ``runs[l]`` the :class:`AttributionComparison` with only layer l
    trained (1-based); ``network`` (L,) and ``initial`` (L,): per-step decay rates of the residual
    (:func:`residual_rate`) of the network and of its initial-kernel linearisation; ``k``: the degree."""

    k: int
    runs: dict
    network: np.ndarray
    initial: np.ndarray


def single_layer_rates(d: int, depth: int, width: int, n_train: int, k: int, *, eta: float, steps: int,
                       seed: int = 0, device=None, threads: int | None = None) -> SingleLayerRates:
    """Train one layer at a time on a degree-k target and measure the residual's decay rate.

    In the kernel regime, training only layer l is the kernel machine of ``Theta_l``: the degree-k residual
    decays like ``(1 - eta mu_k^(l))^t``, so the rates are in the ratios ``s_k^(l)`` and add up to the full
    network's rate. Task: :func:`zonal_task` (``seed``, repetition 0) on ``2 n_train`` points (half for
    training); every run starts from the same network, seeded ``seed``. ``depth``: L >= 1; other arguments
    as in :func:`zonal_attribution`. Returns a :class:`SingleLayerRates`.
    """
    L = check_depth(depth)
    x, y = zonal_task(d, 2 * n_train, k, seed=seed, rep=0)
    runs = {l: _attribution_run(x, y, n_train, width=width, depth=L, model_seed=seed, eta=eta, steps=steps,
                                device=device, threads=threads, train_layers=[l]) for l in range(1, L + 1)}
    network = np.array([residual_rate(runs[l].network.train_loss) for l in range(1, L + 1)])
    initial = np.array([residual_rate(runs[l].initial.train_loss) for l in range(1, L + 1)])
    return SingleLayerRates(k=int(k), runs=runs, network=network, initial=initial)


def attribution_runs(X, targets: dict, n_train: int, *, width: int, depth: int, eta: float, steps: int,
                     seed: int = 0, device=None, threads: int | None = None) -> list:
    """:func:`compare_attribution` for several targets on the same inputs (the real-data experiment).

    ``X``: (n, D) on the sphere of radius ``sqrt(D)``; ``targets``: ``{label: (n,) array}``; the first
    ``n_train`` points train, the rest test; every target gets a fresh ReLU network of width ``width`` and
    depth ``depth`` seeded ``seed``. Returns a list of :class:`AttributionComparison`, in the order of ``targets``.
    """
    if not targets:
        raise ValueError("need at least one target")
    return [_attribution_run(X, y, n_train, width=width, depth=depth, model_seed=seed, eta=eta, steps=steps,
                             device=device, threads=threads, label=name) for name, y in targets.items()]


def closure_error(comparisons: Sequence[AttributionComparison]) -> float:
    """``max |sum_l C_l(T) / (L_test(0) - L_test(T)) - 1|`` over the networks of ``comparisons`` (0: the
    per-layer attribution accounts for the whole test-loss reduction)."""
    comparisons = list(comparisons)
    if not comparisons:
        raise ValueError("need at least one AttributionComparison")
    return float(max(abs(c.network.closure - 1) for c in comparisons))


def linearisation_gap(comparisons: Sequence[AttributionComparison]) -> float:
    """``max_{runs, l} |network share - initial-kernel share|``: the kernel's drift during training, as seen in
    the per-layer shares (0 in the kernel regime)."""
    comparisons = list(comparisons)
    if not comparisons:
        raise ValueError("need at least one AttributionComparison")
    return float(max(np.abs(c.network.shares - c.initial.shares).max() for c in comparisons))


def early_late_shares(result: AttributionResult, *, frac: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Each layer's share of the test-loss reduction made early and late in training.

    With ``m = floor(frac T)`` of the ``T`` recorded steps: early ``C_l(m) / sum C(m)``, late
    ``(C_l(T) - C_l(m)) / sum (C(T) - C(m))``. ``frac``: in (0, 1), leaving at least one recorded step on
    each side. Returns ``(early, late)``, each (L,) summing to 1.
    """
    C = result.contrib
    T = C.shape[0] - 1
    m = int(frac * T) if 0 < frac < 1 else 0
    if not 0 < m < T:
        raise ValueError(f"frac must split the {T} recorded steps into two non-empty parts, got {frac}")
    return C[m] / C[m].sum(), (C[-1] - C[m]) / (C[-1] - C[m]).sum()


def plot_attribution(comparisons: Sequence[AttributionComparison], theory=None, ax=None):
    """Grouped bars of the per-layer shares of the test-loss reduction, one group per target.

    Bars: the network (filled), its initial-kernel linearisation (hatched); markers: the analytic-kernel
    linearisation (x) and, when ``theory`` (T, L) is given, the population shares ``s_k^(l)`` (black dash).
    Returns the axes.
    """
    ax = get_ax(ax)
    T = len(comparisons)
    L = comparisons[0].network.contrib.shape[1]
    cols = sequential_colors(L)
    w = 0.8 / L
    for i, c in enumerate(comparisons):
        for l in range(L):
            xpos = i + (l - (L - 1) / 2) * w
            ax.bar(xpos - w / 4, c.network.shares[l], w / 2, color=cols[l],
                   label=("readout" if l == L - 1 else f"layer {l + 1}") if i == 0 else None)
            ax.bar(xpos + w / 4, c.initial.shares[l], w / 2, color=cols[l], alpha=0.45, hatch="//")
            ax.plot(xpos, c.analytic.shares[l], "x", color="0.2", ms=5,
                    label="analytic kernel, same points" if i == 0 and l == 0 else None)
            if theory is not None:
                ax.plot([xpos - w / 2, xpos + w / 2], [theory[i][l]] * 2, "-", color="k", lw=1.6,
                        label=r"theory $s_k^{(\ell)}$" if i == 0 and l == 0 else None)
    ax.set_xticks(range(T))
    ax.set_xticklabels([c.label for c in comparisons])
    ax.set_ylim(0, max(0.6, ax.get_ylim()[1]))
    ax.legend(loc="upper left", ncol=2)
    return label(ax, "target", "share of the test-loss reduction",
                 "network (filled), its initial kernel (hatched)")


def plot_contributions(result: AttributionResult, ax=None, *, title: str = ""):
    """Cumulative per-layer contributions ``C_l(t)`` and the measured test-loss drop against the step."""
    ax = get_ax(ax)
    L = result.contrib.shape[1]
    cols = sequential_colors(L)
    t = np.arange(result.contrib.shape[0]) * result.extra.get("record_every", 1)
    for l in range(L):
        ax.plot(t, result.contrib[:, l], color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
    ax.plot(t, result.contrib.sum(axis=1), color="k", lw=2, label=r"$\sum_\ell C_\ell$")
    ax.plot(t, result.test_loss[0] - result.test_loss, "--", color=PALETTE[1], lw=1.4,
            label="measured test-loss drop")
    label(ax, "gradient-descent step", r"$C_\ell(t)$", title)
    ax.legend(loc="center right")
    return ax


def plot_work_shares(result: AttributionResult, ax=None, *, windows: int = 8, title: str = ""):
    """Share of each layer in the test-loss reduction made during successive windows of training.

    The increments of ``C_l`` over ``windows`` equal windows of steps, divided by the increment of
    ``sum_l C_l``: how the work moves between layers as training proceeds. Returns the axes.
    """
    ax = get_ax(ax)
    C = result.contrib
    L = C.shape[1]
    edges = np.unique(np.linspace(0, C.shape[0] - 1, windows + 1).astype(int))
    inc = np.diff(C[edges], axis=0)                           # (W, L)
    share = inc / inc.sum(axis=1, keepdims=True)
    mid = 0.5 * (edges[1:] + edges[:-1]) * result.extra.get("record_every", 1)
    cols = sequential_colors(L)
    for l in range(L):
        ax.plot(mid, share[:, l], "o-", ms=3.5, color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
    return label(ax, "gradient-descent step (window centre)", "share of the window's reduction", title,
                 legend=True)


def plot_layer_width_errors(sweep: LayerWidthSweep, ax=None):
    """Per-layer relative error of the empirical NTK against the width (log-log), with the ``n^(-1/2)`` law."""
    ax = get_ax(ax)
    cols = sequential_colors(sweep.depth)
    w = sweep.widths
    for l in range(sweep.depth):
        ax.plot(w, sweep.mean_errors[:, l], "o-", color=cols[l],
                label="readout" if l == sweep.depth - 1 else f"layer {l + 1}")
    ax.plot(w, sweep.mean_errors[0].max() * np.sqrt(w[0] / w), "--", color="0.3", lw=1,
            label=r"$\propto n^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return label(ax, "width n", r"$\|\hat\Theta_\ell-\Theta_\ell\|_F/\|\Theta_\ell\|_F$",
                 f"{sweep.activation}, L = {sweep.depth}, d = {sweep.d}, N = {sweep.n_points}", legend=True)


def plot_probe_shares(ps: ProbeShares, ax=None):
    """Shares measured with zonal probes (network: markers with seed range; analytic Gram: crosses) over
    the population shares (lines), against the degree k."""
    ax = get_ax(ax)
    L = ps.theory.shape[1]
    cols = sequential_colors(L)
    for l in range(L):
        ax.plot(ps.ks, ps.theory[:, l], "-", color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
        lo, hi = ps.network[:, :, l].min(axis=0), ps.network[:, :, l].max(axis=0)
        m = ps.network_mean[:, l]
        ax.errorbar(ps.ks, m, yerr=[m - lo, hi - m], fmt="o", ms=4, color=cols[l], capsize=2)
        ax.plot(ps.ks, ps.analytic[:, l], "x", color=cols[l], ms=6)
    ax.plot([], [], "o", color="0.4", label=f"network, width {ps.width}")
    ax.plot([], [], "x", color="0.4", label="analytic Gram, same points")
    return label(ax, "degree k", r"share $s_k^{(\ell)}$", f"zonal probes, N = {ps.n_points}", legend=True)


def plot_high_dim(depth: int, ks: Sequence[int], ds: Sequence[int], *, activation: str = "relu",
                  bias: float = 0.0, ax=None):
    """Layer-1 and readout shares at degrees ``ks`` against the dimension d, approaching the Maclaurin
    shares ``b_k^(l) / sum b_k`` (dashed) as d grows. Returns the axes."""
    ax = get_ax(ax)
    ks = list(ks)
    ds = np.asarray(ds)
    lim = maclaurin_shares(depth, max(ks), activation=activation, bias=bias)
    cols = PALETTE
    for i, k in enumerate(ks):
        sh = np.array([layer_spectrum(int(d), max(ks), depth=depth, activation=activation, bias=bias).shares[:, k]
                       for d in ds])
        ax.plot(ds, sh[:, 0], "o-", color=cols[i % len(cols)], label=f"k = {k}: layer 1")
        ax.plot(ds, sh[:, -1], "s:", color=cols[i % len(cols)], mfc="none", label=f"k = {k}: readout")
        ax.axhline(lim[0, k], color=cols[i % len(cols)], ls="--", lw=0.8)
        ax.axhline(lim[-1, k], color=cols[i % len(cols)], ls="--", lw=0.8)
    ax.set_xscale("log")
    label(ax, "dimension d", r"share $s_k^{(\ell)}$", f"{activation}, L = {depth}: d → ∞ (dashed)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_data_shares(spectrum: DataSpectrum, network_shares: np.ndarray | None = None, ax=None,
                     *, title: str = ""):
    """Per-layer shares along the NTK eigenvectors of a dataset, averaged in logarithmic bands of the
    eigen-index (analytic: lines; a finite network's per-layer NTK: markers). Returns the axes."""
    ax = get_ax(ax)
    L = spectrum.depth
    cols = sequential_colors(L)
    c = spectrum.band_centres
    bs = spectrum.band_shares()
    es = None if network_shares is None else spectrum.band_shares(network_shares)
    for l in range(L):
        ax.plot(c, bs[l], "-", color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
        if es is not None:
            ax.plot(c, es[l], "o", color=cols[l], ms=4)
    if es is not None:
        ax.plot([], [], "o", color="0.4", label="finite network")
    ax.set_xscale("log")
    return label(ax, "eigen-index i of the NTK Gram matrix (band centre)", r"share $s_i^{(\ell)}$", title,
                 legend=True)
