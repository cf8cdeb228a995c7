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

#: Width in inches of the page column at figure.dpi = 100: the book's text column is 688 px wide at a 1280 px
#: window, so a figure up to this width is shown at its own size (its 9 pt tick labels about 12 px high).
#: Wider figures are shrunk by the browser, and their text with them; ``subplots`` never exceeds it.
COLUMN_WIDTH = 6.8

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

    The whole figure is at most :data:`COLUMN_WIDTH` wide: wider requests get narrower panels (same height),
    so that no figure is shrunk by the page and its text stays legible.
    Returns the figure and a (nrows, ncols) array of axes (``squeeze=False``)."""
    nrows = check_int(nrows, "nrows", minimum=1)
    ncols = check_int(ncols, "ncols", minimum=1)
    kw.setdefault("constrained_layout", True)
    total = min(width * ncols, COLUMN_WIDTH)
    return plt.subplots(nrows, ncols, figsize=(total, height * nrows), squeeze=False, **kw)


def label(ax: Axes, xlabel: str, ylabel: str, title: str | None = None, *, legend: bool = False) -> Axes:
    """Set the axis labels (with units where there are any), an optional title and legend."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend()
    return ax


def integer_ticks(ax: Axes, values: Sequence[int], *, most: int = 5) -> Axes:
    """Tick a log-scaled x axis at the ``values`` themselves (e.g. the widths of a sweep), written as integers,
    at most ``most`` of them evenly spread: the default minor labels (3x10^2, 4x10^2, ...) overlap at the column
    width."""
    from matplotlib.ticker import NullFormatter

    w = np.unique(np.asarray(values, dtype=int))
    shown = w if w.size <= most else w[np.unique(np.linspace(0, w.size - 1, most).round().astype(int))]
    ax.set_xticks(shown, [str(v) for v in shown])
    ax.xaxis.set_minor_formatter(NullFormatter())
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


def _describe(control) -> str:
    """A control as text: its name and the values it offers (for the note of an unattended panel)."""
    name = getattr(control, "description", "") or type(control).__name__
    options = getattr(control, "options", None)
    if options is not None:
        labels = [o[0] if isinstance(o, tuple) else o for o in options]
        return f"{name} ({', '.join(map(str, labels))})"
    if hasattr(control, "min") and hasattr(control, "max"):
        step = getattr(control, "step", None)
        return f"{name} ({control.min:g} to {control.max:g}" + (f", step {step:g})" if step else ")")
    return name


class LivePanelNote:
    """What :func:`control_panel` returns in an unattended execution (the book build): a short note, as HTML
    and plain text, naming the panel's controls and how to run it live, instead of controls that do nothing."""

    def __init__(self, controls: Sequence) -> None:
        """``controls``: the panel's ipywidgets controls; each is kept as text (its name and its values)."""
        self.controls = [_describe(c) for c in controls]

    def text(self) -> str:
        """The note as one paragraph of plain text."""
        return (
            "Live panel (needs a running Python kernel): controls for "
            + "; ".join(self.controls)
            + ". It redraws the static figure above for the values you choose. Open this chapter in Jupyter "
            "(the links under the chapter's title download it or open it in Colab; locally: "
            "python3 tasks.py setup, then .venv/bin/jupyter lab) and run the cell."
        )

    def _repr_html_(self) -> str:
        import html

        items = "".join(f"<li>{html.escape(c)}</li>" for c in self.controls)
        return (
            '<div class="lofi-live-note" style="border-left:4px solid #0072B2;padding:0.4em 0.8em;'
            'background:rgba(0,114,178,0.06)"><p style="margin:0.2em 0"><strong>Live panel</strong> '
            "(needs a running Python kernel). It redraws the static figure above for the values you choose:</p>"
            f'<ul style="margin:0.2em 0">{items}</ul><p style="margin:0.2em 0">Open this chapter in Jupyter: the '
            "links under the chapter's title download it or open it in Colab; locally, <code>python3 tasks.py "
            "setup</code>, then <code>.venv/bin/jupyter lab</code>, and run this cell.</p></div>"
        )

    def __repr__(self) -> str:
        return self.text()


def control_panel(
    controls: Sequence,
    draw: Callable[..., object],
    *,
    figsize: tuple[float, float] = (6.4, 4.0),
    ncols: int = 1,
    horizontal: bool = False,
) -> ipywidgets.VBox | LivePanelNote:
    """An ``ipywidgets`` panel that draws a figure at once and redraws it when one of its ``controls`` changes.

    ``controls``: ipywidgets value widgets (sliders, dropdowns, ...); ``draw(ax, *values)``: draws on a new
    axes from the controls' current values, in the order of ``controls`` (with ``ncols > 1`` it receives the
    row of ``ncols`` axes instead); ``figsize``: inches of the whole figure (at most :data:`COLUMN_WIDTH` wide).
    Returns ``ipywidgets.VBox([*controls, output])``, or ``VBox([HBox(controls), output])`` with ``horizontal``.

    In an unattended execution (the book build, ``python -m lofi_utils run``: :func:`lofi_utils.runtime.unattended`)
    a saved panel would be controls that do nothing above an empty area, so it draws nothing and returns a
    :class:`LivePanelNote` that names the controls and says how to run the panel live (in the book a static
    figure made by the same plot function precedes every panel).
    """
    from .runtime import unattended

    controls = list(controls)
    if not controls:
        raise ValueError("need at least one control")
    if not callable(draw):
        raise ValueError(f"draw must be callable, got {type(draw).__name__}")
    ncols = check_int(ncols, "ncols", minimum=1)
    if unattended():
        return LivePanelNote(controls)
    import ipywidgets as widgets

    out = widgets.Output()
    figsize = (min(float(figsize[0]), COLUMN_WIDTH), float(figsize[1]))

    def redraw(_change=None):
        with out:
            out.clear_output(wait=True)
            _, ax = plt.subplots(1, ncols, figsize=figsize, layout="constrained")
            draw(ax, *(c.value for c in controls))
            plt.show()

    for c in controls:
        c.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(controls), out] if horizontal else [*controls, out])
