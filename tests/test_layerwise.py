"""Mathematical facts of lofi_utils.layerwise: the Hermite series of each layer's kernel, per-layer spectra
on the sphere, zonal probes, the attribution of the test-loss reduction, real-data loading.

(The per-layer kernels summing to the standard NTK recursion, Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l) without
bias, the one-layer ReLU Hermite series, and the Monte Carlo mean of the empirical per-layer NTK are pinned in
tests/test_kernels.py and tests/test_ntk.py.)"""

import math

import numpy as np
import pytest
import torch

from lofi_utils import hermite as H
from lofi_utils import kernels as K
from lofi_utils import layerwise as LW
from lofi_utils import sphere as S
from lofi_utils.ntk import MLP, empirical_layer_ntk, empirical_ntk, jacobian_layer_ntk, jacobian_layer_ntk_blocked

torch.set_num_threads(1)


# --------------------------------------------------------------------------- Hermite coefficients
@pytest.mark.parametrize("q", [0.4, 1.0, 2.5])
def test_erf_closed_form_hermite_coefficients_match_quadrature(q):
    a = H.hermite_coeffs(lambda z: K.activation_fn("erf")[0](math.sqrt(q) * z), 60, n_nodes=200)
    assert np.abs(LW.hermite_sq_coeffs("erf", q, 60) - a**2).max() < 1e-14


@pytest.mark.parametrize("act", K.ACTIVATIONS)
@pytest.mark.parametrize("q", [0.5, 1.0, 1.7])
def test_hermite_coefficients_rebuild_the_dual_activation(act, q):
    # Mehler: V(q, c) = sum_n a_n(q)^2 (c/q)^n; at c = q the sum is E[sigma(u)^2]
    nmax = 20000 if act == "relu" else 400
    a2 = LW.hermite_sq_coeffs(act, q, nmax)
    assert a2.min() >= 0
    c = np.linspace(-0.9, 0.9, 19) * q
    assert np.abs(H.dual_series(a2, c / q) - K.dual_activation(act, q, c)[0]).max() < 1e-12
    # the sum converges like nmax^-1/2 for ReLU (a_n^2 ~ n^-5/2), geometrically otherwise
    assert abs(a2.sum() - K.diagonal_map(act, q)) < (2e-3 * q if act == "relu" else 1e-13)


# --------------------------------------------------------------------------- per-layer power series
@pytest.mark.parametrize("act", K.ACTIVATIONS)
@pytest.mark.parametrize("bias", [0.0, 0.3])
def test_layer_series_reproduce_the_closed_form_kernels(act, bias):
    L = 4
    ser = LW.layer_series(L, activation=act, bias=bias, nmax=300)
    t = np.linspace(-0.85, 0.85, 23)
    lk = K.layer_kernels(t, depth=L, activation=act, bias=bias)
    assert np.abs(ser.evaluate(t) - lk.theta_layers).max() < 1e-12
    # the per-layer series sum to the series of the standard NTK recursion
    assert np.abs(ser.evaluate(t).sum(0) - K.ntk(t, depth=L, activation=act, bias=bias)).max() < 1e-12
    # coefficients are non-negative; their sum approaches Theta_l(1) from below
    assert ser.theta.min() >= 0 and np.all(ser.tail > -1e-12)
    if act != "relu" and bias == 0:                      # odd kernels: only odd powers
        assert np.all(ser.theta[:, 0::2] == 0)


def test_two_layer_relu_series_closed_form():
    """Theta_1 = t V'(t) and Theta_2 = V(t): b_n^(1) = n a_n^2, b_n^(2) = a_n^2; so b_k^(1)/sum_l b_k = k/(k+1)."""
    a2 = H.relu_hermite_coeffs(40)
    ser = LW.layer_series(2, nmax=40)
    assert np.allclose(ser.theta[0], np.arange(41) * a2, rtol=1e-13, atol=1e-17)
    assert np.allclose(ser.theta[1], a2, rtol=1e-13, atol=1e-17)
    k = np.array([1, 2, 4, 6, 8])
    assert np.allclose(LW.maclaurin_shares(2, 8)[0, k], k / (k + 1), rtol=1e-12)


