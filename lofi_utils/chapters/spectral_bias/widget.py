"""The spectrum explorer of section 4: the static decay figure, redrawn for the reader's activation, depth,
bias and dimension (live only in a running Jupyter kernel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...kernels import ACTIVATIONS
from ...plotting import control_panel
from .figures import plot_spectrum_decay

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["spectrum_explorer"]


def spectrum_explorer(*, kmax: int = 200, n_nodes: int = 3000) -> ipywidgets.VBox:
    """An ``ipywidgets`` panel over :func:`lofi_utils.chapters.spectral_bias.figures.plot_spectrum_decay`:
    choose the activation, depth, bias and d.

    Needs a live kernel: it draws at once and again when a control changes
    (:func:`lofi_utils.plotting.control_panel`; the static figure of the chapter is the same function with
    fixed arguments). In an unattended execution (the book build) it draws nothing and returns a
    :class:`~lofi_utils.plotting.LivePanelNote`. Returns a ``VBox`` of the four controls and the output area.
    """
    import ipywidgets as widgets

    controls = [
        widgets.Dropdown(options=list(ACTIVATIONS), value="relu", description="activation"),
        widgets.IntSlider(value=2, min=2, max=8, description="depth L"),
        widgets.FloatSlider(value=0.0, min=0.0, max=2.0, step=0.25, description="bias β"),
        widgets.IntSlider(value=3, min=2, max=10, description="dimension d"),
    ]

    def draw(ax, act, depth, bias, d):
        plot_spectrum_decay((d,), depth=depth, bias=bias, activation=act, kmax=kmax, n_nodes=n_nodes, ax=ax)

    return control_panel(controls, draw, figsize=(6.0, 4.0))
