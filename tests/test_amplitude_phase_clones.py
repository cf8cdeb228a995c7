"""Chapter 4's clones and divergence statistics: Gaussian clones share the class means and covariances,
phase-randomised clones keep every amplitude, the gap statistics vanish for identical curves, the ensemble's
networks are independent of one another, and bad input ends in one line."""

import numpy as np
import pytest

from lofi_utils.chapters.amplitude_phase import clones as CL
from lofi_utils.chapters.amplitude_phase.tracking import Tracking
from lofi_utils.fourier import standardise


def _data(n=60, size=6, K=3, seed=0):
    rng = np.random.default_rng(seed)
    return standardise(rng.random((n, 1, size, size))), np.arange(n) % K


def _tracking(real, clone, steps=None, K=2):
    steps = np.arange(len(real)) * 10 if steps is None else np.asarray(steps)
    acc = {"real": np.asarray(real, float), "clone": np.asarray(clone, float)}
    return Tracking(steps=steps, acc=acc, follow_amp=np.array([]), follow_phase=np.array([]), n_classes=K)


# --------------------------------------------------------------------------- clones
def test_gaussian_clones_share_class_means_and_covariances_to_sampling_error():
    rng = np.random.default_rng(0)
    # two classes in d = 3 with different means and covariances (one covariance singular: rank 2)
    A = [np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.5]]), np.array([[2.0, 0, 0], [0, 0.5, 0], [1, 1, 0]])]
    X = np.concatenate([rng.standard_normal((400, 3)) @ A[c].T + 3 * c for c in (0, 1)])
    y = np.repeat([0, 1], 400)
    n = 40000
    Xc, yc = CL.gaussian_clones(X, y, n, rng=1)
    assert Xc.shape == (2 * n, 3) and np.array_equal(yc, np.repeat([0, 1], n))
    for c in (0, 1):
        mu, S = X[y == c].mean(0), np.cov(X[y == c], rowvar=False)
        mu_c, S_c = Xc[yc == c].mean(0), np.cov(Xc[yc == c], rowvar=False)
        # the clone mean has standard error sqrt(diag S / n); 5 SE: a failure by chance has probability < 1e-5
        assert np.all(np.abs(mu_c - mu) < 5 * np.sqrt(np.diag(S) / n) + 1e-12)
        # the sample covariance of n Gaussian draws has entrywise SE <= sqrt((S_ii S_jj + S_ij^2) / n)
        se = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S**2) / n)
        assert np.all(np.abs(S_c - S) < 5 * se + 1e-12)
    # a singular covariance stays singular: the clones of class 1 lie in the span of its data
    w = np.linalg.eigh(np.cov(X[y == 1], rowvar=False))[1][:, 0]  # the null direction
    assert np.allclose((Xc[yc == 1] - X[y == 1].mean(0)) @ w, 0, atol=1e-8)


def test_gaussian_clones_keep_the_image_shape():
    X, y = _data()
    Xc, yc = CL.gaussian_clones(X, y, 5, rng=0)
    assert Xc.shape == (15, 1, 6, 6) and np.array_equal(yc, np.repeat([0, 1, 2], 5))


def test_phase_clones_keep_every_amplitude_and_change_the_phases():
    X, _ = _data()
    Z = CL.phase_clones(X, rng=3)
    A = lambda V: np.abs(np.fft.fft2(V, norm="ortho"))  # noqa: E731
    assert Z.shape == X.shape and np.isrealobj(Z)
    assert np.max(np.abs(A(Z) - A(X))) < 1e-10 * np.max(A(X))
    assert np.max(np.abs(Z - X)) > 0.1  # the phases did change


# --------------------------------------------------------------------------- gap statistics
def test_divergence_is_zero_for_identical_curves_and_the_mean_gap_for_a_constant_one():
    t = [0, 10, 100, 1000]
    a = [0.3, 0.5, 0.8, 0.9]
    assert CL.divergence(t, a, a) == 0.0
    assert CL.divergence(t, a, np.array(a) - 0.1) == pytest.approx(0.1, abs=1e-14)
    # weights are the trapezoid weights in log(1 + t): a gap at the last step alone weighs (u_3 - u_2) / 2 / u_3
    u = np.log1p(t)
    gap = CL.divergence(t, a, [0.3, 0.5, 0.8, 0.5])
    assert gap == pytest.approx(0.4 * (u[3] - u[2]) / 2 / u[3])


