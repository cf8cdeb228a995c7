"""Chapter-level sphere experiments: width sweep of the empirical NTK, decay fits, figures, widget."""

import numpy as np
import pytest
from scipy.special import iv

from lofi_utils import kernels, spectra, sphere


def test_width_sweep_error_shrinks_like_inverse_sqrt_width():
    sw = spectra.ntk_width_sweep(3, 2, 60, [64, 4096], seeds=3, seed=1)
    assert sw.errors.shape == (2, 3)
    # 64x the width: the error should drop by about 8 (n^-1/2); accept 3..25 for 3 seeds
    drop = sw.mean_errors[0] / sw.mean_errors[1]
    assert 3 < drop < 25, drop
    assert -0.8 < sw.width_exponent() < -0.25
    # the analytic kernel is the NTK recursion at the sampled cosines, symmetric with diagonal Theta(1)
    assert np.allclose(sw.theta, sw.theta.T)
    assert np.allclose(np.diag(sw.theta), kernels.ntk(1.0, depth=2))


def test_width_sweep_rejects_bad_arguments():
    with pytest.raises(ValueError, match="widths"):
        spectra.ntk_width_sweep(3, 2, 10, [], seeds=1)
    with pytest.raises(ValueError, match="seeds"):
        spectra.ntk_width_sweep(3, 2, 10, [8], seeds=0)
    with pytest.raises(ValueError, match="n_points"):
        spectra.ntk_width_sweep(3, 2, 1, [8], seeds=1)


@pytest.mark.parametrize("d", [2, 3])
def test_decay_slopes_match_bietti_bach(d):
    r = spectra.decay_slopes(d, depth=3, kmin=40, kmax=200)
    assert abs(r["ntk"] + d) < 0.1
    assert abs(r["nngp"] + d + 2) < 0.15
    with pytest.raises(ValueError, match="kmin"):
        spectra.decay_slopes(d, kmin=50, kmax=20)


def test_exponential_rate_recovers_a_known_rate():
    k = np.arange(30)
    mu = 3.0 * np.exp(-0.7 * k)
    assert spectra.exponential_rate(mu, np.arange(5, 20)) == pytest.approx(0.7, abs=1e-12)


def test_harmonic_shares_sum_to_one_for_a_smooth_kernel():
    # exp(t) on the circle: mu_k = I_k(1), kappa(1) = e = I_0(1) + 2 sum_k I_k(1)
    mu = iv(np.arange(40), 1.0)
    shares = spectra.harmonic_shares(np.e, mu, 2)
    assert shares.sum() == pytest.approx(1.0, abs=1e-14)
    mu3 = sphere.funk_hecke(np.exp, 3, 40)
    assert spectra.harmonic_shares(np.e, mu3, 3).sum() == pytest.approx(1.0, abs=1e-12)


def test_figures_return_axes_and_widget_has_controls():
    import matplotlib.pyplot as plt

    ax = spectra.plot_spectrum_decay((2, 3), depth=2, kmax=40, n_nodes=800)
    assert len(ax.get_lines()) >= 4 and ax.get_xscale() == "log"
    ax = spectra.plot_activation_spectra(("relu", "erf"), bias=1.0, kmax=10, n_nodes=400)
    assert len(ax.get_lines()) == 2
    ax = spectra.plot_harmonic_shares(3, 6)
    assert len(ax.patches) == 2 * 7
    sw = spectra.ntk_width_sweep(2, 2, 20, [16, 32], seeds=1)
    assert spectra.plot_ntk_vs_empirical(sw).get_xlabel()
    assert spectra.plot_width_errors(sw).get_yscale() == "log"
    with pytest.raises(ValueError, match="dimension"):
        spectra.plot_spectrum_decay(())
    w = spectra.spectrum_explorer(kmax=20, n_nodes=200)
    names = {c.description for c in w.children if hasattr(c, "description")}
    assert {"activation", "depth L", "bias β", "dimension d"} <= names
    n_figs = len(plt.get_fignums())
    w.children[3].value = 4                      # a control change redraws the figure
    assert len(plt.get_fignums()) == n_figs + 1
    plt.close("all")
