"""Chapter 1's figures: every function draws on the axes it is given (or new ones) and returns them."""

import pytest
from sines_testing import TINY, TINY_FOURIER_FEATURES, one_thread  # noqa: F401  (one_thread: an autouse fixture)

from lofi_utils.chapters.spectral_bias import figures
from lofi_utils.chapters.spectral_bias.activation_comparison import compare_activations
from lofi_utils.chapters.spectral_bias.circle_networks import train_circle_modes
from lofi_utils.chapters.spectral_bias.fourier_feature_fits import train_fourier_features
from lofi_utils.chapters.spectral_bias.ntk_width import ntk_width_sweep
from lofi_utils.spectral1d import summarize_learning_times
from lofi_utils.training1d import train_sum_of_sines


def test_sum_of_sines_plots_return_axes():
    run = train_sum_of_sines(seed=0, **TINY)
    ax = figures.plot_amplitude_heatmap([run, train_sum_of_sines(seed=1, **TINY)])
    assert ax.get_xlabel() == "frequency $k$" and ax.get_ylabel() == "training iteration"
    assert ax.get_title() == "spectrum of the fit (relu, mean of 2 runs)"  # plain_relu is labelled relu
    ax2 = figures.plot_fit_snapshots(run, n_snapshots=3)
    assert len(ax2.get_lines()) >= 2
    ax3 = figures.plot_learning_times(summarize_learning_times([run], threshold=0.05))
    assert ax3.get_yscale() == "log"
    with pytest.raises(ValueError, match="ActivationComparison"):
        figures.plot_learning_times([run])


def test_learning_times_per_activation():
    kw = {k: v for k, v in TINY.items() if k != "progress"}
    cmp = compare_activations(("plain_relu", "tanh"), run_seeds=(0, 1), progress=False, **kw)
    ax = figures.plot_learning_times(cmp)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["relu", "tanh"]


def test_sphere_figures_return_axes():
    ax = figures.plot_spectrum_decay((2, 3), depth=2, kmax=40, n_nodes=800)
    assert len(ax.get_lines()) >= 4 and ax.get_xscale() == "log"
    ax = figures.plot_activation_spectra(("relu", "erf"), bias=1.0, kmax=10, n_nodes=400)
    assert len(ax.get_lines()) == 2
    ax = figures.plot_harmonic_shares(3, 6)
    assert len(ax.patches) == 2 * 7
    sw = ntk_width_sweep(2, 2, 20, [16, 32], seeds=1)
    assert figures.plot_ntk_vs_empirical(sw).get_xlabel()
    assert figures.plot_width_errors(sw).get_yscale() == "log"
    with pytest.raises(ValueError, match="dimension"):
        figures.plot_spectrum_decay(())


def test_circle_and_fourier_feature_figures():
    res = [train_circle_modes(w, [1, 2], eta=0.5, steps=10, n_points=16) for w in (16, 32)]
    ax = figures.plot_circle_modes(res)
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2 * 2 + 2
    with pytest.raises(ValueError, match="at least one"):
        figures.plot_circle_modes([])
    ff = train_fourier_features(**TINY_FOURIER_FEATURES)
    axs = figures.plot_fourier_feature_errors(ff)
    assert len(axs) == 2
    figures.plot_fourier_feature_fits(ff, variants=[None])
