"""Fourier features for 1-D inputs (Tancik et al. 2020): the mapping ``gamma(v)`` and the kernel it induces.

``gamma(v) = [a_j sin(2 pi b_j v), a_j cos(2 pi b_j v)]_{j=1..m} / ||a||`` in front of a network makes its
kernel depend on ``v - v'`` only (``gamma(v) . gamma(v') = sum_j a_j^2 cos(2 pi b_j (v - v')) / ||a||^2``), and
the weights ``a_j`` shape its spectrum:

* :func:`fourier_features` -- the mapping (NumPy or torch);
* :func:`tancik_mapping` -- the 1-D study's choice ``b_j = j``, ``a_j = j^-p`` (``p = inf``: one sinusoid);
* :func:`fourier_feature_kernel` -- the input kernel ``h(Delta)`` of that mapping.

Training networks on these features is the experiment of the spectral-bias chapter
(:mod:`lofi_utils.chapters.spectral_bias.fourier_feature_fits`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike

from .validation import check_int

__all__ = ["fourier_features", "tancik_mapping", "fourier_feature_kernel"]


def fourier_features(
    v: ArrayLike | torch.Tensor, b: ArrayLike | torch.Tensor, a: ArrayLike | torch.Tensor
) -> np.ndarray | torch.Tensor:
    """Tancik et al.'s mapping ``gamma(v) = [a_j sin(2 pi b_j v), a_j cos(2 pi b_j v)]_j / ||a||``.

    ``v``: shape ``(...,)`` of scalar inputs (NumPy array or torch tensor); ``b``, ``a``: shape
    ``(m,)`` frequencies and weights (``||a|| > 0``). Returns shape ``(..., 2m)`` (sines first, then
    cosines) of the input's kind: float64 for NumPy, the tensor's dtype/device for torch. Since
    ``sin^2 + cos^2 = 1``, ``||gamma(v)|| = 1`` for every ``v``.
    """
    is_torch = isinstance(v, torch.Tensor)
    b_np = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=np.float64)
    a_np = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
    if b_np.ndim != 1 or a_np.shape != b_np.shape or b_np.size == 0:
        raise ValueError(f"a and b must be 1-D of the same length >= 1, got shapes {a_np.shape} and {b_np.shape}")
    if not (np.all(np.isfinite(a_np)) and np.all(np.isfinite(b_np))):
        raise ValueError("a and b must be finite")
    norm = float(np.linalg.norm(a_np))
    if norm == 0:
        raise ValueError("the weights a must not all be zero")
    if is_torch:
        bt = torch.as_tensor(b_np, dtype=v.dtype, device=v.device)
        at = torch.as_tensor(a_np / norm, dtype=v.dtype, device=v.device)
        arg = 2.0 * math.pi * v[..., None] * bt
        return torch.cat([at * torch.sin(arg), at * torch.cos(arg)], dim=-1)
    vv = np.asarray(v, dtype=np.float64)
    arg = 2.0 * np.pi * vv[..., None] * b_np
    an = a_np / norm
    return np.concatenate([an * np.sin(arg), an * np.cos(arg)], axis=-1)


def tancik_mapping(p: float, n_features: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Weights and frequencies ``(a, b)`` of Tancik et al.'s 1-D study: ``b_j = j``, ``a_j = j^-p``.

    ``j = 1..n_features``; ``p = inf`` keeps only ``j = 1`` (``a = e_1``, a single sinusoid).
    """
    n = check_int(n_features, "n_features", minimum=1)
    p = float(p)
    if math.isnan(p) or p < 0:
        raise ValueError(f"p must be >= 0 (or inf), got {p!r}")
    b = np.arange(1, n + 1, dtype=np.float64)
    a = np.eye(n)[0] if math.isinf(p) else b**-p
    return a, b


def fourier_feature_kernel(p: float, delta: ArrayLike, n_features: int = 16) -> np.ndarray:
    """Input part of the kernel of Tancik et al.'s mapping :func:`tancik_mapping` ``(p)``, normalised.

    ``h(Delta) = sum_j a_j^2 cos(2 pi b_j Delta) / sum_j a_j^2`` with ``(a, b) = tancik_mapping(p)``: the
    inner product of the features of ``v`` and ``v' = v - Delta``, so ``h(0) = 1``. Flat weights
    (``p = 0``) give a narrow peak (samples nearly independent); ``p = inf`` gives ``cos(2 pi Delta)``, the
    widest. ``delta``: array of any shape; returns ``h`` of the same shape (float64).
    """
    a, b = tancik_mapping(p, n_features)
    d = np.asarray(delta, dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise ValueError("delta must be finite")
    h = np.tensordot(a**2, np.cos(2 * np.pi * np.multiply.outer(b, d)), axes=1)
    return h / np.sum(a**2)
