"""The finite-width Neural LoFi model (lofi_utils.lofi.model): shapes, options, determinism, bad input."""

import numpy as np
import pytest
import torch
from lofi_testing import data, one_torch_thread

from lofi_utils.lofi.filtering import subspace_distance
from lofi_utils.lofi.lift import RandomLift
from lofi_utils.lofi.model import NeuralLoFi
from lofi_utils.lofi.ridge import fit_ridge
from lofi_utils.lofi.targets import span_r2


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_prepend_linear_direction_is_first_and_orthogonal():
    X, y = data(n=300)
    m = NeuralLoFi([120], [5], prepend_linear=True, center_z=True).fit(X, y, X_val=X[:50], y_val=y[:50])
    V = m.layers[0].V
    lift = m.layers[0].lift
    Z = lift(torch.as_tensor(X))
    v0 = Z.T @ torch.as_tensor(y - y.mean())
    assert torch.allclose(V[:, 0], v0 / v0.norm(), atol=1e-12)
    assert torch.allclose(V.T @ V, torch.eye(5, dtype=V.dtype), atol=1e-10)


def test_neural_lofi_shapes_and_determinism():
    X, y = data(n=200)
    kw = dict(X_val=X[:40], y_val=y[:40])
    a = NeuralLoFi([100, 80, 60], [7, 5, None], seed=3).fit(X, y, **kw)
    b = NeuralLoFi([100, 80, 60], [7, 5, None], seed=3).fit(X, y, **kw)
    c = NeuralLoFi([100, 80, 60], [7, 5, None], seed=4).fit(X, y, **kw)
    assert a.transform(X, upto=1).shape == (200, 7)
    assert a.transform(X, upto=2).shape == (200, 5)
    assert a.transform(X).shape == (200, 60)
    assert torch.equal(a.predict(X), b.predict(X))
    assert not torch.allclose(a.predict(X), c.predict(X))
    assert a.layers[2].V is None and a.layers[0].V.shape == (100, 7)


def test_full_rank_filter_is_a_rotation_of_the_random_features():
    # k = p keeps the whole lift: the ridge readout (rotation invariant) equals the random-feature model's
    X, y = data(n=150)
    kw = dict(
        X_val=X[:40],
        y_val=y[:40],
    )
    rf = NeuralLoFi([40], [None], seed=2, lams=[1e-3]).fit(X, y, **kw)
    full = NeuralLoFi([40], [40], seed=2, center_z=False, lams=[1e-3]).fit(X, y, **kw)
    assert torch.allclose(rf.predict(X), full.predict(X), atol=1e-10)


def test_matrix_free_model_equals_dense_model():
    X, y = data(n=300)
    kw = dict(X_val=X[:50], y_val=y[:50])
    d = NeuralLoFi([150, 100], [6, None], solver="dense").fit(X, y, **kw)
    f = NeuralLoFi([150, 100], [6, None], solver="subspace", cache_bytes=0, chunk=64).fit(X, y, **kw)
    assert subspace_distance(d.layers[0].V, f.layers[0].V) < 1e-8
    assert torch.allclose(d.predict(X), f.predict(X), atol=1e-6)


def test_cached_features_are_built_block_by_block(monkeypatch):
    """A filtered layer keeps Z (n x p) whole when it fits the cache, but builds it ``chunk`` rows at a time (a
    whole-n lift would hold about three n x p temporaries); the model equals the one built from one block."""
    X, y = data(n=300)
    kw = dict(X_val=X[:50], y_val=y[:50])
    rows = []
    lift_call = RandomLift.__call__

    def spy(self, H):
        rows.append(H.shape[0])
        return lift_call(self, H)

    monkeypatch.setattr(RandomLift, "__call__", spy)
    a = NeuralLoFi([150, 400], [6, None], seed=1, chunk=64).fit(X, y, **kw)  # p2 > n: dual readout
    monkeypatch.undo()
    assert rows and max(rows) <= 64
    b = NeuralLoFi([150, 400], [6, None], seed=1).fit(X, y, **kw)  # n <= chunk: one block
    assert subspace_distance(a.layers[0].V, b.layers[0].V) < 1e-10
    assert torch.allclose(a.predict(X), b.predict(X), atol=1e-10)
    lift, H = b.layers[0].lift, torch.as_tensor(X)
    lift.chunk = 64
    assert torch.allclose(lift.features(H), lift(H), atol=1e-13, rtol=0)


def test_bad_parameters_raise_value_error():
    X, y = data(n=50)
    with pytest.raises(ValueError, match="activation"):
        NeuralLoFi([10], [None], activation="gelu")
    with pytest.raises(ValueError, match="exceeds the width"):
        NeuralLoFi([10], [11])
    with pytest.raises(ValueError, match="solver"):
        NeuralLoFi([10], [2], solver="qr")
    with pytest.raises(ValueError, match="ranks has"):
        NeuralLoFi([10, 10], [2])
    with pytest.raises(ValueError, match="entries for"):
        NeuralLoFi([10], [None]).fit(X, y[:-1], X_val=X, y_val=y)


def test_dual_readout_of_a_wide_last_layer_equals_the_primal_one():
    # a last layer wider than n is read out from Z Z^T (blockwise); compare with ridge on Z itself
    X, y = data(n=120)
    kw = dict(X_val=X[:30], y_val=y[:30])
    b = NeuralLoFi([100, 400], [5, None], seed=1, cache_bytes=1000).fit(X, y, **kw)
    assert b.dual_readout and b.readout.alpha is not None
    lift = b.layers[-1].lift
    H, Hv = b.transform(X, upto=1), b.transform(X[:30], upto=1)
    ref = fit_ridge(lift(H), y, F_val=lift(Hv), y_val=y[:30], lams=b.lams)
    assert ref.lam == b.readout.lam
    assert torch.allclose(ref.predict(lift(H)), b.predict(X), atol=1e-8)


