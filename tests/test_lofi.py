"""Mathematical facts of lofi_utils.lofi (Neural LoFi): identities, solver agreement, closed forms."""

import math
import os

import numpy as np
import pytest
import torch

from lofi_utils import lofi as L
from lofi_utils import lofi_experiments as E


@pytest.fixture(autouse=True, scope="module")
def _threads():
    # small linear algebra: one thread avoids oversubscription on a shared machine
    old = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("LOFI_THREADS", "1") or 1))
    yield
    torch.set_num_threads(old)


def _data(n=200, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.tanh(X[:, 0] ** 2 - X[:, 1] ** 2) + 0.1 * rng.standard_normal(n)
    return X, y


def _features(X, p, *, seed=1, center=False, activation="relu"):
    H = torch.as_tensor(X)
    lift = L.RandomLift(X.shape[1], p, seed=seed, activation=activation).fit_scale(H)
    if center:
        lift.fit_mean(H)
    return lift, lift(H)


# --------------------------------------------------------------------------- primal / dual identity
@pytest.mark.parametrize("p", [60, 500])          # p < n and p > n
@pytest.mark.parametrize("center", [False, True])
def test_primal_dual_features_agree_to_float64_precision(p, center):
    X, y = _data()
    _, Z = _features(X, p, center=center)
    k = 6
    w = torch.as_tensor(y - y.mean())
    prim = L.top_k_abs(L.SignedCovariance(w, Z=Z), k, method="dense")
    F_primal = (Z @ prim.vectors).numpy()
    F_dual, vals = L.lofi_features_dual(Z.numpy(), y, k)
    signs = np.sign((F_primal * F_dual).sum(0))
    assert np.abs(F_primal - F_dual * signs).max() < 1e-10
    # eig(C) = eig(G^1/2 diag(w) G^1/2) / n, in the same order
    assert np.abs(vals - prim.values.numpy()).max() < 1e-13
    # the dual coefficients give the primal filter back: V = Z^T A, and A^T G A = I
    kf = L.kernel_filter(Z.numpy() @ Z.numpy().T, y, k)
    V = Z.numpy().T @ kf.A
    assert np.abs(V.T @ V - np.eye(k)).max() < 1e-9
    assert np.abs(np.abs(V.T @ prim.vectors.numpy()) - np.eye(k)).max() < 1e-8


def test_kernel_filter_test_features_equal_primal_test_features():
    X, y = _data(n=150)
    Xt, _ = _data(n=40, seed=3)
    lift, Z = _features(X, 400, center=False)
    Zt = lift(torch.as_tensor(Xt)).numpy()
    k = 5
    prim = L.top_k_abs(L.SignedCovariance(torch.as_tensor(y - y.mean()), Z=Z), k, method="dense")
    kf = L.kernel_filter(Z.numpy() @ Z.numpy().T, y, k)
    Ft_dual = (Zt @ Z.numpy().T) @ kf.A             # K(x, X) A
    Ft_primal = Zt @ prim.vectors.numpy()
    s = np.sign((Ft_dual * Ft_primal).sum(0))
    assert np.abs(Ft_dual * s - Ft_primal).max() < 1e-10


# --------------------------------------------------------------------------- eigen-solvers
def test_top_k_by_absolute_value_keeps_negative_eigenvalues():
    C = torch.diag(torch.tensor([3.0, -5.0, 1.0, -0.5, 2.0], dtype=torch.float64))
    res = L.top_k_abs(C, 3, method="dense")
    assert res.values.tolist() == [-5.0, 3.0, 2.0]
    res = L.top_k_abs(C, 3, method="subspace", oversample=2)
    assert np.allclose(res.values.numpy(), [-5.0, 3.0, 2.0], atol=1e-12)


def test_dense_subspace_arpack_agree():
    X, y = _data(n=400, d=10)
    _, Z = _features(X, 300, center=True)
    op = L.SignedCovariance(torch.as_tensor(y - y.mean()), Z=Z)
    k = 12
    dense = L.top_k_abs(op, k, method="dense")
    sub = L.top_k_abs(op, k, method="subspace", tol=1e-12)
    arp = L.top_k_abs(op, k, method="arpack", tol=1e-13)
    for other in (sub, arp):
        assert L.subspace_distance(dense.vectors, other.vectors) < 1e-7
        assert np.abs(dense.values.numpy() - other.values.numpy()).max() < 1e-12 * 1e3
    V = sub.vectors
    assert torch.allclose(V.T @ V, torch.eye(k, dtype=V.dtype), atol=1e-12)
    assert op.n_products > 0


def test_matrix_free_operator_equals_dense_matrix_and_recomputed_chunks():
    X, y = _data(n=250)
    H = torch.as_tensor(X)
    lift = L.RandomLift(X.shape[1], 90, seed=4, chunk=37).fit_scale(H).fit_mean(H)   # chunks of 37 rows
    w = torch.as_tensor(y)
    cached = L.SignedCovariance(w, Z=lift(H))
    implicit = L.SignedCovariance(w, lift=lift, H=H)
    Z = lift(H)
    C = (Z * w[:, None]).T @ Z / len(y)
    V = torch.randn(90, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for op in (cached, implicit):
        assert torch.allclose(op.matmat(V), C @ V, atol=1e-14, rtol=0)
        assert torch.allclose(op.dense(), C, atol=1e-14, rtol=0)
        assert torch.allclose(op.linear(), Z.T @ w / len(y), atol=1e-14, rtol=0)


def test_subspace_distance_basic_values():
    e = torch.eye(4, dtype=torch.float64)
    assert L.subspace_distance(e[:, :2], e[:, [1, 0]] @ torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=torch.float64)) < 1e-15
    assert abs(L.subspace_distance(e[:, :2], e[:, [0, 2]]) - 1.0) < 1e-15


def test_prepend_linear_direction_is_first_and_orthogonal():
    X, y = _data(n=300)
    m = L.NeuralLoFi([120], [5], prepend_linear=True, center_z=True).fit(X, y, X_val=X[:50], y_val=y[:50])
    V = m.layers[0].V
    lift = m.layers[0].lift
    Z = lift(torch.as_tensor(X))
    v0 = Z.T @ torch.as_tensor(y - y.mean())
    assert torch.allclose(V[:, 0], v0 / v0.norm(), atol=1e-12)
    assert torch.allclose(V.T @ V, torch.eye(5, dtype=V.dtype), atol=1e-10)


# --------------------------------------------------------------------------- ridge
def test_ridge_closed_form_matches_sklearn():
    from sklearn.linear_model import Ridge

    X, y = _data(n=120, d=15)
    for lam in (1e-4, 1e-1):
        beta, b = L.ridge_closed_form(X, y, lam)
        sk = Ridge(alpha=len(y) * lam).fit(X, y)
        assert np.abs(sk.coef_ - beta).max() < 1e-10 and abs(sk.intercept_ - b) < 1e-10


@pytest.mark.parametrize("p", [30, 400])          # primal (p <= n) and dual (p > n) branches
def test_fit_ridge_equals_closed_form_and_kernel_ridge(p):
    X, y = _data(n=150)
    Xv, yv = _data(n=60, seed=5)
    lift, Z = _features(X, p)
    Zv = lift(torch.as_tensor(Xv))
    lams = [1e-5, 1e-3, 1e-1]
    fit = L.fit_ridge(Z, y, F_val=Zv, y_val=yv, lams=lams)
    beta, b = L.ridge_closed_form(Z.numpy(), y, fit.lam)
    assert np.abs(fit.predict(Zv).numpy() - (Zv.numpy() @ beta + b)).max() < 1e-9
    # the held-out MSE of every penalty equals that of the closed form
    for lam, mse in zip(lams, fit.val_mse):
        bb, b0 = L.ridge_closed_form(Z.numpy(), y, lam)
        assert abs(mse - np.mean((Zv.numpy() @ bb + b0 - yv) ** 2)) < 1e-9
    kfit = L.fit_kernel_ridge(Z @ Z.T, y, K_val=Zv @ Z.T, y_val=yv, lams=lams)
    assert kfit.lam == fit.lam
    assert np.abs(kfit.predict_kernel(Zv @ Z.T).numpy() - fit.predict(Zv).numpy()).max() < 1e-8


# --------------------------------------------------------------------------- kernels (p -> infinity)
def test_nngp_gram_is_the_infinite_width_limit_of_the_lift():
    X, _ = _data(n=30, d=6)
    X[:5] *= 2.0                                     # unequal norms
    for act in ("relu", "erf"):
        lift = L.RandomLift(6, 200_000, seed=9, activation=act).fit_scale(torch.as_tensor(X))
        G = lift.gram(torch.as_tensor(X)).numpy()
        K = L.nngp_gram(X, activation=act)
        # Monte Carlo over p features: entries fluctuate like sqrt(Var/p) ~ 2e-3 * scale
        assert np.abs(G - K).max() < 6 * np.sqrt(np.diag(K).max() ** 2 * 2 / 200_000) * 1.5


def test_relu_nngp_closed_form_on_unit_vectors():
    t = np.linspace(-1, 1, 9)
    H1 = np.stack([np.ones_like(t), np.zeros_like(t)], 1)
    H2 = np.stack([t, np.sqrt(1 - t ** 2)], 1)
    K = np.diag(L.nngp_gram(H1, H2, scale2=1.0))
    th = np.arccos(t)
    assert np.abs(K - (np.sin(th) + (np.pi - th) * np.cos(th)) / np.pi).max() < 1e-14


def test_deep_nngp_recursion_and_kernel_lofi_without_filters():
    X, y = _data(n=80, d=5)
    Xe, ye = _data(n=20, d=5, seed=7)
    K1, Ke1, de1 = L.deep_nngp(X, Xe, depth=1)
    assert np.abs(K1 - L.nngp_gram(X)).max() < 1e-13
    assert np.abs(de1 - np.diag(L.nngp_gram(Xe, scale2=(X ** 2).sum(1).mean()))).max() < 1e-13
    K2, Ke2, _ = L.deep_nngp(X, Xe, depth=2)
    c2 = np.diag(K1).mean()
    ref = L._dual_gram(K1 / c2, np.diag(K1) / c2, np.diag(K1) / c2, "relu")
    assert np.abs(K2 - ref).max() < 1e-13
    pred, fit = L.KernelLoFi([None, None], lams=[1e-3]).fit_predict(X, y, Xe, ye, Xe)
    ref_fit = L.fit_kernel_ridge(K2, y, K_val=Ke2, y_val=ye, lams=[1e-3])
    assert np.abs(pred - ref_fit.predict_kernel(torch.as_tensor(Ke2)).numpy()).max() < 1e-12


def test_kernel_lofi_features_equal_finite_lofi_with_the_same_gram():
    # with G the Gram matrix of a finite lift, the dual filter reproduces NeuralLoFi's layer-1 features
    X, y = _data(n=120)
    m = L.NeuralLoFi([300, 50], [4, None], center_z=True).fit(X, y, X_val=X[:30], y_val=y[:30])
    Z = m.layers[0].lift(torch.as_tensor(X)).numpy()       # centred features
    F_dual, _ = L.lofi_features_dual(Z, y, 4)
    F = m.transform(X, upto=1).numpy()
    s = np.sign((F * F_dual).sum(0))
    assert np.abs(F - F_dual * s).max() < 1e-10


# --------------------------------------------------------------------------- the model: shapes, options, determinism
def test_neural_lofi_shapes_and_determinism():
    X, y = _data(n=200)
    kw = dict(X_val=X[:40], y_val=y[:40])
    a = L.NeuralLoFi([100, 80, 60], [7, 5, None], seed=3).fit(X, y, **kw)
    b = L.NeuralLoFi([100, 80, 60], [7, 5, None], seed=3).fit(X, y, **kw)
    c = L.NeuralLoFi([100, 80, 60], [7, 5, None], seed=4).fit(X, y, **kw)
    assert a.transform(X, upto=1).shape == (200, 7)
    assert a.transform(X, upto=2).shape == (200, 5)
    assert a.transform(X).shape == (200, 60)
    assert torch.equal(a.predict(X), b.predict(X))
    assert not torch.allclose(a.predict(X), c.predict(X))
    assert a.layers[2].V is None and a.layers[0].V.shape == (100, 7)


def test_full_rank_filter_is_a_rotation_of_the_random_features():
    # k = p keeps the whole lift: the ridge readout (rotation invariant) equals the random-feature model's
    X, y = _data(n=150)
    kw = dict(X_val=X[:40], y_val=y[:40], )
    rf = L.NeuralLoFi([40], [None], seed=2, lams=[1e-3]).fit(X, y, **kw)
    full = L.NeuralLoFi([40], [40], seed=2, center_z=False, lams=[1e-3]).fit(X, y, **kw)
    assert torch.allclose(rf.predict(X), full.predict(X), atol=1e-10)


def test_matrix_free_model_equals_dense_model():
    X, y = _data(n=300)
    kw = dict(X_val=X[:50], y_val=y[:50])
    d = L.NeuralLoFi([150, 100], [6, None], solver="dense").fit(X, y, **kw)
    f = L.NeuralLoFi([150, 100], [6, None], solver="subspace", cache_bytes=0, chunk=64).fit(X, y, **kw)
    assert L.subspace_distance(d.layers[0].V, f.layers[0].V) < 1e-8
    assert torch.allclose(d.predict(X), f.predict(X), atol=1e-6)


def test_cached_features_are_built_block_by_block(monkeypatch):
    """A filtered layer keeps Z (n x p) whole when it fits the cache, but builds it ``chunk`` rows at a time (a
    whole-n lift would hold about three n x p temporaries); the model equals the one built from one block."""
    X, y = _data(n=300)
    kw = dict(X_val=X[:50], y_val=y[:50])
    rows = []
    lift_call = L.RandomLift.__call__

    def spy(self, H):
        rows.append(H.shape[0])
        return lift_call(self, H)

    monkeypatch.setattr(L.RandomLift, "__call__", spy)
    a = L.NeuralLoFi([150, 400], [6, None], seed=1, chunk=64).fit(X, y, **kw)   # p2 > n: dual readout
    monkeypatch.undo()
    assert rows and max(rows) <= 64
    b = L.NeuralLoFi([150, 400], [6, None], seed=1).fit(X, y, **kw)              # n <= chunk: one block
    assert L.subspace_distance(a.layers[0].V, b.layers[0].V) < 1e-10
    assert torch.allclose(a.predict(X), b.predict(X), atol=1e-10)
    lift, H = b.layers[0].lift, torch.as_tensor(X)
    lift.chunk = 64
    assert torch.allclose(lift.features(H), lift(H), atol=1e-13, rtol=0)


def test_bad_parameters_raise_value_error():
    X, y = _data(n=50)
    with pytest.raises(ValueError, match="activation"):
        L.NeuralLoFi([10], [None], activation="gelu")
    with pytest.raises(ValueError, match="exceeds the width"):
        L.NeuralLoFi([10], [11])
    with pytest.raises(ValueError, match="solver"):
        L.NeuralLoFi([10], [2], solver="qr")
    with pytest.raises(ValueError, match="ranks has"):
        L.NeuralLoFi([10, 10], [2])
    with pytest.raises(ValueError, match="method"):
        L.top_k_abs(torch.eye(3, dtype=torch.float64), 1, method="lanczos")
    with pytest.raises(ValueError, match="exceeds"):
        L.top_k_abs(torch.eye(3, dtype=torch.float64), 4)
    with pytest.raises(ValueError, match="closed forms"):
        L.KernelLoFi([None], activation="tanh")
    with pytest.raises(ValueError, match="penalties"):
        L.fit_ridge(torch.ones(5, 2), np.ones(5), F_val=torch.ones(2, 2), y_val=np.ones(2), lams=[-1.0])
    with pytest.raises(ValueError, match="entries for"):
        L.NeuralLoFi([10], [None]).fit(X, y[:-1], X_val=X, y_val=y)


def test_activations_match_the_book_conventions():
    z = torch.linspace(-3, 3, 13, dtype=torch.float64)
    assert torch.allclose(L.torch_activation("relu")(z), math.sqrt(2) * torch.relu(z))
    # unit second moment under N(0, 1) for relu, abs and quadratic (Gauss-Hermite, 60 nodes)
    g, wts = np.polynomial.hermite_e.hermegauss(60)
    wts = wts / wts.sum()
    for name in ("relu", "abs", "quadratic"):
        m2 = float((wts * L.torch_activation(name)(torch.as_tensor(g)).numpy() ** 2).sum())
        assert abs(m2 - 1.0) < 1e-3, name


# --------------------------------------------------------------------------- convolutional pieces and experiment helpers
def test_patch_signed_covariance_equals_brute_force():
    rng = np.random.default_rng(0)
    ims = rng.standard_normal((4, 5, 6))
    y = np.array([1.0, -1.0, 1.0, 0.5])
    S = L.patch_signed_covariance(ims, y, 3, center_y=True)
    w = y - y.mean()
    ref = np.zeros((9, 9))
    cnt = 0
    for i in range(4):
        for a in range(3):
            for b in range(4):
                p = ims[i, a:a + 3, b:b + 3].ravel()
                ref += w[i] * np.outer(p, p)
        cnt = 12
    assert np.abs(S - ref / (4 * cnt)).max() < 1e-14
    assert L.patches(ims, 3).shape == (4, 12, 9)


def test_conv_lofi_shapes():
    rng = np.random.default_rng(1)
    ims = rng.standard_normal((40, 8, 8))
    y = np.sign(ims[:, 2:6, 2:6].mean((1, 2)))
    m = L.ConvLoFi(size=3, channels=32, k=4, pool=2, p_out=50).fit(ims[:30], y[:30], images_val=ims[30:], y_val=y[30:])
    assert m.V.shape == (32, 4)
    assert m.predict(ims).shape == (40,)


def test_hidden_overlap_and_emergence_spread():
    rng = np.random.default_rng(0)
    task = E.hierarchical_target(12, 3, rng=rng)
    assert abs(E.hidden_overlap(task.W, task.W) - 1.0) < 1e-12
    assert abs(E.hidden_overlap(np.eye(12)[:, :12], task.W) - 1.0) < 1e-12
    X, y = task.sample(50, rng)
    assert abs(np.mean(y) - np.mean(np.tanh(2 * (((X @ task.W) ** 2 - 1) * task.a).sum(1) / np.sqrt(6)))) < 1e-12
    sw = E.EmergenceSweep(pairs=[(8, 2), (16, 4)], cs=np.array([1.0, 2.0, 4.0]),
                          overlap=np.repeat(np.array([[0.1, 0.5, 0.9]])[:, :, None], 2, axis=0).reshape(2, 3, 1))
    assert sw.spread("dr") < 1e-12 and sw.spread("d") > 0.1
    assert np.allclose(E.span_r2(X[:, :3], X[:, :2]), 1.0)


def test_dual_readout_of_a_wide_last_layer_equals_the_primal_one():
    # a last layer wider than n is read out from Z Z^T (blockwise); compare with ridge on Z itself
    X, y = _data(n=120)
    kw = dict(X_val=X[:30], y_val=y[:30])
    b = L.NeuralLoFi([100, 400], [5, None], seed=1, cache_bytes=1000).fit(X, y, **kw)
    assert b._H_train is not None and b.readout.alpha is not None
    lift = b.layers[-1].lift
    H, Hv = b.transform(X, upto=1), b.transform(X[:30], upto=1)
    ref = L.fit_ridge(lift(H), y, F_val=lift(Hv), y_val=y[:30], lams=b.lams)
    assert ref.lam == b.readout.lam
    assert torch.allclose(ref.predict(lift(H)), b.predict(X), atol=1e-8)


def test_kernel_ridge_cholesky_path_equals_eigen_path():
    X, y = _data(n=90)
    Xv, yv = _data(n=30, seed=2)
    lift, Z = _features(X, 300)
    Zv = lift(torch.as_tensor(Xv))
    lams = [1e-4, 1e-2, 1.0]
    a = L.fit_kernel_ridge(Z @ Z.T, y, K_val=Zv @ Z.T, y_val=yv, lams=lams)
    b = L.fit_kernel_ridge(Z @ Z.T, y, K_val=Zv @ Z.T, y_val=yv, lams=lams, eig_max=10, overwrite=True)
    assert a.lam == b.lam and np.allclose(a.val_mse, b.val_mse, atol=1e-10)
    assert torch.allclose(a.predict_kernel(Zv @ Z.T), b.predict_kernel(Zv @ Z.T), atol=1e-9)


def test_whitened_layer_has_identity_covariance_and_same_span():
    X, y = _data(n=300)
    kw = dict(X_val=X[:40], y_val=y[:40])
    a = L.NeuralLoFi([120, 50], [6, None], seed=1).fit(X, y, **kw)
    b = L.NeuralLoFi([120, 50], [6, None], seed=1, whiten=[True, False]).fit(X, y, **kw)
    Hb = b.transform(X, upto=1)
    assert torch.allclose(torch.cov(Hb.T), torch.eye(6, dtype=Hb.dtype), atol=1e-10)
    assert torch.allclose(Hb.mean(0), torch.zeros(6, dtype=Hb.dtype), atol=1e-12)
    # whitening is an invertible affine map of the filtered features: the spans (with constants) agree
    Ha = a.transform(X, upto=1).numpy()
    assert np.allclose(E.span_r2(Ha, Hb.numpy()), 1.0, atol=1e-10)


# --------------------------------------------------------------------------- biased lifts and the depth study
def test_bias_zero_is_the_official_lift_and_bias_is_drawn_after_w():
    H = torch.as_tensor(_data(n=50, d=5)[0])
    a = L.RandomLift(5, 40, seed=3).fit_scale(H)
    b = L.RandomLift(5, 40, seed=3, bias=0.7).fit_scale(H)
    assert a.b is None and torch.equal(a.W, b.W)           # the weights do not depend on the bias
    pre = H @ b.W / b.c + b.b
    assert torch.allclose(b(H), torch.relu(pre) * math.sqrt(2) / math.sqrt(40), atol=1e-14)
    assert torch.allclose(b.gram(H), b(H) @ b(H).T, atol=1e-12)   # the blocked Gram path sees the bias
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="bias"):
            L.RandomLift(5, 4, bias=bad)


