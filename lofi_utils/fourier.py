"""Fourier amplitudes and phases of images: the unitary 2-D DFT, phase scrambling, swaps, radial spectra.

Images are arrays whose last two axes are (H, W); leading axes are a batch (``(n, H, W)`` gray or
``(n, C, H, W)`` colour). One convention: ``norm="ortho"`` FFTs throughout, so that the transforms are
unitary. The tools: amplitude and phase (:func:`amplitude_phase`, :func:`from_amplitude_phase`), phase
scrambling and partial phase randomisation (:func:`phase_scramble`, :func:`phase_jitter`), amplitude/phase
swaps (:func:`swap_amplitude_phase`, :func:`swap_correlations`), amplitude equalisation and spectral
whitening (:func:`amplitude_equalise`, :func:`whiten`), radial power spectra and their power-law slopes
(:func:`radial_power_spectrum`, :func:`spectral_slope`), and small image utilities (:func:`standardise`,
:func:`extract_patches`, :func:`center_crop`, :func:`pixel_correlation`, :func:`as_nchw`).

The 1-D phase-only data model (real Fourier coordinates of signals) is :mod:`lofi_utils.phase_model`.
Float64 NumPy; every random draw takes a ``numpy.random.Generator`` or a seed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_int, check_rng

__all__ = [
    "amplitude_phase",
    "from_amplitude_phase",
    "phase_scramble",
    "swap_amplitude_phase",
    "amplitude_equalise",
    "radial_power_spectrum",
    "spectral_slope",
    "extract_patches",
    "pixel_correlation",
    "center_crop",
    "phase_scramble_errors",
    "swap_correlations",
    "standardise",
    "as_nchw",
    "phase_jitter",
    "whiten",
]


def _image_array(img, name: str = "img") -> np.ndarray:
    img = np.asarray(img, dtype=np.float64)
    if img.ndim < 2 or min(img.shape[-2:]) < 2:
        raise ValueError(f"{name} must have at least two axes (..., H, W) with H, W >= 2, got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise ValueError(f"{name} must be finite, got {int(np.sum(~np.isfinite(img)))} NaN or inf pixels")
    return img


# =========================================================================== images
def amplitude_phase(img: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude ``|F|`` and phase ``arg F`` of the unitary 2-D DFT ``F = fft2(img, norm="ortho")``.

    Parameters
    ----------
    img : array_like
        Real images, (..., H, W), finite, H, W >= 2.

    Returns
    -------
    amplitude, phase : np.ndarray
        Float64, (..., H, W); ``img = ifft2(|F| e^{i arg F})``.
    """
    F = np.fft.fft2(_image_array(img), norm="ortho")
    return np.abs(F), np.angle(F)


def from_amplitude_phase(
    amplitude: ArrayLike, phase: ArrayLike, *, return_imag: bool = False
) -> np.ndarray | tuple[np.ndarray, float]:
    """The image ``Re ifft2(A e^{i phi})`` of an amplitude ``A`` and a phase ``phi``.

    The result is real exactly when ``A e^{i phi}`` is Hermitian, ``F(-k) = conj F(k)``.

    Parameters
    ----------
    amplitude, phase : array_like
        ``A`` and ``phi``, broadcastable, (..., H, W).
    return_imag : bool
        Also return the largest ``|Im|`` of the inverse transform, to check the Hermitian symmetry.

    Returns
    -------
    image : np.ndarray
        Float64, (..., H, W).
    imag : float
        Only with ``return_imag``.
    """
    A = np.asarray(amplitude, dtype=np.float64)
    phi = np.asarray(phase, dtype=np.float64)
    z = np.fft.ifft2(A * np.exp(1j * phi), norm="ortho")
    if return_imag:
        return z.real, float(np.max(np.abs(z.imag))) if z.size else 0.0
    return z.real


