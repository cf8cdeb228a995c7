"""Section 2 of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.width_limit): finite p -> kernel limit."""

import numpy as np
import pytest
from lofi_testing import data, one_torch_thread

from lofi_utils.chapters.neural_lofi.width_limit import width_convergence


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


@pytest.mark.parametrize("center_z", [False, True])
def test_width_convergence_shrinks_with_the_width(center_z):
    X, y = data(n=80, d=6)
    wc = width_convergence(X, y, 3, [100, 3000, 30000], seeds=2, seed=1, center_z=center_z)
    assert wc.dist.shape == wc.spec.shape == (3, 2) and wc.k == 3 and wc.centered == center_z
    assert np.all((wc.dist >= 0) & (wc.dist <= 1 + 1e-12))
    assert wc.spec_median[-1] < wc.spec_median[0] / 4  # ~ p^-1/2 over a factor 300 in p
    assert wc.slope("spectrum") < -0.3


def test_width_convergence_centring_changes_the_filter():
    """Centred and uncentred features give different kernel-limit filters (the common mean of the ReLU features
    is a direction of the signed covariance), so the two measurements are not the same number twice."""
    X, y = data(n=80, d=6)
    a, b = (width_convergence(X, y, 3, [3000], seeds=1, seed=1, center_z=c) for c in (False, True))
    assert abs(a.spec[0, 0] - b.spec[0, 0]) > 1e-3


def test_slope_over_the_far_widths_only():
    """``slope(min_width=...)`` fits only the widths at or above it; fewer than two is a one-line error."""
    from lofi_utils.chapters.neural_lofi.width_limit import WidthConvergence

    w = np.array([100, 400, 1600, 6400])
    spec = np.array([1.0, 0.1, 0.1 / 2, 0.1 / 4])[:, None]  # steep first, then p^-1/2
    wc = WidthConvergence(widths=w, dist=spec.copy(), k=2, spec=spec)
    assert wc.slope("spectrum", min_width=400) == pytest.approx(-0.5)
    assert wc.slope("spectrum") < -0.6
    with pytest.raises(ValueError, match="need at least 2"):
        wc.slope("spectrum", min_width=5000)
    with pytest.raises(ValueError, match="which must be"):
        wc.slope("eigen")
