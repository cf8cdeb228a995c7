"""The random lift of a Neural LoFi layer (lofi_utils.lofi.lift): activations from the registry, bias, Gram matrix."""

import math

import numpy as np
import pytest
import torch
from lofi_testing import data, one_torch_thread

from lofi_utils.lofi.lift import ACTIVATIONS, RandomLift, check_activation, torch_activation


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_activations_match_the_book_conventions():
    z = torch.linspace(-3, 3, 13, dtype=torch.float64)
    assert torch.allclose(torch_activation("relu")(z), math.sqrt(2) * torch.relu(z))
    # unit second moment under N(0, 1) for relu, abs and quadratic (Gauss-Hermite, 60 nodes)
    g, wts = np.polynomial.hermite_e.hermegauss(60)
    wts = wts / wts.sum()
    for name in ("relu", "abs", "quadratic"):
        m2 = float((wts * torch_activation(name)(torch.as_tensor(g)).numpy() ** 2).sum())
        assert abs(m2 - 1.0) < 1e-3, name


def test_bias_zero_is_the_official_lift_and_bias_is_drawn_after_w():
    H = torch.as_tensor(data(n=50, d=5)[0])
    a = RandomLift(5, 40, seed=3).fit_scale(H)
    b = RandomLift(5, 40, seed=3, bias=0.7).fit_scale(H)
    assert a.b is None and torch.equal(a.W, b.W)  # the weights do not depend on the bias
    pre = H @ b.W / b.c + b.b
    assert torch.allclose(b(H), torch.relu(pre) * math.sqrt(2) / math.sqrt(40), atol=1e-14)
    assert torch.allclose(b.gram(H), b(H) @ b(H).T, atol=1e-12)  # the blocked Gram path sees the bias
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="bias"):
            RandomLift(5, 4, bias=bad)


def test_bias_lets_a_relu_lift_of_a_scalar_fit_a_non_homogeneous_function():
    # without bias the ReLU lift of a scalar t spans only max(t, 0) and max(-t, 0): t^2 is out of reach
    rng = np.random.default_rng(0)
    t = rng.standard_normal((2000, 1))
    y = t[:, 0] ** 2
    r2 = {}
    for bias in (0.0, 1.0):
        Z = RandomLift(1, 300, seed=1, bias=bias).fit_scale(torch.as_tensor(t))(torch.as_tensor(t)).numpy()
        F = np.c_[Z, np.ones(len(t))]
        res = y - F @ np.linalg.lstsq(F, y, rcond=None)[0]
        r2[bias] = 1 - res.var() / y.var()
    assert r2[0.0] < 0.9 and r2[1.0] > 0.999


def test_quadratic_lift_kernel_is_the_wick_formula():
    # E_w[He2(w.h/c) He2(w.h'/c)] / 2 = rho^2 + (s - 1)(s' - 1)/2, rho = h.h'/c^2, s = |h|^2/c^2
    X, _ = data(n=20, d=4)
    H = torch.as_tensor(X)
    lift = RandomLift(4, 400_000, seed=2, activation="quadratic").fit_scale(H)
    G = lift.gram(H).numpy()
    rho = X @ X.T / lift.c**2
    s = np.diag(rho)
    K = rho**2 + np.outer(s - 1, s - 1) / 2
    se = np.sqrt((np.outer(s, s) ** 2 * 6 + 1) / 400_000)  # generous bound on the per-entry std error
    assert np.abs(G - K).max() < 6 * se.max()


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = data(n=20, d=8)
_T = dict(dtype=torch.float64)


BAD_INPUTS = [
    (lambda: RandomLift(8, 4).fit_scale(torch.full((3, 8), float("nan"))), r"H \(the training inputs\) must be finite"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_lift_activations_are_the_registry_functions():
    # one registry: the lift applies exactly the function lofi_utils.activations holds under each name
    from lofi_utils import activations

    for name in ACTIVATIONS:
        assert torch_activation(name) is activations.get(name).torch
        assert RandomLift(3, 2, activation=name.upper())._sigma is activations.get(name).torch
    assert check_activation("ReLU") == "relu"
    for bad in ("gelu", "plain_relu", "nope"):
        with pytest.raises(ValueError, match="activation"):
            check_activation(bad)
