"""Facts of lofi_utils.attribution: the per-layer attribution of the test-loss reduction, for networks and for
their linearised (kernel) models."""

import math

import numpy as np
import pytest
import torch

from lofi_utils import attribution as AT
from lofi_utils import kernels as K
from lofi_utils import sphere as S
from lofi_utils.ntk import MLP, empirical_layer_ntk

torch.set_num_threads(1)


def test_kernel_attribution_of_proportional_layers_is_exact():
    rng = np.random.default_rng(0)
    x = S.sample_sphere(60, 3, radius=math.sqrt(3), rng=rng)
    base = K.ntk(np.clip(x @ x.T / 3, -1, 1), depth=2)
    c = np.array([0.5, 0.3, 0.2])
    Ks = c[:, None, None] * base
    y = rng.standard_normal(60)
    res = AT.kernel_attribution(Ks[:, :40, :40], Ks[:, 40:, :40], y[:40], y[40:], eta=0.5, steps=30)
    assert np.allclose(res.shares, c, atol=1e-12)
    assert abs(res.closure - 1) < 1e-12  # the trapezoidal rule is exact for a quadratic loss
    # training only layer 2 attributes everything to it and follows the kernel 0.3 K
    one = AT.kernel_attribution(Ks[:, :40, :40], Ks[:, 40:, :40], y[:40], y[40:], eta=0.5, steps=30, train_layers=[2])
    assert np.allclose(one.shares, [0, 1, 0]) and abs(one.closure - 1) < 1e-12


def test_network_attribution_first_step_is_the_ntk_quadratic_form():
    """<grad_l L_test, grad_l L_train> = r_te^T Theta_hat_l(te, tr) r_tr / (m n): the Euler step of a network
    equals the kernel model with the network's own per-layer NTK, to rounding (float64)."""
    d, L = 3, 3
    rng = np.random.default_rng(1)
    x = S.sample_sphere(30, d, radius=math.sqrt(d), rng=rng)
    y = rng.standard_normal(30)
    m = MLP(d, 16, L, bias=0.3, seed=0, dtype=torch.float64)
    xt = torch.as_tensor(x)
    G = empirical_layer_ntk(m, xt).numpy()
    ker = AT.kernel_attribution(G[:, :20, :20], G[:, 20:, :20], y[:20], y[20:], eta=0.1, steps=1)
    net = AT.train_attribution(m, xt[:20], torch.as_tensor(y[:20]), xt[20:], torch.as_tensor(y[20:]), eta=0.1, steps=1)
    assert np.allclose(net.contrib_euler[1], ker.contrib_euler[1], rtol=1e-10, atol=1e-14)


def test_network_attribution_closes_and_respects_frozen_layers():
    d, L = 3, 3
    rng = np.random.default_rng(2)
    x = torch.as_tensor(S.sample_sphere(80, d, radius=math.sqrt(d), rng=rng))
    y = torch.as_tensor(rng.standard_normal(80))
    res = AT.train_attribution(
        MLP(d, 64, L, seed=1, dtype=torch.float64), x[:50], y[:50], x[50:], y[50:], eta=0.5, steps=20
    )
    assert abs(res.closure - 1) < 1e-3 < abs(res.closure_euler - 1)
    one = AT.train_attribution(
        MLP(d, 64, L, seed=1, dtype=torch.float64), x[:50], y[:50], x[50:], y[50:], eta=0.5, steps=20, train_layers=[1]
    )
    assert one.trained == (1,) and np.all(one.contrib[:, 1:] == 0)
    assert abs(one.closure - 1) < 0.2 * abs(one.closure_euler - 1)  # third order against second


def test_residual_rate_recovers_a_geometric_decay():
    loss = 0.7 * (1 - 0.03) ** (2 * np.arange(200))
    assert abs(AT.residual_rate(loss) - 0.03) < 1e-12


def _proportional_comparison(c, label="toy"):
    rng = np.random.default_rng(0)
    x = S.sample_sphere(60, 3, radius=math.sqrt(3), rng=rng)
    Ks = np.asarray(c)[:, None, None] * K.ntk(np.clip(x @ x.T / 3, -1, 1), depth=2)
    y = rng.standard_normal(60)
    res = AT.kernel_attribution(Ks[:, :40, :40], Ks[:, 40:, :40], y[:40], y[40:], eta=0.5, steps=40)
    return AT.AttributionComparison(network=res, initial=res, analytic=res, label=label)


def test_attribution_summaries_of_proportional_layers():
    """K_l = c_l K: every layer does the share c_l / sum c at all times, early and late alike."""
    c = np.array([0.5, 0.3, 0.2])
    comp = _proportional_comparison(c)
    early, late = AT.early_late_shares(comp.network, frac=0.25)
    assert np.allclose(early, c, atol=1e-12) and np.allclose(late, c, atol=1e-12)
    assert AT.closure_error([comp]) < 1e-12 and AT.linearisation_gap([comp]) == 0.0
    assert comp.describe().startswith("toy") and "closure 1.0000" in comp.describe()
    with pytest.raises(ValueError, match="frac"):
        AT.early_late_shares(comp.network, frac=0.01)
    with pytest.raises(ValueError, match="at least one"):
        AT.closure_error([])


def test_compare_attribution_levels_agree_at_the_first_step():
    """The network's first Euler step is its initial-kernel model's (float64, no drift yet)."""
    d = 3
    rng = np.random.default_rng(3)
    x = S.sample_sphere(40, d, radius=math.sqrt(d), rng=rng)
    y = rng.standard_normal(40)
    comp = AT.compare_attribution(MLP(d, 16, 2, seed=0, dtype=torch.float64), x, y, 25, eta=0.1, steps=1, label="one")
    assert comp.label == "one" and comp.describe().startswith("one")
    assert np.allclose(comp.network.contrib_euler[1], comp.initial.contrib_euler[1], rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="n_train"):
        AT.compare_attribution(MLP(d, 16, 2, seed=0), x, y, 40, eta=0.1, steps=1)


def test_validation_errors():
    with pytest.raises(ValueError, match="train_layers"):
        AT.kernel_attribution(
            np.zeros((2, 3, 3)), np.zeros((2, 2, 3)), np.zeros(3), np.zeros(2), eta=1, steps=1, train_layers=[3]
        )
