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


# --------------------------------------------------------------------------- helpers moved out of the chapter
def _tracking(acc, steps=(0, 10, 100, 1000)):
    return AP.Tracking(steps=np.array(steps), acc={"test": np.array(acc, dtype=float)}, follow_amp=np.array([]),
                       follow_phase=np.array([]), n_classes=3)


def test_speed_summary_is_median_steps_and_mean_final_accuracy():
    runs = {"amp": [_tracking([0.3, 0.5, 0.7, 0.8]), _tracking([0.3, 0.4, 0.6, 0.7]), _tracking([0.3, 0.6, 0.7, 0.7])],
            "phase": [_tracking([0.3, 0.3, 0.4, 0.5]), _tracking([0.3, 0.3, 0.3, 0.4])]}
    sp = AP.speed_summary(runs, level=0.48)
    assert sp.steps == {"amp": 10.0, "phase": np.median([1000.0, np.inf])}  # never reached counts as inf
    assert sp.final == pytest.approx({"amp": 2.2 / 3, "phase": 0.45})
    assert "amplitude-only task 10" in str(sp)
    with pytest.raises(ValueError):
        AP.speed_summary(runs, level=0.0)


def test_tracking_rows():
    X, y = _data(n=60)
    pr = AP.make_probes(X, X, y, n_hybrid=10, rng=0)
    tr = AP.train_tracking(X, y, pr, steps=20, width=8, seed=0)
    lines = tr.table().splitlines()
    assert len(lines) == len(tr.steps) and lines[-1] == tr.row()
    assert f"real {tr.acc['real'][-1]:.3f}" in tr.row() and f"phase {tr.follow_phase[-1]:.3f}" in tr.row()


def test_load_cifar_equals_cifar_arrays_of_the_loader(fake_cifar10):
    from lofi_utils import datasets

    tmp_path = fake_cifar10
    Xtr, ytr, Xte, yte = AP.load_cifar(tmp_path, "cifar10", n_train=12, n_test=4, rng=3)
    ref_tr = AP.cifar_arrays(*datasets.load_cifar10(tmp_path, split="train"), n=12, rng=3)
    ref_te = AP.cifar_arrays(*datasets.load_cifar10(tmp_path, split="test"), n=4, rng=4)
    assert np.array_equal(Xtr, ref_tr[0]) and np.array_equal(ytr, ref_tr[1])
    assert np.array_equal(Xte, ref_te[0]) and np.array_equal(yte, ref_te[1])
    assert Xtr.shape == (12, 3, 32, 32) and np.allclose(Xtr.std(axis=(1, 2, 3)), 1.0)
    with pytest.raises(datasets.DataMissing):
        AP.load_cifar(None, "cifar100", n_train=2, n_test=2)
    with pytest.raises(ValueError, match="dataset"):
        AP.load_cifar(tmp_path, "cifar1000", n_train=2, n_test=2)


def test_discrimination_scan_equals_single_runs_and_faster_spectrum():
    img = np.random.default_rng(5).random((48, 48))
    kw = dict(size=8, n_train=30, n_test=10, rng=2, steps=20, width=8, seed=1)
    disc = AP.discrimination_scan({"noise": img}, [0.0, 0.5], **kw)
    assert list(disc) == ["noise, jitter 0.0, natural", "noise, jitter 0.0, flat", "noise, jitter 0.5, natural",
                          "noise, jitter 0.5, flat"]
    one = AP.phase_discrimination(img, jitter=0.5, spectrum="flat", **kw)
    assert np.array_equal(disc["noise, jitter 0.5, flat"].acc["test"], one.acc["test"])
    curves = {(0.0, "natural"): [0.5, 0.8, 0.9, 0.9], (0.0, "flat"): [0.5, 0.6, 0.8, 0.9],   # natural first
              (0.5, "natural"): [0.5, 0.5, 0.6, 0.7], (0.5, "flat"): [0.5, 0.5, 0.8, 0.9],   # flat first
              (1.0, "natural"): [0.5, 0.5, 0.6, 0.7], (1.0, "flat"): [0.5, 0.5, 0.6, 0.7]}   # neither: tie
    fake = {f"x, jitter {j}, {spec}": _tracking(acc) for (j, spec), acc in curves.items()}
    assert AP.faster_spectrum(fake, ["x"], [0.0, 0.5, 1.0], level=0.75) == {
        ("x", 0.0): "natural", ("x", 0.5): "flat", ("x", 1.0): "tie"}
    with pytest.raises(ValueError):
        AP.discrimination_scan({}, [0.0])
