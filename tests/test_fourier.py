"""Fourier tools of the phase chapter: FFT identities, Hermitian symmetry, spectra, the phase-only model."""

import numpy as np
import pytest

from lofi_utils import fourier as F


def _power_law_image(n, slope, rng):
    """A periodic random image with radial power exactly ~ |k|^slope (random phases)."""
    ky = np.fft.fftfreq(n) * n
    kx = np.fft.fftfreq(n) * n
    k = np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)
    amp = np.where(k > 0, np.maximum(k, 1e-9) ** (slope / 2), 0.0)
    noise = np.fft.fft2(rng.standard_normal((n, n)), norm="ortho")
    return np.fft.ifft2(amp * noise / np.abs(noise), norm="ortho").real


# --------------------------------------------------------------------------- images
def test_phase_scramble_keeps_amplitude_and_is_real():
    rng = np.random.default_rng(0)
    img = rng.random((3, 24, 20))
    out, imag = F.phase_scramble(img, 1, return_imag=True)
    A0 = np.abs(np.fft.fft2(img, norm="ortho"))
    A1 = np.abs(np.fft.fft2(out, norm="ortho"))
    assert np.max(np.abs(A1 - A0)) / A0.max() < 1e-10
    assert imag < 1e-10 * np.abs(img).max()
    assert np.allclose(out.mean(axis=(-2, -1)), img.mean(axis=(-2, -1)))  # keep_mean
    # the phases did change
    assert np.max(np.abs(np.angle(np.fft.fft2(out)) - np.angle(np.fft.fft2(img)))) > 1.0


def test_phase_scramble_shares_phases_across_channels():
    rng = np.random.default_rng(1)
    img = rng.random((2, 3, 8, 8))
    out = F.phase_scramble(img, 2)
    Fi, Fo = np.fft.fft2(img), np.fft.fft2(out)
    # one scrambling phase for every channel => phase differences between channels are preserved
    d_in = Fi[:, 0] * np.conj(Fi[:, 1])
    d_out = Fo[:, 0] * np.conj(Fo[:, 1])
    assert np.allclose(d_in, d_out, atol=1e-9)
    assert np.allclose(np.abs(Fi), np.abs(Fo), atol=1e-9)


def test_fft_of_real_image_is_hermitian():
    rng = np.random.default_rng(2)
    img = rng.standard_normal((10, 12))
    Fx = np.fft.fft2(img)
    flip = np.roll(np.flip(Fx, axis=(0, 1)), 1, axis=(0, 1))  # F(-k)
    assert np.allclose(flip, np.conj(Fx), atol=1e-12)


def test_swap_takes_amplitude_and_phase_from_the_donors():
    rng = np.random.default_rng(3)
    a, b = rng.random((16, 16)), rng.random((16, 16))
    hyb = F.swap_amplitude_phase(a, b)
    Ah, Ph = F.amplitude_phase(hyb)
    Aa, _ = F.amplitude_phase(a)
    _, Pb = F.amplitude_phase(b)
    assert np.allclose(Ah, Aa, atol=1e-12)
    assert np.allclose(np.exp(1j * Ph), np.exp(1j * Pb), atol=1e-9)
    # Oppenheim & Lim: the hybrid resembles the phase donor more than the amplitude donor (natural image)
    from skimage.data import camera, brick
    x, z = camera()[:128, :128] / 255.0, brick()[:128, :128] / 255.0
    h = F.swap_amplitude_phase(z, x)
    assert F.pixel_correlation(h, x) > F.pixel_correlation(h, z)


def test_amplitude_equalise_gives_common_amplitude():
    rng = np.random.default_rng(4)
    imgs = rng.random((5, 8, 8))
    out = F.amplitude_equalise(imgs)
    A = np.abs(np.fft.fft2(out, norm="ortho"))
    assert np.allclose(A, A[0], atol=1e-12)
    assert np.allclose(A[0], np.abs(np.fft.fft2(imgs, norm="ortho")).mean(0), atol=1e-12)


@pytest.mark.parametrize("slope", [-1.5, -2.0, -3.0])
def test_radial_spectrum_recovers_power_law(slope):
    img = _power_law_image(128, slope, np.random.default_rng(5))
    s = F.spectral_slope(img, kmin=2, kmax=40, window=False)
    assert abs(s - slope) < 0.1


def test_extract_patches_respects_rows():
    img = np.arange(64 * 32, dtype=float).reshape(64, 32)
    p = F.extract_patches(img, 8, 50, 0, rows=(0.5, 1.0))
    assert p.shape == (50, 8, 8)
    assert p.min() >= 32 * 32  # every pixel from the bottom half
    with pytest.raises(ValueError):
        F.extract_patches(img, 40, 3)


