"""Fourier amplitudes and phases: image tools and the phase-only data model of the *Fourier phase* chapter.

Two halves, one convention (``norm="ortho"`` FFTs throughout, so that the transforms are unitary):

*Images* (arrays whose last two axes are (H, W); leading axes are a batch): amplitude and phase
(:func:`amplitude_phase`), phase scrambling (:func:`phase_scramble`), amplitude/phase swaps
(:func:`swap_amplitude_phase`), amplitude equalisation (:func:`amplitude_equalise`), radial power
spectra and their power-law slopes (:func:`radial_power_spectrum`, :func:`spectral_slope`), random
patches (:func:`extract_patches`).

*The phase-only model* (the book's reconstruction "R1" of Ricci, Merger & Goldt's synthetic model, see
``shared/science/fourier_phase.md``): 1-D periodic signals of even length ``N`` whose two classes share
their power spectrum ``lambda_f = (1 + f)^(-a)`` and differ from the fourth cumulant on
(:class:`PhaseModel`). The real Fourier coordinates (:func:`to_fourier_coords`) are an orthogonal change
of basis in which the covariance is diagonal; the SGD simulators of :mod:`lofi_utils.sgd` work there.

Float64 NumPy; every random draw takes a ``numpy.random.Generator`` or a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .plotting import PALETTE, get_ax, label
from .validation import check_choice, check_int, check_nonnegative, check_positive, check_rng, is_int

__all__ = [
    "amplitude_phase", "from_amplitude_phase", "phase_scramble", "swap_amplitude_phase",
    "amplitude_equalise", "radial_power_spectrum", "spectral_slope", "extract_patches", "pixel_correlation",
    "coord_freqs", "to_fourier_coords", "from_fourier_coords", "power_spectrum", "coord_spectrum",
    "colour", "effective_dimension", "TEMPLATES", "phase_template", "PhaseModel", "kappa4_spike",
    "periodogram", "bispectrum", "excess_kurtosis", "whitened_projection", "phase_model_statistics", "PhaseModelStats",
    "center_crop", "phase_scramble_errors", "swap_correlations", "CLASSIFIER_FEATURES", "classifier_accuracies",
    "partial_trace_matrix", "partial_trace_overlaps",
    "plot_phase_model", "plot_spectrum_template", "spectrum_template_explorer", "plot_image_decomposition",
    "plot_radial_spectra",
]


def _image_array(img, name: str = "img") -> np.ndarray:
    img = np.asarray(img, dtype=np.float64)
    if img.ndim < 2 or min(img.shape[-2:]) < 2:
        raise ValueError(f"{name} must have at least two axes (..., H, W) with H, W >= 2, got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise ValueError(f"{name} must be finite, got {int(np.sum(~np.isfinite(img)))} NaN or inf pixels")
    return img


# =========================================================================== images
def amplitude_phase(img) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude ``|F|`` and phase ``arg F`` of the unitary 2-D DFT ``F = fft2(img, norm="ortho")``.

    ``img``: (..., H, W) real. Returns two (..., H, W) float64 arrays; ``img = ifft2(|F| e^{i arg F})``.
    """
    F = np.fft.fft2(_image_array(img), norm="ortho")
    return np.abs(F), np.angle(F)


def from_amplitude_phase(amplitude, phase, *, return_imag: bool = False):
    """The image ``Re ifft2(A e^{i phi})`` of an amplitude ``A`` and a phase ``phi`` (both (..., H, W)).

    The result is real exactly when ``A e^{i phi}`` is Hermitian, ``F(-k) = conj F(k)``; with
    ``return_imag=True`` the largest ``|Im|`` of the inverse transform is returned too, to check that.
    """
    A = np.asarray(amplitude, dtype=np.float64)
    phi = np.asarray(phase, dtype=np.float64)
    z = np.fft.ifft2(A * np.exp(1j * phi), norm="ortho")
    if return_imag:
        return z.real, float(np.max(np.abs(z.imag))) if z.size else 0.0
    return z.real


def phase_scramble(img, rng=0, *, keep_mean: bool = True, return_imag: bool = False):
    """Keep each image's Fourier amplitude, randomise its phases with those of white noise.

    ``x_scr = ifft2(|F_x| e^{i (arg F_x + arg F_g)})`` with ``g`` a real Gaussian white-noise image: ``arg F_g``
    is uniform and Hermitian-antisymmetric, so the new phases are uniform, independent of the old ones, and
    the result is real. ``keep_mean`` leaves the zero frequency alone (the image mean is kept). For
    (n, C, H, W) input (``img.ndim == 4``) one noise image serves all channels of an image, which keeps the
    phase differences between channels (the colours). Returns the (..., H, W) scrambled images (and the
    largest ``|Im|`` of the inverse transform if ``return_imag``).
    """
    img = _image_array(img)
    rng = check_rng(rng)
    shape = img.shape[:-3] + (1,) + img.shape[-2:] if img.ndim == 4 else img.shape
    theta = np.angle(np.fft.fft2(rng.standard_normal(shape), norm="ortho"))
    if keep_mean:
        theta[..., 0, 0] = 0.0
    A, phi = amplitude_phase(img)
    return from_amplitude_phase(A, phi + theta, return_imag=return_imag)


