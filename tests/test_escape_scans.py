"""Escape-time scans and fits: determinism, the step size and cap of each scan, censored medians, the planted-law
fit, power-law speed-ups, the two simulators in law."""

import math

import numpy as np
import pytest
from escape_testing import fake_powerlaw_scan as _fake_powerlaw_scan
from escape_testing import fake_result as _fake_result
from escape_testing import fake_scan as _fake_scan
from scipy.stats import ks_2samp

from lofi_utils import escape_scans as ES
from lofi_utils import phase_model as PM
from lofi_utils import sgd


def test_escape_times_are_deterministic_and_seed_dependent():
    kw = dict(seeds=4, c=2.0, cap=10)
    a = ES.escape_time_scan([8, 12], seed=0, **kw)
    b = ES.escape_time_scan([8, 12], seed=0, **kw)
    c = ES.escape_time_scan([8, 12], seed=1, **kw)
    np.testing.assert_array_equal(a.times, b.times)
    assert not np.array_equal(a.times, c.times)
    m = PM.PhaseModel.make(8, 1.0, rng=0)
    r1 = sgd.phase_sgd(m.lam, m.u_fourier, eta=2 / 64, max_steps=5000, runs=5, seed=4)
    r2 = sgd.phase_sgd(m.lam, m.u_fourier, eta=2 / 64, max_steps=5000, runs=5, seed=4)
    np.testing.assert_array_equal(r1.times, r2.times)


def test_bad_arguments():
    with pytest.raises(ValueError):
        ES.escape_time_scan([8, 12], seeds=2, c=[1.0, 2.0])


def test_chain_vs_full_agree_in_law():
    full, chain, ks = ES.chain_vs_full(8, 48, c=2.0, cap=30.0, seed=0)
    assert full.times.shape == chain.times.shape == (48,)
    assert np.all(full.eta == 2.0 / 64) and np.all(chain.max_steps == int(30 * 8**3 / 2))
    assert ks.pvalue == ks_2samp(full.times, chain.times).pvalue > 1e-3
    assert np.mean(full.escaped) > 0.5 and np.mean(chain.escaped) > 0.5  # uncensored enough to compare
    with pytest.raises(ValueError):
        ES.chain_vs_full(8, 1)


def test_fit_escape_scan_recovers_a_planted_law():
    """Times T = A N^3 ln(N)^2 f_s (the same factors f_s at every N): the log-corrected exponent is exactly 3."""
    from lofi_utils.stats import fit_power_law

    Ns = np.array([12.0, 16.0, 24.0, 32.0])
    f = np.random.default_rng(0).lognormal(0.0, 0.5, 33)
    times = 0.7 * (Ns**3 * np.log(Ns) ** 2)[:, None] * f[None, :]
    scan = ES.EscapeScan(labels=[f"N={int(n)}" for n in Ns], values=Ns, times=times, result=_fake_result(times, Ns))
    scan.exponent, scan.intercept = fit_power_law(Ns, scan.medians)
    fit = ES.fit_escape_scan(scan, c=2.0, seed=0, early=0.5, N_min=16)
    assert fit.log_exponent == pytest.approx(3.0, abs=1e-10)
    assert 3.0 < fit.exponent < 3.0 + 2 / np.log(12) + 0.1  # ln^2 N adds about 2 / ln N at these N
    drift = 6 * Ns**3 / (abs(PM.kappa4_spike(5.0)) * 2.0)
    assert np.allclose(fit.drift_ratio, 0.7 * Ns**3 * np.log(Ns) ** 2 * np.median(f) / drift)  # 33 seeds: exact median
    assert np.array_equal(fit.early_N, Ns[1:])
    expected = [np.mean(t <= 0.5 * n**3 / 2.0) for n, t in zip(Ns[1:], times[1:])]
    assert np.array_equal(fit.early_fraction, expected)
    assert fit.exponent_se > 0 and "±" in str(fit)
    with pytest.raises(ValueError):
        ES.fit_escape_scan(scan, c=0.0)


def test_powerlaw_scan_speedups_gains_and_baseline_test():
    pl = _fake_powerlaw_scan()
    assert np.allclose(pl.speedup("pl"), [1.0, 1.5, 3.0])  # medians 3000, 2000, 1000
    assert np.allclose(pl.speedup("flat", baseline=4500.0), 4500.0 / np.array([9000.0, 6000.0, 3000.0]))
    assert np.allclose(pl.overlap_gain("pl"), [1.0, 2.0, 3.0]) and np.allclose(pl.overlap_gain("flat"), 1.0)
    same = pl.ks_to_baseline(np.concatenate([pl.times[0].ravel(), [np.inf]]))  # censored runs are dropped
    assert same.statistic == 0.0 and same.pvalue == pytest.approx(1.0)
    assert pl.ks_to_baseline(pl.times[0].ravel() * 10).pvalue < 1e-3
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