# --------------------------------------------------------------------------- real Fourier coordinates
@pytest.mark.parametrize("N", [4, 10, 32])
def test_fourier_coordinates_are_orthogonal(N):
    O = F.to_fourier_coords(np.eye(N))  # rows: images of the basis vectors
    assert np.allclose(O @ O.T, np.eye(N), atol=1e-12)
    x = np.random.default_rng(N).standard_normal((3, N))
    assert np.allclose(F.from_fourier_coords(F.to_fourier_coords(x)), x, atol=1e-12)


@pytest.mark.parametrize("a", [0.0, 1.0, 2.5])
def test_colouring_is_diagonal_in_fourier_coordinates(a):
    N = 16
    lam = F.coord_spectrum(N, a)
    assert np.isclose(lam.sum(), N)
    Ccols = F.colour(np.eye(N), a)  # C^(1/2) (symmetric)
    O = F.to_fourier_coords(np.eye(N))
    assert np.allclose(O.T @ Ccols @ O, np.diag(np.sqrt(lam)), atol=1e-12)
    assert np.allclose(Ccols, Ccols.T, atol=1e-12)


def test_effective_dimension_values():
    assert F.effective_dimension(F.coord_spectrum(64, 0.0)) == pytest.approx(64.0)
    assert F.effective_dimension(F.coord_spectrum(64, 1.0)) == pytest.approx(22.9, abs=0.05)
    assert F.effective_dimension(F.coord_spectrum(64, 2.0)) < 5


def test_bad_arguments():
    with pytest.raises(ValueError):
        F.power_spectrum(15, 1.0)
    with pytest.raises(ValueError):
        F.power_spectrum(16, -1.0)
    with pytest.raises(ValueError):
        F.phase_template(16, 1.0, "nope")
    with pytest.raises(ValueError):
        F.PhaseModel.make(16, 0.0, beta=0.0)


# --------------------------------------------------------------------------- the phase-only model
def test_top_template_lives_on_high_power_modes():
    N, D = 32, 6
    u = F.phase_template(N, 1.5, "top", 0, D=D)
    c = F.to_fourier_coords(u)
    order = np.argsort(-F.coord_spectrum(N, 1.5), kind="stable")
    assert np.allclose(c[order[D:]], 0.0, atol=1e-12)
    assert np.isclose(np.linalg.norm(u), 1.0)


def test_sampling_is_deterministic():
    m = F.PhaseModel.make(16, 1.0, rng=3)
    X1, y1 = m.sample(50, 7)
    X2, y2 = m.sample(50, 7)
    X3, _ = m.sample(50, 8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2) and not np.array_equal(X1, X3)


def test_whitening_makes_the_structured_covariance_identity():
    # exact second moment of x~ for y=+1: E z z^T + (E coef^2 ...) -> identity; check by Monte Carlo in u
    m = F.PhaseModel.make(16, 0.0, beta=5.0, rng=1)
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
    m = F.PhaseModel.make(32, a, beta=5.0, template=template, rng=2)
    X, y = m.sample(40_000, 3)
    st = F.phase_model_statistics(m, X, y, rng=4)
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
    m = dataclasses.replace(F.PhaseModel.make(16, 0.0), u=F.from_fourier_coords(c), u_fourier=c)
    rng = np.random.default_rng(1)
    n = 40_000
    y = np.ones(n)
    nu = np.where(rng.random(n) < 2 / 3, -1.0, 2.0) / np.sqrt(2.0)
    Xs = m.whitened(rng.standard_normal((n, 16)), y, nu)
    Xn = rng.standard_normal((n, 16))
    X = np.concatenate([Xs, Xn])
    st = F.phase_model_statistics(m, X, np.concatenate([y, -np.ones(n)]), pairs=[(1, 1), (1, 2)], rng=0)
    assert st.bispec_z[1] < 4.5  # B(1, 2) = 0: frequency 3 is not in the template
    assert st.bispec_z.max() > 6.0


# --------------------------------------------------------------------------- helpers moved out of the chapter
def test_center_crop_is_the_central_window():
    img = np.arange(9 * 12, dtype=float).reshape(9, 12)
    c = F.center_crop(img, 5)
    assert c.shape == (5, 5) and np.array_equal(c, img[2:7, 3:8])
    assert c[2, 2] == img[4, 5]  # odd H - size: the window is centred up to half a pixel, never off by more
    assert np.array_equal(F.center_crop(img[:, :9], 9), img[:, :9])  # the whole square image
    for bad in (10, 1, 4.0, True):
        with pytest.raises(ValueError):
            F.center_crop(img, bad)
    with pytest.raises(ValueError):
        F.center_crop(np.ones((2, 8, 8)), 4)


