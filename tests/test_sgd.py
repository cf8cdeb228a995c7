"""Online-SGD simulators of the phase chapter: the Fourier-coordinate SGD against pixel space, the overlap
chain against the full SGD (in law), Newton-parallel against sequential steps, determinism."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

from lofi_utils import fourier as F
from lofi_utils import sgd


@pytest.mark.parametrize("a,template,order", [(0.0, "pl", 4), (1.5, "pl", 4), (1.0, "top", 4), (1.0, "flat", 2)])
def test_fourier_simulator_matches_pixel_space_sgd(a, template, order):
    N, T = 16, 2000
    model = F.PhaseModel.make(N, a, template=template, rng=3)
    rng = np.random.default_rng(1)
    z = rng.standard_normal((T, N))
    y = rng.choice([-1, 1], T)
    nu = rng.choice([-1.0, 1.0], T)
    w0 = rng.standard_normal(N)
    ref = sgd.pixel_sgd_reference(model, z, y, nu, w0, 1.0 / N**2, order=order)
    fast = sgd.sgd_from_noise(model, z, y, nu, w0, 1.0 / N**2, order=order)
    assert np.max(np.abs(ref - fast)) < 1e-8
    assert np.ptp(ref) > 1e-3  # the trajectory moved


def test_chain_derivative_matches_finite_differences():
    g = torch.Generator().manual_seed(0)
    s, t, r = (torch.randn(50, generator=g, dtype=torch.float64) for _ in range(3))
    r = 30 + r
    y = torch.sign(torch.randn(50, generator=g, dtype=torch.float64))
    m = torch.linspace(-0.8, 0.8, 50, dtype=torch.float64)
    for order in (2, 4):
        _, d = sgd._chain_map(m, s, t, y, r, 0.01, order, derivative=True)
        eps = 1e-6
        fd = (sgd._chain_map(m + eps, s, t, y, r, 0.01, order) - sgd._chain_map(m - eps, s, t, y, r, 0.01, order)) / (2 * eps)
        assert torch.max(torch.abs(d - fd)) < 1e-7


@pytest.mark.parametrize("order", [4, 2])
def test_parallel_chain_equals_sequential_chain(order):
    N = np.repeat([16, 24], 4)
    eta = 1.0 / N**2 if order == 4 else 0.25 / N
    kw = dict(eta=eta, max_steps=3000, seed=3, order=order, m0=0.15, record_every=50, threshold=0.95, alpha=0.5)
    seq = sgd.overlap_chain(N, method="sequential", **kw)
    par = sgd.overlap_chain(N, method="parallel", **kw)
    assert np.nanmax(np.abs(seq.traces - par.traces)) < 1e-10
    np.testing.assert_array_equal(seq.times, par.times)


def test_long_newton_chunks_equal_sequential_steps_through_an_escape(monkeypatch):
    """The CUDA chunking (``max_chunk = 2^20``, ``chunk_elements`` bounding R K) at the paper profile's largest
    N = 256, eta = 1 / N^2, shortened to chunks of 2^15 steps: Newton converges on every chunk (no sequential
    fallback) and gives the sequential trajectory to 1e-10, with the same escape steps."""
    N, R, K = 256, 2, 1 << 15
    newton = []
    solve = sgd._chain_newton

    def spy(*args, **kw):
        res = solve(*args, **kw)
        newton.append((args[1].shape[1], None if res is None else res[1]))
        return res

    monkeypatch.setattr(sgd, "_chain_newton", spy)
    kw = dict(eta=1.0 / N**2, max_steps=2 * K, runs=R, seed=4, m0=0.49, record_every=64, max_chunk=1 << 20,
              chunk_elements=R * K)
    seq = sgd.overlap_chain(N, method="sequential", **kw)
    par = sgd.overlap_chain(N, method="parallel", **kw)
    assert [k for k, _ in newton] == [K, K] and all(it is not None and it <= 6 for _, it in newton)
    assert np.all(np.isfinite(seq.times)) and np.all(seq.times > K)  # both runs escape inside the second chunk
    np.testing.assert_array_equal(seq.times, par.times)
    assert np.nanmax(np.abs(seq.traces - par.traces)) < 1e-10
    # the element budget cuts the chunks exactly as max_chunk does: same chunks, same noise, same trajectories
    ref = sgd.overlap_chain(N, method="parallel", **{**kw, "max_chunk": K, "chunk_elements": None})
    np.testing.assert_array_equal(ref.traces, par.traces)


def test_chain_has_the_law_of_the_full_sgd():
    """Flat spectrum: the overlap after T steps from a fixed m0 has the same law in both simulators."""
    N, R, T, m0 = 16, 400, 1500, 0.3
    model = F.PhaseModel.make(N, 0.0, rng=0)
    rng = np.random.default_rng(2)
    e = rng.standard_normal((R, N))
    u = model.u_fourier
    e -= (e @ u)[:, None] * u
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    w0 = m0 * u + math.sqrt(1 - m0**2) * e
    eta = 4.0 / N**2
    full = sgd.phase_sgd(model.lam, u, eta=eta, max_steps=T, runs=R, w0=w0, seed=5, threshold=0.999,
                         record_every=T, dtype=torch.float64)
    chain = sgd.overlap_chain(N, eta=eta, max_steps=T, runs=R, m0=m0, seed=6, threshold=0.999, record_every=T)
    a, b = full.traces[:, -1], chain.traces[:, -1]
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    assert abs(a.mean() - b.mean()) < 4 * math.sqrt(a.var() / R + b.var() / R)
    assert ks_2samp(a, b).pvalue > 1e-3
    assert a.std() > 0.1  # the law spread out from the point mass at m0 (the comparison has power)


def test_one_step_drift_matches_the_population_gradient():
    """E[m' - m] = eta |kappa_4| m^3 (1 - m^2) / 12 - (eta^2 / 2) m E[g^2 (|x|^2 - h^2)] + O(eta^3)."""
    N, R, m0, beta = 16, 400_000, 0.4, 5.0
    eta = 1.0 / N**2
    res = sgd.overlap_chain(N, eta=eta, max_steps=1, runs=R, m0=m0, seed=1, threshold=0.999, record_every=1,
                            method="sequential")
    inc = res.traces[:, 1] - m0
    # second-order term from an independent Monte Carlo of the Gaussian part: E[He3(h)^2/36 (x_e^2 + r)]
    rng = np.random.default_rng(0)
    n = 400_000
    y = rng.choice([-1.0, 1.0], n)
    s = np.where(y > 0, (rng.standard_normal(n) + math.sqrt(beta) * rng.choice([-1.0, 1.0], n)) / math.sqrt(1 + beta),
                 rng.standard_normal(n))
    t = rng.standard_normal(n)
    q = math.sqrt(1 - m0**2)
    h, xe = m0 * s + q * t, q * s - m0 * t
    second = 0.5 * eta**2 * m0 * np.mean((h * (h * h - 3) / 6) ** 2 * (xe**2 + (N - 2)))
    first = eta * abs(F.kappa4_spike(beta)) * m0**3 * (1 - m0**2) / 12
    se = inc.std() / math.sqrt(R)
    assert abs(inc.mean() - (first - second)) < 4 * se + 1e-3 * first
    assert first > 8 * se  # the signal is resolved


def test_uniform_overlap_has_the_sphere_law():
    g = torch.Generator().manual_seed(0)
    m = sgd.uniform_overlap(20, 100_000, gen=g).numpy()
    assert abs(np.mean(m**2) - 1 / 20) < 4 * np.std(m**2) / math.sqrt(len(m))
    w = np.random.default_rng(0).standard_normal((20_000, 20))
    ref = w[:, 0] / np.linalg.norm(w, axis=1)
    assert ks_2samp(m[:20_000], ref).pvalue > 1e-3


def test_escape_times_are_deterministic_and_seed_dependent():
    kw = dict(seeds=4, c=2.0, cap=10)
    a = sgd.escape_time_scan([8, 12], seed=0, **kw)
    b = sgd.escape_time_scan([8, 12], seed=0, **kw)
    c = sgd.escape_time_scan([8, 12], seed=1, **kw)
    np.testing.assert_array_equal(a.times, b.times)
    assert not np.array_equal(a.times, c.times)
    m = F.PhaseModel.make(8, 1.0, rng=0)
    r1 = sgd.phase_sgd(m.lam, m.u_fourier, eta=2 / 64, max_steps=5000, runs=5, seed=4)
    r2 = sgd.phase_sgd(m.lam, m.u_fourier, eta=2 / 64, max_steps=5000, runs=5, seed=4)
    np.testing.assert_array_equal(r1.times, r2.times)


def test_escape_is_exact_step_and_respects_cap():
    """phase_sgd reports the first step with |m_eff| >= threshold (checked against the recorded trace)."""
    m = F.PhaseModel.make(8, 0.0, rng=0)
    res = sgd.phase_sgd(m.lam, m.u_fourier, eta=4 / 64, max_steps=4000, runs=8, seed=2, record_every=1,
                        dtype=torch.float64, chunk=37)
    for r in range(8):
        tr = np.abs(res.traces[r])
        if np.isfinite(res.times[r]):
            T = int(res.times[r])
            assert tr[T] >= 0.5 and np.all(tr[:T] < 0.5)
        else:
            assert np.all(tr[np.isfinite(tr)] < 0.5)


def test_bad_arguments():
    with pytest.raises(ValueError):
        sgd.overlap_chain(16, eta=0.0, max_steps=10)
    with pytest.raises(ValueError):
        sgd.overlap_chain(16, eta=0.01, max_steps=10, order=3)
    with pytest.raises(ValueError):
        sgd.overlap_chain(16, eta=0.01, max_steps=10, method="fast")
    for bad in (dict(max_chunk=0), dict(chunk_elements=0), dict(chunk_elements=2.5)):
        with pytest.raises(ValueError):
            sgd.overlap_chain(16, eta=0.01, max_steps=10, **bad)
    with pytest.raises(ValueError):
        sgd.phase_sgd(np.ones(8), np.ones(6), eta=0.01, max_steps=10, runs=2)
    with pytest.raises(ValueError):
        sgd.escape_time_scan([8, 12], seeds=2, c=[1.0, 2.0])


def test_drift_prediction_value():
    assert sgd.drift_escape_time(10, beta=5.0, c=1.0) == pytest.approx(6 * 1000 / (50 / 36))


# --------------------------------------------------------------------------- helpers moved out of the chapter
def test_fourier_pixel_gap_is_rounding_on_the_drawn_noise():
    rng = np.random.default_rng(11)
    gaps = [sgd.fourier_pixel_gap(F.PhaseModel.make(16, a, rng=0), 500, rng, eta=1 / 16**2) for a in (0.0, 1.5)]
    assert max(gaps) < 1e-8
    # the same draws, in the same order (z, y, nu, w0), done by hand: the two code paths agree exactly
    rng = np.random.default_rng(11)
    m = F.PhaseModel.make(16, 0.0, rng=0)
    z = rng.standard_normal((500, 16))
    y = rng.choice([-1, 1], 500)
    nu = rng.choice([-1.0, 1.0], 500)
    w0 = rng.standard_normal(16)
    ref = sgd.pixel_sgd_reference(m, z, y, nu, w0, 1 / 16**2)
    assert np.ptp(ref) > 1e-3  # the trajectory moved
    assert gaps[0] == np.max(np.abs(ref - sgd.sgd_from_noise(m, z, y, nu, w0, 1 / 16**2)))
    with pytest.raises(ValueError):
        sgd.fourier_pixel_gap(m, 0, rng, eta=0.01)


def test_chain_vs_full_agree_in_law():
    full, chain, ks = sgd.chain_vs_full(8, 48, c=2.0, cap=30.0, seed=0)
    assert full.times.shape == chain.times.shape == (48,)
    assert np.all(full.eta == 2.0 / 64) and np.all(chain.max_steps == int(30 * 8**3 / 2))
    assert ks.pvalue == ks_2samp(full.times, chain.times).pvalue > 1e-3
    assert np.mean(full.escaped) > 0.5 and np.mean(chain.escaped) > 0.5  # uncensored enough to compare
    with pytest.raises(ValueError):
        sgd.chain_vs_full(8, 1)


def _fake_result(times, N):
    R = times.size
    return sgd.EscapeResult(times=times.ravel(), max_steps=np.full(R, 10**9), m0=np.zeros(R),
                            N=np.repeat(N, R // len(N)), eta=np.ones(R), threshold=0.5, record_steps=np.array([]), traces=np.zeros((R, 0)),
                            steps_run=0, lane_steps=R, seconds=0.0)


def test_fit_escape_scan_recovers_a_planted_law():
    """Times T = A N^3 ln(N)^2 f_s (the same factors f_s at every N): the log-corrected exponent is exactly 3."""
    from lofi_utils.stats import fit_power_law

    Ns = np.array([12.0, 16.0, 24.0, 32.0])
    f = np.random.default_rng(0).lognormal(0.0, 0.5, 33)
    times = 0.7 * (Ns**3 * np.log(Ns) ** 2)[:, None] * f[None, :]
    scan = sgd.EscapeScan(labels=[f"N={int(n)}" for n in Ns], values=Ns, times=times, result=_fake_result(times, Ns))
    scan.exponent, scan.intercept = fit_power_law(Ns, scan.medians)
    fit = sgd.fit_escape_scan(scan, c=2.0, seed=0, early=0.5, N_min=16)
    assert fit.log_exponent == pytest.approx(3.0, abs=1e-10)
    assert 3.0 < fit.exponent < 3.0 + 2 / np.log(12) + 0.1  # ln^2 N adds about 2 / ln N at these N
    drift = 6 * Ns**3 / (abs(F.kappa4_spike(5.0)) * 2.0)
    assert np.allclose(fit.drift_ratio, 0.7 * Ns**3 * np.log(Ns) ** 2 * np.median(f) / drift)  # 33 seeds: exact median
    assert np.array_equal(fit.early_N, Ns[1:])
    expected = [np.mean(t <= 0.5 * n**3 / 2.0) for n, t in zip(Ns[1:], times[1:])]
    assert np.array_equal(fit.early_fraction, expected)
    assert fit.exponent_se > 0 and "±" in str(fit)
    with pytest.raises(ValueError):
        sgd.fit_escape_scan(scan, c=0.0)


def _fake_powerlaw_scan(a_values=(0.0, 1.0, 1.5)):
    A, T, S = len(a_values), 2, 5
    times = (np.arange(1, A + 1)[::-1, None, None] * np.array([1.0, 3.0])[None, :, None]
             * np.linspace(0.8, 1.2, S)[None, None, :]) * 1000
    return sgd.PowerLawScan(a_values=np.array(a_values), templates=["pl", "flat"], times=times, m0=np.zeros_like(times),
                            m0_typical=np.array([[0.1, 0.1], [0.2, 0.1], [0.3, 0.1]])[:A], d_eff=np.arange(A) + 1.0,
                            N=16, c=2.0, result=_fake_result(times, np.array([16])))


def test_powerlaw_scan_speedups_gains_and_baseline_test():
    pl = _fake_powerlaw_scan()
    assert np.allclose(pl.speedup("pl"), [1.0, 1.5, 3.0])  # medians 3000, 2000, 1000
    assert np.allclose(pl.speedup("flat", baseline=4500.0), 4500.0 / np.array([9000.0, 6000.0, 3000.0]))
    assert np.allclose(pl.overlap_gain("pl"), [1.0, 2.0, 3.0]) and np.allclose(pl.overlap_gain("flat"), 1.0)
    same = pl.ks_to_baseline(np.concatenate([pl.times[0].ravel(), [np.inf]]))  # censored runs are dropped
    assert same.statistic == 0.0 and same.pvalue == pytest.approx(1.0)
    assert pl.ks_to_baseline(pl.times[0].ravel() * 10).pvalue < 1e-3
    ax = sgd.plot_powerlaw_scan(pl, baseline=2500.0)
    assert len(ax.get_lines()) == 3 and np.allclose(ax.get_lines()[2].get_ydata(), 2500.0 / 16**3)
    with pytest.raises(ValueError):
        _fake_powerlaw_scan((0.5, 1.0, 1.5)).overlap_gain("pl")


def test_powerlaw_scan_censored_median_gives_an_upper_bound_on_the_speedup():
    pl = _fake_powerlaw_scan()
    pl.times[2, 1, :3] = np.inf  # 3 of 5 runs of 'flat' at a = 1.5 reach the cap: the median is censored
    cap = float(pl.result.max_steps.max())
    assert cap >= pl.times[np.isfinite(pl.times)].max()
    assert pl.censored("flat").tolist() == [False, False, True] and not pl.censored("pl").any()
    s = pl.speedup("flat", baseline=4500.0)
    assert np.allclose(s[:2], 4500.0 / np.array([9000.0, 6000.0])) and s[2] == pytest.approx(4500.0 / cap)
    assert s[2] > 0  # never 0: the true speed-up is at most T(0) / cap


def test_float32_newton_chunks_converge_without_the_sequential_fallback(monkeypatch):
    """In float32 the Newton path stalls near 1e-7 per step change, so the 1e-9 tolerance of float64 would send
    every chunk to the slow sequential fallback; the dtype-aware tolerance lets it converge, and the float32
    Newton trajectory follows float32 sequential steps (same noise) to float32 accuracy (measured 2.2e-4 after
    16 384 steps; float32 draws other noise than float64, so the two dtypes are not compared)."""
    N, R, K = 64, 3, 1 << 12
    its = []
    solve = sgd._chain_newton

    def spy(*args, **kw):
        res = solve(*args, **kw)
        its.append(None if res is None else res[1])
        return res

    monkeypatch.setattr(sgd, "_chain_newton", spy)
    kw = dict(eta=1.0 / N**2, max_steps=4 * K, runs=R, seed=2, m0=0.3, record_every=32, max_chunk=K)
    r32 = sgd.overlap_chain(N, dtype=torch.float32, **kw)
    assert len(its) >= 1 and all(it is not None and it <= 8 for it in its)
    seq = sgd.overlap_chain(N, dtype=torch.float32, method="sequential", **kw)
    both = np.isfinite(r32.traces) & np.isfinite(seq.traces)
    assert both.sum() > R * 100 and np.abs(r32.traces - seq.traces)[both].max() < 2e-3


# --------------------------------------------------------------------------- bad input: one clear line
_M8 = F.PhaseModel.make(8, 0.0, rng=0)
_RUN = dict(eta=0.03, max_steps=10, runs=2)


def _full(**kw):
    """A call of phase_sgd on the N = 8 model with small defaults, ``kw`` replacing any of them."""
    args = {"lam": _M8.lam, "u": _M8.u_fourier, **_RUN, **kw}
    return lambda: sgd.phase_sgd(**args)


def _fake_scan():
    times = np.array([[1.0, 2.0, np.inf], [3.0, 4.0, 5.0]])
    return sgd.EscapeScan(labels=["N=8", "N=12"], values=np.array([8.0, 12.0]), times=times,
                          result=_fake_result(times, np.array([8, 12])))


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
    # overlap_chain
    (lambda: sgd.overlap_chain(3.7, **_RUN), r"N must be a positive integer .*got 3\.7"),
    (lambda: sgd.overlap_chain(2, **_RUN), "N must be an integer >= 3 .*got 2"),
    (lambda: sgd.overlap_chain(8, m0=1.5, **_RUN), r"m0 \(initial overlaps\) must lie in \[-1, 1\], got 1\.5"),
    (lambda: sgd.overlap_chain(8, m0=np.nan, **_RUN), r"m0 \(initial overlaps\) must lie in \[-1, 1\], got nan"),
    (lambda: sgd.overlap_chain(8, m0=[0.1, 0.2, 0.3], **_RUN), r"m0 must be a scalar or hold one overlap per run"),
    (lambda: sgd.overlap_chain(8, eta=0.03, max_steps=10, runs=0), "runs must be an integer >= 1, got 0"),
    (lambda: sgd.overlap_chain(8, alpha=float("nan"), **_RUN), "alpha must be a finite number > 0, got nan"),
    (lambda: sgd.overlap_chain(8, eta=-0.01, max_steps=10, runs=2), r"eta must be positive and finite .*got -0\.01"),
    # escape_time_scan
    (lambda: sgd.escape_time_scan([8], seeds=0), "seeds must be an integer >= 1, got 0"),
    (lambda: sgd.escape_time_scan([8], seeds=2.5), r"seeds must be an integer >= 1, got 2\.5"),
    (lambda: sgd.escape_time_scan([8], seeds=True), "seeds must be an integer >= 1, got True"),
    (lambda: sgd.escape_time_scan([8.5], seeds=2), r"every N in Ns must be an integer >= 3, got 8\.5"),
    (lambda: sgd.escape_time_scan([], seeds=2), "Ns and c must each hold at least one value"),
    (lambda: sgd.escape_time_scan([8], seeds=2, c=0.0), r"c must be a finite number > 0, got 0\.0"),
    (lambda: sgd.escape_time_scan([8], seeds=2, cap=float("nan")), "cap must be a finite number > 0, got nan"),
    # drift, summaries, power-law scan, figures
    (lambda: sgd.drift_escape_time(3, order=2), r"N must be > 4 .*got 3\.0"),
    (lambda: sgd.drift_escape_time(10, beta=0.0), r"beta must be a finite number > 0, got 0\.0"),
    (lambda: sgd.drift_escape_time(10, c=-1.0), r"c must be a finite number > 0, got -1\.0"),
    (lambda: sgd.median_escape([]), r"times must be a non-empty 1-D array of escape steps, got shape \(0,\)"),
    (lambda: sgd.median_escape([1.0, np.nan, 3.0]), r"times must be escape steps >= 0 .*got nan"),
    (lambda: sgd.median_escape([-1.0, 2.0]), r"times must be escape steps >= 0 .*got -1\.0"),
    (lambda: sgd.escape_fraction([[1.0, 2.0]], [1.0]), r"times must be a non-empty 1-D array .*\(1, 2\)"),
    (lambda: sgd.powerlaw_scan(8, [0.0], spikes=0), "spikes must be an integer >= 1, got 0"),
    (lambda: sgd.powerlaw_scan(8, [], seeds=1), "a_values and templates must each hold at least one entry"),
    (lambda: sgd.powerlaw_scan(7, [0.0]), "N must be an even integer >= 4, got 7"),
    (lambda: sgd.plot_escape_fraction(_fake_scan(), scale="n3"), "unknown scale 'n3'; allowed: N3, N3log2N"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- contracts of the science
@pytest.mark.parametrize("order", [4, 2])
def test_escape_time_scan_step_size_and_cap_follow_the_docstring(order):
    """eta = c / N^2 (k = 4) or c / N (k = 2); cap = ceil(cap T_scale), T_scale = N^3 / c or N ln N / c."""
    Ns, c, cap, seeds = [8, 12], 2.0, 0.05, 3
    scan = sgd.escape_time_scan(Ns, seeds=seeds, c=c, cap=cap, order=order, method="sequential")
    N = np.repeat(Ns, seeds).astype(float)
    eta = c / N**2 if order == 4 else c / N
    scale = N**3 / c if order == 4 else N * np.log(N) / c
    assert np.array_equal(scan.result.N, N) and np.allclose(scan.result.eta, eta, rtol=1e-15, atol=0)
    assert np.array_equal(scan.result.max_steps, np.ceil(cap * scale).astype(np.int64))
    cscan = sgd.escape_time_scan([12], seeds=2, c=[0.5, 4.0], cap=cap, order=order, method="sequential")
    eta_c = np.repeat([0.5, 4.0], 2) / (144.0 if order == 4 else 12.0)
    assert np.allclose(cscan.result.eta, eta_c, rtol=1e-15, atol=0) and cscan.labels == ["c=0.5", "c=4"]


def test_powerlaw_scan_step_size_and_cap():
    """Full SGD of the power-law scan: eta = c / N^2, runs stopped after ceil(cap N^3 / c) steps."""
    pl = sgd.powerlaw_scan(8, [0.0], ["flat"], spikes=1, seeds=2, c=2.0, cap=0.05, seed=0)
    assert np.all(pl.result.eta == 2.0 / 64) and np.all(pl.result.max_steps == math.ceil(0.05 * 512 / 2.0))
    assert pl.times.shape == (1, 1, 2)


def test_median_escape_counts_censored_runs_as_infinitely_slow():
    """Censored runs (inf) are neither dropped nor set to the cap: the median is censored once half are."""
    assert sgd.median_escape([5.0, 7.0, 9.0, np.inf, np.inf]) == 9.0      # 2 of 5 censored: still finite
    assert sgd.median_escape([5.0, 7.0, np.inf, np.inf, np.inf]) == np.inf  # 3 of 5: censored median
    assert sgd.median_escape([5.0, 7.0, 9.0, 11.0, np.inf, np.inf]) == 10.0
    scan = _fake_scan()
    assert scan.medians.tolist() == [2.0, 4.0] and np.allclose(scan.censored, [1 / 3, 0.0])


def test_escape_fraction_counts_escape_at_n_and_never_a_censored_run():
    frac = sgd.escape_fraction([10.0, 20.0, np.inf], [9.0, 10.0, 20.0, 1e300, np.inf])
    assert np.allclose(frac, [0.0, 1 / 3, 2 / 3, 2 / 3, 1.0])  # escaped at step n counts by n (<=)


def test_escape_is_counted_at_the_threshold_itself():
    """|m| >= threshold, not >: a run started exactly at the threshold has escaped at step 0, and inside a
    chunk the first step with |m| equal to the threshold is the escape step."""
    res = sgd.overlap_chain(16, eta=1e-3, max_steps=5, runs=3, m0=[0.5, -0.5, 0.49], threshold=0.5)
    assert res.times[:2].tolist() == [0.0, 0.0] and res.times[2] != 0.0
    m = torch.tensor([[0.1, -0.5, 0.7], [0.2, 0.3, 0.4]], dtype=torch.float64)
    assert sgd._first_hits(m, 0.5, 1).tolist() == [1, 3]


def test_runs_that_reach_the_cap_are_censored_not_escaped():
    """A run stopped at max_steps gets time inf (never the cap) in both simulators."""
    chain = sgd.overlap_chain(64, eta=1e-6, max_steps=50, runs=4, threshold=0.99, seed=1)
    full = sgd.phase_sgd(_M8.lam, _M8.u_fourier, eta=1e-6, max_steps=50, runs=4, threshold=0.99, seed=1)
    for res in (chain, full):
        assert np.all(np.isinf(res.times)) and not res.escaped.any() and np.all(res.max_steps == 50)
        assert sgd.median_escape(res.times) == np.inf


def test_drift_escape_time_laws():
    """k = 4: T = 6 N^3 / (|kappa_4| c); k = 2: T = N ln(N / 4) / (beta c)."""
    k4 = 2 * 25 / 36  # |kappa_4| at beta = 5
    assert sgd.drift_escape_time(16, c=2.0) == pytest.approx(6 * 16**3 / (k4 * 2.0), rel=1e-14)
    assert sgd.drift_escape_time(32, c=1.0) / sgd.drift_escape_time(16, c=1.0) == pytest.approx(8.0, rel=1e-14)
    assert sgd.drift_escape_time(64, beta=2.0, c=0.5, order=2) == pytest.approx(64 * math.log(16) / (2.0 * 0.5))


def test_each_run_stops_at_its_own_cap_and_an_escape_at_the_cap_counts():
    """Runs of one batch with different max_steps: an escape at step == max_steps counts, one after it does not
    (even inside the chunk where the run is stopped). The caps are set from a first pass: the earliest escape
    T_B gets cap T_B, the next one T_A gets cap T_A - 1; a slow extra run (tiny eta) keeps the batch's chunks
    identical, so both passes see the same noise up to these steps."""
    R = 6
    eta = np.r_[np.full(R - 1, 4.0 / 16**2), 1e-12]
    kw = dict(eta=eta, runs=R, m0=np.r_[np.full(R - 1, 0.45), 0.0], threshold=0.5, seed=0, method="sequential")
    first = sgd.overlap_chain(16, max_steps=20_000, **kw).times
    order = [r for r in np.argsort(first[:-1], kind="stable") if 1 < first[r] < np.inf]
    assert len(order) >= 2 and first[order[1]] > first[order[0]]
    b, a = order[0], order[1]
    caps = np.full(R, 20_000)
    caps[b], caps[a] = int(first[b]), int(first[a]) - 1
    second = sgd.overlap_chain(16, max_steps=caps, **kw)
    assert second.times[b] == first[b] and second.times[a] == np.inf and not second.escaped[a]
    assert np.array_equal(second.max_steps, caps)
