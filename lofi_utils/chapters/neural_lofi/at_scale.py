"""Chapter 3 at scale: the figures of the stored results (:mod:`lofi_utils.reproduce`): the emergence grid
(experiment ``emergence_grid``), where d and r vary separately so that the ``n ~ d r`` law can be told from
``n ~ d^2``, and finite LoFi against RF(2p), the NNGP and NTK kernels and kernel LoFi over n
(``lofi_vs_kernels``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import NullLocator

from ...plotting import label, sequential_colors, subplots
from ...tables import Table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_stored_emergence", "plot_stored_lofi_kernels", "lofi_kernels_table", "n_text", "sizes_text"]


def plot_stored_emergence(summary: dict, axs: list[Axes] | None = None) -> list[Axes]:
    """Excess overlap ``(overlap - r/d) / (1 - r/d)`` of the LoFi filter with span W* (mean over repetitions)
    against ``n / (d r)`` (left), ``n / d^2`` (middle) and ``n / d`` (right), one curve per ``(d, r)``: the
    curves collapse in the variable of the true law. Each panel is titled with the spread of ``log n_1/2``;
    one legend below the panels. ``summary``: the stored experiment's summary."""
    if axs is None:
        _, a = subplots(1, 3, width=2.27, height=3.3, sharey=True)
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
    for j, (ax, name, key) in enumerate(zip(axs, ("n / (d r)", "n / d²", "n / d"), ("n/(d r)", "n/d^2", "n/d"))):
        ax.set_xscale("log")
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        label(ax, name, "overlap above chance" if j == 0 else "", f"spread {sp[key]:.2f}")
    handles, labels = axs[0].get_legend_handles_labels()
    axs[0].figure.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
    return axs


def plot_stored_lofi_kernels(summary: dict, axs: list[Axes] | None = None) -> list[Axes]:
    """Left: test MSE / Var y of every model against ``n`` (mean over repetitions). Right: the paired difference
    ``MSE(LoFi) - MSE(model)`` / Var y with its 95 % interval (below 0: LoFi is better). Each panel has its
    legend below it and ticks at the stored sizes. ``summary``: the stored summary of the experiment
    ``lofi_vs_kernels``."""
    if axs is None:
        _, a = subplots(1, 2, width=3.4, height=3.9)
        axs = list(a[0])
    rows = summary["rows"]
    ns = np.array([row["n"] for row in rows], dtype=float)
    styles = {"RF(2p)": "s--", "LoFi": "o-", "NNGP (depth 2)": "D:", "NTK (depth 2)": "v:", "kernel LoFi": "^-"}
    for m in summary["models"]:
        y = np.array([row["mean"].get(m, np.nan) for row in rows], dtype=float)
        if np.isfinite(y).any():
            axs[0].plot(ns, y, styles.get(m, "o-"), ms=4, label=m)
    label(axs[0], "training samples n", "test MSE / Var y", "stored: mean over repetitions")
    for j, m in enumerate(m for m in summary["models"] if m != "LoFi"):
        d = np.array([row["lofi_minus"].get(m, [np.nan] * 3) for row in rows], dtype=float)
        x = ns * (1 + 0.04 * (j - 1.5))  # side by side
        axs[1].errorbar(
            x,
            d[:, 0],
            yerr=[d[:, 0] - d[:, 1], d[:, 2] - d[:, 0]],
            fmt=styles.get(m, "o")[0],
            ms=4,
            capsize=2,
            label=f"LoFi - {m}",
        )
    axs[1].axhline(0, color="0.3", lw=0.8)
    label(axs[1], "training samples n", "paired difference / Var y", "below 0: LoFi better")
    for ax in axs:
        ax.set_xscale("log")
        ax.set_xticks(ns, [n_text(n) for n in ns])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)
    return axs


def lofi_kernels_table(summary: dict) -> Table:
    """One row per model, one column per stored ``n`` (its repetitions in brackets): the test MSE / Var y, mean
    over the repetitions (``–`` where a model did not run). ``summary``: the stored summary of
    ``lofi_vs_kernels``."""
    rows = [
        [m, *(f"{row['mean'][m]:.3f}" if m in row["mean"] else "–" for row in summary["rows"])]
        for m in summary["models"]
    ]
    cols = ["model", *(f"n = {row['n']} ({row['reps']})" for row in summary["rows"])]
    return Table(cols, rows, notes="(test MSE / Var y, mean over the repetitions in brackets)")


def n_text(n: float) -> str:
    """A sample size as a short tick label: ``500`` -> ``"500"``, ``2000`` -> ``"2k"``, ``2500`` -> ``"2.5k"``."""
    return f"{n / 1000:g}k" if n >= 1000 else f"{n:g}"


def sizes_text(ns: list[int]) -> str:
    """``[1000, 4000]`` -> ``"n = 1000 and 4000"``; ``[]`` -> ``"no n"`` (for sentences written from a result)."""
    ns = [int(n) for n in ns]
    if not ns:
        return "no n"
    if len(ns) == 1:
        return f"n = {ns[0]}"
    return "n = " + ", ".join(str(n) for n in ns[:-1]) + f" and {ns[-1]}"
