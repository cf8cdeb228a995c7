"""Chapter 2, section 6: frequencies of functions on real data defined without the kernel.

The eigen-index of the NTK Gram matrix orders functions by the kernel's own eigenvalues, so "the first
layer carries the high eigen-indices" is partly circular. Here the frequency of a function on the data
comes from the inputs alone, as the polynomial degree does on the sphere (where the degree-k harmonics
are the degree-k polynomials orthogonal to all lower degrees):

* :func:`affine_nonlinearity` -- ``1 - R^2`` of the best affine fit of a function on the inputs
  (:func:`affine_basis`), the fraction of its mean square outside the degree <= 1 polynomials (0 for
  degree 1, the lowest frequency);
* :func:`polynomial_probes` -- random degree-k polynomials of the leading principal components,
  orthogonal on the sample to every affine function of the input and to every lower-degree polynomial of
  those components: degree-k functions of the data, built without the kernel;
* :func:`degree_shares` -- each layer's share of the kernel's quadratic form along those probes,
  ``y^T K_l y / y^T K y``, per degree (a :class:`DegreeShares`, with intervals for its steps in k);
* :func:`rank_correlation` -- Spearman's rank correlation with a bootstrap interval.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy import stats as scipy_stats

from ...runtime import lapack_one_thread
from ...validation import check_in_range, check_int, check_rng

__all__ = [
    "affine_basis",
    "affine_nonlinearity",
    "principal_components",
    "polynomial_probes",
    "DegreeShares",
    "degree_shares",
    "rank_correlation",
]


def _inputs(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite (n, D) array with n >= 2, got shape {X.shape}")
    return X


def _orth(A):
    """An orthonormal basis of the columns of A (SVD, dropping directions below 1e-10 of the largest)."""
    with lapack_one_thread():
        U, s, _ = np.linalg.svd(A, full_matrices=False)
    return U[:, s > 1e-10 * s[0]]


def affine_basis(X: ArrayLike) -> np.ndarray:
    """An orthonormal basis, on the sample, of the affine functions of the input (the degree <= 1 polynomials).

    The span of ``[1, X]`` when ``D + 1 <= n / 4``; otherwise (few points in a high dimension, where every
    function on the sample would be affine) the span of ``[1, Z]`` with ``Z`` the leading ``floor(n / 4)``
    principal components (:func:`principal_components`). Directions of zero variance (e.g. pixels that are
    constant over the data) are dropped.

    Parameters
    ----------
    X : array_like, shape (n, D)
        The inputs, n >= 8.

    Returns
    -------
    numpy.ndarray, shape (n, a)
        Orthonormal columns, ``a <= min(D, floor(n / 4)) + 1``.
    """
    X = _inputs(X)
    n, D = X.shape
    if n < 8:
        raise ValueError(f"need at least 8 points to separate affine from nonlinear functions, got n = {n}")
    lin = X if D + 1 <= n // 4 else principal_components(X, n // 4)
    return _orth(np.hstack([np.ones((n, 1)), lin]))


def affine_nonlinearity(X: ArrayLike, F: ArrayLike) -> np.ndarray:
    """Fraction of each function's mean square that no affine function of the input explains: ``1 - R^2``.

    For a column ``f`` of ``F``, with ``P_A`` the orthogonal projection onto the affine functions of the
    input (:func:`affine_basis`), ``nu(f) = |f - P_A f|^2 / |f|^2`` (uncentred, so a constant has
    ``nu = 0``). Degree <= 1 polynomials, the lowest frequencies on the sphere, have ``nu = 0``; a function
    orthogonal to all of them has ``nu = 1``. With n points and D inputs a function independent of ``X``
    has ``nu`` about ``1 - (D + 1) / n``.

    Parameters
    ----------
    X : array_like, shape (n, D)
        The inputs.
    F : array_like, shape (n,) or (n, m)
        Functions on the n points (e.g. eigenvectors of a Gram matrix), none identically zero.

    Returns
    -------
    numpy.ndarray, shape (m,) (a float array of shape () for one function)
        ``nu`` of each column, in [0, 1].
    """
    X = _inputs(X)
    F = np.asarray(F, dtype=float)
    one = F.ndim == 1
    F2 = F[:, None] if one else F
    if F2.ndim != 2 or F2.shape[0] != X.shape[0] or not np.isfinite(F2).all():
        raise ValueError(f"F must be finite, (n,) or (n, m) with n = {X.shape[0]} rows of X, got shape {F.shape}")
    norm2 = (F2**2).sum(axis=0)
    if np.any(norm2 == 0):
        raise ValueError("a column of F is identically zero; its nonlinearity is undefined")
    Q = affine_basis(X)
    nu = np.clip(((F2 - Q @ (Q.T @ F2)) ** 2).sum(axis=0) / norm2, 0.0, 1.0)
    return nu[0] if one else nu


def principal_components(X: ArrayLike, r: int) -> np.ndarray:
    """The leading ``r`` principal components of ``X``, whitened: ``Z = sqrt(n) U_{:, :r}`` with ``X - mean = U S W^T``.

    Parameters
    ----------
    X : array_like, shape (n, D)
        The inputs.
    r : int
        Number of components, 1 <= r <= min(n - 1, D).

    Returns
    -------
    numpy.ndarray, shape (n, r)
        Columns of mean 0 and mean square 1, orthogonal on the sample (signs as the SVD gives them).
    """
    X = _inputs(X)
    n, D = X.shape
    r = check_int(r, "r", minimum=1, maximum=min(n - 1, D))
    with lapack_one_thread():
        U, s, _ = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    if s[r - 1] <= 1e-12 * s[0]:
        raise ValueError(f"X has fewer than r = {r} non-degenerate principal components")
    return np.sqrt(n) * U[:, :r]


def _monomials(Z, degree):
    """All monomials of exact degree ``degree`` in the columns of Z, shape (n, C(r + degree - 1, degree))."""
    cols = [np.prod(Z[:, list(c)], axis=1) for c in itertools.combinations_with_replacement(range(Z.shape[1]), degree)]
    return np.stack(cols, axis=1)


def polynomial_probes(
    X: ArrayLike, degree: int, *, n_probes: int, n_components: int, rng: np.random.Generator
) -> np.ndarray:
    """Random degree-k functions of the data, built from the inputs alone.

    With ``Z`` the ``r = n_components`` whitened principal components (:func:`principal_components`), probe p
    is the product of k random linear forms, ``prod_{j=1..k} Z a_{jp}`` (Gaussian ``a``), made orthogonal on
    the sample to the lower degrees: to every affine function of ``X`` (:func:`affine_basis`) and to every
    monomial of ``Z`` of degree 2 .. k-1 (for k = 1, to the constants), then scaled to mean square 1. On
    the sphere the same construction with all input coordinates gives the degree-k spherical harmonics;
    restricting the higher degrees to ``r`` components keeps the lower-degree space, of dimension at most
    ``a + C(r + k - 1, k - 1) - 1 - r`` (``a`` that of the affine functions), below n / 2.

    Parameters
    ----------
    X : array_like, shape (n, D)
        The inputs.
    degree : int
        k >= 1.
    n_probes : int
        Number of random probes, >= 1.
    n_components : int
        r, 1 <= r <= min(n - 1, D).
    rng : numpy.random.Generator
        Source of the directions ``a``.

    Returns
    -------
    numpy.ndarray, shape (n, n_probes)
        The probes, each of mean square 1 on the sample.
    """
    X = _inputs(X)
    n = X.shape[0]
    k = check_int(degree, "degree", minimum=1)
    n_probes = check_int(n_probes, "n_probes", minimum=1)
    rng = check_rng(rng)
    Z = principal_components(X, n_components)
    r = Z.shape[1]
    low = [np.ones((n, 1))] if k == 1 else [affine_basis(X)] + [_monomials(Z, j) for j in range(2, k)]
    Q = _orth(np.hstack(low))
    if Q.shape[1] > n // 2:
        raise ValueError(
            f"degree {k} with {r} components needs {Q.shape[1]} lower-degree functions for {n} points: "
            "use more points, fewer components or a lower degree (at most n/2 functions)"
        )
    a = rng.standard_normal((k, r, n_probes))
    Y = np.prod(np.einsum("nr,krp->knp", Z, a), axis=0)
    Y = Y - Q @ (Q.T @ Y)
    return Y / np.sqrt(np.mean(Y**2, axis=0))


@dataclass(frozen=True)
class DegreeShares:
    """Per-layer shares of the kernel along degree-k probes (output of :func:`degree_shares`).

    ``degrees`` (K,); ``shares`` (K, L, P): ``y_p^T K_l y_p / y_p^T K y_p`` for probe p of degree ``degrees[i]``;
    ``rates`` (K, P): ``y_p^T K y_p / (n |y_p|^2)``, the kernel's rate along the probe (comparable to the
    eigenvalues of ``K / n``).
    """

    degrees: np.ndarray
    shares: np.ndarray
    rates: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Mean share over the probes of each degree, shape (L, K)."""
        return self.shares.mean(axis=2).T

    def steps(self, layer: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Steps of the mean share of ``layer`` from one degree to the next, with Welch intervals.

        ``step_i = mean_{i+1} - mean_i`` (independent probes at each degree), interval ``step_i -/+ t se_i``
        with ``se_i^2 = s_i^2 / P + s_{i+1}^2 / P`` and Welch's degrees of freedom. ``layer``: 0-based, -1 for
        the readout; ``level`` in (0, 1). Returns ``(step, lo, hi)``, each shape (K-1,).
        """
        L, P = self.shares.shape[1], self.shares.shape[2]
        layer = check_int(layer, "layer", minimum=-L, maximum=L - 1)
        level = check_in_range(level, "level", 0.0, 1.0, low_open=True, high_open=True)
        if P < 2 or self.degrees.size < 2:
            raise ValueError("steps need at least two degrees and two probes per degree")
        s = self.shares[:, layer, :]
        m, v = s.mean(axis=1), s.var(axis=1, ddof=1) / P
        step, var = np.diff(m), v[1:] + v[:-1]
        df = var**2 / ((v[1:] ** 2 + v[:-1] ** 2) / (P - 1) + 1e-300)
        half = scipy_stats.t.ppf(0.5 + level / 2, np.maximum(df, 1.0)) * np.sqrt(var)
        return step, step - half, step + half


def degree_shares(
    grams: ArrayLike | torch.Tensor,
    X: ArrayLike,
    degrees: ArrayLike,
    *,
    n_probes: int,
    n_components: int,
    rng: np.random.Generator,
) -> DegreeShares:
    """Each layer's share of the kernel along random degree-k probes of the data (:func:`polynomial_probes`).

    ``s_k^(l) = y^T K_l y / y^T K y`` for probes ``y`` of degree k, ``K = sum_l K_l``: the data analogue of the
    share of degree k on the sphere, with the degree defined by the inputs, not by the kernel. In the kernel
    regime it is layer l's share of the initial rate of decrease of the training loss on the target ``y``.

    Parameters
    ----------
    grams : array_like or torch.Tensor, shape (L, n, n)
        Per-layer Gram matrices on the points ``X`` (positive semi-definite, summing to a definite one).
    X : array_like, shape (n, D)
        The inputs.
    degrees : array_like of int, shape (K,)
        Distinct degrees >= 1.
    n_probes, n_components, rng
        As in :func:`polynomial_probes` (the degrees draw from ``rng`` in turn).

    Returns
    -------
    DegreeShares
    """
    G = grams.double().cpu().numpy() if isinstance(grams, torch.Tensor) else np.asarray(grams, dtype=float)
    X = _inputs(X)
    if G.ndim != 3 or G.shape[1] != G.shape[2] or G.shape[1] != X.shape[0]:
        raise ValueError(f"grams must be (L, n, n) with n = {X.shape[0]} rows of X, got shape {G.shape}")
    degs = np.asarray(degrees)
    if degs.ndim != 1 or degs.size < 1 or len(set(degs.tolist())) != degs.size:
        raise ValueError(f"degrees must be a 1-D list of distinct degrees, got {degrees!r}")
    shares, rates = [], []
    for k in degs:
        Y = polynomial_probes(X, int(k), n_probes=n_probes, n_components=n_components, rng=rng)
        q = ((G @ Y) * Y[None]).sum(axis=1)  # (L, P)
        tot = q.sum(axis=0)
        if np.any(tot <= 0):
            raise ValueError(
                "the summed Gram matrix is not positive along a probe; grams must sum to a definite matrix"
            )
        shares.append(q / tot)
        rates.append(tot / (X.shape[0] * (Y**2).sum(axis=0)))
    return DegreeShares(degrees=degs.astype(int), shares=np.stack(shares), rates=np.stack(rates))


def rank_correlation(
    x: ArrayLike, y: ArrayLike, *, rng: np.random.Generator, n_boot: int = 1000, level: float = 0.95
) -> tuple[float, float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` with a percentile bootstrap interval over the pairs.

    ``rho`` = Pearson correlation of the ranks (average ranks for ties); the interval holds the central
    ``level`` of ``rho`` over ``n_boot`` resamplings of the pairs with replacement.

    Parameters
    ----------
    x, y : array_like, shape (m,)
        Paired finite values, m >= 3, neither constant.
    rng : numpy.random.Generator
        Source of the resamplings.
    n_boot : int
        Number of resamplings, >= 10.
    level : float
        In (0, 1).

    Returns
    -------
    (rho, lo, hi) : tuple of float
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 3 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"x and y must be finite 1-D arrays of equal length >= 3, got shapes {x.shape} and {y.shape}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("x and y must not be constant; their rank correlation is undefined")
    rng = check_rng(rng)
    n_boot = check_int(n_boot, "n_boot", minimum=10)
    level = check_in_range(level, "level", 0.0, 1.0, low_open=True, high_open=True)
    rho = float(scipy_stats.spearmanr(x, y)[0])
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    rx = scipy_stats.rankdata(x[idx], axis=1)
    ry = scipy_stats.rankdata(y[idx], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    boot = np.where(den > 0, (rx * ry).sum(axis=1) / np.where(den > 0, den, 1.0), 0.0)
    lo, hi = np.quantile(boot, [0.5 - level / 2, 0.5 + level / 2])
    return rho, float(lo), float(hi)
