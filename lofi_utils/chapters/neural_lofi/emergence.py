"""Section 1 of the Neural LoFi chapter: the emergence of the hidden directions in the signed covariance.

The layer-0 signed covariance ``M = (1/n) sum_i (y_i - ybar) x_i x_i^T`` of the hierarchical target
(:func:`signed_matrix`), the overlap of its top-``r`` eigenvectors with ``span W*`` swept over ``n = c d r``
(:func:`emergence_sweep`: the curves collapse in ``n/(d r)``), its eigenvalue histograms (:func:`plot_signed_spectrum`),
and the first gradient step of a real two-layer network against the same filter (:func:`gd_overlap`, section 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import ArrayLike

from ... import streams
from ...lofi import (
    HierarchicalTarget,
    SignedCovariance,
    hidden_overlap,
    hierarchical_target,
    top_k_abs,
    torch_activation,
)
from ...plotting import PALETTE, label, sequential_colors, subplots
from ...validation import check_choice

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "signed_matrix",
    "EmergenceSweep",
    "emergence_sweep",
    "plot_emergence",
    "plot_signed_spectrum",
    "GDOverlap",
    "gd_overlap",
]


def signed_matrix(X: ArrayLike, y: ArrayLike) -> torch.Tensor:
    """``M = (1/n) sum_i (y_i - ybar) x_i x_i^T`` (d, d), float64 (the layer-0 signed covariance)."""
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64))
    yt = torch.as_tensor(np.asarray(y, dtype=np.float64))
    return SignedCovariance(yt - yt.mean(), Z=Xt).dense()


@dataclass
class EmergenceSweep:
    """Overlaps ``|U_r^T W|_F^2 / r`` of the top-``r`` (by ``|lambda|``) eigenvectors of ``M`` with ``W``.

    ``pairs`` the ``(d, r)`` pairs, ``cs`` the ratios ``n / (d r)``, ``overlap`` (pairs, cs, seeds).
    """

    pairs: list
    cs: np.ndarray
    overlap: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """(pairs, cs): the overlap averaged over seeds."""
        return self.overlap.mean(axis=2)

    def at(self, c: float) -> np.ndarray:
        """Mean overlap of each pair at ``n/(d r) = c`` (one of ``cs``)."""
        j = int(np.argmin(np.abs(self.cs - c)))
        if not np.isclose(self.cs[j], c):
            raise ValueError(f"c={c} is not in the sweep's grid {self.cs.tolist()}")
        return self.mean[:, j]

    def spread(self, scale: str = "dr", n_grid: int = 50) -> float:
        """Mean over the common range of ``max - min`` across pairs of the overlap curves, plotted
        against ``n/(d r)`` (``scale="dr"``) or ``n/d`` (``scale="d"``), interpolated in ``log n``."""
        check_choice(scale, "scale", ("dr", "d"))
        rs = np.array([r for _, r in self.pairs], dtype=float)
        logx = np.log(self.cs)[None, :] + (np.log(rs)[:, None] if scale == "d" else np.zeros((len(rs), 1)))
        lo, hi = logx[:, 0].max(), logx[:, -1].min()
        if not hi > lo:
            raise ValueError("the curves have no common range of n")
        grid = np.linspace(lo, hi, n_grid)
        curves = np.array([np.interp(grid, logx[i], self.mean[i]) for i in range(len(self.pairs))])
        return float(np.mean(curves.max(0) - curves.min(0)))


def emergence_sweep(
    pairs: Sequence[tuple[int, int]], cs: Sequence[float], *, seeds: int = 3, seed: int = 0, gain: float = 2.0
) -> EmergenceSweep:
    """Overlap of the signed-covariance filter with the hidden directions at ``n = c d r``.

    For each ``(d, r)``, seed and ``c``: draw a :class:`HierarchicalTarget`, ``n = round(c d r)`` samples,
    ``M = (1/n) sum_i (y_i - ybar) x_i x_i^T`` and the overlap of its top-``r`` eigenvectors by ``|lambda|``
    with ``W``. Returns an :class:`EmergenceSweep`.
    """
    cs = np.asarray(cs, dtype=float)
    out = np.zeros((len(pairs), len(cs), seeds))
    for i, (d, r) in enumerate(pairs):
        for s in range(seeds):
            rng = streams.rng(seed, "emergence", d, r, s)
            task = hierarchical_target(d, r, gain=gain, rng=rng)
            for j, c in enumerate(cs):
                X, y = task.sample(max(2, int(round(c * d * r))), rng)
                res = top_k_abs(signed_matrix(X, y), r, method="dense")
                out[i, j, s] = hidden_overlap(res.vectors.numpy(), task.W)
    return EmergenceSweep(pairs=[tuple(p) for p in pairs], cs=cs, overlap=out)


def plot_emergence(
    sweep: EmergenceSweep, axs: Sequence[Axes] | np.ndarray | None = None
) -> Sequence[Axes] | np.ndarray:
    """Overlap against ``n/(d r)`` (left: collapse) and against ``n/d`` (right: no collapse)."""
    if axs is None:
        _, a = subplots(1, 2, width=3.6, height=3.0)
        axs = a[0]
    colors = sequential_colors(len(sweep.pairs))
    for i, (d, r) in enumerate(sweep.pairs):
        lo, hi = sweep.overlap[i].min(1), sweep.overlap[i].max(1)
        for ax, x in ((axs[0], sweep.cs), (axs[1], sweep.cs * r)):
            ax.plot(x, sweep.mean[i], "o-", color=colors[i], ms=3.5, label=f"d={d}, r={r}")
            ax.fill_between(x, lo, hi, color=colors[i], alpha=0.15, lw=0)
    from matplotlib.ticker import NullFormatter, NullLocator

    for ax, xl in ((axs[0], "n / (d r)"), (axs[1], "n / d")):
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.02)
        label(ax, xl, "overlap with span W*")
    axs[0].set_xticks(sweep.cs, [f"{c:g}" for c in sweep.cs])
    axs[0].set_title("against n/(d r): one curve")
    axs[1].set_title("against n/d: shifted by r")
    axs[0].legend()
    return axs


def plot_signed_spectrum(
    d: int,
    r: int,
    cs: Sequence[float],
    *,
    seed: int = 0,
    gain: float = 2.0,
    axs: Sequence[Axes] | np.ndarray | None = None,
) -> Sequence[Axes] | np.ndarray:
    """Eigenvalue histograms of ``M`` at a few ``n = c d r``, with the ``r`` hidden directions' Rayleigh
    quotients ``w_j^T M w_j`` marked (red ticks): below threshold they sit in the bulk, above it they
    have left it as outliers (both signs)."""
    if axs is None:
        _, a = subplots(1, len(cs), width=3.0, height=2.6)
        axs = a[0]
    rng = streams.rng(seed, "emergence.spectra", d, r)
    task = hierarchical_target(d, r, gain=gain, rng=rng)
    for ax, c in zip(axs, cs):
        X, y = task.sample(int(round(c * d * r)), rng)
        M = signed_matrix(X, y).numpy()
        ev = np.linalg.eigvalsh(M)
        ax.hist(ev, bins=40, color=PALETTE[0], alpha=0.7)
        for v in np.einsum("ij,ik,kj->j", task.W, M, task.W):
            ax.axvline(v, color=PALETTE[1], lw=1, ymax=0.25)
        label(ax, "eigenvalue of M", "count", f"n = {c:g} d r")
    return axs


@dataclass
class GDOverlap:
    """Overlaps (seeds,) of the early-gradient subspace with the LoFi filter and with ``W*``."""

    gd_lofi: np.ndarray
    lofi_w: float
    gd_w: np.ndarray
    singular_values: np.ndarray


def gd_overlap(task: HierarchicalTarget, n: int, *, width: int = 512, seeds: int = 3, seed: int = 0) -> GDOverlap:
    """One full-batch gradient of a two-layer ReLU network ``f(x) = a^T sigma(W x)`` at initialisation
    (``W`` rows ~ N(0, I/d), ``a_j = +-1/width``, squared loss) on ``n`` samples of ``task``; the top-``r``
    right singular vectors of ``grad_W`` against the top-``r`` LoFi filter of the same samples."""
    rng = streams.rng(seed, "gd_overlap.data")
    X, y = task.sample(n, rng)
    r, d = task.r, task.d
    lofi_v = top_k_abs(signed_matrix(X, y), r).vectors.numpy()
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    act = torch_activation("relu")
    g_l, g_w, svs = [], [], None
    for s in range(seeds):
        g = streams.torch_generator(seed, "gd_overlap.init", s)
        W = (torch.randn(width, d, generator=g, dtype=torch.float64) / np.sqrt(d)).requires_grad_(True)
        a = torch.where(torch.rand(width, generator=g) < 0.5, -1.0, 1.0).double() / width
        loss = ((act(Xt @ W.T) @ a - yt) ** 2).mean() / 2
        loss.backward()
        _, S, Vt = np.linalg.svd(W.grad.numpy(), full_matrices=False)
        gd_v = Vt[:r].T
        g_l.append(hidden_overlap(gd_v, lofi_v))
        g_w.append(hidden_overlap(gd_v, task.W))
        svs = S if svs is None else svs
    return GDOverlap(
        gd_lofi=np.array(g_l), lofi_w=hidden_overlap(lofi_v, task.W), gd_w=np.array(g_w), singular_values=svs
    )