def phase_scramble(
    img: ArrayLike, rng: np.random.Generator | int = 0, *, keep_mean: bool = True, return_imag: bool = False
) -> np.ndarray | tuple[np.ndarray, float]:
    """Keep each image's Fourier amplitude, randomise its phases with those of white noise.

    ``x_scr = ifft2(|F_x| e^{i (arg F_x + arg F_g)})`` with ``g`` a real Gaussian white-noise image: ``arg F_g``
    is uniform and Hermitian-antisymmetric, so the new phases are uniform, independent of the old ones, and
    the result is real. ``keep_mean`` leaves the zero frequency alone (the image mean is kept). For
    (n, C, H, W) input (``img.ndim == 4``) one noise image serves all channels of an image, which keeps the
    phase differences between channels (the colours).

    Parameters
    ----------
    img : array_like
        Images, (..., H, W) or (n, C, H, W).
    rng : np.random.Generator or int
        Draws the noise images.
    keep_mean : bool
        Leave the zero frequency alone.
    return_imag : bool
        Also return the largest ``|Im|`` of the inverse transform.

    Returns
    -------
    scrambled : np.ndarray
        Float64, the shape of ``img``.
    imag : float
        Only with ``return_imag``.
    """
    img = _image_array(img)
    rng = check_rng(rng)
    shape = img.shape[:-3] + (1,) + img.shape[-2:] if img.ndim == 4 else img.shape
    theta = np.angle(np.fft.fft2(rng.standard_normal(shape), norm="ortho"))
    if keep_mean:
        theta[..., 0, 0] = 0.0
    A, phi = amplitude_phase(img)
    return from_amplitude_phase(A, phi + theta, return_imag=return_imag)


def swap_amplitude_phase(amplitude_donor: ArrayLike, phase_donor: ArrayLike) -> np.ndarray:
    """The hybrid ``ifft2(|F_a| e^{i arg F_b})``: amplitude of ``amplitude_donor``, phase of ``phase_donor``.

    Oppenheim & Lim's classic swap: the hybrid looks like the phase donor.

    Parameters
    ----------
    amplitude_donor, phase_donor : array_like
        Images of the same shape, (..., H, W).

    Returns
    -------
    np.ndarray
        The hybrids, float64, (..., H, W).
    """
    a, b = _image_array(amplitude_donor, "amplitude_donor"), _image_array(phase_donor, "phase_donor")
    if a.shape != b.shape:
        raise ValueError(f"donors must have the same shape, got {a.shape} and {b.shape}")
    return from_amplitude_phase(amplitude_phase(a)[0], amplitude_phase(b)[1])


def amplitude_equalise(img: ArrayLike, amplitude: ArrayLike | None = None) -> np.ndarray:
    """Phase-only images: each image's phases with a common amplitude (default: the batch-mean amplitude).

    ``x_eq = ifft2(A_common e^{i arg F_x})``. The amplitude no longer depends on the image, so only its phases
    can tell images apart.

    Parameters
    ----------
    img : array_like
        Images, (n, H, W) or (n, C, H, W).
    amplitude : array_like, optional
        The common amplitude, broadcastable to the images (e.g. (H, W), the mean amplitude of the training set).

    Returns
    -------
    np.ndarray
        Float64, the shape of ``img``.
    """
    img = _image_array(img)
    A, phi = amplitude_phase(img)
    common = A.mean(axis=0) if amplitude is None else np.asarray(amplitude, dtype=np.float64)
    return from_amplitude_phase(np.broadcast_to(common, A.shape), phi)


