"""The kernel form of Neural LoFi (lofi_utils.lofi.kernel_form): the exact primal/dual identity, NNGP limits."""

import numpy as np
import pytest
import torch
from lofi_testing import data, features, one_torch_thread

from lofi_utils.lofi.filtering import SignedCovariance, top_k_abs
from lofi_utils.lofi.kernel_form import (
    KernelLoFi,
    deep_nngp,
    deep_ntk,
    dual_gram,
    dual_gram_dot,
    kernel_filter,
    lofi_features_dual,
    nngp_gram,
)
from lofi_utils.lofi.lift import RandomLift
from lofi_utils.lofi.model import NeuralLoFi
from lofi_utils.lofi.ridge import fit_kernel_ridge


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


@pytest.mark.parametrize("p", [60, 500])  # p < n and p > n
@pytest.mark.parametrize("center", [False, True])
def test_primal_dual_features_agree_to_float64_precision(p, center):
    X, y = data()
    _, Z = features(X, p, center=center)
    k = 6
    w = torch.as_tensor(y - y.mean())
    prim = top_k_abs(SignedCovariance(w, Z=Z), k, method="dense")
    F_primal = (Z @ prim.vectors).numpy()
    F_dual, vals = lofi_features_dual(Z.numpy(), y, k)
    signs = np.sign((F_primal * F_dual).sum(0))
    assert np.abs(F_primal - F_dual * signs).max() < 1e-10
    # eig(C) = eig(G^1/2 diag(w) G^1/2) / n, in the same order
    assert np.abs(vals - prim.values.numpy()).max() < 1e-13
    # the dual coefficients give the primal filter back: V = Z^T A, and A^T G A = I
    kf = kernel_filter(Z.numpy() @ Z.numpy().T, y, k)
    V = Z.numpy().T @ kf.A
    assert np.abs(V.T @ V - np.eye(k)).max() < 1e-9
    assert np.abs(np.abs(V.T @ prim.vectors.numpy()) - np.eye(k)).max() < 1e-8


def test_kernel_filter_test_features_equal_primal_test_features():
    X, y = data(n=150)
    Xt, _ = data(n=40, seed=3)
    lift, Z = features(X, 400, center=False)
    Zt = lift(torch.as_tensor(Xt)).numpy()
    k = 5
    prim = top_k_abs(SignedCovariance(torch.as_tensor(y - y.mean()), Z=Z), k, method="dense")
    kf = kernel_filter(Z.numpy() @ Z.numpy().T, y, k)
    Ft_dual = (Zt @ Z.numpy().T) @ kf.A  # K(x, X) A
    Ft_primal = Zt @ prim.vectors.numpy()
    s = np.sign((Ft_dual * Ft_primal).sum(0))
    assert np.abs(Ft_dual * s - Ft_primal).max() < 1e-10


def test_nngp_gram_is_the_infinite_width_limit_of_the_lift():
    X, _ = data(n=30, d=6)
    X[:5] *= 2.0  # unequal norms
    for act in ("relu", "erf"):
        lift = RandomLift(6, 200_000, seed=9, activation=act).fit_scale(torch.as_tensor(X))
        G = lift.gram(torch.as_tensor(X)).numpy()
        K = nngp_gram(X, activation=act)
        # Monte Carlo over p features: entries fluctuate like sqrt(Var/p) ~ 2e-3 * scale
        assert np.abs(G - K).max() < 6 * np.sqrt(np.diag(K).max() ** 2 * 2 / 200_000) * 1.5


