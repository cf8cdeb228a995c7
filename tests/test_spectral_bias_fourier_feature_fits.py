"""Chapter 1, section 7: Tancik et al.'s experiment with and without Fourier features."""

import numpy as np
import pytest
from sines_testing import TINY_FOURIER_FEATURES, one_thread  # noqa: F401  (one_thread: an autouse fixture)

from lofi_utils.chapters.spectral_bias.fourier_feature_fits import train_fourier_features


def test_train_fourier_features_tiny():
    res = train_fourier_features(**TINY_FOURIER_FEATURES)
    assert res.labels == ["no mapping", "p = 1"]
    assert res.residual.shape == (2, 3, 2) and res.train_history.shape == (2, 3)
    assert res.predictions.shape == (2, 64) and res.train_idx.tolist() == list(range(0, 64, 4))
    np.testing.assert_allclose(res.train_mse, res.train_history[:, -1])
    # train MSE is the mean squared residual at the training points
    r = res.predictions[:, res.train_idx] - res.signal[res.train_idx]
    np.testing.assert_allclose(res.train_mse, np.mean(r**2, axis=1), rtol=1e-12)
    assert res.index(None) == 0 and res.index(1) == 1
    # the best record: its MSE is the history's minimum, its residual the residual at that record
    best = res.best_index
    np.testing.assert_array_equal(res.best_train_mse, res.train_history.min(axis=1))
    assert np.all(res.best_train_mse <= res.train_mse)
    np.testing.assert_array_equal(res.best_residual(res.residual_freqs[1]), res.residual[[0, 1], best, 1])
    t = res.table()
    assert t.columns[1:3] == ("best train MSE", "final train MSE") and t.rows[0][1] == f"{res.best_train_mse[0]:.3g}"


def test_a_late_spike_does_not_hide_the_best_fit():
    res = train_fourier_features(**TINY_FOURIER_FEATURES)
    res.train_history = np.array([[1.0, 0.5, 0.4], [1.0, 1e-12, 0.02]])  # variant 1 spikes at the last record
    assert res.best_index.tolist() == [2, 1] and res.best_train_mse.tolist() == [0.4, 1e-12]


def test_train_fourier_features_rejects_bad_input():
    with pytest.raises(ValueError, match="variant"):
        train_fourier_features(p_values=(), steps=1, progress=False)
    with pytest.raises(ValueError, match="Nyquist"):
        train_fourier_features(n_train=16, residual_freqs=(8,), steps=1, progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        train_fourier_features(optimizer="sgd", steps=1, progress=False)
