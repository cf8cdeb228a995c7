"""The phase-only data model: real Fourier coordinates, spectra, templates, sampling, its statistics, classifiers
and the partial-trace estimator."""

import numpy as np
import pytest

from lofi_utils import phase_model as PM


# --------------------------------------------------------------------------- real Fourier coordinates
@pytest.mark.parametrize("N", [4, 10, 32])
def test_fourier_coordinates_are_orthogonal(N):
    O = PM.to_fourier_coords(np.eye(N))  # rows: images of the basis vectors
    assert np.allclose(O @ O.T, np.eye(N), atol=1e-12)
    x = np.random.default_rng(N).standard_normal((3, N))
    assert np.allclose(PM.from_fourier_coords(PM.to_fourier_coords(x)), x, atol=1e-12)


@pytest.mark.parametrize("a", [0.0, 1.0, 2.5])
def test_colouring_is_diagonal_in_fourier_coordinates(a):
    N = 16
    lam = PM.coord_spectrum(N, a)
    assert np.isclose(lam.sum(), N)
    Ccols = PM.colour(np.eye(N), a)  # C^(1/2) (symmetric)
    O = PM.to_fourier_coords(np.eye(N))
    assert np.allclose(O.T @ Ccols @ O, np.diag(np.sqrt(lam)), atol=1e-12)
    assert np.allclose(Ccols, Ccols.T, atol=1e-12)


def test_effective_dimension_values():
    assert PM.effective_dimension(PM.coord_spectrum(64, 0.0)) == pytest.approx(64.0)
    assert PM.effective_dimension(PM.coord_spectrum(64, 1.0)) == pytest.approx(22.9, abs=0.05)
    assert PM.effective_dimension(PM.coord_spectrum(64, 2.0)) < 5


def test_bad_arguments():
    with pytest.raises(ValueError):
        PM.power_spectrum(15, 1.0)
    with pytest.raises(ValueError):
        PM.power_spectrum(16, -1.0)
    with pytest.raises(ValueError):
        PM.phase_template(16, 1.0, "nope")
    with pytest.raises(ValueError):
        PM.PhaseModel.make(16, 0.0, beta=0.0)


# --------------------------------------------------------------------------- the phase-only model
def test_top_template_lives_on_high_power_modes():
    N, D = 32, 6
    u = PM.phase_template(N, 1.5, "top", 0, D=D)
    c = PM.to_fourier_coords(u)
    order = np.argsort(-PM.coord_spectrum(N, 1.5), kind="stable")
    assert np.allclose(c[order[D:]], 0.0, atol=1e-12)
    assert np.isclose(np.linalg.norm(u), 1.0)


def test_sampling_is_deterministic():
    m = PM.PhaseModel.make(16, 1.0, rng=3)
    X1, y1 = m.sample(50, 7)
    X2, y2 = m.sample(50, 7)
    X3, _ = m.sample(50, 8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2) and not np.array_equal(X1, X3)


def test_whitening_makes_the_structured_covariance_identity():
    # exact second moment of x~ for y=+1: E z z^T + (E coef^2 ...) -> identity; check by Monte Carlo in u
    m = PM.PhaseModel.make(16, 0.0, beta=5.0, rng=1)
    rng = np.random.default_rng(0)
    n = 200_000
    z = rng.standard_normal((n, 16))
    xt = m.whitened(z, np.ones(n), rng.choice([-1.0, 1.0], n))
    v = xt @ m.u
    assert abs(np.mean(v**2) - 1.0) < 4 * np.sqrt(2.0 / n)
    e = rng.standard_normal(16)
    e -= (e @ m.u) * m.u
    e /= np.linalg.norm(e)
    assert abs(np.mean((xt @ e) ** 2) - 1.0) < 4 * np.sqrt(2.0 / n)
    assert abs(np.mean((xt @ e) * v)) < 4 / np.sqrt(n)


@pytest.mark.parametrize("a,template", [(0.0, "pl"), (1.5, "pl"), (1.0, "flat")])
def test_phase_model_statistics_within_standard_errors(a, template):
    m = PM.PhaseModel.make(32, a, beta=5.0, template=template, rng=2)
    X, y = m.sample(40_000, 3)
    st = PM.phase_model_statistics(m, X, y, rng=4)
    # equal spectra: every frequency's ratio within 4.5 standard errors of 1 (17 frequencies)
    assert np.all(np.abs(st.power_ratio - 1.0) < 4.5 * st.power_se)
    assert np.all(st.bispec_z < 4.5)
    assert abs(st.kappa4_u - m.kappa4) < 4 * st.kappa4_u_se
    assert abs(st.kappa4_noise) < 4 * st.kappa4_u_se
    assert np.all(np.abs(st.kappa4_random) < 0.2)


