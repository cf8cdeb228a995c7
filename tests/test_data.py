import numpy as np
import pytest

from lofi_utils.data import power_law_signal, random_phases, sum_of_sines, unit_grid
from lofi_utils.spectral1d import fourier_amplitudes
from lofi_utils.stats import fit_power_law


def test_sum_of_sines_formula_and_defaults():
    x = unit_grid(50)
    y = sum_of_sines(x, [2, 3], [0.5, 2.0], [0.1, -1.0])
    expected = 0.5 * np.sin(2 * np.pi * 2 * x + 0.1) + 2.0 * np.sin(2 * np.pi * 3 * x - 1.0)
    np.testing.assert_allclose(y, expected, atol=1e-14)
    np.testing.assert_allclose(sum_of_sines(x, [4]), np.sin(8 * np.pi * x), atol=1e-14)
    # any input shape is kept
    assert sum_of_sines(np.zeros((3, 4)), [1, 2]).shape == (3, 4)


def test_sum_of_sines_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        sum_of_sines(unit_grid(8), [1, 2], [1.0])
    with pytest.raises(ValueError, match="freqs"):
        sum_of_sines(unit_grid(8), [])


def test_random_phases_range_and_reproducibility():
    p = random_phases(1000, 3)
    assert p.shape == (1000,) and p.min() >= 0 and p.max() < 2 * np.pi
    np.testing.assert_array_equal(p, random_phases(1000, np.random.default_rng(3)))
    # roughly uniform: mean of a U[0, 2pi) sample of 1000 is pi +- 3 * 0.057 * pi
    assert abs(p.mean() - np.pi) < 0.2
    with pytest.raises(ValueError, match="rng"):
        random_phases(3, -1)


def test_power_law_signal_is_normalised_and_band_limited():
    n, F = 256, 64
    s = power_law_signal(n, exponent=1.0, max_freq=F, rng=0)
    assert s.shape == (n,)
    assert abs(s.mean()) < 1e-12 and abs(s.std() - 1.0) < 1e-12
    above = fourier_amplitudes(s, np.arange(F + 1, n // 2))
    assert above.max() < 1e-12  # nothing above max_freq
    assert fourier_amplitudes(s, np.arange(1, F + 1)).min() > 0
    np.testing.assert_array_equal(s, power_law_signal(n, exponent=1.0, max_freq=F, rng=0))


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0])
def test_power_law_signal_has_the_requested_slope(p):
    n, F = 256, 64
    f = np.arange(1, F + 1)
    rng = np.random.default_rng(1)
    amps = np.array([fourier_amplitudes(power_law_signal(n, exponent=p, max_freq=F, rng=rng), f) for _ in range(400)])
    # the mean power E|c_f|^2 ~ f^(-2p): the log-log slope of the mean over draws
    slope, _ = fit_power_law(f, (amps**2).mean(axis=0))
    assert abs(slope + 2 * p) < 0.1, slope
    # one draw: log|c_f| = -p log f + log(Rayleigh noise), slope within 0.35 of -p
    one, _ = fit_power_law(f, amps[0])
    assert abs(one + p) < 0.35, one


def test_power_law_signal_rejects_bad_sizes():
    with pytest.raises(ValueError, match="Nyquist"):
        power_law_signal(64, max_freq=32, rng=0)
    with pytest.raises(ValueError, match="exponent"):
        power_law_signal(64, exponent=-1, max_freq=8, rng=0)
    with pytest.raises(ValueError, match="max_freq"):
        power_law_signal(64, max_freq=0, rng=0)