def test_relative_gap_is_the_unexplained_share_of_above_chance_accuracy():
    g = CL.relative_gap([0.52, 0.75, 1.0], [0.52, 0.5, 0.75], 0.5)
    assert np.isnan(g[0])  # 0.02 above chance: below the floor, undefined
    assert g[1:] == pytest.approx([1.0, 0.5])
    assert np.all(CL.relative_gap([0.6, 0.9], [0.6, 0.9], 0.5) == 0)


def test_early_late_reads_the_gap_at_half_the_ceiling_and_over_the_last_records():
    # real rises to 1.0 (chance 0.5); the clone follows it until step 30, then stays at 0.8
    real = [0.5, 0.6, 0.75, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    clone = [0.5, 0.6, 0.75, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    el = CL.early_late([_tracking(real, clone)], "real", "clone")
    assert el.early_step[0] == 20 and el.early[0] == 0.0  # half of the ceiling, 0.75, is reached at step 20
    assert el.late[0] == pytest.approx(0.4)  # (1.0 - 0.8) / (1.0 - 0.5) over the last 2 records
    same = CL.early_late([_tracking(real, real)], "real", "clone")
    assert same.early[0] == 0 and same.late[0] == 0


def test_early_late_window_averages_the_rise():
    # chance 0.5, ceiling 1.0: the rise from 1/4 (0.625) to 3/4 (0.875) of the way spans steps 10 to 30
    real = [0.5, 0.65, 0.75, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    clone = [0.5, 0.55, 0.6, 0.6, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    el = CL.early_late([_tracking(real, clone)], "real", "clone", early_window=(0.25, 0.75))
    ma, mb = np.mean(real[1:4]), np.mean(clone[1:4])
    assert el.early_step[0] == 30 and el.early[0] == pytest.approx((ma - mb) / (ma - 0.5))
    assert el.late[0] == pytest.approx(0.4)  # the late reading does not change


def test_half_ceiling_ratios_pair_the_networks():
    def run(curve):
        return Tracking(
            steps=np.arange(6) * 10, acc={"test": np.array(curve, float)},
            follow_amp=np.array([]), follow_phase=np.array([]), n_classes=2,
        )  # fmt: skip

    fast = run([0.5, 0.9, 1, 1, 1, 1])  # half of its ceiling (0.75) at step 10
    slow = run([0.5, 0.5, 0.5, 0.6, 0.7, 0.7])  # ceiling 0.7: half (0.6) at step 30
    r = CL.half_ceiling_ratios({"amp": [fast, slow], "phase": [slow, fast]})
    assert r == pytest.approx([3.0, 1 / 3])


def test_timing_outcome_reads_the_intervals():
    up = (0.06, 0.05, 0.07)  # phase-only accuracy above chance
    assert CL.timing_outcome((0.9, 0.7, 1.1), up) == "together"
    assert CL.timing_outcome((0.7, 0.6, 0.8), up) == "partly later"
    assert CL.timing_outcome((0.1, -0.1, 0.4), up) == "later"
    assert CL.timing_outcome((0.6, 0.3, 0.9), up) == "undecided"
    assert CL.timing_outcome((1.5, 1.2, 1.8), up) == "earlier"
    assert CL.timing_outcome((0.9, 0.7, 1.1), (0.01, -0.01, 0.03)) == "never"


def test_bootstrap_interval_contains_the_statistic_and_collapses_for_equal_values():
    assert CL.bootstrap_interval([0.2, 0.2, 0.2]) == pytest.approx((0.2, 0.2, 0.2), abs=1e-15)
    v = np.random.default_rng(0).normal(1.0, 0.1, 20)
    m, lo, hi = CL.bootstrap_interval(v, rng=1)
    assert lo < m < hi and m == pytest.approx(v.mean())
    # the percentile interval of the mean is close to the normal one, mean +- 1.96 sd / sqrt(S)
    se = v.std(ddof=1) / np.sqrt(v.size)
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.25)
    assert CL.bootstrap_interval(v, stat="median", rng=1)[0] == pytest.approx(np.median(v))


# --------------------------------------------------------------------------- the ensemble
def test_ensemble_networks_are_independent_and_deterministic():
    X, y = _data(n=90)
    kw = dict(tests={"t": (X, y)}, width=8, steps=6, lr=0.1, batch=8, seed=4)
    two = CL.train_ensemble(X, y, seeds=2, **kw)
    again = CL.train_ensemble(X, y, seeds=2, **kw)
    one = CL.train_ensemble(X, y, seeds=1, **kw)
    assert len(two) == 2 and two[0].n_classes == 3 and two[0].steps[-1] == 6
    for a, b in zip(two, again):
        assert np.array_equal(a.acc["t"], b.acc["t"])
    # network 0 has its own streams: it learns the same with or without network 1 beside it (6 float32 steps;
    # the batched sums differ at most in rounding, far below an argmax flip on 90 images)
    assert np.array_equal(one[0].acc["t"], two[0].acc["t"])
    assert not np.array_equal(two[0].acc["t"], two[1].acc["t"]) or two[0].acc["t"].std() == 0


def test_ensemble_learns_a_separable_task():
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    X = rng.standard_normal((200, 10)) + 2.0 * y[:, None]
    runs = CL.train_ensemble(X, y, tests={"train": (X, y)}, seeds=2, width=16, steps=200, lr=0.1, seed=0)
    assert all(r.acc["train"][0] < 0.8 and r.acc["train"][-1] > 0.95 for r in runs)


def test_clone_divergence_and_speed_ensemble_record_what_they_say():
    X, y = _data(n=90)
    runs = CL.clone_divergence(X, y, X, y, n_clones=10, seeds=2, steps=4, width=4, seed=0)
    assert len(runs) == 2 and set(runs[0].acc) == {"train", "clone", "test"}
    sp = CL.speed_ensemble(X, y, X, y, seeds=2, steps=4, width=4, seed=0)
    assert set(sp) == {"amp", "phase"} and all(len(v) == 2 and "test" in v[0].acc for v in sp.values())


# --------------------------------------------------------------------------- bad input: one clear line
_X, _Y = _data(n=30)
BAD_INPUTS = [
    (lambda: CL.gaussian_clones(_X, _Y, 0), "n_per_class must be an integer >= 1, got 0"),
    (lambda: CL.gaussian_clones(_X, _Y[:5], 3), r"y must hold one label per image \(30,\), got shape \(5,\)"),
    (lambda: CL.gaussian_clones(_X, _Y - 1, 3), r"y must be class indices 0, 1, 2, \.\.\."),
    (lambda: CL.gaussian_clones(_X[:4], [0, 0, 0, 1], 3), "every class needs at least two images"),
    (lambda: CL.gaussian_clones(np.full_like(_X, np.nan), _Y, 3), "X must be finite"),
    (lambda: CL.phase_clones(np.zeros(5)), "must be"),
    (lambda: CL.train_ensemble(_X, _Y, seeds=0), "seeds must be an integer >= 1, got 0"),
    (lambda: CL.train_ensemble(_X, _Y, steps=3, record=[0, 5]), r"record must be integer steps in \[0, steps = 3\]"),
    (lambda: CL.train_ensemble(_X, _Y, lr=-1), "lr must be a finite number > 0, got -1"),
    (lambda: CL.train_ensemble(_X, _Y, tests={"t": (_X[:, :, :4, :4], _Y)}), "test set 't' must hold images"),
    (lambda: CL.relative_gap([0.5, 0.6], [0.5], 0.5), "acc_real and acc_clone must be 1-d of one length"),
    (lambda: CL.relative_gap([0.5], [0.5], 1.5), r"chance must be a number in \(0, 1\), got 1\.5"),
    (lambda: CL.divergence([0, 0], [0.5, 0.5], [0.5, 0.5]), "steps must be increasing"),
    (lambda: CL.divergence([0], [0.5], [0.5]), "must be 1-d of one length >= 2"),
    (lambda: CL.early_late([], "real", "clone"), "runs must hold at least one Tracking"),
    (lambda: CL.early_late([_tracking([0.5, 1], [0.5, 1])], "real", "gauss"), "accuracy 'gauss' was not recorded"),
    (
        lambda: CL.early_late([_tracking([0.5, 1], [0.5, 1])], "real", "clone", early_window=(0.5, 0.2)),
        "early_window must be",
    ),
    (lambda: CL.half_ceiling_ratios({"amp": []}), "runs must be"),
    (lambda: CL.timing_outcome((1.0, 1.2, 0.8), (0.1, 0.1, 0.1)), "kept must be"),
    (lambda: CL.bootstrap_interval([1.0]), "values must be a 1-d sequence of at least 2 finite numbers"),
    (lambda: CL.bootstrap_interval([1.0, np.inf]), "values must be a 1-d sequence of at least 2 finite numbers"),
    (lambda: CL.bootstrap_interval([1.0, 2.0], stat="mode"), "stat must be 'mean' or 'median', got 'mode'"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