def test_biased_lift_converges_to_the_nngp_of_the_augmented_input():
    # sigma(w.h/c + b), b ~ N(0, beta^2), is sigma(w'.[h/c, beta]) with w' ~ N(0, I): the NNGP of the augmented input
    X, _ = _data(n=25, d=4)
    H = torch.as_tensor(X)
    lift = L.RandomLift(4, 200_000, seed=5, bias=0.8).fit_scale(H)
    G = lift.gram(H).numpy()
    K = L.nngp_gram(np.c_[X / lift.c, np.full(len(X), 0.8)], scale2=1.0)
    assert np.abs(G - K).max() < 6 * np.sqrt(np.diag(K).max() ** 2 * 2 / 200_000) * 1.5


def test_bias_lets_a_relu_lift_of_a_scalar_fit_a_non_homogeneous_function():
    # without bias the ReLU lift of a scalar t spans only max(t, 0) and max(-t, 0): t^2 is out of reach
    rng = np.random.default_rng(0)
    t = rng.standard_normal((2000, 1))
    y = t[:, 0] ** 2
    r2 = {}
    for bias in (0.0, 1.0):
        Z = L.RandomLift(1, 300, seed=1, bias=bias).fit_scale(torch.as_tensor(t))(torch.as_tensor(t)).numpy()
        F = np.c_[Z, np.ones(len(t))]
        res = y - F @ np.linalg.lstsq(F, y, rcond=None)[0]
        r2[bias] = 1 - res.var() / y.var()
    assert r2[0.0] < 0.9 and r2[1.0] > 0.999


