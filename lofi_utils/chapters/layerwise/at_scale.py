"""Chapter 2 at scale: the figure of the stored per-layer width sweep (:mod:`lofi_utils.reproduce`, experiment
``layer_width_sweep``): the error of each layer's empirical NTK over a factor 64 in the width."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...plotting import get_ax, label, sequential_colors

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_stored_width_sweep"]


def plot_stored_width_sweep(summary: dict, *, ax: Axes | None = None) -> Axes:
    """Mean relative error ``|Theta_hat_l - Theta_l|_F / |Theta_l|_F`` of each layer against the width
    (log-log), with each layer's fitted exponent and 95 % interval, and an ``n^(-1/2)`` guide."""
    ax = get_ax(ax)
    w = np.array(summary["widths"], dtype=float)
    colors = sequential_colors(len(summary["layers"]))
    for i, lay in enumerate(summary["layers"]):
        y = np.array(lay["mean_error"], dtype=float)
        ax.plot(
            w,
            y,
            "o-",
            color=colors[i],
            ms=3,
            label=rf"layer {lay['layer']}: $n^{{{lay['exponent']:.2f}}}$ [{lay['lo']:.2f}, {lay['hi']:.2f}]",
        )
    top = max(lay["mean_error"][0] for lay in summary["layers"])
    ax.plot(w, top * (w / w[0]) ** -0.5, "k--", lw=1, label=r"$n^{-1/2}$")
    ax.set_xscale("log"), ax.set_yscale("log")
    label(
        ax, "width $n$", r"relative error of $\hat\Theta_\ell$", f"stored sweep, {summary['reps']} networks per width"
    )
    ax.legend(fontsize=7)
    return ax
