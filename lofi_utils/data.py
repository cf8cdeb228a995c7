"""Synthetic regression targets on the unit interval (1-D spectral-bias experiments).

Conventions: a 1-D target lives on the periodic interval [0, 1); an equispaced grid of ``n``
points is ``x_j = j / n`` (``np.arange(n) / n``, the grid of Rahaman et al. and Tancik et al.).
Frequencies are integers ``k`` (cycles per unit length), so ``sin(2 pi k x)`` is periodic on the
grid. All arithmetic is float64 NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_int, check_nonnegative, check_rng

__all__ = ["unit_grid", "sum_of_sines", "random_phases", "power_law_signal"]


def unit_grid(n: int) -> np.ndarray:
    """The equispaced grid ``x_j = j / n``, ``j = 0..n-1``, of the periodic interval [0, 1).

    Returns a float64 array of shape ``(n,)``; ``ValueError`` if ``n`` is not an integer >= 1.
    """
    n = check_int(n, "n", minimum=1)
    return np.arange(n, dtype=np.float64) / n


def sum_of_sines(
    x: ArrayLike, freqs: Sequence[float], amps: Sequence[float] | None = None, phases: Sequence[float] | None = None
) -> np.ndarray:
    """The target of Rahaman et al. (2019): ``f(x) = sum_k A_k sin(2 pi k x + phi_k)``.

    Parameters
    ----------
    x : array_like, any shape
        Points of [0, 1) (any real value is accepted; ``f`` has period 1 for integer ``k``).
    freqs : sequence of length K
        Frequencies ``k`` (finite reals; integers for a periodic target).
    amps : sequence of length K, optional
        Amplitudes ``A_k`` (default: all 1).
    phases : sequence of length K, optional
        Phases ``phi_k`` in radians (default: all 0; see :func:`random_phases`).

    Returns
    -------
    ndarray of ``x``'s shape, float64.
    """
    x = np.asarray(x, dtype=np.float64)
    k = np.atleast_1d(np.asarray(freqs, dtype=np.float64))
    if k.ndim != 1 or k.size == 0 or not np.all(np.isfinite(k)):
        raise ValueError(f"freqs must be a non-empty 1-D sequence of finite numbers, got {freqs!r}")
    a = np.ones_like(k) if amps is None else np.atleast_1d(np.asarray(amps, dtype=np.float64))
    p = np.zeros_like(k) if phases is None else np.atleast_1d(np.asarray(phases, dtype=np.float64))
    if a.shape != k.shape or p.shape != k.shape:
        raise ValueError(f"freqs, amps and phases must have the same length; got {k.size}, {a.size} and {p.size}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(p))):
        raise ValueError("amps and phases must be finite")
    arg = 2.0 * np.pi * x[..., None] * k + p  # (..., K)
    return np.sin(arg) @ a


def random_phases(n: int, rng: np.random.Generator | int) -> np.ndarray:
    """``n`` phases drawn uniformly from [0, 2 pi) (Rahaman et al. draw one per frequency and run).

    ``rng``: a ``numpy.random.Generator`` or a non-negative integer seed. Returns shape ``(n,)``.
    """
    n = check_int(n, "n", minimum=1)
    return 2.0 * np.pi * check_rng(rng).random(n)


def power_law_signal(
    n_grid: int, *, exponent: float = 1.0, max_freq: int, rng: np.random.Generator | int
) -> np.ndarray:
    """A random periodic signal with a power-law amplitude spectrum (the target of Tancik et al. 2020).

    ``s(x) = Re sum_{f=1}^{F} c_f exp(2 pi i f x)`` with ``c_f = f^(-exponent) (g_f + i g'_f)``,
    ``g, g'`` i.i.d. standard normal and ``F = max_freq``; so ``E|c_f|^2 = 2 f^(-2 exponent)``, there
    is no content above ``F`` and no constant term. The samples on the grid ``x_j = j / n_grid`` are
    then scaled to zero mean and unit variance (population std over the grid).

    Tancik et al. use ``(1 + |f|)^(-exponent)`` with ``F = n_grid / 4`` and rescale to [-0.5, 0.5];
    the pure power law is used here so that the slope is exactly ``-exponent``.

    Parameters
    ----------
    n_grid : int
        Number of grid points (>= 4).
    exponent : float
        Decay exponent ``p >= 0`` of the amplitude spectrum ``|c_f| ~ f^-p``.
    max_freq : int
        Highest frequency ``F``, ``1 <= F < n_grid / 2`` (below the Nyquist frequency).
    rng : numpy Generator or int seed

    Returns
    -------
    ndarray, shape ``(n_grid,)``, float64, mean 0 and variance 1.
    """
    n = check_int(n_grid, "n_grid", minimum=4)
    exponent = check_nonnegative(exponent, "exponent")
    F = check_int(max_freq, "max_freq", minimum=1)
    if 2 * F >= n:
        raise ValueError(f"max_freq must be below the Nyquist frequency n_grid/2 = {n / 2:g}, got {F}")
    g = check_rng(rng).standard_normal((F, 2))
    f = np.arange(1, F + 1, dtype=np.float64)
    spec = np.zeros(n // 2 + 1, dtype=np.complex128)
    spec[1 : F + 1] = (g[:, 0] + 1j * g[:, 1]) * f**-exponent
    # irfft(X)[j] = (1/n) [X_0 + 2 Re sum_f X_f e^{2 pi i f j/n}]  ->  scale by n/2 gives Re sum c_f e^{...}
    s = np.fft.irfft(spec, n) * (n / 2.0)
    s -= s.mean()
    return s / s.std()
