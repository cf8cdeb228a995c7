"""Per-layer kernels of a deep network as power series in the cosine ``t`` (the Hermite view).

The NTK of an ``L``-layer network in the NTK parametrisation of :mod:`lofi_utils.kernels` is a sum of one
kernel per weight layer, ``Theta = sum_l Theta_l`` with ``Theta_l = Sigma^(l) prod_{m>l} Sigma_dot^(m)``
(after Dandi & Jacot, arXiv 2111.03972). Each ``Theta_l`` is a power series ``sum_n b_n^(l) t^n`` with
``b_n^(l) >= 0``, built by composing the dual activations ``V(rho) = sum_n a_n^2 rho^n`` (the Hermite
coefficients of :func:`lofi_utils.hermite.hermite_sq_coeffs`):

* :func:`layer_series` -- the coefficients by term-by-term composition (a sum of positive terms, accurate to
  rounding; up to a few hundred degrees), in a :class:`LayerSeries`;
* :func:`layer_maclaurin` -- the same to thousands of degrees by a Cauchy integral (an FFT of the closed-form
  kernels on a circle of the complex disk), with an error bound per coefficient;
* :func:`nngp_sensitivity` -- ``dSigma^(L)/dSigma^(l)`` by central differences, so that the identity
  ``Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l)`` can be checked without trusting ``Sigma_dot``;
* :func:`layer_identity_gaps` and :func:`series_gap` -- how well these identities hold.

Everything is float64 NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .activations import ERF_SCALE
from .hermite import hermite_sq_coeffs, horner, tanh_mehler_coeffs
from .kernels import ACTIVATIONS, check_activation, check_bias, check_depth, dual_activation, layer_kernels
from .kernels import ntk as ntk_recursion
from .validation import check_int

__all__ = ["LayerSeries", "layer_series", "layer_maclaurin", "nngp_sensitivity", "layer_identity_gaps", "series_gap"]

_EPS = np.finfo(float).eps


def _diagonals(depth: int, activation: str, bias: float) -> np.ndarray:
    """``q_l = Sigma^(l)(1)``, l = 1..L (shape (L,))."""
    return layer_kernels(np.array([1.0]), depth=depth, activation=activation, bias=bias).q


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
    Ad = np.arange(1, A.size) * A[1:] / q  # dV/dc = sum_n n a_n^2 c^(n-1) / q^n
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

    def evaluate(self, t: ArrayLike) -> np.ndarray:
        """``sum_j b_j^(l) t^j`` at cosines ``t`` (1-D, shape (n,)); returns (L, n)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.stack([horner(b, t) for b in self.theta])


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
        theta[l] = np.convolve(sig[l], prod)[: nmax + 1]
        if l > 0:
            prod = np.convolve(prod, sdot[l])[: nmax + 1]
    kappa1 = layer_kernels(np.array([1.0]), depth=L, activation=act, bias=bias).theta_layers[:, 0]
    return LayerSeries(sigma=sig, sigma_dot=sdot, theta=theta, q=q, kappa1=kappa1, activation=act, bias=float(bias))


def _dual_complex(act: str, q: float, c: np.ndarray):
    """``(V, V_dot)`` at complex covariances ``|c| < q`` (analytic continuation of the closed forms)."""
    if act == "relu":
        r = c / q
        th = np.arccos(r)
        return q * (np.sqrt(1.0 - r * r) + (math.pi - th) * r) / math.pi, (math.pi - th) / math.pi
    if act == "erf":
        a2 = ERF_SCALE**2
        den = 1.0 + 2.0 * a2 * q
        return (
            (2.0 / math.pi) * np.arcsin(2.0 * a2 * c / den),
            (4.0 * a2 / math.pi) / np.sqrt(den * den - 4.0 * a2 * a2 * c * c),
        )
    a2, b2 = tanh_mehler_coeffs(float(q))
    keep = max(np.flatnonzero(a2 > 1e-34 * a2.sum()).max(), np.flatnonzero(b2 > 1e-34 * b2.sum()).max()) + 1
    r = c / q
    return horner(a2[:keep], r), horner(b2[:keep], r)


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


def layer_maclaurin(
    depth: int, *, activation: str = "relu", bias: float = 0.0, nmax: int = 4095, return_error: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Maclaurin coefficients ``b_n^(l)`` of every ``Theta_l`` to high order, by a Cauchy integral.

    ``b_n = (1/(2 pi i)) oint Theta_l(t) t^(-n-1) dt`` on the circle ``|t| = rho = 10^(-1/nmax)``, discretised
    with ``M = 16 (nmax+1)`` points (an FFT of the closed-form kernels continued to complex ``t``; they are
    analytic in the unit disk). Aliasing is ``<= rho^M = 1e-16`` relative; rounding gives an absolute error
    ``~ eps Theta_l(1) rho^(-n) <= 10 eps Theta_l(1)``. Agrees with :func:`layer_series` (tested); use it
    where thousands of coefficients are needed (the power-series route of
    :func:`lofi_utils.layer_spectra.layer_spectrum`).

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
    b = (np.fft.fft(vals, axis=-1).real / M)[:, : nmax + 1] * scale
    if not return_error:
        return b
    kappa1 = layer_kernels(np.array([1.0]), depth=L, activation=act, bias=bias).theta_layers[:, 0]
    err = 32 * _EPS * np.abs(kappa1)[:, None] * scale[None, :]
    return b, err


def nngp_sensitivity(
    t: ArrayLike, *, depth: int, layer: int, activation: str = "relu", bias: float = 0.0, h: float = 1e-6
) -> np.ndarray:
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


def layer_identity_gaps(
    t: ArrayLike, *, depth: int, activations: Sequence[str] = ACTIVATIONS, biases: Sequence[float] = (0.0, 0.1)
) -> tuple[dict, dict]:
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
            sum_gap[act, beta] = np.abs(
                lk.theta_layers.sum(0) - ntk_recursion(t, depth=L, activation=act, bias=beta)
            ).max()
            sens_gap[act, beta] = max(
                np.abs(
                    lk.sigma[l - 1] * nngp_sensitivity(t, depth=L, layer=l, activation=act, bias=beta)
                    - lk.theta_layers[l - 1]
                ).max()
                for l in range(1, L + 1)
            )
    return sum_gap, sens_gap


def series_gap(series: LayerSeries, t: ArrayLike) -> float:
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