@pytest.mark.parametrize("act,bias", [("relu", 0.0), ("relu", 0.1), ("erf", 0.0), ("tanh", 0.5)])
def test_cauchy_fft_coefficients_match_the_hermite_composition(act, bias):
    ser = LW.layer_series(5, activation=act, bias=bias, nmax=80).theta
    b, err = LW.layer_maclaurin(5, activation=act, bias=bias, nmax=1023, return_error=True)
    gap = np.abs(b[:, :81] - ser)
    assert np.all(gap <= err[:, :81])                     # the stated bound holds
    big = ser > 1e-8                                      # the FFT error is absolute, ~1e-17
    assert (gap[big] / ser[big]).max() < 1e-8


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_layer_kernel_is_nngp_times_sensitivity_with_bias(act):
    t = np.linspace(-0.8, 0.8, 9)
    lk = K.layer_kernels(t, depth=4, activation=act, bias=0.5)
    for l in range(1, 5):
        sens = LW.nngp_sensitivity(t, depth=4, layer=l, activation=act, bias=0.5)
        assert np.abs(lk.sigma[l - 1] * sens - lk.theta_layers[l - 1]).max() < 1e-7


# --------------------------------------------------------------------------- per-layer spectra
def test_spectrum_routes_agree_within_their_bounds():
    for d, act in [(10, "relu"), (50, "relu"), (10, "tanh"), (20, "erf")]:
        q = LW.layer_spectrum(d, 12, depth=4, activation=act, method="quadrature")
        s = LW.layer_spectrum(d, 12, depth=4, activation=act, method="series")
        both = np.isfinite(s.err) & (q.err < 1e-3 * np.abs(q.mu)) & (s.err < 1e-3 * np.abs(s.mu))
        assert both.sum() >= 12
        assert np.all(np.abs(q.mu - s.mu)[both] <= (q.err + s.err)[both] + 1e-15 * np.abs(s.mu)[both])
    # rows sum to the total NTK spectrum of lofi_utils.kernels
    sp = LW.layer_spectrum(10, 12, depth=4)
    assert np.allclose(sp.total, K.ntk_spectrum(10, 12, depth=4), rtol=1e-10, atol=1e-16)


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_funk_hecke_rebuilds_every_layer_kernel(act):
    d, kmax = 5, 200
    sp = LW.layer_spectrum(d, kmax, depth=3, activation=act, bias=0.2)
    t = np.array([-0.7, -0.2, 0.0, 0.4, 0.8])
    rebuilt = S.reconstruct_kernel(sp.mu, d, t)
    assert np.abs(rebuilt - K.layer_kernels(t, depth=3, activation=act, bias=0.2).theta_layers).max() < 1e-6


def test_circle_edge_case_gegenbauer_index_zero():
    """d = 2 (Gegenbauer index alpha = (d-2)/2 = 0): mu_k are the cosine coefficients of Theta_l(cos phi)."""
    L, M = 4, 2**17
    sp = LW.layer_spectrum(2, 40, depth=L, bias=0.1)
    assert np.all(sp.route == "quadrature") and sp.resolved.all()
    phi = 2 * np.pi * np.arange(M) / M
    vals = K.layer_kernels(np.cos(phi), depth=L, bias=0.1).theta_layers
    fft = np.fft.rfft(vals, axis=1).real[:, :41] / M        # mu_0 + 2 sum mu_k cos(k phi)
    assert np.abs(fft - sp.mu).max() < 1e-9                 # aliasing ~ mu_(M-k) ~ M^-2
    # and the shares are finite and sum to 1 at every degree
    assert np.allclose(np.nansum(sp.shares, axis=0), 1.0)


def test_odd_activation_even_degrees_are_unresolved_zeros():
    sp = LW.layer_spectrum(10, 10, depth=3, activation="tanh")
    assert not sp.resolved[0::2].any() and sp.resolved[1::2].all()
    assert np.all(np.abs(sp.mu[:, 0::2]) <= sp.err[:, 0::2])
    assert np.all(np.isnan(sp.shares[:, 0::2]))


@pytest.mark.parametrize("d", [3, 10])
@pytest.mark.parametrize("L", [3, 4, 6])
def test_pairwise_ratios_increase_within_parity(d, L):
    for act in ("relu", "erf"):
        mono = LW.ratio_monotonicity(LW.layer_spectrum(d, 24, depth=L, activation=act), kmin=0, kmax=24)
        assert mono["violations"] == 0 and mono["comparisons"] > 0, mono["where"][:5]


