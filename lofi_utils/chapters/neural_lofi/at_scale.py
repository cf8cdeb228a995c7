"""Chapter 3 at scale: the figure of the stored emergence grid (:mod:`lofi_utils.reproduce`, experiment
``emergence_grid``), where d and r vary separately so that the ``n ~ d r`` law can be told from ``n ~ d^2``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...plotting import label, sequential_colors, subplots

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_stored_emergence"]


def plot_stored_emergence(summary: dict, axs: list[Axes] | None = None) -> list[Axes]:
    """Excess overlap ``(overlap - r/d) / (1 - r/d)`` of the LoFi filter with span W* (mean over repetitions)
    against ``n / (d r)`` (left), ``n / d^2`` (middle) and ``n / d`` (right), one curve per ``(d, r)``: the
    curves collapse in the variable of the true law. ``summary``: the stored experiment's summary."""
    if axs is None:
        _, a = subplots(1, 3, width=3.0, height=2.8)
        axs = list(a[0])
    cs = np.array(summary["cs"], dtype=float)
    rows = summary["rows"]
    colors = sequential_colors(len(rows))
    sp = summary["spread"]
    for i, row in enumerate(rows):
        d, r = row["d"], row["r"]
        n = cs * d * r
        y = np.array(row["excess_overlap"], dtype=float)
        style = "o-" if r == 4 else "s--"
        for ax, x in zip(axs, (n / (d * r), n / d**2, n / d)):
            ax.plot(x, y, style, color=colors[i], ms=3, label=f"d = {d}, r = {r}")
    for ax, name, key in zip(axs, ("n / (d r)", "n / d^2", "n / d"), ("n/(d r)", "n/d^2", "n/d")):
        ax.set_xscale("log")
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        label(ax, name, "overlap above chance", f"spread of log n_half: {sp[key]:.2f}")
    axs[0].legend(fontsize=6)
    return axs
