"""Fits of kernel spectra on the sphere: power-law decay slopes, exponential rates, shares per degree."""

import numpy as np
import pytest
from scipy.special import iv

from lofi_utils import spectra, sphere


@pytest.mark.parametrize("d", [2, 3])
def test_decay_slopes_match_bietti_bach(d):
    r = spectra.decay_slopes(d, depth=3, kmin=40, kmax=200)
    assert abs(r["ntk"] + d) < 0.1
    assert abs(r["nngp"] + d + 2) < 0.15
    with pytest.raises(ValueError, match="kmin"):
        spectra.decay_slopes(d, kmin=50, kmax=20)


def test_exponential_rate_recovers_a_known_rate():
    k = np.arange(30)
    mu = 3.0 * np.exp(-0.7 * k)
    assert spectra.exponential_rate(mu, np.arange(5, 20)) == pytest.approx(0.7, abs=1e-12)


def test_harmonic_shares_sum_to_one_for_a_smooth_kernel():
    # exp(t) on the circle: mu_k = I_k(1), kappa(1) = e = I_0(1) + 2 sum_k I_k(1)
    mu = iv(np.arange(40), 1.0)
    shares = spectra.harmonic_shares(np.e, mu, 2)
    assert shares.sum() == pytest.approx(1.0, abs=1e-14)
    mu3 = sphere.funk_hecke(np.exp, 3, 40)
    assert spectra.harmonic_shares(np.e, mu3, 3).sum() == pytest.approx(1.0, abs=1e-12)
