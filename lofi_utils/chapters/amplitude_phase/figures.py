"""The figures of chapter 4 (Amplitudes before phases), by section.

1. images: :func:`plot_image_decomposition` (scrambled, equalised, swapped), :func:`plot_radial_spectra`;
2. training: :func:`plot_tracking`, :func:`plot_speed`;
3. the phase-only model: :func:`plot_phase_model`;
4. the N^3 barrier: :func:`plot_escape_traces`, :func:`plot_escape_scaling`, :func:`plot_escape_fraction`;
5. power-law spectra: :func:`plot_spectrum_template` (also drawn by the chapter's widget),
   :func:`plot_powerlaw_scan`;
6. textures: :func:`plot_discrimination`.

Each draws on given axes (``ax``/``axs``) or on a new figure in the book's style, and returns the axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator
from numpy.typing import ArrayLike

from ... import streams
from ...escape_scans import EscapeScan, PowerLawScan, escape_fraction
from ...fourier import (
    amplitude_equalise,
    amplitude_phase,
    phase_scramble,
    radial_power_spectrum,
    spectral_slope,
    swap_amplitude_phase,
)
from ...phase_model import PhaseModel, excess_kurtosis, kappa4_spike, periodogram, power_spectrum, whitened_projection
from ...plotting import COLUMN_WIDTH, PALETTE, get_ax, label, sequential_colors, subplots
from ...sgd import EscapeResult, drift_escape_time
from ...validation import check_choice
from .tracking import Tracking

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_image_decomposition",
    "plot_radial_spectra",
    "plot_tracking",
    "plot_speed",
    "plot_ensemble_tracking",
    "plot_ensemble_speed",
    "phase_model_sample",
    "plot_phase_model",
    "plot_escape_traces",
    "plot_escape_scaling",
    "plot_escape_fraction",
    "template_overlaps",
    "plot_spectrum_template",
    "plot_powerlaw_scan",
    "plain_log_ticks",
    "plain_log_labels",
    "plot_discrimination",
]


# =========================================================================== 1. images
def plot_image_decomposition(
    images: Sequence[ArrayLike],
    names: Sequence[str] | None = None,
    rng: np.random.Generator | int = 0,
    *,
    axs: np.ndarray | Sequence[Sequence[Axes]] | None = None,
) -> np.ndarray | Sequence[Sequence[Axes]]:
    """A grid: each row an image, its phase-scrambled version (amplitude only), its amplitude-equalised
    version (phase only, with a flat amplitude) and the swap (this image's phase with the next image's
    amplitude). ``images``: list of equally shaped 2-D arrays. Returns the axes (rows x 4); a new figure is
    the column's width."""
    imgs = np.stack([np.asarray(im, dtype=np.float64) for im in images])
    n = len(imgs)
    if axs is None:
        _, axs = subplots(n, 4, width=COLUMN_WIDTH / 4, height=1.75)
    scr = phase_scramble(imgs, rng)
    flat = np.ones(imgs.shape[-2:]) * amplitude_phase(imgs)[0].mean()
    eq = amplitude_equalise(imgs, flat)
    sw = swap_amplitude_phase(np.roll(imgs, -1, axis=0), imgs)
    titles = [
        "original",
        "amplitude only\n(phases scrambled)",
        "phase only\n(flat amplitude)",
        "swap: this phase,\nnext image's amplitude",
    ]
    for i in range(n):
        for j, im in enumerate((imgs[i], scr[i], eq[i], sw[i])):
            ax = axs[i][j]
            lo, hi = np.percentile(im, [1, 99])
            ax.imshow(im, cmap="gray", vmin=lo, vmax=hi)
            ax.set_xticks([]), ax.set_yticks([])
            ax.grid(False)
            if i == 0:
                ax.set_title(titles[j], fontsize=8.5)
        if names is not None:
            axs[i][0].set_ylabel(names[i])
    return axs


def plot_radial_spectra(images: dict, *, kmin: float = 4.0, ax: Axes | None = None) -> Axes:
    """Radial power spectra of named images (log-log) with their fitted slopes in the legend."""
    ax = get_ax(ax)
    for i, (nm, im) in enumerate(images.items()):
        k, P = radial_power_spectrum(im)
        s = spectral_slope(im, kmin=kmin)
        ax.loglog(k, P / P[0], color=PALETTE[i % len(PALETTE)], label=f"{nm}: slope {s:.2f}")
    kk = np.array([kmin, k[-1]])
    ax.loglog(kk, (kk / kk[0]) ** -2.0 * 0.3, "k--", lw=1, label=r"$k^{-2}$")
    label(ax, "radial frequency |k| (cycles / image)", "power P(k) / P(1)", "radial power spectra")
    ax.legend(loc="lower left", fontsize=8)
    return ax


