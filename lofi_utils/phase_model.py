"""The phase-only data model: two classes of periodic signals with one power spectrum, apart from the 4th cumulant.

The book's reconstruction "R1" of Ricci, Merger & Goldt's synthetic model (see
``shared/science/fourier_phase.md``): 1-D periodic signals of even length ``N`` whose two classes share
their power spectrum ``lambda_f = (1 + f)^(-a)`` and differ from the fourth cumulant on
(:class:`PhaseModel`). The real Fourier coordinates (:func:`to_fourier_coords`) are an orthogonal change
of basis in which the covariance is diagonal; the online-SGD simulators (:mod:`lofi_utils.sgd`,
:mod:`lofi_utils.sgd_chain`) work there.

Also here: the statistics that check the construction (periodogram, bispectrum, 4th cumulant along the
template: :func:`phase_model_statistics`), the classifiers that cannot see it (:func:`classifier_accuracies`)
and the partial-trace spectral estimator that finds the template from ``n >> N^2`` samples
(:func:`partial_trace_overlaps`). Image Fourier tools are :mod:`lofi_utils.fourier`.

Float64 NumPy (``norm="ortho"`` FFTs); every random draw takes a ``numpy.random.Generator`` or a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_choice, check_int, check_nonnegative, check_positive, check_rng, is_int

__all__ = [
    "check_N",
    "coord_freqs",
    "to_fourier_coords",
    "from_fourier_coords",
    "power_spectrum",
    "coord_spectrum",
    "colour",
    "effective_dimension",
    "TEMPLATES",
    "phase_template",
    "PhaseModel",
    "kappa4_spike",
    "periodogram",
    "bispectrum",
    "excess_kurtosis",
    "whitened_projection",
    "phase_model_statistics",
    "PhaseModelStats",
    "CLASSIFIER_FEATURES",
    "classifier_accuracies",
    "partial_trace_matrix",
    "partial_trace_overlaps",
]


# =========================================================================== 1-D real Fourier coordinates
def check_N(N: int) -> int:
    """``N`` as an ``int`` if it is an even integer ``>= 4`` (a signal length with real Fourier coordinates),
    else a one-line ``ValueError``."""
    if not is_int(N) or N < 4 or N % 2:
        raise ValueError(f"N must be an even integer >= 4, got {N!r}")
    return int(N)


def coord_freqs(N: int) -> np.ndarray:
    """Frequency of each real Fourier coordinate: ``[0, 1, ..., N/2, 1, ..., N/2 - 1]`` (cosines, then sines)."""
    N = check_N(N)
    return np.concatenate([np.arange(N // 2 + 1), np.arange(1, N // 2)])


def to_fourier_coords(x: ArrayLike) -> np.ndarray:
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
    c[..., 1 : N // 2] *= r2
    return np.concatenate([c, r2 * X.imag[..., 1 : N // 2]], axis=-1)


def from_fourier_coords(c: ArrayLike) -> np.ndarray:
    """Inverse of :func:`to_fourier_coords`: real Fourier coordinates (..., N) back to the signal (..., N)."""
    c = np.asarray(c, dtype=np.float64)
    N = check_N(c.shape[-1])
    h = N // 2
    X = c[..., : h + 1].astype(np.complex128)
    X[..., 1:h] = (c[..., 1:h] + 1j * c[..., h + 1 :]) / math.sqrt(2.0)
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


def colour(z: ArrayLike, a: float) -> np.ndarray:
    """``C^(1/2) z = irfft(sqrt(lambda) * rfft(z, norm="ortho"), norm="ortho")`` for signals z (..., N)."""
    z = np.asarray(z, dtype=np.float64)
    N = check_N(z.shape[-1])
    return np.fft.irfft(np.sqrt(power_spectrum(N, a)) * np.fft.rfft(z, norm="ortho"), n=N, norm="ortho")


def effective_dimension(lam: ArrayLike) -> float:
    """Participation ratio ``D_eff = (tr C)^2 / tr C^2`` of the coordinate eigenvalues ``lam`` (N,)."""
    lam = np.asarray(lam, dtype=np.float64)
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam < 0) or not np.any(lam):
        raise ValueError(f"lam must be finite eigenvalues >= 0, not all zero, got {lam.size} values")
    return float(lam.sum() ** 2 / np.sum(lam**2))


#: Phase templates of the model: a spectrum-shaped pattern, a broadband pattern, the top-power modes.
TEMPLATES = ("pl", "flat", "top")


def phase_template(N: int, a: float, kind: str = "pl", rng: np.random.Generator | int = 0, *, D: int = 8) -> np.ndarray:
    """A unit-norm pixel-space template ``u`` (N,) that carries the phase structure of the model.

    Parameters
    ----------
    N : int
        Signal length, even, >= 4.
    a : float
        Spectral exponent ``>= 0`` of ``lambda_f = (1 + f)^(-a)``.
    kind : {"pl", "flat", "top"}
        ``"pl"``: ``u = C^(1/2) g / |C^(1/2) g|`` (its spectrum is the data's); ``"flat"``: ``u = g / |g|``
        (broadband); ``"top"``: Gaussian Fourier coordinates on the ``D`` coordinates of largest eigenvalue
        (lowest frequencies first on ties), zero elsewhere. ``g`` is a standard Gaussian vector.
    rng : np.random.Generator or int
        Draws ``g``.
    D : int
        Coordinates of the ``"top"`` template, ``1 <= D <= N``.

    Returns
    -------
    np.ndarray
        Shape (N,), unit norm.
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
    def make(
        cls,
        N: int,
        a: float = 0.0,
        *,
        beta: float = 5.0,
        template: str = "pl",
        rng: np.random.Generator | int = 0,
        D: int = 8,
    ) -> PhaseModel:
        """The model for length ``N``, spectral exponent ``a``, spike strength ``beta`` and a template drawn
        with ``rng`` (see :func:`phase_template`).

        Parameters
        ----------
        N : int
            Signal length, even, >= 4.
        a : float
            Spectral exponent, >= 0.
        beta : float
            Spike strength, > 0.
        template : {"pl", "flat", "top"}
            The template kind (:func:`phase_template`).
        rng : np.random.Generator or int
            Draws the template.
        D : int
            Coordinates of the ``"top"`` template.

        Returns
        -------
        PhaseModel
            ``u``, ``u_fourier``, ``lam`` of shape (N,).
        """
        check_positive(beta, "beta")
        u = phase_template(N, a, template, rng, D=D)
        return cls(
            N=int(N),
            a=float(a),
            beta=float(beta),
            template=template,
            u=u,
            u_fourier=to_fourier_coords(u),
            lam=coord_spectrum(N, a),
        )

    @property
    def kappa4(self) -> float:
        """The 4th cumulant of ``x~.u`` in the structured class."""
        return kappa4_spike(self.beta)

    @property
    def d_eff(self) -> float:
        """Participation ratio of the spectrum (:func:`effective_dimension`)."""
        return effective_dimension(self.lam)

    def whitened(self, z: ArrayLike, y: ArrayLike, nu: ArrayLike) -> np.ndarray:
        """``x~`` from white noise ``z`` (n, N), labels ``y`` (n,) in {-1, +1} and signs ``nu`` (n,)."""
        z = np.asarray(z, dtype=np.float64)
        proj = z @ self.u
        s_new = (proj + math.sqrt(self.beta) * np.asarray(nu, dtype=np.float64)) / math.sqrt(1.0 + self.beta)
        coef = np.where(np.asarray(y) > 0, s_new - proj, 0.0)
        return z + coef[:, None] * self.u[None, :]

    def sample(
        self, n: int, rng: np.random.Generator | int = 0, *, y: ArrayLike | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` pixel-space signals ``X`` (n, N) with balanced random labels ``y`` (n,) in {-1, +1}.

        Parameters
        ----------
        n : int
            Number of signals, >= 1.
        rng : np.random.Generator or int
            Draws the labels, the noise and the spike signs.
        y : array_like, optional
            Fixed labels, shape (n,), in {-1, +1}.

        Returns
        -------
        X : np.ndarray
            Shape (n, N), float64.
        y : np.ndarray
            Shape (n,), the labels.
        """
        check_int(n, "n", minimum=1)
        rng = check_rng(rng)
        if y is not None:
            y = np.asarray(y)
            if y.shape != (n,) or not np.all(np.isin(y, (-1, 1))):
                raise ValueError(
                    f"y must be ({n},) labels in {{-1, +1}}, got shape {y.shape} with values "
                    f"{np.unique(y)[:4].tolist()}"
                )
        y = rng.choice([-1, 1], size=n) if y is None else y
        z = rng.standard_normal((n, self.N))
        nu = rng.choice([-1.0, 1.0], size=n)
        return colour(self.whitened(z, y, nu), self.a), y

    def overlap(self, w: ArrayLike) -> np.ndarray:
        """The effective overlap ``m_eff = (C^(1/2) w).u / |C^(1/2) w|`` of pixel-space weights w (..., N)."""
        v = colour(np.asarray(w, dtype=np.float64), self.a)
        return (v @ self.u) / np.linalg.norm(v, axis=-1)


# =========================================================================== statistics of the model
def periodogram(X: ArrayLike) -> np.ndarray:
    """Mean power ``<|X_f|^2>`` per frequency f = 0..N/2 of signals X (n, N) (unitary rfft)."""
    X = np.asarray(X, dtype=np.float64)
    return np.mean(np.abs(np.fft.rfft(X, norm="ortho")) ** 2, axis=0)


def bispectrum(X: ArrayLike, pairs: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Sample bispectrum ``B(k1, k2) = <X_k1 X_k2 conj(X_{k1+k2})>`` and its standard error.

    Parameters
    ----------
    X : array_like
        Signals, shape (n, N), n >= 1.
    pairs : array_like of int
        Frequencies ``(k1, k2)``, shape (P, 2), ``k1, k2 >= 0``, ``k1 + k2 <= N/2``.

    Returns
    -------
    mean : np.ndarray
        Shape (P,), complex.
    se : np.ndarray
        Shape (P,), the standard errors of the real and imaginary parts together (``sqrt(var/n)`` of the
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


def excess_kurtosis(v: ArrayLike) -> float:
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
        return (
            f"power ratio in [{self.power_ratio.min():.3f}, {self.power_ratio.max():.3f}], "
            f"max |z| bispectrum {self.bispec_z.max():.2f}, kappa4 along u {self.kappa4_u:.3f} ± "
            f"{self.kappa4_u_se:.3f}{theory}, noise class {self.kappa4_noise:.3f}"
        )


def whitened_projection(model: PhaseModel, X: ArrayLike) -> np.ndarray:
    """The whitened template coordinate ``x~.u`` of pixel-space signals X (n, N), with ``x~ = C^(-1/2) x`` by FFT."""
    N = model.N
    lam = power_spectrum(N, model.a)
    xw = np.fft.irfft(np.fft.rfft(X, norm="ortho") / np.sqrt(lam), n=N, norm="ortho")
    return xw @ model.u


def phase_model_statistics(
    model: PhaseModel,
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_pairs: int = 24,
    pairs: ArrayLike | None = None,
    n_random: int = 8,
    rng: np.random.Generator | int = 0,
) -> PhaseModelStats:
    """Check the model's construction on samples: equal spectra, no bispectrum, a negative 4th cumulant along
    the template only.

    The 4th cumulant is measured on the whitened projection ``x~.u``; its standard error is
    ``sqrt(var(v^4 - 6 v^2) / n)`` (the delta method for unit variance).

    Parameters
    ----------
    model : PhaseModel
        The model that drew the samples.
    X : array_like
        Signals, shape (n, N).
    y : array_like
        Labels in {-1, +1}, shape (n,), at least 2 per class.
    n_pairs : int
        Random bispectrum pairs (k1, k2) with 1 <= k1 <= k2, k1 + k2 <= N/2, when ``pairs`` is not given.
    pairs : array_like of int, optional
        Bispectrum pairs, shape (P, 2).
    n_random : int
        Random unit directions for ``kappa4_random``.
    rng : np.random.Generator or int
        Draws the pairs and the directions.

    Returns
    -------
    PhaseModelStats
        Spectra (F = N/2 + 1 frequencies), bispectrum z-scores (P,), cumulants.
    """
    rng = check_rng(rng)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != model.N or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, N = {model.N}) and y (n,), got shapes {X.shape} and {y.shape}")
    if not np.all(np.isin(y, (-1, 1))) or min(np.sum(y < 0), np.sum(y > 0)) < 2:
        raise ValueError(
            f"y must be labels in {{-1, +1}} with at least 2 signals per class, got values "
            f"{np.unique(y)[:4].tolist()} with counts {[int(np.sum(y < 0)), int(np.sum(y > 0))]}"
        )
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
    return PhaseModelStats(
        freqs=np.arange(N // 2 + 1),
        power=np.stack([pn, ps]),
        power_ratio=ps / pn,
        power_se=rel_se * ps / pn,
        bispec_z=z,
        kappa4_u=k4,
        kappa4_u_se=k4_se,
        kappa4_noise=excess_kurtosis(vn),
        kappa4_random=k4_rand,
    )


#: Feature maps of :func:`classifier_accuracies`; only the last one (the oracle) knows the template.
CLASSIFIER_FEATURES = ("linear", "power (Fourier coord.^2)", "all quadratic x_i x_j", "oracle (x~.u)^2, (x~.u)^4")


def classifier_accuracies(
    model: PhaseModel, n: int, rng: np.random.Generator | int = 0, *, C: float = 0.1, max_iter: int = 300
) -> dict[str, float]:
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
    feats = dict(
        zip(
            CLASSIFIER_FEATURES,
            (
                X,
                to_fourier_coords(X) ** 2,
                PolynomialFeatures(2, include_bias=False).fit_transform(X),
                np.stack([v**2, v**4], 1),
            ),
        )
    )
    out = {}
    for name, F in feats.items():
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
        clf.fit(F[:n], y[:n])
        out[name] = clf.score(F[n:], y[n:])
    return out


def partial_trace_matrix(X: ArrayLike, y: ArrayLike) -> np.ndarray:
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


def partial_trace_overlaps(model: PhaseModel, ratios: ArrayLike, rng: np.random.Generator | int = 0) -> np.ndarray:
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