def test_phase_scramble_errors_are_rounding_and_follow_the_rng():
    imgs = np.random.default_rng(6).random((3, 32, 24))
    amp_err, imag = F.phase_scramble_errors(imgs, np.random.default_rng(1))
    assert amp_err < 1e-13 and imag < 1e-13
    # the same draw as phase_scramble with the same generator state
    _, imag_direct = F.phase_scramble(imgs, np.random.default_rng(1), return_imag=True)
    assert imag == imag_direct


def test_swap_correlations_identities_and_natural_images():
    rng = np.random.default_rng(7)
    one = rng.random((16, 16))
    same = F.swap_correlations(np.stack([one, one, one]))  # a swap of an image with itself is the image
    assert np.allclose(same, 1.0, atol=1e-12)
    imgs = rng.random((4, 16, 16))
    loop = [(F.pixel_correlation(F.swap_amplitude_phase(imgs[(i + 1) % 4], imgs[i]), imgs[i]),
             F.pixel_correlation(F.swap_amplitude_phase(imgs[(i + 1) % 4], imgs[i]), imgs[(i + 1) % 4]))
            for i in range(4)]
    assert np.allclose(F.swap_correlations(imgs), loop, atol=1e-12)  # the batched swaps = one swap at a time
    from skimage.data import brick, camera
    nat = F.swap_correlations(np.stack([camera()[:128, :128] / 255.0, brick()[:128, :128] / 255.0]))
    assert np.all(nat[:, 0] > nat[:, 1])  # Oppenheim & Lim: each hybrid follows its phase donor
    with pytest.raises(ValueError):
        F.swap_correlations(imgs[:1])


class _CovarianceSpike(F.PhaseModel):
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
    acc = F.classifier_accuracies(F.PhaseModel.make(8, 0.0, rng=2), n, 3)
    assert list(acc) == list(F.CLASSIFIER_FEATURES)
    for name in F.CLASSIFIER_FEATURES[:3]:  # equal mean and covariance: chance within 4.5 standard errors
        assert abs(acc[name] - 0.5) < 4.5 * se, (name, acc[name])
    assert acc[F.CLASSIFIER_FEATURES[3]] > 0.5 + 6 * se  # the oracle reads the fourth cumulant along u
    # the same quadratic classifier does detect a covariance spike (so the test above has power)
    ctrl = F.classifier_accuracies(_CovarianceSpike.make(8, 0.0, rng=2), n, 3)
    assert ctrl["all quadratic x_i x_j"] > 0.5 + 10 * se and abs(ctrl["linear"] - 0.5) < 4.5 * se
    with pytest.raises(ValueError):
        F.classifier_accuracies(F.PhaseModel.make(8, 0.0), 1)


def test_partial_trace_matrix_has_mean_kappa4_half_u_u():
    """E[y (|x|^2 - N - 2) x x^T] = (kappa_4 / 2) u u^T for balanced labels (isotropic model)."""
    N, n = 6, 200_000
    m = F.PhaseModel.make(N, 0.0, beta=5.0, rng=4)
    X, y = m.sample(n, 5)
    M = F.partial_trace_matrix(X, y)
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
    ov = F.partial_trace_overlaps(F.PhaseModel.make(8, 0.0, rng=0), [2, 32, 128], 1)
    assert ov.shape == (3,) and np.all((ov >= 0) & (ov <= 1 + 1e-12))
    assert ov[-1] > 0.95 and ov[-1] > ov[0]  # n = 128 N^2 samples find u
    with pytest.raises(ValueError):
        F.partial_trace_overlaps(F.PhaseModel.make(8, 1.0), [2], 0)  # the estimator assumes a = 0


def test_phase_model_stats_describe():
    m = F.PhaseModel.make(16, 0.0, rng=1)
    X, y = m.sample(4000, 2)
    st = F.phase_model_statistics(m, X, y, rng=0)
    line = st.describe(m.kappa4)
    assert f"{st.kappa4_u:.3f}" in line and f"(theory {m.kappa4:.3f})" in line and "\n" not in line


