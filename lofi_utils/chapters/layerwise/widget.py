"""Chapter 2's widget: the layer-share explorer of section 2 (live only in a running kernel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...kernels import ACTIVATIONS
from ...plotting import control_panel
from .figures import plot_layer_shares

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["share_explorer"]


def share_explorer(*, kmax: int = 24) -> ipywidgets.VBox:
    """An ``ipywidgets`` panel over :func:`plot_layer_shares`: choose activation, depth, dimension and bias.

    Needs a live kernel: it draws at once and again when a control changes
    (:func:`lofi_utils.plotting.control_panel`; the chapter's static figure is the same function with fixed
    arguments). In an unattended execution (the book build) it draws nothing and returns a
    :class:`~lofi_utils.plotting.LivePanelNote`. ``kmax``: highest degree shown. Returns a ``VBox`` of the
    four controls and the output.
    """
    import ipywidgets as widgets

    controls = [
        widgets.Dropdown(options=list(ACTIVATIONS), value="relu", description="activation"),
        widgets.IntSlider(value=4, min=2, max=8, description="depth L"),
        widgets.Dropdown(options=[2, 3, 5, 10, 50, 200], value=10, description="dimension d"),
        widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.1, description="bias β"),
    ]

    def draw(ax, activation, depth, d, bias):
        plot_layer_shares(d, depth=depth, activation=activation, bias=bias, kmax=kmax, ax=ax)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))

    return control_panel(controls, draw)
