"""Harmonic analysis on the sphere S^{d-1}: Gegenbauer polynomials, multiplicities, Funk--Hecke.

Conventions (used by every chapter):

* the measure is the *uniform probability* measure on S^{d-1}, d >= 2;
* ``P_k(t) = C_k^lam(t) / C_k^lam(1)`` with ``lam = (d-2)/2`` is the Gegenbauer polynomial
  normalised to ``P_k(1) = 1`` (for d = 2 it is the Chebyshev polynomial ``T_k``);
* ``N(d, k)`` is the dimension of the degree-k spherical harmonics, so a dot-product kernel has
  the Mercer expansion ``kappa(t) = sum_k mu_k N(d, k) P_k(t)`` and ``mu_k`` is the eigenvalue of
  every degree-k harmonic (multiplicity ``N(d, k)``).

All arithmetic is float64 NumPy/SciPy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from .validation import check_int, check_positive

__all__ = [
    "harmonic_dimension",
    "log_harmonic_dimension",
    "gegenbauer",
    "gegenbauer_table",
    "theta_nodes",
    "sphere_constant",
    "funk_hecke_weights",
    "funk_hecke",
    "funk_hecke_values",
    "reconstruct_kernel",
    "series_moment",
    "funk_hecke_from_series",
    "sample_sphere",
    "circle_points",
    "zonal_target",
    "check_d",
]


# --------------------------------------------------------------------------- validation helpers
def check_d(d: int) -> int:
    """The sphere dimension ``d`` (S^(d-1) in R^d) as an ``int`` if it is an integer ``>= 2``, else a one-line
    ``ValueError``."""
    return check_int(d, "the sphere dimension d (ambient dimension of S^(d-1))", minimum=2)


def _as_degrees(k) -> np.ndarray:
    k_arr = np.asarray(k)
    if k_arr.dtype.kind not in "iu" and not (
        k_arr.dtype.kind == "f" and np.all(np.isfinite(k_arr)) and np.all(k_arr == np.round(k_arr))
    ):
        raise ValueError(f"degrees k must be integers, got {k!r}")
    k_arr = k_arr.astype(np.int64)
    if np.any(k_arr < 0):
        raise ValueError(f"degrees k must be >= 0, got min {k_arr.min()}")
    return k_arr


# --------------------------------------------------------------------------- multiplicities
def log_harmonic_dimension(d: int, k: ArrayLike) -> np.ndarray:
    """Natural log of :func:`harmonic_dimension` (never overflows).

    ``log N(d,k) = log(2k+d-2) - log k + log C(k+d-3, k-1)``, ``log N(d,0) = 0``.

    Parameters
    ----------
    d : int
        The ambient dimension, >= 2.
    k : int or array_like of int
        Degrees >= 0, any shape.

    Returns
    -------
    np.ndarray
        Float64 of ``k``'s shape.
    """
    d = check_d(d)
    k = _as_degrees(k)
    kf = k.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # C(k+d-3, k-1) = Gamma(k+d-2) / (Gamma(k) Gamma(d-1))
        logc = gammaln(kf + d - 2) - gammaln(kf) - gammaln(d - 1.0)
        out = np.log(2 * kf + d - 2) - np.log(kf) + logc
    return np.where(k == 0, 0.0, out)


def harmonic_dimension(d: int, k: ArrayLike) -> np.ndarray | float:
    """Number N(d,k) of linearly independent degree-k spherical harmonics on S^{d-1}.

    ``N(d,k) = (2k+d-2)/k * C(k+d-3, k-1)`` for k >= 1 and ``N(d,0) = 1``; e.g. ``N(2,k) = 2``,
    ``N(3,k) = 2k+1``. The value is computed in log-space and rounded to the exact integer while it is
    below 2**53, so large cases such as ``N(200, 200) ~ 1e118`` are accurate floats instead of wrapped
    integers. Values beyond the float range come back as ``inf`` with a ``RuntimeWarning`` (use
    :func:`log_harmonic_dimension` then).

    Parameters
    ----------
    d : int
        The ambient dimension, >= 2.
    k : int or array_like of int
        Degrees >= 0, any shape.

    Returns
    -------
    np.ndarray or float
        Float64 of ``k``'s shape (a Python float for scalar ``k``).
    """
    logn = log_harmonic_dimension(d, k)
    if np.any(logn > 709.0):
        warnings.warn(
            f"N(d={d}, k) overflows float64 for some k; use log_harmonic_dimension", RuntimeWarning, stacklevel=2
        )
    with np.errstate(over="ignore"):
        n = np.exp(logn)
    n = np.where(n < 2.0**53, np.round(n), n)
    return float(n) if np.ndim(k) == 0 else n


# --------------------------------------------------------------------------- Gegenbauer
def gegenbauer_table(kmax: int, d: int, t: ArrayLike) -> np.ndarray:
    """All normalised Gegenbauer polynomials ``P_0 .. P_kmax`` at the points ``t``.

    Three-term recurrence (stable on [-1, 1]):
    ``P_{k+1}(t) = [(2k+d-2) t P_k(t) - k P_{k-1}(t)] / (k+d-2)``, ``P_0 = 1``, ``P_1 = t``.

    Parameters
    ----------
    kmax : int
        The highest degree, >= 0.
    d : int
        The ambient dimension, >= 2.
    t : array_like
        Points, shape (n,), or a scalar.

    Returns
    -------
    np.ndarray
        Float64, shape (kmax+1, n) (``(kmax+1,)`` for scalar ``t``).
    """
    kmax = check_int(kmax, "kmax", minimum=0)
    d = check_d(d)
    t_arr = np.asarray(t, dtype=float)
    scalar = t_arr.ndim == 0
    t1 = np.atleast_1d(t_arr).ravel() if t_arr.ndim <= 1 else None
    if t1 is None:
        raise ValueError(f"t must be a scalar or a 1-D array, got shape {t_arr.shape}")
    out = np.empty((kmax + 1, t1.size))
    out[0] = 1.0
    if kmax >= 1:
        out[1] = t1
    for k in range(1, kmax):
        out[k + 1] = ((2 * k + d - 2) * t1 * out[k] - k * out[k - 1]) / (k + d - 2)
    return out[:, 0] if scalar else out


def gegenbauer(k: int, d: int, t: ArrayLike) -> np.ndarray:
    """Normalised Gegenbauer polynomial ``P_k(t) = C_k^lam(t) / C_k^lam(1)``, ``lam = (d-2)/2``.

    Computed with the recurrence of :func:`gegenbauer_table`; ``P_k(1) = 1``; d = 2 gives Chebyshev
    ``T_k`` and d = 3 Legendre ``P_k``.

    Parameters
    ----------
    k : int
        The degree, >= 0.
    d : int
        The ambient dimension, >= 2.
    t : array_like
        Points, shape (n,), or a scalar.

    Returns
    -------
    np.ndarray
        Float64 of ``t``'s shape (0-d for scalar ``t``).
    """
    k = check_int(k, "k", minimum=0)
    return gegenbauer_table(k, d, t)[k]


# --------------------------------------------------------------------------- Funk--Hecke
_PANEL_ORDER = 50


@lru_cache(maxsize=16)
def _gauss_legendre_theta(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    order = min(n_nodes, _PANEL_ORDER)
    n_panels = -(-n_nodes // order)
    x, w = np.polynomial.legendre.leggauss(order)  # accurate to ~1 ulp for small order
    edges = np.linspace(0.0, np.pi, n_panels + 1)
    half = 0.5 * np.diff(edges)[:, None]
    mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
    theta = (mid + half * x).ravel()
    weights = (half * w).ravel()
    theta.setflags(write=False)
    weights.setflags(write=False)
    return theta, weights


def theta_nodes(n_nodes: int = 6000) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights on ``[0, pi]`` for integrals in the angle ``theta = arccos t``.

    Composite Gauss--Legendre: ``ceil(n_nodes / 50)`` equal panels with 50 nodes each (a single
    6000-node Gauss--Legendre rule is slow to build and its weights carry ~1e-12 errors; 50-node
    panels are accurate to rounding). Integrates any function that is smooth on ``[0, pi]`` (the ReLU
    kernels in ``theta``) to near machine precision.

    Parameters
    ----------
    n_nodes : int
        Number of nodes, >= 2 (rounded up to a multiple of 50 when larger).

    Returns
    -------
    theta, weights : np.ndarray
        Shape (n,), read-only float64, ``sum(weights) = pi``. Cached.
    """
    return _gauss_legendre_theta(check_int(n_nodes, "n_nodes", minimum=2))


