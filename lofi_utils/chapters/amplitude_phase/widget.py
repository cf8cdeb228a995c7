"""The widget of chapter 4: the spectrum/template figure of section 5 for the reader's exponent, template and N."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...phase_model import TEMPLATES
from .figures import plot_spectrum_template

if TYPE_CHECKING:
    import ipywidgets

__all__ = ["spectrum_template_explorer"]


def spectrum_template_explorer() -> ipywidgets.VBox:
    """An ``ipywidgets`` panel over :func:`plot_spectrum_template`: spectral exponent, template kind and N.

    The figure is drawn into an ``Output`` widget at once and again when a control changes. In an unattended
    execution (papermill, the book build) nothing is drawn and the cell shows a
    :class:`~lofi_utils.plotting.LivePanelNote` (:func:`lofi_utils.plotting.control_panel`), so it never waits
    on widget output messages and saves no controls that would do nothing.
    """
    import ipywidgets as widgets

    from ...plotting import control_panel

    a = widgets.FloatSlider(value=1.5, min=0.0, max=3.0, step=0.25, description="exponent a")
    template = widgets.Dropdown(options=list(TEMPLATES), value="pl", description="template")
    N = widgets.Dropdown(options=[16, 32, 64, 128, 256], value=64, description="N")
    return control_panel(
        [a, template, N],
        lambda axs, a_, t_, N_: plot_spectrum_template(N_, a_, t_, axs=axs),
        figsize=(6.8, 3.0),
        ncols=2,
        horizontal=True,
    )
