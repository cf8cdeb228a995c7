"""The signed covariance and its top-k filter (lofi_utils.lofi.filtering): solver agreement, matrix-free products."""

import numpy as np
import pytest
import torch
from lofi_testing import data, features, one_torch_thread

from lofi_utils.lofi.filtering import SignedCovariance, order_by_abs, subspace_distance, top_k_abs
from lofi_utils.lofi.lift import RandomLift


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_top_k_by_absolute_value_keeps_negative_eigenvalues():
    C = torch.diag(torch.tensor([3.0, -5.0, 1.0, -0.5, 2.0], dtype=torch.float64))
    res = top_k_abs(C, 3, method="dense")
    assert res.values.tolist() == [-5.0, 3.0, 2.0]
    res = top_k_abs(C, 3, method="subspace", oversample=2)
    assert np.allclose(res.values.numpy(), [-5.0, 3.0, 2.0], atol=1e-12)


def test_dense_subspace_arpack_agree():
    X, y = data(n=400, d=10)
    _, Z = features(X, 300, center=True)
    op = SignedCovariance(torch.as_tensor(y - y.mean()), Z=Z)
    k = 12
    dense = top_k_abs(op, k, method="dense")
    sub = top_k_abs(op, k, method="subspace", tol=1e-12)
    arp = top_k_abs(op, k, method="arpack", tol=1e-13)
    for other in (sub, arp):
        assert subspace_distance(dense.vectors, other.vectors) < 1e-7
        assert np.abs(dense.values.numpy() - other.values.numpy()).max() < 1e-12 * 1e3
    V = sub.vectors
    assert torch.allclose(V.T @ V, torch.eye(k, dtype=V.dtype), atol=1e-12)
    assert op.n_products > 0


def test_matrix_free_operator_equals_dense_matrix_and_recomputed_chunks():
    X, y = data(n=250)
    H = torch.as_tensor(X)
    lift = RandomLift(X.shape[1], 90, seed=4, chunk=37).fit_scale(H).fit_mean(H)  # chunks of 37 rows
    w = torch.as_tensor(y)
    cached = SignedCovariance(w, Z=lift(H))
    implicit = SignedCovariance(w, lift=lift, H=H)
    Z = lift(H)
    C = (Z * w[:, None]).T @ Z / len(y)
    V = torch.randn(90, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for op in (cached, implicit):
        assert torch.allclose(op.matmat(V), C @ V, atol=1e-14, rtol=0)
        assert torch.allclose(op.dense(), C, atol=1e-14, rtol=0)
        assert torch.allclose(op.linear(), Z.T @ w / len(y), atol=1e-14, rtol=0)


def test_subspace_distance_basic_values():
    e = torch.eye(4, dtype=torch.float64)
    mix = torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=torch.float64)
    assert subspace_distance(e[:, :2], e[:, [1, 0]] @ mix) < 1e-15
    assert abs(subspace_distance(e[:, :2], e[:, [0, 2]]) - 1.0) < 1e-15


def test_float32_subspace_iteration_stops_at_its_rounding_floor():
    # float32 residuals stall near a few eps: the solver must stop there, not run to max_iter
    X, y = data(n=400, d=8)
    _, Z = features(X, 300, center=True)
    w = torch.as_tensor(y - y.mean())
    ref = top_k_abs(SignedCovariance(w, Z=Z), 6, method="dense")
    r32 = top_k_abs(SignedCovariance(w.float(), Z=Z.float()), 6, method="subspace", max_iter=500)
    assert r32.iterations < 200 and r32.residual < 32 * torch.finfo(torch.float32).eps
    assert subspace_distance(r32.vectors.double(), ref.vectors) < 1e-3
    assert torch.allclose(r32.values.double(), ref.values, rtol=1e-4, atol=0)


def test_bad_parameters_raise_value_error():
    with pytest.raises(ValueError, match="method"):
        top_k_abs(torch.eye(3, dtype=torch.float64), 1, method="lanczos")
    with pytest.raises(ValueError, match="exceeds"):
        top_k_abs(torch.eye(3, dtype=torch.float64), 4)


def test_order_by_abs_sorts_by_magnitude_and_keeps_ties_in_order():
    vals = torch.tensor([0.5, -3.0, 2.0, -2.0, 3.0], dtype=torch.float64)
    assert order_by_abs(vals).tolist() == [1, 4, 2, 3, 0]


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = data(n=20, d=8)
_T = dict(dtype=torch.float64)


BAD_INPUTS = [
    (lambda: top_k_abs(torch.eye(30, **_T), 2, method="subspace", max_iter=0), "max_iter must be an integer >= 1"),
    (lambda: top_k_abs(torch.full((4, 4), float("nan"), **_T), 2), "C must be finite, got NaN or inf entries"),
    (lambda: top_k_abs(torch.ones(5, 4, **_T), 2), r"C must be a square \(p, p\) tensor .*got \(5, 4\)"),
    (
        lambda: SignedCovariance(torch.full((20,), float("nan"), **_T), Z=torch.ones(20, 4, **_T)),
        r"w \(the label weights\) must be finite",
    ),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
