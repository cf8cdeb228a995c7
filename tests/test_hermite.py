"""Mathematical facts of lofi_utils.hermite: Hermite coefficients of the activations (closed forms and
quadrature), Mehler's series of their dual kernels, and the power-series helpers."""

import math

import numpy as np
import pytest

from lofi_utils import activations as A
from lofi_utils import hermite as H
from lofi_utils import kernels as K


def arccos1(t):
    th = np.arccos(np.clip(t, -1, 1))
    return (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi


# --------------------------------------------------------------------------- closed forms and quadrature
def test_relu_hermite_first_coefficients():
    a2 = H.relu_hermite_coeffs(8)
    ref = [1 / np.pi, 0.5, 1 / (2 * np.pi), 0, 1 / (24 * np.pi), 0, 9 / (720 * np.pi), 0, 225 / (40320 * np.pi)]
    assert np.allclose(a2, ref, rtol=1e-14, atol=0)


def test_relu_hermite_series_reproduces_arccos_kernel():
    rho = np.linspace(-0.9, 0.9, 37)
    a2 = H.relu_hermite_coeffs(300)
    assert np.abs(H.dual_series(a2, rho) - arccos1(rho)).max() < 1e-6
    # V' = E[sigma' sigma'] = (pi - arccos rho)/pi
    assert np.abs(H.dual_series_derivative(a2, rho) - (np.pi - np.arccos(rho)) / np.pi).max() < 1e-6
    # E[sigma^2] = sum a_n^2 = 1, approached like n^-3/2 from below
    s = H.relu_hermite_coeffs(20000).sum()
    assert 0.999 < s < 1.0


def test_hermite_coeffs_polynomial_and_erf():
    # sigma = He_3 / sqrt(3!) has a = e_3 exactly
    a = H.hermite_coeffs(lambda z: (z**3 - 3 * z) / math.sqrt(6), 6, n_nodes=20)
    assert np.allclose(a, np.eye(7)[3], atol=1e-14)
    # erf(z): only odd coefficients, sum of squares = E[erf(z)^2] = (2/pi) arcsin(2/3)
    s, _ = K.activation_fn("erf")
    a = H.hermite_coeffs(s, 120, n_nodes=200)
    assert np.abs(a[0::2]).max() < 1e-15
    rho = np.linspace(-1, 1, 21)
    V, _ = K.dual_activation("erf", 1.0, rho)
    assert np.abs(H.dual_series(a**2, rho) - V).max() < 1e-12


# --------------------------------------------------------------------------- at variance q (Mehler)
@pytest.mark.parametrize("q", [0.4, 1.0, 2.5])
def test_erf_closed_form_hermite_coefficients_match_quadrature(q):
    a = H.hermite_coeffs(lambda z: K.activation_fn("erf")[0](math.sqrt(q) * z), 60, n_nodes=200)
    assert np.abs(H.hermite_sq_coeffs("erf", q, 60) - a**2).max() < 1e-14


@pytest.mark.parametrize("act", K.ACTIVATIONS)
@pytest.mark.parametrize("q", [0.5, 1.0, 1.7])
def test_hermite_coefficients_rebuild_the_dual_activation(act, q):
    # Mehler: V(q, c) = sum_n a_n(q)^2 (c/q)^n; at c = q the sum is E[sigma(u)^2]
    nmax = 20000 if act == "relu" else 400
    a2 = H.hermite_sq_coeffs(act, q, nmax)
    assert a2.min() >= 0
    c = np.linspace(-0.9, 0.9, 19) * q
    assert np.abs(H.dual_series(a2, c / q) - K.dual_activation(act, q, c)[0]).max() < 1e-12
    # the sum converges like nmax^-1/2 for ReLU (a_n^2 ~ n^-5/2), geometrically otherwise
    assert abs(a2.sum() - K.diagonal_map(act, q)) < (2e-3 * q if act == "relu" else 1e-13)


# --------------------------------------------------------------------------- helpers and validation
def test_horner_evaluates_real_and_complex_polynomials():
    coef = np.array([1.0, -2.0, 0.5])
    z = np.array([0.3 + 0.4j, -1.0 + 0j])
    assert np.allclose(H.horner(coef, z), 1 - 2 * z + 0.5 * z**2, rtol=1e-15)
    x = np.linspace(-1, 1, 5)
    assert np.array_equal(H.horner(coef, x), H.dual_series(coef, x))  # dual_series is Horner on reals


def test_tanh_mehler_coefficients_parities_and_second_moment():
    a2, b2 = H.tanh_mehler_coeffs(1.0)
    assert a2.shape == b2.shape == (H.MEHLER_NMAX + 1,) and not a2.flags.writeable
    assert np.all(a2[0::2] == 0) and np.all(b2[1::2] == 0)  # tanh odd, sech^2 even
    assert H.tanh_mehler_coeffs(1.0)[0] is a2  # cached
    # sum a_n^2 = E[tanh(z)^2] and sum b_n^2 = E[sech(z)^4], by 1-D Gauss-Hermite (smooth integrands)
    z, w = np.polynomial.hermite_e.hermegauss(300)
    w = w / w.sum()
    assert a2.sum() == pytest.approx(w @ np.tanh(z) ** 2, rel=1e-12)
    assert b2.sum() == pytest.approx(w @ np.cosh(z) ** -4, rel=1e-12)


@pytest.mark.parametrize("name", A.names(kernel=True))
def test_hermite_sq_coeffs_agree_with_the_registry_records(name):
    """At q = 1 the coefficients are those of the registry's own function (Activation.hermite2)."""
    assert np.abs(H.hermite_sq_coeffs(name, 1.0, 60) - A.get(name).hermite2(60)).max() < 1e-12


def test_validation_errors():
    with pytest.raises(ValueError, match="q"):
        H.hermite_sq_coeffs("relu", 0.0, 3)
    with pytest.raises(ValueError, match="relu, erf, tanh"):
        H.hermite_sq_coeffs("gelu", 1.0, 3)
