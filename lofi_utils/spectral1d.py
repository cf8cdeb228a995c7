"""The 1-D Fourier view of a fit: which frequencies of a target a function carries, and when a fit learns them.

A 1-D target lives on the periodic interval [0, 1), sampled on the grid ``x_j = j / n``
(:mod:`lofi_utils.data`). On that grid the discrete Fourier transform separates integer frequencies
exactly, so the amplitude of frequency ``k`` in a network's fit ``f_t`` is a number per iteration:

* :func:`fourier_amplitudes` -- ``2 |FFT(values)|_k / n`` (a unit sine gives 1, whatever its phase);
* :func:`learning_times` -- the first recorded iteration at which ``|f_hat_k(t)| / A_k`` exceeds a
  threshold (0.9 in Rahaman et al. 2019);
* :func:`spearman`, :class:`LearningTimeSummary`, :func:`summarize_learning_times` -- how well the
  learning times of several runs are ordered by frequency.

The runs themselves come from :mod:`lofi_utils.training1d`. Everything here is float64 NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from .stats import mean_interval
from .tables import Table

__all__ = [
    "check_frequencies",
    "fourier_amplitudes",
    "learning_times",
    "spearman",
    "format_time",
    "LearningTimeSummary",
    "summarize_learning_times",
]


def check_frequencies(freqs: ArrayLike, n: int | None = None) -> np.ndarray:
    """``freqs`` as an int64 array if it is a non-empty 1-D sequence of integers ``k >= 1`` (below the
    Nyquist frequency ``n / 2`` of an ``n``-point grid when ``n`` is given), else a one-line ``ValueError``.

    Integral floats (``3.0``) are accepted; ``0`` is not (the constant term is not a sine).

    Parameters
    ----------
    freqs : sequence of K integers
    n : int, optional
        Number of grid points; then every ``k`` must satisfy ``2 k < n``.

    Returns
    -------
    ndarray of int64, shape ``(K,)``.
    """
    k = np.atleast_1d(np.asarray(freqs))
    ok = (
        k.ndim == 1
        and k.size > 0
        and (k.dtype.kind in "iu" or (k.dtype.kind == "f" and np.all(np.isfinite(k)) and np.all(k == np.round(k))))
    )
    if not ok:
        raise ValueError(f"frequencies must be a non-empty 1-D sequence of integers, got {freqs!r}")
    k = k.astype(np.int64)
    if np.any(k < 1):
        raise ValueError(f"frequencies must be >= 1 (the constant term is not a sine), got min {k.min()}")
    if n is not None and np.any(2 * k >= n):
        raise ValueError(
            f"frequencies must lie below the Nyquist frequency n/2 = {n / 2:g} of an {n}-point grid, got max {k.max()}"
        )
    return k


def fourier_amplitudes(values: ArrayLike, freqs: ArrayLike) -> np.ndarray:
    """Amplitudes ``2 |FFT(values)|_k / n`` at integer frequencies ``k`` (a unit sine gives 1).

    ``values`` are samples on the equispaced grid ``x_j = j / n`` of [0, 1), shape ``(..., n)``. For
    ``v_j = sum_k A_k sin(2 pi k x_j + phi_k)`` with distinct ``0 < k < n/2`` the result is exactly
    ``A_k`` whatever the phases. ``freqs``: integers ``1 <= k < n/2`` (``ValueError`` otherwise: the
    factor 2 is wrong for the constant term and for the Nyquist frequency).

    Returns float64, shape ``(..., len(freqs))``.
    """
    v = np.asarray(values)
    if v.ndim < 1 or v.shape[-1] < 3:
        raise ValueError(f"values must have a last axis of >= 3 grid samples, got shape {v.shape}")
    n = v.shape[-1]
    k = check_frequencies(freqs, n)
    spec = np.fft.rfft(v.astype(np.float64, copy=False), axis=-1)
    return 2.0 * np.abs(spec[..., k]) / n


# --------------------------------------------------------------------------- learning times
def learning_times(
    steps: ArrayLike, ratio: ArrayLike, threshold: float = 0.9, *, sustained: bool = False
) -> np.ndarray:
    """First recorded iteration at which each normalised amplitude exceeds ``threshold``.

    ``t_k = min{ steps[r] : ratio[r, k] > threshold }`` (``np.inf`` when never). With
    ``sustained=True`` the amplitude must also stay above the threshold at every later record.

    Parameters
    ----------
    steps : shape ``(R,)``, strictly increasing recorded iterations.
    ratio : shape ``(R,)`` or ``(R, K)``, e.g. ``|f_hat_k| / A_k``.
    threshold : float

    Returns
    -------
    float64 array of shape ``(K,)`` (or a float for 1-D ``ratio``).
    """
    s = np.asarray(steps, dtype=np.float64)
    r = np.asarray(ratio, dtype=np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"steps must be a non-empty 1-D array, got shape {s.shape}")
    if np.any(np.diff(s) <= 0):
        raise ValueError("steps must be strictly increasing")
    scalar = r.ndim == 1
    if scalar:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] != s.size:
        raise ValueError(f"ratio must have shape (R,) or (R, K) with R = len(steps) = {s.size}, got {r.shape}")
    above = r > float(threshold)
    if sustained:
        # above at r and at every later record: reverse cumulative AND
        above = np.flip(np.logical_and.accumulate(np.flip(above, 0), axis=0), 0)
    hit = above.any(axis=0)
    first = np.argmax(above, axis=0)
    out = np.where(hit, s[first], np.inf)
    return float(out[0]) if scalar else out


def spearman(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of two equal-length 1-D arrays (``inf`` ranks last; ties averaged).

    Returns ``nan`` when either array is constant.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"need two 1-D arrays of equal length >= 2, got {a.shape} and {b.shape}")
    if np.any(np.isnan(a)) or np.any(np.isnan(b)):
        raise ValueError("spearman: NaN in input")
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float(ra @ ra) * float(rb @ rb))
    return float(ra @ rb / den) if den > 0 else float("nan")


def format_time(v: float) -> str:
    """A learning time for a table: ``"never"`` when not finite, else the iteration without decimals."""
    return "never" if not np.isfinite(v) else f"{v:.0f}"


# --------------------------------------------------------------------------- several runs
def pair_order_share(times: Sequence[float] | np.ndarray) -> float:
    """Share of the pairs ``i < j`` with ``times[i] < times[j]``; ties (two ``inf`` included) count 1/2.

    ``times`` (K,), K >= 2, indexed by increasing frequency. 1 means strictly low-first, 0 high-first,
    and order-free learning (exchangeable times) gives 1/2 in expectation, so frequencies that are never
    learned (``inf``) cannot make the order look decided.
    """
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 2 or np.isnan(t).any():
        raise ValueError(
            f"times must be a 1-d sequence of at least 2 numbers (inf allowed, no nan), got shape {t.shape}"
        )
    i, j = np.triu_indices(t.size, k=1)
    return float(np.mean(np.where(t[i] < t[j], 1.0, np.where(t[i] == t[j], 0.5, 0.0))))


@dataclass
class LearningTimeSummary:
    """Learning times of several runs of one setting and the statistics the book checks.

    ``times`` (S, K): :func:`learning_times` per run; ``spearman`` (S,): rank correlation of
    ``t_k`` with ``k`` per run; ``monotone`` (S,): ``t_k`` non-decreasing in ``k`` (ties allowed);
    ``ratio`` (S,): ``t_K / t_1``; ``median`` (K,): median over runs; ``learned`` (K,): fraction of
    runs that reached the threshold within the budget. The properties ``median_spearman`` and
    ``median_ratio`` are the same statistics of the median curve (robust to one noisy seed).
    """

    freqs: np.ndarray
    times: np.ndarray
    spearman: np.ndarray
    monotone: np.ndarray
    ratio: np.ndarray
    median: np.ndarray
    learned: np.ndarray
    threshold: float

    @property
    def median_spearman(self) -> float:
        """Spearman correlation of the median learning times with ``k``."""
        return spearman(self.freqs, self.median)

    @property
    def median_ratio(self) -> float:
        """``median t_K / median t_1`` (``inf`` when the median run never learns ``k = K``)."""
        return float(self.median[-1] / self.median[0])

    @property
    def pair_order(self) -> np.ndarray:
        """Per run (S,): the share of frequency pairs ``k < k'`` learned in that order, :func:`pair_order_share`."""
        return np.array([pair_order_share(t) for t in self.times])

    def pair_order_interval(self, level: float = 0.95) -> tuple[float, float, float]:
        """Mean of :attr:`pair_order` over runs and its Student-t interval at ``level``: ``(mean, lo, hi)``.

        Order-free learning gives 0.5 in expectation, low-first 1, high-first 0.
        """
        return mean_interval(self.pair_order, level)

    def table(self) -> Table:
        """Learning times: one row per run (with its Spearman correlation and ratio), then the median."""
        cols = ["run", *(f"k={k}" for k in self.freqs), "spearman", "t_K/t_1"]
        rows = [
            [str(i), *(format_time(v) for v in t), f"{self.spearman[i]:.3f}", f"{self.ratio[i]:.1f}"]
            for i, t in enumerate(self.times)
        ]
        rows.append(["median", *(format_time(v) for v in self.median), "", ""])
        return Table(cols, rows)