def sphere_constant(d: int) -> float:
    """``c_d = Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2))``: the density of ``t = <x, e>`` on [-1, 1] is
    ``c_d (1 - t^2)^((d-3)/2)`` for ``x`` uniform on S^{d-1} and a fixed unit ``e``.

    Parameters
    ----------
    d : int
        The ambient dimension, >= 2.

    Returns
    -------
    float
        ``c_d`` (``1/pi`` for d = 2, ``1/2`` for d = 3).
    """
    d = check_d(d)
    return math.exp(gammaln(d / 2) - gammaln((d - 1) / 2)) / math.sqrt(math.pi)


def funk_hecke_weights(d: int, theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Quadrature weights of the Funk--Hecke integral in the angle: ``c_d w_i sin^(d-2)(theta_i)``.

    With them ``mu_k = sum_i kappa(cos theta_i) P_k(cos theta_i) weights_i`` (:func:`funk_hecke`;
    ``c_d`` is :func:`sphere_constant`); they sum to 1 (the uniform probability measure).

    Parameters
    ----------
    d : int
        The ambient dimension, >= 2.
    theta, w : np.ndarray
        Nodes and weights on ``[0, pi]``, shape (n,), from :func:`theta_nodes`.

    Returns
    -------
    np.ndarray
        Shape (n,), float64.
    """
    return sphere_constant(d) * w * np.sin(theta) ** (d - 2)


def funk_hecke(kappa: Callable[[np.ndarray], np.ndarray], d: int, kmax: int, *, n_nodes: int = 6000) -> np.ndarray:
    """Mercer eigenvalues ``mu_0 .. mu_kmax`` of the dot-product kernel ``kappa`` on S^{d-1}.

    ``mu_k = Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)) * int_{-1}^{1} kappa(t) P_k(t) (1-t^2)^{(d-3)/2} dt``
    under the uniform probability measure, computed as
    ``int_0^pi kappa(cos th) P_k(cos th) sin^{d-2}(th) dth`` with Gauss--Legendre in ``th`` (ReLU
    kernels are smooth in ``th`` although singular in ``t`` at +-1). For d = 2 this is
    ``mu_k = (1/pi) int_0^pi kappa(cos th) cos(k th) dth``. Then
    ``kappa(t) = sum_k mu_k N(d,k) P_k(t)`` in every dimension.

    Parameters
    ----------
    kappa : callable
        Vectorised, maps ``t`` of shape (n,) to values of shape (n,) or (..., n) (several kernels at once,
        e.g. one per layer).
    d : int
        The ambient dimension, >= 2.
    kmax : int
        The highest degree, >= 0.
    n_nodes : int
        Quadrature nodes (6000 resolves ReLU kernels to k ~ 200; smooth kernels need far fewer).

    Returns
    -------
    np.ndarray
        Float64, shape (kmax+1,) or (..., kmax+1).
    """
    d = check_d(d)
    kmax = check_int(kmax, "kmax", minimum=0)
    theta, w = theta_nodes(n_nodes)
    t = np.cos(theta)
    vals = np.asarray(kappa(t), dtype=float)
    if vals.shape[-1:] != t.shape:
        raise ValueError(f"kappa(t) must return shape (..., {t.size}) for t of shape {t.shape}, got {vals.shape}")
    if not np.all(np.isfinite(vals)):
        raise ValueError("kappa(t) returned non-finite values on [-1, 1]")
    return funk_hecke_values(vals, t, theta, w, d, kmax)


def funk_hecke_values(
    vals: np.ndarray, t: np.ndarray, theta: np.ndarray, w: np.ndarray, d: int, kmax: int
) -> np.ndarray:
    """Funk--Hecke eigenvalues from kernel values already tabulated at the quadrature nodes.

    The core of :func:`funk_hecke` (which validates and tabulates first): ``mu_k = sum_i vals_i P_k(t_i)
    c_d w_i sin^(d-2)(theta_i)`` (:func:`funk_hecke_weights`). For callers that evaluate several kernels at
    the nodes at once (e.g. :func:`lofi_utils.kernels.ntk_spectrum`). No validation.

    Parameters
    ----------
    vals : np.ndarray
        ``kappa(t)`` at the nodes, shape (n,) or (..., n) (one or several kernels).
    t : np.ndarray
        ``cos(theta)``, shape (n,).
    theta, w : np.ndarray
        Nodes and weights from :func:`theta_nodes`, shape (n,).
    d : int
        The ambient dimension, >= 2.
    kmax : int
        Highest degree, >= 0.

    Returns
    -------
    np.ndarray
        Float64, shape (kmax+1,) or (..., kmax+1).
    """
    weight = funk_hecke_weights(d, theta, w)
    table = gegenbauer_table(kmax, d, t)  # (kmax+1, n)
    return (vals * weight) @ table.T


def reconstruct_kernel(mu: ArrayLike, d: int, t: ArrayLike) -> np.ndarray:
    """Evaluate the Mercer series ``sum_k mu_k N(d,k) P_k(t)``.

    Parameters
    ----------
    mu : array_like
        Eigenvalues, shape (kmax+1,) or (..., kmax+1).
    d : int
        The ambient dimension, >= 2.
    t : array_like
        Points, shape (n,), or a scalar.

    Returns
    -------
    np.ndarray
        Shape (..., n) (``(...)`` for scalar ``t``).
    """
    mu = np.asarray(mu, dtype=float)
    if mu.ndim == 0:
        raise ValueError("mu must have at least one entry (shape (kmax+1,) or (..., kmax+1))")
    kmax = mu.shape[-1] - 1
    table = gegenbauer_table(kmax, d, t)  # (kmax+1, n) or (kmax+1,)
    coeff = mu * harmonic_dimension(d, np.arange(kmax + 1))
    return coeff @ table


# --------------------------------------------------------------------------- power-series route
def series_moment(n: ArrayLike, k: ArrayLike, d: int) -> np.ndarray:
    """Funk--Hecke eigenvalue of the monomial ``t^n`` at degree ``k`` on S^{d-1}.

    ``m(n,k,d) = n! Gamma(d/2) / (2^n ((n-k)/2)! Gamma((n+k+d)/2))`` for ``n >= k`` with ``n-k`` even,
    else 0 (evaluated in log-space). So ``mu_k = sum_n b_n m(n,k,d)`` for ``kappa(t) = sum_n b_n t^n``.

    Parameters
    ----------
    n, k : int or array_like of int
        Non-negative, broadcastable.
    d : int
        The ambient dimension, >= 2.

    Returns
    -------
    np.ndarray
        Float64 of the broadcast shape (a NumPy scalar for scalar ``n`` and ``k``).
    """
    d = check_d(d)
    n, k = np.broadcast_arrays(_as_degrees(n), _as_degrees(k))
    valid = (n >= k) & ((n - k) % 2 == 0)
    nf, kf = n.astype(float), k.astype(float)
    half = np.where(valid, (nf - kf) / 2, 0.0)
    logm = gammaln(nf + 1) + gammaln(d / 2) - nf * np.log(2.0) - gammaln(half + 1) - gammaln((nf + kf + d) / 2)
    out = np.exp(np.where(valid, logm, -np.inf))
    return out[()] if out.ndim == 0 else out


def funk_hecke_from_series(b: ArrayLike, d: int, kmax: int) -> np.ndarray:
    """Eigenvalues ``mu_0 .. mu_kmax`` of ``kappa(t) = sum_n b_n t^n`` from its Maclaurin coefficients.

    ``mu_k = sum_j b_{k+2j} m(k+2j, k, d)`` with ``m`` from :func:`series_moment` (exact up to the
    truncation of the series at ``len(b)-1``).

    Parameters
    ----------
    b : array_like
        Coefficients ``b_0 .. b_nmax``, shape (nmax+1,) or (..., nmax+1).
    d : int
        The ambient dimension, >= 2.
    kmax : int
        The highest degree, >= 0.

    Returns
    -------
    np.ndarray
        Float64, shape (..., kmax+1).
    """
    d = check_d(d)
    kmax = check_int(kmax, "kmax", minimum=0)
    b = np.asarray(b, dtype=float)
    if b.ndim == 0:
        raise ValueError("b must be a 1-D array of power-series coefficients (or (..., nmax+1))")
    nmax = b.shape[-1] - 1
    M = series_moment(np.arange(nmax + 1)[:, None], np.arange(kmax + 1)[None, :], d)  # (nmax+1, kmax+1)
    return b @ M


# --------------------------------------------------------------------------- sampling
def sample_sphere(n: int, d: int, *, radius: float = 1.0, rng: np.random.Generator) -> np.ndarray:
    """``n`` independent points uniform on the sphere of radius ``radius`` in R^d.

    Normalised standard Gaussians: ``x = radius * g / |g|``, ``g ~ N(0, I_d)``.

    Parameters
    ----------
    n : int
        Number of points, >= 0.
    d : int
        The ambient dimension, >= 2 (d = 1 would be the two points +-radius; not a sphere here).
    radius : float
        > 0.
    rng : np.random.Generator
        The random stream.

    Returns
    -------
    np.ndarray
        Float64, shape (n, d).
    """
    d = check_d(d)
    check_int(n, "n", minimum=0)
    check_positive(radius, "radius")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    g = rng.standard_normal((int(n), d))
    return radius * g / np.linalg.norm(g, axis=1, keepdims=True)


def circle_points(n: int, *, radius: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` equispaced points on the circle S^1 (the d = 2 experiments).

    ``theta_j = 2 pi j / n``, ``x_j = radius * (cos theta_j, sin theta_j)``.

    Parameters
    ----------
    n : int
        Number of points, >= 1.
    radius : float
        > 0 (use ``sqrt(2)`` for the NTK convention ``|x|^2 = d``).

    Returns
    -------
    theta : np.ndarray
        Angles, shape (n,), float64.
    x : np.ndarray
        Points, shape (n, 2), float64.
    """
    check_int(n, "n", minimum=1)
    check_positive(radius, "radius")
    theta = 2 * np.pi * np.arange(n) / n
    return theta, radius * np.stack([np.cos(theta), np.sin(theta)], axis=1)


