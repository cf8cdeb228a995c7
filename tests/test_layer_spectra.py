"""Mathematical facts of lofi_utils.layer_spectra: per-layer spectra on the sphere with error bounds, their
limits and ordering, zonal probes on a finite sample, and per-layer shares along the eigenvectors of data."""

import math

import numpy as np
import pytest

from lofi_utils import attribution as AT
from lofi_utils import datasets as D
from lofi_utils import kernels as K
from lofi_utils import layer_series as LS
from lofi_utils import layer_spectra as SP
from lofi_utils import sphere as S


# --------------------------------------------------------------------------- per-layer spectra
def test_spectrum_routes_agree_within_their_bounds():
    for d, act in [(10, "relu"), (50, "relu"), (10, "tanh"), (20, "erf")]:
        q = SP.layer_spectrum(d, 12, depth=4, activation=act, method="quadrature")
        s = SP.layer_spectrum(d, 12, depth=4, activation=act, method="series")
        both = np.isfinite(s.err) & (q.err < 1e-3 * np.abs(q.mu)) & (s.err < 1e-3 * np.abs(s.mu))
        assert both.sum() >= 12
        assert np.all(np.abs(q.mu - s.mu)[both] <= (q.err + s.err)[both] + 1e-15 * np.abs(s.mu)[both])
    # rows sum to the total NTK spectrum of lofi_utils.kernels
    sp = SP.layer_spectrum(10, 12, depth=4)
    assert np.allclose(sp.total, K.ntk_spectrum(10, 12, depth=4), rtol=1e-10, atol=1e-16)


@pytest.mark.parametrize("act", K.ACTIVATIONS)
def test_funk_hecke_rebuilds_every_layer_kernel(act):
    d, kmax = 5, 200
    sp = SP.layer_spectrum(d, kmax, depth=3, activation=act, bias=0.2)
    t = np.array([-0.7, -0.2, 0.0, 0.4, 0.8])
    rebuilt = S.reconstruct_kernel(sp.mu, d, t)
    assert np.abs(rebuilt - K.layer_kernels(t, depth=3, activation=act, bias=0.2).theta_layers).max() < 1e-6


def test_circle_edge_case_gegenbauer_index_zero():
    """d = 2 (Gegenbauer index alpha = (d-2)/2 = 0): mu_k are the cosine coefficients of Theta_l(cos phi)."""
    L, M = 4, 2**17
    sp = SP.layer_spectrum(2, 40, depth=L, bias=0.1)
    assert np.all(sp.route == "quadrature") and sp.resolved.all()
    phi = 2 * np.pi * np.arange(M) / M
    vals = K.layer_kernels(np.cos(phi), depth=L, bias=0.1).theta_layers
    fft = np.fft.rfft(vals, axis=1).real[:, :41] / M  # mu_0 + 2 sum mu_k cos(k phi)
    assert np.abs(fft - sp.mu).max() < 1e-9  # aliasing ~ mu_(M-k) ~ M^-2
    # and the shares are finite and sum to 1 at every degree
    assert np.allclose(np.nansum(sp.shares, axis=0), 1.0)


def test_odd_activation_even_degrees_are_unresolved_zeros():
    sp = SP.layer_spectrum(10, 10, depth=3, activation="tanh")
    assert not sp.resolved[0::2].any() and sp.resolved[1::2].all()
    assert np.all(np.abs(sp.mu[:, 0::2]) <= sp.err[:, 0::2])
    assert np.all(np.isnan(sp.shares[:, 0::2]))


@pytest.mark.parametrize("d", [3, 10])
@pytest.mark.parametrize("L", [3, 4, 6])
def test_pairwise_ratios_increase_within_parity(d, L):
    for act in ("relu", "erf"):
        mono = SP.ratio_monotonicity(SP.layer_spectrum(d, 24, depth=L, activation=act), kmin=0, kmax=24)
        assert mono["violations"] == 0 and mono["comparisons"] > 0, mono["where"][:5]


@pytest.mark.parametrize("L,bias", [(3, 0.0), (4, 0.0), (5, 0.5), (4, 1.0)])
def test_relu_share_limit(L, bias):
    lim = SP.relu_share_limit(L, bias=bias)
    if bias == 0:
        assert np.allclose(lim, 2 * (L - np.arange(1, L + 1)) / (L * (L - 1)))
    sp = SP.layer_spectrum(3, 200, depth=L, bias=bias)
    assert np.abs(SP.pair_shares(sp, 197) - lim).max() < 5e-3
    assert np.abs(SP.pair_shares(sp, 97) - lim).max() < 1e-2


def test_high_dimensional_limit_is_the_maclaurin_coefficient():
    """mu_k N(d, k) -> b_k as d -> infinity, with a gap of order 1/d."""
    b = LS.layer_series(4, nmax=10).theta
    k = np.arange(1, 6)
    gaps = []
    for d in (50, 500, 5000):
        sp = SP.layer_spectrum(d, 5, depth=4, method="series")
        gaps.append(np.abs(sp.mu[:, k] * S.harmonic_dimension(d, k) / b[:, k] - 1).max())
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 2e-3
    assert 5 < gaps[0] / gaps[1] < 20 and 5 < gaps[1] / gaps[2] < 20


