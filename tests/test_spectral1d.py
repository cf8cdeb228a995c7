"""1-D Fourier analysis: amplitudes on the grid, learning times, rank statistics, summaries of runs."""

import math

import numpy as np
import pytest

from lofi_utils.data import sum_of_sines, unit_grid
from lofi_utils.spectral1d import (
    LearningTimeSummary,
    check_frequencies,
    format_time,
    fourier_amplitudes,
    learning_times,
    spearman,
    summarize_learning_times,
)


# --------------------------------------------------------------------------- Fourier amplitudes
def test_fourier_amplitudes_recover_a_known_sum_of_sines():
    x = unit_grid(200)
    k = np.array([5, 10, 15, 50, 99])
    A = np.array([1.0, 0.3, 2.5, 0.7, 1.1])
    rng = np.random.default_rng(0)
    for _ in range(5):  # any phases
        y = sum_of_sines(x, k, A, rng.uniform(0, 2 * np.pi, k.size))
        np.testing.assert_allclose(fourier_amplitudes(y, k), A, atol=1e-10)
        absent = np.setdiff1d(np.arange(1, 100), k)
        assert fourier_amplitudes(y, absent).max() < 1e-10


def test_fourier_amplitudes_batch_shape_and_phase_invariance():
    x = unit_grid(64)
    batch = np.stack([sum_of_sines(x, [3], [2.0], [ph]) for ph in np.linspace(0, 6, 7)])  # (7, 64)
    out = fourier_amplitudes(batch.reshape(7, 1, 64), [3, 4])
    assert out.shape == (7, 1, 2)
    np.testing.assert_allclose(out[..., 0], 2.0, atol=1e-12)
    np.testing.assert_allclose(out[..., 1], 0.0, atol=1e-12)


@pytest.mark.parametrize("bad", [[0], [32], [40], [1.5], [], [[1, 2]], ["a"]])
def test_fourier_amplitudes_rejects_bad_frequencies(bad):
    with pytest.raises(ValueError, match="frequenc"):
        fourier_amplitudes(np.zeros(64), bad)


# --------------------------------------------------------------------------- learning times, ranks
def test_learning_times_on_a_synthetic_history():
    steps = np.arange(0, 101, 10)
    # amplitude of mode k rises linearly and reaches 1 at step 20 k; mode 4 saturates at 0.5
    ratio = np.stack([np.clip(steps / (20 * k), 0, 1) for k in (1, 2, 3)] + [0.5 * np.clip(steps / 20, 0, 1)], axis=1)
    t = learning_times(steps, ratio, 0.9)
    # first record strictly above 0.9: 20 (ratio 1.0), 40, 60; never for mode 4
    np.testing.assert_array_equal(t, [20.0, 40.0, 60.0, np.inf])
    assert learning_times(steps, ratio[:, 0], 0.4) == 10.0
    # a dip below the threshold after the first crossing: sustained moves the time
    r = np.array([0.1, 0.95, 0.5, 0.95, 0.97])
    assert learning_times(np.arange(5), r) == 1.0
    assert learning_times(np.arange(5), r, sustained=True) == 3.0


def test_learning_times_validates_shapes():
    with pytest.raises(ValueError, match="increasing"):
        learning_times([0, 2, 1], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        learning_times([0, 1, 2], np.zeros((4, 2)))


def test_spearman_with_ties_and_inf():
    assert spearman([1, 2, 3, 4], [10, 20, 30, np.inf]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # one adjacent swap of 6: 1 - 6*2/(6*35)
    assert spearman(range(1, 7), [1, 3, 2, 4, 5, 6]) == pytest.approx(1 - 12 / 210)
    assert math.isnan(spearman([1, 2, 3], [5, 5, 5]))


def test_check_frequencies_accepts_integral_values_only():
    np.testing.assert_array_equal(check_frequencies([1, 2.0, 5]), [1, 2, 5])
    assert check_frequencies(3).dtype == np.int64
    with pytest.raises(ValueError, match="Nyquist"):
        check_frequencies([1, 8], 16)
    with pytest.raises(ValueError, match=">= 1"):
        check_frequencies([0, 1])
    with pytest.raises(ValueError, match="integers"):
        check_frequencies([np.inf])


def test_format_time():
    assert format_time(np.inf) == "never" and format_time(120.0) == "120"


class _Run:
    """A stand-in for a training run: recorded steps and normalised amplitudes."""

    def __init__(self, freqs, steps, amplitude):
        self.freqs, self.steps, self.amplitude = np.asarray(freqs), np.asarray(steps), amplitude

    def learning_times(self, threshold=0.9, *, sustained=False):
        return learning_times(self.steps, self.amplitude, threshold, sustained=sustained)


def test_summarize_learning_times_on_synthetic_runs():
    steps = np.arange(0, 101, 10)
    # run s learns mode k at step 20 k + 10 s (mode 3 of run 2 never)
    runs = []
    for s in range(3):
        amp = np.stack([(steps >= 20 * k + 10 * s).astype(float) for k in (1, 2, 3)], axis=1)
        if s == 2:
            amp[:, 2] = 0.0
        runs.append(_Run([1, 2, 3], steps, amp))
    summ = summarize_learning_times(runs)
    assert isinstance(summ, LearningTimeSummary)
    np.testing.assert_array_equal(summ.times, [[20, 40, 60], [30, 50, 70], [40, 60, np.inf]])
    np.testing.assert_array_equal(summ.median, [30, 50, 70])
    np.testing.assert_allclose(summ.learned, [1, 1, 2 / 3])
    assert summ.monotone.all() and summ.median_spearman == pytest.approx(1.0)
    assert summ.median_ratio == pytest.approx(70 / 30)
    assert "never" in summ.table() and summ.table().splitlines()[-1].startswith("median")
    with pytest.raises(ValueError, match="same frequencies"):
        summarize_learning_times([runs[0], _Run([1, 2, 4], steps, runs[0].amplitude)])
    with pytest.raises(ValueError, match="at least one run"):
        summarize_learning_times([])


def test_pair_order_share_orders_and_ties():
    """Low-first 1, high-first 0, all never learned (inf) 1/2: never-learned frequencies decide nothing."""
    from lofi_utils.spectral1d import pair_order_share

    assert pair_order_share([1, 2, 3, 4]) == 1.0
    assert pair_order_share([4, 3, 2, 1]) == 0.0
    assert pair_order_share([np.inf, np.inf, np.inf]) == 0.5
    assert pair_order_share([1, np.inf, np.inf]) == pytest.approx((1 + 1 + 0.5) / 3)
    # exchangeable times: 1/2 on average
    rng = np.random.default_rng(0)
    assert np.mean([pair_order_share(rng.permutation(6)) for _ in range(2000)]) == pytest.approx(0.5, abs=0.02)
    for bad in ([1.0], [[1, 2], [3, 4]], [1, np.nan]):
        with pytest.raises(ValueError, match="times must be"):
            pair_order_share(bad)


def test_mean_interval_against_scipy():
    """The Student-t interval of a mean agrees with scipy.stats.t.interval; bad input ends in one line."""
    from scipy import stats

    from lofi_utils.stats import mean_interval

    v = np.array([0.9, 0.95, 0.87, 1.0, 0.93])
    m, lo, hi = mean_interval(v)
    ref = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
    assert m == pytest.approx(v.mean()) and (lo, hi) == pytest.approx(ref)
    for bad in ([1.0], [1.0, np.inf]):
        with pytest.raises(ValueError, match="values must be"):
            mean_interval(bad)
    with pytest.raises(ValueError, match="level must be"):
        mean_interval(v, 1.5)
