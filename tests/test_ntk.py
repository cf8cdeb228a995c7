"""The PyTorch NTK-parametrised MLP and its empirical per-layer NTK (lofi_utils.ntk)."""

import math

import numpy as np
import pytest
import torch

from lofi_utils import activations as A
from lofi_utils import kernels as K
from lofi_utils.ntk import (
    MLP,
    bin_by_cosine,
    empirical_layer_ntk,
    empirical_ntk,
    jacobian_layer_ntk,
    jacobian_layer_ntk_blocked,
)
from lofi_utils.sphere import sample_sphere

torch.set_num_threads(1)


def sphere_tensor(n, d, seed, dtype=torch.float64):
    x = sample_sphere(n, d, radius=math.sqrt(d), rng=np.random.default_rng(seed))
    return torch.as_tensor(x, dtype=dtype)


def test_forward_layers_structure():
    m = MLP(3, 8, 4, bias=0.5, seed=0, dtype=torch.float64)
    x = sphere_tensor(5, 3, 0)
    f, zs, hs = m.forward_layers(x)
    assert f.shape == (5,) and torch.equal(f, m(x))
    assert [z.shape[1] for z in zs] == [8, 8, 8, 1] and len(hs) == 4 and hs[0] is x
    assert torch.allclose(hs[2], math.sqrt(2) * torch.relu(zs[1]))
    names = dict(m.named_parameters())
    groups = m.parameter_groups()
    assert len(groups) == 4 and all(n in names for g in groups for n in g)
    assert names["weights.0"].shape == (8, 3) and names["weights.3"].shape == (1, 8)
    # same seed, same network
    assert torch.equal(MLP(3, 8, 4, seed=0).weights[1], MLP(3, 8, 4, seed=0).weights[1])


@pytest.mark.parametrize("act", ["relu", "tanh", "erf"])
@pytest.mark.parametrize("bias", [0.0, 0.7])
def test_factorised_layer_ntk_equals_jacobian_route(act, bias):
    m = MLP(4, 12, 3, activation=act, bias=bias, seed=1, dtype=torch.float64)
    x = sphere_tensor(9, 4, 1)
    fast = empirical_layer_ntk(m, x)
    slow = jacobian_layer_ntk(m, x)
    assert fast.shape == slow.shape == (3, 9, 9)
    assert (fast - slow).abs().max() < 1e-10 * max(1.0, slow.abs().max().item())
    # cross-kernel, chunking and the total
    x2 = sphere_tensor(4, 4, 2)
    both = jacobian_layer_ntk(m, torch.cat([x, x2]))
    assert torch.allclose(empirical_layer_ntk(m, x, x2, chunk=2), both[:, :9, 9:], atol=1e-12)
    assert torch.allclose(empirical_ntk(m, x), slow.sum(0), atol=1e-12)


def test_blocked_jacobian_route_equals_the_full_one():
    m = MLP(4, 10, 3, bias=0.4, seed=2, dtype=torch.float64)
    x = torch.as_tensor(sample_sphere(11, 4, radius=2.0, rng=np.random.default_rng(0)))
    full = jacobian_layer_ntk(m, x)
    assert torch.allclose(jacobian_layer_ntk_blocked(m, x, chunk=6), full, atol=1e-12)
    assert torch.allclose(empirical_layer_ntk(m, x), full, atol=1e-12)


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_network_applies_the_registry_activation(act):
    """The network's sigma is the registry's torch function, the one its kernel is computed for."""
    m = MLP(3, 8, 3, activation=act, seed=0, dtype=torch.float64)
    x = sphere_tensor(5, 3, 0)
    _, zs, hs = m.forward_layers(x)
    assert torch.equal(hs[1], A.get(act).torch(zs[0]))


def test_linear_model_ntk_is_exact():
    m = MLP(5, 7, 1, bias=0.3, seed=0, dtype=torch.float64)
    x = sphere_tensor(6, 5, 3)
    assert torch.allclose(empirical_ntk(m, x), x @ x.T / 5 + 0.09, atol=1e-13)


@pytest.mark.parametrize("act,bias", [("relu", 0.0), ("relu", 0.5), ("tanh", 0.1), ("erf", 0.0)])
def test_monte_carlo_mean_of_empirical_ntk_matches_theory(act, bias):
    """E over initialisations of Theta_hat_l = Theta_l: every entry within 4 standard errors."""
    d, width, L, seeds = 3, 256, 3, 24
    x = sphere_tensor(5, d, 4)
    t = (x @ x.T / d).clamp(-1, 1).numpy()
    theory = K.layer_kernels(t.ravel(), depth=L, activation=act, bias=bias).theta_layers.reshape(L, 5, 5)
    samples = np.stack(
        [
            empirical_layer_ntk(MLP(d, width, L, activation=act, bias=bias, seed=s, dtype=torch.float64), x).numpy()
            for s in range(seeds)
        ]
    )
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / math.sqrt(seeds)
    iu = np.triu_indices(5)
    z = np.abs(mean - theory)[:, iu[0], iu[1]] / se[:, iu[0], iu[1]]
    assert z.max() < 4.0, f"max |z| = {z.max():.2f}"
    # and the total NTK
    tot = samples.sum(1)
    ztot = np.abs(tot.mean(0) - theory.sum(0)) / (tot.std(0, ddof=1) / math.sqrt(seeds))
    assert ztot[iu].max() < 4.0


def test_wide_network_ntk_close_to_theory():
    d, L = 5, 3
    x = sphere_tensor(60, d, 5, dtype=torch.float32)
    t = (x @ x.T / d).clamp(-1, 1).double().numpy()
    theory = K.ntk(t.ravel(), depth=L).reshape(t.shape)
    errs = []
    for width in (64, 1024):
        emp = empirical_ntk(MLP(d, width, L, seed=0), x).double().numpy()
        errs.append(np.linalg.norm(emp - theory) / np.linalg.norm(theory))
    assert errs[1] < 0.12 and errs[1] < errs[0]


def test_bin_by_cosine():
    t = np.array([-0.95, -0.9, 0.0, 0.05, 0.99])
    v = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    c, mean, std, n = bin_by_cosine(t, v, bins=4)
    assert np.allclose(c, [-0.75, -0.25, 0.25, 0.75])
    assert np.array_equal(n, [2, 0, 2, 1])
    assert np.allclose(mean[[0, 2, 3]], [2.0, 6.0, 9.0]) and np.isnan(mean[1])


def test_validation_errors():
    with pytest.raises(ValueError, match="relu, erf, tanh"):
        MLP(3, 8, 2, activation="gelu")
    with pytest.raises(ValueError, match="width"):
        MLP(3, 0, 2)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        empirical_layer_ntk(MLP(3, 8, 2), torch.zeros(4, 2))