# --------------------------------------------------------------------------- bad input: one clear line


BAD_INPUTS = [
    # escape_time_scan
    (lambda: ES.escape_time_scan([8], seeds=0), "seeds must be an integer >= 1, got 0"),
    (lambda: ES.escape_time_scan([8], seeds=2.5), r"seeds must be an integer >= 1, got 2\.5"),
    (lambda: ES.escape_time_scan([8], seeds=True), "seeds must be an integer >= 1, got True"),
    (lambda: ES.escape_time_scan([8.5], seeds=2), r"every N in Ns must be an integer >= 3, got 8\.5"),
    (lambda: ES.escape_time_scan([], seeds=2), "Ns and c must each hold at least one value"),
    (lambda: ES.escape_time_scan([8], seeds=2, c=0.0), r"c must be a finite number > 0, got 0\.0"),
    (lambda: ES.escape_time_scan([8], seeds=2, cap=float("nan")), "cap must be a finite number > 0, got nan"),
    # drift, summaries, power-law scan, figures
    (lambda: ES.median_escape([]), r"times must be a non-empty 1-D array of escape steps, got shape \(0,\)"),
    (lambda: ES.median_escape([1.0, np.nan, 3.0]), r"times must be escape steps >= 0 .*got nan"),
    (lambda: ES.median_escape([-1.0, 2.0]), r"times must be escape steps >= 0 .*got -1\.0"),
    (lambda: ES.escape_fraction([[1.0, 2.0]], [1.0]), r"times must be a non-empty 1-D array .*\(1, 2\)"),
    (lambda: ES.powerlaw_scan(8, [0.0], spikes=0), "spikes must be an integer >= 1, got 0"),
    (lambda: ES.powerlaw_scan(8, [], seeds=1), "a_values and templates must each hold at least one entry"),
    (lambda: ES.powerlaw_scan(7, [0.0]), "N must be an even integer >= 4, got 7"),
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
    scan = ES.escape_time_scan(Ns, seeds=seeds, c=c, cap=cap, order=order, method="sequential")
    N = np.repeat(Ns, seeds).astype(float)
    eta = c / N**2 if order == 4 else c / N
    scale = N**3 / c if order == 4 else N * np.log(N) / c
    assert np.array_equal(scan.result.N, N) and np.allclose(scan.result.eta, eta, rtol=1e-15, atol=0)
    assert np.array_equal(scan.result.max_steps, np.ceil(cap * scale).astype(np.int64))
    cscan = ES.escape_time_scan([12], seeds=2, c=[0.5, 4.0], cap=cap, order=order, method="sequential")
    eta_c = np.repeat([0.5, 4.0], 2) / (144.0 if order == 4 else 12.0)
    assert np.allclose(cscan.result.eta, eta_c, rtol=1e-15, atol=0) and cscan.labels == ["c=0.5", "c=4"]


def test_powerlaw_scan_step_size_and_cap():
    """Full SGD of the power-law scan: eta = c / N^2, runs stopped after ceil(cap N^3 / c) steps."""
    pl = ES.powerlaw_scan(8, [0.0], ["flat"], spikes=1, seeds=2, c=2.0, cap=0.05, seed=0)
    assert np.all(pl.result.eta == 2.0 / 64) and np.all(pl.result.max_steps == math.ceil(0.05 * 512 / 2.0))
    assert pl.times.shape == (1, 1, 2)


def test_median_escape_counts_censored_runs_as_infinitely_slow():
    """Censored runs (inf) are neither dropped nor set to the cap: the median is censored once half are."""
    assert ES.median_escape([5.0, 7.0, 9.0, np.inf, np.inf]) == 9.0  # 2 of 5 censored: still finite
    assert ES.median_escape([5.0, 7.0, np.inf, np.inf, np.inf]) == np.inf  # 3 of 5: censored median
    assert ES.median_escape([5.0, 7.0, 9.0, 11.0, np.inf, np.inf]) == 10.0
    scan = _fake_scan()
    assert scan.medians.tolist() == [2.0, 4.0] and np.allclose(scan.censored, [1 / 3, 0.0])


def test_escape_fraction_counts_escape_at_n_and_never_a_censored_run():
    frac = ES.escape_fraction([10.0, 20.0, np.inf], [9.0, 10.0, 20.0, 1e300, np.inf])
    assert np.allclose(frac, [0.0, 1 / 3, 2 / 3, 2 / 3, 1.0])  # escaped at step n counts by n (<=)
