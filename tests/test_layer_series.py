"""Mathematical facts of lofi_utils.layer_series: each layer's kernel as a power series in the cosine, by
composition of Hermite series and by a Cauchy integral, and the identities of the per-layer NTK.

(The per-layer kernels summing to the standard NTK recursion and Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l) without
bias are pinned in tests/test_kernels.py.)"""

import numpy as np
import pytest

from lofi_utils import hermite as H
from lofi_utils import kernels as K
from lofi_utils import layer_series as LS
from lofi_utils import layer_spectra as SP


# --------------------------------------------------------------------------- per-layer power series
@pytest.mark.parametrize("act", K.ACTIVATIONS)
@pytest.mark.parametrize("bias", [0.0, 0.3])
def test_layer_series_reproduce_the_closed_form_kernels(act, bias):
    L = 4
    ser = LS.layer_series(L, activation=act, bias=bias, nmax=300)
    t = np.linspace(-0.85, 0.85, 23)
    lk = K.layer_kernels(t, depth=L, activation=act, bias=bias)
    assert np.abs(ser.evaluate(t) - lk.theta_layers).max() < 1e-12
    # the per-layer series sum to the series of the standard NTK recursion
    assert np.abs(ser.evaluate(t).sum(0) - K.ntk(t, depth=L, activation=act, bias=bias)).max() < 1e-12
    # coefficients are non-negative; their sum approaches Theta_l(1) from below
    assert ser.theta.min() >= 0 and np.all(ser.tail > -1e-12)
    if act != "relu" and bias == 0:  # odd kernels: only odd powers
        assert np.all(ser.theta[:, 0::2] == 0)


def test_two_layer_relu_series_closed_form():
    """Theta_1 = t V'(t) and Theta_2 = V(t): b_n^(1) = n a_n^2, b_n^(2) = a_n^2; so b_k^(1)/sum_l b_k = k/(k+1)."""
    a2 = H.relu_hermite_coeffs(40)
    ser = LS.layer_series(2, nmax=40)
    assert np.allclose(ser.theta[0], np.arange(41) * a2, rtol=1e-13, atol=1e-17)
    assert np.allclose(ser.theta[1], a2, rtol=1e-13, atol=1e-17)
    k = np.array([1, 2, 4, 6, 8])
    assert np.allclose(SP.maclaurin_shares(2, 8)[0, k], k / (k + 1), rtol=1e-12)


@pytest.mark.parametrize("act,bias", [("relu", 0.0), ("relu", 0.1), ("erf", 0.0), ("tanh", 0.5)])
def test_cauchy_fft_coefficients_match_the_hermite_composition(act, bias):
    ser = LS.layer_series(5, activation=act, bias=bias, nmax=80).theta
    b, err = LS.layer_maclaurin(5, activation=act, bias=bias, nmax=1023, return_error=True)
    gap = np.abs(b[:, :81] - ser)
    assert np.all(gap <= err[:, :81])  # the stated bound holds
    big = ser > 1e-8  # the FFT error is absolute, ~1e-17
    assert (gap[big] / ser[big]).max() < 1e-8


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_layer_kernel_is_nngp_times_sensitivity_with_bias(act):
    t = np.linspace(-0.8, 0.8, 9)
    lk = K.layer_kernels(t, depth=4, activation=act, bias=0.5)
    for l in range(1, 5):
        sens = LS.nngp_sensitivity(t, depth=4, layer=l, activation=act, bias=0.5)
        assert np.abs(lk.sigma[l - 1] * sens - lk.theta_layers[l - 1]).max() < 1e-7


# --------------------------------------------------------------------------- identity gaps
def test_layer_identity_gaps_are_rounding_small_for_every_activation_and_bias():
    t = np.linspace(-0.9, 0.9, 41)
    sum_gap, sens_gap = LS.layer_identity_gaps(t, depth=3, biases=(0.0, 0.5))
    assert set(sum_gap) == set(sens_gap) == {(a, b) for a in K.ACTIVATIONS for b in (0.0, 0.5)}
    assert max(sum_gap.values()) < 1e-12  # sum_l Theta_l = the NTK recursion
    assert max(sens_gap.values()) < 1e-7  # Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l), central differences
    with pytest.raises(ValueError, match="cosines"):
        LS.layer_identity_gaps(np.array([0.2, 1.0]), depth=3)


@pytest.mark.parametrize("act", ["relu", "erf"])
def test_series_gap_at_t_equal_one_is_the_tail(act):
    """All coefficients are >= 0, so at t = 1 the truncation error is the neglected mass Theta_l(1) - sum b_j."""
    s = LS.layer_series(3, activation=act, nmax=12)
    assert LS.series_gap(s, np.array([1.0])) == pytest.approx(np.abs(s.tail).max(), rel=1e-9)
    assert LS.series_gap(LS.layer_series(3, activation=act, nmax=200), np.linspace(-0.5, 0.5, 21)) < 1e-13
    with pytest.raises(ValueError, match="LayerSeries"):
        LS.series_gap(s.theta, np.array([0.5]))


def test_validation_errors():
    with pytest.raises(ValueError, match="layer"):
        LS.nngp_sensitivity(np.array([0.1]), depth=3, layer=4)
