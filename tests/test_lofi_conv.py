"""Convolutional Neural LoFi (lofi_utils.lofi.conv): patches, the signed patch covariance, ConvLoFi."""

import numpy as np
import pytest
import torch
from lofi_testing import data, one_torch_thread

from lofi_utils.lofi.conv import ConvLoFi, patch_signed_covariance, patches


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_patch_signed_covariance_equals_brute_force():
    rng = np.random.default_rng(0)
    ims = rng.standard_normal((4, 5, 6))
    y = np.array([1.0, -1.0, 1.0, 0.5])
    S = patch_signed_covariance(ims, y, 3, center_y=True)
    w = y - y.mean()
    ref = np.zeros((9, 9))
    cnt = 0
    for i in range(4):
        for a in range(3):
            for b in range(4):
                p = ims[i, a : a + 3, b : b + 3].ravel()
                ref += w[i] * np.outer(p, p)
        cnt = 12
    assert np.abs(S - ref / (4 * cnt)).max() < 1e-14
    assert patches(ims, 3).shape == (4, 12, 9)


def test_conv_lofi_shapes():
    rng = np.random.default_rng(1)
    ims = rng.standard_normal((40, 8, 8))
    y = np.sign(ims[:, 2:6, 2:6].mean((1, 2)))
    m = ConvLoFi(size=3, channels=32, k=4, pool=2, p_out=50).fit(ims[:30], y[:30])
    assert m.V.shape == (32, 4)
    assert m.predict(ims).shape == (40,)


# --------------------------------------------------------------------------- bad input: one clear line
_Xb, _yb = data(n=20, d=8)
_T = dict(dtype=torch.float64)


BAD_INPUTS = [
    (lambda: patches(np.ones((2, 6, 6)), 3, stride=-1), "stride must be an integer >= 1, got -1"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