def test_statistics_detect_a_bispectrum_when_there_is_one():
    # a skewed spike (nu = -1 or 2 over sqrt 2: mean 0, variance 1, third moment != 0) breaks x -> -x
    import dataclasses

    c = np.zeros(16)
    c[[1, 2]] = 1 / np.sqrt(2.0)  # cosines of frequencies 1 and 2: B(1, 1) = kappa_3 / 8
    m = dataclasses.replace(PM.PhaseModel.make(16, 0.0), u=PM.from_fourier_coords(c), u_fourier=c)
    rng = np.random.default_rng(1)
    n = 40_000
    y = np.ones(n)
    nu = np.where(rng.random(n) < 2 / 3, -1.0, 2.0) / np.sqrt(2.0)
    Xs = m.whitened(rng.standard_normal((n, 16)), y, nu)
    Xn = rng.standard_normal((n, 16))
    X = np.concatenate([Xs, Xn])
    st = PM.phase_model_statistics(m, X, np.concatenate([y, -np.ones(n)]), pairs=[(1, 1), (1, 2)], rng=0)
    assert st.bispec_z[1] < 4.5  # B(1, 2) = 0: frequency 3 is not in the template
    assert st.bispec_z.max() > 6.0


# --------------------------------------------------------------------------- classifiers, estimators
class _CovarianceSpike(PM.PhaseModel):
    """Control with a second-order signal: variance 1 + beta along u in the structured class (a = 0)."""

    def sample(self, n, rng=0, *, y=None):
        rng = np.random.default_rng(rng)
        y = rng.choice([-1, 1], size=n)
        X = rng.standard_normal((n, self.N))
        X += np.where(y > 0, np.sqrt(self.beta) * rng.choice([-1.0, 1.0], n), 0.0)[:, None] * self.u[None, :]
        return X, y


def test_classifier_accuracies_see_only_the_fourth_order():
    n = 3000
    se = 0.5 / np.sqrt(n)
    acc = PM.classifier_accuracies(PM.PhaseModel.make(8, 0.0, rng=2), n, 3)
    assert list(acc) == list(PM.CLASSIFIER_FEATURES)
    for name in PM.CLASSIFIER_FEATURES[:3]:  # equal mean and covariance: chance within 4.5 standard errors
        assert abs(acc[name] - 0.5) < 4.5 * se, (name, acc[name])
    assert acc[PM.CLASSIFIER_FEATURES[3]] > 0.5 + 6 * se  # the oracle reads the fourth cumulant along u
    # the same quadratic classifier does detect a covariance spike (so the test above has power)
    ctrl = PM.classifier_accuracies(_CovarianceSpike.make(8, 0.0, rng=2), n, 3)
    assert ctrl["all quadratic x_i x_j"] > 0.5 + 10 * se and abs(ctrl["linear"] - 0.5) < 4.5 * se
    with pytest.raises(ValueError):
        PM.classifier_accuracies(PM.PhaseModel.make(8, 0.0), 1)


def test_partial_trace_matrix_has_mean_kappa4_half_u_u():
    """E[y (|x|^2 - N - 2) x x^T] = (kappa_4 / 2) u u^T for balanced labels (isotropic model)."""
    N, n = 6, 200_000
    m = PM.PhaseModel.make(N, 0.0, beta=5.0, rng=4)
    X, y = m.sample(n, 5)
    M = PM.partial_trace_matrix(X, y)
    assert np.allclose(M, np.einsum("i,i,ij,ik->jk", y, np.sum(X**2, 1) - N - 2, X, X) / n, atol=1e-12)
    q = y * (np.sum(X**2, 1) - N - 2)
    e = np.random.default_rng(0).standard_normal(N)
    e -= (e @ m.u) * m.u
    e /= np.linalg.norm(e)
    for v, expected in ((m.u, m.kappa4 / 2), (e, 0.0)):
        per_sample = q * (X @ v) ** 2
        assert abs(v @ M @ v - expected) < 4 * per_sample.std() / np.sqrt(n)
    assert abs(m.u @ M @ m.u - m.kappa4 / 2) < 0.1 * abs(m.kappa4)  # resolved, not only within a wide error


