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


# --------------------------------------------------------------------------- bad input: one clear line
_X, _Y = _data(n=30)


def _train(X=_X, y=_Y, **kw):
    return lambda: AP.train_tracking(X, y, **{"steps": 3, "width": 4, **kw})


BAD_INPUTS = [
    (lambda: AP.make_probes(_X, _X, _Y, n_hybrid=0), "n_hybrid must be an integer >= 1, got 0"),
    (lambda: AP.make_probes(_X, _X, _Y, n_hybrid=True), "n_hybrid must be an integer >= 1, got True"),
    (lambda: AP.make_probes(_X, _X, np.zeros(30, int), n_hybrid=5), "y_test must hold at least two classes"),
    (lambda: AP.make_probes(_X, _X, _Y[:10], n_hybrid=5), r"y_test must hold one label per test image \(30,\)"),
    (lambda: AP.make_probes(_X, _X[:, :, :6, :6], _Y, n_hybrid=5), "X_train and X_test must hold images of one shape"),
    (_train(y=_Y + 0.5), r"y_train must be class indices 0, 1, 2, \.\.\., got values \[0\.5, 1\.5, 2\.5\]"),
    (_train(y=_Y - 1), r"y_train must be class indices .*got values \[-1, 0, 1\]"),
    (_train(y=_Y[:10]), r"y_train must hold one label per training image \(30,\), got shape \(10,\)"),
    (_train(X=np.full_like(_X, np.nan)), "X_train must be finite"),
    (_train(steps=0), "steps must be an integer >= 1, got 0"),
    (_train(steps=2.5), r"steps must be an integer >= 1, got 2\.5"),
    (_train(batch=0), "batch must be an integer >= 1, got 0"),
    (_train(lr=float("nan")), "lr must be a finite number > 0, got nan"),
    (_train(width=0), "width must be an integer >= 1, got 0"),
    (_train(record=[0, 5]), r"record must be integer steps in \[0, steps = 3\], got \[0, 5\]"),
    (lambda: AP.record_schedule(0), "steps must be an integer >= 1, got 0"),
    (lambda: AP.steps_to(_tracking([0.1, 0.2, 0.3, 0.4]), "tset", 0.5), "unknown key .* 'tset'; allowed: test"),
    (lambda: AP.phase_jitter(_X, float("nan")), "strength must be a finite number, got nan"),
    (lambda: AP.phase_discrimination(np.ones((40, 40)), jitter=-0.5), r"jitter .* must be a number in \[0, 1\], got -0\.5"),
    (lambda: AP.faster_spectrum({}, [], [], level=2), r"level \(an accuracy\) must be a number in \(0, 1\], got 2"),
    (lambda: AP.texture_patches({"a": np.ones((40, 40)), "b": np.ones((40, 40))}, 8, 0, 3), "n_train must be an"),
    (lambda: AP.cifar_arrays(np.zeros((5, 32, 32, 3), np.uint8), np.arange(5), n=0), "n must be an integer >= 1"),
    (lambda: AP.whiten(_X, np.ones((3, 3))), r"mean_amplitude must broadcast to the images \(30, 1, 8, 8\)"),
    (lambda: AP.standardise(np.arange(5.0)), r"X must be images .*got shape \(5,\)"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- contracts of the science
def test_hybrid_labels_name_the_amplitude_and_the_phase_donor():
    """One test image per class (labels 2, 0, 3, 1), so each hybrid's donors are known from its labels: its
    spectrum has the amplitude of the image of class y_amp (up to the standardising scale) and the phases of the
    image of class y_phase (the mean removal touches only the zero frequency). The phase-only probes use the
    mean amplitude of the *training* images."""
    rng = np.random.default_rng(7)
    Xtr = AP.standardise(rng.random((10, 1, 8, 8)))
    Xte = AP.standardise(rng.random((4, 1, 8, 8)))
    yte = np.array([2, 0, 3, 1])
    pr = AP.make_probes(Xtr, Xte, yte, n_hybrid=30, rng=3)
    assert len(pr.y_amp) == 30 and np.all(pr.y_amp != pr.y_phase)
    nz = np.ones((8, 8), bool)
    nz[0, 0] = False
    image_of = {int(c): Xte[i, 0] for i, c in enumerate(yte)}
    for h, a, p in zip(pr.hybrid[:, 0], pr.y_amp, pr.y_phase):
        Fh, Fa, Fp = (np.fft.fft2(x)[nz] for x in (h, image_of[int(a)], image_of[int(p)]))
        ratio = np.abs(Fh) / np.abs(Fa)
        assert np.allclose(ratio, ratio[0], rtol=1e-9)           # amplitude of the y_amp donor
        assert np.allclose(Fh / np.abs(Fh), Fp / np.abs(Fp), atol=1e-9)  # phases of the y_phase donor
    assert np.allclose(pr.mean_amplitude, np.abs(np.fft.fft2(Xtr, norm="ortho")).mean(0), atol=1e-14)


def test_steps_to_is_the_first_recorded_step_that_reaches_the_level():
    tr = _tracking([0.2, 0.5, 0.5, 0.9])  # steps 0, 10, 100, 1000
    assert AP.steps_to(tr, "test", 0.5) == 10.0      # reaching the level exactly counts (>=)
    assert AP.steps_to(tr, "test", 0.9) == 1000.0
    assert AP.steps_to(tr, "test", 0.95) == np.inf   # never reached


def test_hybrid_shares_credit_the_amplitude_donor_to_follow_amp(monkeypatch):
    """A planted network that always answers the amplitude donor's class: follow_amp = 1, follow_phase = 0."""
    X, y = _data(n=60)
    pr = AP.make_probes(X, X, y, n_hybrid=20, rng=0)

    def planted(net, Xp, device, batch=2048):
        return pr.y_amp.copy() if Xp is pr.hybrid else np.zeros(len(Xp), dtype=np.int64)

    monkeypatch.setattr(AP, "_predict", planted)
    tr = AP.train_tracking(X, y, pr, steps=5, width=4, seed=0)
    assert np.all(tr.follow_amp == 1.0) and np.all(tr.follow_phase == 0.0) and tr.follow_amp.size == len(tr.steps)


def test_speed_comparison_tasks_carry_what_their_names_say(monkeypatch):
    """'amp': every image keeps its own amplitude spectrum (phases scrambled); 'phase': every image keeps its
    phases and gets the training set's mean amplitude, the test images too (both up to the standardising scale;
    the zero frequency is removed by the standardisation)."""
    seen = {}

    def fake(X, y, tests=None, seed=0, **kw):
        seen.setdefault(len(seen), (X, tests["test"][0]))
        return "run"

    monkeypatch.setattr(AP, "train_tracking", fake)
    Xtr, ytr = _data(n=30, seed=0)
    Xte, yte = _data(n=12, seed=1)
    runs = AP.speed_comparison(Xtr, ytr, Xte, yte, seeds=(0,), rng=0)
    assert list(runs) == ["amp", "phase"] and len(seen) == 2
    F = lambda Z: np.fft.fft2(Z, norm="ortho")[..., nz]  # noqa: E731
    nz = np.ones((8, 8), bool)
    nz[0, 0] = False
    A_mean = np.abs(np.fft.fft2(Xtr, norm="ortho")).mean(0)[..., nz]
    for (amp_x, ph_x), orig in zip([(seen[0][0], seen[1][0]), (seen[0][1], seen[1][1])], (Xtr, Xte)):
        r_amp = np.abs(F(amp_x)) / np.abs(F(orig))
        assert np.allclose(r_amp, r_amp[..., :1], rtol=1e-9)            # own amplitude, per image
        assert not np.allclose(np.angle(F(amp_x)), np.angle(F(orig)), atol=1e-3)  # ... with other phases
        r_ph = np.abs(F(ph_x)) / A_mean
        assert np.allclose(r_ph, r_ph[..., :1], rtol=1e-9)              # the training mean amplitude
        assert np.allclose(F(ph_x) / np.abs(F(ph_x)), F(orig) / np.abs(F(orig)), atol=1e-9)  # own phases


def test_short_runs_record_only_steps_that_happen():
    """record_schedule(steps < 10) once listed steps up to 10, so a 5-step Tracking had more steps than accuracies."""
    assert AP.record_schedule(5).tolist() == [0, 5] and AP.record_schedule(1).tolist() == [0, 1]
    assert np.array_equal(AP.record_schedule(4000), np.unique(np.r_[0, np.geomspace(10, 4000, 15).astype(int), 4000]))
    X, y = _data(n=30)
    tr = AP.train_tracking(X, y, tests={"t": (X, y)}, steps=5, width=4)
    assert tr.steps.tolist() == [0, 5] and len(tr.acc["t"]) == 2