def test_relu_nngp_closed_form_on_unit_vectors():
    t = np.linspace(-1, 1, 9)
    H1 = np.stack([np.ones_like(t), np.zeros_like(t)], 1)
    H2 = np.stack([t, np.sqrt(1 - t**2)], 1)
    K = np.diag(nngp_gram(H1, H2, scale2=1.0))
    th = np.arccos(t)
    assert np.abs(K - (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi).max() < 1e-14


def test_deep_nngp_recursion_and_kernel_lofi_without_filters():
    X, y = data(n=80, d=5)
    Xe, ye = data(n=20, d=5, seed=7)
    K1, Ke1, de1 = deep_nngp(X, Xe, depth=1)
    assert np.abs(K1 - nngp_gram(X)).max() < 1e-13
    assert np.abs(de1 - np.diag(nngp_gram(Xe, scale2=(X**2).sum(1).mean()))).max() < 1e-13
    K2, Ke2, _ = deep_nngp(X, Xe, depth=2)
    c2 = np.diag(K1).mean()
    ref = dual_gram(K1 / c2, np.diag(K1) / c2, np.diag(K1) / c2, "relu")
    assert np.abs(K2 - ref).max() < 1e-13
    pred, fit = KernelLoFi([None, None], lams=[1e-3]).fit_predict(X, y, Xe, X_val=Xe, y_val=ye)
    ref_fit = fit_kernel_ridge(K2, y, K_val=Ke2, y_val=ye, lams=[1e-3])
    assert np.abs(pred - ref_fit.predict_kernel(torch.as_tensor(Ke2)).numpy()).max() < 1e-12


def test_kernel_lofi_features_equal_finite_lofi_with_the_same_gram():
    # with G the Gram matrix of a finite lift, the dual filter reproduces NeuralLoFi's layer-1 features
    X, y = data(n=120)
    m = NeuralLoFi([300, 50], [4, None], center_z=True).fit(X, y, X_val=X[:30], y_val=y[:30])
    Z = m.layers[0].lift(torch.as_tensor(X)).numpy()  # centred features
    F_dual, _ = lofi_features_dual(Z, y, 4)
    F = m.transform(X, upto=1).numpy()
    s = np.sign((F * F_dual).sum(0))
    assert np.abs(F - F_dual * s).max() < 1e-10


def test_biased_lift_converges_to_the_nngp_of_the_augmented_input():
    # sigma(w.h/c + b), b ~ N(0, beta^2), is sigma(w'.[h/c, beta]) with w' ~ N(0, I): the NNGP of the augmented input
    X, _ = data(n=25, d=4)
    H = torch.as_tensor(X)
    lift = RandomLift(4, 200_000, seed=5, bias=0.8).fit_scale(H)
    G = lift.gram(H).numpy()
    K = nngp_gram(np.c_[X / lift.c, np.full(len(X), 0.8)], scale2=1.0)
    assert np.abs(G - K).max() < 6 * np.sqrt(np.diag(K).max() ** 2 * 2 / 200_000) * 1.5


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = data(n=20, d=8)
_T = dict(dtype=torch.float64)


BAD_INPUTS = [
    (lambda: deep_nngp(np.zeros((4, 3)), np.ones((2, 3)), depth=2), r"X must be finite and not all zero .*c\^2 = 0\.0"),
    (lambda: nngp_gram(_Xb, _Xb[:, :5]), r"H1 and H2 must be \(n1, m\) and \(n2, m\) with the same m"),
    (
        lambda: KernelLoFi([2, None]).fit_predict(_Xb, _yb, _Xb, X_val=_Xb[:, :5], y_val=_yb),
        "X_val must have d = 8 columns",
    ),
    (lambda: KernelLoFi([2, None]).fit_predict(_Xb, _yb, _Xb[:, :5]), "X_test must have d = 8 columns"),
    (lambda: KernelLoFi([None], kernel="gp"), "unknown kernel 'gp'; allowed: nngp, ntk"),
    (lambda: KernelLoFi([None]).fit_predict(_Xb, _yb, _Xb, y_val=_yb), "give both X_val and y_val"),
    (lambda: kernel_filter(np.full((4, 4), np.nan), np.ones(4), 2), "G and y must be finite"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_dual_gram_closed_forms():
    # relu: the arc-cosine kernel scaled by sqrt(q q'); erf: (2/pi) arcsin(2 K / sqrt((1 + 2q)(1 + 2q')))
    from lofi_utils.kernels import dual_activation

    rng = np.random.default_rng(0)
    H = rng.standard_normal((6, 3))
    K, q = H @ H.T, (H**2).sum(1)
    rho = K / np.sqrt(np.outer(q, q))
    V, _ = dual_activation("relu", 1.0, np.clip(rho, -1, 1))
    assert np.abs(dual_gram(K, q, q, "relu") - np.sqrt(np.outer(q, q)) * V).max() < 1e-13
    ref = 2 / np.pi * np.arcsin(2 * K / np.sqrt(np.outer(1 + 2 * q, 1 + 2 * q)))
    assert np.abs(dual_gram(K, q, q, "erf") - ref).max() < 1e-14
    with pytest.raises(ValueError, match="closed forms"):
        dual_gram(K, q, q, "tanh")


def test_kernel_lofi_needs_a_closed_form():
    with pytest.raises(ValueError, match="closed forms"):
        KernelLoFi([None], activation="tanh")


# --------------------------------------------------------------------------- the deep NTK
@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_dual_gram_dot_is_the_derivative_of_dual_gram(activation):
    """kappa_dot = d kappa / d K12 at fixed variances (central differences, step 1e-6: error ~1e-10)."""
    q1, q2 = np.array([0.7, 1.3]), np.array([0.9, 1.1, 2.0])
    K12 = np.array([[0.1, -0.3, 0.5], [0.2, 0.8, -0.9]])
    h = 1e-6
    fd = (dual_gram(K12 + h, q1, q2, activation) - dual_gram(K12 - h, q1, q2, activation)) / (2 * h)
    assert np.abs(fd - dual_gram_dot(K12, q1, q2, activation)).max() < 1e-8


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_deep_ntk_on_the_sphere_is_the_book_ntk(depth):
    """On unit-norm inputs with relu, every c_l^2 is 1 and deep_ntk is kernels.ntk (an independent recursion in
    the cosine) at depth + 1 weight layers; the alternative, the NNGP, differs by O(1)."""
    from lofi_utils import kernels

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Xe = rng.standard_normal((7, 6))
    Xe /= np.linalg.norm(Xe, axis=1, keepdims=True)
    K, Ke, de = deep_ntk(X, Xe, depth=depth)
    # the diagonal, where arccos is steepest, loses ~1e-8 to rounding of the cosine
    assert np.abs(K - kernels.ntk(np.clip(X @ X.T, -1, 1), depth=depth + 1)).max() < 1e-6
    assert np.abs(Ke - kernels.ntk(np.clip(Xe @ X.T, -1, 1), depth=depth + 1)).max() < 1e-12
    assert np.allclose(de, depth + 1.0)  # Theta(x, x) = L + 1 for relu on the sphere
    assert np.abs(K - deep_nngp(X, Xe, depth=depth)[0]).max() > 0.5


def test_deep_ntk_is_the_mean_empirical_ntk_of_wide_networks():
    """Off the sphere (norms 0.5-2), with erf: the empirical NTK (torch.func Jacobians) of networks of width 2000
    built as the kernel assumes (h_l = erf(a W h_{l-1} / c_{l-1}) / sqrt(p), c_l^2 the mean training |h_l|^2),
    averaged over 4 draws, is within 4 % of deep_ntk (measured 2.4 %; the fluctuation is O(1/sqrt(4 p))); the
    NNGP alone is off by about 80 %."""
    from torch.func import jacrev

    from lofi_utils.kernels import ERF_SCALE

    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 5)) * rng.uniform(0.5, 2.0, (12, 1))
    K_ref = deep_ntk(X, X[:1], depth=2, activation="erf")[0]
    Xt = torch.as_tensor(X)
    p = 2000
    acc = np.zeros((12, 12))
    for s in range(4):
        g = torch.Generator().manual_seed(s)
        params = {
            "W1": torch.randn(5, p, generator=g, dtype=torch.float64),
            "W2": torch.randn(p, p, generator=g, dtype=torch.float64),
            "b": torch.randn(p, generator=g, dtype=torch.float64),
        }
        c0 = (Xt**2).sum(1).mean().sqrt()
        h1 = torch.erf(ERF_SCALE * (Xt @ params["W1"]) / c0) / p**0.5
        c1 = (h1**2).sum(1).mean().sqrt().detach()

        def f(prm, x, c0=c0, c1=c1):
            a1 = torch.erf(ERF_SCALE * (x @ prm["W1"]) / c0) / p**0.5
            a2 = torch.erf(ERF_SCALE * (a1 @ prm["W2"]) / c1) / p**0.5
            return a2 @ prm["b"]

        J = jacrev(f)(params, Xt)
        Jm = torch.cat([J[k].reshape(12, -1) for k in params], 1)
        acc += (Jm @ Jm.T).numpy() / 4
    rel = np.abs(acc - K_ref).max() / np.abs(K_ref).max()
    assert rel < 0.04
    assert np.abs(deep_nngp(X, X[:1], depth=2, activation="erf")[0] - K_ref).max() / np.abs(K_ref).max() > 0.3


def test_kernel_lofi_ntk_readout_is_kernel_ridge_on_deep_ntk():
    X, y = data(n=80)
    Xe, _ = data(n=9, seed=3)
    pred, fit = KernelLoFi([None, None], kernel="ntk", lams=[1e-3, 1e-1]).fit_predict(X, y, Xe)
    K, Ke, _ = deep_ntk(X, Xe, depth=2)
    ref = fit_kernel_ridge(K, y, lams=[1e-3, 1e-1])
    assert fit.criterion == "loo" and fit.lam == ref.lam
    assert np.abs(pred - ref.predict_kernel(torch.as_tensor(Ke)).numpy()).max() < 1e-10
