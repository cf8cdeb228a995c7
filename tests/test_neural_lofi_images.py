"""Section 6 of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.images): patch filters, conv LoFi."""

import numpy as np
import pytest
from lofi_testing import one_torch_thread

from lofi_utils.chapters.neural_lofi.images import conv_comparison, patch_filters
from lofi_utils.lofi import patch_signed_covariance


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def _stripes(n=60, seed=0):
    # +1: vertical stripes, -1: horizontal stripes, plus noise: the label lives in oriented edges
    rng = np.random.default_rng(seed)
    base = np.cos(np.pi * np.arange(8))[None, :] * np.ones((8, 1))
    y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    ims = np.stack([base if yi > 0 else base.T for yi in y]) + 0.3 * rng.standard_normal((n, 8, 8))
    return ims, y


def test_patch_filters_are_the_top_eigenvectors_and_beat_shuffled_labels():
    ims, y = _stripes()
    pf = patch_filters(ims, y, 3, n_shuffles=5, n_keep=4)
    S = patch_signed_covariance(ims, y, 3)
    v = pf.filters[0].ravel()
    assert pf.filters.shape == (4, 3, 3) and pf.shuffled.shape == (5,)
    assert np.abs(S @ v - pf.values[0] * v).max() < 1e-12  # an eigenvector of the signed covariance
    assert np.all(np.diff(np.abs(pf.values)) <= 1e-15) and pf.ratio > 2


def test_conv_comparison_names_and_shapes():
    ims, y = _stripes(n=80)
    out = conv_comparison(ims, y, n_train=40, channels=16, k=4, p_out=50, seeds=1)
    assert list(out) == ["conv LoFi (16 -> 4)", "RF CNN (4 channels)", "RF CNN (16 channels)"]
    assert all(v.shape == (1,) and np.isfinite(v).all() for v in out.values())
