"""Section 2 of the Neural LoFi chapter: how fast width-``p`` LoFi approaches its kernel limit.

On the training points, the filter of the width-``p`` Gram matrix ``G_p = Z Z^T`` (the exact dual route) against
the filter of the NNGP Gram matrix, both of the features as they are (the authors' algorithm) or both centred
(the variant ``center_z=True``): the distance between their whole signed spectra and between the spans of their
top-``k`` features (:func:`width_convergence`, :class:`WidthConvergence`, :func:`plot_width_convergence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import ArrayLike

from ... import streams
from ...lofi import RandomLift, center_gram, kernel_filter, nngp_gram
from ...plotting import PALETTE, get_ax, label, loglog_fit_line
from ...stats import fit_power_law

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["WidthConvergence", "width_convergence", "plot_width_convergence"]


@dataclass
class WidthConvergence:
    """Distance between the finite-width filter and its kernel limit, on the training points.

    ``dist`` (len(widths), seeds): ``|P_p - P_inf|_F / sqrt(2k)`` (root-mean-square sine of the principal
    angles) between the spans in R^n of the width-``p`` features ``Z V`` and of the kernel features
    ``G^{1/2} B`` (both centred, or both not, as ``centered``). ``spec`` (len(widths), seeds): distance
    between the whole signed spectra of the two filter operators,
    ``|sort(lambda_p) - sort(lambda_inf)|_2 / |lambda_inf|_2`` (insensitive to near-degenerate eigenvalues at
    the cut ``k``, unlike the subspace).
    """

    widths: np.ndarray
    dist: np.ndarray
    k: int
    spec: np.ndarray = None
    centered: bool = False

    @property
    def median(self) -> np.ndarray:
        """(len(widths),): the median filter distance over seeds."""
        return np.median(self.dist, axis=1)

    @property
    def spec_median(self) -> np.ndarray:
        """(len(widths),): the median spectrum distance over seeds."""
        return np.median(self.spec, axis=1)

    def slope(self, which: str = "subspace", min_width: int = 0) -> float:
        """Fitted exponent of the median distance in ``p`` (``"subspace"`` or ``"spectrum"``), over the widths
        ``p >= min_width`` (at least two of them)."""
        if which not in ("subspace", "spectrum"):
            raise ValueError(f"which must be 'subspace' or 'spectrum', got {which!r}")
        keep = self.widths >= min_width
        if keep.sum() < 2:
            raise ValueError(
                f"min_width={min_width} leaves {int(keep.sum())} of the widths {self.widths.tolist()}; need at least 2"
            )
        dist = self.median if which == "subspace" else self.spec_median
        return fit_power_law(self.widths[keep], dist[keep])[0]


def _proj_dist(A, B) -> float:
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    k = A.shape[1]
    return float(np.sqrt(max(0.0, 2 * k - 2 * np.sum((Qa.T @ Qb) ** 2))) / np.sqrt(2 * k))


def width_convergence(
    X: ArrayLike,
    y: ArrayLike,
    k: int,
    widths: Sequence[int],
    *,
    seeds: int = 2,
    seed: int = 0,
    center_z: bool = False,
) -> WidthConvergence:
    """Finite-width LoFi filter (via the exact dual route on ``G_p = Z Z^T``, accumulated over blocks of
    ``p``) against the kernel-limit filter on the NNGP Gram matrix, for each width and lift seed.
    ``center_z``: both Gram matrices of the centred features (the variant); default the features as they are
    (the authors' algorithm, as :class:`~lofi_utils.lofi.NeuralLoFi`)."""
    X = np.asarray(X, dtype=np.float64)
    tX = torch.as_tensor(X)

    def prepare(G: torch.Tensor) -> torch.Tensor:
        return center_gram(G)[0] if center_z else G

    G_inf = prepare(torch.as_tensor(nngp_gram(X)))
    kf_inf = kernel_filter(G_inf.numpy(), y, k)
    lam_inf = np.sort(kf_inf.all_values)
    widths = np.asarray(widths, dtype=int)
    dist = np.zeros((len(widths), seeds))
    spec = np.zeros((len(widths), seeds))
    for i, p in enumerate(widths):
        for s in range(seeds):
            lift = RandomLift(X.shape[1], int(p), seed=streams.int_seed(seed, "width_limit.lift", p, s)).fit_scale(tX)
            G_p = prepare(lift.gram(tX))
            kf = kernel_filter(G_p.numpy(), y, k)
            dist[i, s] = _proj_dist(kf.F, kf_inf.F)
            spec[i, s] = np.linalg.norm(np.sort(kf.all_values) - lam_inf) / np.linalg.norm(lam_inf)
    return WidthConvergence(widths=widths, dist=dist, k=int(k), spec=spec, centered=bool(center_z))


def plot_width_convergence(wc: WidthConvergence, ax: Axes | None = None) -> Axes:
    """Distance to the kernel limit against the width (log-log), with the fitted power law."""
    ax = get_ax(ax)
    for s in range(wc.dist.shape[1]):
        ax.plot(wc.widths, wc.dist[:, s], "o", color="0.6", ms=3)
        ax.plot(wc.widths, wc.spec[:, s], "s", color="0.6", ms=3)
    ax.plot(wc.widths, wc.median, "o-", color=PALETTE[1], label=f"top-{wc.k} filtered subspace")
    ax.plot(wc.widths, wc.spec_median, "s-", color=PALETTE[0], label="whole signed spectrum")
    sl, ic = fit_power_law(wc.widths, wc.spec_median)
    loglog_fit_line(ax, wc.widths, sl, ic, label=f"fit (spectrum): p^{sl:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return label(ax, "width p", "distance to the kernel filter", f"finite p -> kernel limit (k = {wc.k})", legend=True)
