"""Online SGD in Fourier coordinates: against a pixel-space loop, exact escape steps, the drift prediction,
the batch bookkeeping shared with the overlap chain."""

import math

import numpy as np
import pytest
import torch

from lofi_utils import phase_model as PM
from lofi_utils import sgd


@pytest.mark.parametrize("a,template,order", [(0.0, "pl", 4), (1.5, "pl", 4), (1.0, "top", 4), (1.0, "flat", 2)])
def test_fourier_simulator_matches_pixel_space_sgd(a, template, order):
    N, T = 16, 2000
    model = PM.PhaseModel.make(N, a, template=template, rng=3)
    rng = np.random.default_rng(1)
    z = rng.standard_normal((T, N))
    y = rng.choice([-1, 1], T)
    nu = rng.choice([-1.0, 1.0], T)
    w0 = rng.standard_normal(N)
    ref = sgd.pixel_sgd_reference(model, z, y, nu, w0, 1.0 / N**2, order=order)
    fast = sgd.sgd_from_noise(model, z, y, nu, w0, 1.0 / N**2, order=order)
    assert np.max(np.abs(ref - fast)) < 1e-8
    assert np.ptp(ref) > 1e-3  # the trajectory moved


def test_escape_is_exact_step_and_respects_cap():
    """phase_sgd reports the first step with |m_eff| >= threshold (checked against the recorded trace)."""
    m = PM.PhaseModel.make(8, 0.0, rng=0)
    res = sgd.phase_sgd(
        m.lam, m.u_fourier, eta=4 / 64, max_steps=4000, runs=8, seed=2, record_every=1, dtype=torch.float64, chunk=37
    )
    for r in range(8):
        tr = np.abs(res.traces[r])
        if np.isfinite(res.times[r]):
            T = int(res.times[r])
            assert tr[T] >= 0.5 and np.all(tr[:T] < 0.5)
        else:
            assert np.all(tr[np.isfinite(tr)] < 0.5)


def test_bad_arguments():
    with pytest.raises(ValueError):
        sgd.phase_sgd(np.ones(8), np.ones(6), eta=0.01, max_steps=10, runs=2)


def test_drift_prediction_value():
    assert sgd.drift_escape_time(10, beta=5.0, c=1.0) == pytest.approx(6 * 1000 / (50 / 36))


def test_fourier_pixel_gap_is_rounding_on_the_drawn_noise():
    rng = np.random.default_rng(11)
    gaps = [sgd.fourier_pixel_gap(PM.PhaseModel.make(16, a, rng=0), 500, rng, eta=1 / 16**2) for a in (0.0, 1.5)]
    assert max(gaps) < 1e-8
    # the same draws, in the same order (z, y, nu, w0), done by hand: the two code paths agree exactly
    rng = np.random.default_rng(11)
    m = PM.PhaseModel.make(16, 0.0, rng=0)
    z = rng.standard_normal((500, 16))
    y = rng.choice([-1, 1], 500)
    nu = rng.choice([-1.0, 1.0], 500)
    w0 = rng.standard_normal(16)
    ref = sgd.pixel_sgd_reference(m, z, y, nu, w0, 1 / 16**2)
    assert np.ptp(ref) > 1e-3  # the trajectory moved
    assert gaps[0] == np.max(np.abs(ref - sgd.sgd_from_noise(m, z, y, nu, w0, 1 / 16**2)))
    with pytest.raises(ValueError):
        sgd.fourier_pixel_gap(m, 0, rng, eta=0.01)


def test_drift_escape_time_laws():
    """k = 4: T = 6 N^3 / (|kappa_4| c); k = 2: T = N ln(N / 4) / (beta c)."""
    k4 = 2 * 25 / 36  # |kappa_4| at beta = 5
    assert sgd.drift_escape_time(16, c=2.0) == pytest.approx(6 * 16**3 / (k4 * 2.0), rel=1e-14)
    assert sgd.drift_escape_time(32, c=1.0) / sgd.drift_escape_time(16, c=1.0) == pytest.approx(8.0, rel=1e-14)
    assert sgd.drift_escape_time(64, beta=2.0, c=0.5, order=2) == pytest.approx(64 * math.log(16) / (2.0 * 0.5))


def test_first_hit_counts_an_overlap_at_the_threshold():
    m = torch.tensor([[0.1, -0.5, 0.7], [0.2, 0.3, 0.4]], dtype=torch.float64)
    assert sgd._first_hits(m, 0.5, 1).tolist() == [1, 3]


# --------------------------------------------------------------------------- the helpers shared with the chain
def test_check_order_accepts_only_the_simulated_exponents():
    assert sgd.check_order(4) == 4 and sgd.check_order(2) == 2 and sgd.ORDERS == (2, 4)
    for bad in (3, 4.5, "4"):
        with pytest.raises(ValueError, match="order"):
            sgd.check_order(bad)


def test_spike_projection_whitens_only_the_phase_spike():
    g0 = torch.tensor([0.3, 0.3, 0.3, -1.0], dtype=torch.float64)
    y = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=torch.float64)
    nu = torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
    beta = 3.0
    k4 = sgd.spike_projection(g0, y, nu, beta, 4)
    k2 = sgd.spike_projection(g0, y, nu, beta, 2)
    spike = torch.tensor([0.3 + math.sqrt(3.0), 0.3 - math.sqrt(3.0)], dtype=torch.float64)
    assert torch.allclose(k4[:2], spike / 2.0) and torch.allclose(k2[:2], spike)  # sqrt(1 + beta) = 2
    assert torch.equal(k4[2:], g0[2:]) and torch.equal(k2[2:], g0[2:])  # the noise class is untouched