def test_monotone_in_parity_compares_each_parity_separately():
    zigzag = np.array([0.0, 5.0, 1.0, 6.0, 2.0, 7.0, np.nan, 8.0])  # increasing within each parity, NaN skipped
    assert SP.monotone_in_parity(zigzag) and not np.all(np.diff(zigzag[1:6]) > 0)
    assert not SP.monotone_in_parity(zigzag, increasing=False)
    assert SP.monotone_in_parity(-zigzag, increasing=False)
    assert not SP.monotone_in_parity(np.array([0.0, 1.0, 3.0, 2.0, 1.0]))  # odd k: 1 -> 2 ok, even k: 3 -> 1 not
    sp = SP.layer_spectrum(5, 12, depth=3)
    assert SP.monotone_in_parity(sp.shares[0]) and SP.monotone_in_parity(sp.shares[-1], increasing=False)
    with pytest.raises(ValueError, match="1-D"):
        SP.monotone_in_parity(np.ones((2, 3)))


# --------------------------------------------------------------------------- zonal probes
def test_zonal_probes_are_orthogonal_to_sampled_lower_degrees():
    rng = np.random.default_rng(3)
    x = S.sample_sphere(400, 4, radius=2.0, rng=rng)
    Y = SP.zonal_probes(x, 3, n_probes=6, rng=rng)
    u = x / 2.0
    for j in range(3):
        e = S.sample_sphere(20, 4, rng=rng)
        Z = S.gegenbauer_table(j, 4, (u @ e.T).ravel())[j].reshape(400, 20)  # any degree-j zonal function
        assert np.abs(Z.T @ Y).max() < 1e-10 * np.abs(Z).max() * np.abs(Y).max() * 400


def test_probe_share_estimator_converges_to_the_population_shares():
    """Monte Carlo over point sets: the estimator's bias (the high-degree tail of the kernel acts on N points
    like white noise) is of order 1/N -- quartering it from N = 150 to N = 600 -- and small at N = 600."""
    d, L, reps = 4, 3, 6
    sp = SP.layer_spectrum(d, 2, depth=L)
    for k in (1, 2):
        bias = []
        for N in (150, 600):
            est = []
            for r in range(reps):
                rng = np.random.default_rng(100 + r)
                x = S.sample_sphere(N, d, radius=2.0, rng=rng)
                A = K.layer_kernels(np.clip(x @ x.T / d, -1, 1), depth=L).theta_layers
                est.append(SP.probe_shares(A, SP.zonal_probes(x, k, n_probes=10, rng=rng)))
            est = np.array(est)
            se = est.std(0, ddof=1) / math.sqrt(reps)
            gap = np.abs(est.mean(0) - sp.shares[:, k])
            bias.append(gap.max())
            assert np.all(gap > 4 * se) or N == 600 or k == 1  # at N = 150, k = 2 the bias is resolved
        assert bias[1] < 2.5e-3 and bias[1] < bias[0] / 2.5


# --------------------------------------------------------------------------- data
def test_digits_on_the_sphere_and_data_spectrum():
    data = D.load_real_data(None, n=200, seed=0)
    assert data.X.shape == (200, 64) and data.name == "digits" and "no data_path" in data.note
    assert np.allclose((data.X**2).sum(1), 64) and set(np.unique(data.y)) == {-1.0, 1.0}
    ds = SP.data_layer_spectrum(data.X, depth=3, n_bands=5)
    assert np.all(np.diff(ds.eigvals) <= 1e-12) and np.allclose(ds.shares.sum(0), 1)
    V = ds.eigvecs
    assert np.allclose(V.T @ ds.grams.sum(0) @ V, np.diag(ds.eigvals * 200), atol=1e-9)
    assert sum(b.size for b in ds.bands) == 200
    assert np.allclose(ds.project_shares(ds.grams), ds.shares)


def test_band_target_is_a_nystrom_eigenfunction():
    data = D.load_real_data(None, n=120, seed=1)
    ds = SP.data_layer_spectrum(data.X, depth=3, n_bands=4)
    n = 60
    K = ds.grams.sum(0)
    lam, V = np.linalg.eigh(K[:n, :n])
    y = SP.band_target(ds, [4], n, rng=np.random.default_rng(0))
    v = V[:, ::-1][:, 4]
    assert abs(abs(y[:n] @ v) - math.sqrt(n)) < 1e-8 and np.isclose(np.mean(y[:n] ** 2), 1.0)
    # one eigenfunction: the linearised model's training residual decays exactly like (1 - eta lambda)^t
    res = AT.kernel_attribution(ds.grams[:, :n, :n], ds.grams[:, n:, :n], y[:n], y[n:], eta=0.5, steps=10)
    lam4 = lam[::-1][4] / n
    assert np.allclose(res.train_loss, 0.5 * (1 - 0.5 * lam4) ** (2 * np.arange(11)), rtol=1e-9)


def test_validation_errors():
    with pytest.raises(ValueError, match="method"):
        SP.layer_spectrum(3, 4, depth=2, method="magic")
    with pytest.raises(ValueError, match="depth"):
        SP.relu_share_limit(1)
    with pytest.raises(ValueError, match="sphere"):
        SP.data_layer_spectrum(2 * np.ones((5, 3)), depth=2)