def radial_power_spectrum(
    img: ArrayLike, *, window: bool = True, nbins: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthally averaged power ``P(k) = <|F(k)|^2>_{|k| in bin}`` of one image (or the mean over a batch).

    ``img``: (H, W) or (n, H, W); its mean is removed and, with ``window``, a separable Hann window
    suppresses the edge discontinuities of a non-periodic photo (which would add a spurious ``k^-2``).
    Radial frequency in cycles per image, ``|k| = sqrt(kx^2 + ky^2)``, integer bins 1..min(H, W)/2.

    Parameters
    ----------
    img : array_like
        (H, W) or (n, H, W).
    window : bool
        Apply the Hann window.
    nbins : int, optional
        Number of bins K (default ``min(H, W) // 2``).

    Returns
    -------
    k : np.ndarray
        Bin centres 1..K, (K,), float64.
    P : np.ndarray
        Mean power per bin, (K,), float64.
    """
    img = _image_array(img)
    if img.ndim > 3:
        raise ValueError(f"img must be (H, W) or (n, H, W), got shape {img.shape}")
    if nbins is not None:
        nbins = check_int(nbins, "nbins", minimum=1)
    H, W = img.shape[-2:]
    x = img - img.mean(axis=(-2, -1), keepdims=True)
    if window:
        x = x * np.outer(np.hanning(H), np.hanning(W))
    P = np.abs(np.fft.fft2(x, norm="ortho")) ** 2
    if P.ndim == 3:
        P = P.mean(axis=0)
    ky = np.fft.fftfreq(H) * H
    kx = np.fft.fftfreq(W) * W
    kr = np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)
    kmax = nbins or min(H, W) // 2
    idx = np.rint(kr).astype(int)
    keep = (idx >= 1) & (idx <= kmax)
    sums = np.bincount(idx[keep], weights=P[keep], minlength=kmax + 1)
    counts = np.bincount(idx[keep], minlength=kmax + 1)
    k = np.arange(1, kmax + 1, dtype=np.float64)
    return k, sums[1:] / np.maximum(counts[1:], 1)


def spectral_slope(img: ArrayLike, *, kmin: float = 4.0, kmax: float | None = None, window: bool = True) -> float:
    """Power-law slope ``s`` of ``P(k) ~ k^s`` fitted by least squares in log-log on ``kmin <= k <= kmax``.

    ``kmax`` defaults to a quarter of the smaller side (above it, pixel noise and JPEG artefacts flatten
    the spectrum). Natural images have ``s`` close to ``-2`` (Field 1987; van der Schaaf & van Hateren 1996).
    """
    k, P = radial_power_spectrum(img, window=window)
    kmax = kmax if kmax is not None else k[-1] / 2
    sel = (k >= kmin) & (k <= kmax) & (P > 0)
    if sel.sum() < 3:
        raise ValueError(f"need at least 3 radial bins in [{kmin}, {kmax}], got {int(sel.sum())}")
    return float(np.polyfit(np.log(k[sel]), np.log(P[sel]), 1)[0])


def extract_patches(
    img: ArrayLike, size: int, n: int, rng: np.random.Generator | int = 0, *, rows: tuple[float, float] = (0.0, 1.0)
) -> np.ndarray:
    """``n`` random square patches of a 2-D image, with top-left rows in a band.

    Parameters
    ----------
    img : array_like
        A gray image, (H, W).
    size : int
        Patch side, >= 2.
    n : int
        Number of patches, >= 1.
    rng : np.random.Generator or int
        Draws the positions.
    rows : tuple of float
        ``(r0, r1)``: fractions of the height where the patch must lie entirely (e.g. ``(0, 0.5)`` for the top
        half, ``(0.5, 1)`` for the bottom half: disjoint train and test patches).

    Returns
    -------
    np.ndarray
        Float64, (n, size, size).
    """
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"img must be a 2-D gray image, got shape {img.shape}")
    size, n = check_int(size, "size", minimum=2), check_int(n, "n", minimum=1)
    if len(rows) != 2 or not all(np.isfinite(rows)) or not 0 <= rows[0] < rows[1] <= 1:
        raise ValueError(f"rows must be two fractions 0 <= r0 < r1 <= 1 of the height, got {tuple(rows)!r}")
    H, W = img.shape
    r0, r1 = int(rows[0] * H), int(rows[1] * H)
    if not (0 <= r0 < r1 <= H) or r1 - r0 < size or W < size or size < 2:
        raise ValueError(f"cannot cut {size}x{size} patches from rows {r0}..{r1} of a {H}x{W} image")
    rng = check_rng(rng)
    i = rng.integers(r0, r1 - size + 1, size=n)
    j = rng.integers(0, W - size + 1, size=n)
    ii = i[:, None, None] + np.arange(size)[None, :, None]
    jj = j[:, None, None] + np.arange(size)[None, None, :]
    return img[ii, jj]


def pixel_correlation(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson correlation of the pixels of two images of the same shape."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError("images must have the same shape")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        raise ValueError("images must be finite and not constant (the correlation of a constant image is undefined)")
    return float(np.corrcoef(a, b)[0, 1])


def center_crop(img: ArrayLike, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` window of a 2-D image.

    ``img`` (H, W): rows ``(H - size) // 2 .. (H + size) // 2`` (end excluded) and the same for the columns;
    ``H - size`` and ``H + size`` have the same parity, so the window is exactly ``size`` wide. Returns a
    (size, size) view of ``img``.
    """
    img = np.asarray(img)
    if img.ndim != 2:
        raise ValueError(f"img must be a 2-D image, got shape {img.shape}")
    size = check_int(size, "size", minimum=2, maximum=min(img.shape))
    H, W = img.shape
    return img[(H - size) // 2 : (H + size) // 2, (W - size) // 2 : (W + size) // 2]


def phase_scramble_errors(img: ArrayLike, rng: np.random.Generator | int = 0) -> tuple[float, float]:
    """How exactly :func:`phase_scramble` keeps every amplitude and returns a real image.

    With ``F = fft2(img)`` and ``F_s = fft2(phase_scramble(img, rng))``: the relative amplitude error
    ``max | |F_s| - |F| | / max |F|`` (0 in exact arithmetic) and the largest ``|Im|`` of the inverse
    transform (0 by Hermitian symmetry of the scrambled spectrum). ``img`` (..., H, W); ``rng`` a seed or a
    ``numpy.random.Generator`` (consumed as by :func:`phase_scramble`). Returns the two floats.
    """
    img = _image_array(img)
    if not np.any(img):
        raise ValueError("img must not be all zero (the relative amplitude error divides by max |F|)")
    scr, imag = phase_scramble(img, rng, return_imag=True)
    A = np.abs(np.fft.fft2(img))
    return float(np.max(np.abs(np.abs(np.fft.fft2(scr)) - A)) / A.max()), imag


def swap_correlations(images: ArrayLike) -> np.ndarray:
    """Pixel correlations of amplitude/phase swaps with their two donors (Oppenheim & Lim's experiment).

    Hybrid ``i`` takes the phases of ``images[i]`` and the amplitude of the next image (cyclically),
    ``h_i = ifft2(|F_{i+1}| e^{i arg F_i})`` (:func:`swap_amplitude_phase`). ``images`` (n, H, W), n >= 2.
    Returns (n, 2): column 0 ``corr(h_i, images[i])`` (phase donor), column 1 ``corr(h_i, images[i+1])``
    (amplitude donor), Pearson correlations of the pixels (:func:`pixel_correlation`).
    """
    imgs = _image_array(images, "images")
    if imgs.ndim != 3 or len(imgs) < 2:
        raise ValueError(f"images must be (n, H, W) with n >= 2, got shape {imgs.shape}")
    amp_donors = np.roll(imgs, -1, axis=0)
    hyb = swap_amplitude_phase(amp_donors, imgs)
    return np.array([[pixel_correlation(h, p), pixel_correlation(h, a)] for h, p, a in zip(hyb, imgs, amp_donors)])


# =========================================================================== batches, jitter, whitening
def standardise(X: ArrayLike) -> np.ndarray:
    """Each image (…, H, W) or (n, C, H, W) to zero mean and unit variance over its pixels (and channels).

    Removes the mean (the zero frequency) and the overall contrast (the total power), the two cues that are
    trivially "amplitude".
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"X must be images (..., H, W) or (n, C, H, W), got shape {X.shape}")
    axes = tuple(range(1, X.ndim)) if X.ndim == 4 else (-2, -1)
    X = X - X.mean(axis=axes, keepdims=True)
    return X / np.maximum(X.std(axis=axes, keepdims=True), 1e-12)


def as_nchw(X: ArrayLike) -> np.ndarray:
    """A batch of images as (n, C, H, W) float64: gray (n, H, W) gets a channel axis of length 1.

    Parameters
    ----------
    X : array_like, (n, H, W) or (n, C, H, W)
        Images.

    Returns
    -------
    numpy.ndarray, (n, C, H, W)
        The images (a view of ``X`` when it is already float64).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3:
        return X[:, None]
    if X.ndim != 4:
        raise ValueError(f"images must be (n, H, W) or (n, C, H, W), got shape {X.shape}")
    return X


def phase_jitter(X: ArrayLike, strength: float, rng: np.random.Generator | int = 0) -> np.ndarray:
    """Add ``strength`` times the (Hermitian-antisymmetric) phase of a white-noise image to each image's phases.

    ``x_j = ifft2(|F_x| e^{i (arg F_x + strength arg F_g)})`` with ``g`` a real Gaussian white-noise image (one per
    image, shared by its channels; the zero frequency is left alone). ``strength = 1`` is a full phase
    randomisation (as :func:`phase_scramble`), ``0`` the identity.

    Parameters
    ----------
    X : array_like, (n, H, W) or (n, C, H, W)
        Images.
    strength : float
        Fraction of a full phase randomisation (finite).
    rng : int or numpy.random.Generator
        Seed or generator of the noise images (a generator is advanced in place).

    Returns
    -------
    numpy.ndarray, (n, C, H, W)
        The jittered images.
    """
    X = as_nchw(X)
    if not np.isfinite(strength):
        raise ValueError(f"strength must be a finite number, got {strength!r}")
    rng = np.random.default_rng(rng)
    theta = np.angle(np.fft.fft2(rng.standard_normal(X.shape[:1] + (1,) + X.shape[2:]), norm="ortho"))
    theta[..., 0, 0] = 0.0
    A, phi = amplitude_phase(X)
    return from_amplitude_phase(A, phi + strength * theta)


def whiten(X: ArrayLike, mean_amplitude: ArrayLike) -> np.ndarray:
    """Divide every image's spectrum by a common amplitude (flattens the average spectrum, keeps the phases).

    ``x_w = Re ifft2(F_x / max(A, 1e-12))``.

    Parameters
    ----------
    X : array_like, (n, H, W) or (n, C, H, W)
        Images.
    mean_amplitude : array_like
        The common amplitude ``A``, broadcastable to the (n, C, H, W) images (e.g. (C, H, W) or (H, W)), >= 0.

    Returns
    -------
    numpy.ndarray, (n, C, H, W)
        The whitened images.
    """
    X = as_nchw(X)
    A = np.asarray(mean_amplitude, dtype=np.float64)
    try:
        fits = np.broadcast_shapes(A.shape, X.shape) == X.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"mean_amplitude must broadcast to the images {X.shape} (e.g. (C, H, W) or (H, W)), got shape {A.shape}"
        )
    if not np.all(np.isfinite(A)) or np.any(A < 0):
        raise ValueError("mean_amplitude must be finite and >= 0 (an amplitude spectrum), got NaN, inf or < 0")
    F = np.fft.fft2(X, norm="ortho")
    return np.fft.ifft2(F / np.maximum(mean_amplitude, 1e-12), norm="ortho").real
