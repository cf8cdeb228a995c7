"""Tensor placement and the input checks shared by the Neural LoFi modules.

Every LoFi computation runs in PyTorch on a chosen device: float64 on the CPU, float32 on an accelerator
(:func:`default_dtype`). Inputs arrive as NumPy arrays or tensors; :func:`as_tensor` places them, and
:func:`check_inputs` / :func:`check_labels` turn a wrong shape or a NaN into one line that names the argument
(the tensor counterparts of :mod:`lofi_utils.validation`, which checks scalars).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike

__all__ = ["default_dtype", "as_tensor", "check_labels", "check_inputs"]


def default_dtype(device: torch.device) -> torch.dtype:
    """The LoFi default precision on ``device``: float64 on the CPU, float32 on an accelerator."""
    return torch.float64 if device.type == "cpu" else torch.float32


def as_tensor(x: ArrayLike, device: torch.device | str | None, dtype: torch.dtype) -> torch.Tensor:
    """``x`` (an array or a tensor) as a tensor on ``device`` with ``dtype`` (no copy when it already is one)."""
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(x), device=device, dtype=dtype)


def check_labels(
    y: ArrayLike, n: int, device: torch.device | str | None, dtype: torch.dtype, name: str = "y"
) -> torch.Tensor:
    """Labels ``y`` as a flat (n,) tensor on ``device``.

    Parameters
    ----------
    y : array_like or torch.Tensor
        ``n`` finite numbers (any shape with ``n`` entries).
    n : int
        The number of samples they must label.
    device, dtype
        Where to place them.
    name : str
        The argument's name in the error message.

    Returns
    -------
    torch.Tensor
        Shape (n,); ``ValueError`` for another length or a non-finite entry.
    """
    yt = as_tensor(y, device, dtype).reshape(-1)
    if yt.shape[0] != n:
        raise ValueError(f"{name} has {yt.shape[0]} entries for {n} samples")
    if not torch.isfinite(yt).all():
        raise ValueError(f"{name} has non-finite entries")
    return yt


def check_inputs(
    X: ArrayLike, name: str, device: torch.device | str | None, dtype: torch.dtype, d: int | None = None
) -> torch.Tensor:
    """Inputs ``X`` as an (n, d) tensor with ``n, d >= 1``, finite entries and, when ``d`` is given, ``d`` columns.

    Parameters
    ----------
    X : array_like or torch.Tensor
        Shape (n, d).
    name : str
        The argument's name in the error message.
    device, dtype
        Where to place it.
    d : int, optional
        The number of columns required (those of the training inputs).

    Returns
    -------
    torch.Tensor
        Shape (n, d); ``ValueError`` naming ``name`` otherwise.
    """
    H = as_tensor(X, device, dtype)
    if H.ndim != 2 or H.shape[0] == 0 or H.shape[1] == 0:
        raise ValueError(f"{name} must be an (n, d) array with n, d >= 1, got shape {tuple(H.shape)}")
    if d is not None and H.shape[1] != d:
        raise ValueError(f"{name} must have d = {d} columns like the training inputs, got shape {tuple(H.shape)}")
    if not torch.isfinite(H).all():
        raise ValueError(f"{name} must be finite, got {int((~torch.isfinite(H)).sum())} NaN or inf entries")
    return H
