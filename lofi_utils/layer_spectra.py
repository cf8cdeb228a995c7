"""Per-layer spectra and shares: how each layer's kernel weighs each frequency.

For the per-layer NTKs ``Theta_l`` of :mod:`lofi_utils.kernels` (``Theta = sum_l Theta_l``), on the sphere
S^{d-1} the frequencies are the spherical-harmonic degrees ``k``, with eigenvalues ``mu_k^(l)`` (Funk--Hecke),
and the *share* of layer l at degree k is ``s_k^(l) = mu_k^(l) / sum_l' mu_k^(l')`` (after Dandi & Jacot,
arXiv 2111.03972):

* :func:`layer_spectrum` -- ``mu_k^(l)`` with an error bound per entry, by quadrature or through the power
  series of :mod:`lofi_utils.layer_series`, in a :class:`LayerSpectrum` (its ``shares``);
* limits: the ReLU shares at large k (:func:`relu_share_limit`) and all shares at large d
  (:func:`maclaurin_shares`, the Maclaurin coefficients);
* the ordering of the layers: :func:`pair_shares`, :func:`ratio_monotonicity`, :func:`monotone_in_parity`;
* on a finite sample: zonal-harmonic probes cleaned of the lower degrees (:func:`zonal_probes`) and the
  per-layer shares of their quadratic forms (:func:`probe_shares`);
* on data: the eigenvectors of the NTK Gram matrix in the role of the harmonics
  (:func:`data_layer_spectrum`, a :class:`DataSpectrum`) and targets spanned by some of them
  (:func:`band_target`).

Kernels and spectra are float64 NumPy; Gram matrices may come as torch tensors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from .kernels import check_activation, check_bias, check_depth, layer_kernels
from .layer_series import layer_maclaurin, layer_series
from .runtime import lapack_one_thread
from .sphere import (
    check_d,
    funk_hecke_weights,
    gegenbauer_table,
    harmonic_dimension,
    sample_sphere,
    series_moment,
    theta_nodes,
)
from .validation import check_choice, check_int

__all__ = [
    "LayerSpectrum",
    "layer_spectrum",
    "relu_share_limit",
    "pair_shares",
    "ratio_monotonicity",
    "maclaurin_shares",
    "monotone_in_parity",
    "zonal_probes",
    "probe_shares",
    "DataSpectrum",
    "data_layer_spectrum",
    "band_target",
]

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class LayerSpectrum:
    """Per-layer Funk--Hecke eigenvalues on S^{d-1} with error bounds (output of :func:`layer_spectrum`).

    ``mu`` (L, K+1): ``mu_k^(l)``; ``err`` (L, K+1): an absolute error bound per entry; ``route`` (L, K+1):
    ``"quadrature"`` or ``"series"``, the route that gave the smaller bound. ``total`` (K+1,) = the NTK
    spectrum; ``shares`` (L, K+1): ``mu_k^(l) / total_k``, NaN where not :attr:`resolved`.
    """

    d: int
    depth: int
    activation: str
    bias: float
    mu: np.ndarray
    err: np.ndarray
    route: np.ndarray

    @property
    def k(self) -> np.ndarray:
        """The degrees ``0..K``, shape (K+1,)."""
        return np.arange(self.mu.shape[1])

    @property
    def total(self) -> np.ndarray:
        """The NTK spectrum ``sum_l mu_k^(l)``, shape (K+1,)."""
        return self.mu.sum(axis=0)

    @property
    def share_error(self) -> np.ndarray:
        """Bound on the absolute error of every share at degree k: ``(max_l err + sum_l err) / |total|``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.err.max(axis=0) + self.err.sum(axis=0)) / np.abs(self.total)

    @property
    def resolved(self) -> np.ndarray:
        """Degrees whose shares are known to 1e-3 (exact zeros, e.g. even k for odd activations without bias,
        are not)."""
        return self.share_error < 1e-3

    @property
    def shares(self) -> np.ndarray:
        """``mu_k^(l) / total_k``, shape (L, K+1); NaN where not :attr:`resolved`."""
        with np.errstate(divide="ignore", invalid="ignore"):
            s = self.mu / self.total
        return np.where(self.resolved[None, :], s, np.nan)