def swap_amplitude_phase(amplitude_donor, phase_donor) -> np.ndarray:
    """The hybrid ``ifft2(|F_a| e^{i arg F_b})``: amplitude of ``amplitude_donor``, phase of ``phase_donor``.

    Both (..., H, W) of the same shape. Oppenheim & Lim's classic swap: the hybrid looks like the phase donor.
    """
    a, b = _image_array(amplitude_donor, "amplitude_donor"), _image_array(phase_donor, "phase_donor")
    if a.shape != b.shape:
        raise ValueError(f"donors must have the same shape, got {a.shape} and {b.shape}")
    return from_amplitude_phase(amplitude_phase(a)[0], amplitude_phase(b)[1])


def amplitude_equalise(img, amplitude=None) -> np.ndarray:
    """Phase-only images: each image's phases with a common amplitude (default: the batch-mean amplitude).

    ``x_eq = ifft2(A_common e^{i arg F_x})``; ``img`` (n, H, W) (or (n, C, H, W)); ``amplitude``
    broadcastable to the images (e.g. (H, W), the mean amplitude of the training set). The amplitude no
    longer depends on the image, so only its phases can tell images apart.
    """
    img = _image_array(img)
    A, phi = amplitude_phase(img)
    common = A.mean(axis=0) if amplitude is None else np.asarray(amplitude, dtype=np.float64)
    return from_amplitude_phase(np.broadcast_to(common, A.shape), phi)


def radial_power_spectrum(img, *, window: bool = True, nbins: int | None = None):
    """Azimuthally averaged power ``P(k) = <|F(k)|^2>_{|k| in bin}`` of one image (or the mean over a batch).

    ``img``: (H, W) or (n, H, W); its mean is removed and, with ``window``, a separable Hann window
    suppresses the edge discontinuities of a non-periodic photo (which would add a spurious ``k^-2``).
    Radial frequency in cycles per image, ``|k| = sqrt(kx^2 + ky^2)``, integer bins 1..min(H, W)/2.
    Returns ``(k, P)``: bin centres and mean power (float64).
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


def spectral_slope(img, *, kmin: float = 4.0, kmax: float | None = None, window: bool = True) -> float:
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


def extract_patches(img, size: int, n: int, rng=0, *, rows: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """``n`` random square patches (n, size, size) of a 2-D image, with top-left rows in a band.

    ``rows=(r0, r1)``: fractions of the height where the patch must lie entirely (e.g. ``(0, 0.5)`` for
    the top half, ``(0.5, 1)`` for the bottom half: disjoint train and test patches).
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


