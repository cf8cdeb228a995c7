"""The ridge readout of Neural LoFi: ridge with intercept on features, or kernel ridge on a Gram matrix.

The penalty is chosen from a grid (:data:`DEFAULT_LAMS`), all penalties from one eigendecomposition: by
default by the exact leave-one-out error on the training set (as scikit-learn's ``RidgeCV`` does; no data is
held out), or by the error on a held-out set when one is given. :func:`fit_ridge` works on features ``F``
(n, p) (primal or dual, whichever is smaller), :func:`fit_kernel_ridge` on a Gram matrix ``K`` (n, n),
centred with :func:`center_gram` (the Gram matrix of the centred features) and :func:`center_gram_eval`
(test rows against the training points); :func:`ridge_closed_form` is the NumPy reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from .tensors import as_tensor, check_inputs, check_labels

__all__ = [
    "DEFAULT_LAMS",
    "RidgeFit",
    "check_penalties",
    "loo_mse",
    "ridge_closed_form",
    "fit_ridge",
    "center_gram",
    "center_gram_eval",
    "fit_kernel_ridge",
]

#: Ridge penalties ``lambda`` of ``(1/n)|y - F beta - b|^2 + lambda |beta|^2`` searched by default.
DEFAULT_LAMS: tuple[float, ...] = tuple(float(v) for v in np.logspace(-7, 1, 17))


@dataclass
class RidgeFit:
    """A ridge readout ``y_hat = F beta + b`` with its penalty chosen by leave-one-out or on held-out data.

    ``lams`` (m,) the grid, ``val_mse`` (m,) the selection error per penalty (the leave-one-out MSE on the
    training set when ``criterion == "loo"``, the MSE on the held-out set when ``"held-out"``), ``lam`` the
    chosen one.
    Primal: ``beta`` (p,); dual (kernel): ``alpha`` (n,) with ``y_hat(x) = k_c(x)^T alpha + b``.
    """

    lam: float
    lams: np.ndarray
    val_mse: np.ndarray
    intercept: float
    beta: torch.Tensor | None = None
    mean: torch.Tensor | None = None
    alpha: torch.Tensor | None = None
    kernel_means: tuple | None = None
    criterion: str = "loo"

    def predict(self, F: torch.Tensor) -> torch.Tensor:
        """Predictions for features ``F`` (n_eval, p) (primal fits only)."""
        if self.beta is None:
            raise ValueError("a kernel ridge fit predicts from a Gram matrix: use predict_kernel(K_eval)")
        return (F.to(self.beta.dtype) - self.mean) @ self.beta + self.intercept

    def predict_kernel(self, K_eval: torch.Tensor) -> torch.Tensor:
        """Predictions from the (n_eval, n_train) Gram matrix against the training points (dual fits)."""
        if self.alpha is None:
            raise ValueError("a primal ridge fit predicts from features: use predict(F)")
        return center_gram_eval(K_eval.to(self.alpha.dtype), *self.kernel_means) @ self.alpha + self.intercept


def check_penalties(lams: ArrayLike) -> np.ndarray:
    """The ridge penalty grid ``lams`` as a 1-D float array; ``ValueError`` unless non-empty, finite and ``>= 0``."""
    lams = np.atleast_1d(np.asarray(lams, dtype=float))
    if lams.size == 0 or np.any(~np.isfinite(lams)) or np.any(lams < 0):
        raise ValueError("ridge penalties must be a non-empty list of finite numbers >= 0")
    return lams


def loo_mse(y: torch.Tensor, fitted: torch.Tensor, leverage: torch.Tensor) -> torch.Tensor:
    """Exact leave-one-out MSE of linear smoothers ``y_hat = H y``, one per penalty.

    For ridge with a fixed penalty (and an unpenalised intercept) the prediction at point ``i`` of the fit
    without point ``i`` satisfies ``y_i - y_hat_(-i) = (y_i - y_hat_i) / (1 - H_ii)``, so every leave-one-out
    residual comes from the full fit. A point with ``H_ii = 1`` (interpolated) gives ``inf``.

    Parameters
    ----------
    y : torch.Tensor
        Labels, shape (n,).
    fitted : torch.Tensor
        In-sample predictions ``H y``, shape (n, m) for ``m`` penalties.
    leverage : torch.Tensor
        The diagonals ``H_ii``, shape (n, m).

    Returns
    -------
    torch.Tensor
        Shape (m,), ``mean_i ((y_i - y_hat_i) / (1 - H_ii))^2``.
    """
    slack = 1.0 - leverage
    res = torch.where(slack > 1e-12, (y[:, None] - fitted) / slack.clamp_min(1e-12), torch.inf)
    return (res**2).mean(0)


def _selection(y, fitted, leverage, pred_val, y_val):
    """The selection error per penalty: leave-one-out (``pred_val is None``) or held-out MSE; and its name."""
    if pred_val is None:
        return loo_mse(y, fitted, leverage), "loo"
    return ((pred_val - y_val[:, None]) ** 2).mean(0), "held-out"


def _check_pair(a, b, names):
    if (a is None) != (b is None):
        raise ValueError(f"give both {names[0]} and {names[1]} (held-out penalty) or neither (leave-one-out)")


def ridge_closed_form(F: ArrayLike, y: ArrayLike, lam: float) -> tuple[np.ndarray, float]:
    """Reference ridge with intercept by the normal equations (float64 NumPy; small problems).

    Minimises ``(1/n)|y - F beta - b 1|^2 + lam |beta|^2``: with ``F_c, y_c`` centred,
    ``beta = (F_c^T F_c + n lam I)^{-1} F_c^T y_c`` and ``b = mean(y) - mean(F) beta``.

    Parameters
    ----------
    F : array_like
        Features, shape (n, p).
    y : array_like
        Labels, shape (n,).
    lam : float
        The penalty ``lambda >= 0``.

    Returns
    -------
    beta : np.ndarray
        Shape (p,).
    b : float
        The intercept.
    """
    F = np.asarray(F, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = F.shape
    mu, ym = F.mean(0), y.mean()
    Fc = F - mu
    beta = np.linalg.solve(Fc.T @ Fc + n * lam * np.eye(p), Fc.T @ (y - ym))
    return beta, float(ym - mu @ beta)


def fit_ridge(
    F: torch.Tensor,
    y: ArrayLike,
    *,
    F_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    lams: ArrayLike = DEFAULT_LAMS,
) -> RidgeFit:
    """Ridge with intercept on features ``F`` (n, p), penalty chosen by leave-one-out or on ``(F_val, y_val)``.

    Objective ``(1/n)|y - F beta - b|^2 + lambda |beta|^2`` for every ``lambda`` in ``lams``, all from one
    eigendecomposition of the smaller of ``F_c^T F_c`` (p x p) and ``F_c F_c^T`` (n x n), in float64. Without
    a held-out set the penalty minimises the exact leave-one-out MSE (:func:`loo_mse`) with the hat matrix
    ``H = 1 1^T / n + F_c (F_c^T F_c + n lambda I)^{-1} F_c^T`` (scikit-learn's ``RidgeCV`` with
    ``alpha = n lambda``).

    Parameters
    ----------
    F : torch.Tensor
        Training features, shape (n, p); the fit runs on its device.
    y : array_like
        Training labels, shape (n,).
    F_val : array_like or torch.Tensor, optional
        Held-out features, shape (n_val, p); with ``y_val``, the penalty is chosen on them instead.
    y_val : array_like, optional
        Held-out labels, shape (n_val,).
    lams : array_like
        The penalty grid, shape (m,), finite and ``>= 0``.

    Returns
    -------
    RidgeFit
        The primal fit at the best penalty: ``beta`` (p,), ``mean`` (p,), ``val_mse`` (m,), ``criterion``.
    """
    lams = check_penalties(lams)
    _check_pair(F_val, y_val, ("F_val", "y_val"))
    F = check_inputs(F, "F", F.device, torch.float64)
    dev = F.device
    y = check_labels(y, F.shape[0], dev, torch.float64)
    held = F_val is not None
    if held:
        Fv = check_inputs(F_val, "F_val", dev, torch.float64, d=F.shape[1])
        yv = check_labels(y_val, Fv.shape[0], dev, torch.float64, "y_val")
    n, p = F.shape
    mu, ym = F.mean(0), y.mean()
    Fc, yc = F - mu, y - ym
    lam_t = torch.as_tensor(lams, dtype=torch.float64, device=dev)
    if p <= n:
        s, U = torch.linalg.eigh(Fc.T @ Fc)
        P = Fc @ U  # (n, p): the features in the eigenbasis
        inv = 1.0 / (s[None, :].clamp_min(0) + n * lam_t[:, None])  # (m, p)
        coef = (U.T @ (Fc.T @ yc))[None, :] * inv  # (m, p) in the eigenbasis
        fitted = P @ coef.T + ym  # (n, m)
        leverage = 1.0 / n + (P**2) @ inv.T
        pred_val = ((Fv - mu) @ U) @ coef.T + ym if held else None
    else:
        s, Q = torch.linalg.eigh(Fc @ Fc.T)
        s = s.clamp_min(0)
        coef = (Q.T @ yc)[None, :] / (s[None, :] + n * lam_t[:, None])  # (m, n)
        fitted = Q @ (s[None, :] * coef).T + ym
        leverage = 1.0 / n + (Q**2) @ (s[None, :] / (s[None, :] + n * lam_t[:, None])).T
        pred_val = ((Fv - mu) @ (Fc.T @ Q)) @ coef.T + ym if held else None
    mse, criterion = _selection(y, fitted, leverage, pred_val, yv if held else None)
    j = int(torch.argmin(mse))
    beta = U @ coef[j] if p <= n else Fc.T @ (Q @ coef[j])
    return RidgeFit(
        lam=float(lams[j]),
        lams=lams,
        val_mse=mse.cpu().numpy(),
        intercept=float(ym),
        beta=beta,
        mean=mu,
        criterion=criterion,
    )


def center_gram(K: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """The Gram matrix of the centred features: ``K_c = K - 1 r^T - r 1^T + a``.

    Parameters
    ----------
    K : torch.Tensor
        Shape (n, n), the Gram matrix ``Z Z^T`` of features ``Z`` (n, p) (or a kernel on the training points).

    Returns
    -------
    K_c : torch.Tensor
        Shape (n, n), ``(Z - mean Z)(Z - mean Z)^T``.
    (r, a) : tuple of torch.Tensor
        The column means ``r`` (n,) and the grand mean ``a`` (scalar), for :func:`center_gram_eval`.
    """
    r = K.mean(0)
    a = r.mean()
    return K - r[None, :] - r[:, None] + a, (r, a)


def center_gram_eval(Ke: torch.Tensor, r: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Rows ``K(x, X)`` (n_e, n) of evaluation points against the training points, centred like
    :func:`center_gram` (``(r, a)`` are its means): the inner products of the centred features, (n_e, n)."""
    return Ke - Ke.mean(1, keepdim=True) - r[None, :] + a