def _quadrature_spectrum(d, kmax, L, act, bias, n_nodes):
    theta, w = theta_nodes(n_nodes)
    t = np.cos(theta)
    vals = layer_kernels(t, depth=L, activation=act, bias=bias).theta_layers
    weight = funk_hecke_weights(d, theta, w)
    table = gegenbauer_table(kmax, d, t)
    mu = (vals * weight) @ table.T
    # rounding: each term carries ~ (k+1) eps relative error (Gegenbauer recurrence, products, sums)
    err = 8 * _EPS * np.arange(1, kmax + 2) * ((np.abs(vals) * weight) @ np.abs(table).T)
    return mu, err


def _series_spectrum(d, kmax, L, act, bias, nmax):
    b, db = layer_maclaurin(L, activation=act, bias=bias, nmax=nmax, return_error=True)
    if act != "relu" and bias == 0.0:  # odd kernels: the even coefficients are exactly 0
        b[:, 0::2] = 0.0
    b = np.maximum(b, 0.0)  # exact coefficients are >= 0
    moments = series_moment(np.arange(nmax + 1)[:, None], np.arange(kmax + 1)[None, :], d)  # (nmax+1, kmax+1)
    mu = b @ moments
    err = db @ moments
    kappa1 = layer_kernels(np.array([1.0]), depth=L, activation=act, bias=bias).theta_layers[:, 0]
    rest = np.maximum(kappa1 - b.sum(axis=1), 0.0) + db.sum(axis=1)  # (L,)
    k = np.arange(kmax + 1)
    n0 = nmax + 1 + ((nmax + 1 - k) % 2)  # first neglected degree of k's parity
    # m(n, k, d) decreases in n for n (d-1) > (k-2)(k+d) + 2; then m(n0) bounds every neglected moment
    decreasing = n0 * (d - 1) > (k - 2) * (k + d) + 2
    mtail = np.where(decreasing, series_moment(n0, k, d), np.inf)
    err = err + rest[:, None] * mtail[None, :]
    return mu, err


def layer_spectrum(
    d: int,
    kmax: int,
    *,
    depth: int,
    activation: str = "relu",
    bias: float = 0.0,
    method: str = "auto",
    n_nodes: int | None = None,
    nmax: int | None = None,
) -> LayerSpectrum:
    """Funk--Hecke eigenvalues ``mu_k^(l)`` of every layer's kernel on S^{d-1}, k = 0..kmax, with error bounds.

    Two routes, each with a bound:

    * ``"quadrature"``: ``mu_k = c_d int_0^pi Theta_l(cos th) P_k(cos th) sin^(d-2) th dth`` (composite
      Gauss--Legendre, ``n_nodes`` = 6000 for ReLU, 2000 otherwise); rounding bound
      ``8 (k+1) eps int |Theta_l P_k| sin^(d-2)``. Absolute: it cannot resolve eigenvalues far below
      ``eps Theta_l(1)``, which at large d or k are most of them.
    * ``"series"``: ``mu_k = sum_j b_{k+2j} m(k+2j, k, d)`` from :func:`lofi_utils.layer_series.layer_maclaurin`
      (default ``nmax``: twice the degree beyond which ``m(n, kmax, d)`` decreases, at most 4095 for ReLU and
      1023 otherwise) and :func:`lofi_utils.sphere.series_moment`. Positive terms, so accurate
      *relative* to ``mu_k``; the neglected degrees add at most ``m(n0, k, d) (Theta_l(1) - sum b)``
      once ``m`` decreases in n (large d); infinite bound otherwise.

    ``"auto"`` keeps, entry by entry, the route with the smaller bound (quadrature only for d < 5, where
    ``m(n, k, d)`` decays too slowly in n for the series route to compete). Both bounds are absolute at
    ~1e-16 Theta_l(1) in the worst case, so spectra decaying exponentially (erf, tanh) are resolved only
    while ``mu_k`` stays above that floor (k up to ~25 at d = 3 or 10). On S^1 (d = 2, Gegenbauer index
    0) both routes use the Chebyshev form ``mu_k = (1/pi) int_0^pi kappa(cos th) cos(k th) dth``.

    ``d``: int >= 2; ``kmax``: int >= 0; ``depth``, ``activation``, ``bias``: the network;
    ``method``: ``"auto"``, ``"quadrature"`` or ``"series"``. Returns a :class:`LayerSpectrum`.
    """
    d = check_d(d)
    kmax = check_int(kmax, "kmax", minimum=0)
    L = check_depth(depth)
    act = check_activation(activation)
    b = check_bias(bias)
    check_choice(method, "method", ("auto", "quadrature", "series"))
    n_nodes = n_nodes or (6000 if act == "relu" else 2000)
    if nmax is None:
        # twice the degree beyond which every neglected moment m(n, kmax, d) decreases, as a power of 2 minus 1
        need = 2 * max((kmax - 2) * (kmax + d) + 2, 0) / (d - 1) + 64
        nmax = int(min(2 ** math.ceil(math.log2(need)), 4096 if act == "relu" else 1024)) - 1
    parts = []
    if method in ("auto", "quadrature"):
        parts.append(("quadrature",) + _quadrature_spectrum(d, kmax, L, act, b, n_nodes))
    if method == "series" or (method == "auto" and d >= 5):
        parts.append(("series",) + _series_spectrum(d, kmax, L, act, b, nmax))
    if len(parts) == 1:
        name, mu, err = parts[0]
        route = np.full(mu.shape, name)
    else:
        (_, mu_q, err_q), (_, mu_s, err_s) = parts
        use_s = err_s < err_q
        mu = np.where(use_s, mu_s, mu_q)
        err = np.where(use_s, err_s, err_q)
        route = np.where(use_s, "series", "quadrature")
    return LayerSpectrum(d=d, depth=L, activation=act, bias=b, mu=mu, err=err, route=route)


