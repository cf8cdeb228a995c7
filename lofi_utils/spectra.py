"""Decay of dot-product kernel spectra on the sphere: power-law and exponential fits, shares per degree.

* :func:`decay_slopes` -- fitted power law ``mu_k ~ k^slope`` of the NTK and NNGP spectra on S^{d-1}
  (theory for ReLU: ``-d`` and ``-(d+2)``, for every depth);
* :func:`exponential_rate` -- fitted ``r`` in ``mu_k ~ C exp(-r k)`` (smooth activations);
* :func:`harmonic_shares` -- how a kernel's variance ``kappa(1) = sum_k mu_k N(d, k)`` splits over degrees.

Kernels and spectra are float64 NumPy (see :mod:`lofi_utils.kernels`, :mod:`lofi_utils.sphere`); the
chapter's figures of them are in :mod:`lofi_utils.chapters.spectral_bias.figures`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .kernels import nngp_spectrum, ntk_spectrum
from .sphere import harmonic_dimension
from .stats import fit_power_law

__all__ = ["decay_slopes", "exponential_rate", "harmonic_shares"]


def decay_slopes(
    d: int,
    *,
    depth: int = 2,
    bias: float = 0.0,
    activation: str = "relu",
    kmin: int = 40,
    kmax: int = 200,
    n_nodes: int = 6000,
) -> dict:
    """Fit ``mu_k ~ C k^slope`` on the even degrees ``kmin <= k <= kmax`` of the NTK and NNGP spectra on S^{d-1}.

    Theory for ReLU (Bietti--Mairal 2019, Bietti--Bach 2021): NTK slope ``-d``, NNGP slope ``-(d+2)``.
    Returns ``{"ntk": slope, "nngp": slope, "mu_ntk": (kmax+1,), "mu_nngp": (kmax+1,)}``.
    """
    if not 1 <= kmin < kmax:
        raise ValueError(f"need 1 <= kmin < kmax, got kmin={kmin}, kmax={kmax}")
    mu = ntk_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
    nu = nngp_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
    k = np.arange(kmin + (kmin % 2), kmax + 1, 2)
    return {"ntk": fit_power_law(k, mu[k])[0], "nngp": fit_power_law(k, nu[k])[0], "mu_ntk": mu, "mu_nngp": nu}


def exponential_rate(mu: ArrayLike, ks: ArrayLike) -> float:
    """Fitted ``r`` in ``mu_k ~ C exp(-r k)`` over the degrees ``ks`` (least squares on ``log |mu_k|``).

    ``mu``: eigenvalues ``mu_0, mu_1, ...``, shape ``(kmax+1,)``; ``ks``: the integer degrees to fit. Returns a float.
    """
    ks = np.asarray(ks, dtype=float)
    y = np.log(np.abs(np.asarray(mu, dtype=float)[ks.astype(int)]))
    return float(-np.polyfit(ks, y, 1)[0])


def harmonic_shares(kappa_values_at_1: float, mu: ArrayLike, d: int) -> np.ndarray:
    """Share of the variance ``kappa(1) = sum_k mu_k N(d, k)`` carried by each degree: ``mu_k N(d,k) / kappa(1)``.

    ``kappa_values_at_1``: ``kappa(1)``; ``mu``: eigenvalues ``mu_0..mu_K`` on S^{d-1}, shape ``(K+1,)``.
    Returns float64 of shape ``(K+1,)`` (summing to 1 when ``mu`` holds the whole spectrum).
    """
    mu = np.asarray(mu, dtype=float)
    return mu * harmonic_dimension(d, np.arange(mu.size)) / float(kappa_values_at_1)
