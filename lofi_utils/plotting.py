"""The book's figure style and small shared plotting helpers.

Every plotting function in ``lofi_utils`` takes ``ax=None`` (draws on a new figure when absent) and
returns the axes, so that a notebook can compose figures and a widget can redraw the same figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .validation import check_int

if TYPE_CHECKING:
    import ipywidgets
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: A colour-blind-safe cycle (Okabe & Ito) used for every figure of the book.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.6,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a chapter)."""
    mpl.rcParams.update(STYLE)


def get_ax(ax: Axes | None = None, *, figsize: tuple[float, float] | None = None) -> Axes:
    """Return ``ax`` or, when it is ``None``, the axes of a new figure."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


def subplots(
    nrows: int = 1, ncols: int = 1, *, width: float = 3.4, height: float = 3.0, **kw
) -> tuple[Figure, np.ndarray]:
    """``plt.subplots`` sized per panel (``width`` x ``height`` inches each), constrained layout.

    Returns the figure and a (nrows, ncols) array of axes (``squeeze=False``)."""
    kw.setdefault("constrained_layout", True)
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)


def label(ax: Axes, xlabel: str, ylabel: str, title: str | None = None, *, legend: bool = False) -> Axes:
    """Set the axis labels (with units where there are any), an optional title and legend."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend()
    return ax


def sequential_colors(n: int, cmap: str = "viridis") -> list:
    """``n`` colours along a sequential colour map (for depth, layer, width, ... series)."""
    if n < 1:
        raise ValueError(f"need at least one colour, got n={n}")
    return [plt.get_cmap(cmap)(v) for v in np.linspace(0.05, 0.9, n)]


def loglog_fit_line(
    ax: Axes, x: Sequence[float], slope: float, intercept: float, *, label: str | None = None, **kw
) -> Axes:
    """Draw the power law ``exp(intercept) * x**slope`` (a fitted line on log-log axes)."""
    x = np.asarray(x, dtype=float)
    kw.setdefault("color", "0.3")
    kw.setdefault("linestyle", "--")
    kw.setdefault("linewidth", 1.0)
    ax.plot(x, np.exp(intercept) * x**slope, label=label, **kw)
    return ax


def control_panel(
    controls: Sequence,
    draw: Callable[..., object],
    *,
    figsize: tuple[float, float] = (6.4, 4.0),
    ncols: int = 1,
    horizontal: bool = False,
) -> ipywidgets.VBox:
    """An ``ipywidgets`` panel that redraws a figure only when one of its ``controls`` changes.

    ``controls``: ipywidgets value widgets (sliders, dropdowns, ...); ``draw(ax, *values)``: draws on a new
    axes from the controls' current values, in the order of ``controls`` (with ``ncols > 1`` it receives the
    row of ``ncols`` axes instead); ``figsize``: inches of the whole figure. Creating the
    panel draws nothing (in the book a static figure made by the same plot function precedes every
    widget), so a chapter executed without a front end pays nothing for it and stores no extra figure.
    Returns ``ipywidgets.VBox([*controls, output])``, or ``VBox([HBox(controls), output])`` with ``horizontal``.
    """
    import ipywidgets as widgets

    controls = list(controls)
    if not controls:
        raise ValueError("need at least one control")
    if not callable(draw):
        raise ValueError(f"draw must be callable, got {type(draw).__name__}")
    ncols = check_int(ncols, "ncols", minimum=1)
    out = widgets.Output()

    def redraw(_change=None):
        with out:
            out.clear_output(wait=True)
            _, ax = plt.subplots(1, ncols, figsize=figsize, layout="constrained")
            draw(ax, *(c.value for c in controls))
            plt.show()

    for c in controls:
        c.observe(redraw, names="value")
    return widgets.VBox([widgets.HBox(controls), out] if horizontal else [*controls, out])
