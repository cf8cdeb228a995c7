"""Training dynamics per frequency in the kernel (linearised) regime, and the tools to measure them on S^1.

Gradient descent with step ``eta`` on the population loss ``1/2 |f - f*|^2`` of a model whose tangent kernel
has Mercer eigenvalues ``mu_k`` moves the residual's component along every eigenfunction of degree k
independently:

    r_k(t+1) = (1 - eta mu_k) r_k(t),   so   r_k(t) = (1 - eta mu_k)^t r_k(0),

stable iff ``0 < eta mu_k < 2``. The time to shrink a mode by the factor ``frac`` is
``t_k = ceil(log frac / log|1 - eta mu_k|) ~ log(1/frac) / (eta mu_k)``: on the circle, where the
ReLU NTK has ``mu_k ~ k^-2``, learning time grows like ``k^2`` (Basri et al. 2019, 2020).

* :func:`kernel_mode_decay`, :func:`simulate_mode_decay`, :func:`time_to_fraction` -- the per-mode factors
  and times, in closed form and by iteration;
* :func:`kernel_gd` -- the same dynamics on a finite Gram matrix (``r <- r - (eta/n) K r``);
* :func:`circle_kernel_eigenvalues`, :func:`cosine_coefficients` -- on ``n`` equispaced points of S^1 the
  kernel matrix is circulant and ``(1/n) K cos(k theta) = lambda_k cos(k theta)`` exactly, with
  ``lambda_k = sum_{m = +-k mod n} mu_|m| ~ mu_k`` (aliasing);
* :func:`fit_decay_rate` -- the per-step rate of a measured geometric decay.

Real networks trained on ``cos(k theta)`` and compared with these predictions are the experiment of the
spectral-bias chapter (:mod:`lofi_utils.chapters.spectral_bias.circle_networks`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike

from .validation import check_choice, check_in_range, check_int, check_positive

__all__ = [
    "kernel_mode_decay",
    "simulate_mode_decay",
    "time_to_fraction",
    "circle_kernel_eigenvalues",
    "cosine_coefficients",
    "kernel_gd",
    "fit_decay_rate",
]


def _check_mu_eta(mu, eta):
    mu = np.asarray(mu, dtype=float)
    if mu.ndim > 1 or not np.all(np.isfinite(mu)):
        raise ValueError(f"mu must be a finite scalar or 1-D array of eigenvalues, got shape {mu.shape}")
    return mu, check_positive(eta, "the step size eta")


def kernel_mode_decay(mu: ArrayLike, eta: float, steps: int) -> np.ndarray:
    """Residual factor of each eigenmode under linearised GD: ``(1 - eta mu_k)^t``, t = 0..steps.

    ``mu``: eigenvalues, scalar or shape ``(K,)``; ``eta``: step size > 0; ``steps``: int >= 0.
    Returns float64 of shape ``(steps+1, K)`` (``(steps+1,)`` for scalar ``mu``); row 0 is all ones.
    """
    mu, eta = _check_mu_eta(mu, eta)
    steps = check_int(steps, "steps", minimum=0)
    t = np.arange(steps + 1, dtype=float)
    return np.power.outer(1.0 - eta * np.atleast_1d(mu), t).T.reshape((steps + 1,) + mu.shape)


def simulate_mode_decay(mu: ArrayLike, eta: float, steps: int) -> np.ndarray:
    """The same as :func:`kernel_mode_decay`, by iterating the GD step ``r <- r - eta mu r`` from ``r = 1``.

    Same arguments and return shape.
    """
    mu, eta = _check_mu_eta(mu, eta)
    steps = check_int(steps, "steps", minimum=0)
    out = np.empty((steps + 1,) + mu.shape)
    r = np.ones(mu.shape)
    out[0] = r
    for s in range(1, steps + 1):
        r = r - eta * mu * r
        out[s] = r
    return out


def time_to_fraction(
    mu: ArrayLike, eta: float, *, frac: float = 0.1, method: str = "closed", max_steps: int = 10_000_000
) -> np.ndarray:
    """Number of GD steps ``t_k`` until the mode-k residual falls to ``frac`` of its initial size.

    ``t_k = min{t >= 0 : |1 - eta mu_k|^t <= frac} = ceil(log frac / log|1 - eta mu_k|)``; ``inf``
    where the mode never shrinks (``eta mu_k <= 0`` or ``>= 2``) or, for ``method="simulate"``, not
    within ``max_steps``. ``method``: ``"closed"`` (the formula, with the integer boundary checked
    exactly) or ``"simulate"`` (iterate ``r <- r - eta mu r`` until ``|r| <= frac``; O(t_k)).

    ``mu``: scalar or shape ``(K,)``; ``eta`` > 0; ``frac`` in (0, 1). Returns float64 of ``mu``'s
    shape (integer values or ``inf``).
    """
    mu, eta = _check_mu_eta(mu, eta)
    check_in_range(frac, "frac", 0, 1, low_open=True, high_open=True)
    check_choice(method, "method", ("closed", "simulate"))
    mu1 = np.atleast_1d(mu)
    factor = np.abs(1.0 - eta * mu1)
    out = np.full(mu1.shape, np.inf)
    ok = factor < 1.0
    if method == "closed":
        zero = ok & (factor == 0.0)
        out[zero] = 1.0
        pos = ok & ~zero
        with np.errstate(divide="ignore"):
            t = np.ceil(np.log(frac) / np.log(factor[pos]))
        # guard the integer boundary against rounding of the logarithms
        t = np.where(factor[pos] ** (t - 1) <= frac, t - 1, t)
        t = np.where(factor[pos] ** t > frac, t + 1, t)
        out[pos] = np.maximum(t, 1.0)
    else:
        r = np.ones(mu1.shape)
        active = ok.copy()
        s = 0
        while active.any() and s < max_steps:
            s += 1
            r[active] = r[active] - eta * mu1[active] * r[active]
            hit = active & (np.abs(r) <= frac)
            out[hit] = s
            active &= ~hit
    return out.reshape(mu.shape)


def circle_kernel_eigenvalues(kappa_row: ArrayLike) -> np.ndarray:
    """Eigenvalues ``lambda_k`` of ``(1/n) K`` for a dot-product kernel on ``n`` equispaced points of S^1.

    ``K_ij = kappa(cos(theta_i - theta_j))`` is circulant, with eigenvectors ``cos(k theta), sin(k theta)``
    and ``lambda_k = (1/n) sum_j kappa(cos theta_j) cos(k theta_j)`` (= ``sum_{m = +-k mod n} mu_|m|``).

    ``kappa_row``: the first row, ``kappa(cos(2 pi j/n))`` for j = 0..n-1, shape ``(n,)``. Returns
    ``lambda_0 .. lambda_{n//2}``, shape ``(n//2 + 1,)``.
    """
    row = np.asarray(kappa_row, dtype=float)
    if row.ndim != 1 or row.size < 1:
        raise ValueError(f"kappa_row must be a non-empty 1-D array, got shape {row.shape}")
    return np.fft.rfft(row).real / row.size


def cosine_coefficients(r: np.ndarray | torch.Tensor, ks: ArrayLike) -> np.ndarray | torch.Tensor:
    """Coefficients of ``cos(k theta)`` in functions sampled on the equispaced grid ``theta_j = 2 pi j/n``.

    ``c_k = (2/n) sum_j r_j cos(k theta_j)`` for ``0 < k < n/2`` and ``(1/n) sum_j r_j`` for k = 0, so a
    function ``cos(k theta)`` has ``c_k = 1``.

    ``r``: shape ``(..., n)`` (NumPy or torch); ``ks``: integers in ``[0, n/2)``. Returns shape
    ``(..., len(ks))`` of the same array type.
    """
    n = r.shape[-1]
    ks = np.atleast_1d(np.asarray(ks))
    if ks.dtype.kind not in "iu" or np.any(ks < 0) or np.any(2 * ks >= n):
        raise ValueError(f"ks must be integers in [0, n/2) = [0, {n / 2}), got {ks}")
    theta = 2 * np.pi * np.arange(n) / n
    basis = np.cos(np.outer(theta, ks)) * np.where(ks == 0, 1.0, 2.0) / n  # (n, K)
    if isinstance(r, torch.Tensor):
        return r @ torch.as_tensor(basis, dtype=r.dtype, device=r.device)
    return np.asarray(r, dtype=float) @ basis


def kernel_gd(gram: ArrayLike, y: ArrayLike, *, eta: float, steps: int) -> np.ndarray:
    """Residual trajectory of kernel gradient descent on ``1/2 mean (f - y)^2`` from ``f = 0``.

    ``r_{t+1} = r_t - (eta/n) K r_t``, ``r_0 = -y`` (the linearised network with ``f_0`` subtracted).

    ``gram``: ``(n, n)`` kernel matrix; ``y``: ``(n,)`` or ``(n, m)`` targets; ``eta`` > 0; ``steps`` >= 0.
    Returns ``(steps+1, n)`` or ``(steps+1, n, m)``.
    """
    K = np.asarray(gram, dtype=float)
    y = np.asarray(y, dtype=float)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or y.shape[0] != K.shape[0]:
        raise ValueError(f"gram must be (n, n) and y (n,) or (n, m); got {K.shape} and {y.shape}")
    _, eta = _check_mu_eta(0.0, eta)
    steps = check_int(steps, "steps", minimum=0)
    A = np.eye(K.shape[0]) - eta / K.shape[0] * K
    out = np.empty((steps + 1,) + y.shape)
    out[0] = -y
    for s in range(steps):
        out[s + 1] = A @ out[s]
    return out


def fit_decay_rate(amplitude: ArrayLike, *, floor: float = 0.1) -> float:
    """Per-step rate ``rho`` of a geometric decay ``a_t ~ a_0 (1 - rho)^t``.

    Least-squares slope ``s`` of ``log|a_t / a_0|`` against t over the steps before ``|a_t/a_0|`` first
    drops below ``floor`` (all steps if it never does); ``rho = 1 - exp(s)``.

    ``amplitude``: shape ``(T+1,)``, ``a_0 != 0``. Returns a float (NaN if fewer than 2 usable steps).
    """
    a = np.abs(np.asarray(amplitude, dtype=float))
    if a.ndim != 1 or a.size < 2 or a[0] == 0:
        raise ValueError("amplitude must be a 1-D trajectory of length >= 2 with a nonzero start")
    a = a / a[0]
    below = np.nonzero(a < floor)[0]
    end = below[0] + 1 if below.size else a.size
    a = a[:end]
    if a.size < 2 or np.any(a <= 0):
        return float("nan")
    slope = np.polyfit(np.arange(a.size, dtype=float), np.log(a), 1)[0]
    return float(1.0 - math.exp(slope))
