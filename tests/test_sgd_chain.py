"""The overlap chain: its exact step and derivative, Newton-parallel against sequential chunks, its law against
the full SGD, the law of the initial overlap, caps and censoring."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

from lofi_utils import escape_scans, sgd
from lofi_utils import phase_model as PM
from lofi_utils import sgd_chain as SC


def test_chain_derivative_matches_finite_differences():
    g = torch.Generator().manual_seed(0)
    s, t, r = (torch.randn(50, generator=g, dtype=torch.float64) for _ in range(3))
    r = 30 + r
    y = torch.sign(torch.randn(50, generator=g, dtype=torch.float64))
    m = torch.linspace(-0.8, 0.8, 50, dtype=torch.float64)
    for order in (2, 4):
        _, d = SC._chain_map(m, s, t, y, r, 0.01, order, derivative=True)
        eps = 1e-6
        fd = (SC._chain_map(m + eps, s, t, y, r, 0.01, order) - SC._chain_map(m - eps, s, t, y, r, 0.01, order)) / (
            2 * eps
        )
        assert torch.max(torch.abs(d - fd)) < 1e-7


@pytest.mark.parametrize("order", [4, 2])
def test_parallel_chain_equals_sequential_chain(order):
    N = np.repeat([16, 24], 4)
    eta = 1.0 / N**2 if order == 4 else 0.25 / N
    kw = dict(eta=eta, max_steps=3000, seed=3, order=order, m0=0.15, record_every=50, threshold=0.95, alpha=0.5)
    seq = SC.overlap_chain(N, method="sequential", **kw)
    par = SC.overlap_chain(N, method="parallel", **kw)
    assert np.nanmax(np.abs(seq.traces - par.traces)) < 1e-10
    np.testing.assert_array_equal(seq.times, par.times)


def test_long_newton_chunks_equal_sequential_steps_through_an_escape(monkeypatch):
    """The CUDA chunking (``max_chunk = 2^20``, ``chunk_elements`` bounding R K) at the paper profile's largest
    N = 256, eta = 1 / N^2, shortened to chunks of 2^15 steps: Newton converges on every chunk (no sequential
    fallback) and gives the sequential trajectory to 1e-10, with the same escape steps."""
    N, R, K = 256, 2, 1 << 15
    newton = []
    solve = SC._chain_newton

    def spy(*args, **kw):
        res = solve(*args, **kw)
        newton.append((args[1].shape[1], None if res is None else res[1]))
        return res

    monkeypatch.setattr(SC, "_chain_newton", spy)
    kw = dict(
        eta=1.0 / N**2,
        max_steps=2 * K,
        runs=R,
        seed=4,
        m0=0.49,
        record_every=64,
        max_chunk=1 << 20,
        chunk_elements=R * K,
    )
    seq = SC.overlap_chain(N, method="sequential", **kw)
    par = SC.overlap_chain(N, method="parallel", **kw)
    assert [k for k, _ in newton] == [K, K] and all(it is not None and it <= 6 for _, it in newton)
    assert np.all(np.isfinite(seq.times)) and np.all(seq.times > K)  # both runs escape inside the second chunk
    np.testing.assert_array_equal(seq.times, par.times)
    assert np.nanmax(np.abs(seq.traces - par.traces)) < 1e-10
    # the element budget cuts the chunks exactly as max_chunk does: same chunks, same noise, same trajectories
    ref = SC.overlap_chain(N, method="parallel", **{**kw, "max_chunk": K, "chunk_elements": None})
    np.testing.assert_array_equal(ref.traces, par.traces)


def test_chain_has_the_law_of_the_full_sgd():
    """Flat spectrum: the overlap after T steps from a fixed m0 has the same law in both simulators."""
    N, R, T, m0 = 16, 400, 1500, 0.3
    model = PM.PhaseModel.make(N, 0.0, rng=0)
    rng = np.random.default_rng(2)
    e = rng.standard_normal((R, N))
    u = model.u_fourier
    e -= (e @ u)[:, None] * u
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    w0 = m0 * u + math.sqrt(1 - m0**2) * e
    eta = 4.0 / N**2
    full = sgd.phase_sgd(
        model.lam, u, eta=eta, max_steps=T, runs=R, w0=w0, seed=5, threshold=0.999, record_every=T, dtype=torch.float64
    )
    chain = SC.overlap_chain(N, eta=eta, max_steps=T, runs=R, m0=m0, seed=6, threshold=0.999, record_every=T)
    a, b = full.traces[:, -1], chain.traces[:, -1]
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert abs(a.mean() - b.mean()) < 4 * math.sqrt(a.var() / R + b.var() / R)
    assert ks_2samp(a, b).pvalue > 1e-3
    assert a.std() > 0.1  # the law spread out from the point mass at m0 (the comparison has power)


def test_one_step_drift_matches_the_population_gradient():
    """E[m' - m] = eta |kappa_4| m^3 (1 - m^2) / 12 - (eta^2 / 2) m E[g^2 (|x|^2 - h^2)] + O(eta^3)."""
    N, R, m0, beta = 16, 400_000, 0.4, 5.0
    eta = 1.0 / N**2
    res = SC.overlap_chain(
        N, eta=eta, max_steps=1, runs=R, m0=m0, seed=1, threshold=0.999, record_every=1, method="sequential"
    )
    inc = res.traces[:, 1] - m0
    # second-order term from an independent Monte Carlo of the Gaussian part: E[He3(h)^2/36 (x_e^2 + r)]
    rng = np.random.default_rng(0)
    n = 400_000
    y = rng.choice([-1.0, 1.0], n)
    s = np.where(
        y > 0,
        (rng.standard_normal(n) + math.sqrt(beta) * rng.choice([-1.0, 1.0], n)) / math.sqrt(1 + beta),
        rng.standard_normal(n),
    )
    t = rng.standard_normal(n)
    q = math.sqrt(1 - m0**2)
    h, xe = m0 * s + q * t, q * s - m0 * t
    second = 0.5 * eta**2 * m0 * np.mean((h * (h * h - 3) / 6) ** 2 * (xe**2 + (N - 2)))
    first = eta * abs(PM.kappa4_spike(beta)) * m0**3 * (1 - m0**2) / 12
    se = inc.std() / math.sqrt(R)
    assert abs(inc.mean() - (first - second)) < 4 * se + 1e-3 * first
    assert first > 8 * se  # the signal is resolved


def test_uniform_overlap_has_the_sphere_law():
    g = torch.Generator().manual_seed(0)
    m = SC.uniform_overlap(20, 100_000, gen=g).numpy()
    assert abs(np.mean(m**2) - 1 / 20) < 4 * np.std(m**2) / math.sqrt(len(m))
    w = np.random.default_rng(0).standard_normal((20_000, 20))
    ref = w[:, 0] / np.linalg.norm(w, axis=1)
    assert ks_2samp(m[:20_000], ref).pvalue > 1e-3


def test_float32_newton_chunks_converge_without_the_sequential_fallback(monkeypatch):
    """In float32 the Newton path stalls near 1e-7 per step change, so the 1e-9 tolerance of float64 would send
    every chunk to the slow sequential fallback; the dtype-aware tolerance lets it converge, and the float32
    Newton trajectory follows float32 sequential steps (same noise) to float32 accuracy (measured 2.2e-4 after
    16 384 steps; float32 draws other noise than float64, so the two dtypes are not compared)."""
    N, R, K = 64, 3, 1 << 12
    its = []
    solve = SC._chain_newton

    def spy(*args, **kw):
        res = solve(*args, **kw)
        its.append(None if res is None else res[1])
        return res

    monkeypatch.setattr(SC, "_chain_newton", spy)
    kw = dict(eta=1.0 / N**2, max_steps=4 * K, runs=R, seed=2, m0=0.3, record_every=32, max_chunk=K)
    r32 = SC.overlap_chain(N, dtype=torch.float32, **kw)
    assert len(its) >= 1 and all(it is not None and it <= 8 for it in its)
    seq = SC.overlap_chain(N, dtype=torch.float32, method="sequential", **kw)
    both = np.isfinite(r32.traces) & np.isfinite(seq.traces)
    assert both.sum() > R * 100 and np.abs(r32.traces - seq.traces)[both].max() < 2e-3


def test_bad_arguments():
    with pytest.raises(ValueError):
        SC.overlap_chain(16, eta=0.0, max_steps=10)
    with pytest.raises(ValueError):
        SC.overlap_chain(16, eta=0.01, max_steps=10, order=3)
    with pytest.raises(ValueError):
        SC.overlap_chain(16, eta=0.01, max_steps=10, method="fast")
    for bad in (dict(max_chunk=0), dict(chunk_elements=0), dict(chunk_elements=2.5)):
        with pytest.raises(ValueError):
            SC.overlap_chain(16, eta=0.01, max_steps=10, **bad)


# --------------------------------------------------------------------------- bad input: one clear line
_M8 = PM.PhaseModel.make(8, 0.0, rng=0)
_RUN = dict(eta=0.03, max_steps=10, runs=2)


BAD_INPUTS = [
    (lambda: SC.overlap_chain(3.7, **_RUN), r"N must be a positive integer .*got 3\.7"),
    (lambda: SC.overlap_chain(2, **_RUN), "N must be an integer >= 3 .*got 2"),
    (lambda: SC.overlap_chain(8, m0=1.5, **_RUN), r"m0 \(initial overlaps\) must lie in \[-1, 1\], got 1\.5"),
    (lambda: SC.overlap_chain(8, m0=np.nan, **_RUN), r"m0 \(initial overlaps\) must lie in \[-1, 1\], got nan"),
    (lambda: SC.overlap_chain(8, m0=[0.1, 0.2, 0.3], **_RUN), r"m0 must be a scalar or hold one overlap per run"),
    (lambda: SC.overlap_chain(8, eta=0.03, max_steps=10, runs=0), "runs must be an integer >= 1, got 0"),
    (lambda: SC.overlap_chain(8, alpha=float("nan"), **_RUN), "alpha must be a finite number > 0, got nan"),
    (lambda: SC.overlap_chain(8, eta=-0.01, max_steps=10, runs=2), r"eta must be positive and finite .*got -0\.01"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- contracts of the science
def test_escape_is_counted_at_the_threshold_itself():
    """|m| >= threshold, not >: a run started exactly at the threshold has escaped at step 0, and inside a
    chunk the first step with |m| equal to the threshold is the escape step."""
    res = SC.overlap_chain(16, eta=1e-3, max_steps=5, runs=3, m0=[0.5, -0.5, 0.49], threshold=0.5)
    assert res.times[:2].tolist() == [0.0, 0.0] and res.times[2] != 0.0


def test_runs_that_reach_the_cap_are_censored_not_escaped():
    """A run stopped at max_steps gets time inf (never the cap) in both simulators."""
    chain = SC.overlap_chain(64, eta=1e-6, max_steps=50, runs=4, threshold=0.99, seed=1)
    full = sgd.phase_sgd(_M8.lam, _M8.u_fourier, eta=1e-6, max_steps=50, runs=4, threshold=0.99, seed=1)
    for res in (chain, full):
        assert np.all(np.isinf(res.times)) and not res.escaped.any() and np.all(res.max_steps == 50)
        assert escape_scans.median_escape(res.times) == np.inf


def test_each_run_stops_at_its_own_cap_and_an_escape_at_the_cap_counts():
    """Runs of one batch with different max_steps: an escape at step == max_steps counts, one after it does not
    (even inside the chunk where the run is stopped). The caps are set from a first pass: the earliest escape
    T_B gets cap T_B, the next one T_A gets cap T_A - 1; a slow extra run (tiny eta) keeps the batch's chunks
    identical, so both passes see the same noise up to these steps."""
    R = 6
    eta = np.r_[np.full(R - 1, 4.0 / 16**2), 1e-12]
    kw = dict(eta=eta, runs=R, m0=np.r_[np.full(R - 1, 0.45), 0.0], threshold=0.5, seed=0, method="sequential")
    first = SC.overlap_chain(16, max_steps=20_000, **kw).times
    order = [r for r in np.argsort(first[:-1], kind="stable") if 1 < first[r] < np.inf]
    assert len(order) >= 2 and first[order[1]] > first[order[0]]
    b, a = order[0], order[1]
    caps = np.full(R, 20_000)
    caps[b], caps[a] = int(first[b]), int(first[a]) - 1
    second = SC.overlap_chain(16, max_steps=caps, **kw)
    assert second.times[b] == first[b] and second.times[a] == np.inf and not second.escaped[a]
    assert np.array_equal(second.max_steps, caps)
