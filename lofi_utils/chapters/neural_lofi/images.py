"""Section 6 of the Neural LoFi chapter: structured filters on images and a convolutional LoFi layer.

The top eigenfilters of the signed patch covariance against label-shuffled controls (:func:`patch_filters`,
:class:`PatchFilters`, :func:`plot_filters`), on the digits and on crops of two photographs
(:func:`photo_crops`); a convolutional LoFi layer against random-feature CNNs (:func:`conv_comparison`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ... import streams
from ...lofi import ConvLoFi, patch_signed_covariance
from ...plotting import subplots

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PatchFilters", "patch_filters", "plot_filters", "photo_crops", "conv_comparison"]


@dataclass
class PatchFilters:
    """Top eigenfilters of a signed patch covariance and the label-shuffled control.

    ``values`` (m,) by decreasing ``|lambda|``, ``filters`` (m, size, size), ``shuffled`` (n_shuffles,) the
    largest ``|lambda|`` of each shuffled-label covariance.
    """

    values: np.ndarray
    filters: np.ndarray
    shuffled: np.ndarray
    size: int

    @property
    def ratio(self) -> float:
        """Top ``|lambda|`` over the largest top ``|lambda|`` of the shuffled controls."""
        return float(abs(self.values[0]) / self.shuffled.max())


def patch_filters(
    images: ArrayLike, y: ArrayLike, size: int, *, n_shuffles: int = 50, n_keep: int = 8, seed: int = 0
) -> PatchFilters:
    """Eigenfilters of :func:`~lofi_utils.lofi.patch_signed_covariance` and ``n_shuffles`` label permutations."""
    S = patch_signed_covariance(images, y, size)
    vals, vecs = np.linalg.eigh(S)
    order = np.argsort(-np.abs(vals), kind="stable")[:n_keep]
    rng = streams.rng(seed, "patch_filters.shuffles")
    y = np.asarray(y, dtype=float)
    sh = np.array(
        [
            np.abs(np.linalg.eigvalsh(patch_signed_covariance(images, rng.permutation(y), size))).max()
            for _ in range(n_shuffles)
        ]
    )
    F = vecs[:, order].T.reshape(-1, size, size)
    return PatchFilters(values=vals[order], filters=F, shuffled=sh, size=size)


def plot_filters(
    pf: PatchFilters, axs: Sequence[Axes] | np.ndarray | None = None, *, n: int = 6, title: str = ""
) -> Sequence[Axes] | np.ndarray:
    """The top ``n`` eigenfilters (RdBu, symmetric colour scale), titled with their eigenvalue."""
    if axs is None:
        _, a = subplots(1, n, width=1.3, height=1.5)
        axs = a[0]
    for i, ax in enumerate(axs[:n]):
        f = pf.filters[i]
        v = np.abs(f).max()
        ax.imshow(f, cmap="RdBu_r", vmin=-v, vmax=v)
        ax.set_title(f"{pf.values[i]:+.3g}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if title:
        axs[0].set_ylabel(title, fontsize=8)
    return axs


def photo_crops(
    names: Sequence[str] = ("camera", "moon"), *, n_per: int = 500, size: int = 16, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random ``size x size`` crops of two scikit-image photographs, labelled ``+1`` (first) and ``-1``.

    Each crop is standardised (zero mean, unit variance), so the label is carried by texture and edges,
    not by brightness. Returns ``(images (2 n_per, size, size), y (2 n_per,))``.
    """
    from ...datasets import photos

    if len(names) != 2:
        raise ValueError(f"need exactly two photographs, got {list(names)}")
    ims = photos(names=tuple(names))
    rng = streams.rng(seed, "photo_crops")
    out = []
    for im in ims:
        H, W = im.shape
        i, j = rng.integers(0, H - size, n_per), rng.integers(0, W - size, n_per)
        out.append(np.stack([im[a : a + size, b : b + size] for a, b in zip(i, j)]))
    C = np.concatenate(out)
    C = (C - C.mean((1, 2), keepdims=True)) / (C.std((1, 2), keepdims=True) + 1e-8)
    return C, np.r_[np.ones(n_per), -np.ones(n_per)]


def conv_comparison(
    images: ArrayLike,
    y: ArrayLike,
    *,
    n_train: int,
    channels: int,
    k: int,
    p_out: int,
    seeds: int = 2,
    seed: int = 0,
) -> dict:
    """Test MSE of a convolutional LoFi layer (``channels`` random 3x3 filters -> ``k`` eigen-channels)
    against random-feature CNNs with ``k`` and with ``channels`` random channels (no filter).

    Returns name -> array (seeds,); images (n, H, W), labels +-1, random splits per seed.
    """
    images = np.asarray(images, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    specs = {
        f"conv LoFi ({channels} -> {k})": (channels, k),
        f"RF CNN ({k} channels)": (k, None),
        f"RF CNN ({channels} channels)": (channels, None),
    }
    out = {nm: np.zeros(seeds) for nm in specs}
    for s in range(seeds):
        idx = streams.rng(seed, "conv_comparison.split", s).permutation(len(y))
        a, c = idx[:n_train], idx[n_train:]
        for nm, (ch, kk) in specs.items():
            m = ConvLoFi(
                size=3, channels=ch, k=kk, pool=2, p_out=p_out, seed=streams.int_seed(seed, "conv_comparison.model", s)
            )
            m.fit(images[a], y[a])  # penalty by leave-one-out
            out[nm][s] = m.mse(images[c], y[c])
    return out