def relu_share_limit(depth: int, *, bias: float = 0.0) -> np.ndarray:
    """Large-k limit of the parity-averaged ReLU layer shares: ``c_l / sum_l' c_l'``.

    Near ``theta = 0`` every ReLU layer kernel is ``Theta_l(cos theta) = q_l - c_l |theta| + O(theta^2)``: the
    angle of layer m is ``theta_m = theta / sqrt(q_m)`` to first order and ``Sigma_dot^(m+1) = 1 - theta_m/pi``,
    so ``c_l = (q_l / pi) sum_{m=l}^{L-1} q_m^(-1/2)`` (``q_1 = 1 + beta^2``, ``q_{m+1} = q_m + beta^2``). The
    ``|theta|`` kink sets the ``k^-d`` tail of every ``mu_k^(l)``, hence the limit; without bias it is
    ``2 (L - l) / (L (L - 1))`` (the readout's share tends to 0).

    ``depth``: L >= 2; ``bias``: beta >= 0. Returns shape (L,), summing to 1.
    """
    L = check_depth(depth)
    if L < 2:
        raise ValueError("the share limit needs at least two layers (depth >= 2)")
    beta2 = check_bias(bias) ** 2
    q = 1.0 + beta2 * np.arange(1, L + 1)
    inv = q**-0.5
    c = np.array([q[l] * inv[l : L - 1].sum() for l in range(L)])
    return c / c.sum()


def pair_shares(spectrum: LayerSpectrum, k: ArrayLike) -> np.ndarray:
    """Shares of the pair of consecutive degrees: ``(mu_k^(l) + mu_{k+1}^(l)) / (total_k + total_{k+1})``.

    Summing a degree with its neighbour of the other parity cancels the ``(-1)^k`` term that the
    singularity at ``t = -1`` adds to the asymptotics. ``k``: int or integer array with ``k + 1 <= kmax``.
    Returns (L,) or (L, len(k)).
    """
    k = np.asarray(k)
    if np.any(k < 0) or np.any(k + 1 >= spectrum.mu.shape[1]):
        raise ValueError(f"need 0 <= k and k + 1 <= kmax = {spectrum.mu.shape[1] - 1}")
    num = spectrum.mu[:, k] + spectrum.mu[:, k + 1]
    return num / num.sum(axis=0)


