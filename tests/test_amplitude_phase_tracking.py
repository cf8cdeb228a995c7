"""Chapter 4's probes and tracked training: probe sets isolate amplitude or phase, hybrids name their donors,
training is deterministic, learning speeds summarise correctly."""

import numpy as np
import pytest
import torch

from lofi_utils.chapters.amplitude_phase import tracking as TR
from lofi_utils.fourier import standardise


def _data(n=60, size=8, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = standardise(rng.random((n, 1, size, size)))
    return X, np.arange(n) % K


def test_probes_isolate_amplitude_and_phase():
    Xtr, _ = _data(seed=0)
    Xte, yte = _data(seed=1)
    pr = TR.make_probes(Xtr, Xte, yte, n_hybrid=40, rng=2)
    A = lambda X: np.abs(np.fft.fft2(X, norm="ortho"))  # noqa: E731
    assert np.allclose(A(pr.amp), A(Xte), atol=1e-10)  # amplitude-only keeps every amplitude
    ratio = A(pr.phase)[:, :, 1:, 1:] / pr.mean_amplitude[None, :, 1:, 1:]
    assert np.allclose(ratio, ratio[:, :, :1, :1], atol=1e-8)  # phase-only: one common amplitude (up to scale)
    ph = np.angle(np.fft.fft2(pr.phase))
    assert np.allclose(np.exp(1j * ph)[:, :, 1:, 1:], np.exp(1j * np.angle(np.fft.fft2(Xte)))[:, :, 1:, 1:], atol=1e-6)
    assert len(pr.y_amp) == 40 and np.all(pr.y_amp != pr.y_phase)


def test_training_is_deterministic():
    X, y = _data(n=90)
    pr = TR.make_probes(X, X, y, n_hybrid=20, rng=0)
    a = TR.train_tracking(X, y, pr, steps=30, width=16, seed=1)
    b = TR.train_tracking(X, y, pr, steps=30, width=16, seed=1)
    assert np.array_equal(a.steps, b.steps) and a.steps[0] == 0 and a.steps[-1] == 30
    for k in a.acc:
        assert np.array_equal(a.acc[k], b.acc[k]) and np.all((a.acc[k] >= 0) & (a.acc[k] <= 1))
    assert np.all(a.follow_amp + a.follow_phase <= 1 + 1e-12)


def test_cnn_shapes():
    net = TR.make_net("cnn", (3, 32, 32), 10, width=32)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError):
        TR.make_net("resnet", (3, 32, 32), 10)


def _tracking(acc, steps=(0, 10, 100, 1000)):
    return TR.Tracking(
        steps=np.array(steps),
        acc={"test": np.array(acc, dtype=float)},
        follow_amp=np.array([]),
        follow_phase=np.array([]),
        n_classes=3,
    )


def test_speed_summary_is_median_steps_and_mean_final_accuracy():
    runs = {
        "amp": [_tracking([0.3, 0.5, 0.7, 0.8]), _tracking([0.3, 0.4, 0.6, 0.7]), _tracking([0.3, 0.6, 0.7, 0.7])],
        "phase": [_tracking([0.3, 0.3, 0.4, 0.5]), _tracking([0.3, 0.3, 0.3, 0.4])],
    }
    sp = TR.speed_summary(runs, level=0.48)
    assert sp.steps == {"amp": 10.0, "phase": np.median([1000.0, np.inf])}  # never reached counts as inf
    assert sp.final == pytest.approx({"amp": 2.2 / 3, "phase": 0.45})
    assert "amplitude-only task 10" in str(sp)
    with pytest.raises(ValueError):
        TR.speed_summary(runs, level=0.0)


def test_tracking_rows():
    X, y = _data(n=60)
    pr = TR.make_probes(X, X, y, n_hybrid=10, rng=0)
    tr = TR.train_tracking(X, y, pr, steps=20, width=8, seed=0)
    table = tr.table()
    assert len(table.rows) == len(tr.steps) and table.columns[:2] == ("step", "real")
    assert table.rows[-1][0] == str(int(tr.steps[-1])) and table.rows[-1][1] == f"{tr.acc['real'][-1]:.3f}"
    assert table.rows[-1][-1] == f"{tr.follow_phase[-1]:.3f}" and "<table" in table._repr_html_()
    assert f"real {tr.acc['real'][-1]:.3f}" in tr.row() and f"phase {tr.follow_phase[-1]:.3f}" in tr.row()


