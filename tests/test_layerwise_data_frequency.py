"""Frequencies on data defined without the kernel (lofi_utils.chapters.layerwise.data_frequency): planted
affine and nonlinear functions, the degree structure of the probes, planted per-layer Gram matrices, and the
rank correlation's interval."""

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lofi_utils import streams
from lofi_utils.chapters.layerwise import data_frequency as F
from lofi_utils.chapters.layerwise import figures as lw
from lofi_utils.layer_spectra import data_layer_spectrum


def _gaussian(n=400, D=8, seed=0):
    return streams.rng(seed, "test_data_frequency", n, D).standard_normal((n, D))


def _residual(X, f):
    """f minus its least-squares fit by the columns of X (float64: residuals at ~1e-13)."""
    coef, *_ = np.linalg.lstsq(X, f, rcond=None)
    return f - X @ coef


def test_an_affine_function_has_nonlinearity_zero_and_an_orthogonal_one_has_one():
    X = _gaussian()
    rng = streams.rng(0, "test_nonlinearity")
    affine = 3.0 + X @ rng.standard_normal(8)
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    orth = _residual(A, rng.standard_normal(X.shape[0]))  # orthogonal to every affine function
    nu = F.affine_nonlinearity(X, np.stack([affine, orth, np.ones(X.shape[0])], axis=1))
    np.testing.assert_allclose(nu, [0.0, 1.0, 0.0], atol=1e-12)
    # one function: a scalar; invariant to scaling
    assert F.affine_nonlinearity(X, 7 * orth).shape == ()
    np.testing.assert_allclose(F.affine_nonlinearity(X, 7 * orth), 1.0, atol=1e-12)


def test_nonlinearity_of_a_mixture_is_the_nonlinear_part_of_its_mean_square():
    X = _gaussian()
    rng = streams.rng(1, "test_nonlinearity")
    lin = X @ rng.standard_normal(8)
    A = np.hstack([np.ones((X.shape[0], 1)), X])
    nl = _residual(A, X[:, 0] ** 2 - 1.0)
    lin, nl = lin / np.linalg.norm(lin), nl / np.linalg.norm(nl)
    # |a lin + b nl|^2 = a^2 + b^2 (orthogonal): nu = b^2 / (a^2 + b^2)
    np.testing.assert_allclose(F.affine_nonlinearity(X, 0.6 * lin + 0.8 * nl), 0.64, atol=1e-12)


def test_principal_components_are_whitened_and_orthogonal():
    X = _gaussian() @ np.diag(np.arange(8, 0, -1.0))
    Z = F.principal_components(X, 3)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.T @ Z / X.shape[0], np.eye(3), atol=1e-12)