@pytest.mark.parametrize("L,bias", [(3, 0.0), (4, 0.0), (5, 0.5), (4, 1.0)])
def test_relu_share_limit(L, bias):
    lim = LW.relu_share_limit(L, bias=bias)
    if bias == 0:
        assert np.allclose(lim, 2 * (L - np.arange(1, L + 1)) / (L * (L - 1)))
    sp = LW.layer_spectrum(3, 200, depth=L, bias=bias)
    assert np.abs(LW.pair_shares(sp, 197) - lim).max() < 5e-3
    assert np.abs(LW.pair_shares(sp, 97) - lim).max() < 1e-2


def test_high_dimensional_limit_is_the_maclaurin_coefficient():
    """mu_k N(d, k) -> b_k as d -> infinity, with a gap of order 1/d."""
    b = LW.layer_series(4, nmax=10).theta
    k = np.arange(1, 6)
    gaps = []
    for d in (50, 500, 5000):
        sp = LW.layer_spectrum(d, 5, depth=4, method="series")
        gaps.append(np.abs(sp.mu[:, k] * S.harmonic_dimension(d, k) / b[:, k] - 1).max())
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 2e-3
    assert 5 < gaps[0] / gaps[1] < 20 and 5 < gaps[1] / gaps[2] < 20


# --------------------------------------------------------------------------- finite networks
def test_blocked_jacobian_route_equals_the_full_one():
    m = MLP(4, 10, 3, bias=0.4, seed=2, dtype=torch.float64)
    x = torch.as_tensor(S.sample_sphere(11, 4, radius=2.0, rng=np.random.default_rng(0)))
    full = jacobian_layer_ntk(m, x)
    assert torch.allclose(jacobian_layer_ntk_blocked(m, x, chunk=6), full, atol=1e-12)
    assert torch.allclose(empirical_layer_ntk(m, x), full, atol=1e-12)


def test_zonal_probes_are_orthogonal_to_sampled_lower_degrees():
    rng = np.random.default_rng(3)
    x = S.sample_sphere(400, 4, radius=2.0, rng=rng)
    Y = LW.zonal_probes(x, 3, n_probes=6, rng=rng)
    u = x / 2.0
    for j in range(3):
        e = S.sample_sphere(20, 4, rng=rng)
        Z = S.gegenbauer_table(j, 4, (u @ e.T).ravel())[j].reshape(400, 20)   # any degree-j zonal function
        assert np.abs(Z.T @ Y).max() < 1e-10 * np.abs(Z).max() * np.abs(Y).max() * 400


def test_probe_share_estimator_converges_to_the_population_shares():
    """Monte Carlo over point sets: the estimator's bias (the high-degree tail of the kernel acts on N points
    like white noise) is of order 1/N -- quartering it from N = 150 to N = 600 -- and small at N = 600."""
    d, L, reps = 4, 3, 6
    sp = LW.layer_spectrum(d, 2, depth=L)
    for k in (1, 2):
        bias = []
        for N in (150, 600):
            est = []
            for r in range(reps):
                rng = np.random.default_rng(100 + r)
                x = S.sample_sphere(N, d, radius=2.0, rng=rng)
                A = K.layer_kernels(np.clip(x @ x.T / d, -1, 1), depth=L).theta_layers
                est.append(LW.probe_shares(A, LW.zonal_probes(x, k, n_probes=10, rng=rng)))
            est = np.array(est)
            se = est.std(0, ddof=1) / math.sqrt(reps)
            gap = np.abs(est.mean(0) - sp.shares[:, k])
            bias.append(gap.max())
            assert np.all(gap > 4 * se) or N == 600 or k == 1   # at N = 150, k = 2 the bias is resolved
        assert bias[1] < 2.5e-3 and bias[1] < bias[0] / 2.5


# --------------------------------------------------------------------------- chapter-level summaries
def test_layer_identity_gaps_are_rounding_small_for_every_activation_and_bias():
    t = np.linspace(-0.9, 0.9, 41)
    sum_gap, sens_gap = LW.layer_identity_gaps(t, depth=3, biases=(0.0, 0.5))
    assert set(sum_gap) == set(sens_gap) == {(a, b) for a in K.ACTIVATIONS for b in (0.0, 0.5)}
    assert max(sum_gap.values()) < 1e-12          # sum_l Theta_l = the NTK recursion
    assert max(sens_gap.values()) < 1e-7          # Theta_l = Sigma^(l) dSigma^(L)/dSigma^(l), central differences
    with pytest.raises(ValueError, match="cosines"):
        LW.layer_identity_gaps(np.array([0.2, 1.0]), depth=3)


