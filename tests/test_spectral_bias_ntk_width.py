"""Chapter 1, section 2: the empirical NTK against the analytic kernel over widths."""

import numpy as np
import pytest

from lofi_utils import kernels
from lofi_utils.chapters.spectral_bias.ntk_width import ntk_width_sweep


def test_width_sweep_error_shrinks_like_inverse_sqrt_width():
    sw = ntk_width_sweep(3, 2, 60, [64, 4096], seeds=3, seed=1)
    assert sw.errors.shape == (2, 3)
    # 64x the width: the error should drop by about 8 (n^-1/2); accept 3..25 for 3 seeds
    drop = sw.mean_errors[0] / sw.mean_errors[1]
    assert 3 < drop < 25, drop
    assert -0.8 < sw.width_exponent() < -0.25
    # the analytic kernel is the NTK recursion at the sampled cosines, symmetric with diagonal Theta(1)
    assert np.allclose(sw.theta, sw.theta.T)
    assert np.allclose(np.diag(sw.theta), kernels.ntk(1.0, depth=2))


def test_width_sweep_rejects_bad_arguments():
    with pytest.raises(ValueError, match="widths"):
        ntk_width_sweep(3, 2, 10, [], seeds=1)
    with pytest.raises(ValueError, match="seeds"):
        ntk_width_sweep(3, 2, 10, [8], seeds=0)
    with pytest.raises(ValueError, match="n_points"):
        ntk_width_sweep(3, 2, 1, [8], seeds=1)
