"""Fourier features for 1-D inputs: the mapping, Tancik et al.'s weights and the induced kernel."""

import math

import numpy as np
import pytest
import torch

from lofi_utils.fourier_features import fourier_feature_kernel, fourier_features, tancik_mapping


def test_fourier_features_unit_norm_and_shape():
    a, b = tancik_mapping(1.0, 16)
    v = np.random.default_rng(0).uniform(0, 1, (5, 7))
    g = fourier_features(v, b, a)
    assert g.shape == (5, 7, 32)
    np.testing.assert_allclose(np.sum(g**2, axis=-1), 1.0, atol=1e-12)
    gt = fourier_features(torch.tensor(v, dtype=torch.float32), b, a)
    assert gt.shape == (5, 7, 32) and gt.dtype == torch.float32
    np.testing.assert_allclose(gt.numpy(), g, atol=1e-5)
    # first feature: a_1 sin(2 pi v) / ||a||
    np.testing.assert_allclose(g[..., 0], a[0] * np.sin(2 * np.pi * v) / np.linalg.norm(a), atol=1e-12)
    a_inf, _ = tancik_mapping(math.inf, 16)
    np.testing.assert_array_equal(a_inf, np.eye(16)[0])
    with pytest.raises(ValueError, match="same length"):
        fourier_features(v, b, a[:3])
    with pytest.raises(ValueError, match="zero"):
        fourier_features(v, b, np.zeros(16))


def test_fourier_feature_kernel_width_orders_the_mappings():
    d = np.linspace(-0.5, 0.5, 401)
    np.testing.assert_allclose(fourier_feature_kernel(float("inf"), d), np.cos(2 * np.pi * d), atol=1e-14)
    flat = np.mean([np.cos(2 * np.pi * j * d) for j in range(1, 17)], axis=0)  # p = 0: equal weights
    np.testing.assert_allclose(fourier_feature_kernel(0.0, d), flat, atol=1e-14)
    # h(0) = 1, and the half-width grows with p: p = 0 narrowest, p = inf (one cosine) widest
    half = []
    for p in (0.0, 1.0, float("inf")):
        h = fourier_feature_kernel(p, d)
        assert h[200] == pytest.approx(1.0)
        half.append(np.abs(d[(h < 0.5) & (d > 0)]).min())
    assert half[0] < half[1] < half[2]
    assert fourier_feature_kernel(1.0, np.zeros((2, 3))).shape == (2, 3)
    with pytest.raises(ValueError, match="p must be >= 0"):
        fourier_feature_kernel(-1.0, d)


def test_mapped_kernel_is_stationary():
    # gamma(v) . gamma(v') depends on v - v' only, and equals h(v - v')
    a, b = tancik_mapping(0.5, 16)
    v = np.random.default_rng(1).uniform(0, 1, 20)
    g = fourier_features(v, b, a)
    np.testing.assert_allclose(g @ g.T, fourier_feature_kernel(0.5, v[:, None] - v[None, :]), atol=1e-13)
