"""Per-frequency training dynamics in the kernel regime (exact), on eigenvalues and on the circle's Gram matrix."""

import math

import numpy as np
import torch
from scipy.special import iv

from lofi_utils import dynamics as D
from lofi_utils.kernels import ntk
from lofi_utils.sphere import circle_points, funk_hecke

torch.set_num_threads(1)


def test_mode_decay_closed_form_equals_simulation():
    mu = np.array([3.0, 0.8, 0.1, 0.02, 1e-3, 0.0])
    eta = 0.5
    closed = D.kernel_mode_decay(mu, eta, 400)
    sim = D.simulate_mode_decay(mu, eta, 400)
    assert closed.shape == (401, 6)
    assert np.allclose(closed, sim, rtol=1e-10, atol=1e-300)
    assert np.allclose(closed[:, -1], 1.0)  # a zero eigenvalue is never learned


def test_time_to_fraction_closed_equals_simulated():
    rng = np.random.default_rng(0)
    mu = np.concatenate([10 ** rng.uniform(-3.5, 0.2, 40), [3.9, 4.2, 0.0]])  # incl. oscillating and unstable
    eta = 0.5
    closed = D.time_to_fraction(mu, eta, frac=0.05)
    sim = D.time_to_fraction(mu, eta, frac=0.05, method="simulate")
    assert np.array_equal(closed, sim)
    assert np.isinf(closed[-1]) and np.isinf(closed[-2])  # eta mu = 0 and eta mu > 2
    # t ~ log(1/frac) / (eta mu) for small eta mu
    small = (mu < 1e-2) & (mu > 0)
    assert np.allclose(closed[small] * eta * mu[small], math.log(20), rtol=0.05)
    # exact integer boundary: (1 - 0.5)^2 = 0.25
    assert D.time_to_fraction(1.0, 0.5, frac=0.25) == 2.0


def test_kernel_gd_on_circle_is_exactly_modewise():
    """On an equispaced grid the kernel matrix is circulant: cos(k theta) decays as (1 - eta lambda_k)^t."""
    n, eta, steps = 64, 0.5, 200
    theta, x = circle_points(n, radius=math.sqrt(2))
    kern = lambda t: ntk(t, depth=2, bias=1.0)  # noqa: E731
    G = kern(np.clip(x @ x.T / 2, -1, 1))
    lam = D.circle_kernel_eigenvalues(kern(np.cos(theta)))
    ks = np.array([1, 2, 5, 9])
    y = np.cos(np.outer(theta, ks))
    res = D.kernel_gd(G, y, eta=eta, steps=steps)  # (steps+1, n, K)
    coef = D.cosine_coefficients(np.moveaxis(res, 1, 2), ks)  # (steps+1, K, K)
    amp = -np.diagonal(coef, axis1=1, axis2=2)
    assert np.allclose(amp, D.kernel_mode_decay(lam[ks], eta, steps), atol=1e-12)
    # no leakage into other modes
    off = coef - np.einsum("tk,kj->tkj", -amp, np.eye(4))
    assert np.abs(off).max() < 1e-12
    assert np.all(lam[ks] > funk_hecke(kern, 2, 9)[ks])  # aliasing only adds (mu >= 0)


def test_grid_eigenvalues_are_aliased_mercer_eigenvalues():
    # kappa = exp(t) on S^1 has mu_k = I_k(1); on n points lambda_k = sum_{m = +-k mod n} mu_|m|
    n = 6
    theta, _ = circle_points(n)
    lam = D.circle_kernel_eigenvalues(np.exp(np.cos(theta)))
    m = np.arange(-60, 61)
    ref = [iv(np.abs(m[(m - k) % n == 0]), 1.0).sum() for k in range(n // 2 + 1)]
    assert np.allclose(lam, ref, rtol=1e-13)


def test_cosine_coefficients_and_rate_fit():
    theta, _ = circle_points(32)
    r = 0.7 * np.cos(3 * theta) - 0.2 * np.cos(5 * theta) + 0.1 * np.sin(3 * theta) + 0.4
    assert np.allclose(D.cosine_coefficients(r, [0, 3, 5, 7]), [0.4, 0.7, -0.2, 0.0], atol=1e-14)
    a = D.kernel_mode_decay(0.013, 1.0, 500)
    assert math.isclose(D.fit_decay_rate(a), 0.013, rel_tol=1e-10)


def test_gram_gd_follows_the_eigenvalue_prediction():
    # exact on the circulant Gram matrix (the computation of the chapter's section 5) ...
    theta, _ = circle_points(32, radius=math.sqrt(2.0))
    gram = ntk(np.cos(theta[:, None] - theta), depth=2, bias=1.0)
    lam = D.circle_kernel_eigenvalues(gram[0])
    res = D.kernel_gd(gram, np.cos(3 * theta), eta=0.5, steps=50)
    amp = D.cosine_coefficients(res, [3])[:, 0]
    assert np.max(np.abs(amp / amp[0] - (1 - 0.5 * lam[3]) ** np.arange(51))) < 1e-12
    # ... and the comparison is sensitive: a wrong step size in the prediction would show
    assert abs((1 - 0.5 * lam[3]) ** 50 - (1 - 0.55 * lam[3]) ** 50) > 1e-3