def test_whitened_layer_has_identity_covariance_and_same_span():
    X, y = data(n=300)
    kw = dict(X_val=X[:40], y_val=y[:40])
    a = NeuralLoFi([120, 50], [6, None], seed=1).fit(X, y, **kw)
    b = NeuralLoFi([120, 50], [6, None], seed=1, whiten=[True, False]).fit(X, y, **kw)
    Hb = b.transform(X, upto=1)
    assert torch.allclose(torch.cov(Hb.T), torch.eye(6, dtype=Hb.dtype), atol=1e-10)
    assert torch.allclose(Hb.mean(0), torch.zeros(6, dtype=Hb.dtype), atol=1e-12)
    # whitening is an invertible affine map of the filtered features: the spans (with constants) agree
    Ha = a.transform(X, upto=1).numpy()
    assert np.allclose(span_r2(Ha, Hb.numpy()), 1.0, atol=1e-10)


def test_centred_labels_make_the_filter_blind_to_a_shift_of_y():
    """center_y=True weighs C by w = y - mean(y): adding a constant to y leaves every filter and the features
    unchanged (to rounding); without centring the same shift changes them (the mean of y enters C)."""
    X, y = data(n=200, d=8)

    def filt(y_, center):
        m = NeuralLoFi([60, 60], [4, None], center_y=center, seed=3).fit(X, y_, X_val=X, y_val=y_)
        return m.layers[0].V, m.transform(X)

    V, H = filt(y, True)
    Vs, Hs = filt(y + 5.0, True)
    assert subspace_distance(V, Vs) < 1e-8 and torch.allclose(H, Hs, atol=1e-8, rtol=0)
    assert subspace_distance(filt(y, False)[0], filt(y + 5.0, False)[0]) > 0.1


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = data(n=20, d=8)
_T = dict(dtype=torch.float64)


@pytest.mark.parametrize("widths", [[100, 60], [100, 400]])  # primal readout, and dual (last layer wider than n)
def test_default_penalty_is_leave_one_out_on_the_training_set(widths):
    """Without a held-out set the readout's penalty minimises the exact leave-one-out error of ridge on the last
    layer's features (the authors' algorithm); with one, the held-out error (the variant)."""
    X, y = data(n=120)
    m = NeuralLoFi(widths, [5, None], seed=2).fit(X, y)
    F = m.layers[-1].lift(m.transform(X, upto=1))
    ref = fit_ridge(F, y, lams=m.lams)
    assert m.readout.criterion == "loo" and m.readout.lam == ref.lam
    assert np.allclose(m.readout.val_mse, ref.val_mse, rtol=1e-6)
    assert torch.allclose(m.predict(X), ref.predict(F), atol=1e-8)
    held = NeuralLoFi(widths, [5, None], seed=2).fit(X, y, X_val=X[:30], y_val=y[:30])
    assert held.readout.criterion == "held-out"


def _fitted():
    return NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb, y_val=_yb)


BAD_INPUTS = [
    (
        lambda: NeuralLoFi([12], [2]).fit(np.full((20, 8), np.nan), _yb, X_val=_Xb, y_val=_yb),
        "X must be finite, got 160 NaN or inf entries",
    ),
    (
        lambda: NeuralLoFi([12], [2]).fit(np.zeros((0, 8)), _yb[:0], X_val=_Xb, y_val=_yb),
        r"X must be an \(n, d\) array with n, d >= 1, got shape \(0, 8\)",
    ),
    (
        lambda: NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb[:, :5], y_val=_yb),
        r"X_val must have d = 8 columns like the training inputs, got shape \(20, 5\)",
    ),
    (
        lambda: NeuralLoFi([50], [30]).fit(_Xb, _yb, X_val=_Xb, y_val=_yb),
        "rank k of layer 1 must be <= the number of training samples n = 20, got 30",
    ),
    (lambda: NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=np.full((20, 8), np.inf), y_val=_yb), "X_val must be finite"),
    (lambda: NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb, y_val=_yb[:5]), "y_val has 5 entries for 20 samples"),
    (lambda: _fitted().predict(_Xb[:, :3]), r"X must have d = 8 columns like the training inputs, got shape \(20, 3\)"),
    (
        lambda: NeuralLoFi([12], [2], bias=-1.0),
        r"bias \(a standard deviation\) must be a finite number >= 0, got -1\.0",
    ),
    (lambda: NeuralLoFi([12], [2], seed=1.5), r"seed must be an integer >= 0, got 1\.5"),
    (lambda: NeuralLoFi([12], [2], tol=float("nan")), "tol must be a finite number >= 0, got nan"),
    (lambda: NeuralLoFi([12], [2], chunk=0), "chunk must be an integer >= 1, got 0"),
    (
        lambda: NeuralLoFi([12], [2]).fit(_Xb, _yb, X_val=_Xb),
        r"give both X_val and y_val \(held-out penalty\) or neither \(leave-one-out\)",
    ),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_cache_limit_and_dual_readout():
    X, y = data(n=60)
    kw = dict(X_val=X[:20], y_val=y[:20])
    assert NeuralLoFi([10], [2], cache_bytes=-123.0).cache_limit() == 123.0  # on the CPU: |cache_bytes|
    narrow = NeuralLoFi([30], [None]).fit(X, y, **kw)
    wide = NeuralLoFi([100], [None]).fit(X, y, **kw)  # p > n: kernel ridge on Z Z^T
    assert not narrow.dual_readout and narrow.readout.beta is not None
    assert wide.dual_readout and wide.readout.alpha is not None