@pytest.mark.parametrize("act", ["relu", "erf"])
def test_series_gap_at_t_equal_one_is_the_tail(act):
    """All coefficients are >= 0, so at t = 1 the truncation error is the neglected mass Theta_l(1) - sum b_j."""
    s = LW.layer_series(3, activation=act, nmax=12)
    assert LW.series_gap(s, np.array([1.0])) == pytest.approx(np.abs(s.tail).max(), rel=1e-9)
    assert LW.series_gap(LW.layer_series(3, activation=act, nmax=200), np.linspace(-0.5, 0.5, 21)) < 1e-13
    with pytest.raises(ValueError, match="LayerSeries"):
        LW.series_gap(s.theta, np.array([0.5]))


def test_monotone_in_parity_compares_each_parity_separately():
    zigzag = np.array([0.0, 5.0, 1.0, 6.0, 2.0, 7.0, np.nan, 8.0])  # increasing within each parity, NaN skipped
    assert LW.monotone_in_parity(zigzag) and not np.all(np.diff(zigzag[1:6]) > 0)
    assert not LW.monotone_in_parity(zigzag, increasing=False)
    assert LW.monotone_in_parity(-zigzag, increasing=False)
    assert not LW.monotone_in_parity(np.array([0.0, 1.0, 3.0, 2.0, 1.0]))   # odd k: 1 -> 2 ok, even k: 3 -> 1 not
    sp = LW.layer_spectrum(5, 12, depth=3)
    assert LW.monotone_in_parity(sp.shares[0]) and LW.monotone_in_parity(sp.shares[-1], increasing=False)
    with pytest.raises(ValueError, match="1-D"):
        LW.monotone_in_parity(np.ones((2, 3)))


def test_share_ordering_sums_the_pairwise_tests_and_honours_the_caps():
    survey = LW.share_ordering([3, 10], [3], 10, activations=("relu", "tanh"), caps={"tanh": 6})
    assert set(survey.spectra) == {(a, d, 3) for a in ("relu", "tanh") for d in (3, 10)}
    assert survey.violations["relu"] == 0 and survey.first_violations["relu"] == 0
    expected = sum(LW.ratio_monotonicity(survey.spectra["tanh", d, 3], kmin=0, kmax=6)["comparisons"] for d in (3, 10))
    assert survey.comparisons["tanh"] == expected > 0
    uncapped = LW.share_ordering([3, 10], [3], 10, activations=("tanh",))
    assert uncapped.comparisons["tanh"] > survey.comparisons["tanh"]
    assert survey.first_share_increasing() and survey.readout_share_decreasing()
    with pytest.raises(ValueError, match="depths"):
        LW.share_ordering([3], [1], 10)


def test_high_dim_limit_closed_form_and_one_over_d():
    # two-layer ReLU, k = 1: b_{1+2j} = 0 for j >= 1 and m(1, 1, d) N(d, 1) = (1/d) d = 1, so mu_1 N(d,1) = b_1 exactly
    exact = LW.high_dim_limit(2, 1, [5, 20, 80])
    assert exact.gap.max() < 1e-10
    hd = LW.high_dim_limit(3, 2, [20, 80, 320])
    assert np.all(np.diff(hd.gap) < 0) and hd.exponent == pytest.approx(-1.0, abs=0.15)
    assert hd.share_gap[-1] < hd.share_gap[0]
    with pytest.raises(ValueError, match="ds"):
        LW.high_dim_limit(3, 2, [10])


def test_total_and_per_layer_width_sweeps_share_one_loop():
    from lofi_utils import spectra

    total = spectra.ntk_width_sweep(3, 3, 40, [32, 128], seeds=2, seed=4, dtype=torch.float32)
    layers = LW.layer_width_sweep(3, 3, 40, [32, 128], seeds=2, seed=4)
    assert np.array_equal(total.errors, layers.total_errors)     # same inputs, same networks
    x = torch.as_tensor(S.sample_sphere(40, 3, radius=math.sqrt(3), rng=np.random.default_rng(4)), dtype=torch.float32)
    widest = MLP(3, 128, 3, seed=4, dtype=torch.float32)         # theta_hat: the widest network, first seed
    assert np.array_equal(total.theta_hat, empirical_ntk(widest, x).double().numpy())
    # |sum_l (Theta_hat_l - Theta_l)| <= sum_l |Theta_hat_l - Theta_l| (triangle inequality, Frobenius norms)
    norms = np.linalg.norm(K.layer_kernels(total.cosines, depth=3).theta_layers.reshape(3, -1), axis=1)
    assert np.all(total.errors * np.linalg.norm(total.theta) <= (layers.errors * norms).sum(-1) * (1 + 1e-6))
    assert layers.errors.shape == (2, 2, 3) and layers.mean_errors.shape == (2, 3)
    with pytest.raises(ValueError, match="widths"):
        LW.layer_width_sweep(3, 3, 40, [], seeds=1)


