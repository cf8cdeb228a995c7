"""Width sweeps of empirical NTKs against their analytic limits (shared by chapters 1 and 2).

For networks of growing width the empirical per-layer NTK ``Theta_hat_l`` of :class:`lofi_utils.ntk.MLP`
approaches the analytic ``Theta_l`` (:func:`lofi_utils.kernels.layer_kernels`) with relative Frobenius error
``O(width^-1/2)``; :func:`kernel_width_sweep` measures it per layer and for the total NTK, which chapter 1
(:func:`lofi_utils.chapters.spectral_bias.ntk_width.ntk_width_sweep`) and chapter 2
(:func:`lofi_utils.chapters.layerwise.finite_width.layer_width_sweep`) read.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import streams
from .kernels import layer_kernels, ntk
from .ntk import MLP, empirical_layer_ntk
from .sphere import sample_sphere
from .validation import check_int

__all__ = ["WidthSweep", "KernelSweep", "kernel_width_sweep"]


@dataclass
class WidthSweep:
    """What every width sweep of an empirical kernel records (base of :class:`NTKSweep` and of
    :class:`lofi_utils.chapters.layerwise.finite_width.LayerWidthSweep`).

    ``widths`` (W,); ``errors`` (W, S, ...): relative Frobenius errors per width and network seed (and per
    layer for the per-layer sweep); ``d``, ``depth``, ``bias``, ``activation``: the setting.
    """

    widths: np.ndarray
    errors: np.ndarray
    d: int
    depth: int
    bias: float
    activation: str

    @property
    def mean_errors(self) -> np.ndarray:
        """Seed-averaged relative error per width, shape (W,) or (W, L)."""
        return self.errors.mean(axis=1)


@dataclass
class KernelSweep:
    """Output of :func:`kernel_width_sweep` (shared by the total and the per-layer sweeps)."""

    widths: np.ndarray
    layer_errors: np.ndarray  # (W, S, L)
    total_errors: np.ndarray  # (W, S)
    cosines: np.ndarray  # (N, N)
    theta: np.ndarray  # (N, N), the NTK recursion
    theta_hat: np.ndarray  # (N, N), the widest network's empirical NTK (first seed)
    wall_time: float


def kernel_width_sweep(
    d: int,
    depth: int,
    n_points: int,
    widths: Sequence[int],
    *,
    seeds: int,
    bias: float,
    activation: str,
    seed: int,
    device: torch.device | str | None,
    dtype: torch.dtype,
) -> KernelSweep:
    """The loop behind :func:`lofi_utils.chapters.spectral_bias.ntk_width.ntk_width_sweep` and
    :func:`lofi_utils.chapters.layerwise.finite_width.layer_width_sweep`.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` (the stream ``(seed, "width_sweep.inputs")``);
    for every width ``w`` and repetition ``s < seeds`` one :class:`lofi_utils.ntk.MLP` (seeded from the stream
    ``(seed, "width_sweep.net", w, s)``) and its per-layer empirical NTK ``Theta_hat_l`` (factorised formula);
    the total is their sum ``Theta_hat = sum_l Theta_hat_l``
    (:func:`lofi_utils.ntk.empirical_ntk`). Errors are relative Frobenius errors against the analytic
    ``Theta_l`` (:func:`lofi_utils.kernels.layer_kernels`) and the NTK recursion ``Theta``
    (:func:`lofi_utils.kernels.ntk`, an independent code path).
    """
    widths = np.asarray(widths, dtype=int)
    if widths.ndim != 1 or widths.size < 1 or np.any(widths < 1):
        raise ValueError(f"widths must be a non-empty list of positive integers, got {widths!r}")
    check_int(seeds, "seeds", minimum=1)
    check_int(n_points, "n_points", minimum=2)
    rng = streams.rng(seed, "width_sweep.inputs")
    x = sample_sphere(n_points, d, radius=math.sqrt(d), rng=rng)
    cos = np.clip(x @ x.T / d, -1.0, 1.0)
    layers = layer_kernels(cos, depth=depth, activation=activation, bias=bias).theta_layers
    theta = ntk(cos, depth=depth, activation=activation, bias=bias)
    L = layers.shape[0]
    layer_norms = np.linalg.norm(layers.reshape(L, -1), axis=1)
    norm = np.linalg.norm(theta)
    xt = torch.as_tensor(x, dtype=dtype, device=device)
    layer_errors = np.empty((widths.size, seeds, L))
    total_errors = np.empty((widths.size, seeds))
    theta_hat = None
    t0 = time.perf_counter()
    for i, w in enumerate(widths):
        for s in range(seeds):
            model = MLP(
                d,
                int(w),
                depth,
                activation=activation,
                bias=bias,
                seed=streams.int_seed(seed, "width_sweep.net", int(w), s),
                dtype=dtype,
                device=device,
            )
            G = empirical_layer_ntk(model, xt)
            E = G.sum(dim=0).detach().cpu().double().numpy()  # = empirical_ntk(model, xt)
            G = G.double().cpu().numpy()
            layer_errors[i, s] = np.linalg.norm((G - layers).reshape(L, -1), axis=1) / layer_norms
            total_errors[i, s] = np.linalg.norm(E - theta) / norm
            if i == widths.size - 1 and s == 0:
                theta_hat = E
    return KernelSweep(
        widths=widths,
        layer_errors=layer_errors,
        total_errors=total_errors,
        cosines=cos,
        theta=theta,
        theta_hat=theta_hat,
        wall_time=time.perf_counter() - t0,
    )
