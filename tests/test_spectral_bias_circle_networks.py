"""Chapter 1, section 5: finite networks on S^1 trained on each frequency, against the linearised model."""

import numpy as np
import pytest
import torch

from lofi_utils.chapters.spectral_bias.circle_networks import train_circle_modes

torch.set_num_threads(1)


def test_wide_network_learns_low_frequencies_at_the_kernel_rate():
    res = train_circle_modes(2048, [1, 2, 3], depth=2, bias=1.0, eta=0.5, steps=120, n_points=32, seed=0, frac=0.1)
    assert res.amplitude.shape == (3, 121) and np.allclose(res.amplitude[:, 0], 1.0)
    # the slowest mode is not reached in 120 steps; the others are, in order of k
    assert res.t_frac[0] < res.t_frac[1] <= 120 and np.isinf(res.t_frac[2])
    assert abs(res.rate_ratio[0] - 1) < 0.15 and abs(res.rate_ratio[1] - 1) < 0.2
    assert np.all(res.rate_pred[:-1] > res.rate_pred[1:])
    assert np.all(res.loss[:, -1] < res.loss[:, 0])


def test_unstable_step_is_rejected():
    with pytest.raises(ValueError, match="unstable"):
        train_circle_modes(64, [1], eta=1.0, steps=5, n_points=16)
    with pytest.raises(ValueError, match="ks"):
        train_circle_modes(64, [8], eta=0.1, steps=5, n_points=16)
