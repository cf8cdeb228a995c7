"""Chapter 2's figures, by section (each draws on the given axes, or a new one, and returns them).

1. :func:`plot_layer_kernels` -- the normalised per-layer kernels against the cosine.
2. :func:`plot_layer_shares` -- the shares ``s_k^(l)`` against the degree (also the widget's figure).
3. :func:`plot_high_dim` -- shares against the dimension, approaching the Maclaurin shares.
4. :func:`plot_layer_width_errors`, :func:`plot_probe_shares` -- finite networks.
5. :func:`plot_attribution`, :func:`plot_contributions` -- who reduces the error.
6. :func:`plot_data_shares`, :func:`plot_work_shares` -- real data; :func:`plot_degree_shares`,
   :func:`plot_nonlinearity_shares` -- real data against frequencies defined without the kernel.

:func:`shared_legend` replaces the legends of a figure's panels by one legend below them (the layers have
the same colours in every panel of a figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ...attribution import AttributionComparison, AttributionResult
from ...kernels import layer_kernels
from ...layer_spectra import DataSpectrum, LayerSpectrum, layer_spectrum, maclaurin_shares, relu_share_limit
from ...plotting import PALETTE, get_ax, integer_ticks, label, sequential_colors, subplots
from .data_frequency import DegreeShares
from .finite_width import LayerWidthSweep, ProbeShares

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

__all__ = [
    "plot_layer_kernels",
    "plot_layer_shares",
    "plot_high_dim",
    "plot_layer_width_errors",
    "plot_probe_shares",
    "plot_attribution",
    "plot_contributions",
    "plot_data_shares",
    "plot_work_shares",
    "plot_degree_shares",
    "plot_nonlinearity_shares",
    "shared_legend",
]


def shared_legend(fig: Figure, *, ncol: int = 4) -> Legend:
    """One legend below the panels of ``fig`` (made with constrained layout, as by
    :func:`lofi_utils.plotting.subplots`) instead of one per panel: each label once, the layers first (one row
    when ``ncol`` is the depth), then the other entries in the order of the panels, row by row (a panel's
    legend, where it has one, with the extra entries it may hold). The panels' own legends are removed.
    Returns the figure's legend."""
    entries: dict[str, object] = {}
    for ax in fig.axes:
        own = ax.get_legend()
        if own is not None:
            pairs = zip(own.legend_handles, [t.get_text() for t in own.get_texts()])
            own.remove()
        else:
            pairs = zip(*ax.get_legend_handles_labels())
        for handle, text in pairs:
            entries.setdefault(text, handle)
    is_layer = [t == "readout" or t.startswith("layer ") for t in entries]
    order = [t for t, y in zip(entries, is_layer) if y] + [t for t, y in zip(entries, is_layer) if not y]
    # matplotlib fills a legend column by column: list the entries so that they read row by row
    rows = -(-len(order) // ncol)
    order = [order[r * ncol + c] for c in range(ncol) for r in range(rows) if r * ncol + c < len(order)]
    return fig.legend([entries[t] for t in order], order, loc="outside lower center", ncol=ncol)


def plot_layer_kernels(
    depth: int, *, activation: str = "relu", bias: float = 0.0, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """The normalised per-layer kernels ``Theta_l(t) / Theta_l(1)`` against the cosine t (``title``: default
    the activation, depth and bias). Returns the axes."""
    ax = get_ax(ax)
    t = np.linspace(-1, 1, 801)
    lk = layer_kernels(t, depth=depth, activation=activation, bias=bias)
    cols = sequential_colors(depth)
    for l in range(depth):
        name = "readout" if l == depth - 1 else f"layer {l + 1}"
        ax.plot(t, lk.theta_layers[l] / lk.theta_layers[l, -1], color=cols[l], label=name)
    return label(
        ax,
        r"cosine $t = x\cdot x'/d$",
        r"$\Theta_\ell(t)/\Theta_\ell(1)$",
        f"{activation}, L = {depth}, β = {bias:g}" if title is None else title,
        legend=True,
    )


def plot_layer_shares(
    d: int,
    *,
    depth: int,
    activation: str = "relu",
    bias: float = 0.0,
    kmax: int = 24,
    limit: bool = True,
    ax: Axes | None = None,
    spectrum: LayerSpectrum | None = None,
    title: str | None = None,
) -> Axes:
    """Layer shares ``s_k^(l)`` against the degree k on S^{d-1} (filled markers: even k, open: odd k).

    Degrees whose shares are not resolved (see :class:`lofi_utils.layer_spectra.LayerSpectrum`) are left out. For ReLU
    with ``limit=True`` the large-k limits of :func:`lofi_utils.layer_spectra.relu_share_limit` are drawn dashed.
    ``spectrum``: a precomputed :func:`lofi_utils.layer_spectra.layer_spectrum` (else computed); ``title``: default
    the activation, depth, dimension and bias. The legend, right of the panel, also explains the markers.
    Returns the axes.
    """
    ax = get_ax(ax)
    sp = spectrum or layer_spectrum(d, kmax, depth=depth, activation=activation, bias=bias)
    s = sp.shares
    k = sp.k
    cols = sequential_colors(depth)
    for l in range(depth):
        name = "readout" if l == depth - 1 else f"layer {l + 1}"
        labelled = False
        for parity, mfc in ((0, None), (1, "none")):
            sel = (k % 2 == parity) & np.isfinite(s[l])
            if not sel.any():
                continue
            ax.plot(k[sel], s[l, sel], "o-", ms=3.5, lw=1.0, color=cols[l], mfc=mfc, label=None if labelled else name)
            labelled = True
        if limit and activation == "relu" and depth >= 2:
            ax.axhline(relu_share_limit(depth, bias=bias)[l], color=cols[l], ls="--", lw=0.8)
    ax.plot([], [], "o", ms=3.5, color="0.4", label="even k")
    ax.plot([], [], "o", ms=3.5, color="0.4", mfc="none", label="odd k")
    if limit and activation == "relu" and depth >= 2:
        ax.plot([], [], "--", color="0.4", lw=0.8, label=r"limit $k \to \infty$")
    ax.set_ylim(0, 1)
    label(
        ax,
        "degree k",
        r"share $s_k^{(\ell)}$",
        f"{activation}, L = {depth}, d = {d}, β = {bias:g}" if title is None else title,
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_high_dim(
    depth: int,
    ks: Sequence[int],
    ds: Sequence[int],
    *,
    activation: str = "relu",
    bias: float = 0.0,
    ax: Axes | None = None,
) -> Axes:
    """Layer-1 and readout shares at degrees ``ks`` against the dimension d, approaching the Maclaurin
    shares ``b_k^(l) / sum b_k`` (dashed) as d grows; the legend is right of the panel (a new figure is one
    column wide, legend included). Returns the axes."""
    if ax is None:
        _, axs = subplots(1, 1, width=6.6, height=3.6)
        ax = axs[0, 0]
    ks = list(ks)
    ds = np.asarray(ds)
    lim = maclaurin_shares(depth, max(ks), activation=activation, bias=bias)
    cols = PALETTE
    for i, k in enumerate(ks):
        sh = np.array(
            [layer_spectrum(int(d), max(ks), depth=depth, activation=activation, bias=bias).shares[:, k] for d in ds]
        )
        ax.plot(ds, sh[:, 0], "o-", color=cols[i % len(cols)], label=f"k = {k}: layer 1")
        ax.plot(ds, sh[:, -1], "s:", color=cols[i % len(cols)], mfc="none", label=f"k = {k}: readout")
        ax.axhline(lim[0, k], color=cols[i % len(cols)], ls="--", lw=0.8)
        ax.axhline(lim[-1, k], color=cols[i % len(cols)], ls="--", lw=0.8)
    ax.set_xscale("log")
    label(ax, "dimension d", r"share $s_k^{(\ell)}$", f"{activation}, L = {depth}: d → ∞ (dashed)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_layer_width_errors(sweep: LayerWidthSweep, ax: Axes | None = None) -> Axes:
    """Per-layer relative error of the empirical NTK against the width (log-log), with the ``n^(-1/2)`` law."""
    ax = get_ax(ax)
    cols = sequential_colors(sweep.depth)
    w = sweep.widths
    for l in range(sweep.depth):
        ax.plot(
            w,
            sweep.mean_errors[:, l],
            "o-",
            color=cols[l],
            label="readout" if l == sweep.depth - 1 else f"layer {l + 1}",
        )
    ax.plot(w, sweep.mean_errors[0].max() * np.sqrt(w[0] / w), "--", color="0.3", lw=1, label=r"$\propto n^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    integer_ticks(ax, w)
    return label(
        ax,
        "width n",
        r"$\|\hat\Theta_\ell-\Theta_\ell\|_F/\|\Theta_\ell\|_F$",
        f"{sweep.activation}, L = {sweep.depth}, d = {sweep.d}, N = {sweep.n_points}",
        legend=True,
    )


def plot_probe_shares(ps: ProbeShares, ax: Axes | None = None) -> Axes:
    """Shares measured with zonal probes (network: markers with seed range; analytic Gram: crosses) over
    the population shares (lines), against the degree k."""
    ax = get_ax(ax)
    L = ps.theory.shape[1]
    cols = sequential_colors(L)
    for l in range(L):
        ax.plot(ps.ks, ps.theory[:, l], "-", color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
        lo, hi = ps.network[:, :, l].min(axis=0), ps.network[:, :, l].max(axis=0)
        m = ps.network_mean[:, l]
        ax.errorbar(ps.ks, m, yerr=[m - lo, hi - m], fmt="o", ms=4, color=cols[l], capsize=2)
        ax.plot(ps.ks, ps.analytic[:, l], "x", color=cols[l], ms=6)
    ax.plot([], [], "o", color="0.4", label=f"network, width {ps.width}")
    ax.plot([], [], "x", color="0.4", label="analytic Gram, same points")
    return label(ax, "degree k", r"share $s_k^{(\ell)}$", f"zonal probes, N = {ps.n_points}", legend=True)


def plot_attribution(
    comparisons: Sequence[AttributionComparison],
    theory: ArrayLike | None = None,
    ax: Axes | None = None,
    *,
    title: str = "work of each layer",
) -> Axes:
    """Grouped bars of the per-layer shares of the test-loss reduction, one group per target.

    Bars: the network (filled), its initial-kernel linearisation (hatched); markers: the analytic-kernel
    linearisation (x) and, when ``theory`` (T, L) is given, the population shares ``s_k^(l)`` (black dash).
    The legend names the layers' colours and each kind of bar and marker. Returns the axes.
    """
    from matplotlib.patches import Patch

    ax = get_ax(ax)
    T = len(comparisons)
    L = comparisons[0].network.contrib.shape[1]
    cols = sequential_colors(L)
    w = 0.8 / L
    for i, c in enumerate(comparisons):
        for l in range(L):
            xpos = i + (l - (L - 1) / 2) * w
            ax.bar(
                xpos - w / 4,
                c.network.shares[l],
                w / 2,
                color=cols[l],
                label=("readout" if l == L - 1 else f"layer {l + 1}") if i == 0 else None,
            )
            ax.bar(xpos + w / 4, c.initial.shares[l], w / 2, color=cols[l], alpha=0.45, hatch="//")
            ax.plot(
                xpos,
                c.analytic.shares[l],
                "x",
                color="0.2",
                ms=5,
                label="analytic kernel, same points" if i == 0 and l == 0 else None,
            )
            if theory is not None:
                ax.plot(
                    [xpos - w / 2, xpos + w / 2],
                    [theory[i][l]] * 2,
                    "-",
                    color="k",
                    lw=1.6,
                    label=r"theory $s_k^{(\ell)}$" if i == 0 and l == 0 else None,
                )
    ax.set_xticks(range(T))
    ax.set_xticklabels([c.label for c in comparisons])
    ax.set_ylim(0, max(0.6, ax.get_ylim()[1]))
    handles, labels = ax.get_legend_handles_labels()
    proxies = [Patch(facecolor="0.45", label="network"), Patch(facecolor="0.8", hatch="//", label="initial kernel")]
    ax.legend(handles + proxies, labels + [p.get_label() for p in proxies], loc="upper left", ncol=2)
    return label(ax, "target", "share of the test-loss reduction", title)


def plot_contributions(result: AttributionResult, ax: Axes | None = None, *, title: str = "") -> Axes:
    """Cumulative per-layer contributions ``C_l(t)`` and the measured test-loss drop against the step."""
    ax = get_ax(ax)
    L = result.contrib.shape[1]
    cols = sequential_colors(L)
    t = np.arange(result.contrib.shape[0]) * result.extra.get("record_every", 1)
    for l in range(L):
        ax.plot(t, result.contrib[:, l], color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
    ax.plot(t, result.contrib.sum(axis=1), color="k", lw=2, label="sum over the layers")
    ax.plot(t, result.test_loss[0] - result.test_loss, "--", color=PALETTE[1], lw=1.4, label="measured test-loss drop")
    label(ax, "gradient-descent step", r"$C_\ell(t)$", title)
    ax.legend(loc="upper left")
    return ax


def plot_data_shares(
    spectrum: DataSpectrum, network_shares: np.ndarray | None = None, ax: Axes | None = None, *, title: str = ""
) -> Axes:
    """Per-layer shares along the NTK eigenvectors of a dataset, averaged in logarithmic bands of the
    eigen-index (analytic: lines; a finite network's per-layer NTK: markers). Returns the axes."""
    ax = get_ax(ax)
    L = spectrum.depth
    cols = sequential_colors(L)
    c = spectrum.band_centres
    bs = spectrum.band_shares()
    es = None if network_shares is None else spectrum.band_shares(network_shares)
    for l in range(L):
        ax.plot(c, bs[l], "-", color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
        if es is not None:
            ax.plot(c, es[l], "o", color=cols[l], ms=4)
    if es is not None:
        ax.plot([], [], "o", color="0.4", label="finite network")
    ax.set_xscale("log")
    return label(ax, "eigen-index i of the NTK Gram matrix (band centre)", r"share $s_i^{(\ell)}$", title, legend=True)


def plot_work_shares(result: AttributionResult, ax: Axes | None = None, *, windows: int = 8, title: str = "") -> Axes:
    """Share of each layer in the test-loss reduction made during successive windows of training.

    The increments of ``C_l`` over ``windows`` equal windows of steps, divided by the increment of
    ``sum_l C_l``: how the work moves between layers as training proceeds. Returns the axes.
    """
    ax = get_ax(ax)
    C = result.contrib
    L = C.shape[1]
    edges = np.unique(np.linspace(0, C.shape[0] - 1, windows + 1).astype(int))
    inc = np.diff(C[edges], axis=0)  # (W, L)
    share = inc / inc.sum(axis=1, keepdims=True)
    mid = 0.5 * (edges[1:] + edges[:-1]) * result.extra.get("record_every", 1)
    cols = sequential_colors(L)
    for l in range(L):
        ax.plot(mid, share[:, l], "o-", ms=3.5, color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
    return label(ax, "gradient-descent step (window centre)", "share of the window's reduction", title, legend=True)


def plot_degree_shares(
    shares: DegreeShares, sphere: np.ndarray | None = None, ax: Axes | None = None, *, title: str = ""
) -> Axes:
    """Per-layer shares along degree-k polynomial probes of the data (mean over the probes, bars: their
    range) against the degree k; ``sphere`` (L, K), if given, the shares of the same degrees on the sphere
    of the same dimension (dashed). Returns the axes."""
    ax = get_ax(ax)
    k, m = shares.degrees, shares.mean
    L = m.shape[0]
    cols = sequential_colors(L)
    for l in range(L):
        s = shares.shares[:, l, :]
        ax.errorbar(
            k,
            m[l],
            yerr=[m[l] - s.min(axis=1), s.max(axis=1) - m[l]],
            fmt="o-",
            ms=4,
            lw=1.0,
            color=cols[l],
            capsize=2,
            label="readout" if l == L - 1 else f"layer {l + 1}",
        )
        if sphere is not None:
            ax.plot(k, sphere[l], "--", color=cols[l], lw=0.9)
    if sphere is not None:
        ax.plot([], [], "--", color="0.4", lw=0.9, label="sphere, same dimension")
    ax.set_xticks(k)
    return label(ax, "polynomial degree k of the probe", r"share $s_k^{(\ell)}$", title, legend=True)


def plot_nonlinearity_shares(
    spectrum: DataSpectrum, nonlinearity: ArrayLike, ax: Axes | None = None, *, title: str = ""
) -> Axes:
    """Per-layer shares along the NTK eigenvectors of a dataset against each eigenvector's nonlinearity
    ``1 - R^2`` (faint dots), and their averages in the bands of the eigen-index (markers and lines).
    ``nonlinearity``: shape (n,), one value per eigenvector. Returns the axes."""
    ax = get_ax(ax)
    nu = np.asarray(nonlinearity, dtype=float)
    L = spectrum.depth
    cols = sequential_colors(L)
    nu_b = np.array([nu[b].mean() for b in spectrum.bands])
    bs = spectrum.band_shares()
    for l in range(L):
        ax.plot(nu, spectrum.shares[l], ".", ms=1.5, alpha=0.25, color=cols[l], rasterized=True)
        ax.plot(nu_b, bs[l], "o-", ms=4, lw=1.0, color=cols[l], label="readout" if l == L - 1 else f"layer {l + 1}")
    ax.plot([], [], ".", color="0.4", label="one eigenvector")
    ax.plot([], [], "o-", color="0.4", label="band of the eigen-index")
    return label(ax, r"nonlinearity $1 - R^2$ of the eigenvector", r"share $s_i^{(\ell)}$", title, legend=True)
