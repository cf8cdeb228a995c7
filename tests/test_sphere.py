"""Mathematical facts of lofi_utils.sphere: multiplicities, Gegenbauer polynomials, Funk--Hecke."""

import math

import numpy as np
import pytest
from scipy.special import eval_gegenbauer, eval_legendre, iv

from lofi_utils import sphere as S


def relu_ntk2(t):
    """Two-layer bias-free ReLU NTK, closed form: t k0(t) + k1(t) (arc-cosine kernels)."""
    th = np.arccos(np.clip(t, -1, 1))
    return t * (np.pi - th) / np.pi + (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi


def test_harmonic_dimension_closed_values():
    k = np.arange(0, 30)
    assert np.array_equal(S.harmonic_dimension(3, k), 2 * k + 1)
    assert np.array_equal(S.harmonic_dimension(2, k), np.where(k == 0, 1, 2))
    assert S.harmonic_dimension(7, 0) == 1.0
    # exact integers against math.comb for moderate sizes
    for d, kk in [(4, 5), (10, 7), (25, 12)]:
        exact = (2 * kk + d - 2) * math.comb(kk + d - 3, kk - 1) // kk
        assert S.harmonic_dimension(d, kk) == exact


@pytest.mark.parametrize("d", [2, 3, 4, 7])
def test_harmonic_dimensions_sum_to_polynomial_dimension(d):
    # polynomials of degree <= K restricted to S^{d-1} = homogeneous of degree K and K-1 (x.x = 1)
    for K in range(0, 12):
        dim = math.comb(K + d - 1, d - 1) + (math.comb(K + d - 2, d - 1) if K >= 1 else 0)
        assert S.harmonic_dimension(d, np.arange(K + 1)).sum() == dim


def test_harmonic_dimension_large_is_finite_and_log_consistent():
    n = S.harmonic_dimension(200, 200)
    assert np.isfinite(n) and 1e117 < n < 1e119
    assert math.isclose(math.log(n), float(S.log_harmonic_dimension(200, 200)), rel_tol=1e-12)
    with pytest.warns(RuntimeWarning):
        assert np.isinf(S.harmonic_dimension(2000, 2000))


def test_gegenbauer_special_cases_and_scipy():
    t = np.linspace(-1, 1, 41)
    for k in range(0, 12):
        assert np.allclose(S.gegenbauer(k, 2, t), np.cos(k * np.arccos(t)), atol=1e-13)
        assert np.allclose(S.gegenbauer(k, 3, t), eval_legendre(k, t), atol=1e-13)
        for d in (5, 10):
            lam = (d - 2) / 2
            ref = eval_gegenbauer(k, lam, t) / eval_gegenbauer(k, lam, 1.0)
            assert np.allclose(S.gegenbauer(k, d, t), ref, atol=1e-12)
    assert np.allclose(S.gegenbauer_table(50, 6, np.array([1.0])), 1.0)


@pytest.mark.parametrize("d", [2, 3, 5, 12])
def test_gegenbauer_orthogonality_under_sphere_measure(d):
    # int P_j P_k dsigma = delta_jk / N(d, k): the Funk-Hecke coefficients of P_j are delta_jk / N(d, j)
    kmax = 20
    G = np.stack([S.funk_hecke(lambda t, j=j: S.gegenbauer(j, d, t), d, kmax, n_nodes=400) for j in range(kmax + 1)])
    expected = np.diag(1.0 / S.harmonic_dimension(d, np.arange(kmax + 1)))
    assert np.abs(G - expected).max() < 1e-13


@pytest.mark.parametrize("d", [2, 3, 5, 50])
def test_funk_hecke_constant_kernel_and_second_moment(d):
    mu = S.funk_hecke(lambda t: np.ones_like(t), d, 10)
    assert abs(mu[0] - 1) < 1e-13 and np.abs(mu[1:]).max() < 1e-13
    # E[t^2] = 1/d for t = <x, e> under the uniform measure
    assert abs(S.funk_hecke(lambda t: t**2, d, 0)[0] - 1 / d) < 1e-14


def test_funk_hecke_exponential_kernel_bessel_closed_forms():
    # quadrature accuracy is absolute, ~1e-15 * max|kappa| (rounding of cos(k theta)); hence atol
    k = np.arange(0, 15)
    # d = 2: (1/pi) int_0^pi e^{cos th} cos(k th) dth = I_k(1)
    assert np.allclose(S.funk_hecke(np.exp, 2, 14, n_nodes=200), iv(k, 1.0), rtol=1e-12, atol=5e-15)
    # d = 3: (1/2) int e^t P_k(t) dt = i_k(1) = sqrt(pi/2) I_{k+1/2}(1)
    ref = math.sqrt(math.pi / 2) * iv(k + 0.5, 1.0)
    assert np.allclose(S.funk_hecke(np.exp, 3, 14, n_nodes=200), ref, rtol=1e-12, atol=5e-15)


@pytest.mark.parametrize("d,kmax", [(3, 400), (5, 200), (10, 200)])
def test_funk_hecke_reconstructs_relu_ntk(d, kmax):
    # truncation error of the Mercer series ~ kmax^-(d-1)/2 (ReLU: mu_k ~ k^-d)
    t = np.array([-0.9, -0.5, 0.0, 0.3, 0.7, 0.9])
    mu = S.funk_hecke(relu_ntk2, d, kmax)
    assert np.abs(S.reconstruct_kernel(mu, d, t) - relu_ntk2(t)).max() < 1e-6


def test_funk_hecke_reconstruction_on_the_circle_converges():
    # d = 2: kappa = mu_0 + 2 sum mu_k cos(k th); the k^-2 tail needs more terms
    t = np.array([-0.5, 0.0, 0.3, 0.7])
    mu = S.funk_hecke(relu_ntk2, 2, 400)
    assert np.abs(S.reconstruct_kernel(mu, 2, t) - relu_ntk2(t)).max() < 1e-5


@pytest.mark.parametrize("n,k,d", [(4, 2, 3), (6, 0, 5), (7, 3, 10), (2, 2, 2), (12, 4, 7), (30, 10, 3)])
def test_series_moment_equals_quadrature(n, k, d):
    quad = S.funk_hecke(lambda t: t**n, d, k, n_nodes=200)[k]
    assert abs(S.series_moment(n, k, d) - quad) < 1e-10 * max(1.0, abs(quad))


def test_series_moment_zero_pattern_and_route():
    assert S.series_moment(5, 2, 4) == 0.0 and S.series_moment(2, 4, 4) == 0.0
    # d = 2: m(n, k, 2) = 2^-n C(n, (n-k)/2)
    assert math.isclose(S.series_moment(8, 2, 2), math.comb(8, 3) / 2**8, rel_tol=1e-13)
    b = 1.0 / np.array([math.factorial(n) for n in range(40)])  # e^t
    for d in (2, 3, 6):
        assert np.allclose(
            S.funk_hecke_from_series(b, d, 12), S.funk_hecke(np.exp, d, 12, n_nodes=200), rtol=1e-11, atol=5e-15
        )


def test_funk_hecke_pieces_are_the_funk_hecke_formula():
    assert S.sphere_constant(2) == pytest.approx(1 / math.pi) and S.sphere_constant(3) == pytest.approx(0.5)
    theta, w = S.theta_nodes(600)
    for d in (2, 3, 7):
        weights = S.funk_hecke_weights(d, theta, w)
        assert weights.sum() == pytest.approx(1.0, rel=1e-13)  # a probability measure in t = cos(theta)
        vals = np.stack([np.exp(np.cos(theta)), relu_ntk2(np.cos(theta))])
        assert np.allclose(
            S.funk_hecke_values(vals, np.cos(theta), theta, w, d, 6),
            [S.funk_hecke(np.exp, d, 6, n_nodes=600), S.funk_hecke(relu_ntk2, d, 6, n_nodes=600)],
            rtol=1e-13,
            atol=1e-15,
        )


@pytest.mark.parametrize("d,k", [(2, 3), (3, 2), (5, 1), (5, 4)])
def test_zonal_target_is_a_unit_variance_harmonic(d, k):
    e = np.zeros(d)
    e[0] = 3.0  # any length
    theta, w = S.theta_nodes(400)
    x = np.zeros((theta.size, d))
    x[:, 0], x[:, 1] = np.cos(theta), np.sin(theta)  # the zonal function depends on x.e only
    y = S.zonal_target(2.0 * x, k, e)
    assert S.funk_hecke_weights(d, theta, w) @ y**2 == pytest.approx(1.0, rel=1e-12)
    assert np.allclose(y, math.sqrt(S.harmonic_dimension(d, k)) * S.gegenbauer(k, d, np.cos(theta)))
    with pytest.raises(ValueError, match="e"):
        S.zonal_target(x, k, e[:-1])


def test_sampling_and_circle_points():
    rng = np.random.default_rng(0)
    x = S.sample_sphere(4000, 5, radius=2.0, rng=rng)
    assert x.shape == (4000, 5)
    assert np.allclose(np.linalg.norm(x, axis=1), 2.0)
    # E[(x.e/|x|)^2] = 1/d, within 4 standard errors
    t2 = (x[:, 0] / 2) ** 2
    assert abs(t2.mean() - 0.2) < 4 * t2.std() / math.sqrt(t2.size)
    theta, p = S.circle_points(8, radius=math.sqrt(2))
    assert np.allclose(theta, np.arange(8) * np.pi / 4)
    assert np.allclose((p**2).sum(1), 2.0)


def test_validation_errors():
    with pytest.raises(ValueError, match="d"):
        S.harmonic_dimension(1, 3)
    with pytest.raises(ValueError, match=">= 0"):
        S.harmonic_dimension(3, -1)
    with pytest.raises(ValueError, match="Generator"):
        S.sample_sphere(3, 3, rng=0)
    with pytest.raises(ValueError, match="shape"):
        S.funk_hecke(lambda t: np.ones(3), 3, 4)
