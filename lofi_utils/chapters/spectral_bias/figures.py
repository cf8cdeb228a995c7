"""Every figure of the spectral-bias chapter, by section.

Each function takes ``ax=None`` (or a sequence of axes) and returns the axes, so the chapter's widget
(:mod:`lofi_utils.chapters.spectral_bias.widget`) redraws exactly the static figure.

1. sum of sines: :func:`plot_fit_snapshots`, :func:`plot_amplitude_heatmap`, :func:`plot_learning_times`
   (also section 6);
2. NTK: :func:`plot_ntk_vs_empirical`, :func:`plot_width_errors`;
3. Funk--Hecke: :func:`plot_harmonic_shares`;
4. eigenvalue decay: :func:`plot_spectrum_decay`;
5. the circle: :func:`plot_circle_modes`;
6. activations: :func:`plot_activation_spectra`;
7. Fourier features: :func:`plot_fourier_feature_errors`, :func:`plot_fourier_feature_fits`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...kernels import ACTIVATIONS, layer_kernels, nngp_spectrum, ntk, ntk_spectrum
from ...ntk import bin_by_cosine
from ...plotting import PALETTE, get_ax, integer_ticks, label, sequential_colors, subplots
from ...spectra import harmonic_shares
from ...spectral1d import LearningTimeSummary
from ...training1d import SumOfSinesRun
from ...validation import check_int
from .activation_comparison import ActivationComparison, activation_label
from .fourier_feature_fits import FourierFeatureResult
from .ntk_width import NTKSweep

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .circle_networks import CircleModesResult

__all__ = [
    "plot_fit_snapshots",
    "plot_amplitude_heatmap",
    "plot_learning_times",
    "plot_ntk_vs_empirical",
    "plot_width_errors",
    "plot_harmonic_shares",
    "plot_spectrum_decay",
    "plot_circle_modes",
    "plot_activation_spectra",
    "plot_fourier_feature_errors",
    "plot_fourier_feature_fits",
]


# =========================================================================== 1. sum of sines
def plot_amplitude_heatmap(
    result: SumOfSinesRun | Sequence[SumOfSinesRun],
    ax: Axes | None = None,
    *,
    cmap: str = "viridis",
    colorbar: bool = True,
    title: str | None = None,
    log_steps: bool = True,
) -> Axes:
    """Heatmap of ``|f_hat_k| / A_k`` over iteration (vertical) and frequency (horizontal).

    ``result``: a :class:`SumOfSinesRun` or a sequence of runs with the same frequencies and
    records (their mean is shown, as in Rahaman et al.'s Fig. 1). Colour scale [0, 1].
    ``log_steps``: iterations on a log scale (the default; the record at iteration 0 is then left out),
    which spreads the learning phase over the panel instead of squeezing it into its bottom rows.
    Returns ``ax``.
    """
    runs = [result] if isinstance(result, SumOfSinesRun) else list(result)
    if not runs:
        raise ValueError("need at least one run")
    if any(r.amplitude.shape != runs[0].amplitude.shape for r in runs):
        raise ValueError("runs to average must share frequencies and recorded steps")
    amp = np.mean([r.amplitude for r in runs], axis=0)
    steps, freqs = np.asarray(runs[0].steps, dtype=float), runs[0].freqs
    ax = get_ax(ax)
    # cell edges: frequencies as categories, iterations half-way between records (geometric means on
    # the log axis, where the record at iteration 0, the initial function, has no place)
    xe = np.arange(freqs.size + 1) - 0.5
    if log_steps and np.sum(steps > 0) >= 2:
        keep = steps > 0
        steps, amp = steps[keep], amp[keep]
        mids = np.sqrt(steps[1:] * steps[:-1])
        ye = np.concatenate([[steps[0] ** 2 / mids[0]], mids, [steps[-1] ** 2 / mids[-1]]])
        ax.set_yscale("log")
    else:
        mids = (steps[1:] + steps[:-1]) / 2.0
        ye = np.concatenate([[steps[0]], mids, [steps[-1]]])
    mesh = ax.pcolormesh(xe, ye, amp, cmap=cmap, vmin=0.0, vmax=1.0, shading="flat", rasterized=True)
    ax.set_ylim(ye[0], ye[-1])
    ax.set_xticks(np.arange(freqs.size), [str(k) for k in freqs])
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=r"$|\hat f_k| / A_k$")
    n = len(runs)
    label(
        ax,
        "frequency $k$",
        "training iteration",
        title
        or f"spectrum of the fit ({activation_label(runs[0].config.get('activation', ''))}"
        f"{', mean of %d runs' % n if n > 1 else ''})",
    )
    return ax


def plot_fit_snapshots(
    result: SumOfSinesRun, ax: Axes | None = None, *, at: Sequence[int] | None = None, n_snapshots: int = 4
) -> Axes:
    """The target and the network's fit at a few recorded iterations (``at``, or ``n_snapshots``
    log-spaced ones). Returns ``ax``."""
    ax = get_ax(ax)
    steps = result.steps
    if at is None:
        n = check_int(n_snapshots, "n_snapshots", minimum=1)
        lo = max(int(steps[1]) if steps.size > 1 else 1, 1)
        want = np.unique(np.geomspace(lo, steps[-1], n).round())
    else:
        want = np.asarray(at, dtype=float)
    idx = [int(np.argmin(np.abs(steps - w))) for w in want]
    ax.plot(result.x, result.target, color="0.15", lw=2.4, alpha=0.35, label="target")
    for c, i in zip(sequential_colors(len(idx), "plasma"), idx):
        ax.plot(result.x, result.predictions[i], color=c, lw=1.2, label=f"iteration {int(steps[i])}")
    label(ax, "$x$", "$f(x)$", "network fit during training")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_learning_times(
    data: ActivationComparison | LearningTimeSummary, ax: Axes | None = None, *, title: str | None = None
) -> Axes:
    """Learning time ``t_k`` against ``k``: median over seeds with the min-max range.

    ``data``: an :class:`ActivationComparison` (one line per activation) or a
    :class:`LearningTimeSummary`. Frequencies never learned are drawn as open markers at the budget
    line. Returns ``ax``.
    """
    ax = get_ax(ax)
    if isinstance(data, ActivationComparison):
        items = [(activation_label(a), data.summaries[a]) for a in data.activations]
        budget = data.config.get("steps")
    elif isinstance(data, LearningTimeSummary):
        items, budget = [("", data)], None
    else:
        raise ValueError("data must be an ActivationComparison or a LearningTimeSummary")
    top = budget if budget else max(np.nanmax(np.where(np.isfinite(s.times), s.times, np.nan)) for _, s in items)
    for j, (name, s) in enumerate(items):
        c = PALETTE[j % len(PALETTE)]
        t = np.where(np.isfinite(s.times), s.times, np.nan)
        med = np.where(np.isfinite(s.median), s.median, np.nan)
        lo = np.nanmin(np.where(np.isnan(t), top, t), axis=0)
        hi = np.nanmax(np.where(np.isnan(t), top, t), axis=0)
        ax.fill_between(s.freqs, lo, hi, color=c, alpha=0.15, lw=0)
        ax.plot(s.freqs, med, "o-", color=c, label=name or None)
        never = ~np.isfinite(s.median)
        if np.any(never):
            ax.plot(s.freqs[never], np.full(never.sum(), top), "o", mfc="none", color=c)
    if budget:
        ax.axhline(budget, color="0.4", ls=":", lw=1, label="budget")
    ax.set_yscale("log")
    ax.set_xticks(items[0][1].freqs)
    label(
        ax,
        "frequency $k$",
        f"iterations to $|\\hat f_k|/A_k > {items[0][1].threshold:g}$",
        title or "learning time per frequency",
        legend=any(n for n, _ in items) or bool(budget),
    )
    return ax


# =========================================================================== 2. the NTK
def plot_ntk_vs_empirical(sweep: NTKSweep, ax: Axes | None = None, *, bins: int = 40) -> Axes:
    """Binned empirical NTK of the widest network (mean +- std per cosine bin) over the analytic ``kappa(t)``."""
    ax = get_ax(ax)
    c, m, s, _ = bin_by_cosine(sweep.cosines, sweep.theta_hat, bins=bins)
    ok = np.isfinite(m)
    ax.fill_between(c[ok], (m - s)[ok], (m + s)[ok], color=PALETTE[1], alpha=0.25, lw=0)
    ax.plot(c[ok], m[ok], "o", ms=3.5, color=PALETTE[1], label=f"empirical, width {sweep.widths[-1]}")
    t = np.linspace(-1, 1, 401)
    ax.plot(
        t,
        ntk(t, depth=sweep.depth, activation=sweep.activation, bias=sweep.bias),
        color=PALETTE[0],
        label=f"analytic NTK, L = {sweep.depth}",
    )
    label(ax, r"cosine $t = x\cdot x'/d$", r"$\Theta(t)$", f"{sweep.activation} network, d = {sweep.d}")
    ax.legend(loc="upper left")
    return ax


def plot_width_errors(sweep: NTKSweep, ax: Axes | None = None) -> Axes:
    """Relative error of the empirical NTK against the width (log-log), with the ``width^(-1/2)`` law."""
    ax = get_ax(ax)
    w = sweep.widths
    for s in range(sweep.errors.shape[1]):
        ax.plot(w, sweep.errors[:, s], "o", color="0.6", ms=3, label="single seed" if s == 0 else None)
    ax.plot(w, sweep.mean_errors, "o-", color=PALETTE[1], label="mean over seeds")
    ref = sweep.mean_errors[0] * np.sqrt(w[0] / w)
    ax.plot(w, ref, "--", color="0.3", lw=1, label=r"$\propto \mathrm{width}^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    integer_ticks(ax, w)
    return label(ax, "width n", r"$\|\hat\Theta-\Theta\|_F / \|\Theta\|_F$", "finite-width fluctuations", legend=True)


# =========================================================================== 3. Funk--Hecke
def plot_harmonic_shares(
    d: int,
    kmax: int = 12,
    *,
    depth: int = 2,
    bias: float = 0.0,
    activation: str = "relu",
    ax: Axes | None = None,
) -> Axes:
    """Bars of ``mu_k N(d, k) / kappa(1)`` per degree, for the NTK and the NNGP kernel. Returns the axes."""
    ax = get_ax(ax)
    k = np.arange(kmax + 1)
    lk = layer_kernels(np.array([1.0]), depth=depth, activation=activation, bias=bias)
    mu = ntk_spectrum(d, kmax, depth=depth, activation=activation, bias=bias)
    nu = nngp_spectrum(d, kmax, depth=depth, activation=activation, bias=bias)
    w = 0.4
    s_ntk, s_nngp = harmonic_shares(lk.ntk[0], mu, d), harmonic_shares(lk.nngp[0], nu, d)
    # shares below 1e-12 are rounding noise of exact zeros (odd degrees without bias): no bar
    s_ntk, s_nngp = (np.where(np.abs(s) < 1e-12, np.nan, s) for s in (s_ntk, s_nngp))
    ax.bar(k - w / 2, s_ntk, w, color=PALETTE[0], label="NTK")
    ax.bar(k + w / 2, s_nngp, w, color=PALETTE[2], label="NNGP")
    ax.set_yscale("log")
    low = np.nanmin(np.concatenate([s_ntk, s_nngp]))
    ax.set_ylim(10 ** np.floor(np.log10(low) - 0.5), 1.5)
    ax.set_xticks(k)
    return label(ax, "degree k", r"share $\mu_k N(d,k)/\kappa(1)$", f"d = {d}, L = {depth}, β = {bias:g}", legend=True)


# =========================================================================== 4. eigenvalue decay
def plot_spectrum_decay(
    ds: Sequence[int] = (2, 3, 5),
    *,
    depth: int = 2,
    bias: float = 0.0,
    activation: str = "relu",
    kmax: int = 200,
    nngp: bool = True,
    n_nodes: int = 6000,
    guide_shift: float = 4.0,
    ax: Axes | None = None,
) -> Axes:
    """Log-log NTK eigenvalues ``mu_k`` (even k) on S^{d-1} for each ``d``, with the ``k^(-d)`` guide.

    With ``nngp=True`` the NNGP (readout) spectrum is drawn dotted. Odd degrees are shown as open
    markers where they are above 1e-14 of ``mu_0`` (without bias they vanish for ReLU, k >= 3).
    For the ReLU each NTK curve gets a dashed ``k^(-d)`` guide from k = 10 on, multiplied by
    ``guide_shift`` so that it runs parallel to the curve instead of on top of it. Returns the axes.
    """
    if len(ds) == 0:
        raise ValueError("need at least one dimension d")
    ax = get_ax(ax)
    k = np.arange(kmax + 1)
    even = k[(k % 2 == 0) & (k > 0)]
    odd = k[k % 2 == 1]
    guides = False
    for c, d in zip(PALETTE, ds):
        mu = ntk_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
        ax.loglog(even, mu[even], "-", color=c, label=f"NTK, d = {d}")
        vis = odd[np.abs(mu[odd]) > 1e-14 * abs(mu[0])]
        if vis.size:
            ax.loglog(vis, np.abs(mu[vis]), "o", mfc="none", ms=3, color=c)
        if nngp:
            nu = nngp_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
            ax.loglog(even, nu[even], ":", color=c, label=f"NNGP, d = {d}")
        kk = even[even >= 10]
        if activation == "relu" and kk.size >= 2:
            # the guide lies on the NTK curve itself (its slope is -d): draw it shifted up, in the curve's colour
            ax.loglog(kk, guide_shift * mu[kk[0]] * (kk / kk[0]) ** (-float(d)), "--", color=c, lw=0.9, alpha=0.7)
            guides = True
    if guides:
        ax.plot([], [], "--", color="0.4", lw=0.9, label=rf"$k^{{-d}}$, shifted up $\times{guide_shift:g}$")
    label(ax, "degree k (even)", r"eigenvalue $\mu_k$", f"{activation}, L = {depth}, bias β = {bias:g}")
    ax.legend(loc="lower left", ncol=2 if len(ds) > 1 else 1)
    return ax


# =========================================================================== 5. the circle
def plot_circle_modes(results: Sequence[CircleModesResult], ax: Axes | None = None, *, kernel: bool = True) -> Axes:
    """Residual amplitude of each ``cos(k theta)`` target against the GD step, per width (one line style
    each, one colour per frequency) and for the linearised model ``(1 - eta lambda_k)^t`` (dashed black).
    ``results``: list of :class:`lofi_utils.chapters.spectral_bias.circle_networks.CircleModesResult` (same
    ks, eta). Returns the axes."""
    ax = get_ax(ax)
    if not results:
        raise ValueError("need at least one result")
    r0 = results[0]
    cols = PALETTE
    styles = ["-", "-.", (0, (5, 1)), (0, (1, 1))]
    t = np.arange(r0.steps + 1)
    for j, res in enumerate(results):
        for i in range(len(res.ks)):
            ax.plot(
                t,
                np.abs(res.amplitude[i]),
                linestyle=styles[j % len(styles)],
                color=cols[i % len(cols)],
                alpha=0.85,
            )
    if kernel:
        for lam in r0.lam:
            ax.plot(t, np.abs(1 - r0.eta * lam) ** t, "--", color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 1.5)
    # legend: colours are frequencies, line styles widths (proxy handles, not drawn on the axes)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=cols[i % len(cols)], label=f"k = {k}") for i, k in enumerate(r0.ks)]
    handles += [
        Line2D([], [], color="0.3", linestyle=styles[j % len(styles)], label=f"width {res.width}")
        for j, res in enumerate(results)
    ]
    if kernel:
        handles.append(Line2D([], [], color="k", linestyle="--", lw=0.8, label="linearised model"))
    label(ax, "gradient-descent step t", r"residual $|r_k(t)/r_k(0)|$", "residual of each frequency")
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


# =========================================================================== 6. activations
def plot_activation_spectra(
    activations: Sequence[str] = ACTIVATIONS,
    *,
    d: int = 2,
    depth: int = 2,
    bias: float = 0.0,
    kmax: int = 30,
    ax: Axes | None = None,
    n_nodes: int = 2000,
) -> Axes:
    """Normalised NTK eigenvalues ``mu_k / mu_0`` (even k) against k on a log scale, one curve per activation.

    A straight line on these semi-log axes is exponential decay (smooth activations); ReLU bends
    (a power law). Returns the axes.
    """
    ax = get_ax(ax)
    k = np.arange(0, kmax + 1, 2)
    for c, a in zip(PALETTE, activations):
        mu = ntk_spectrum(d, kmax, depth=depth, activation=a, bias=bias, n_nodes=n_nodes)
        ax.semilogy(k, np.abs(mu[k]) / mu[0], "o-", ms=3, color=c, label=a)
    return label(ax, "degree k (even)", r"$\mu_k / \mu_0$", f"NTK on S$^{{{d - 1}}}$, L = {depth}", legend=True)


# =========================================================================== 7. Fourier features
def plot_fourier_feature_errors(
    result: FourierFeatureResult, ax: Sequence[Axes] | np.ndarray | None = None, *, relative: bool = True
) -> np.ndarray:
    """Training-residual amplitude at each of ``result.residual_freqs`` over iterations, one line
    per variant (one panel per frequency; Tancik et al.'s Fig. 3 right).

    ``relative=True`` divides by the target's component at that frequency. ``ax``: ``None`` or a
    sequence of ``len(residual_freqs)`` axes. Returns the array of axes.
    """
    F = result.residual_freqs.size
    own = ax is None
    if own:
        _, axs = subplots(1, F, width=2.3, height=2.8, sharey=True)
        axs = axs[0]
    else:
        axs = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if axs.size != F:
            raise ValueError(f"need {F} axes (one per residual frequency), got {axs.size}")
    steps = np.maximum(result.steps, 1)
    for j, (a, k) in enumerate(zip(axs, result.residual_freqs)):
        for i, lab in enumerate(result.labels):
            y = result.residual[i, :, j] / (result.target_components[j] if relative else 1.0)
            a.plot(steps, np.maximum(y, 1e-12), color=PALETTE[i % len(PALETTE)], label=lab)
        a.set_xscale("log")
        a.set_yscale("log")
        ylab = ("relative " if relative else "") + "residual amplitude"
        label(a, "iteration", ylab if j == 0 else "", f"frequency {k}")
    if own:  # below the panels, where it covers no curve
        handles, labels = axs[0].get_legend_handles_labels()
        axs[0].figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4))
    else:
        axs[-1].legend()
    return axs


def plot_fourier_feature_fits(
    result: FourierFeatureResult, ax: Axes | None = None, *, variants: Sequence | None = None
) -> Axes:
    """The power-law target, the training samples and each variant's final fit (legend on the right; a
    new figure is one column wide, legend included). Returns ``ax``."""
    if ax is None:
        _, axs = subplots(1, 1, width=6.6, height=3.6)
        ax = axs[0, 0]
    ax.plot(result.x, result.signal, color="0.15", lw=2.4, alpha=0.3, label="target")
    ax.plot(result.x[result.train_idx], result.signal[result.train_idx], "k.", ms=6, label="training points")
    chosen = range(len(result.labels)) if variants is None else [result.index(p) for p in variants]
    for i in chosen:
        ax.plot(result.x, result.predictions[i], color=PALETTE[i % len(PALETTE)], lw=1.1, label=result.labels[i])
    label(ax, "$x$", "$f(x)$", f"fits from {result.train_idx.size} samples")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