def summarize_learning_times(runs: Sequence, threshold: float = 0.9, *, sustained: bool = False) -> LearningTimeSummary:
    """Learning times of ``runs`` (same frequencies) and their Spearman / monotonicity / ratio statistics.

    Parameters
    ----------
    runs : sequence of S runs with ``freqs`` (K,) and a method ``learning_times(threshold, sustained=...)``
        (:class:`lofi_utils.training1d.SumOfSinesRun`).
    threshold, sustained : as in :func:`learning_times`.

    Returns
    -------
    :class:`LearningTimeSummary`
    """
    if len(runs) == 0:
        raise ValueError("need at least one run")
    freqs = runs[0].freqs
    if any(not np.array_equal(r.freqs, freqs) for r in runs):
        raise ValueError("all runs must share the same frequencies")
    times = np.stack([r.learning_times(threshold, sustained=sustained) for r in runs])
    rho = np.array([spearman(freqs, t) for t in times])
    mono = np.array([bool(np.all(t[1:] >= t[:-1])) for t in times])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = times[:, -1] / times[:, 0]
    return LearningTimeSummary(
        freqs=freqs,
        times=times,
        spearman=rho,
        monotone=mono,
        ratio=ratio,
        median=np.median(times, axis=0),
        learned=np.isfinite(times).mean(axis=0),
        threshold=float(threshold),
    )
