"""NNGP and NTK of fully-connected networks in the NTK parametrisation, per layer and in total.

Network (matches :class:`lofi_utils.ntk.MLP`): ``L`` weight layers, inputs on the sphere of radius
``sqrt(d)``, ``z_1 = W_0 x / sqrt(d) + beta b_0``, ``z_{l+1} = W_l sigma(z_l) / sqrt(n_l) + beta b_l``,
``f = z_L``, all weights and biases ``N(0, 1)``. With ``t = x.x' / d`` (the cosine of the angle):

* ``Sigma^(1) = t + beta^2``, diagonal ``q_1 = 1 + beta^2``;
* ``Sigma^(l+1) = E[sigma(u) sigma(v)] + beta^2`` and ``Sigma_dot^(l+1) = E[sigma'(u) sigma'(v)]`` with
  ``(u, v) ~ N(0, [[q_l, c], [c, q_l]])``, ``c = Sigma^(l)``; the diagonal follows
  ``q_{l+1} = E[sigma(u)^2] + beta^2``;
* NTK ``Theta = sum_l Theta_l`` with ``Theta_l = Sigma^(l) prod_{m=l+1..L} Sigma_dot^(m)``, the kernel of
  the parameters ``(W_{l-1}, b_{l-1})``; ``Theta_L = Sigma^(L)`` (the readout) is also the NNGP kernel.

Activations (:data:`ACTIVATIONS`, the names of :mod:`lofi_utils.activations` that have a dual kernel; the
functions themselves, :func:`activation_fn`, are that registry's, so a network and its kernel agree):

``"relu"``  ``sigma(z) = sqrt(2) max(z, 0)`` (unit second moment: ``q_l = 1`` when ``beta = 0``);
            closed forms (arc-cosine kernels).
``"erf"``   ``sigma(z) = erf(a z)`` with ``a = ERF_SCALE = 1`` (Williams' closed forms). Not unit
            variance: ``E[erf(z)^2] = (2/pi) arcsin(2/3) = 0.4646``, so ``q_l`` shrinks with depth.
``"tanh"``  ``sigma(z) = tanh(z)``; no closed form. Mehler series ``V(c) = sum_n a_n(q)^2 (c/q)^n``
            and ``V_dot(c) = sum_n b_n(q)^2 (c/q)^n`` with the Hermite coefficients of ``tanh(sqrt(q) z)``
            and ``sech^2(sqrt(q) z)`` from a trapezoidal rule (:func:`lofi_utils.hermite.tanh_mehler_coeffs`,
            n <= 800; accurate to ~1e-14 for ``q <= 8``). 2-D Gauss--Hermite with 120 x 120 nodes
            (:func:`dual_activation_quadrature`) is *not* used: tanh has poles at ``+-i pi/(2 sqrt(q))``,
            so its error is 3e-11 at q = 1 but 1e-7 at q = 2 (bias 1) in ``V_dot`` -- visible in spectra
            that fall below 1e-8.

Gauss--Hermite is never used for ReLU: its ``sigma'`` is discontinuous and the quadrature of
``Sigma_dot`` is then only ~1e-2 accurate. Everything is float64 NumPy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from . import activations
from .hermite import horner, tanh_mehler_coeffs
from .sphere import check_d, funk_hecke_values, theta_nodes
from .validation import check_in_range, check_int, check_positive

__all__ = [
    "ACTIVATIONS",
    "ERF_SCALE",
    "GH_NODES",
    "MAX_BIAS",
    "activation_fn",
    "dual_activation",
    "dual_activation_quadrature",
    "diagonal_map",
    "LayerKernels",
    "layer_kernels",
    "ntk",
    "nngp",
    "ntk_spectrum",
    "nngp_spectrum",
]

#: The activations with a dual kernel here (``relu``, ``erf``, ``tanh``), from the registry.
ACTIVATIONS: tuple[str, ...] = activations.names(kernel=True)
#: ``a`` in ``sigma(z) = erf(a z)`` (:data:`lofi_utils.activations.ERF_SCALE`).
ERF_SCALE = activations.ERF_SCALE
#: Gauss--Hermite nodes per dimension of :func:`dual_activation_quadrature` (cross-checks).
GH_NODES = 120
_GH_PRUNE = 1e-20
#: Largest bias scale beta accepted: beyond it ``beta^2 > 1e8`` swamps the cosines ``t`` in ``t + beta^2`` (they
#: keep fewer than 8 of float64's 16 digits), and ``beta^2`` overflows near 1e154.
MAX_BIAS = 1e4


# --------------------------------------------------------------------------- validation
def check_activation(name: str) -> str:
    """``name`` lower-cased if it is one of :data:`ACTIVATIONS` (the activations with a kernel here), else a
    one-line ``ValueError`` naming them."""
    return activations.check_name(name, ACTIVATIONS)


def check_depth(depth: int) -> int:
    """The number of weight layers ``L`` as an ``int`` if it is an integer ``>= 1``, else a one-line
    ``ValueError``."""
    return check_int(depth, "depth (number of weight layers L)", minimum=1)


def check_bias(bias: float) -> float:
    """The bias scale ``beta`` as a ``float`` if it is a number in ``[0, MAX_BIAS]``, else a one-line
    ``ValueError``."""
    return check_in_range(bias, "bias (the scale beta of the biases)", 0, MAX_BIAS)


def _check_c(c, q: float) -> np.ndarray:
    """Covariances ``c`` of a 2x2 covariance with diagonal ``q``: finite, ``|c| <= q`` (to 1e-9)."""
    c = np.asarray(c, dtype=float)
    ok = np.isfinite(c) & (np.abs(c) <= q * (1 + 1e-9))
    if not np.all(ok):
        raise ValueError(
            f"covariances c must be finite with |c| <= q = {q:g} (a valid 2x2 covariance), "
            f"got {float(c[~ok].ravel()[0])!r}"
        )
    return c


def _check_t(t) -> tuple[np.ndarray, tuple]:
    """Validate cosines; return them flattened (1-D) and the original shape."""
    t_arr = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t_arr)) or np.any(np.abs(t_arr) > 1 + 1e-9):
        raise ValueError("t holds cosines x.x'/d of points on the sphere: it must lie in [-1, 1]")
    return np.clip(t_arr, -1.0, 1.0).ravel(), t_arr.shape


# --------------------------------------------------------------------------- activations
def activation_fn(name: str) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """The activation ``sigma`` and its derivative ``sigma'`` as NumPy callables.

    They are the registry's functions (:func:`lofi_utils.activations.get`: ``.numpy`` and ``.numpy_prime``),
    the same objects the networks of :mod:`lofi_utils.ntk` apply in torch (``.torch``).

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATIONS`.

    Returns
    -------
    sigma, sigma_prime : callable
        Elementwise functions of float64 arrays.
    """
    act = activations.get(name, ACTIVATIONS)
    return act.numpy, act.numpy_prime


@lru_cache(maxsize=4)
def _gh2(n_nodes: int):
    z, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    w = w / math.sqrt(2 * math.pi)
    Z1, Z2 = np.meshgrid(z, z, indexing="ij")
    W = np.outer(w, w)
    keep = W > _GH_PRUNE
    out = (Z1[keep], Z2[keep], W[keep], z, w)
    for a in out:
        a.setflags(write=False)
    return out


def dual_activation_quadrature(
    sigma: Callable[[np.ndarray], np.ndarray],
    sigma_prime: Callable[[np.ndarray], np.ndarray],
    q: float,
    c: ArrayLike,
    *,
    n_nodes: int = GH_NODES,
) -> tuple[np.ndarray, np.ndarray]:
    """``(E[sigma(u) sigma(v)], E[sigma'(u) sigma'(v)])`` by 2-D Gauss--Hermite quadrature.

    ``(u, v) ~ N(0, [[q, c], [c, q]])`` is written ``u = sqrt(q) z1``, ``v = sqrt(q)(r z1 + sqrt(1-r^2) z2)``
    with ``r = c/q`` and ``z1, z2`` independent standard normals; ``n_nodes`` per dimension (product
    weights below 1e-20 are dropped). For smooth activations only.

    Parameters
    ----------
    sigma, sigma_prime : callable
        Vectorised NumPy functions.
    q : float
        The common variance, > 0.
    c : array_like
        Covariances, any shape, ``|c| <= q``.
    n_nodes : int
        Gauss--Hermite nodes per dimension.

    Returns
    -------
    V, V_dot : np.ndarray
        Float64, of ``c``'s shape.
    """
    q = check_positive(q, "the diagonal q")
    c = _check_c(c, q)
    n_nodes = check_int(n_nodes, "n_nodes", minimum=1)
    r = np.clip(c.ravel() / q, -1.0, 1.0)
    s = np.sqrt(np.maximum(1.0 - r * r, 0.0))
    z1, z2, w, _, _ = _gh2(int(n_nodes))
    sq = math.sqrt(q)
    u = sq * z1
    su, dsu = sigma(u) * w, sigma_prime(u) * w
    V = np.empty_like(r)
    Vd = np.empty_like(r)
    chunk = max(1, 2_000_000 // z1.size)
    for i in range(0, r.size, chunk):
        v = sq * (r[i : i + chunk, None] * z1 + s[i : i + chunk, None] * z2)
        V[i : i + chunk] = sigma(v) @ su
        Vd[i : i + chunk] = sigma_prime(v) @ dsu
    return V.reshape(c.shape), Vd.reshape(c.shape)


def _tanh_dual(q, c):
    if q > 8.0:
        warnings.warn(
            f"tanh dual kernel at q = {q:.3g} > 8: the Mehler series (800 terms) is then only ~1e-12 accurate",
            RuntimeWarning,
            stacklevel=3,
        )
    a2, b2 = tanh_mehler_coeffs(float(q))
    r = np.clip(np.asarray(c, dtype=float) / q, -1.0, 1.0)
    return horner(a2, r), horner(b2, r)


def dual_activation(name: str, q: float, c: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Dual activation and its derivative: ``V = E[sigma(u) sigma(v)]``, ``V_dot = E[sigma'(u) sigma'(v)]``.

    ``(u, v) ~ N(0, [[q, c], [c, q]])``. Closed forms, with ``r = c/q``, ``th = arccos r``:

    * relu (``sqrt(2) max(z,0)``): ``V = q (sin th + (pi - th) cos th)/pi``, ``V_dot = (pi - th)/pi``;
    * erf(a z): ``V = (2/pi) arcsin(2a^2 c / (1 + 2a^2 q))``,
      ``V_dot = (4a^2/pi) / sqrt((1 + 2a^2 q)^2 - 4a^4 c^2)``;
    * tanh: Mehler (Hermite) series with accurately computed coefficients (module docstring);
      :func:`dual_activation_quadrature` gives the 2-D Gauss--Hermite value for cross-checks.

    ``V_dot = dV/dc`` at fixed ``q`` (Price's theorem).

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATIONS`.
    q : float
        The common variance, > 0.
    c : array_like
        Covariances, scalar or any shape, ``|c| <= q``.

    Returns
    -------
    V, V_dot : np.ndarray
        Float64, of ``c``'s shape.
    """
    name = check_activation(name)
    q = check_positive(q, "the diagonal q")
    c = _check_c(c, q)
    if name == "relu":
        r = np.clip(c / q, -1.0, 1.0)
        th = np.arccos(r)
        V = q * (np.sqrt(1.0 - r * r) + (math.pi - th) * r) / math.pi
        return V, (math.pi - th) / math.pi
    if name == "erf":
        a2 = ERF_SCALE**2
        den = 1.0 + 2.0 * a2 * q
        c = np.clip(c, -q, q)
        V = (2.0 / math.pi) * np.arcsin(2.0 * a2 * c / den)
        Vd = (4.0 * a2 / math.pi) / np.sqrt(den * den - 4.0 * a2 * a2 * c * c)
        return V, Vd
    return _tanh_dual(q, c)


def diagonal_map(name: str, q: float) -> float:
    """Second moment ``E[sigma(u)^2]``, ``u ~ N(0, q)`` (the diagonal of the next layer before ``+ beta^2``).

    relu: ``q``; erf: ``(2/pi) arcsin(2a^2 q / (1 + 2a^2 q))``; tanh: ``sum_n a_n(q)^2`` (the Mehler
    coefficients, so that ``diagonal_map(q) = V(q, q)`` exactly). ``q`` > 0.
    """
    name = check_activation(name)
    q = check_positive(q, "the diagonal q")
    if name == "relu":
        return q
    if name == "erf":
        a2 = ERF_SCALE**2
        return float((2.0 / math.pi) * np.arcsin(2.0 * a2 * q / (1.0 + 2.0 * a2 * q)))
    return float(tanh_mehler_coeffs(q)[0].sum())


# --------------------------------------------------------------------------- layer kernels
@dataclass(frozen=True)
class LayerKernels:
    """Per-layer kernels of an L-layer network at the cosines ``t`` (all float64).

    Attributes
    ----------
    t : (*S) the cosines (any shape S; ``n`` below stands for ``*S``).
    sigma : (L, n) ``Sigma^(l)``, l = 1..L (row ``l-1``); ``sigma[-1]`` is the NNGP kernel.
    sigma_dot : (L, n) ``Sigma_dot^(l)``; row 0 (``Sigma_dot^(1)``, which does not exist) is NaN.
    theta_layers : (L, n) ``Theta_l = Sigma^(l) prod_{m>l} Sigma_dot^(m)``, the kernel of ``(W_{l-1}, b_{l-1})``;
        ``theta_layers[-1] = sigma[-1]`` is the readout.
    q : (L,) the diagonals ``q_l = Sigma^(l)(t=1)``.
    """

    t: np.ndarray
    sigma: np.ndarray
    sigma_dot: np.ndarray
    theta_layers: np.ndarray
    q: np.ndarray
    activation: str
    bias: float

    @property
    def depth(self) -> int:
        """The number of weight layers ``L``."""
        return self.sigma.shape[0]

    @property
    def ntk(self) -> np.ndarray:
        """The NTK ``sum_l Theta_l``, shape (n,)."""
        return self.theta_layers.sum(axis=0)

    @property
    def nngp(self) -> np.ndarray:
        """The NNGP (output) kernel ``Sigma^(L)``, shape (n,)."""
        return self.sigma[-1]


def layer_kernels(t: ArrayLike, *, depth: int, activation: str = "relu", bias: float = 0.0) -> LayerKernels:
    """NNGP kernels ``Sigma^(l)``, derivative kernels ``Sigma_dot^(l)`` and per-layer NTKs ``Theta_l``.

    Recursion (module docstring): ``Sigma^(1) = t + beta^2``; ``Sigma^(l+1) = V(q_l, Sigma^(l)) + beta^2``;
    ``Sigma_dot^(l+1) = V_dot(q_l, Sigma^(l))``; ``Theta_l = Sigma^(l) prod_{m=l+1..L} Sigma_dot^(m)``.

    Parameters
    ----------
    t : array_like
        Cosines in [-1, 1], any shape ``S`` (a vector, or an ``N x N`` Gram matrix of cosines).
    depth : int
        Number of weight layers ``L >= 1``.
    activation : str
        One of :data:`ACTIVATIONS`.
    bias : float
        ``beta`` in ``[0, MAX_BIAS]``.

    Returns
    -------
    LayerKernels
        ``sigma``, ``sigma_dot``, ``theta_layers`` of shape ``(L, *S)``, ``q`` (L,).
    """
    t, shape = _check_t(t)
    L = check_depth(depth)
    act = check_activation(activation)
    beta2 = check_bias(bias) ** 2
    sig = np.empty((L, t.size))
    sdot = np.full((L, t.size), np.nan)
    q = np.empty(L)
    sig[0] = t + beta2
    q[0] = 1.0 + beta2
    for l in range(1, L):
        V, Vd = dual_activation(act, q[l - 1], sig[l - 1])
        sig[l] = V + beta2
        sdot[l] = Vd
        q[l] = diagonal_map(act, q[l - 1]) + beta2
    theta = np.empty_like(sig)
    prod = np.ones(t.size)
    for l in range(L - 1, -1, -1):
        theta[l] = sig[l] * prod
        if l > 0:
            prod = prod * sdot[l]
    rs = (L,) + shape
    return LayerKernels(
        t=t.reshape(shape),
        sigma=sig.reshape(rs),
        sigma_dot=sdot.reshape(rs),
        theta_layers=theta.reshape(rs),
        q=q,
        activation=act,
        bias=float(bias),
    )


def ntk(t: ArrayLike, *, depth: int, activation: str = "relu", bias: float = 0.0) -> np.ndarray:
    """The NTK ``Theta^(L)(t)`` by the standard forward recursion.

    ``Theta^(1) = Sigma^(1)``, ``Theta^(l+1) = Theta^(l) Sigma_dot^(l+1) + Sigma^(l+1)`` (a code path
    independent of :func:`layer_kernels`, whose ``theta_layers`` must sum to it).

    Parameters
    ----------
    t : array_like
        Cosines in [-1, 1], any shape.
    depth : int
        Number of weight layers ``L >= 1``.
    activation : str
        One of :data:`ACTIVATIONS`.
    bias : float
        ``beta`` in ``[0, MAX_BIAS]``.

    Returns
    -------
    np.ndarray
        Float64 of ``t``'s shape (a NumPy scalar for a scalar ``t``).
    """
    t, shape = _check_t(t)
    L = check_depth(depth)
    act = check_activation(activation)
    beta2 = check_bias(bias) ** 2
    q = 1.0 + beta2
    s = t + beta2
    th = s.copy()
    for _ in range(1, L):
        V, Vd = dual_activation(act, q, s)
        th = th * Vd + V + beta2
        s = V + beta2
        q = diagonal_map(act, q) + beta2
    return th.reshape(shape)[()]


def nngp(t: ArrayLike, *, depth: int, activation: str = "relu", bias: float = 0.0) -> np.ndarray:
    """The NNGP kernel ``Sigma^(L)(t)`` (covariance of the output at initialisation).

    Parameters
    ----------
    t : array_like
        Cosines in [-1, 1], any shape.
    depth, activation, bias
        As in :func:`ntk`.

    Returns
    -------
    np.ndarray
        Float64 of ``t``'s shape (a NumPy scalar for a scalar ``t``).
    """
    return layer_kernels(t, depth=depth, activation=activation, bias=bias).sigma[-1][()]


# --------------------------------------------------------------------------- spectra
def _spectrum_values(d, kmax, values_fn, n_nodes):
    d = check_d(d)
    kmax = check_int(kmax, "kmax", minimum=0)
    theta, w = theta_nodes(n_nodes)
    t = np.cos(theta)
    return funk_hecke_values(values_fn(t), t, theta, w, d, kmax)


def ntk_spectrum(
    d: int,
    kmax: int,
    *,
    depth: int,
    activation: str = "relu",
    bias: float = 0.0,
    per_layer: bool = False,
    n_nodes: int = 6000,
) -> np.ndarray:
    """Funk--Hecke eigenvalues ``mu_k`` (k = 0..kmax) of the NTK on S^{d-1}, in total or per layer.

    ``mu_k = Gamma(d/2)/(sqrt(pi) Gamma((d-1)/2)) int kappa(t) P_k(t) (1-t^2)^((d-3)/2) dt`` (uniform
    probability measure; see :func:`lofi_utils.sphere.funk_hecke`), with ``kappa = Theta`` or
    ``Theta_l``. The kernel does not depend on d (inputs on the sphere of radius sqrt(d)); only the
    harmonic analysis does. Accuracy is absolute, ~1e-16 * max kappa: at large d the high-degree
    ``mu_k`` fall below it (use the power-series route there).

    Parameters
    ----------
    d : int
        The ambient dimension, ``>= 2``.
    kmax : int
        The highest degree, ``>= 0``.
    depth, activation, bias
        As in :func:`layer_kernels`.
    per_layer : bool
        Return the eigenvalues of each ``Theta_l``.
    n_nodes : int
        Quadrature nodes in ``theta`` (6000 for ReLU up to k ~ 200; ~1000 is plenty for erf/tanh).

    Returns
    -------
    np.ndarray
        Shape ``(kmax+1,)``, or ``(L, kmax+1)`` with ``per_layer=True`` (rows sum to the total).
    """

    def values(t: np.ndarray) -> np.ndarray:
        lk = layer_kernels(t, depth=depth, activation=activation, bias=bias)
        return lk.theta_layers if per_layer else lk.theta_layers.sum(axis=0)

    return _spectrum_values(d, kmax, values, n_nodes)


def nngp_spectrum(
    d: int, kmax: int, *, depth: int, activation: str = "relu", bias: float = 0.0, n_nodes: int = 6000
) -> np.ndarray:
    """Funk--Hecke eigenvalues of the NNGP kernel ``Sigma^(L)`` (= the readout term ``Theta_L``).

    Arguments as in :func:`ntk_spectrum`. Returns shape ``(kmax+1,)``.
    """
    return _spectrum_values(
        d, kmax, lambda t: layer_kernels(t, depth=depth, activation=activation, bias=bias).sigma[-1], n_nodes
    )