def test_quadratic_lift_kernel_is_the_wick_formula():
    # E_w[He2(w.h/c) He2(w.h'/c)] / 2 = rho^2 + (s - 1)(s' - 1)/2, rho = h.h'/c^2, s = |h|^2/c^2
    X, _ = _data(n=20, d=4)
    H = torch.as_tensor(X)
    lift = L.RandomLift(4, 400_000, seed=2, activation="quadratic").fit_scale(H)
    G = lift.gram(H).numpy()
    rho = X @ X.T / lift.c ** 2
    s = np.diag(rho)
    K = rho ** 2 + np.outer(s - 1, s - 1) / 2
    se = np.sqrt((np.outer(s, s) ** 2 * 6 + 1) / 400_000)          # generous bound on the per-entry std error
    assert np.abs(G - K).max() < 6 * se.max()


def test_balanced_signs_put_the_degree_two_part_of_y_along_h_star():
    # E[y He2(u_j)] = c a_j (no constant part) and E[y T] = 0 for balanced signs; random signs break E[y T] = 0
    n = 400_000
    task = E.hierarchical_target(12, 6, gain=4.0, balanced=True, rng=np.random.default_rng(1))
    assert task.a.sum() == 0
    X, y = task.sample(n, np.random.default_rng(2))
    He2 = task.hidden(X) ** 2 - 1
    coef = (y[:, None] * He2).mean(0)
    se = (y[:, None] * He2).std(0) / np.sqrt(n)
    c = (coef * task.a).mean()
    assert c > 20 * se.max() and np.all(np.abs(coef - c * task.a) < 4.5 * se)
    T = He2.sum(1)
    assert abs((y * T).mean()) < 4.5 * (y * T).std() / np.sqrt(n)
    unb = E.HierarchicalTarget(W=task.W, a=np.array([1.0, 1, 1, 1, 1, -1]), gain=4.0)
    yu = unb.label(X)
    assert abs((yu * T).mean()) > 10 * (yu * T).std() / np.sqrt(n)
    assert np.abs(task.feature(X).var() - 1) < 0.02
    with pytest.raises(ValueError, match="even"):
        E.hierarchical_target(12, 5, balanced=True, rng=np.random.default_rng(0))


