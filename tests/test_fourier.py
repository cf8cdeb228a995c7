"""Image Fourier tools: FFT identities, Hermitian symmetry, scrambling, swaps, radial spectra, jitter, whitening."""

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
    from skimage.data import brick, camera

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
    loop = [
        (
            F.pixel_correlation(F.swap_amplitude_phase(imgs[(i + 1) % 4], imgs[i]), imgs[i]),
            F.pixel_correlation(F.swap_amplitude_phase(imgs[(i + 1) % 4], imgs[i]), imgs[(i + 1) % 4]),
        )
        for i in range(4)
    ]
    assert np.allclose(F.swap_correlations(imgs), loop, atol=1e-12)  # the batched swaps = one swap at a time
    from skimage.data import brick, camera

    nat = F.swap_correlations(np.stack([camera()[:128, :128] / 255.0, brick()[:128, :128] / 255.0]))
    assert np.all(nat[:, 0] > nat[:, 1])  # Oppenheim & Lim: each hybrid follows its phase donor
    with pytest.raises(ValueError):
        F.swap_correlations(imgs[:1])


def _batch(n=60, size=8, seed=0):
    return F.standardise(np.random.default_rng(seed).random((n, 1, size, size)))


def test_jitter_and_whitening():
    X = _batch(seed=3)
    assert np.allclose(F.phase_jitter(X, 0.0, 1), X, atol=1e-12)
    full = F.phase_jitter(X, 1.0, 1)
    assert np.allclose(np.abs(np.fft.fft2(full)), np.abs(np.fft.fft2(X)), atol=1e-10)
    A = np.abs(np.fft.fft2(X, norm="ortho")).mean(0)
    W = F.whiten(X, A)
    assert np.allclose(np.abs(np.fft.fft2(W, norm="ortho")).mean(0)[:, 1:, 1:], 1.0, atol=1e-10)


def test_full_phase_jitter_is_the_phase_scramble_of_a_colour_batch():
    """strength 1 adds the whole noise phase, as phase_scramble does for (n, C, H, W) images (same draws)."""
    X = np.random.default_rng(8).random((3, 2, 8, 8))
    assert np.allclose(F.phase_jitter(X, 1.0, 5), F.phase_scramble(X, 5), atol=1e-12)


def test_standardise_gives_zero_mean_unit_variance_per_image():
    rng = np.random.default_rng(9)
    gray = F.standardise(3.0 + 2.0 * rng.random((4, 6, 6)))
    assert np.allclose(gray.mean(axis=(-2, -1)), 0.0, atol=1e-12) and np.allclose(gray.std(axis=(-2, -1)), 1.0)
    colour = F.standardise(rng.random((4, 3, 6, 6)))  # over pixels and channels together
    assert np.allclose(colour.mean(axis=(1, 2, 3)), 0.0, atol=1e-12) and np.allclose(colour.std(axis=(1, 2, 3)), 1.0)
    assert np.all(F.standardise(np.ones((2, 4, 4))) == 0.0)  # a constant image: no division by zero


def test_as_nchw_adds_a_channel_axis_to_gray_batches():
    gray = np.arange(2 * 3 * 4, dtype=np.int64).reshape(2, 3, 4)
    out = F.as_nchw(gray)
    assert out.shape == (2, 1, 3, 4) and out.dtype == np.float64 and np.array_equal(out[:, 0], gray)
    colour = np.zeros((2, 3, 4, 4))
    assert F.as_nchw(colour) is colour or np.shares_memory(F.as_nchw(colour), colour)


# --------------------------------------------------------------------------- bad input: one clear line
_IMG = np.random.default_rng(0).random((8, 8))
_X = _batch(n=30)

BAD_INPUTS = [
    (lambda: F.phase_scramble_errors(np.zeros((8, 8))), "img must not be all zero"),
    (lambda: F.amplitude_phase(np.full((4, 4), np.nan)), "img must be finite, got 16 NaN or inf pixels"),
    (lambda: F.swap_correlations(np.ones((2, 8, 8))), "images must be finite and not constant"),
    (lambda: F.radial_power_spectrum(_IMG, nbins=0), "nbins must be an integer >= 1, got 0"),
    (lambda: F.extract_patches(_IMG, 4, -1), "n must be an integer >= 1, got -1"),
    (lambda: F.extract_patches(_IMG, 2.5, 3), r"size must be an integer >= 2, got 2\.5"),
    (lambda: F.extract_patches(_IMG, 2, 3, rows=(0.5, 0.2)), r"rows must be two fractions 0 <= r0 < r1 <= 1"),
    (lambda: F.phase_jitter(_X, float("nan")), "strength must be a finite number, got nan"),
    (lambda: F.whiten(_X, np.ones((3, 3))), r"mean_amplitude must broadcast to the images \(30, 1, 8, 8\)"),
    (lambda: F.standardise(np.arange(5.0)), r"X must be images .*got shape \(5,\)"),
    (lambda: F.as_nchw(np.ones((2, 3))), r"images must be \(n, H, W\) or \(n, C, H, W\), got shape \(2, 3\)"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