# =========================================================================== 2. training
def plot_tracking(tr: Tracking, *, ax: Axes | None = None, title: str = "what the network uses, over training") -> Axes:
    """Accuracies on the real, amplitude-only and phase-only test images, and the hybrid shares, against steps
    (legend below the axes)."""
    ax = get_ax(ax)
    styles = {
        "real": ("real test images", PALETTE[7], "-"),
        "amp": ("amplitude only", PALETTE[0], "-"),
        "phase": ("phase only", PALETTE[1], "-"),
    }
    x = np.maximum(tr.steps, 1)
    for k, (lab, col, ls) in styles.items():
        if k in tr.acc:
            ax.plot(x, tr.acc[k], ls, color=col, marker="o", ms=3, label=lab)
    if tr.follow_amp.size:
        ax.plot(x, tr.follow_amp, "--", color=PALETTE[0], label="hybrid → amplitude donor")
        ax.plot(x, tr.follow_phase, "--", color=PALETTE[1], label="hybrid → phase donor")
    ax.axhline(tr.chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    label(ax, "SGD steps", "accuracy / share", title)
    _legend_below(ax)
    return ax


def _legend_below(ax: Axes, ncol: int = 2) -> None:
    """The axes' legend under its x label (constrained layout makes room), so that it covers no curve."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=8)


def plot_speed(
    runs: dict,
    *,
    ax: Axes | None = None,
    key: str = "test",
    title: str = "learning the amplitude vs the phase task",
) -> Axes:
    """Test accuracy against steps for networks trained on the amplitude-only and the phase-only task (all seeds;
    legend below the axes)."""
    ax = get_ax(ax)
    for k, col, lab in (("amp", PALETTE[0], "amplitude-only task"), ("phase", PALETTE[1], "phase-only task")):
        for i, tr in enumerate(runs[k]):
            ax.plot(
                np.maximum(tr.steps, 1),
                tr.acc[key],
                color=col,
                alpha=0.8,
                marker="o",
                ms=2.5,
                label=lab if i == 0 else None,
            )
    ax.axhline(runs["amp"][0].chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    label(ax, "SGD steps", "test accuracy", title)
    _legend_below(ax)
    return ax


def _band(ax: Axes, runs: Sequence[Tracking], values, color: str, ls: str, lab: str) -> None:
    """Mean over networks (a line) and their range (a shaded band) of ``values(run)`` (R,) against steps."""
    Y = np.array([values(r) for r in runs])
    x = np.maximum(runs[0].steps, 1)
    ax.fill_between(x, Y.min(axis=0), Y.max(axis=0), color=color, alpha=0.2, lw=0)
    ax.plot(x, Y.mean(axis=0), ls, color=color, label=lab)


def _same_steps(runs: Sequence[Tracking], what: str) -> None:
    if len(runs) == 0 or any(not np.array_equal(r.steps, runs[0].steps) for r in runs):
        raise ValueError(f"{what} must be at least one Tracking, all recorded at the same steps")


def plot_ensemble_tracking(
    runs: Sequence[Tracking], *, ax: Axes | None = None, title: str = "what the networks use, over training"
) -> Axes:
    """:func:`plot_tracking` for an ensemble: for each accuracy and hybrid share, the mean over the networks
    (line) and their range, min to max (band), against steps; the chance level dotted (legend below the axes).

    Parameters
    ----------
    runs : sequence of Tracking
        Networks recorded at the same steps (e.g. from
        :func:`~lofi_utils.chapters.amplitude_phase.clones.train_ensemble`).
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    title : str
        The axes' title.

    Returns
    -------
    Axes
    """
    _same_steps(runs, "runs")
    ax = get_ax(ax)
    styles = {
        "real": ("real test images", PALETTE[7]),
        "amp": ("amplitude only", PALETTE[0]),
        "phase": ("phase only", PALETTE[1]),
    }
    for k, (lab, col) in styles.items():
        if k in runs[0].acc:
            _band(ax, runs, lambda r, k=k: r.acc[k], col, "-", lab)
    if runs[0].follow_amp.size:
        _band(ax, runs, lambda r: r.follow_amp, PALETTE[0], "--", "hybrid → amplitude donor")
        _band(ax, runs, lambda r: r.follow_phase, PALETTE[1], "--", "hybrid → phase donor")
    ax.axhline(runs[0].chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    label(ax, "SGD steps", "accuracy / share", title)
    _legend_below(ax)
    return ax


def plot_ensemble_speed(
    runs: dict,
    *,
    ax: Axes | None = None,
    key: str = "test",
    title: str = "learning the amplitude vs the phase task",
) -> Axes:
    """:func:`plot_speed` for ensembles: test accuracy of the networks trained on the amplitude-only and on the
    phase-only task, mean over networks (line) and range (band), against steps (legend below the axes).

    Parameters
    ----------
    runs : dict
        ``{"amp": [Tracking per network], "phase": [...]}``, every network recorded at the same steps.
    ax : Axes, optional
        Where to draw; a new figure if omitted.
    key : str
        The accuracy drawn.
    title : str
        The axes' title.

    Returns
    -------
    Axes
    """
    if set(runs) != {"amp", "phase"}:
        raise ValueError(f"runs must map 'amp' and 'phase' to lists of Tracking, got keys {sorted(runs)}")
    _same_steps([*runs["amp"], *runs["phase"]], "runs['amp'] and runs['phase']")
    ax = get_ax(ax)
    for k, col, lab in (("amp", PALETTE[0], "amplitude-only task"), ("phase", PALETTE[1], "phase-only task")):
        _band(ax, runs[k], lambda r: r.acc[key], col, "-", lab)
    ax.axhline(runs["amp"][0].chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    label(ax, "SGD steps", "test accuracy", title)
    _legend_below(ax)
    return ax


# =========================================================================== 3. the phase-only model
def phase_model_sample(
    N: int = 64, a: float = 1.0, template: str = "pl", *, beta: float = 5.0, seed: int = 0, n: int = 4000
) -> tuple[PhaseModel, np.ndarray, np.ndarray]:
    """The model and the ``n`` labelled samples that :func:`plot_phase_model` draws (same arguments, same
    draws), so that a caption can quote what the figure shows. Returns ``(model, X, y)``."""
    model = PhaseModel.make(N, a, beta=beta, template=template, rng=streams.rng(seed, "phase_model_figure.model"))
    X, y = model.sample(n, streams.rng(seed, "phase_model_figure.sample"))
    return model, X, y


def plot_phase_model(
    N: int = 64,
    a: float = 1.0,
    template: str = "pl",
    *,
    beta: float = 5.0,
    seed: int = 0,
    n: int = 4000,
    axs: Sequence[Axes] | np.ndarray | None = None,
) -> Sequence[Axes] | np.ndarray:
    """Three panels for the phase-only model: the shared spectrum and the template's power, one signal of
    each class, and histograms of the whitened projection ``x~.u`` (bimodal vs Gaussian).

    ``axs``: three axes in that order (default: a new figure of the column's width, the spectrum and the
    histograms side by side above the two signals). Returns the axes. The samples are
    :func:`phase_model_sample`'s.
    """
    import matplotlib.pyplot as plt

    if axs is None:
        fig = plt.figure(figsize=(COLUMN_WIDTH, 5.6), layout="constrained")
        m = fig.subplot_mosaic([["spectrum", "hist"], ["signal", "signal"]], height_ratios=[1.15, 1])
        axs = [m["spectrum"], m["signal"], m["hist"]]
    model, X, y = phase_model_sample(N, a, template, beta=beta, seed=seed, n=n)
    f = np.arange(N // 2 + 1)
    ax = axs[0]
    ax.loglog(f[1:] + 1, power_spectrum(N, a)[1:], color="0.2", label=r"$\lambda_f$ (both classes)")
    ps = periodogram(X[y > 0])
    pn = periodogram(X[y < 0])
    ax.loglog(f[1:] + 1, pn[1:], "o", ms=3, color=PALETTE[0], label="noise, measured")
    ax.loglog(f[1:] + 1, ps[1:], "x", ms=4, color=PALETTE[1], label="structured, measured")
    uf = np.abs(np.fft.rfft(model.u, norm="ortho")) ** 2
    ax.loglog(
        f[1:] + 1, np.maximum(uf[1:], 1e-6), "-", color=PALETTE[2], lw=1, alpha=0.8, label=r"template $|\hat u_f|^2$"
    )
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * 30)  # room for the legend above the spectrum
    label(ax, "1 + frequency f", "power", f"a = {a:g}, D_eff = {model.d_eff:.1f}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="upper right", fontsize=7.5)
    ax = axs[1]
    ax.plot(X[y < 0][0], color=PALETTE[0], label=f"one noise signal (y = -1), N = {N}")
    ax.plot(X[y > 0][0], color=PALETTE[1], label="one structured signal (y = +1)")
    label(ax, "position j", "x_j")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8.5)
    ax = axs[2]
    bins = np.linspace(-4, 4, 61)
    vn, vs = whitened_projection(model, X[y < 0]), whitened_projection(model, X[y > 0])
    ax.hist(vn, bins=bins, density=True, alpha=0.5, color=PALETTE[0], label="noise")
    ax.hist(vs, bins=bins, density=True, alpha=0.5, color=PALETTE[1], label="structured")
    label(
        ax,
        r"whitened projection $\tilde x\cdot u$",
        "density",
        rf"structured $\kappa_4$: {excess_kurtosis(vs):.2f} ({model.kappa4:.2f})",
    )
    ax.legend(loc="upper right", fontsize=7.5)
    return axs


# =========================================================================== 4. the N^3 barrier
def plot_escape_traces(
    res: EscapeResult, *, n_show: int = 12, N: int | None = None, beta: float = 5.0, ax: Axes | None = None
) -> Axes:
    """``|m_t|`` against ``t`` for a few runs (recorded traces), with the escape threshold and the drift solution
    ``m_t^2 = 1 / (N - eta |kappa_4| t / 6)`` from ``m_0^2 = 1/N`` (first run of that N)."""
    ax = get_ax(ax)
    sel = np.flatnonzero(res.N == (N if N is not None else res.N[0]))[:n_show]
    cols = sequential_colors(len(sel))
    for i, r in enumerate(sel):
        ax.plot(res.record_steps, np.abs(res.traces[r]), color=cols[i], lw=0.9, alpha=0.85)
    n0, e0 = float(res.N[sel[0]]), float(res.eta[sel[0]])
    k4 = abs(kappa4_spike(beta))
    tt = np.linspace(0, 6 * n0 / (e0 * k4) * 0.999, 400)
    ax.plot(tt, 1.0 / np.sqrt(n0 - e0 * k4 * tt / 6), "k--", lw=1.2, label="population drift from $m_0^2 = 1/N$")
    ax.axhline(res.threshold, color="0.4", ls=":", lw=1, label=f"threshold {res.threshold:g}")
    ax.set_ylim(0, 1)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    label(ax, "SGD steps t (= samples)", "|m_t|", f"search phase, N = {int(n0)}")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_escape_scaling(scan: EscapeScan, *, beta: float = 5.0, c: float = 1.0, ax: Axes | None = None) -> Axes:
    """Median escape time against N (log-log) with quartile bars, the fitted power law, the drift prediction
    ``6 N^3 / (|kappa_4| c)`` and an ``N^3 log^2 N`` guide; ticks at the N of the scan, legend below the axes."""
    ax = get_ax(ax)
    N = scan.values
    med = scan.medians
    q = scan.quantiles()
    ax.errorbar(
        N,
        med,
        yerr=[med - q[:, 0], np.where(np.isfinite(q[:, 1]), q[:, 1], med) - med],
        fmt="o",
        color=PALETTE[0],
        capsize=3,
        label=f"median (quartiles), fit $N^{{{scan.exponent:.2f}}}$",
    )
    nn = np.linspace(N.min() * 0.9, N.max() * 1.1, 50)
    ax.plot(nn, drift_escape_time(nn, beta=beta, c=c), "--", color=PALETTE[1], label=r"drift: $6N^3/(|\kappa_4| c)$")
    g = med[0] / (N[0] ** 3 * np.log(N[0]) ** 2)
    ax.plot(nn, g * nn**3 * np.log(nn) ** 2, ":", color="0.3", label=r"$\propto N^3\log^2 N$")
    ax.set_xscale("log"), ax.set_yscale("log")
    plain_log_ticks(ax, N)
    label(ax, "dimension N", "escape time T (steps)", "escape time against N")
    _legend_below(ax, ncol=1)
    return ax


def plain_log_ticks(ax: Axes, values: ArrayLike, *, axis: str = "x") -> Axes:
    """Ticks of a log ``axis`` at ``values`` only, labelled as plain numbers (``16``, ``0.5``): no minor tick
    labels such as ``2x10^1`` that run into each other over less than a decade."""
    check_choice(axis, "axis", ("x", "y"))
    v = np.unique(np.asarray(values, dtype=float))
    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xticks if axis == "x" else ax.set_yticks)(v, [f"{x:g}" for x in v])
    target.set_minor_locator(NullLocator())
    return ax


def plain_log_labels(ax: Axes, axis: str = "y") -> Axes:
    """Label a log ``axis`` with plain numbers (``0.5``, ``1``, ``2``) instead of ``5x10^-1``: the decades and
    some minor ticks, the fewer the more decades the axis spans (at draw time): 2, 3, 4, 5, 6, 8 times a
    decade below 1.2 decades, 2, 3, 5 below 2.5, else 2 and 5, so that labels do not collide."""
    check_choice(axis, "axis", ("x", "y"))
    target = ax.xaxis if axis == "x" else ax.yaxis

    def minor(v: float, _pos: int) -> str:
        if v <= 0:
            return ""
        lo, hi = sorted(target.get_view_interval())
        decades = np.log10(hi / lo) if lo > 0 else np.inf
        keep = (2, 3, 4, 5, 6, 8) if decades < 1.2 else (2, 3, 5) if decades < 2.5 else (2, 5)
        mantissa = round(v / 10 ** np.floor(np.log10(v)), 6)
        return f"{v:g}" if mantissa in keep else ""

    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    target.set_minor_formatter(FuncFormatter(minor))
    return ax


def plot_escape_fraction(scan: EscapeScan, *, scale: str = "N3", ax: Axes | None = None) -> Axes:
    """Fraction of runs escaped by ``n`` steps against ``n / N^3`` (``scale="N3"``) or ``n / (N^3 log^2 N)``
    (``scale="N3log2N"``), one curve per N: the curves collapse when the scaling is right."""
    check_choice(scale, "scale", ("N3", "N3log2N"))
    ax = get_ax(ax)
    cols = sequential_colors(len(scan.values))
    for i, (N, t) in enumerate(zip(scan.values, scan.times)):
        s = N**3 if scale == "N3" else N**3 * np.log(N) ** 2
        grid = np.logspace(-2, np.log10(np.nanmax(scan.result.max_steps) / s), 200)
        ax.plot(grid, escape_fraction(t, grid * s), color=cols[i], label=f"N = {int(N)}")
    ax.set_xscale("log")
    label(ax, "n / N³" if scale == "N3" else "n / (N³ log² N)", "fraction escaped", "escape fraction")
    ax.legend(fontsize=8, loc="upper left")
    return ax


# =========================================================================== 5. power-law spectra
def plot_spectrum_template(
    N: int = 64,
    a: float = 1.0,
    template: str = "pl",
    *,
    seed: int = 0,
    n_w: int = 2000,
    D: int = 8,
    axs: Sequence[Axes] | np.ndarray | None = None,
) -> Sequence[Axes] | np.ndarray:
    """Why a power-law spectrum can speed up phase learning: two panels (a new figure is the column's width).

    Left: the shared eigenvalues ``lambda_f`` and the template's power ``|u_f|^2`` per frequency. Right: the
    initial effective overlap ``|m_eff| = |cos(C^(1/2) w, u)|`` of ``n_w`` uniformly random ``w``, against
    ``N^(-1/2)`` (the isotropic value) and ``D_eff^(-1/2)``. ``axs``: two axes (default: a new 1x2 figure).
    Returns the axes. The chapter's static figure and its widget both call this function.
    """
    if axs is None:
        axs = subplots(1, 2, width=COLUMN_WIDTH / 2, height=3.0)[1][0]
    model, m0 = template_overlaps(N, a, template, seed=seed, n_w=n_w, D=D)
    f = np.arange(N // 2 + 1)
    ax = axs[0]
    lam = power_spectrum(N, a)
    ax.semilogy(f, lam / lam.sum(), "o-", ms=3, color="0.25", label=r"spectrum $\lambda_f$ (normalised)")
    uf = np.abs(np.fft.rfft(model.u, norm="ortho")) ** 2
    mult = np.where((f == 0) | (f == N // 2), 1.0, 2.0)
    ax.semilogy(f, np.maximum(mult * uf, 1e-8), "s-", ms=3, color=PALETTE[2], label=r"template power $|\hat u_f|^2$")
    ax.set_ylim(1e-5, 1.5)
    label(ax, "frequency f", "share of the total", f"N = {N}, a = {a:g}, template '{template}'")
    ax.legend(loc="best", fontsize=7.5)
    ax = axs[1]
    ax.hist(m0, bins=40, density=True, color=PALETTE[0], alpha=0.7, label=r"$|m_{eff}(0)|$, random $w$")
    ax.axvline(N**-0.5, color="0.3", ls="--", label=r"$N^{-1/2}$")
    ax.axvline(
        model.d_eff**-0.5, color=PALETTE[1], ls="-", label=rf"$D_{{eff}}^{{-1/2}}$, $D_{{eff}}$ = {model.d_eff:.1f}"
    )
    label(ax, "initial effective overlap", "density", f"median |m_eff(0)| = {np.median(m0):.3f}")
    ax.legend(loc="upper right", fontsize=7.5)
    return axs


def template_overlaps(
    N: int = 64, a: float = 1.0, template: str = "pl", *, seed: int = 0, n_w: int = 2000, D: int = 8
) -> tuple[PhaseModel, np.ndarray]:
    """The model and the initial effective overlaps ``|m_eff(0)|`` of ``n_w`` random ``w`` that
    :func:`plot_spectrum_template` draws (same arguments, same draws), so that a caption can quote them.
    Returns ``(model, |m_eff(0)|)``."""
    model = PhaseModel.make(N, a, template=template, rng=streams.rng(seed, "template_figure.model"), D=D)
    w = streams.rng(seed, "template_figure.overlaps").standard_normal((n_w, N))
    return model, np.abs(model.overlap(w))


def plot_powerlaw_scan(pl: PowerLawScan, *, baseline: float | None = None, ax: Axes | None = None) -> Axes:
    """Median escape time / N^3 against the spectral exponent, one line per template (a censored median drawn
    at the cap), the isotropic ``baseline`` (dotted; a time in steps) and ``D_eff`` on a twin axis (dashed).

    Returns the main axes.
    """
    ax = get_ax(ax, figsize=(5.6, 3.6))
    N3 = pl.N**3
    for j, t in enumerate(pl.templates):
        lab = f"template '{t}'" + (" (censored: cap)" if pl.censored(t).any() else "")
        ax.semilogy(pl.a_values, pl.capped_medians[:, j] / N3, "o-", label=lab)
    if baseline is not None:
        ax.axhline(baseline / N3, color="0.4", ls=":", label="isotropic baseline")
    ax.set(xlabel="spectral exponent a", ylabel="median escape time / N³", title=f"N = {pl.N}, c = {pl.c:g}")
    plain_log_labels(ax, "y")
    ax2 = ax.twinx()
    ax2.plot(pl.a_values, pl.d_eff, "k--", lw=1)
    ax2.set_ylabel("D_eff (dashed)")
    ax2.grid(False)
    ax.legend(fontsize=8)
    return ax


# =========================================================================== 6. textures
def plot_discrimination(results: dict, *, ax: Axes | None = None) -> Axes:
    """Test accuracy against steps for the phase-discrimination runs, keyed ``"<texture>, jitter <j>, <spectrum>"``:
    one colour per texture and jitter, solid for the natural spectrum and dashed for the flat one, chance
    dotted, the legend to the right of the axes (a new figure is the column's width)."""
    if ax is None:
        ax = subplots(1, 1, width=COLUMN_WIDTH, height=3.6)[1][0, 0]
    groups: dict[str, str] = {}
    for lab, tr in results.items():
        group = lab.rsplit(",", 1)[0] if ("natural" in lab or "flat" in lab) else lab
        col = groups.setdefault(group, PALETTE[len(groups) % len(PALETTE)])
        ax.plot(
            np.maximum(tr.steps, 1),
            tr.acc["test"],
            color=col,
            marker="o",
            ms=2.5,
            ls="-" if "natural" in lab else "--",
            label=lab,
        )
    ax.axhline(0.5, color="0.5", ls=":", lw=1)
    ax.set_xscale("log")
    label(ax, "SGD steps", "test accuracy", "real vs phase-randomised patches")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    return ax
