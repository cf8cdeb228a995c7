"""What the figures of chapters 1 and 2 promise a reader at the column width: an informative iteration axis,
visible guides, legends that name what is drawn and cover no curve, and no figure wider than the column."""

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from sines_testing import TINY, TINY_FOURIER_FEATURES, one_thread  # noqa: F401  (one_thread: an autouse fixture)

from lofi_utils import attribution as AT
from lofi_utils import kernels as K
from lofi_utils import sphere as S
from lofi_utils.chapters.layerwise import figures as lw
from lofi_utils.chapters.layerwise import finite_width
from lofi_utils.chapters.spectral_bias import figures as sb
from lofi_utils.chapters.spectral_bias.circle_networks import train_circle_modes
from lofi_utils.chapters.spectral_bias.fourier_feature_fits import train_fourier_features
from lofi_utils.chapters.spectral_bias.ntk_width import ntk_width_sweep
from lofi_utils.ntk import MLP
from lofi_utils.plotting import COLUMN_WIDTH, subplots
from lofi_utils.training1d import train_sum_of_sines


def _legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


# --------------------------------------------------------------------------- chapter 1
def test_amplitude_heatmap_iterations_on_a_log_scale():
    run = train_sum_of_sines(seed=0, **TINY)
    ax = sb.plot_amplitude_heatmap(run)
    assert ax.get_yscale() == "log"
    lo, hi = ax.get_ylim()
    first = run.steps[run.steps > 0][0]
    assert 0 < lo < first and hi > run.steps[-1]  # every record after iteration 0 has its row
    assert sb.plot_amplitude_heatmap(run, log_steps=False).get_yscale() == "linear"


def test_fit_snapshot_legend_is_outside_the_curves():
    ax = sb.plot_fit_snapshots(train_sum_of_sines(seed=0, **TINY), n_snapshots=2)
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1


def test_decay_guides_are_visible_and_named():
    ax = sb.plot_spectrum_decay((3,), depth=2, kmax=40, nngp=False, n_nodes=800)
    mu = K.ntk_spectrum(3, 40, depth=2, n_nodes=800)
    guides = [line for line in ax.get_lines() if line.get_linestyle() == "--" and line.get_xdata().size]
    assert len(guides) == 1
    k = np.asarray(guides[0].get_xdata())
    # parallel to the curve (slope -d), shifted off it, so it does not hide under the NTK line
    assert np.allclose(guides[0].get_ydata() / mu[k], 4.0, rtol=0.3)
    assert any("k^{-d}" in t for t in _legend_texts(ax.get_legend()))
    ax = sb.plot_spectrum_decay((3,), depth=2, kmax=40, activation="erf", nngp=False, n_nodes=800)
    assert not any("k^{-d}" in t for t in _legend_texts(ax.get_legend()))  # no guide drawn, none listed


def test_circle_modes_legend_names_frequencies_and_widths():
    res = [train_circle_modes(w, [1, 2], eta=0.5, steps=10, n_points=16) for w in (16, 32)]
    ax = sb.plot_circle_modes(res)
    assert _legend_texts(ax.get_legend()) == ["k = 1", "k = 2", "width 16", "width 32", "linearised model"]


def test_width_axis_is_ticked_at_the_widths():
    sw = ntk_width_sweep(2, 2, 20, [16, 32, 64], seeds=1)
    ax = sb.plot_width_errors(sw)
    ax.figure.canvas.draw()
    assert [int(t) for t in ax.get_xticks()] == [16, 32, 64]
    assert all(t.get_text() == "" for t in ax.get_xticklabels(minor=True))


def test_fourier_feature_figures_fit_the_column():
    ff = train_fourier_features(**TINY_FOURIER_FEATURES)
    axs = sb.plot_fourier_feature_errors(ff)
    fig = axs[0].figure
    assert fig.get_figwidth() <= COLUMN_WIDTH
    assert all(a.get_legend() is None for a in axs) and _legend_texts(fig.legends[0]) == list(ff.labels)
    _, given = plt.subplots(1, 2)
    sb.plot_fourier_feature_errors(ff, ax=given)
    assert given[-1].get_legend() is not None  # on axes the caller owns, the legend stays on the last one
    ax = sb.plot_fourier_feature_fits(ff)
    assert ax.figure.get_figwidth() <= COLUMN_WIDTH


# --------------------------------------------------------------------------- chapter 2
def test_shared_legend_replaces_the_panel_legends():
    fig, axs = subplots(1, 2, width=3.4, height=3.0)
    lw.plot_layer_kernels(3, ax=axs[0, 0], title="relu")
    lw.plot_layer_shares(5, depth=3, kmax=6, ax=axs[0, 1], title="relu")
    assert axs[0, 0].get_title() == "relu"
    legend = lw.shared_legend(fig, ncol=6)  # one row: the layers, then the markers
    assert all(a.get_legend() is None for a in axs[0])
    texts = _legend_texts(legend)
    assert texts[:3] == ["layer 1", "layer 2", "readout"] and len(texts) == len(set(texts))
    assert {"even k", "odd k"} <= set(texts)  # the markers of the shares panel are explained


def test_attribution_legend_names_the_bars():
    d = 3
    rng = np.random.default_rng(3)
    x = S.sample_sphere(40, d, radius=math.sqrt(d), rng=rng)
    comp = AT.compare_attribution(
        MLP(d, 16, 2, seed=0, dtype=torch.float64), x, rng.standard_normal(40), 25, eta=0.1, steps=2, label="one"
    )
    ax = lw.plot_attribution([comp])
    assert {"layer 1", "readout", "network", "initial kernel"} <= set(_legend_texts(ax.get_legend()))
    ax = lw.plot_contributions(comp.network)
    assert ax.get_legend()._loc == 2  # upper left, where the rising curves are not yet


def test_layer_width_axis_and_the_high_dim_figure():
    sweep = finite_width.layer_width_sweep(3, 3, 30, [16, 32, 64], seeds=1)
    ax = lw.plot_layer_width_errors(sweep)
    assert [int(t) for t in ax.get_xticks()] == [16, 32, 64]
    ax = lw.plot_high_dim(3, [1, 2], [10, 50])
    assert ax.figure.get_figwidth() <= COLUMN_WIDTH