def fit_kernel_ridge(
    K: torch.Tensor | np.ndarray,
    y: ArrayLike,
    *,
    K_val: ArrayLike | None = None,
    y_val: ArrayLike | None = None,
    lams: ArrayLike = DEFAULT_LAMS,
    overwrite: bool = False,
    eig_max: int = 20000,
) -> RidgeFit:
    """Kernel ridge with intercept: the dual of :func:`fit_ridge` for a Gram matrix ``K`` (n, n).

    With ``K_c`` the Gram matrix of the centred features, ``alpha = (K_c + n lambda I)^{-1} y_c`` and
    ``y_hat(x) = k_c(x)^T alpha + mean(y)``. The penalty minimises the exact leave-one-out MSE (hat matrix
    ``1 1^T / n + K_c (K_c + n lambda I)^{-1}``, :func:`loo_mse`), or, given ``K_val`` (n_val, n) and ``y_val``,
    the held-out MSE. Identical to :func:`fit_ridge` when ``K = F F^T``. One eigendecomposition serves every
    penalty when ``n <= eig_max``; above, one Cholesky factorisation per penalty (less memory), which needs a
    held-out set.

    Parameters
    ----------
    K : torch.Tensor or np.ndarray
        The training Gram matrix, shape (n, n); the fit runs on its device (a tensor's) or the CPU.
    y : array_like
        Training labels, shape (n,).
    K_val : array_like or torch.Tensor, optional
        Held-out rows against the training points, shape (n_val, n); with ``y_val``, the penalty is chosen
        on them instead of by leave-one-out.
    y_val : array_like, optional
        Held-out labels, shape (n_val,).
    lams : array_like
        The penalty grid, shape (m,), finite and ``>= 0``.
    overwrite : bool
        Centre a float64 tensor ``K`` in place (no copy of an n x n matrix).
    eig_max : int
        The largest ``n`` solved by one eigendecomposition.

    Returns
    -------
    RidgeFit
        The dual fit at the best penalty: ``alpha`` (n,), ``kernel_means``, ``val_mse`` (m,), ``criterion``.
    """
    lams = check_penalties(lams)
    _check_pair(K_val, y_val, ("K_val", "y_val"))
    held = K_val is not None
    owned = isinstance(K, torch.Tensor) and K.dtype == torch.float64 and overwrite
    K = as_tensor(K, None if not isinstance(K, torch.Tensor) else K.device, torch.float64)
    dev = K.device
    n = K.shape[0]
    if K.shape != (n, n):
        raise ValueError(f"K must be square (n, n), got {tuple(K.shape)}")
    if not held and n > eig_max:
        raise ValueError(
            f"leave-one-out needs n <= eig_max = {eig_max} training points, got n = {n}: "
            "pass K_val and y_val (held-out penalty) or raise eig_max"
        )
    y = check_labels(y, n, dev, torch.float64)
    if held:
        Kv = as_tensor(K_val, dev, torch.float64)
        if Kv.ndim != 2 or Kv.shape[1] != n:
            raise ValueError(f"K_val must be (n_val, n) with n = {n} training points, got shape {tuple(Kv.shape)}")
        yv = check_labels(y_val, Kv.shape[0], dev, torch.float64, "y_val")
    r = K.mean(0)
    a = r.mean()
    means = (r, a)
    Kc = K if owned else K.clone()
    Kc -= r[None, :]
    Kc -= r[:, None]
    Kc += a
    Kvc = center_gram_eval(Kv, *means) if held else None
    ym = y.mean()
    yc = y - ym
    if n <= eig_max:
        s, Q = torch.linalg.eigh(Kc)
        s = s.clamp_min(0)
        g = Q.T @ yc
        lam_t = torch.as_tensor(lams, dtype=torch.float64, device=dev)
        coef = g[None, :] / (s[None, :] + n * lam_t[:, None])
        if held:
            mse, criterion = _selection(y, None, None, (Kvc @ Q) @ coef.T + ym, yv)
        else:
            fitted = Q @ (s[None, :] * coef).T + ym
            leverage = 1.0 / n + (Q**2) @ (s[None, :] / (s[None, :] + n * lam_t[:, None])).T
            mse, criterion = _selection(y, fitted, leverage, None, None)
        j = int(torch.argmin(mse))
        alpha = Q @ coef[j]
    else:
        criterion = "held-out"
        mse, alphas = [], []
        diag = Kc.diagonal()
        for lam in lams:
            diag += n * lam
            Lc, info = torch.linalg.cholesky_ex(Kc)
            diag -= n * lam
            if int(info) != 0:
                mse.append(float("inf"))
                alphas.append(None)
                continue
            al = torch.cholesky_solve(yc[:, None], Lc)[:, 0]
            del Lc
            mse.append(float(((Kvc @ al + ym - yv) ** 2).mean()))
            alphas.append(al)
        mse = torch.as_tensor(mse)
        j = int(torch.argmin(mse))
        alpha = alphas[j]
    return RidgeFit(
        lam=float(lams[j]),
        lams=lams,
        val_mse=mse.cpu().numpy(),
        intercept=float(ym),
        alpha=alpha,
        kernel_means=means,
        criterion=criterion,
    )