def test_depth_study_shapes_and_what_the_layers_carry():
    task = E.hierarchical_target(16, 4, gain=4.0, balanced=True, rng=np.random.default_rng(0))
    st = E.depth_study(task, [1500], p1=600, p2=400, p_out=100, n_val=300, n_test=600, seeds=1)
    assert set(st.mse) == {"LoFi, 2 filters", "LoFi, 1 filter", "RF(1000)", "RF on u (oracle)"}
    assert all(v.shape == (1, 1) for v in list(st.mse.values()) + list(st.r2.values()))
    # layer 1 carries u linearly but not h* (quadratic in u); the layer-2 feature carries h*
    assert st.r2["layer 1 ~ u"][0, 0] > 0.7 and st.r2["layer 1 ~ h*"][0, 0] < 0.05
    assert st.r2["layer 2 ~ h*"][0, 0] > 0.5
    with pytest.raises(ValueError, match="sample sizes"):
        E.depth_study(task, [], p1=10, p2=10, p_out=10, n_val=10, n_test=10)


def test_real_comparison_records_and_digits_entry_equals_a_direct_fit():
    rc = E.RealComparison({}, {})
    rc.add("m", [0.5, -2.0, 1.0], [1.0, -1.0, -1.0])
    assert rc.mse["m"] == [pytest.approx((0.25 + 1 + 4) / 3)] and rc.err["m"] == [pytest.approx(1 / 3)]
    dig = E.digits_comparison(n_train=300, n_val=100, p=200, k=10, seeds=1, seed=4)
    X, y, Xv, yv, Xt, yt = E.digits_pm1(n_train=300, n_val=100, seed=4)
    m = L.NeuralLoFi([200, 200], [10, None], seed=4).fit(X, y, X_val=Xv, y_val=yv)
    assert dig.mse["LoFi"][0] == pytest.approx(m.mse(Xt, yt), rel=1e-12)
    assert set(dig.mse) == {"RF(p)", "RF(2p)", "LoFi", "NNGP (depth 2)", "kernel LoFi"}