# --------------------------------------------------------------------------- bad input: one clear line
_X, _Y = _data(n=30)


def _train(X=_X, y=_Y, **kw):
    return lambda: TR.train_tracking(X, y, **{"steps": 3, "width": 4, **kw})


BAD_INPUTS = [
    (lambda: TR.make_probes(_X, _X, _Y, n_hybrid=0), "n_hybrid must be an integer >= 1, got 0"),
    (lambda: TR.make_probes(_X, _X, _Y, n_hybrid=True), "n_hybrid must be an integer >= 1, got True"),
    (lambda: TR.make_probes(_X, _X, np.zeros(30, int), n_hybrid=5), "y_test must hold at least two classes"),
    (lambda: TR.make_probes(_X, _X, _Y[:10], n_hybrid=5), r"y_test must hold one label per test image \(30,\)"),
    (lambda: TR.make_probes(_X, _X[:, :, :6, :6], _Y, n_hybrid=5), "X_train and X_test must hold images of one shape"),
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
    (lambda: TR.record_schedule(0), "steps must be an integer >= 1, got 0"),
    (lambda: TR.steps_to(_tracking([0.1, 0.2, 0.3, 0.4]), "tset", 0.5), "unknown key .* 'tset'; allowed: test"),
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
    Xtr = standardise(rng.random((10, 1, 8, 8)))
    Xte = standardise(rng.random((4, 1, 8, 8)))
    yte = np.array([2, 0, 3, 1])
    pr = TR.make_probes(Xtr, Xte, yte, n_hybrid=30, rng=3)
    assert len(pr.y_amp) == 30 and np.all(pr.y_amp != pr.y_phase)
    nz = np.ones((8, 8), bool)
    nz[0, 0] = False
    image_of = {int(c): Xte[i, 0] for i, c in enumerate(yte)}
    for h, a, p in zip(pr.hybrid[:, 0], pr.y_amp, pr.y_phase):
        Fh, Fa, Fp = (np.fft.fft2(x)[nz] for x in (h, image_of[int(a)], image_of[int(p)]))
        ratio = np.abs(Fh) / np.abs(Fa)
        assert np.allclose(ratio, ratio[0], rtol=1e-9)  # amplitude of the y_amp donor
        assert np.allclose(Fh / np.abs(Fh), Fp / np.abs(Fp), atol=1e-9)  # phases of the y_phase donor
    assert np.allclose(pr.mean_amplitude, np.abs(np.fft.fft2(Xtr, norm="ortho")).mean(0), atol=1e-14)


def test_steps_to_is_the_first_recorded_step_that_reaches_the_level():
    tr = _tracking([0.2, 0.5, 0.5, 0.9])  # steps 0, 10, 100, 1000
    assert TR.steps_to(tr, "test", 0.5) == 10.0  # reaching the level exactly counts (>=)
    assert TR.steps_to(tr, "test", 0.9) == 1000.0
    assert TR.steps_to(tr, "test", 0.95) == np.inf  # never reached


def test_hybrid_shares_credit_the_amplitude_donor_to_follow_amp(monkeypatch):
    """A planted network that always answers the amplitude donor's class: follow_amp = 1, follow_phase = 0."""
    X, y = _data(n=60)
    pr = TR.make_probes(X, X, y, n_hybrid=20, rng=0)

    def planted(net, Xp, device, batch=2048):
        return pr.y_amp.copy() if Xp is pr.hybrid else np.zeros(len(Xp), dtype=np.int64)

    monkeypatch.setattr(TR, "_predict", planted)
    tr = TR.train_tracking(X, y, pr, steps=5, width=4, seed=0)
    assert np.all(tr.follow_amp == 1.0) and np.all(tr.follow_phase == 0.0) and tr.follow_amp.size == len(tr.steps)


def test_speed_comparison_tasks_carry_what_their_names_say(monkeypatch):
    """'amp': every image keeps its own amplitude spectrum (phases scrambled); 'phase': every image keeps its
    phases and gets the training set's mean amplitude, the test images too (both up to the standardising scale;
    the zero frequency is removed by the standardisation)."""
    seen = {}

    def fake(X, y, tests=None, seed=0, **kw):
        seen.setdefault(len(seen), (X, tests["test"][0]))
        return "run"

    monkeypatch.setattr(TR, "train_tracking", fake)
    Xtr, ytr = _data(n=30, seed=0)
    Xte, yte = _data(n=12, seed=1)
    runs = TR.speed_comparison(Xtr, ytr, Xte, yte, seeds=1, seed=0)
    assert list(runs) == ["amp", "phase"] and len(seen) == 2
    F = lambda Z: np.fft.fft2(Z, norm="ortho")[..., nz]  # noqa: E731
    nz = np.ones((8, 8), bool)
    nz[0, 0] = False
    A_mean = np.abs(np.fft.fft2(Xtr, norm="ortho")).mean(0)[..., nz]
    for (amp_x, ph_x), orig in zip([(seen[0][0], seen[1][0]), (seen[0][1], seen[1][1])], (Xtr, Xte)):
        r_amp = np.abs(F(amp_x)) / np.abs(F(orig))
        assert np.allclose(r_amp, r_amp[..., :1], rtol=1e-9)  # own amplitude, per image
        assert not np.allclose(np.angle(F(amp_x)), np.angle(F(orig)), atol=1e-3)  # ... with other phases
        r_ph = np.abs(F(ph_x)) / A_mean
        assert np.allclose(r_ph, r_ph[..., :1], rtol=1e-9)  # the training mean amplitude
        assert np.allclose(F(ph_x) / np.abs(F(ph_x)), F(orig) / np.abs(F(orig)), atol=1e-9)  # own phases


def test_short_runs_record_only_steps_that_happen():
    """record_schedule(steps < 10) once listed steps up to 10, so a 5-step Tracking had more steps than accuracies."""
    assert TR.record_schedule(5).tolist() == [0, 5] and TR.record_schedule(1).tolist() == [0, 1]
    assert np.array_equal(TR.record_schedule(4000), np.unique(np.r_[0, np.geomspace(10, 4000, 15).astype(int), 4000]))
    X, y = _data(n=30)
    tr = TR.train_tracking(X, y, tests={"t": (X, y)}, steps=5, width=4)
    assert tr.steps.tolist() == [0, 5] and len(tr.acc["t"]) == 2


def test_own_ceiling_clock_does_not_count_a_lower_ceiling_as_slowness():
    """Two runs with the same shape and different ceilings are equally fast on the own-ceiling clock, while a
    fixed level calls the lower one slower (the ceiling effect the clock removes)."""
    five = (0, 10, 100, 1000, 10000)
    hi = _tracking([1 / 3, 0.6, 0.7, 0.7, 0.7], five)
    lo = _tracking([1 / 3, 0.45, 0.5, 0.5, 0.5], five)  # the same curve scaled towards chance
    assert TR.late_accuracy(hi, "test") == pytest.approx(0.7)
    assert TR.steps_to_own_fraction(hi, "test") == TR.steps_to_own_fraction(lo, "test")
    assert TR.steps_to(lo, "test", 0.48) > TR.steps_to(hi, "test", 0.48)
    sp = TR.speed_summary({"amp": [hi], "phase": [lo]}, level=0.48)
    assert sp.half_steps["amp"] == sp.half_steps["phase"] and sp.ceiling == pytest.approx({"amp": 0.7, "phase": 0.5})
    for bad, match in ((dict(frac=0.0), "frac"), (dict(frac=1.5), "frac")):
        with pytest.raises(ValueError, match=match):
            TR.steps_to_own_fraction(hi, "test", **bad)
    with pytest.raises(ValueError, match="share"):
        TR.late_accuracy(hi, "test", share=0.0)


def test_late_mean_is_the_mean_of_the_last_share_of_records():
    assert TR.late_mean([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], share=0.2) == 1.0
    assert TR.late_mean([0.0, 2.0], share=0.01) == 2.0  # at least one record
    with pytest.raises(ValueError, match="values must be"):
        TR.late_mean([])
