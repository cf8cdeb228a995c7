"""Section 4 of the Neural LoFi chapter: the explorer of ``n``, ``k`` and the depth (figure and widget).

:func:`plot_lofi_vs_baselines` runs LoFi and two random-feature networks once and draws their test errors and
the first layer's signed spectrum; :func:`lofi_explorer` redraws it from sliders (live in Jupyter).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from ... import streams
from ...lofi import NeuralLoFi, SignedCovariance, hierarchical_target, top_k_abs
from ...plotting import PALETTE, control_panel, label, subplots

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.axes import Axes

__all__ = ["plot_lofi_vs_baselines", "lofi_explorer"]


def plot_lofi_vs_baselines(
    n: int = 2000,
    k: int = 16,
    depth: int = 1,
    *,
    d: int = 64,
    r: int = 8,
    p: int = 400,
    n_test: int = 1000,
    seed: int = 0,
    axs: Sequence[Axes] | np.ndarray | None = None,
) -> Sequence[Axes] | np.ndarray:
    """One LoFi run on the hierarchical target: test MSE of LoFi with ``depth`` filtered layers (each to
    ``k``, then a random-feature lift) against RF networks of the same and double width (left), and the
    signed spectrum of the first layer, ``|lambda|`` in decreasing order, with the kept ``k`` shaded (right)."""
    if axs is None:
        _, a = subplots(1, 2, width=3.8, height=3.0)
        axs = a[0]
    rng = streams.rng(seed, "widget.data")
    task = hierarchical_target(d, r, rng=rng)
    X, y = task.sample(n, rng)
    Xt, yt = task.sample(n_test, rng)
    lofi = NeuralLoFi([p] * (depth + 1), [k] * depth + [None], seed=seed).fit(X, y)
    res = {
        "RF(p)": NeuralLoFi([p], [None], seed=seed).fit(X, y).mse(Xt, yt),
        "RF(2p)": NeuralLoFi([2 * p], [None], seed=seed).fit(X, y).mse(Xt, yt),
        f"LoFi, depth {depth}": lofi.mse(Xt, yt),
    }
    cols = [PALETTE[5], PALETTE[0], PALETTE[1]]
    axs[0].bar(range(3), list(res.values()), color=cols)
    axs[0].set_xticks(range(3), list(res), rotation=15)
    axs[0].axhline(yt.var(), color="0.4", ls="--", lw=1)
    label(axs[0], "", "test MSE", f"n = {n}, k = {k}")
    lift = lofi.layers[0].lift
    tX = torch.as_tensor(X)
    ev = top_k_abs(SignedCovariance(torch.as_tensor(y - y.mean()), Z=lift(tX)), min(p, 60), method="dense")
    vals = ev.values.numpy()
    axs[1].bar(np.arange(1, len(vals) + 1), np.abs(vals), color=np.where(vals > 0, PALETTE[1], PALETTE[0]))
    axs[1].axvspan(0.5, k + 0.5, color="0.85", zorder=0)
    label(axs[1], "rank (by |lambda|)", "|lambda| of C_1", "layer-1 signed spectrum (orange > 0, blue < 0)")
    return axs


def lofi_explorer(**kw) -> ipywidgets.VBox:
    """Widget: sliders for ``n``, ``k`` and the depth redraw :func:`plot_lofi_vs_baselines` (live in Jupyter).

    It draws at once and again when a slider moves; in an unattended execution (the book build) it draws
    nothing and returns a :class:`~lofi_utils.plotting.LivePanelNote` (:func:`lofi_utils.plotting.control_panel`;
    the chapter shows the static figure first). ``kw`` go to :func:`plot_lofi_vs_baselines`."""
    import ipywidgets as w

    sliders = [
        w.IntSlider(value=2000, min=250, max=8000, step=250, description="n", continuous_update=False),
        w.IntSlider(value=16, min=1, max=100, description="k", continuous_update=False),
        w.IntSlider(value=1, min=1, max=3, description="depth", continuous_update=False),
    ]
    return control_panel(
        sliders,
        lambda axs, n, k, depth: plot_lofi_vs_baselines(n, k, depth, axs=axs, **kw),
        figsize=(6.8, 3.0),
        ncols=2,
    )