def zonal_target(x: ArrayLike, k: int, e: ArrayLike) -> np.ndarray:
    """Unit-variance degree-k zonal harmonic ``sqrt(N(d, k)) P_k(x . e / (|x| |e|))`` at the points ``x``.

    ``E[y^2] = 1`` for ``x`` uniform on a sphere (``int P_k^2 = 1/N(d, k)``); a degree-k target for the
    learning experiments.

    Parameters
    ----------
    x : array_like
        Points, shape (N, d) (any radius; only their directions matter).
    k : int
        Degree >= 0.
    e : array_like
        The direction of the zonal axis, shape (d,) (any length).

    Returns
    -------
    np.ndarray
        Shape (N,), float64.
    """
    x = np.asarray(x, dtype=float)
    e = np.asarray(e, dtype=float)
    if x.ndim != 2 or e.shape != (x.shape[1],):
        raise ValueError(f"x must be (N, d) and e (d,), got {x.shape} and {e.shape}")
    k = check_int(k, "k", minimum=0)
    t = np.clip((x / np.linalg.norm(x, axis=1, keepdims=True)) @ (e / np.linalg.norm(e)), -1.0, 1.0)
    return math.sqrt(harmonic_dimension(x.shape[1], k)) * gegenbauer_table(k, x.shape[1], t)[k]