def test_cifar_binary_normalises_per_channel_and_says_what_is_missing(fake_cifar10, tmp_path_factory):
    from lofi_utils.datasets import DataMissing

    with pytest.raises(DataMissing):
        E.cifar_binary(tmp_path_factory.mktemp("empty"), n_train=4, n_val=2, n_test=2)
    tmp_path = fake_cifar10
    X, y, Xv, yv, Xt, yt = E.cifar_binary(tmp_path, n_train=20, n_val=5, n_test=4)
    ch = X.reshape(20, 32, 32, 3).reshape(-1, 3)
    assert X.shape == (20, 3072) and Xv.shape == (5, 3072) and Xt.shape == (4, 3072)
    assert np.abs(ch.mean(0)).max() < 1e-12 and np.abs(ch.std(0) - 1).max() < 1e-12
    assert set(np.unique(np.r_[y, yv, yt])) <= {-1.0, 1.0}
    with pytest.raises(ValueError, match="asked for"):
        E.cifar_binary(tmp_path, n_train=30, n_val=5, n_test=4)


def test_lofi_explorer_draws_only_on_a_control_change():
    import matplotlib.pyplot as plt

    plt.close("all")
    w = E.lofi_explorer(p=60, n_val=100, n_test=100, d=16, r=4)
    assert plt.get_fignums() == []
    w.children[0].value = 500
    assert len(plt.get_fignums()) == 1 and len(plt.gcf().axes) == 2
    plt.close("all")


