"""Section 2: the empirical NTK of finite networks against the analytic kernel, at several widths.

:func:`ntk_width_sweep` reads the total-kernel errors of :func:`lofi_utils.width_sweep.kernel_width_sweep`
(the loop shared with chapter 2's per-layer sweep); the relative Frobenius error shrinks like
``width^(-1/2)`` (:meth:`NTKSweep.width_exponent`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ...stats import fit_power_law
from ...width_sweep import WidthSweep, kernel_width_sweep

__all__ = ["NTKSweep", "ntk_width_sweep"]


@dataclass
class NTKSweep(WidthSweep):
    """Output of :func:`ntk_width_sweep`.

    ``errors`` (W, S): relative Frobenius error ``|Theta_hat - Theta|_F / |Theta|_F`` per width and seed;
    ``cosines`` (N, N) the Gram matrix of cosines ``x.x'/d``; ``theta`` (N, N) the analytic NTK;
    ``theta_hat`` (N, N) the empirical NTK of the widest network (first seed).
    """

    cosines: np.ndarray
    theta: np.ndarray
    theta_hat: np.ndarray

    def width_exponent(self) -> float:
        """Slope of log(mean error) against log(width) (the theory: -1/2)."""
        return fit_power_law(self.widths, self.mean_errors)[0]


def ntk_width_sweep(
    d: int,
    depth: int,
    n_points: int,
    widths: Sequence[int],
    *,
    seeds: int = 3,
    bias: float = 0.0,
    activation: str = "relu",
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> NTKSweep:
    """Empirical NTK (factorised per-layer formula) of :class:`lofi_utils.ntk.MLP` against the analytic NTK.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` and one network per width in ``widths``
    and repetition ``s < seeds``, each from its own stream of ``seed`` (:mod:`lofi_utils.streams`); the
    relative error ``|Theta_hat - Theta|_F / |Theta|_F`` is recorded, with ``Theta_hat = sum_l Theta_hat_l``
    (:func:`lofi_utils.width_sweep.kernel_width_sweep`, the loop of chapter 2's per-layer sweep).

    Parameters
    ----------
    d : input dimension; depth : number of weight layers ``L``; n_points : number of inputs ``N``.
    widths : the W hidden widths. seeds : networks per width. bias, activation : the network
        (``activation`` a name of :data:`lofi_utils.kernels.ACTIVATIONS`).
    seed : the base seed of the inputs' and the networks' streams. device, dtype : where and in which precision.

    Returns
    -------
    :class:`NTKSweep`
    """
    sw = kernel_width_sweep(
        d, depth, n_points, widths, seeds=seeds, bias=bias, activation=activation, seed=seed, device=device, dtype=dtype
    )
    return NTKSweep(
        widths=sw.widths,
        errors=sw.total_errors,
        d=int(d),
        depth=int(depth),
        bias=float(bias),
        activation=activation,
        cosines=sw.cosines,
        theta=sw.theta,
        theta_hat=sw.theta_hat,
    )