def test_spectrum_template_explorer_draws_only_when_a_control_changes():
    import matplotlib.pyplot as plt

    plt.close("all")
    w = F.spectrum_template_explorer()
    assert plt.get_fignums() == []  # creating the widget draws nothing (headless builds stay cheap)
    controls = w.children[0].children
    assert [c.description for c in controls] == ["exponent a", "template", "N"]
    controls[2].value = 16
    assert len(plt.get_fignums()) == 1  # one change, one figure of plot_spectrum_template
    plt.close("all")


# --------------------------------------------------------------------------- bad input: one clear line
_MDL = F.PhaseModel.make(8, 0.0, rng=0)
_XS, _YS = _MDL.sample(200, 1)
_IMG = np.random.default_rng(0).random((8, 8))

BAD_INPUTS = [
    (lambda: F.phase_scramble_errors(np.zeros((8, 8))), "img must not be all zero"),
    (lambda: F.amplitude_phase(np.full((4, 4), np.nan)), "img must be finite, got 16 NaN or inf pixels"),
    (lambda: F.swap_correlations(np.ones((2, 8, 8))), "images must be finite and not constant"),
    (lambda: F.radial_power_spectrum(_IMG, nbins=0), "nbins must be an integer >= 1, got 0"),
    (lambda: F.extract_patches(_IMG, 4, -1), "n must be an integer >= 1, got -1"),
    (lambda: F.extract_patches(_IMG, 2.5, 3), r"size must be an integer >= 2, got 2\.5"),
    (lambda: F.extract_patches(_IMG, 2, 3, rows=(0.5, 0.2)), r"rows must be two fractions 0 <= r0 < r1 <= 1"),
    (lambda: F.phase_template(8, 1.0, "top", D=2.5), r"D must be an integer in \[1, 8\], got 2\.5"),
    (lambda: _MDL.sample(4, y=np.array([0, 1, 0, 1])), r"y must be \(4,\) labels in \{-1, \+1\}"),
    (lambda: F.phase_model_statistics(_MDL, _XS, (_YS > 0).astype(int)), r"y must be labels in \{-1, \+1\}"),
    (lambda: F.phase_model_statistics(_MDL, _XS[_YS > 0], _YS[_YS > 0]), "at least 2 signals per class"),
    (lambda: F.phase_model_statistics(_MDL, _XS[:, :6], _YS), r"X must be \(n, N = 8\) and y \(n,\)"),
    (lambda: F.phase_model_statistics(_MDL, _XS, _YS, n_pairs=0), "n_pairs must be an integer >= 1, got 0"),
    (lambda: F.partial_trace_matrix(_XS, (_YS > 0).astype(float)), r"y must be labels in \{-1, \+1\}"),
    (lambda: F.classifier_accuracies(_MDL, 20, max_iter=2.5), r"max_iter must be an integer >= 1, got 2\.5"),
    (lambda: F.classifier_accuracies(_MDL, 20, C=float("nan")), "C .* must be a finite number > 0, got nan"),
    (lambda: F.partial_trace_overlaps(_MDL, [np.nan]), "every ratio must be finite"),
    (lambda: F.effective_dimension([]), "lam must be finite eigenvalues >= 0, not all zero"),
    (lambda: F.excess_kurtosis([]), r"v must be a 1-D sample of at least 2 values, got shape \(0,\)"),
    (lambda: F.bispectrum(_XS[0], [(1, 1)]), r"X must be \(n, N\) signals"),
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
    lam = F.power_spectrum(N, a)
    f = np.arange(N // 2 + 1)
    assert np.allclose(lam / lam[0], (1.0 + f) ** -a, rtol=1e-13, atol=0)
    assert F.coord_spectrum(N, a).sum() == pytest.approx(N, rel=1e-13)
    assert lam[0] + lam[-1] + 2 * lam[1:-1].sum() == pytest.approx(N, rel=1e-13)


@pytest.mark.parametrize("beta", [0.5, 1.0, 5.0, 20.0])
def test_kappa4_is_the_exact_fourth_cumulant_of_the_whitened_spike(beta):
    """s = (g + sqrt(beta) nu) / sqrt(1 + beta), g ~ N(0, 1), nu = +-1: E s^2 = 1 and E s^4 = (3 + 6 beta + beta^2) /
    (1 + beta)^2 (E g^4 = 3, nu^2 = nu^4 = 1), so kappa_4 = E s^4 - 3 = -2 beta^2 / (1 + beta)^2."""
    moment4 = (3 + 6 * beta + beta**2) / (1 + beta) ** 2
    assert F.kappa4_spike(beta) == pytest.approx(moment4 - 3.0, rel=1e-13)
    assert F.PhaseModel.make(8, 0.0, beta=beta).kappa4 == F.kappa4_spike(beta)
