"""Chapter 4 at scale: figures of the stored results of :mod:`lofi_utils.reproduce` (escape-time N-scan,
c-scan, power-law exponent scan). Each function takes the experiment's ``summary`` dict
(:attr:`lofi_utils.reproduce.core.StoredResult.summary`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...plotting import PALETTE, get_ax, label, sequential_colors
from .figures import plain_log_labels, plain_log_ticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_stored_n_scan", "plot_stored_c_scan", "plot_stored_powerlaw"]


def plot_stored_n_scan(summary: dict, *, ax: Axes | None = None) -> Axes:
    """Median escape time against N (log-log) with its 95 % bootstrap interval, and the slopes N^2, N^3 and
    N^4 through the smallest N, so the reader sees which law the medians follow."""
    ax = get_ax(ax)
    rows = summary["rows"]
    N = np.array([r["N"] for r in rows], dtype=float)
    med = np.array([r["median_over_N3"] for r in rows]) * N**3
    lo = np.array([r["ci_over_N3"][0] for r in rows]) * N**3
    hi = np.array([r["ci_over_N3"][1] for r in rows]) * N**3
    e = summary["exponent"]
    ax.errorbar(
        N,
        med,
        yerr=[med - lo, hi - med],
        fmt="o",
        color=PALETTE[0],
        capsize=3,
        label=f"median (95 % interval); fit $N^{{{e['exponent']:.2f}}}$ [{e['lo']:.2f}, {e['hi']:.2f}]",
    )
    nn = np.geomspace(N.min(), N.max(), 50)
    for p, style in ((2, ":"), (3, "--"), (4, "-.")):
        ax.plot(nn, med[0] * (nn / N[0]) ** p, style, color="0.35", lw=1, label=f"$N^{p}$ through N = {N[0]:.0f}")
    ax.set_xscale("log"), ax.set_yscale("log")
    plain_log_ticks(ax, N)
    label(ax, "dimension N", "escape time T (steps)", f"stored N-scan, {rows[0]['runs']} runs per N")
    ax.legend(fontsize=8)
    return ax


def plot_stored_c_scan(summary: dict, *, ax: Axes | None = None) -> Axes:
    """Median escape time in units of N^3 against the step-size constant c (eta = c/N^2), one curve per N,
    with each N's best c marked."""
    ax = get_ax(ax)
    cs = np.array(summary["cs"], dtype=float)
    colors = sequential_colors(len(summary["Ns"]))
    for i, N in enumerate(summary["Ns"]):
        y = np.array(summary["median_over_N3"][i], dtype=float)
        ax.plot(cs, y, "o-", color=colors[i], ms=3, label=f"N = {N}")
        j = int(np.nanargmin(y))
        ax.plot(cs[j], y[j], "*", color=colors[i], ms=10)
    ax.set_xscale("log"), ax.set_yscale("log")
    plain_log_ticks(ax, cs)
    plain_log_labels(ax, "y")
    label(ax, "step-size constant c (η = c / N²)", "median T / N³", "the best step does not beat N³")
    ax.legend(fontsize=8)
    return ax


def plot_stored_powerlaw(summary: dict, *, ax: Axes | None = None) -> Axes:
    """Median escape time of the full SGD against N at each spectral exponent a (log-log), with the fitted
    exponents and their 95 % intervals in the legend."""
    ax = get_ax(ax)
    keys = [k for k in summary if k != "exponent_gap"]
    for i, a in enumerate(keys):
        s = summary[a]
        N = np.array(s["Ns"], dtype=float)
        y = np.array(s["median_over_N3"], dtype=float) * N**3
        e = s["exponent"]
        ax.plot(
            N,
            y,
            "o-",
            color=PALETTE[i],
            label=f"a = {float(a):g}: $N^{{{e['exponent']:.2f}}}$ [{e['lo']:.2f}, {e['hi']:.2f}]",
        )
    ax.set_xscale("log"), ax.set_yscale("log")
    plain_log_ticks(ax, np.concatenate([np.asarray(summary[a]["Ns"], dtype=float) for a in keys]))
    label(ax, "dimension N", "median escape time (steps)", "power-law spectrum: the exponent of N")
    ax.legend(fontsize=8)
    return ax
