"""Neural LoFi at infinite width (the *kernel form*): NNGP Gram -> dual filter -> explicit features -> ridge.

The filter depends on the lifted features ``Z`` only through ``G = Z Z^T`` (n x n): it is the top-``k``
eigenvectors ``B`` of ``M = G^{1/2} diag(w) G^{1/2}``, the dual coefficients ``A = G^{-1/2} B`` and the features
``F = G A = G^{1/2} B`` (train) and ``K(x, X) A`` (test) (:func:`kernel_filter`). With ``G = Z Z^T`` this is an
exact identity with the finite-width filter: ``Z V = G^{1/2} B`` column by column up to sign, and
``eig(C) = eig(M) / n`` (:func:`lofi_features_dual`). Replacing ``G`` by the ``p -> infinity`` limit of the lift,
its NNGP Gram matrix (:func:`nngp_gram`), gives kernel LoFi (:class:`KernelLoFi`); without any filter the
recursion is the deep NNGP kernel (:func:`deep_nngp`), the lazy limit of a random-feature network.

Closed forms (:data:`KERNEL_ACTIVATIONS`): ``relu`` (arc-cosine) and ``erf``. Everything here is float64 NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from ..kernels import ERF_SCALE, dual_activation
from ..validation import check_choice, check_int
from .filtering import order_by_abs
from .lift import check_activation
from .ridge import DEFAULT_LAMS, RidgeFit, center_gram, center_gram_eval, check_penalties, fit_kernel_ridge, fit_ridge
from .tensors import check_inputs

__all__ = [
    "KERNEL_ACTIVATIONS",
    "dual_gram",
    "nngp_gram",
    "deep_nngp",
    "dual_gram_dot",
    "deep_ntk",
    "KERNELS",
    "KernelFilter",
    "kernel_filter",
    "lofi_features_dual",
    "KernelLoFi",
]

#: The activations whose lift has a closed-form NNGP kernel here.
KERNEL_ACTIVATIONS: tuple[str, ...] = ("relu", "erf")

#: The kernels of the unfiltered layers of :class:`KernelLoFi`: the deep NNGP (:func:`deep_nngp`, a random
#: network with a trained readout) or the deep NTK (:func:`deep_ntk`, every layer trained, lazily).
KERNELS: tuple[str, ...] = ("nngp", "ntk")


def dual_gram(K12: np.ndarray, q1: np.ndarray, q2: np.ndarray, activation: str) -> np.ndarray:
    """The NNGP map of one lift on scaled inner products: ``E_w[sigma(u) sigma(u')]`` for a centred Gaussian pair
    ``(u, u')`` with covariance ``K12`` and variances ``q1``, ``q2``.

    Parameters
    ----------
    K12 : ndarray
        Shape (n1, n2), the covariances ``<h, h'> / c^2``.
    q1, q2 : ndarray
        Shapes (n1,) and (n2,), the variances ``|h|^2 / c^2`` of the rows and of the columns.
    activation : {"relu", "erf"}
        relu: ``sqrt(q q') (sqrt(1 - rho^2) + (pi - arccos rho) rho) / pi`` with ``rho = K12 / sqrt(q q')``;
        erf: ``(2/pi) arcsin(2 a^2 K12 / sqrt((1 + 2 a^2 q)(1 + 2 a^2 q')))``, ``a = ERF_SCALE``.

    Returns
    -------
    ndarray
        Shape (n1, n2), float64.
    """
    if activation == "relu":
        s = np.sqrt(np.outer(q1, q2))
        rho = np.divide(K12, s, out=np.zeros_like(K12), where=s > 0)
        V, _ = dual_activation("relu", 1.0, np.clip(rho, -1.0, 1.0))
        return s * V
    if activation == "erf":
        a2 = ERF_SCALE**2
        den = np.sqrt(np.outer(1 + 2 * a2 * q1, 1 + 2 * a2 * q2))
        return (2 / math.pi) * np.arcsin(np.clip(2 * a2 * K12 / den, -1.0, 1.0))
    raise ValueError(f"the kernel form has closed forms for {KERNEL_ACTIVATIONS} only, got {activation!r}")


def _dual_diag(q: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return q.copy()
    a2 = ERF_SCALE**2
    return (2 / math.pi) * np.arcsin(2 * a2 * q / (1 + 2 * a2 * q))


def dual_gram_dot(K12: np.ndarray, q1: np.ndarray, q2: np.ndarray, activation: str) -> np.ndarray:
    """The derivative kernel of one lift: ``E_w[sigma'(u) sigma'(u')]`` for the Gaussian pair of :func:`dual_gram`
    (it is ``d dual_gram / d K12``).

    relu (``sqrt(2) max(z, 0)``): ``(pi - arccos rho) / pi``; erf (``erf(a z)``):
    ``(4 a^2 / pi) / sqrt((1 + 2a^2 q)(1 + 2a^2 q') - 4 a^4 K12^2)``.

    Parameters
    ----------
    K12 : ndarray
        Shape (n1, n2), the covariances.
    q1, q2 : ndarray
        Shapes (n1,) and (n2,), the variances.
    activation : {"relu", "erf"}
        The lift's activation.

    Returns
    -------
    ndarray
        Shape (n1, n2), float64.
    """
    if activation == "relu":
        s = np.sqrt(np.outer(q1, q2))
        rho = np.divide(K12, s, out=np.zeros_like(K12), where=s > 0)
        return (math.pi - np.arccos(np.clip(rho, -1.0, 1.0))) / math.pi
    if activation == "erf":
        a2 = ERF_SCALE**2
        den2 = np.outer(1 + 2 * a2 * q1, 1 + 2 * a2 * q2)
        return (4 * a2 / math.pi) / np.sqrt(np.maximum(den2 - 4 * a2**2 * K12**2, 1e-300))
    raise ValueError(f"the kernel form has closed forms for {KERNEL_ACTIVATIONS} only, got {activation!r}")


def nngp_gram(
    H1: ArrayLike, H2: ArrayLike | None = None, *, activation: str = "relu", scale2: float | None = None
) -> np.ndarray:
    """NNGP Gram matrix of one lift: ``K(h, h') = E_w[sigma(w.h/c) sigma(w.h'/c)]``, ``w ~ N(0, I)``.

    relu: ``sqrt(q q') (sqrt(1 - rho^2) + (pi - arccos rho) rho) / pi``; erf:
    ``(2/pi) arcsin(2 a^2 <h,h'>/c^2 / sqrt((1 + 2a^2 q)(1 + 2a^2 q')))``, with ``q = |h|^2/c^2``. It is the
    limit of ``Z(H1) Z(H2)^T`` for a :class:`RandomLift` of width ``p -> infinity``.

    Parameters
    ----------
    H1 : array_like
        Shape (n1, m).
    H2 : array_like, optional
        Shape (n2, m); default ``H1``.
    activation : {"relu", "erf"}
        The lift's activation.
    scale2 : float, optional
        ``c^2 > 0``; default the mean squared norm of the rows of ``H1``.

    Returns
    -------
    np.ndarray
        Shape (n1, n2), float64.
    """
    H1 = np.asarray(H1, dtype=np.float64)
    H2 = H1 if H2 is None else np.asarray(H2, dtype=np.float64)
    if H1.ndim != 2 or H2.ndim != 2 or H1.shape[1] != H2.shape[1]:
        raise ValueError(f"H1 and H2 must be (n1, m) and (n2, m) with the same m, got shapes {H1.shape} and {H2.shape}")
    act = check_activation(activation)
    c2 = float((H1**2).sum(1).mean()) if scale2 is None else float(scale2)
    if not c2 > 0:
        raise ValueError("the scale c^2 must be > 0")
    K12 = (torch.as_tensor(H1) @ torch.as_tensor(H2).T).numpy()
    return dual_gram(K12 / c2, (H1**2).sum(1) / c2, (H2**2).sum(1) / c2, act)


def deep_nngp(
    X: ArrayLike, X_eval: ArrayLike, *, depth: int, activation: str = "relu"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deep NNGP kernel of an unfiltered random-feature network (the lazy limit of Neural LoFi).

    ``K_1 = kappa(X X^T / c_0^2)`` and ``K_{l+1} = kappa(K_l / c_l^2)`` with ``c_l^2`` the mean training
    diagonal of ``K_l`` (the finite network's ``c_l``), ``kappa`` the dual activation of :func:`nngp_gram`.

    Parameters
    ----------
    X : array_like
        Training inputs, shape (n, d).
    X_eval : array_like
        Evaluation inputs, shape (n_e, d).
    depth : int
        The number of lifts ``L >= 1``.
    activation : {"relu", "erf"}
        The lifts' activation.

    Returns
    -------
    K_train : np.ndarray
        Shape (n, n).
    K_eval : np.ndarray
        Shape (n_e, n), evaluation rows against the training points.
    diag_eval : np.ndarray
        Shape (n_e,), ``K(x, x)`` at the evaluation points.
    """
    depth = check_int(depth, "depth", minimum=1)
    act = check_activation(activation)
    X = np.asarray(X, dtype=np.float64)
    Xe = np.asarray(X_eval, dtype=np.float64)
    if X.ndim != 2 or Xe.ndim != 2 or X.shape[0] == 0 or X.shape[1] != Xe.shape[1]:
        raise ValueError(f"X and X_eval must be (n, d) and (n_e, d) with n >= 1, got shapes {X.shape} and {Xe.shape}")
    c2 = float((X**2).sum(1).mean())
    if not (math.isfinite(c2) and c2 > 0):
        raise ValueError(f"X must be finite and not all zero (the scale c^2 = mean |x|^2 must be > 0), got c^2 = {c2}")
    Xt = torch.as_tensor(X)
    K, Ke, de = (Xt @ Xt.T).numpy() / c2, (torch.as_tensor(Xe) @ Xt.T).numpy() / c2, (Xe**2).sum(1) / c2
    for _ in range(depth):
        d = np.diag(K).copy()
        K, Ke, de = dual_gram(K, d, d, act), dual_gram(Ke, de, d, act), _dual_diag(de, act)
        c2 = float(np.diag(K).mean())
        K, Ke, de = K / c2, Ke / c2, de / c2
    return K * c2, Ke * c2, de * c2


def deep_ntk(
    X: ArrayLike, X_eval: ArrayLike, *, depth: int, activation: str = "relu"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deep NTK of the same network as :func:`deep_nngp` with every layer trained (the lazy limit of training
    all weights, not only the readout).

    With ``S_1 = X X^T / c_0^2`` the first pre-activation covariance, ``K_l = kappa(S_l)``,
    ``Kdot_l = kappa_dot(S_l)`` (:func:`dual_gram`, :func:`dual_gram_dot`) and ``S_{l+1} = K_l / c_l^2``:
    ``Theta_1 = S_1``, ``Theta_{l+1} = S_{l+1} + Theta_l * Kdot_l / c_l^2`` (elementwise) and the NTK of the
    output ``f = beta . h_L`` is ``Theta = K_L + Theta_L * Kdot_L``. On unit-norm inputs with ``relu`` it is
    :func:`lofi_utils.kernels.ntk` at ``depth + 1`` weight layers.

    Parameters
    ----------
    X : array_like
        Training inputs, shape (n, d).
    X_eval : array_like
        Evaluation inputs, shape (n_e, d).
    depth : int
        The number of hidden layers (lifts) ``L >= 1``.
    activation : {"relu", "erf"}
        The lifts' activation.

    Returns
    -------
    K_train : np.ndarray
        Shape (n, n).
    K_eval : np.ndarray
        Shape (n_e, n), evaluation rows against the training points.
    diag_eval : np.ndarray
        Shape (n_e,), ``Theta(x, x)`` at the evaluation points.
    """
    depth = check_int(depth, "depth", minimum=1)
    act = check_activation(activation)
    X = np.asarray(X, dtype=np.float64)
    Xe = np.asarray(X_eval, dtype=np.float64)
    if X.ndim != 2 or Xe.ndim != 2 or X.shape[0] == 0 or X.shape[1] != Xe.shape[1]:
        raise ValueError(f"X and X_eval must be (n, d) and (n_e, d) with n >= 1, got shapes {X.shape} and {Xe.shape}")
    c2 = float((X**2).sum(1).mean())
    if not (math.isfinite(c2) and c2 > 0):
        raise ValueError(f"X must be finite and not all zero (the scale c^2 = mean |x|^2 must be > 0), got c^2 = {c2}")
    Xt = torch.as_tensor(X)
    S, Se, se = (Xt @ Xt.T).numpy() / c2, (torch.as_tensor(Xe) @ Xt.T).numpy() / c2, (Xe**2).sum(1) / c2
    T, Te, te = S.copy(), Se.copy(), se.copy()
    for l in range(depth):
        d = np.diag(S).copy()
        K, Ke, ke = dual_gram(S, d, d, act), dual_gram(Se, se, d, act), _dual_diag(se, act)
        Kd, Kde = dual_gram_dot(S, d, d, act), dual_gram_dot(Se, se, d, act)
        # E[sigma'(u)^2]: 1 for relu; (4a^2/pi) / sqrt(1 + 4a^2 q) for erf (dual_gram_dot at K12 = q1 = q2 = q)
        kde = np.ones_like(se) if act == "relu" else (4 * ERF_SCALE**2 / math.pi) / np.sqrt(1 + 4 * ERF_SCALE**2 * se)
        if l == depth - 1:  # the readout: Theta = K_L + Theta_L * Kdot_L
            return K + T * Kd, Ke + Te * Kde, ke + te * kde
        c2 = float(np.diag(K).mean())
        S, Se, se = K / c2, Ke / c2, ke / c2
        T, Te, te = S + T * Kd / c2, Se + Te * Kde / c2, se + te * kde / c2
    raise AssertionError("unreachable")


@dataclass
class KernelFilter:
    """The kernel-form filter of one layer.

    ``A`` (n, k) dual coefficients (``A^T G A = I``), ``B`` (n, k) eigenvectors of ``M``, ``values`` (k,)
    the eigenvalues of ``M`` divided by ``n`` (those of the finite-width ``C``), ``F`` (n, k) the training
    features ``G A = G^{1/2} B``. Test features: ``K(x, X_train) A``.
    """

    A: np.ndarray
    B: np.ndarray
    values: np.ndarray
    F: np.ndarray
    all_values: np.ndarray


def kernel_filter(G: ArrayLike, y: ArrayLike, k: int, *, center_y: bool = True, rcond: float = 1e-10) -> KernelFilter:
    """Top-``k`` filter in the dual: eigenvectors of ``M = G^{1/2} diag(w) G^{1/2}`` by ``|lambda|``.

    ``G^{1/2}`` clips negative eigenvalues at 0; ``G^{-1/2}`` is the pseudo-inverse (eigenvalues below
    ``rcond * max`` dropped).

    Parameters
    ----------
    G : array_like
        A PSD Gram matrix, shape (n, n), finite.
    y : array_like
        Labels, shape (n,).
    k : int
        The rank, ``1 <= k <= n``.
    center_y : bool
        Weights ``w = y - mean(y)``; ``False``: ``w = y``.
    rcond : float
        Relative cut-off of the pseudo-inverse ``G^{-1/2}``.

    Returns
    -------
    KernelFilter
        ``A``, ``B``, ``F`` (n, k), ``values`` (k,), ``all_values`` (n,), float64.
    """
    G = np.asarray(G, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n = G.shape[0]
    if G.shape != (n, n) or y.shape[0] != n:
        raise ValueError(f"G must be (n, n) and y (n,), got {G.shape} and {y.shape}")
    if not (np.all(np.isfinite(G)) and np.all(np.isfinite(y))):
        raise ValueError("G and y must be finite, got NaN or inf entries")
    k = check_int(k, "rank k", minimum=1)
    if k > n:
        raise ValueError(f"rank k={k} exceeds the number of samples n={n}")
    w = torch.as_tensor(y - y.mean() if center_y else y)
    Gt = torch.as_tensor(G)
    D, Q = torch.linalg.eigh((Gt + Gt.T) / 2)
    D = D.clamp_min(0.0)
    sq = D.sqrt()
    keep = D > rcond * D.max()
    isq = torch.where(keep, 1.0 / torch.where(keep, sq, torch.ones_like(sq)), torch.zeros_like(sq))
    G_half = (Q * sq) @ Q.T
    M = G_half @ (w[:, None] * G_half)
    vals, vecs = torch.linalg.eigh((M + M.T) / 2)
    order = order_by_abs(vals)
    B = vecs[:, order[:k]]
    A = (Q * isq) @ (Q.T @ B)
    return KernelFilter(
        A=A.numpy(),
        B=B.numpy(),
        values=(vals[order[:k]] / n).numpy(),
        F=(G_half @ B).numpy(),
        all_values=(vals[order] / n).numpy(),
    )


def lofi_features_dual(Z: ArrayLike, y: ArrayLike, k: int, *, center_y: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Filtered training features from the Gram matrix ``G = Z Z^T`` only (the dual route).

    Equals ``Z V`` of the primal filter up to column signs (:func:`kernel_filter`).

    Parameters
    ----------
    Z : array_like
        Lifted features, shape (n, p).
    y : array_like
        Labels, shape (n,).
    k : int
        The rank, ``1 <= k <= n``.
    center_y : bool
        Weights ``w = y - mean(y)``; ``False``: ``w = y``.

    Returns
    -------
    F : np.ndarray
        ``G^{1/2} B``, shape (n, k).
    values : np.ndarray
        The eigenvalues of ``M`` divided by ``n``, shape (k,).
    """
    Z = np.asarray(Z, dtype=np.float64)
    kf = kernel_filter(Z @ Z.T, y, k, center_y=center_y)
    return kf.F, kf.values


class KernelLoFi:
    """Neural LoFi at infinite width: NNGP Gram -> dual filter -> explicit features -> ... -> kernel ridge.

    ``ranks`` (L,): ``k_l`` or ``None``. A filtered layer turns its input features ``H`` into ``F = G A``
    (train) and ``K(x, X) A`` (test), ``G = nngp_gram(H)``; an unfiltered layer is a deep-NNGP step
    (:func:`deep_nngp`). The readout is kernel ridge on the last Gram matrix (or ridge on the last
    features when the last layer is filtered). ``activation`` in :data:`KERNEL_ACTIVATIONS`;
    ``center_z`` centres the features of filtered layers (as :class:`NeuralLoFi`). ``ranks = [None] * L``
    is the deep NNGP kernel ridge, the lazy baseline (``kernel="ntk"``: the deep NTK kernel ridge, the lazy
    limit of training every layer).

    Parameters
    ----------
    ranks : sequence of (int or None), length L
        Kept ranks ``k_l``; ``None`` (unfiltered) layers must come last.
    activation : {"relu", "erf"}
        The lifts' activation (:data:`KERNEL_ACTIVATIONS`).
    center_y : bool
        Weights ``w = y - mean(y)`` in the filters; ``False``: ``w = y``.
    center_z : bool
        ``False`` (default, as in the authors' code): the Gram matrices of the features as they are; ``True``:
        filtered layers use the Gram matrices of the centred features (the book's variant).
    lams : array_like
        The ridge penalty grid (default :data:`~lofi_utils.lofi.ridge.DEFAULT_LAMS`).
    kernel : {"nngp", "ntk"}
        The kernel of the unfiltered layers (:data:`KERNELS`): :func:`deep_nngp` or :func:`deep_ntk`.
    """

    def __init__(
        self,
        ranks: Sequence[int | None],
        *,
        activation: str = "relu",
        center_y: bool = True,
        center_z: bool = False,
        lams: ArrayLike = DEFAULT_LAMS,
        kernel: str = "nngp",
    ) -> None:
        """Check the options (see the class docstring); the filters are fitted by :meth:`fit_predict`."""
        self.ranks = list(ranks)
        if not self.ranks:
            raise ValueError("need at least one layer")
        self.activation = check_activation(activation)
        if self.activation not in KERNEL_ACTIVATIONS:
            raise ValueError(f"the kernel form has closed forms for {KERNEL_ACTIVATIONS} only")
        self.center_y, self.center_z, self.lams = bool(center_y), bool(center_z), check_penalties(lams)
        self.kernel = check_choice(kernel, "kernel", KERNELS)
        self.filters: list[KernelFilter | None] = []

    def _features(self, X, Xs, y):
        H, Hs = np.asarray(X, dtype=np.float64), [np.asarray(x, dtype=np.float64) for x in Xs]
        self.filters = []
        l = 0
        while l < len(self.ranks) and self.ranks[l] is not None:
            c2 = float((H**2).sum(1).mean())
            G = nngp_gram(H, activation=self.activation, scale2=c2)
            Ks = [nngp_gram(h, H, activation=self.activation, scale2=c2) for h in Hs]
            if self.center_z:  # features z - mean(z): the Gram matrices of the centred features
                Gt, (r, a) = center_gram(torch.as_tensor(G))
                G = Gt.numpy()
                Ks = [center_gram_eval(torch.as_tensor(K), r, a).numpy() for K in Ks]
            kf = kernel_filter(G, y, self.ranks[l], center_y=self.center_y)
            self.filters.append(kf)
            Hs = [K @ kf.A for K in Ks]
            H = kf.F
            l += 1
        rest = len(self.ranks) - l
        if any(r is not None for r in self.ranks[l:]):
            raise ValueError("KernelLoFi: the unfiltered (None) layers must come last")
        return H, Hs, rest

    def fit_predict(
        self,
        X: ArrayLike,
        y: ArrayLike,
        X_test: ArrayLike,
        *,
        X_val: ArrayLike | None = None,
        y_val: ArrayLike | None = None,
    ) -> tuple[np.ndarray, RidgeFit]:
        """Fit on ``(X, y)``, the penalty by leave-one-out (or on ``(X_val, y_val)``); return test predictions
        and the fit.

        Parameters
        ----------
        X : array_like
            Training inputs, shape (n, d).
        y : array_like
            Training labels, shape (n,).
        X_test : array_like
            Test inputs, shape (n_t, d).
        X_val : array_like, optional
            Held-out inputs, shape (n_v, d), for the penalty (give ``y_val`` too).
        y_val : array_like, optional
            Held-out labels, shape (n_v,).

        Returns
        -------
        predictions : np.ndarray
            Shape (n_t,), float64.
        fit : RidgeFit
            The readout (:attr:`filters` holds the fitted filters).
        """
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val (held-out penalty) or neither (leave-one-out)")
        d = check_inputs(X, "X", "cpu", torch.float64).shape[1]
        held = X_val is not None
        if held:
            check_inputs(X_val, "X_val", "cpu", torch.float64, d=d)
        check_inputs(X_test, "X_test", "cpu", torch.float64, d=d)
        y = np.asarray(y, dtype=np.float64)
        H, Hs, rest = self._features(X, [X_val, X_test] if held else [X_test], y)
        Hv, Ht = (Hs[0], Hs[1]) if held else (None, Hs[0])
        if rest == 0:
            Fv = torch.as_tensor(Hv) if held else None
            fit = fit_ridge(torch.as_tensor(H), y, F_val=Fv, y_val=y_val, lams=self.lams)
            return fit.predict(torch.as_tensor(Ht)).numpy(), fit
        deep = deep_ntk if self.kernel == "ntk" else deep_nngp
        K, Ke, _ = deep(H, np.concatenate(Hs), depth=rest, activation=self.activation)
        nv = Hv.shape[0] if held else 0
        fit = fit_kernel_ridge(K, y, K_val=Ke[:nv] if held else None, y_val=y_val, lams=self.lams)
        return fit.predict_kernel(torch.as_tensor(Ke[nv:])).numpy(), fit