# --------------------------------------------------------------------------- attribution
def test_kernel_attribution_of_proportional_layers_is_exact():
    rng = np.random.default_rng(0)
    x = S.sample_sphere(60, 3, radius=math.sqrt(3), rng=rng)
    base = K.ntk(np.clip(x @ x.T / 3, -1, 1), depth=2)
    c = np.array([0.5, 0.3, 0.2])
    Ks = c[:, None, None] * base
    y = rng.standard_normal(60)
    res = LW.kernel_attribution(Ks[:, :40, :40], Ks[:, 40:, :40], y[:40], y[40:], eta=0.5, steps=30)
    assert np.allclose(res.shares, c, atol=1e-12)
    assert abs(res.closure - 1) < 1e-12                     # the trapezoidal rule is exact for a quadratic loss
    # training only layer 2 attributes everything to it and follows the kernel 0.3 K
    one = LW.kernel_attribution(Ks[:, :40, :40], Ks[:, 40:, :40], y[:40], y[40:], eta=0.5, steps=30,
                                train_layers=[2])
    assert np.allclose(one.shares, [0, 1, 0]) and abs(one.closure - 1) < 1e-12


def test_network_attribution_first_step_is_the_ntk_quadratic_form():
    """<grad_l L_test, grad_l L_train> = r_te^T Theta_hat_l(te, tr) r_tr / (m n): the Euler step of a network
    equals the kernel model with the network's own per-layer NTK, to rounding (float64)."""
    d, L = 3, 3
    rng = np.random.default_rng(1)
    x = S.sample_sphere(30, d, radius=math.sqrt(d), rng=rng)
    y = rng.standard_normal(30)
    m = MLP(d, 16, L, bias=0.3, seed=0, dtype=torch.float64)
    xt = torch.as_tensor(x)
    G = empirical_layer_ntk(m, xt).numpy()
    ker = LW.kernel_attribution(G[:, :20, :20], G[:, 20:, :20], y[:20], y[20:], eta=0.1, steps=1)
    net = LW.train_attribution(m, xt[:20], torch.as_tensor(y[:20]), xt[20:], torch.as_tensor(y[20:]), eta=0.1,
                               steps=1)
    assert np.allclose(net.contrib_euler[1], ker.contrib_euler[1], rtol=1e-10, atol=1e-14)


def test_network_attribution_closes_and_respects_frozen_layers():
    d, L = 3, 3
    rng = np.random.default_rng(2)
    x = torch.as_tensor(S.sample_sphere(80, d, radius=math.sqrt(d), rng=rng))
    y = torch.as_tensor(rng.standard_normal(80))
    res = LW.train_attribution(MLP(d, 64, L, seed=1, dtype=torch.float64), x[:50], y[:50], x[50:], y[50:],
                               eta=0.5, steps=20)
    assert abs(res.closure - 1) < 1e-3 < abs(res.closure_euler - 1)
    one = LW.train_attribution(MLP(d, 64, L, seed=1, dtype=torch.float64), x[:50], y[:50], x[50:], y[50:],
                               eta=0.5, steps=20, train_layers=[1])
    assert one.trained == (1,) and np.all(one.contrib[:, 1:] == 0)
    assert abs(one.closure - 1) < 0.2 * abs(one.closure_euler - 1)     # third order against second


def test_residual_rate_recovers_a_geometric_decay():
    loss = 0.7 * (1 - 0.03) ** (2 * np.arange(200))
    assert abs(LW.residual_rate(loss) - 0.03) < 1e-12