def ratio_monotonicity(
    spectrum: LayerSpectrum, *, kmin: int = 1, kmax: int | None = None, min_step: float = 0.0, first: int | None = None
) -> dict:
    """Test that ``mu_k^(l) / mu_k^(l')`` increases with k within each parity, for every pair ``l < l'``.

    Only degrees that are resolved and have every ``mu_k^(l) > 0`` take part. A step counts as a violation
    when ``log(ratio_{k+2}) - log(ratio_k) <= min_step``. ``first``: only the pairs whose earlier layer is
    ``first`` (1-based; e.g. 1 for "layer 1 against every later layer"); default every pair.

    Returns ``{"violations": int, "comparisons": int, "worst": float (smallest step), "where": list of
    (l, l', k)}`` (layers numbered from 1).
    """
    mu = spectrum.mu
    K = mu.shape[1] - 1
    kmax = K if kmax is None else min(int(kmax), K)
    ok = spectrum.resolved & np.all(mu > 0, axis=0)
    L = mu.shape[0]
    viol, comps, worst, where = 0, 0, np.inf, []
    for parity in (0, 1):
        ks = np.array([k for k in range(kmin, kmax + 1) if k % 2 == parity and ok[k]])
        ks = ks[np.r_[True, np.diff(ks) == 2]] if ks.size else ks  # keep consecutive same-parity runs
        if ks.size < 2:
            continue
        for a in range(L) if first is None else [int(first) - 1]:
            for b in range(a + 1, L):
                lr = np.log(mu[a, ks]) - np.log(mu[b, ks])
                steps = np.diff(lr)
                consecutive = np.diff(ks) == 2
                steps = steps[consecutive]
                comps += steps.size
                if steps.size:
                    worst = min(worst, steps.min())
                bad = np.flatnonzero(steps <= min_step)
                viol += bad.size
                where += [(a + 1, b + 1, int(ks[:-1][consecutive][i])) for i in bad]
    return {"violations": viol, "comparisons": comps, "worst": float(worst), "where": where}


def maclaurin_shares(depth: int, kmax: int, *, activation: str = "relu", bias: float = 0.0) -> np.ndarray:
    """High-dimensional limit of the shares: ``b_k^(l) / sum_l' b_k^(l')``, k = 0..kmax.

    ``mu_k N(d, k) = sum_j b_{k+2j} m(k+2j, k, d) N(d, k) -> b_k`` as ``d -> infinity`` at fixed k
    (``m(k, k, d) N(d, k) -> 1`` and ``m(k+2j, k, d) N(d, k) = O(d^-j)``), so layer l's weight at degree k
    becomes its k-th Maclaurin coefficient (from :func:`lofi_utils.layer_series.layer_series`). Returns
    (L, kmax+1); NaN where every ``b_k^(l)`` vanishes (e.g. even k for odd activations without bias).
    """
    kmax = check_int(kmax, "kmax", minimum=0)
    b = layer_series(depth, activation=activation, bias=bias, nmax=max(kmax, 1)).theta[:, : kmax + 1]
    tot = b.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tot > 1e-14 * b.max(), b / tot, np.nan)


def monotone_in_parity(shares: ArrayLike, *, increasing: bool = True, kmin: int = 1) -> bool:
    """Whether a row of shares ``s_k`` is strictly monotone in k within each parity of k.

    The degrees ``kmin, kmin+2, ...`` and ``kmin+1, kmin+3, ...`` are tested separately (odd and even degrees
    feel the kernels' behaviour at ``t = -1`` differently); NaN entries (unresolved shares) are skipped.
    ``shares``: 1-D array indexed by k; ``increasing``: the direction; ``kmin``: first degree, int >= 0.
    Returns a bool (``True`` also when a parity holds fewer than two finite entries).
    """
    s = np.asarray(shares, dtype=float)
    if s.ndim != 1:
        raise ValueError(f"shares must be a 1-D array indexed by the degree, got shape {s.shape}")
    kmin = check_int(kmin, "kmin", minimum=0)
    sign = 1.0 if increasing else -1.0
    return all(bool(np.all(sign * np.diff(s[k0::2][np.isfinite(s[k0::2])]) > 0)) for k0 in (kmin, kmin + 1))


