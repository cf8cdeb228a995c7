"""Mathematical facts of lofi_utils.kernels (dual activations, NNGP/NTK recursions, spectra).

(The Hermite coefficients and Mehler series are pinned in tests/test_hermite.py.)"""

import math

import numpy as np
import pytest

from lofi_utils import activations as Act
from lofi_utils import hermite as H
from lofi_utils import kernels as K
from lofi_utils.sphere import funk_hecke, funk_hecke_from_series
from lofi_utils.stats import fit_power_law


def arccos1(t):
    th = np.arccos(np.clip(t, -1, 1))
    return (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi


# --------------------------------------------------------------------------- activations
def test_activations_are_the_registrys():
    """The kernels are computed for the very functions the networks apply (lofi_utils.activations)."""
    assert K.ACTIVATIONS == Act.names(kernel=True) == ("relu", "erf", "tanh")
    assert K.ERF_SCALE == Act.ERF_SCALE
    for name in K.ACTIVATIONS:
        sigma, sigma_prime = K.activation_fn(name)
        assert sigma is Act.get(name).numpy and sigma_prime is Act.get(name).numpy_prime
    with pytest.raises(ValueError, match="relu, erf, tanh"):
        K.activation_fn("sin")


# --------------------------------------------------------------------------- dual activations
@pytest.mark.parametrize("q", [0.4, 1.0, 2.5])
def test_erf_closed_form_matches_gauss_hermite(q):
    c = np.linspace(-q, q, 25)
    s, ds = K.activation_fn("erf")
    V, Vd = K.dual_activation("erf", q, c)
    Vq, Vdq = K.dual_activation_quadrature(s, ds, q, c, n_nodes=200)
    assert np.abs(V - Vq).max() < 1e-10 and np.abs(Vd - Vdq).max() < 1e-10
    assert math.isclose(K.diagonal_map("erf", q), float(K.dual_activation("erf", q, q)[0]), rel_tol=1e-14)


@pytest.mark.parametrize("q", [0.5, 1.0, 2.0])
def test_tanh_mehler_series_matches_gauss_hermite(q):
    # GH converges slowly for tanh (poles at +-i pi/(2 sqrt q)); 300 nodes per dimension are ~1e-13 here
    c = np.linspace(-q, q, 41)
    s, ds = K.activation_fn("tanh")
    V, Vd = K.dual_activation("tanh", q, c)
    Vq, Vdq = K.dual_activation_quadrature(s, ds, q, c, n_nodes=300)
    assert np.abs(V - Vq).max() < 1e-12 and np.abs(Vd - Vdq).max() < 1e-11
    assert math.isclose(K.diagonal_map("tanh", q), float(Vq[-1]), rel_tol=1e-12)
    # and the independent 1-D Gauss-Hermite Hermite coefficients
    a = H.hermite_coeffs(lambda z: np.tanh(math.sqrt(q) * z), 200, n_nodes=350)
    assert np.abs(V - H.dual_series(a**2, c / q)).max() < 1e-10


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_dual_derivative_is_dV_dc(act):
    # Price's theorem: d/dc E[s(u)s(v)] = E[s'(u)s'(v)] at fixed q
    q, h = 1.3, 1e-5
    c = np.linspace(-0.8, 0.8, 9) * q
    fd = (K.dual_activation(act, q, c + h)[0] - K.dual_activation(act, q, c - h)[0]) / (2 * h)
    assert np.abs(fd - K.dual_activation(act, q, c)[1]).max() < 1e-7


# --------------------------------------------------------------------------- layer kernels
@pytest.mark.parametrize("act", K.ACTIVATIONS)
@pytest.mark.parametrize("bias", [0.0, 0.1, 1.0])
def test_layer_sum_equals_standard_ntk_recursion(act, bias):
    t = np.linspace(-1, 1, 201)
    for L in (1, 2, 5):
        lk = K.layer_kernels(t, depth=L, activation=act, bias=bias)
        ref = K.ntk(t, depth=L, activation=act, bias=bias)
        assert np.abs(lk.theta_layers.sum(0) - ref).max() < 1e-12 * max(1.0, np.abs(ref).max())
        assert np.allclose(lk.theta_layers[-1], lk.sigma[-1])
        assert np.allclose(lk.nngp, K.nngp(t, depth=L, activation=act, bias=bias))
        assert np.allclose(lk.sigma[:, -1], lk.q, rtol=1e-12)  # t = 1 is the diagonal
        assert np.all(np.isnan(lk.sigma_dot[0]))
    assert np.allclose(K.ntk(t, depth=1, activation=act, bias=bias), t + bias**2)


def test_relu_bias_free_diagonal_is_one_and_known_values():
    lk = K.layer_kernels(np.array([1.0, 0.0]), depth=4)
    assert np.allclose(lk.q, 1.0)
    # two layers, t = 0: Theta = 0 * 1/2 + 1/pi
    assert math.isclose(K.ntk(0.0, depth=2), 1 / np.pi, rel_tol=1e-14)
    # diagonal of the L-layer bias-free ReLU NTK is L
    assert math.isclose(K.ntk(1.0, depth=4), 4.0, rel_tol=1e-14)


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_layer_ntk_is_nngp_times_sensitivity(act):
    """Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l) (beta = 0), derivative by central differences."""
    L, h = 4, 1e-6
    t = np.linspace(-0.9, 0.9, 13)
    lk = K.layer_kernels(t, depth=L, activation=act)

    def propagate(c, start):  # Sigma^(start+1) = c  ->  Sigma^(L), diagonals held fixed
        for m in range(start, L - 1):
            c = K.dual_activation(act, lk.q[m], c)[0]
        return c

    for l in range(L):
        dsig = (propagate(lk.sigma[l] + h, l) - propagate(lk.sigma[l] - h, l)) / (2 * h)
        assert np.abs(lk.sigma[l] * dsig - lk.theta_layers[l]).max() < 1e-7


# --------------------------------------------------------------------------- spectra
@pytest.mark.parametrize("d", [2, 3, 5])
def test_bias_free_two_layer_relu_has_no_odd_eigenvalues_beyond_one(d):
    mu = K.ntk_spectrum(d, 9, depth=2)
    assert mu[1] > 0.05 and np.abs(mu[[3, 5, 7]]).max() < 1e-11
    assert np.all(mu[[0, 2, 4, 6, 8]] > 1e-6)


@pytest.mark.parametrize("d", [2, 3])
def test_relu_ntk_eigendecay_slope_is_minus_d(d):
    k = np.arange(40, 201, 2)
    for L in (2, 4):
        mu = K.ntk_spectrum(d, 200, depth=L)
        slope, _ = fit_power_law(k, mu[k])
        assert abs(slope + d) < 0.1
    # the NNGP / readout term decays like k^-(d+2)
    nn = K.nngp_spectrum(d, 200, depth=2)
    assert abs(fit_power_law(k, nn[k])[0] + d + 2) < 0.1


@pytest.mark.parametrize("act", ["erf", "tanh"])
def test_odd_activations_without_bias_have_only_odd_eigenvalues(act):
    mu = K.ntk_spectrum(3, 8, depth=3, activation=act, n_nodes=600)
    assert np.abs(mu[0::2]).max() < 1e-13 * mu[1]
    assert np.all(mu[1::2] > 0)


def test_per_layer_spectra_sum_positive_and_match_series():
    per = K.ntk_spectrum(10, 12, depth=4, per_layer=True)
    assert per.shape == (4, 13)
    assert np.allclose(per.sum(0), K.ntk_spectrum(10, 12, depth=4), rtol=1e-13, atol=1e-17)
    assert per.min() > -1e-15
    # 2-layer ReLU NTK = sum_n (n+1) a_n^2 t^n: the Hermite/power-series route gives the same mu_k
    a2 = H.relu_hermite_coeffs(400)
    b = (np.arange(a2.size) + 1) * a2
    mu_series = funk_hecke_from_series(b, 10, 8)
    assert np.abs(mu_series - K.ntk_spectrum(10, 8, depth=2)).max() < 1e-10
    # and the spectrum of the closed-form kernel
    ntk2 = lambda t: t * (np.pi - np.arccos(t)) / np.pi + arccos1(t)  # noqa: E731
    assert np.abs(funk_hecke(ntk2, 10, 8) - K.ntk_spectrum(10, 8, depth=2)).max() < 1e-15


def test_validation_errors():
    with pytest.raises(ValueError, match="relu, erf, tanh"):
        K.layer_kernels(0.3, depth=2, activation="gelu")
    with pytest.raises(ValueError, match="depth"):
        K.ntk(0.3, depth=0)
    with pytest.raises(ValueError, match="bias"):
        K.ntk(0.3, depth=2, bias=-1)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        K.ntk(1.5, depth=2)
    with pytest.raises(ValueError, match="q"):
        K.dual_activation("relu", 0.0, 0.1)


# --------------------------------------------------------------------------- bad input: one clear line
BAD_INPUTS = [
    (
        lambda: K.dual_activation("relu", 1.0, float("nan")),
        r"covariances c must be finite with \|c\| <= q = 1 .*got nan",
    ),
    (
        lambda: K.ntk(np.array([0.5]), depth=3, bias=1e200),
        r"bias \(the scale beta of the biases\) must be a number in \[0, 10000\], got 1e\+200",
    ),
    (lambda: K.ntk(0.5, depth=2, bias=True), r"bias .* must be a number in \[0, 10000\], got True"),
    (lambda: K.diagonal_map("relu", -1.0), r"the diagonal q must be a finite number > 0, got -1\.0"),
    (lambda: K.diagonal_map("erf", float("nan")), "the diagonal q must be a finite number > 0, got nan"),
    (lambda: K.dual_activation("tanh", float("inf"), 0.5), "the diagonal q must be a finite number > 0, got inf"),
    (lambda: K.dual_activation_quadrature(np.tanh, np.cosh, 1.0, 3.0), r"\|c\| <= q = 1 .*got 3\.0"),
    (lambda: K.dual_activation_quadrature(np.tanh, np.cosh, 1.0, 0.5, n_nodes=0), "n_nodes must be an integer >= 1"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_largest_accepted_bias_still_gives_a_finite_kernel():
    assert np.all(np.isfinite(K.ntk(np.array([-1.0, 0.0, 1.0]), depth=4, bias=K.MAX_BIAS)))
