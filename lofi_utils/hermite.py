"""Hermite expansions of activations and their dual (arc-cosine-type) kernels.

Convention: probabilists' Hermite polynomials ``He_n`` (orthogonal under ``z ~ N(0, 1)``, with
``E[He_n He_m] = n! delta_nm``), and the *normalised* expansion

    sigma(z) = sum_n a_n He_n(z) / sqrt(n!),     a_n = E[sigma(z) He_n(z)] / sqrt(n!).

For ``(u, v)`` standard Gaussians with correlation ``rho`` (Mehler's formula) the dual activation is
``V(rho) = E[sigma(u) sigma(v)] = sum_n a_n^2 rho^n`` and ``V'(rho) = sum_n n a_n^2 rho^(n-1)``.

At variance ``q`` (``u, v`` of variance ``q``, covariance ``c``) the same holds with the coefficients
``a_n(q)`` of ``z -> sigma(sqrt(q) z)`` and ``rho = c/q`` (:func:`hermite_sq_coeffs`, for the activations of
:mod:`lofi_utils.activations` that have a dual kernel): closed forms for relu and erf, and for tanh an
accurate trapezoidal rule (:func:`tanh_mehler_coeffs`), the route :mod:`lofi_utils.kernels` uses for tanh.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from . import activations
from .validation import check_int, check_positive, is_int

__all__ = [
    "relu_hermite_coeffs",
    "hermite_coeffs",
    "dual_series",
    "dual_series_derivative",
    "hermite_normalised_table",
    "horner",
    "tanh_mehler_coeffs",
    "hermite_sq_coeffs",
    "MEHLER_NMAX",
]

#: Highest degree of :func:`tanh_mehler_coeffs` (its coefficients are zero beyond, to ~1e-14).
MEHLER_NMAX = 800
_TRAP_STEP = 0.04
_TRAP_HALF_WIDTH = 17.0


def relu_hermite_coeffs(nmax: int) -> np.ndarray:
    """Squared normalised Hermite coefficients ``a_n^2`` of ``sigma(z) = sqrt(2) max(z, 0)``.

    ``a_0^2 = 1/pi``, ``a_1^2 = 1/2``, ``a_{2m}^2 = ((2m-3)!!)^2 / (pi (2m)!)`` for m >= 1 (with
    ``(-1)!! = 1``), and ``a_n^2 = 0`` for odd n >= 3; so ``V(rho) = 1/pi + rho/2 + rho^2/(2 pi) +
    rho^4/(24 pi) + ...`` is the arc-cosine kernel ``(sqrt(1-rho^2) + (pi - arccos rho) rho)/pi`` and
    ``sum_n a_n^2 = E[sigma^2] = 1``. The tail decays like ``n^(-5/2)``: the series converges
    geometrically for ``|rho| < 1`` but only algebraically at ``rho = +-1``.

    Parameters
    ----------
    nmax : int
        Highest degree, >= 0.

    Returns
    -------
    np.ndarray
        Float64, shape (nmax+1,) (computed in log-space).
    """
    nmax = check_int(nmax, "nmax", minimum=0)
    a2 = np.zeros(nmax + 1)
    a2[0] = 1.0 / math.pi
    if nmax >= 1:
        a2[1] = 0.5
    m = np.arange(1, nmax // 2 + 1, dtype=float)
    # (2m-3)!! = (2m-2)! / (2^(m-1) (m-1)!)
    log_dfact = gammaln(2 * m - 1) - (m - 1) * math.log(2.0) - gammaln(m)
    a2[2::2] = np.exp(2 * log_dfact - math.log(math.pi) - gammaln(2 * m + 1))
    return a2


def hermite_normalised_table(nmax: int, z: ArrayLike) -> np.ndarray:
    """Normalised Hermite functions ``He_n(z) / sqrt(n!)`` for n = 0..nmax at the points ``z``.

    Recurrence ``h_{n+1} = (z h_n - sqrt(n) h_{n-1}) / sqrt(n+1)``, ``h_0 = 1``, ``h_1 = z`` (no factorials,
    so no overflow for large n).

    Parameters
    ----------
    nmax : int
        Highest degree, >= 0.
    z : array_like
        Points, shape (m,) (or a scalar).

    Returns
    -------
    np.ndarray
        Float64, shape (nmax+1, m).
    """
    nmax = check_int(nmax, "nmax", minimum=0)
    z = np.atleast_1d(np.asarray(z, dtype=float))
    if z.ndim != 1:
        raise ValueError(f"z must be 1-D, got shape {z.shape}")
    h = np.empty((nmax + 1, z.size))
    h[0] = 1.0
    if nmax >= 1:
        h[1] = z
    for n in range(1, nmax):
        h[n + 1] = (z * h[n] - math.sqrt(n) * h[n - 1]) / math.sqrt(n + 1)
    return h


_MAX_GH_NODES = 350


@lru_cache(maxsize=8)
def _hermegauss(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    w = w / math.sqrt(2 * math.pi)  # weights of the N(0, 1) expectation
    z.setflags(write=False)
    w.setflags(write=False)
    return z, w


def hermite_coeffs(sigma: Callable[[np.ndarray], np.ndarray], nmax: int, *, n_nodes: int = 200) -> np.ndarray:
    """Normalised Hermite coefficients ``a_n = E[sigma(z) He_n(z)] / sqrt(n!)``, ``z ~ N(0, 1)``.

    Gauss--Hermite quadrature (probabilists' weight ``exp(-z^2/2)``, ``numpy.polynomial.hermite_e``)
    with ``n_nodes`` nodes: exact for polynomial ``sigma`` of degree ``< 2 n_nodes - nmax``, and
    spectrally accurate for smooth ``sigma`` (erf, tanh, ...). Not for ReLU-type kernels: use
    :func:`relu_hermite_coeffs` (the kink makes the quadrature converge slowly).

    Parameters
    ----------
    sigma : callable
        Vectorised, maps a 1-D array to one of the same shape.
    nmax : int
        Highest degree, >= 0.
    n_nodes : int
        Quadrature nodes, ``nmax < n_nodes <= 350``.

    Returns
    -------
    np.ndarray
        The signed ``a_n``, float64, shape (nmax+1,); ``V(rho) = dual_series(a**2, rho)``.
    """
    nmax = check_int(nmax, "nmax", minimum=0)
    if not is_int(n_nodes) or n_nodes <= nmax or n_nodes > _MAX_GH_NODES:
        raise ValueError(
            f"n_nodes must be an integer in (nmax, {_MAX_GH_NODES}] (nmax = {nmax}; NumPy's "
            f"Gauss-Hermite weights underflow beyond {_MAX_GH_NODES}), got {n_nodes!r}"
        )
    z, w = _hermegauss(int(n_nodes))
    vals = np.asarray(sigma(z.copy()), dtype=float)
    if vals.shape != z.shape:
        raise ValueError(f"sigma must map an array of shape {z.shape} to the same shape, got {vals.shape}")
    return hermite_normalised_table(nmax, z) @ (w * vals)


def dual_series(a2: ArrayLike, rho: ArrayLike) -> np.ndarray:
    """Dual activation from its Hermite coefficients: ``V(rho) = sum_n a_n^2 rho^n`` (Horner's scheme).

    Parameters
    ----------
    a2 : array_like
        Squared coefficients, shape (nmax+1,).
    rho : array_like
        Correlations, scalar or any shape, ``|rho| <= 1``.

    Returns
    -------
    np.ndarray
        Float64 of ``rho``'s shape.
    """
    a2 = np.asarray(a2, dtype=float)
    if a2.ndim != 1 or a2.size == 0:
        raise ValueError(f"a2 must be a non-empty 1-D array of squared coefficients, got shape {a2.shape}")
    return horner(a2, np.asarray(rho, dtype=float))


def horner(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The polynomial ``sum_n coef_n x^n`` by Horner's scheme, for real or complex ``x`` (no validation).

    Parameters
    ----------
    coef : np.ndarray
        The coefficients, shape (n+1,), lowest degree first.
    x : np.ndarray
        Any shape and dtype (complex ``x`` evaluates the series' analytic continuation).

    Returns
    -------
    np.ndarray
        Of ``x``'s shape and dtype.
    """
    out = np.zeros_like(x)
    for cf in coef[::-1]:
        out = out * x + cf
    return out


def dual_series_derivative(a2: ArrayLike, rho: ArrayLike) -> np.ndarray:
    """Derivative of the dual activation: ``V'(rho) = sum_n n a_n^2 rho^(n-1)`` (= ``E[sigma'(u) sigma'(v)]``).

    Parameters
    ----------
    a2 : array_like
        Squared coefficients, shape (nmax+1,).
    rho : array_like
        Correlations, scalar or any shape.

    Returns
    -------
    np.ndarray
        Float64 of ``rho``'s shape.
    """
    a2 = np.asarray(a2, dtype=float)
    if a2.ndim != 1 or a2.size == 0:
        raise ValueError(f"a2 must be a non-empty 1-D array of squared coefficients, got shape {a2.shape}")
    if a2.size == 1:
        return np.zeros_like(np.asarray(rho, dtype=float))
    return dual_series(a2[1:] * np.arange(1, a2.size), rho)


@lru_cache(maxsize=256)
def tanh_mehler_coeffs(q: float) -> tuple[np.ndarray, np.ndarray]:
    """Squared normalised Hermite coefficients of ``tanh(sqrt(q) z)`` and of its derivative ``sech^2(sqrt(q) z)``.

    ``a_n = int s(z) He_n(z)/sqrt(n!) phi(z) dz`` by the trapezoidal rule on ``[-17, 17]`` with step
    0.04, written with Hermite *functions* ``psi_n = He_n/sqrt(n!) sqrt(phi)`` (bounded, no overflow).
    The integrands are analytic in the strip ``|Im z| < pi/(2 sqrt(q))``, where the trapezoidal rule
    converges exponentially (~1e-14 here, for ``q <= 8``); n = 0..:data:`MEHLER_NMAX`. Parities are exact:
    tanh odd, sech^2 even. So ``V(q, c) = sum_n a2_n (c/q)^n`` and ``V_dot(q, c) = sum_n b2_n (c/q)^n``.

    Parameters
    ----------
    q : float
        The variance, > 0 (not validated here: callers check it). Cached per value.

    Returns
    -------
    a2, b2 : np.ndarray
        The squared coefficients of ``tanh(sqrt(q) z)`` and of ``sech^2(sqrt(q) z)``, read-only float64 of
        shape (MEHLER_NMAX + 1,).
    """
    z = np.arange(-_TRAP_HALF_WIDTH, _TRAP_HALF_WIDTH + _TRAP_STEP / 2, _TRAP_STEP)
    sqrt_phi = np.exp(-z * z / 4) / (2 * math.pi) ** 0.25
    psi = np.empty((MEHLER_NMAX + 1, z.size))
    psi[0] = sqrt_phi
    psi[1] = z * sqrt_phi
    for n in range(1, MEHLER_NMAX):
        psi[n + 1] = (z * psi[n] - math.sqrt(n) * psi[n - 1]) / math.sqrt(n + 1)
    th = np.tanh(math.sqrt(q) * z)
    a = _TRAP_STEP * (psi @ (th * sqrt_phi))
    b = _TRAP_STEP * (psi @ ((1.0 - th * th) * sqrt_phi))
    a[0::2] = 0.0
    b[1::2] = 0.0
    a2, b2 = a * a, b * b
    for arr in (a2, b2):
        arr.setflags(write=False)
    return a2, b2


def hermite_sq_coeffs(activation: str, q: float, nmax: int) -> np.ndarray:
    """Squared normalised Hermite coefficients ``a_n(q)^2`` of ``u -> sigma(sqrt(q) u)``, n = 0..nmax.

    Mehler: ``V(q, c) = E[sigma(u) sigma(v)] = sum_n a_n(q)^2 (c/q)^n`` for ``(u, v)`` of variances ``q`` and
    covariance ``c``. Closed forms where they exist:

    * relu (``sqrt(2) max(z, 0)``, homogeneous): ``a_n(q)^2 = q a_n^2`` with :func:`relu_hermite_coeffs`;
    * erf(a z): only odd n = 2j+1, ``E[sigma(sqrt(q) u) He_n(u)] = (2 s/sqrt(pi)) (1+2s^2)^(-1/2)
      (-s^2/(1+2s^2))^j (2j)!/j!`` with ``s = a sqrt(q)`` (Gaussian integration by parts), squared over n!;
    * tanh: no closed form; :func:`tanh_mehler_coeffs` (n <= 800, ~1e-14 accurate; zero beyond).

    Parameters
    ----------
    activation : str
        An activation with a dual kernel, one of ``lofi_utils.activations.names(kernel=True)``.
    q : float
        The variance, > 0.
    nmax : int
        Highest degree, >= 0.

    Returns
    -------
    numpy.ndarray
        float64 of shape ``(nmax+1,)``, all entries >= 0.
    """
    act = activations.check_name(activation, activations.names(kernel=True))
    nmax = check_int(nmax, "nmax", minimum=0)
    q = check_positive(q, "the variance q")
    if act == "relu":
        return q * relu_hermite_coeffs(nmax)
    out = np.zeros(nmax + 1)
    if act == "erf":
        s2 = activations.ERF_SCALE**2 * q
        n = np.arange(1, nmax + 1, 2)
        j = (n - 1) // 2
        log_m = (
            math.log(2.0)
            + 0.5 * math.log(s2)
            - 0.5 * math.log(math.pi)
            - 0.5 * math.log1p(2 * s2)
            + j * (math.log(s2) - math.log1p(2 * s2))
            + gammaln(2 * j + 1)
            - gammaln(j + 1)
        )
        out[1::2] = np.exp(2 * log_m - gammaln(n + 1))
        return out
    a2 = tanh_mehler_coeffs(q)[0]
    m = min(a2.size, nmax + 1)
    out[:m] = a2[:m]
    return out
