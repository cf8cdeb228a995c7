"""Image experiments of the phase chapter: probe sets isolate amplitude or phase; training is deterministic."""

import numpy as np
import pytest

from lofi_utils import amplitude_phase as AP


def _data(n=60, size=8, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = AP.standardise(rng.random((n, 1, size, size)))
    return X, np.arange(n) % K


def test_probes_isolate_amplitude_and_phase():
    Xtr, _ = _data(seed=0)
    Xte, yte = _data(seed=1)
    pr = AP.make_probes(Xtr, Xte, yte, n_hybrid=40, rng=2)
    A = lambda X: np.abs(np.fft.fft2(X, norm="ortho"))  # noqa: E731
    assert np.allclose(A(pr.amp), A(Xte), atol=1e-10)  # amplitude-only keeps every amplitude
    ratio = A(pr.phase)[:, :, 1:, 1:] / pr.mean_amplitude[None, :, 1:, 1:]
    assert np.allclose(ratio, ratio[:, :, :1, :1], atol=1e-8)  # phase-only: one common amplitude (up to scale)
    ph = np.angle(np.fft.fft2(pr.phase))
    assert np.allclose(np.exp(1j * ph)[:, :, 1:, 1:], np.exp(1j * np.angle(np.fft.fft2(Xte)))[:, :, 1:, 1:], atol=1e-6)
    assert len(pr.y_amp) == 40 and np.all(pr.y_amp != pr.y_phase)


def test_jitter_and_whitening():
    X, _ = _data(seed=3)
    assert np.allclose(AP.phase_jitter(X, 0.0, 1), X, atol=1e-12)
    full = AP.phase_jitter(X, 1.0, 1)
    assert np.allclose(np.abs(np.fft.fft2(full)), np.abs(np.fft.fft2(X)), atol=1e-10)
    A = np.abs(np.fft.fft2(X, norm="ortho")).mean(0)
    W = AP.whiten(X, A)
    assert np.allclose(np.abs(np.fft.fft2(W, norm="ortho")).mean(0)[:, 1:, 1:], 1.0, atol=1e-10)


def test_training_is_deterministic():
    X, y = _data(n=90)
    pr = AP.make_probes(X, X, y, n_hybrid=20, rng=0)
    a = AP.train_tracking(X, y, pr, steps=30, width=16, seed=1)
    b = AP.train_tracking(X, y, pr, steps=30, width=16, seed=1)
    assert np.array_equal(a.steps, b.steps) and a.steps[0] == 0 and a.steps[-1] == 30
    for k in a.acc:
        assert np.array_equal(a.acc[k], b.acc[k]) and np.all((a.acc[k] >= 0) & (a.acc[k] <= 1))
    assert np.all(a.follow_amp + a.follow_phase <= 1 + 1e-12)


def test_cifar_arrays_and_cnn_shapes():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(20, 32, 32, 3), dtype=np.uint8)
    Xs, y = AP.cifar_arrays(X, np.arange(20) % 10, n=12)
    assert Xs.shape == (12, 3, 32, 32) and y.shape == (12,)
    assert np.allclose(Xs.mean(axis=(1, 2, 3)), 0, atol=1e-12)
    import torch

    net = AP.make_net("cnn", (3, 32, 32), 10, width=32)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError):
        AP.make_net("resnet", (3, 32, 32), 10)
    with pytest.raises(ValueError):
        AP.cifar_arrays(X[..., 0], np.zeros(20))