def test_random_signs_are_balanced_and_follow_the_generator():
    a = sgd.random_signs((4000,), torch.Generator().manual_seed(3), "cpu", torch.float64)
    b = sgd.random_signs((4000,), torch.Generator().manual_seed(3), "cpu", torch.float64)
    assert torch.equal(a, b) and set(a.unique().tolist()) == {-1.0, 1.0} and a.dtype == torch.float64
    assert abs(float(a.mean())) < 4 / math.sqrt(4000)


def test_per_run_values_broadcasts_and_checks():
    assert sgd.per_run_values(0.5, 3, "eta").tolist() == [0.5, 0.5, 0.5]
    ints = sgd.per_run_values([1e5, 7, 8], 3, "max_steps", dtype=np.int64)
    assert ints.dtype == np.int64 and ints.tolist() == [100000, 7, 8]
    with pytest.raises(ValueError, match=r"max_steps must be a positive integer .*got 1\.5 \(run 1\)"):
        sgd.per_run_values([2, 1.5, 3], 3, "max_steps", dtype=np.int64)
    with pytest.raises(ValueError, match=r"eta must be a scalar or hold one value per run \(3\)"):
        sgd.per_run_values([[0.1]], 3, "eta")


def test_chunk_bookkeeping_sets_escapes_caps_traces_and_work():
    """Three runs of a batch of four (run 2 left earlier), a chunk of K = 4 steps after t = 10: run 0 crosses at step
    12 (|m| = 0.5 counts), run 1 at step 13 but its cap is 12 (censored, ends), run 3 never (goes on)."""
    times = np.full(4, np.inf)
    times[2] = 5.0
    alive = np.array([0, 1, 3])
    cap = np.array([100, 12, 100, 100])
    traces = np.full((4, 8), np.nan)
    m = torch.tensor([[0.1, -0.5, 0.9, 0.2], [0.1, 0.2, 0.6, 0.7], [0.0, 0.1, 0.2, 0.3]], dtype=torch.float64)
    ended, work = sgd.chunk_escapes(m, 1, 0.5, times, alive, cap, 10, traces, 2)
    assert ended.tolist() == [True, True, False] and times.tolist() == [12.0, np.inf, 5.0, np.inf]
    assert work == 2 + 2 + 4  # run 0 up to its escape, run 1 up to its cap, run 3 the whole chunk
    assert traces[0, 6] == -0.5 and traces[3, 6] == 0.1 and traces[3, 7] == 0.3  # steps 12 and 14 recorded
    same = sgd.chunk_escapes(
        m.T, 0, 0.5, np.where(np.arange(4) == 2, 5.0, np.inf), alive, cap, 10, np.full((4, 8), np.nan), 2
    )
    assert same[0].tolist() == ended.tolist() and same[1] == work  # the step axis first gives the same
    state = torch.arange(3.0)
    left, (kept,) = sgd.drop_ended(ended, alive, state)
    assert left.tolist() == [3] and kept.tolist() == [2.0]
    assert sgd.drop_ended(np.zeros(3, bool), alive, state)[1][0] is state
    sgd.end_traces(traces, times, 2)
    assert np.isnan(traces[0, 7]) and traces[0, 6] == -0.5 and traces[3, 6] == 0.1  # run 0 stops after step 12


# --------------------------------------------------------------------------- bad input: one clear line
_M8 = PM.PhaseModel.make(8, 0.0, rng=0)
_RUN = dict(eta=0.03, max_steps=10, runs=2)


def _full(**kw):
    """A call of phase_sgd on the N = 8 model with small defaults, ``kw`` replacing any of them."""
    args = {"lam": _M8.lam, "u": _M8.u_fourier, **_RUN, **kw}
    return lambda: sgd.phase_sgd(**args)


BAD_INPUTS = [
    # phase_sgd (the reported defects first)
    (_full(u=np.zeros(8)), r"u \(the template\) must be finite and nonzero.*norm 0"),
    (_full(u=np.full(8, np.nan)), r"u \(the template\) must be finite.*non-finite"),
    (_full(runs=-1), "runs must be an integer >= 1, got -1"),
    (_full(max_steps=1.5), r"max_steps must be a positive integer .*got 1\.5"),
    (_full(max_steps=True), "max_steps must be a positive integer"),
    (_full(runs=True), "runs must be an integer >= 1, got True"),
    (_full(lam=np.full(8, np.nan)), r"lam \(the coordinate eigenvalues\) must be positive"),
    (_full(chunk=2.5), "chunk must be an integer >= 1, got 2.5"),
    (_full(record_every=0), "record_every must be an integer >= 1, got 0"),
    (_full(beta=-1.0), "beta must be a finite number > 0, got -1.0"),
    (_full(threshold=1.0), r"threshold must be a number in \(0, 1\), got 1\.0"),
    (_full(w0=np.ones((3, 8))), r"w0 must hold R x N = 2 x 8 .*\(3, 8\)"),
    (_full(w0=np.zeros((2, 8))), "w0 must be finite and nonzero"),
    (_full(seed=-1), "seed must be an integer >= 0, got -1"),
    (_full(eta=[0.1, 0.2, 0.3]), r"eta must be a scalar or hold one value per run \(2\), got shape \(3,\)"),
    (lambda: sgd.drift_escape_time(3, order=2), r"N must be > 4 .*got 3\.0"),
    (lambda: sgd.drift_escape_time(10, beta=0.0), r"beta must be a finite number > 0, got 0\.0"),
    (lambda: sgd.drift_escape_time(10, c=-1.0), r"c must be a finite number > 0, got -1\.0"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