def test_float32_subspace_iteration_stops_at_its_rounding_floor():
    # float32 residuals stall near a few eps: the solver must stop there, not run to max_iter
    X, y = _data(n=400, d=8)
    _, Z = _features(X, 300, center=True)
    w = torch.as_tensor(y - y.mean())
    ref = L.top_k_abs(L.SignedCovariance(w, Z=Z), 6, method="dense")
    r32 = L.top_k_abs(L.SignedCovariance(w.float(), Z=Z.float()), 6, method="subspace", max_iter=500)
    assert r32.iterations < 200 and r32.residual < 32 * torch.finfo(torch.float32).eps
    assert L.subspace_distance(r32.vectors.double(), ref.vectors) < 1e-3
    assert torch.allclose(r32.values.double(), ref.values, rtol=1e-4, atol=0)


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = _data(n=20, d=8)
_T = dict(dtype=torch.float64)


def _fitted():
    return L.NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb, y_val=_yb)


BAD_INPUTS = [
    # NeuralLoFi.fit (the reported defects first)
    (lambda: L.NeuralLoFi([12], [2]).fit(np.full((20, 8), np.nan), _yb, X_val=_Xb, y_val=_yb),
     "X must be finite, got 160 NaN or inf entries"),
    (lambda: L.NeuralLoFi([12], [2]).fit(np.zeros((0, 8)), _yb[:0], X_val=_Xb, y_val=_yb),
     r"X must be an \(n, d\) array with n, d >= 1, got shape \(0, 8\)"),
    (lambda: L.NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb[:, :5], y_val=_yb),
     r"X_val must have d = 8 columns like the training inputs, got shape \(20, 5\)"),
    (lambda: L.NeuralLoFi([50], [30]).fit(_Xb, _yb, X_val=_Xb, y_val=_yb),
     "rank k of layer 1 must be <= the number of training samples n = 20, got 30"),
    (lambda: L.NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=np.full((20, 8), np.inf), y_val=_yb), "X_val must be finite"),
    (lambda: L.NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb, y_val=_yb[:5]), "y_val has 5 entries for 20 samples"),
    (lambda: _fitted().predict(_Xb[:, :3]), r"X must have d = 8 columns like the training inputs, got shape \(20, 3\)"),
    (lambda: L.NeuralLoFi([12], [2], bias=-1.0), r"bias \(a standard deviation\) must be a finite number >= 0, got -1\.0"),
    (lambda: L.NeuralLoFi([12], [2], seed=1.5), r"seed must be an integer >= 0, got 1\.5"),
    (lambda: L.NeuralLoFi([12], [2], tol=float("nan")), "tol must be a finite number >= 0, got nan"),
    (lambda: L.NeuralLoFi([12], [2], chunk=0), "chunk must be an integer >= 1, got 0"),
    # solvers, lifts, kernels, ridge
    (lambda: L.top_k_abs(torch.eye(30, **_T), 2, method="subspace", max_iter=0), "max_iter must be an integer >= 1"),
    (lambda: L.top_k_abs(torch.full((4, 4), float("nan"), **_T), 2), "C must be finite, got NaN or inf entries"),
    (lambda: L.top_k_abs(torch.ones(5, 4, **_T), 2), r"C must be a square \(p, p\) tensor .*got \(5, 4\)"),
    (lambda: L.RandomLift(8, 4).fit_scale(torch.full((3, 8), float("nan"))),
     r"H \(the training inputs\) must be finite"),
    (lambda: L.SignedCovariance(torch.full((20,), float("nan"), **_T), Z=torch.ones(20, 4, **_T)),
     r"w \(the label weights\) must be finite"),
    (lambda: L.deep_nngp(np.zeros((4, 3)), np.ones((2, 3)), depth=2),
     r"X must be finite and not all zero .*c\^2 = 0\.0"),
    (lambda: L.nngp_gram(_Xb, _Xb[:, :5]), r"H1 and H2 must be \(n1, m\) and \(n2, m\) with the same m"),
    (lambda: L.KernelLoFi([2, None]).fit_predict(_Xb, _yb, _Xb[:, :5], _yb, _Xb), "X_val must have d = 8 columns"),
    (lambda: L.kernel_filter(np.full((4, 4), np.nan), np.ones(4), 2), "G and y must be finite"),
    (lambda: L.patches(np.ones((2, 6, 6)), 3, stride=-1), "stride must be an integer >= 1, got -1"),
    (lambda: L.fit_ridge(torch.full((5, 2), float("nan")), np.ones(5), F_val=torch.ones(3, 2), y_val=np.ones(3)),
     "F must be finite, got 10 NaN or inf entries"),
    (lambda: L.fit_ridge(torch.ones(5, 2), np.arange(5.0), F_val=torch.ones(3, 3), y_val=np.ones(3)),
     r"F_val must have d = 2 columns"),
    (lambda: L.fit_kernel_ridge(np.eye(5), np.arange(5.0), K_val=np.ones((3, 4)), y_val=np.ones(3)),
     r"K_val must be \(n_val, n\) with n = 5 training points, got shape \(3, 4\)"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- contracts of the science
def test_centred_labels_make_the_filter_blind_to_a_shift_of_y():
    """center_y=True weighs C by w = y - mean(y): adding a constant to y leaves every filter and the features
    unchanged (to rounding); without centring the same shift changes them (the mean of y enters C)."""
    X, y = _data(n=200, d=8)

    def filt(y_, center):
        m = L.NeuralLoFi([60, 60], [4, None], center_y=center, seed=3).fit(X, y_, X_val=X, y_val=y_)
        return m.layers[0].V, m.transform(X)

    V, H = filt(y, True)
    Vs, Hs = filt(y + 5.0, True)
    assert L.subspace_distance(V, Vs) < 1e-8 and torch.allclose(H, Hs, atol=1e-8, rtol=0)
    assert L.subspace_distance(filt(y, False)[0], filt(y + 5.0, False)[0]) > 0.1