def test_zonal_task_is_a_unit_variance_harmonic_of_degree_k():
    x, y = LW.zonal_task(5, 4000, 1, seed=3, rep=1)
    assert x.shape == (4000, 5) and np.allclose((x ** 2).sum(1), 5)
    coef, res, *_ = np.linalg.lstsq(x, y, rcond=None)            # degree 1: a linear function of x
    assert res[0] < 1e-20 * (y ** 2).sum()
    assert abs(np.mean(y ** 2) - 1) < 0.1                         # E y^2 = 1; the standard error is 0.017
    assert np.array_equal(LW.zonal_task(5, 50, 1, seed=3, rep=1)[0], x[:50])      # one stream per (seed, k, rep)
    assert not np.array_equal(LW.zonal_task(5, 50, 1, seed=3, rep=2)[0], x[:50])
    assert np.allclose(LW.zonal_task(5, 20, 0)[1], 1.0)
    with pytest.raises(ValueError, match="n_points"):
        LW.zonal_task(5, 1, 1)


def _proportional_comparison(c, label="toy"):
    rng = np.random.default_rng(0)
    x = S.sample_sphere(60, 3, radius=math.sqrt(3), rng=rng)
    Ks = np.asarray(c)[:, None, None] * K.ntk(np.clip(x @ x.T / 3, -1, 1), depth=2)
    y = rng.standard_normal(60)
    res = LW.kernel_attribution(Ks[:, :40, :40], Ks[:, 40:, :40], y[:40], y[40:], eta=0.5, steps=40)
    return LW.AttributionComparison(network=res, initial=res, analytic=res, label=label)


def test_attribution_summaries_of_proportional_layers():
    """K_l = c_l K: every layer does the share c_l / sum c at all times, early and late alike."""
    c = np.array([0.5, 0.3, 0.2])
    comp = _proportional_comparison(c)
    early, late = LW.early_late_shares(comp.network, frac=0.25)
    assert np.allclose(early, c, atol=1e-12) and np.allclose(late, c, atol=1e-12)
    assert LW.closure_error([comp]) < 1e-12 and LW.linearisation_gap([comp]) == 0.0
    assert comp.describe().startswith("toy") and "closure 1.0000" in comp.describe()
    with pytest.raises(ValueError, match="frac"):
        LW.early_late_shares(comp.network, frac=0.01)
    with pytest.raises(ValueError, match="at least one"):
        LW.closure_error([])


def test_zonal_attribution_and_single_layer_rates_share_the_task():
    d, L, width, n = 3, 2, 128, 100
    kw = dict(eta=0.2, steps=40, seed=2, threads=1)     # a small step: the rate fit sees one clean decay
    runs = LW.zonal_attribution(d, L, width, n, [1], reps=2, **kw)
    assert set(runs.runs) == {(1, 0), (1, 1)} and runs[1, 0].label == "k = 1"
    assert LW.closure_error(runs.values()) < 0.02
    net_gap, ana_gap = runs.theory_gaps(LW.layer_spectrum(d, 1, depth=L).shares)
    assert ana_gap < 0.1 and net_gap < 0.1                       # finite sample and width
    one = LW.single_layer_rates(d, L, width, n, 1, **kw)
    for l in (1, 2):                                             # a frozen layer contributes nothing
        other = 2 - l
        assert np.all(one.runs[l].network.contrib[:, other] == 0) and np.all(one.runs[l].initial.contrib[:, other] == 0)
    # same task and initial network as runs[1, 0]: single-layer kernel rates add up to the full kernel rate
    full = LW.residual_rate(runs[1, 0].initial.train_loss)
    assert one.initial.sum() / full == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="theory"):
        runs.theory_gaps(np.ones((L, 1)))


def test_attribution_runs_kernel_models_are_linear_in_the_target():
    rng = np.random.default_rng(5)
    X = S.sample_sphere(60, 4, radius=2.0, rng=rng)
    y = rng.standard_normal(60)
    a, b = LW.attribution_runs(X, {"y": y, "2y": 2 * y}, 40, width=32, depth=2, eta=0.5, steps=5, threads=1)
    assert (a.label, b.label) == ("y", "2y")
    for kind in ("initial", "analytic"):                         # C_l is quadratic in the target
        assert np.allclose(getattr(b, kind).contrib, 4 * getattr(a, kind).contrib, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="target"):
        LW.attribution_runs(X, {}, 40, width=32, depth=2, eta=0.5, steps=5)