def pixel_correlation(a, b) -> float:
    """Pearson correlation of the pixels of two images of the same shape."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError("images must have the same shape")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        raise ValueError("images must be finite and not constant (the correlation of a constant image is undefined)")
    return float(np.corrcoef(a, b)[0, 1])


def center_crop(img, size: int) -> np.ndarray:
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
    return img[(H - size) // 2:(H + size) // 2, (W - size) // 2:(W + size) // 2]


def phase_scramble_errors(img, rng=0) -> tuple[float, float]:
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


def swap_correlations(images) -> np.ndarray:
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


# =========================================================================== 1-D real Fourier coordinates
def check_N(N) -> int:
    """``N`` as an ``int`` if it is an even integer ``>= 4`` (a signal length with real Fourier coordinates),
    else a one-line ``ValueError``."""
    if not is_int(N) or N < 4 or N % 2:
        raise ValueError(f"N must be an even integer >= 4, got {N!r}")
    return int(N)


def coord_freqs(N: int) -> np.ndarray:
    """Frequency of each real Fourier coordinate: ``[0, 1, ..., N/2, 1, ..., N/2 - 1]`` (cosines, then sines)."""
    N = check_N(N)
    return np.concatenate([np.arange(N // 2 + 1), np.arange(1, N // 2)])


def to_fourier_coords(x) -> np.ndarray:
    """Orthogonal map from a real signal (..., N) to its real Fourier coordinates (..., N).

    With ``X = rfft(x, norm="ortho")``: ``c_0 = X_0``, ``c_f = sqrt(2) Re X_f`` (0 < f < N/2),
    ``c_{N/2} = X_{N/2}``, then ``s_f = sqrt(2) Im X_f`` (0 < f < N/2). Parseval makes the map orthogonal;
    a stationary covariance is diagonal in these coordinates, with eigenvalue ``lambda_f`` on ``c_f, s_f``.
    """
    x = np.asarray(x, dtype=np.float64)
    N = check_N(x.shape[-1])
    X = np.fft.rfft(x, norm="ortho")
    r2 = math.sqrt(2.0)
    c = X.real.copy()
    c[..., 1:N // 2] *= r2
    return np.concatenate([c, r2 * X.imag[..., 1:N // 2]], axis=-1)


def from_fourier_coords(c) -> np.ndarray:
    """Inverse of :func:`to_fourier_coords`: real Fourier coordinates (..., N) back to the signal (..., N)."""
    c = np.asarray(c, dtype=np.float64)
    N = check_N(c.shape[-1])
    h = N // 2
    X = c[..., : h + 1].astype(np.complex128)
    X[..., 1:h] = (c[..., 1:h] + 1j * c[..., h + 1:]) / math.sqrt(2.0)
    return np.fft.irfft(X, n=N, norm="ortho")


def power_spectrum(N: int, a: float) -> np.ndarray:
    """``lambda_f = (1 + f)^(-a)`` for f = 0..N/2, scaled so that the mean eigenvalue is 1 (``tr C = N``).

    The frequencies 0 < f < N/2 count twice (cosine and sine). ``a = 0`` is the isotropic (white) case.
    """
    N = check_N(N)
    check_nonnegative(a, "the spectral exponent a")
    lam = (1.0 + np.arange(N // 2 + 1)) ** (-float(a))
    mult = np.full(N // 2 + 1, 2.0)
    mult[0] = mult[-1] = 1.0
    return lam * N / float(np.sum(mult * lam))


def coord_spectrum(N: int, a: float) -> np.ndarray:
    """The eigenvalue of each real Fourier coordinate (N,): ``power_spectrum(N, a)[coord_freqs(N)]``."""
    return power_spectrum(N, a)[coord_freqs(N)]


def colour(z, a: float) -> np.ndarray:
    """``C^(1/2) z = irfft(sqrt(lambda) * rfft(z, norm="ortho"), norm="ortho")`` for signals z (..., N)."""
    z = np.asarray(z, dtype=np.float64)
    N = check_N(z.shape[-1])
    return np.fft.irfft(np.sqrt(power_spectrum(N, a)) * np.fft.rfft(z, norm="ortho"), n=N, norm="ortho")


def effective_dimension(lam) -> float:
    """Participation ratio ``D_eff = (tr C)^2 / tr C^2`` of the coordinate eigenvalues ``lam`` (N,)."""
    lam = np.asarray(lam, dtype=np.float64)
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam < 0) or not np.any(lam):
        raise ValueError(f"lam must be finite eigenvalues >= 0, not all zero, got {lam.size} values")
    return float(lam.sum() ** 2 / np.sum(lam**2))


#: Phase templates of the model: a spectrum-shaped pattern, a broadband pattern, the top-power modes.
TEMPLATES = ("pl", "flat", "top")


def phase_template(N: int, a: float, kind: str = "pl", rng=0, *, D: int = 8) -> np.ndarray:
    """A unit-norm pixel-space template ``u`` (N,) that carries the phase structure of the model.

    ``"pl"``: ``u = C^(1/2) g / |C^(1/2) g|`` (its spectrum is the data's); ``"flat"``: ``u = g / |g|``
    (broadband); ``"top"``: Gaussian Fourier coordinates on the ``D`` coordinates of largest eigenvalue
    (lowest frequencies first on ties), zero elsewhere. ``g`` is a standard Gaussian vector.
    """
    N = check_N(N)
    check_choice(kind, "template kind", TEMPLATES)
    rng = check_rng(rng)
    g = rng.standard_normal(N)
    if kind == "pl":
        u = colour(g, a)
    elif kind == "flat":
        u = g
    else:
        D = check_int(D, "D", minimum=1, maximum=N)
        order = np.argsort(-coord_spectrum(N, a), kind="stable")
        c = np.zeros(N)
        c[order[:D]] = g[:D]
        u = from_fourier_coords(c)
    return u / np.linalg.norm(u)


def kappa4_spike(beta: float) -> float:
    """Excess kurtosis of the whitened spike coordinate ``(g + sqrt(beta) nu) / sqrt(1 + beta)``, ``nu = +-1``:
    ``kappa_4 = -2 beta^2 / (1 + beta)^2``."""
    return -2.0 * beta**2 / (1.0 + beta) ** 2


@dataclass(frozen=True)
class PhaseModel:
    """Two classes of stationary signals with one power spectrum that differ only from the 4th cumulant on.

    Noise (``y = -1``): ``x = C^(1/2) z``. Structured (``y = +1``): ``x~ = z + sqrt(beta) nu u`` with
    ``nu = +-1``, whitened along ``u`` (``x~ <- x~ - c_b (x~.u) u``, ``c_b = 1 - (1 + beta)^(-1/2)``, so that
    ``Cov x~ = I``), then ``x = C^(1/2) x~``. Both classes have covariance ``C`` (equal Fourier amplitudes on
    average), all odd cumulants vanish (``x -> -x`` symmetry), and the 4th cumulant of ``x~.u`` is
    ``kappa_4 = -2 beta^2 / (1 + beta)^2``. Built by :meth:`make`; ``u`` is in pixel space (the whitened
    coordinates), ``u_fourier`` its real Fourier coordinates, ``lam`` the coordinate eigenvalues.
    """

    N: int
    a: float
    beta: float
    template: str
    u: np.ndarray
    u_fourier: np.ndarray
    lam: np.ndarray

    @classmethod
    def make(cls, N: int, a: float = 0.0, *, beta: float = 5.0, template: str = "pl", rng=0, D: int = 8):
        """The model for length ``N``, spectral exponent ``a``, spike strength ``beta`` and a template drawn
        with ``rng`` (see :func:`phase_template`)."""
        check_positive(beta, "beta")
        u = phase_template(N, a, template, rng, D=D)
        return cls(N=int(N), a=float(a), beta=float(beta), template=template, u=u,
                   u_fourier=to_fourier_coords(u), lam=coord_spectrum(N, a))

    @property
    def kappa4(self) -> float:
        """The 4th cumulant of ``x~.u`` in the structured class."""
        return kappa4_spike(self.beta)

    @property
    def d_eff(self) -> float:
        """Participation ratio of the spectrum (:func:`effective_dimension`)."""
        return effective_dimension(self.lam)

    def whitened(self, z, y, nu) -> np.ndarray:
        """``x~`` from white noise ``z`` (n, N), labels ``y`` (n,) in {-1, +1} and signs ``nu`` (n,)."""
        z = np.asarray(z, dtype=np.float64)
        proj = z @ self.u
        s_new = (proj + math.sqrt(self.beta) * np.asarray(nu, dtype=np.float64)) / math.sqrt(1.0 + self.beta)
        coef = np.where(np.asarray(y) > 0, s_new - proj, 0.0)
        return z + coef[:, None] * self.u[None, :]

    def sample(self, n: int, rng=0, *, y=None):
        """``n`` pixel-space signals ``X`` (n, N) with balanced random labels ``y`` (n,) in {-1, +1}.

        Pass ``y`` to fix the labels. Returns ``(X, y)``.
        """
        check_int(n, "n", minimum=1)
        rng = check_rng(rng)
        if y is not None:
            y = np.asarray(y)
            if y.shape != (n,) or not np.all(np.isin(y, (-1, 1))):
                raise ValueError(f"y must be ({n},) labels in {{-1, +1}}, got shape {y.shape} with values "
                                 f"{np.unique(y)[:4].tolist()}")
        y = rng.choice([-1, 1], size=n) if y is None else y
        z = rng.standard_normal((n, self.N))
        nu = rng.choice([-1.0, 1.0], size=n)
        return colour(self.whitened(z, y, nu), self.a), y

    def overlap(self, w) -> np.ndarray:
        """The effective overlap ``m_eff = (C^(1/2) w).u / |C^(1/2) w|`` of pixel-space weights w (..., N)."""
        v = colour(np.asarray(w, dtype=np.float64), self.a)
        return (v @ self.u) / np.linalg.norm(v, axis=-1)


# =========================================================================== statistics of the model
def periodogram(X) -> np.ndarray:
    """Mean power ``<|X_f|^2>`` per frequency f = 0..N/2 of signals X (n, N) (unitary rfft)."""
    X = np.asarray(X, dtype=np.float64)
    return np.mean(np.abs(np.fft.rfft(X, norm="ortho")) ** 2, axis=0)


def bispectrum(X, pairs) -> tuple[np.ndarray, np.ndarray]:
    """Sample bispectrum ``B(k1, k2) = <X_k1 X_k2 conj(X_{k1+k2})>`` and its standard error.

    ``X`` (n, N) signals; ``pairs`` (P, 2) integer frequencies with ``k1 + k2 <= N/2``. Returns complex
    means (P,) and the standard errors (P,) of the real and imaginary parts together (``sqrt(var/n)`` of the
    complex products).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be (n, N) signals with n >= 1, got shape {X.shape}")
    F = np.fft.rfft(X, norm="ortho")
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    N = X.shape[-1]
    if np.any(pairs < 0) or np.any(pairs.sum(1) > N // 2):
        raise ValueError("bispectrum pairs need k1, k2 >= 0 and k1 + k2 <= N/2")
    prod = F[:, pairs[:, 0]] * F[:, pairs[:, 1]] * np.conj(F[:, pairs.sum(1)])
    n = X.shape[0]
    return prod.mean(0), np.sqrt(np.var(prod, axis=0) / n)


def excess_kurtosis(v) -> float:
    """Sample 4th cumulant ``<v^4> - 3 <v^2>^2`` of a centred sample v (n,) (the excess kurtosis when Var v = 1)."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"v must be a 1-D sample of at least 2 values, got shape {v.shape}")
    v = v - v.mean()
    return float(np.mean(v**4) - 3.0 * np.mean(v**2) ** 2)


@dataclass
class PhaseModelStats:
    """Output of :func:`phase_model_statistics`: per-class spectra, bispectrum z-scores, cumulants.

    ``freqs`` (F,); ``power`` (2, F) mean power of the noise and structured class; ``power_ratio`` (F,)
    structured / noise; ``power_se`` (F,) standard error of the ratio; ``bispec_z`` (P,) z-scores of the
    class difference of the bispectrum (real and imaginary parts, largest of the two); ``kappa4_u``: 4th
    cumulant of ``x~.u`` in the structured class, ``kappa4_u_se`` its standard error; ``kappa4_noise``: the
    same in the noise class; ``kappa4_random``: structured class along random unit directions (R,).
    """

    freqs: np.ndarray
    power: np.ndarray
    power_ratio: np.ndarray
    power_se: np.ndarray
    bispec_z: np.ndarray
    kappa4_u: float
    kappa4_u_se: float
    kappa4_noise: float
    kappa4_random: np.ndarray

    def describe(self, kappa4: float | None = None) -> str:
        """One line: range of the power ratio, largest bispectrum z-score, 4th cumulants (and the theory's
        ``kappa4`` when given)."""
        theory = "" if kappa4 is None else f" (theory {kappa4:.3f})"
        return (f"power ratio in [{self.power_ratio.min():.3f}, {self.power_ratio.max():.3f}], "
                f"max |z| bispectrum {self.bispec_z.max():.2f}, kappa4 along u {self.kappa4_u:.3f} ± "
                f"{self.kappa4_u_se:.3f}{theory}, noise class {self.kappa4_noise:.3f}")


def whitened_projection(model: PhaseModel, X) -> np.ndarray:
    """The whitened template coordinate ``x~.u`` of pixel-space signals X (n, N), with ``x~ = C^(-1/2) x`` by FFT."""
    N = model.N
    lam = power_spectrum(N, model.a)
    xw = np.fft.irfft(np.fft.rfft(X, norm="ortho") / np.sqrt(lam), n=N, norm="ortho")
    return xw @ model.u


def phase_model_statistics(model: PhaseModel, X, y, *, n_pairs: int = 24, pairs=None, n_random: int = 8,
                           rng=0) -> PhaseModelStats:
    """Check the model's construction on samples ``X`` (n, N), ``y`` (n,): equal spectra, no bispectrum,
    a negative 4th cumulant along the template only.

    Bispectrum pairs: ``pairs`` (P, 2), or ``n_pairs`` random (k1, k2) with 1 <= k1 <= k2, k1 + k2 <= N/2. The 4th cumulant is
    measured on the whitened projection ``x~.u``; its standard error is ``sqrt(var(v^4 - 6 v^2) / n)``
    (the delta method for unit variance).
    """
    rng = check_rng(rng)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != model.N or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, N = {model.N}) and y (n,), got shapes {X.shape} and {y.shape}")
    if not np.all(np.isin(y, (-1, 1))) or min(np.sum(y < 0), np.sum(y > 0)) < 2:
        raise ValueError(f"y must be labels in {{-1, +1}} with at least 2 signals per class, got values "
                         f"{np.unique(y)[:4].tolist()} with counts {[int(np.sum(y < 0)), int(np.sum(y > 0))]}")
    n_pairs, n_random = check_int(n_pairs, "n_pairs", minimum=1), check_int(n_random, "n_random", minimum=1)
    Xn, Xs = X[y < 0], X[y > 0]
    pn, ps = periodogram(Xn), periodogram(Xs)
    # the ratio of two means of exponential-like variables: relative SE ~ sqrt(1/n_s + 1/n_n) per frequency
    Fn = np.abs(np.fft.rfft(Xn, norm="ortho")) ** 2
    Fs = np.abs(np.fft.rfft(Xs, norm="ortho")) ** 2
    rel_se = np.sqrt(Fn.var(0) / len(Xn) / pn**2 + Fs.var(0) / len(Xs) / ps**2)
    N = model.N
    cand = np.array([(k1, k2) for k1 in range(1, N // 2) for k2 in range(k1, N // 2) if k1 + k2 <= N // 2])
    if pairs is None:
        pairs = cand[rng.choice(len(cand), size=min(n_pairs, len(cand)), replace=False)]
    Bs, ses = bispectrum(Xs, pairs)
    Bn, sen = bispectrum(Xn, pairs)
    se = np.sqrt(ses**2 + sen**2) / math.sqrt(2.0)  # per real/imaginary part
    z = np.maximum(np.abs((Bs - Bn).real), np.abs((Bs - Bn).imag)) / se
    vs = whitened_projection(model, Xs)
    vn = whitened_projection(model, Xn)
    k4 = excess_kurtosis(vs)
    k4_se = float(np.sqrt(np.var(vs**4 - 6 * vs**2) / len(vs)))
    dirs = rng.standard_normal((n_random, N))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    lam = power_spectrum(N, model.a)
    Xw = np.fft.irfft(np.fft.rfft(Xs, norm="ortho") / np.sqrt(lam), n=N, norm="ortho")
    k4_rand = np.array([excess_kurtosis(Xw @ d) for d in dirs])
    return PhaseModelStats(freqs=np.arange(N // 2 + 1), power=np.stack([pn, ps]), power_ratio=ps / pn,
                           power_se=rel_se * ps / pn, bispec_z=z, kappa4_u=k4, kappa4_u_se=k4_se,
                           kappa4_noise=excess_kurtosis(vn), kappa4_random=k4_rand)


#: Feature maps of :func:`classifier_accuracies`; only the last one (the oracle) knows the template.
CLASSIFIER_FEATURES = ("linear", "power (Fourier coord.^2)", "all quadratic x_i x_j", "oracle (x~.u)^2, (x~.u)^4")


def classifier_accuracies(model: PhaseModel, n: int, rng=0, *, C: float = 0.1, max_iter: int = 300) -> dict:
    """Test accuracy of a logistic regression on each feature map of :data:`CLASSIFIER_FEATURES`.

    ``2 n`` signals ``x`` (N,) from ``model.sample(2 n, rng)``: the first ``n`` train, the last ``n`` test.
    Features: ``x`` (linear); ``c(x)^2``, the squared real Fourier coordinates (a power-spectrum classifier);
    all monomials ``x_i, x_i x_j`` of degree <= 2 (``PolynomialFeatures(2)``); the oracle ``(x~.u)^2, (x~.u)^4``
    of the whitened projection (:func:`whitened_projection`). Each: ``StandardScaler`` then
    ``LogisticRegression(C=C, max_iter=max_iter)``. Since both classes share mean and covariance, the first
    three score 0.5 up to the sampling error ``~0.5 / sqrt(n)``. Returns ``{feature name: test accuracy}``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    check_int(n, "n", minimum=2)
    check_positive(C, "C (the inverse regularisation)")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    X, y = model.sample(2 * n, rng)
    v = whitened_projection(model, X)
    feats = dict(zip(CLASSIFIER_FEATURES, (X, to_fourier_coords(X) ** 2,
                                           PolynomialFeatures(2, include_bias=False).fit_transform(X),
                                           np.stack([v**2, v**4], 1))))
    out = {}
    for name, F in feats.items():
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
        clf.fit(F[:n], y[:n])
        out[name] = clf.score(F[n:], y[n:])
    return out


def partial_trace_matrix(X, y) -> np.ndarray:
    """The "partial trace" of the fourth-cumulant tensor: ``M = (1/n) sum_i y_i (|x_i|^2 - N - 2) x_i x_i^T``.

    ``X`` (n, N) isotropic signals (``a = 0``), ``y`` (n,) labels in {-1, +1}. For a standard Gaussian
    vector ``E[|z|^2 z z^T] = (N + 2) I``, so the noise class averages to zero and the structured class to
    ``kappa_4 u u^T``: with balanced labels ``E M = (kappa_4 / 2) u u^T``. Returns the (N, N) matrix.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],) or X.shape[0] < 1:
        raise ValueError(f"need X (n, N) and y (n,), got shapes {X.shape} and {y.shape}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"y must be labels in {{-1, +1}}, got values {np.unique(y)[:4].tolist()}")
    n, N = X.shape
    return (y[:, None] * (np.sum(X**2, 1) - N - 2)[:, None] * X).T @ X / n


def partial_trace_overlaps(model: PhaseModel, ratios, rng=0) -> np.ndarray:
    """Overlap ``|v.u|`` of the template with the eigenvector ``v`` of the most negative eigenvalue of
    :func:`partial_trace_matrix`, from ``n = int(r N^2)`` samples for each ratio ``r`` in ``ratios``.

    One sample of ``int(max(ratios) N^2)`` signals of the isotropic ``model`` (``a = 0``) is drawn with ``rng``;
    each ``n`` uses its first ``n`` signals. The spectral estimator succeeds once ``n >> N^2`` (``kappa_4 < 0``
    puts ``u`` at the bottom of the spectrum). Returns (len(ratios),) overlaps in [0, 1].
    """
    if model.a != 0:
        raise ValueError(f"the partial-trace estimator needs the isotropic model (a = 0), got a = {model.a}")
    ratios = np.atleast_1d(np.asarray(ratios, dtype=np.float64))
    N = model.N
    if ratios.size == 0 or not np.all(np.isfinite(ratios)) or np.any(ratios * N**2 < 1):
        raise ValueError(f"every ratio must be finite and give n = r N^2 >= 1 samples, got {ratios.tolist()}")
    X, y = model.sample(int(max(ratios) * N**2), rng)
    out = []
    for r in ratios:
        n = int(r * N**2)
        out.append(abs(np.linalg.eigh(partial_trace_matrix(X[:n], y[:n]))[1][:, 0] @ model.u))
    return np.array(out)


# =========================================================================== figures
def plot_phase_model(N: int = 64, a: float = 1.0, template: str = "pl", *, beta: float = 5.0, seed: int = 0,
                     n: int = 4000, axs=None):
    """Three panels for the phase-only model: the shared spectrum and the template's power, one signal of
    each class, and histograms of the whitened projection ``x~.u`` (bimodal vs Gaussian).

    ``axs``: three axes (default: a new 1x3 figure). Returns the axes. Used by the chapter's static figure
    and by its widget.
    """
    import matplotlib.pyplot as plt

    if axs is None:
        _, axs = plt.subplots(1, 3, figsize=(11.5, 3.2), constrained_layout=True)
    model = PhaseModel.make(N, a, beta=beta, template=template, rng=seed)
    X, y = model.sample(n, seed + 1)
    f = np.arange(N // 2 + 1)
    ax = axs[0]
    ax.loglog(f[1:] + 1, power_spectrum(N, a)[1:], color="0.2", label=r"$\lambda_f$ (both classes)")
    ps = periodogram(X[y > 0])
    pn = periodogram(X[y < 0])
    ax.loglog(f[1:] + 1, pn[1:], "o", ms=3, color=PALETTE[0], label="noise, measured")
    ax.loglog(f[1:] + 1, ps[1:], "x", ms=4, color=PALETTE[1], label="structured, measured")
    uf = np.abs(np.fft.rfft(model.u, norm="ortho")) ** 2
    ax.loglog(f[1:] + 1, np.maximum(uf[1:], 1e-6), "-", color=PALETTE[2], lw=1, alpha=0.8, label=r"template $|\hat u_f|^2$")
    label(ax, "1 + frequency f", "power", f"spectrum, a = {a:g}, D_eff = {model.d_eff:.1f}")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=7)
    ax = axs[1]
    ax.plot(X[y < 0][0], color=PALETTE[0], label="noise (y = -1)")
    ax.plot(X[y > 0][0], color=PALETTE[1], label="structured (y = +1)")
    label(ax, "position j", "x_j", f"one signal per class (N = {N})")
    ax.legend(fontsize=7)
    ax = axs[2]
    bins = np.linspace(-4, 4, 61)
    vn, vs = whitened_projection(model, X[y < 0]), whitened_projection(model, X[y > 0])
    ax.hist(vn, bins=bins, density=True, alpha=0.5, color=PALETTE[0], label="noise")
    ax.hist(vs, bins=bins, density=True, alpha=0.5, color=PALETTE[1], label="structured")
    label(ax, r"whitened projection $\tilde x\cdot u$", "density",
          rf"template '{template}': $\kappa_4$ = {excess_kurtosis(vs):.2f} vs {model.kappa4:.2f}")
    ax.legend(fontsize=7)
    return axs


def plot_spectrum_template(N: int = 64, a: float = 1.0, template: str = "pl", *, seed: int = 0, n_w: int = 2000,
                           D: int = 8, axs=None):
    """Why a power-law spectrum can speed up phase learning: two panels.

    Left: the shared eigenvalues ``lambda_f`` and the template's power ``|u_f|^2`` per frequency. Right: the
    initial effective overlap ``|m_eff| = |cos(C^(1/2) w, u)|`` of ``n_w`` uniformly random ``w``, against
    ``N^(-1/2)`` (the isotropic value) and ``D_eff^(-1/2)``. ``axs``: two axes (default: a new 1x2 figure).
    Returns the axes. The chapter's static figure and its widget both call this function.
    """
    import matplotlib.pyplot as plt

    if axs is None:
        _, axs = plt.subplots(1, 2, figsize=(9.0, 3.2), constrained_layout=True)
    model = PhaseModel.make(N, a, template=template, rng=seed, D=D)
    f = np.arange(N // 2 + 1)
    ax = axs[0]
    lam = power_spectrum(N, a)
    ax.semilogy(f, lam / lam.sum(), "o-", ms=3, color="0.25", label=r"spectrum $\lambda_f$ (normalised)")
    uf = np.abs(np.fft.rfft(model.u, norm="ortho")) ** 2
    mult = np.where((f == 0) | (f == N // 2), 1.0, 2.0)
    ax.semilogy(f, np.maximum(mult * uf, 1e-8), "s-", ms=3, color=PALETTE[2], label=r"template power $|\hat u_f|^2$")
    ax.set_ylim(1e-5, 1.5)
    label(ax, "frequency f", "share of the total", f"N = {N}, a = {a:g}, template '{template}'")
    ax.legend(fontsize=7)
    ax = axs[1]
    rng = check_rng(seed + 1)
    w = rng.standard_normal((n_w, N))
    m0 = np.abs(model.overlap(w))
    ax.hist(m0, bins=40, density=True, color=PALETTE[0], alpha=0.7, label=r"$|m_{eff}(0)|$, random $w$")
    ax.axvline(N ** -0.5, color="0.3", ls="--", label=r"$N^{-1/2}$")
    ax.axvline(model.d_eff ** -0.5, color=PALETTE[1], ls="-", label=rf"$D_{{eff}}^{{-1/2}}$, $D_{{eff}}$ = {model.d_eff:.1f}")
    label(ax, "initial effective overlap", "density", f"median |m_eff(0)| = {np.median(m0):.3f}")
    ax.legend(fontsize=7)
    return axs


def spectrum_template_explorer():
    """An ``ipywidgets`` panel over :func:`plot_spectrum_template`: spectral exponent, template kind and N.

    The figure is drawn into an ``Output`` widget at the first change of a control (the chapter's static
    figure shows the starting point). Nothing is drawn when the cell runs, so a headless execution
    (papermill, the book build) never waits on widget output messages.
    """
    import ipywidgets as widgets

    from .plotting import control_panel

    a = widgets.FloatSlider(value=1.5, min=0.0, max=3.0, step=0.25, description="exponent a")
    template = widgets.Dropdown(options=list(TEMPLATES), value="pl", description="template")
    N = widgets.Dropdown(options=[16, 32, 64, 128, 256], value=64, description="N")
    return control_panel([a, template, N], lambda axs, a_, t_, N_: plot_spectrum_template(N_, a_, t_, axs=axs),
                         figsize=(9.0, 3.2), ncols=2, horizontal=True)


def plot_image_decomposition(images, names=None, rng=0, *, axs=None):
    """A grid: each row an image, its phase-scrambled version (amplitude only), its amplitude-equalised
    version (phase only, with a flat amplitude) and the swap (this image's phase with the next image's
    amplitude). ``images``: list of equally shaped 2-D arrays. Returns the axes (rows x 4)."""
    import matplotlib.pyplot as plt

    imgs = np.stack([np.asarray(im, dtype=np.float64) for im in images])
    n = len(imgs)
    if axs is None:
        _, axs = plt.subplots(n, 4, figsize=(9.0, 2.3 * n), constrained_layout=True, squeeze=False)
    scr = phase_scramble(imgs, rng)
    flat = np.ones(imgs.shape[-2:]) * amplitude_phase(imgs)[0].mean()
    eq = amplitude_equalise(imgs, flat)
    sw = swap_amplitude_phase(np.roll(imgs, -1, axis=0), imgs)
    titles = ["original", "amplitude only\n(phases scrambled)", "phase only\n(flat amplitude)",
              "swap: this phase,\nnext image's amplitude"]
    for i in range(n):
        for j, im in enumerate((imgs[i], scr[i], eq[i], sw[i])):
            ax = axs[i][j]
            lo, hi = np.percentile(im, [1, 99])
            ax.imshow(im, cmap="gray", vmin=lo, vmax=hi)
            ax.set_xticks([]), ax.set_yticks([])
            ax.grid(False)
            if i == 0:
                ax.set_title(titles[j], fontsize=9)
        if names is not None:
            axs[i][0].set_ylabel(names[i])
    return axs


def plot_radial_spectra(images: dict, *, kmin: float = 4.0, ax=None):
    """Radial power spectra of named images (log-log) with their fitted slopes in the legend."""
    ax = get_ax(ax)
    for i, (nm, im) in enumerate(images.items()):
        k, P = radial_power_spectrum(im)
        s = spectral_slope(im, kmin=kmin)
        ax.loglog(k, P / P[0], color=PALETTE[i % len(PALETTE)], label=f"{nm}: slope {s:.2f}")
    kk = np.array([kmin, k[-1]])
    ax.loglog(kk, (kk / kk[0]) ** -2.0 * 0.3, "k--", lw=1, label=r"$k^{-2}$")
    label(ax, "radial frequency |k| (cycles / image)", "power P(k) / P(1)", "radial power spectra")
    ax.legend(fontsize=7)
    return ax
