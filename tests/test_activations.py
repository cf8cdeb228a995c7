"""The activation registry: one meaning per name, NumPy and torch agree, kernels match their networks."""

import math

import numpy as np
import pytest
import torch

from lofi_utils import activations as A

Z = np.linspace(-3.0, 3.0, 601)
GH_Z, GH_W = np.polynomial.hermite_e.hermegauss(120)
GH_W = GH_W / GH_W.sum()  # E over z ~ N(0, 1)


@pytest.mark.parametrize("name", A.names())
def test_numpy_torch_and_module_agree(name):
    act = A.get(name)
    t = torch.tensor(Z, dtype=torch.float64)
    np.testing.assert_allclose(act.torch(t).numpy(), act.numpy(Z), rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        np.testing.assert_allclose(act.module()(t).numpy(), act.numpy(Z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in A.names() if A.get(n).numpy_prime is not None])
def test_derivative_is_the_derivative(name):
    act, h = A.get(name), 1e-6
    z = Z[np.abs(Z) > 1e-3]  # away from the kinks at 0
    fd = (act.numpy(z + h) - act.numpy(z - h)) / (2 * h)
    np.testing.assert_allclose(act.numpy_prime(z), fd, rtol=1e-6, atol=1e-6)


def test_relu_is_the_scaled_one_and_plain_relu_is_torchs():
    assert A.get("relu").numpy(np.array([2.0]))[0] == pytest.approx(2 * math.sqrt(2))
    assert isinstance(A.get("plain_relu").module(), torch.nn.ReLU)
    # unit second moment of the book's relu: E[sigma(z)^2] = 1
    assert GH_W @ A.get("relu").numpy(GH_Z) ** 2 == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("name", A.names(kernel=True))
def test_dual_kernel_is_the_gaussian_expectation_of_the_function(name):
    # V(q) = E[sigma(sqrt(q) z)^2] and V(0) = E[sigma(sqrt(q) z)]^2: the kernel and the function are one record
    act = A.get(name)
    for q in (0.5, 1.0, 2.0):
        s = act.numpy(math.sqrt(q) * GH_Z)
        V, _ = act.dual(q, np.array([q, 0.0]))
        tol = 1e-2 if name == "relu" else 1e-8  # the kink slows Gauss-Hermite down (0.7 %)
        assert V[0] == pytest.approx(GH_W @ s**2, rel=tol)
        assert V[1] == pytest.approx((GH_W @ s) ** 2, rel=tol, abs=1e-12)


@pytest.mark.parametrize("name", A.names(kernel=True))
def test_hermite_coefficients_sum_to_the_second_moment(name):
    act = A.get(name)
    a2 = act.hermite2(60)
    assert a2.shape == (61,) and np.all(a2 >= -1e-15)
    assert a2.sum() == pytest.approx(float(act.dual(1.0, 1.0)[0]), rel=2e-3)


def test_relu_hermite_closed_form_matches_quadrature():
    closed = A.get("relu").hermite2(8)
    from lofi_utils.hermite import hermite_coeffs

    quad = hermite_coeffs(A.get("relu").numpy, 8, n_nodes=350) ** 2
    np.testing.assert_allclose(closed[:5], quad[:5], atol=5e-3)


def test_names_and_errors():
    assert set(A.names(kernel=True)) == {"relu", "erf", "tanh"}
    assert "plain_relu" in A.names(module=True) and "relu" not in A.names(module=True)
    with pytest.raises(ValueError, match=r"unknown activation 'cosh'; allowed: relu, plain_relu"):
        A.get("cosh")
    with pytest.raises(ValueError, match="unknown activation 'sin'; allowed: relu, erf"):
        A.check_name("sin", allowed=("relu", "erf"))
    assert A.check_name("ReLU") == "relu"
    with pytest.raises(ValueError, match="has no dual kernel here; those with one: relu, erf, tanh"):
        A.get("sin").dual(1.0, 0.5)
    with pytest.raises(ValueError, match="unknown activation 3"):
        A.get(3)