# --------------------------------------------------------------------------- real data
def test_digits_on_the_sphere_and_data_spectrum():
    data = LW.load_real_data(None, n=200, seed=0)
    assert data.X.shape == (200, 64) and data.name == "digits" and "no data_path" in data.note
    assert np.allclose((data.X ** 2).sum(1), 64) and set(np.unique(data.y)) == {-1.0, 1.0}
    ds = LW.data_layer_spectrum(data.X, depth=3, n_bands=5)
    assert np.all(np.diff(ds.eigvals) <= 1e-12) and np.allclose(ds.shares.sum(0), 1)
    V = ds.eigvecs
    assert np.allclose(V.T @ ds.grams.sum(0) @ V, np.diag(ds.eigvals * 200), atol=1e-9)
    assert sum(b.size for b in ds.bands) == 200
    assert np.allclose(ds.project_shares(ds.grams), ds.shares)


def test_band_target_is_a_nystrom_eigenfunction():
    data = LW.load_real_data(None, n=120, seed=1)
    ds = LW.data_layer_spectrum(data.X, depth=3, n_bands=4)
    n = 60
    K = ds.grams.sum(0)
    lam, V = np.linalg.eigh(K[:n, :n])
    y = LW.band_target(ds, [4], n, rng=np.random.default_rng(0))
    v = V[:, ::-1][:, 4]
    assert abs(abs(y[:n] @ v) - math.sqrt(n)) < 1e-8 and np.isclose(np.mean(y[:n] ** 2), 1.0)
    # one eigenfunction: the linearised model's training residual decays exactly like (1 - eta lambda)^t
    res = LW.kernel_attribution(ds.grams[:, :n, :n], ds.grams[:, n:, :n], y[:n], y[n:], eta=0.5, steps=10)
    lam4 = lam[::-1][4] / n
    assert np.allclose(res.train_loss, 0.5 * (1 - 0.5 * lam4) ** (2 * np.arange(11)), rtol=1e-9)


def _write_idx(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    path.write_bytes(header + arr.tobytes())


def test_mnist_from_a_path(tmp_path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, size=(30, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(30) % 10)
    data = LW.load_real_data(tmp_path, n=20, seed=0)
    assert data.name == "MNIST" and data.X.shape == (20, 784) and np.allclose((data.X ** 2).sum(1), 784)
    assert np.all(data.y == np.where(data.labels <= 4, 1.0, -1.0))


def test_figures_and_widget_build():
    import matplotlib.pyplot as plt

    sp = LW.layer_spectrum(5, 6, depth=3)
    for ax in (LW.plot_layer_kernels(3), LW.plot_layer_shares(5, depth=3, kmax=6, spectrum=sp),
               LW.plot_high_dim(3, [1, 2], [10, 50])):
        assert ax.has_data()
    plt.close("all")
    w = LW.share_explorer(kmax=6)
    assert {c.description for c in w.children if hasattr(c, "description")} >= {"activation", "depth L", "dimension d"}
    assert plt.get_fignums() == []               # building the widget draws nothing
    w.children[1].value = 3                      # a control change draws one figure
    assert len(plt.get_fignums()) == 1
    plt.close("all")
    from lofi_utils.plotting import control_panel
    with pytest.raises(ValueError, match="control"):
        control_panel([], lambda ax: ax)


def test_bad_data_path_is_one_clear_line(tmp_path):
    from lofi_utils.datasets import DataMissing

    for path, name in ((tmp_path / "nowhere", "MNIST"), (tmp_path / "cifar-10-batches-py", "CIFAR-10")):
        with pytest.raises(DataMissing, match=name) as err:
            LW.load_real_data(path, n=10)
        assert "\n" not in str(err.value)
        assert isinstance(err.value, ValueError)


def test_validation_errors():
    with pytest.raises(ValueError, match="method"):
        LW.layer_spectrum(3, 4, depth=2, method="magic")
    with pytest.raises(ValueError, match="depth"):
        LW.relu_share_limit(1)
    with pytest.raises(ValueError, match="layer"):
        LW.nngp_sensitivity(np.array([0.1]), depth=3, layer=4)
    with pytest.raises(ValueError, match="train_layers"):
        LW.kernel_attribution(np.zeros((2, 3, 3)), np.zeros((2, 2, 3)), np.zeros(3), np.zeros(2), eta=1, steps=1,
                              train_layers=[3])
    with pytest.raises(ValueError, match="sphere"):
        LW.data_layer_spectrum(2 * np.ones((5, 3)), depth=2)
    with pytest.raises(ValueError, match="q"):
        LW.hermite_sq_coeffs("relu", 0.0, 3)
