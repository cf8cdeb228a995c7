"""Spectra of dot-product kernels on the sphere: the experiments and figures of *Spectral bias basics*.

* :func:`ntk_width_sweep` -- the empirical NTK of finite networks against the analytic kernel, at
  several widths (its error shrinks like ``width^(-1/2)``);
* :func:`decay_slopes` -- fitted power law ``mu_k ~ k^slope`` of the NTK and NNGP spectra;
* :func:`harmonic_shares` -- how a kernel's variance ``kappa(1) = sum_k mu_k N(d, k)`` splits over degrees;
* figures drawn by functions that take ``ax=None`` and return the axes, so the widget
  :func:`spectrum_explorer` redraws exactly the static figure of the chapter.

Kernels and spectra are float64 NumPy (see :mod:`lofi_utils.kernels`, :mod:`lofi_utils.sphere`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .kernels import ACTIVATIONS, layer_kernels, nngp_spectrum, ntk, ntk_spectrum
from .ntk import bin_by_cosine
from .plotting import PALETTE, control_panel, get_ax, label
from .sphere import harmonic_dimension
from .stats import fit_power_law
from .width_sweep import WidthSweep, kernel_width_sweep


# --------------------------------------------------------------------------- empirical vs analytic NTK
@dataclass
class NTKSweep(WidthSweep):
    """Output of :func:`ntk_width_sweep`.

    ``errors`` (W, S): relative Frobenius error ``|Theta_hat - Theta|_F / |Theta|_F`` per width and seed;
    ``cosines`` (N, N) the Gram matrix of cosines ``x.x'/d``; ``theta`` (N, N) the analytic NTK;
    ``theta_hat`` (N, N) the empirical NTK of the widest network (first seed).
    """

    cosines: np.ndarray
    theta: np.ndarray
    theta_hat: np.ndarray

    def width_exponent(self) -> float:
        """Slope of log(mean error) against log(width) (the theory: -1/2)."""
        return fit_power_law(self.widths, self.mean_errors)[0]


def ntk_width_sweep(d: int, depth: int, n_points: int, widths: Sequence[int], *, seeds: int = 3,
                    bias: float = 0.0, activation: str = "relu", seed: int = 0, device=None,
                    dtype: torch.dtype = torch.float64) -> NTKSweep:
    """Empirical NTK (factorised per-layer formula) of :class:`lofi_utils.ntk.MLP` against the analytic NTK.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` (drawn with ``seed``); for every
    width in ``widths`` and network seed ``seed .. seed + seeds - 1`` the relative error
    ``|Theta_hat - Theta|_F / |Theta|_F`` is recorded, with ``Theta_hat = sum_l Theta_hat_l`` (the same
    loop as the per-layer sweep :func:`lofi_utils.layerwise.layer_width_sweep`). Returns an :class:`NTKSweep`.
    """
    sw = kernel_width_sweep(d, depth, n_points, widths, seeds=seeds, bias=bias, activation=activation,
                             seed=seed, device=device, dtype=dtype)
    return NTKSweep(widths=sw.widths, errors=sw.total_errors, d=int(d), depth=int(depth), bias=float(bias),
                    activation=activation, cosines=sw.cosines, theta=sw.theta, theta_hat=sw.theta_hat)


def plot_ntk_vs_empirical(sweep: NTKSweep, ax=None, *, bins: int = 40):
    """Binned empirical NTK of the widest network (mean +- std per cosine bin) over the analytic ``kappa(t)``."""
    ax = get_ax(ax)
    c, m, s, _ = bin_by_cosine(sweep.cosines, sweep.theta_hat, bins=bins)
    ok = np.isfinite(m)
    ax.fill_between(c[ok], (m - s)[ok], (m + s)[ok], color=PALETTE[1], alpha=0.25, lw=0)
    ax.plot(c[ok], m[ok], "o", ms=3.5, color=PALETTE[1],
            label=f"empirical, width {sweep.widths[-1]} (bin mean ± std)")
    t = np.linspace(-1, 1, 401)
    ax.plot(t, ntk(t, depth=sweep.depth, activation=sweep.activation, bias=sweep.bias), color=PALETTE[0],
            label=f"analytic NTK, L = {sweep.depth}")
    return label(ax, r"cosine $t = x\cdot x'/d$", r"$\Theta(t)$",
                 f"{sweep.activation} network, d = {sweep.d}", legend=True)


def plot_width_errors(sweep: NTKSweep, ax=None):
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
    return label(ax, "width n", r"$\|\hat\Theta-\Theta\|_F / \|\Theta\|_F$", "finite-width fluctuations",
                 legend=True)


# --------------------------------------------------------------------------- eigenvalue decay
def decay_slopes(d: int, *, depth: int = 2, bias: float = 0.0, activation: str = "relu", kmin: int = 40,
                 kmax: int = 200, n_nodes: int = 6000) -> dict:
    """Fit ``mu_k ~ C k^slope`` on the even degrees ``kmin <= k <= kmax`` of the NTK and NNGP spectra on S^{d-1}.

    Theory for ReLU (Bietti--Mairal 2019, Bietti--Bach 2021): NTK slope ``-d``, NNGP slope ``-(d+2)``.
    Returns ``{"ntk": slope, "nngp": slope, "mu_ntk": (kmax+1,), "mu_nngp": (kmax+1,)}``.
    """
    if not 1 <= kmin < kmax:
        raise ValueError(f"need 1 <= kmin < kmax, got kmin={kmin}, kmax={kmax}")
    mu = ntk_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
    nu = nngp_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
    k = np.arange(kmin + (kmin % 2), kmax + 1, 2)
    return {"ntk": fit_power_law(k, mu[k])[0], "nngp": fit_power_law(k, nu[k])[0], "mu_ntk": mu, "mu_nngp": nu}


def plot_spectrum_decay(ds: Sequence[int] = (2, 3, 5), *, depth: int = 2, bias: float = 0.0,
                        activation: str = "relu", kmax: int = 200, nngp: bool = True, n_nodes: int = 6000,
                        ax=None):
    """Log-log NTK eigenvalues ``mu_k`` (even k) on S^{d-1} for each ``d``, with the ``k^(-d)`` guide.

    With ``nngp=True`` the NNGP (readout) spectrum is drawn dashed. Odd degrees are shown as open
    markers where they are above 1e-14 of ``mu_0`` (without bias they vanish for ReLU, k >= 3).
    Returns the axes.
    """
    if len(ds) == 0:
        raise ValueError("need at least one dimension d")
    ax = get_ax(ax)
    k = np.arange(kmax + 1)
    even = k[(k % 2 == 0) & (k > 0)]
    odd = k[k % 2 == 1]
    for c, d in zip(PALETTE, ds):
        mu = ntk_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
        ax.loglog(even, mu[even], "-", color=c, label=f"NTK, d = {d}")
        vis = odd[np.abs(mu[odd]) > 1e-14 * abs(mu[0])]
        if vis.size:
            ax.loglog(vis, np.abs(mu[vis]), "o", mfc="none", ms=3, color=c)
        if nngp:
            nu = nngp_spectrum(d, kmax, depth=depth, activation=activation, bias=bias, n_nodes=n_nodes)
            ax.loglog(even, nu[even], ":", color=c, label=f"NNGP, d = {d}")
        if activation == "relu":
            kk = even[even >= 10]
            ax.loglog(kk, mu[kk[0]] * (kk / kk[0]) ** (-float(d)), "--", color="0.4", lw=0.8)
    ax.plot([], [], "--", color="0.4", lw=0.8, label=r"$k^{-d}$ guide")
    label(ax, "degree k (even)", r"eigenvalue $\mu_k$", f"{activation}, L = {depth}, bias β = {bias:g}")
    ax.legend(loc="upper right", ncol=2 if len(ds) > 1 else 1)
    return ax


def harmonic_shares(kappa_values_at_1: float, mu, d: int) -> np.ndarray:
    """Share of the variance ``kappa(1) = sum_k mu_k N(d, k)`` carried by each degree: ``mu_k N(d,k) / kappa(1)``."""
    mu = np.asarray(mu, dtype=float)
    return mu * harmonic_dimension(d, np.arange(mu.size)) / float(kappa_values_at_1)


def plot_harmonic_shares(d: int, kmax: int = 12, *, depth: int = 2, bias: float = 0.0, activation: str = "relu",
                         ax=None):
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
    return label(ax, "degree k", r"share $\mu_k N(d,k)/\kappa(1)$", f"d = {d}, L = {depth}, β = {bias:g}",
                 legend=True)


def plot_activation_spectra(activations: Sequence[str] = ACTIVATIONS, *, d: int = 2, depth: int = 2,
                            bias: float = 0.0, kmax: int = 30, ax=None, n_nodes: int = 2000):
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


def exponential_rate(mu, ks) -> float:
    """Fitted ``r`` in ``mu_k ~ C exp(-r k)`` over the degrees ``ks`` (least squares on ``log mu_k``)."""
    ks = np.asarray(ks, dtype=float)
    y = np.log(np.abs(np.asarray(mu, dtype=float)[ks.astype(int)]))
    return float(-np.polyfit(ks, y, 1)[0])


# --------------------------------------------------------------------------- circle dynamics
def plot_circle_modes(results, ax=None, *, kernel: bool = True):
    """Residual amplitude of each ``cos(k theta)`` target against the GD step, per width (solid) and for
    the linearised model ``(1 - eta lambda_k)^t`` (dashed black). ``results``: list of
    :class:`lofi_utils.dynamics.CircleModesResult` (same ks, eta). Returns the axes."""
    ax = get_ax(ax)
    if not results:
        raise ValueError("need at least one result")
    r0 = results[0]
    cols = PALETTE
    styles = ["-", "-.", (0, (5, 1)), (0, (1, 1))]
    t = np.arange(r0.steps + 1)
    for j, res in enumerate(results):
        for i, k in enumerate(res.ks):
            ax.plot(t, np.abs(res.amplitude[i]), linestyle=styles[j % len(styles)], color=cols[i % len(cols)],
                    alpha=0.85, label=f"k = {k}" if j == len(results) - 1 else None)
    if kernel:
        for i, lam in enumerate(r0.lam):
            ax.plot(t, np.abs(1 - r0.eta * lam) ** t, "--", color="k", lw=0.8,
                    label="linearised model" if i == 0 else None)
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 1.5)
    widths = ", ".join(str(r.width) for r in results)
    label(ax, "gradient-descent step t", r"residual $|r_k(t)/r_k(0)|$", f"widths {widths} (line styles in that order)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


# --------------------------------------------------------------------------- widget
def spectrum_explorer(*, kmax: int = 200, n_nodes: int = 3000):
    """An ``ipywidgets`` panel over :func:`plot_spectrum_decay`: choose the activation, depth, bias and d.

    Needs a live kernel. It draws only when a control changes (:func:`lofi_utils.plotting.control_panel`;
    the static figure of the chapter is the same function with fixed arguments), so creating it costs
    nothing when the chapter is executed without a front end. Returns a ``VBox`` of the four controls and
    the output area.
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