def test_partial_trace_overlaps_recover_u_beyond_n_squared():
    ov = PM.partial_trace_overlaps(PM.PhaseModel.make(8, 0.0, rng=0), [2, 32, 128], 1)
    assert ov.shape == (3,) and np.all((ov >= 0) & (ov <= 1 + 1e-12))
    assert ov[-1] > 0.95 and ov[-1] > ov[0]  # n = 128 N^2 samples find u
    with pytest.raises(ValueError):
        PM.partial_trace_overlaps(PM.PhaseModel.make(8, 1.0), [2], 0)  # the estimator assumes a = 0


def test_phase_model_stats_describe():
    m = PM.PhaseModel.make(16, 0.0, rng=1)
    X, y = m.sample(4000, 2)
    st = PM.phase_model_statistics(m, X, y, rng=0)
    line = st.describe(m.kappa4)
    assert f"{st.kappa4_u:.3f}" in line and f"(theory {m.kappa4:.3f})" in line and "\n" not in line


# --------------------------------------------------------------------------- bad input: one clear line
_MDL = PM.PhaseModel.make(8, 0.0, rng=0)
_XS, _YS = _MDL.sample(200, 1)


BAD_INPUTS = [
    (lambda: PM.phase_template(8, 1.0, "top", D=2.5), r"D must be an integer in \[1, 8\], got 2\.5"),
    (lambda: _MDL.sample(4, y=np.array([0, 1, 0, 1])), r"y must be \(4,\) labels in \{-1, \+1\}"),
    (lambda: PM.phase_model_statistics(_MDL, _XS, (_YS > 0).astype(int)), r"y must be labels in \{-1, \+1\}"),
    (lambda: PM.phase_model_statistics(_MDL, _XS[_YS > 0], _YS[_YS > 0]), "at least 2 signals per class"),
    (lambda: PM.phase_model_statistics(_MDL, _XS[:, :6], _YS), r"X must be \(n, N = 8\) and y \(n,\)"),
    (lambda: PM.phase_model_statistics(_MDL, _XS, _YS, n_pairs=0), "n_pairs must be an integer >= 1, got 0"),
    (lambda: PM.partial_trace_matrix(_XS, (_YS > 0).astype(float)), r"y must be labels in \{-1, \+1\}"),
    (lambda: PM.classifier_accuracies(_MDL, 20, max_iter=2.5), r"max_iter must be an integer >= 1, got 2\.5"),
    (lambda: PM.classifier_accuracies(_MDL, 20, C=float("nan")), "C .* must be a finite number > 0, got nan"),
    (lambda: PM.partial_trace_overlaps(_MDL, [np.nan]), "every ratio must be finite"),
    (lambda: PM.effective_dimension([]), "lam must be finite eigenvalues >= 0, not all zero"),
    (lambda: PM.excess_kurtosis([]), r"v must be a 1-D sample of at least 2 values, got shape \(0,\)"),
    (lambda: PM.bispectrum(_XS[0], [(1, 1)]), r"X must be \(n, N\) signals"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- contracts of the science
@pytest.mark.parametrize("N,a", [(8, 0.0), (16, 1.0), (32, 2.5)])
def test_power_spectrum_shape_and_normalisation(N, a):
    """lambda_f = (1 + f)^(-a) up to one factor, with mean coordinate eigenvalue 1 (tr C = N: the frequencies
    0 < f < N/2 count twice, 0 and N/2 once)."""
    lam = PM.power_spectrum(N, a)
    f = np.arange(N // 2 + 1)
    assert np.allclose(lam / lam[0], (1.0 + f) ** -a, rtol=1e-13, atol=0)
    assert PM.coord_spectrum(N, a).sum() == pytest.approx(N, rel=1e-13)
    assert lam[0] + lam[-1] + 2 * lam[1:-1].sum() == pytest.approx(N, rel=1e-13)


@pytest.mark.parametrize("beta", [0.5, 1.0, 5.0, 20.0])
def test_kappa4_is_the_exact_fourth_cumulant_of_the_whitened_spike(beta):
    """s = (g + sqrt(beta) nu) / sqrt(1 + beta), g ~ N(0, 1), nu = +-1: E s^2 = 1 and E s^4 = (3 + 6 beta + beta^2) /
    (1 + beta)^2 (E g^4 = 3, nu^2 = nu^4 = 1), so kappa_4 = E s^4 - 3 = -2 beta^2 / (1 + beta)^2."""
    moment4 = (3 + 6 * beta + beta**2) / (1 + beta) ** 2
    assert PM.kappa4_spike(beta) == pytest.approx(moment4 - 3.0, rel=1e-13)
    assert PM.PhaseModel.make(8, 0.0, beta=beta).kappa4 == PM.kappa4_spike(beta)