def test_probes_have_the_degree_they_claim():
    X = _gaussian(n=500, D=10)
    n, r = X.shape[0], 3
    Z = F.principal_components(X, r)
    A = np.hstack([np.ones((n, 1)), X])
    mono = {j: np.stack([np.prod(Z[:, list(c)], axis=1) for c in itertools.combinations_with_replacement(range(r), j)],
                        axis=1) for j in (2, 3)}  # fmt: skip
    rng = streams.rng(0, "test_probes")
    for k in (1, 2, 3):
        Y = F.polynomial_probes(X, k, n_probes=5, n_components=r, rng=rng)
        assert Y.shape == (n, 5)
        np.testing.assert_allclose(np.mean(Y**2, axis=0), 1.0, rtol=1e-12)
        lower = [np.ones((n, 1))] if k == 1 else [A] + [mono[j] for j in range(2, k)]
        upto = lower + ([Z] if k == 1 else [mono[k]])
        # orthogonal to every lower degree, and a polynomial of degree k in the components (with x)
        assert np.abs(np.hstack(lower).T @ Y).max() < 1e-9 * n
        assert np.abs(_residual(np.hstack(upto), Y)).max() < 1e-9
    # degree 1: linear functions of x (nonlinearity 0); degree 2 and up: orthogonal to them (nonlinearity 1)
    np.testing.assert_allclose(F.affine_nonlinearity(X, F.polynomial_probes(X, 1, n_probes=4, n_components=r,
                                                                            rng=rng)), 0.0, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(F.affine_nonlinearity(X, F.polynomial_probes(X, 2, n_probes=4, n_components=r,
                                                                            rng=rng)), 1.0, atol=1e-12)  # fmt: skip


def test_planted_layers_that_split_affine_from_nonlinear_functions():
    # layer 1 = projection on the non-affine functions, layer 2 = projection on the affine ones (+ a little
    # of the identity to make the sum definite): degree 1 belongs to layer 2, every higher degree to layer 1
    X = _gaussian(n=300, D=6)
    n = X.shape[0]
    Q = F.affine_basis(X)
    Pa = Q @ Q.T
    grams = np.stack([np.eye(n) - Pa, Pa])
    ds = F.degree_shares(grams, X, [1, 2, 3], n_probes=4, n_components=3, rng=streams.rng(0, "test_planted"))
    np.testing.assert_allclose(ds.shares[0], [[0.0] * 4, [1.0] * 4], atol=1e-12)
    np.testing.assert_allclose(ds.mean, [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(ds.rates, 1.0 / n, rtol=1e-12)  # y^T I y / (n |y|^2)
    # the same from torch tensors
    dt = F.degree_shares(torch.as_tensor(grams), X, [1, 2, 3], n_probes=4, n_components=3,
                         rng=streams.rng(0, "test_planted"))  # fmt: skip
    np.testing.assert_allclose(dt.shares, ds.shares, atol=1e-12)


def test_shares_proportional_kernels_do_not_depend_on_the_degree():
    X = _gaussian(n=300, D=6)
    K = np.exp(X @ X.T / X.shape[1])
    c = np.array([0.2, 0.3, 0.5])
    ds = F.degree_shares(c[:, None, None] * K, X, [1, 2, 3], n_probes=6, n_components=3,
                         rng=streams.rng(0, "test_proportional"))  # fmt: skip
    np.testing.assert_allclose(ds.shares, np.broadcast_to(c[None, :, None], ds.shares.shape), atol=1e-12)
    step, lo, hi = ds.steps(0)
    np.testing.assert_allclose(step, 0.0, atol=1e-12)


def test_steps_of_planted_shares_and_their_interval():
    rng = streams.rng(0, "test_steps")
    P = 50
    base = np.array([0.2, 0.3, 0.45])  # layer-1 mean share at degrees 1, 2, 3
    sh = np.empty((3, 2, P))
    sh[:, 0] = base[:, None] + 0.01 * rng.standard_normal((3, P))
    sh[:, 1] = 1 - sh[:, 0]
    ds = F.DegreeShares(degrees=np.array([1, 2, 3]), shares=sh, rates=np.ones((3, P)))
    step, lo, hi = ds.steps(0)
    np.testing.assert_allclose(step, np.diff(sh[:, 0].mean(axis=1)), atol=1e-15)
    assert np.all(lo < step) and np.all(step < hi) and np.all(lo > 0)
    np.testing.assert_allclose(ds.steps(-1)[0], -step, atol=1e-15)  # two layers: the readout mirrors layer 1
    # half-width = t * se with Welch's degrees of freedom (equal variances, P each: df ~ 2P - 2)
    assert np.all(hi - lo < 2 * 2.1 * 0.01 * np.sqrt(2 / P))


def test_rank_correlation_of_monotone_and_independent_pairs():
    rng = streams.rng(0, "test_rank")
    x = rng.standard_normal(300)
    r, lo, hi = F.rank_correlation(x, np.exp(x), rng=rng, n_boot=200)
    assert r == pytest.approx(1.0) and lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    r, lo, hi = F.rank_correlation(x, -(x**3), rng=rng, n_boot=200)
    assert r == pytest.approx(-1.0) and hi == pytest.approx(-1.0)
    r, lo, hi = F.rank_correlation(x, rng.standard_normal(300), rng=rng, n_boot=500)
    assert lo < r < hi and abs(r) < 0.2 and hi - lo < 0.3


def test_on_data_the_shares_follow_the_degree_and_the_nonlinearity():
    # a small sample of the sphere in D = 8: the first layer's share rises with the probes' degree
    # and with the eigenvectors' nonlinearity, the readout's falls (the chapter's claim, at a tiny size)
    Y = _gaussian(n=300, D=8)
    X = np.sqrt(8) * Y / np.linalg.norm(Y, axis=1, keepdims=True)
    ds = data_layer_spectrum(X, depth=3, n_bands=4)
    dsh = F.degree_shares(ds.grams, X, [1, 2, 3], n_probes=8, n_components=4, rng=streams.rng(0, "test_sphere"))
    assert np.all(np.diff(dsh.mean[0]) > 0) and np.all(np.diff(dsh.mean[-1]) < 0)
    nu = F.affine_nonlinearity(X, ds.eigvecs)
    assert F.rank_correlation(nu, ds.shares[0], rng=streams.rng(0, "test_boot"), n_boot=200)[1] > 0
    ax = lw.plot_degree_shares(dsh, dsh.mean + 0.01)
    assert len(ax.get_lines()) >= 2 * 3 and ax.get_xlabel().startswith("polynomial degree")
    ax = lw.plot_nonlinearity_shares(ds, nu)
    assert "nonlinearity" in ax.get_xlabel()
    plt.close("all")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda X: F.affine_nonlinearity(X, np.ones(5)), "F must be"),
        (lambda X: F.affine_nonlinearity(X, np.zeros(X.shape[0])), "identically zero"),
        (lambda X: F.affine_nonlinearity(X[0], np.ones(5)), "X must be"),
        (lambda X: F.affine_basis(X[:5]), "at least 8 points"),
        (lambda X: F.principal_components(X, 0), "r must be"),
        (lambda X: F.principal_components(np.hstack([X, np.zeros((X.shape[0], 2))]), 10), "fewer than r"),
        (lambda X: F.polynomial_probes(X, 0, n_probes=2, n_components=3, rng=np.random.default_rng(0)), "degree"),
        (
            lambda X: F.polynomial_probes(X[:40], 4, n_probes=2, n_components=4, rng=np.random.default_rng(0)),
            "lower-degree functions",
        ),  # fmt: skip
        (lambda X: F.polynomial_probes(X, 2, n_probes=2, n_components=3, rng=None), "rng must be"),
        (lambda X: F.degree_shares(np.ones((2, 5, 5)), X, [1], n_probes=2, n_components=2, rng=0), "grams must"),
        (lambda X: F.degree_shares(np.ones((2, 200, 200)), X, [1, 1], n_probes=2, n_components=2, rng=0), "distinct"),
        (lambda X: F.rank_correlation([1, 2], [1, 2], rng=0), "length >= 3"),
        (lambda X: F.rank_correlation([1, 1, 1], [1, 2, 3], rng=0), "constant"),
        (lambda X: F.rank_correlation([1, 2, 3], [1, 2, 3], rng=0, level=1.5), "level"),
    ],
)
def test_bad_input_is_one_line(call, match):
    X = _gaussian(n=200, D=8)
    with pytest.raises(ValueError, match=match) as err:
        call(X)
    assert "\n" not in str(err.value)


def test_bad_layer_or_level_for_steps():
    ds = F.DegreeShares(degrees=np.array([1, 2]), shares=np.full((2, 3, 4), 1 / 3), rates=np.ones((2, 4)))
    for kwargs, match in (({"layer": 3}, "layer"), ({"layer": 0, "level": 0.0}, "level")):
        with pytest.raises(ValueError, match=match) as err:
            ds.steps(**kwargs)
        assert "\n" not in str(err.value)