def zonal_probes(x: ArrayLike, k: int, *, n_probes: int, rng: np.random.Generator, extra: int = 5) -> np.ndarray:
    """Degree-k zonal harmonics ``P_k(x . e / |x|)`` at the points ``x``, cleaned of sampled lower degrees.

    For random unit directions ``e`` the zonal function is a degree-k spherical harmonic; on a finite sample
    it is not orthogonal to the lower degrees, whose much larger eigenvalues would leak into a quadratic
    form. So ``N(d, j) + extra`` random zonal functions of each degree ``j < k`` (which span the degree-j
    harmonics at the sample points) are orthonormalised (QR) and projected out of every probe.

    ``x``: (N, d) points on a sphere; ``k``: degree >= 0; ``n_probes``: number of directions; ``rng``: a
    ``numpy.random.Generator``. Returns (N, n_probes) float64.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be an (N, d) array, got shape {x.shape}")
    N, d = x.shape
    k = check_int(k, "k", minimum=0)
    n_probes = check_int(n_probes, "n_probes", minimum=1)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)

    def zonal(j, m):
        e = sample_sphere(m, d, rng=rng)
        t = np.clip(u @ e.T, -1.0, 1.0)  # (N, m)
        return gegenbauer_table(j, d, t.ravel())[j].reshape(N, m)

    Y = zonal(k, n_probes)
    if k == 0:
        return Y
    low = np.hstack([zonal(j, int(harmonic_dimension(d, j)) + extra) for j in range(k)])
    if low.shape[1] >= N:
        raise ValueError(f"{low.shape[1]} lower-degree functions for {N} points: use more points or a lower k")
    with lapack_one_thread():
        Q, _ = np.linalg.qr(low)
    return Y - Q @ (Q.T @ Y)


def probe_shares(grams: ArrayLike | torch.Tensor, probes: ArrayLike) -> np.ndarray:
    """Per-layer shares of the quadratic forms ``sum_p y_p^T G_l y_p / sum_p y_p^T G y_p`` (G = sum_l G_l).

    ``grams``: (L, N, N) array or tensor of per-layer Gram matrices; ``probes``: (N, P). Returns (L,).
    """
    G = grams.double().cpu().numpy() if isinstance(grams, torch.Tensor) else np.asarray(grams, dtype=float)
    Y = np.asarray(probes, dtype=float)
    if G.ndim != 3 or G.shape[1] != G.shape[2] or G.shape[1] != Y.shape[0]:
        raise ValueError(f"grams must be (L, N, N) and probes (N, P), got {G.shape} and {Y.shape}")
    q = ((G @ Y) * Y).sum(axis=(1, 2))
    return q / q.sum()


@dataclass
class DataSpectrum:
    """Per-layer analysis of the analytic NTK on a dataset (output of :func:`data_layer_spectrum`).

    ``eigvals`` (n,): eigenvalues of ``K / n`` (``K = sum_l K_l`` on the data), decreasing; ``eigvecs``
    (n, n): orthonormal columns; ``shares`` (L, n): ``v_i^T K_l v_i / v_i^T K v_i``, the analogue of
    ``s_k^(l)`` with the eigen-index i in the role of the degree; ``grams`` (L, n, n) the analytic
    per-layer Gram matrices; ``bands``: list of index arrays (logarithmic bins of i).
    """

    eigvals: np.ndarray
    eigvecs: np.ndarray
    shares: np.ndarray
    grams: np.ndarray
    bands: list
    depth: int
    activation: str
    bias: float

    @property
    def band_centres(self) -> np.ndarray:
        """Geometric mean of ``i + 1`` in each band, shape (B,)."""
        return np.array([np.exp(np.mean(np.log(b + 1))) for b in self.bands])

    def band_shares(self, shares: np.ndarray | None = None) -> np.ndarray:
        """(L, B): shares averaged in each band, weighted by eigenvalue (``sum v^T K_l v / sum v^T K v``)."""
        s = self.shares if shares is None else shares
        w = self.eigvals
        return np.stack([(s[:, b] * w[b]).sum(axis=1) / w[b].sum() for b in self.bands], axis=1)

    def project_shares(self, grams: ArrayLike | torch.Tensor) -> np.ndarray:
        """(L, n): ``v_i^T G_l v_i / v_i^T G v_i`` for other per-layer Gram matrices ``grams`` (L, n, n)."""
        G = grams.double().cpu().numpy() if isinstance(grams, torch.Tensor) else np.asarray(grams, dtype=float)
        V = self.eigvecs
        q = ((G @ V) * V).sum(axis=1)
        return q / q.sum(axis=0)


def data_layer_spectrum(
    X: ArrayLike,
    *,
    depth: int,
    activation: str = "relu",
    bias: float = 0.0,
    n_bands: int = 8,
    device: torch.device | str | None = None,
) -> DataSpectrum:
    """Per-layer shares of the analytic NTK along the eigenvectors of its Gram matrix on the data ``X``.

    ``K_l = Theta_l(x_i . x_j / D)`` for rows on the sphere of radius ``sqrt(D)``; ``K = sum_l K_l = V diag(n lambda)
    V^T``. On the uniform sphere the eigenvectors are the spherical harmonics, ordered by degree; on data,
    the index i of ``lambda_i`` (decreasing) plays the role of the frequency.

    ``X``: (n, D) on the sphere of radius sqrt(D); ``n_bands``: number of logarithmic bands of i;
    ``device``: a CUDA device does the eigendecomposition and the quadratic forms there (float64).
    Returns a :class:`DataSpectrum`.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be an (n, D) array, got shape {X.shape}")
    n, D = X.shape
    if not np.allclose(np.einsum("ij,ij->i", X, X), D, rtol=1e-8):
        raise ValueError("rows of X must lie on the sphere of radius sqrt(D) (see lofi_utils.datasets.to_sphere)")
    L = check_depth(depth)
    n_bands = check_int(n_bands, "n_bands", minimum=1)
    cos = np.clip(X @ X.T / D, -1.0, 1.0)
    grams = layer_kernels(cos, depth=L, activation=activation, bias=bias).theta_layers
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if dev.type == "cuda":
        Gt = torch.as_tensor(grams, device=dev)
        lam_t, V_t = torch.linalg.eigh(Gt.sum(0))
        q = ((Gt @ V_t) * V_t).sum(1).cpu().numpy()
        lam, V = lam_t.cpu().numpy(), V_t.cpu().numpy()
    else:
        with lapack_one_thread():
            lam, V = np.linalg.eigh(grams.sum(axis=0))
        q = ((grams @ V) * V).sum(axis=1)
    lam, V, q = lam[::-1] / n, np.ascontiguousarray(V[:, ::-1]), q[:, ::-1]
    shares = q / q.sum(axis=0)
    edges = np.unique(np.round(np.logspace(0, np.log10(n), n_bands + 1)).astype(int)) - 1
    edges[-1] = n
    bands = [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    return DataSpectrum(
        eigvals=lam,
        eigvecs=V,
        shares=shares,
        grams=grams,
        bands=bands,
        depth=L,
        activation=activation,
        bias=float(bias),
    )


def band_target(spectrum: DataSpectrum, band: Sequence[int], n_train: int, *, rng: np.random.Generator) -> np.ndarray:
    """A unit-variance target spanned by the kernel's eigenfunctions ``band``, estimated on the training points.

    The data analogue of a degree-k harmonic, built so that it generalises: with ``K`` the analytic NTK Gram
    matrix of all points (``spectrum.grams``), ``K_tr = V diag(n_train lambda) V^T`` on the first ``n_train``
    points, the Nystrom eigenfunctions ``phi_i(x) = sum_j K(x, x_j) V_ji / (n_train lambda_i)`` equal ``V_:i`` on
    the training points and extend them to the others; the target is ``sum_{i in band} g_i phi_i`` with Gaussian
    ``g``, scaled to mean square 1 on the training points. Eigen-indices count from 0 (decreasing order).

    Returns (n,) over all points of ``spectrum``, in their order.
    """
    band = np.asarray(band, dtype=int)
    K = spectrum.grams.sum(axis=0)
    n = K.shape[0]
    n_train = check_int(n_train, "n_train", minimum=2)
    if band.size == 0 or band.min() < 0 or band.max() >= min(n_train, n):
        raise ValueError(f"band must hold eigen-indices in [0, {min(n_train, n) - 1}], got {band}")
    with lapack_one_thread():
        lam, V = np.linalg.eigh(K[:n_train, :n_train])
    lam, V = lam[::-1][band], V[:, ::-1][:, band]
    g = rng.standard_normal(band.size)
    y = K[:, :n_train] @ (V @ (g / lam))  # = V g on the training points
    return y / np.sqrt(np.mean(y[:n_train] ** 2))
