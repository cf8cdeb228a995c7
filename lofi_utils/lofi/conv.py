"""Convolutional Neural LoFi: the signed covariance of image patches and one eigen-convolution layer.

In a convolutional layer the representation is a patch: the signed patch covariance
``(1/(n P)) sum_i w_i sum_pos pi pi^T`` (:func:`patch_signed_covariance`) is the first layer's filter operator,
and its top-``|lambda|`` eigenvectors, reshaped to ``size x size``, are the LoFi filters. :class:`ConvLoFi`
lifts every patch with random filters, keeps the ``k`` channels of largest ``|lambda|`` of their signed
covariance over samples and positions (a ``1 x 1`` eigen-convolution), pools, and reads out with a
random-feature :class:`~lofi_utils.lofi.model.NeuralLoFi` head.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from ..streams import int_seed
from ..validation import check_int
from .filtering import SignedCovariance, top_k_abs
from .lift import RandomLift, check_activation
from .model import NeuralLoFi
from .ridge import DEFAULT_LAMS

__all__ = ["patches", "patch_signed_covariance", "ConvLoFi"]


def patches(images: ArrayLike, size: int, *, stride: int = 1) -> np.ndarray:
    """All ``size x size`` patches of gray images.

    Parameters
    ----------
    images : array_like
        Shape (n, H, W).
    size : int
        The patch side, ``1 <= size <= min(H, W)``.
    stride : int
        Step between patch positions along each axis.

    Returns
    -------
    np.ndarray
        Shape (n, n_pos, size*size), float64, positions in row-major order.
    """
    im = np.asarray(images, dtype=np.float64)
    if im.ndim != 3:
        raise ValueError(f"images must be (n, H, W), got shape {im.shape}")
    size = check_int(size, "patch size", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    if size > min(im.shape[1:]):
        raise ValueError(f"patch size {size} exceeds the image size {im.shape[1:]}")
    win = np.lib.stride_tricks.sliding_window_view(im, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return win.reshape(im.shape[0], -1, size * size)


def patch_signed_covariance(
    images: ArrayLike, y: ArrayLike, size: int, *, center_y: bool = True, stride: int = 1
) -> np.ndarray:
    """Signed patch covariance ``(1/(n P)) sum_i w_i sum_pos p p^T``.

    Patches are taken as they are (each image is expected to be normalised already). Its top-``|lambda|``
    eigenvectors, reshaped to ``size x size``, are the first-layer LoFi filters of a convolutional network.

    Parameters
    ----------
    images : array_like
        Gray images, shape (n, H, W).
    y : array_like
        Labels, shape (n,).
    size : int
        The patch side.
    center_y : bool
        Weights ``w = y - mean(y)``; ``False``: ``w = y``.
    stride : int
        Step between patch positions (:func:`patches`).

    Returns
    -------
    np.ndarray
        Shape (size^2, size^2), symmetric, float64.
    """
    P = patches(images, size, stride=stride)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.shape[0] != P.shape[0]:
        raise ValueError(f"{y.shape[0]} labels for {P.shape[0]} images")
    w = y - y.mean() if center_y else y
    Pt = torch.as_tensor(P.reshape(-1, P.shape[2]))
    wt = torch.as_tensor(np.repeat(w, P.shape[1]))
    S = ((Pt * wt[:, None]).T @ Pt).numpy()
    return (S + S.T) / (2 * P.shape[0] * P.shape[1])


class ConvLoFi:
    """One convolutional LoFi layer, then a random-feature lift and a ridge readout.

    Conv lift: ``P`` random ``size x size`` filters applied to every patch, ``z = P^{-1/2} sigma(W^T patch / c)``
    (``c^2`` = mean squared patch norm); signed covariance over samples *and* positions (a ``1 x 1``
    eigen-convolution) keeps the ``k`` channels of largest ``|lambda|`` (``k=None``: keep all ``P``, the
    random-feature CNN); the map is average-pooled on a ``pool x pool`` grid, flattened, lifted by a
    random-feature layer of width ``p_out`` and read out by ridge.

    Parameters
    ----------
    size : int
        The patch (filter) side.
    channels : int
        The number ``P`` of random filters of the conv lift.
    k : int or None
        Kept eigen-channels, ``1 <= k <= channels``; ``None``: keep all.
    pool : int
        Side of the average-pooling grid.
    p_out : int
        Width of the random-feature head.
    activation : str
        One of :data:`~lofi_utils.lofi.lift.ACTIVATIONS`.
    center_y : bool
        Weights ``w = y - mean(y)`` in the signed covariance; ``False``: ``w = y``.
    seed : int
        Draws the conv lift (stream ``(seed, "conv.lift")``) and the head (``(seed, "conv.head")``).
    lams : sequence of float
        The ridge penalty grid of the head.
    """

    def __init__(
        self,
        *,
        size: int = 3,
        channels: int = 256,
        k: int | None = 16,
        pool: int = 2,
        p_out: int = 1000,
        activation: str = "relu",
        center_y: bool = True,
        seed: int = 0,
        lams: Sequence[float] = DEFAULT_LAMS,
    ) -> None:
        """Check the options (see the class docstring); nothing is drawn until :meth:`fit`."""
        self.size, self.channels = check_int(size, "size", minimum=1), check_int(channels, "channels", minimum=1)
        self.k = None if k is None else check_int(k, "k", minimum=1)
        if self.k is not None and self.k > self.channels:
            raise ValueError(f"k={k} exceeds the number of channels {channels}")
        self.pool, self.p_out = check_int(pool, "pool", minimum=1), check_int(p_out, "p_out", minimum=1)
        self.activation, self.center_y, self.seed, self.lams = check_activation(activation), center_y, seed, lams

    def _maps(self, images) -> torch.Tensor:
        P = torch.as_tensor(patches(images, self.size))  # (n, pos, s^2)
        n, npos, _ = P.shape
        side = int(round(math.sqrt(npos)))
        Z = self.lift(P.reshape(n * npos, -1))
        if self.V is not None:
            Z = Z @ self.V
        Z = Z.reshape(n, side, side, -1).permute(0, 3, 1, 2)
        Z = torch.nn.functional.adaptive_avg_pool2d(Z, self.pool)
        return Z.reshape(n, -1)

    def fit(
        self, images: ArrayLike, y: ArrayLike, *, images_val: ArrayLike | None = None, y_val: ArrayLike | None = None
    ) -> "ConvLoFi":
        """Fit the eigen-channels and the readout (penalty by leave-one-out, or on the held-out images if given).

        Parameters
        ----------
        images : array_like
            Training gray images, shape (n, H, W).
        y : array_like
            Training labels, shape (n,).
        images_val : array_like, optional
            Held-out images, shape (n_v, H, W), for the penalty (give ``y_val`` too).
        y_val : array_like, optional
            Held-out labels, shape (n_v,).

        Returns
        -------
        ConvLoFi
            ``self``, fitted (``lift``, ``V`` (channels, k) or ``None``, ``eigvals`` (k,), ``head``).
        """
        y = np.asarray(y, dtype=np.float64)
        P = torch.as_tensor(patches(images, self.size))
        n, npos, m = P.shape
        self.lift = RandomLift(
            m, self.channels, activation=self.activation, seed=int_seed(self.seed, "conv.lift")
        ).fit_scale(P.reshape(-1, m))
        self.V, self.eigvals = None, None
        if self.k is not None:
            Z = self.lift(P.reshape(-1, m))
            w = torch.as_tensor(np.repeat(y - y.mean() if self.center_y else y, npos))
            res = top_k_abs(SignedCovariance(w, Z=Z), self.k, method="dense")
            self.V, self.eigvals = res.vectors, res.values
        self.head = NeuralLoFi(
            [self.p_out], [None], activation=self.activation, seed=int_seed(self.seed, "conv.head"), lams=self.lams
        )
        held = images_val is not None
        self.head.fit(self._maps(images), y, X_val=self._maps(images_val) if held else None, y_val=y_val)
        return self

    def predict(self, images: ArrayLike) -> torch.Tensor:
        """Readout predictions (n,), float64, for gray images (n, H, W) of the training size."""
        return self.head.predict(self._maps(images))

    def mse(self, images: ArrayLike, y: ArrayLike) -> float:
        """Test mean squared error on images (n, H, W) and labels ``y`` (n,)."""
        return self.head.mse(self._maps(images), y)
