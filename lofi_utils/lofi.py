"""Neural LoFi: deep learning as iterated low-degree spectral filtering, layer by layer.

Each layer ``l`` (with ``h_0 = x``) does, without any back-propagation {cite}`dandi2026lofi`:

1. **scale**  ``c_l^2 = (1/n) sum_i |h_{l-1}(x_i)|^2`` (training set; frozen for test points);
2. **lift**   ``z_l(x) = p_l^{-1/2} sigma(W_l^T h_{l-1}(x) / c_l + b_l)``, ``W_l`` frozen with N(0, 1) entries
   (``b_l = 0`` as in the official code, or frozen N(0, bias^2) offsets);
3. **signed covariance** ``C_l = (1/n) Z_l^T diag(w) Z_l`` with ``w = y`` or ``w = y - mean(y)``;
4. **filter** ``V_l`` = the ``k_l`` eigenvectors of ``C_l`` of largest ``|lambda|`` (both signs count);
   optionally the degree-1 direction ``v_0 = Z_l^T w / |Z_l^T w|`` first, with ``C_l`` deflated against it;
5. **next representation** ``h_l(x) = V_l^T z_l(x)`` (``k_l = None``: no filter, ``h_l = z_l``: a
   random-feature layer).

A ridge readout with intercept, its penalty chosen on held-out data, is fitted on ``h_L``.

The *kernel form* (``p -> infinity``) replaces ``Z Z^T`` by the NNGP Gram matrix ``G`` of the layer:
the filter is the top-``k`` eigenvectors ``B`` of ``M = G^{1/2} diag(w) G^{1/2}``, the dual coefficients
``A = G^{-1/2} B`` and the features ``F = G A = G^{1/2} B`` (train) and ``K(x, X) A`` (test). With
``G = Z Z^T`` this is an exact identity with the finite-width filter: ``Z V = G^{1/2} B`` column by
column up to sign, and ``eig(C) = eig(M) / n``. Without any filter the recursion is the deep NNGP
kernel, the lazy limit of a random-feature network.

Scale: the filter can be applied matrix-free, ``v -> Z^T (w * (Z v)) / n`` in row chunks, so a layer of
width ``p`` never forms a ``p x p`` matrix; the top-``k`` eigenpairs then come from block subspace
iteration with Rayleigh--Ritz (:func:`top_k_abs`, ``method="subspace"``). Everything runs in PyTorch
on the given device; kernels (the ``p -> infinity`` form) are float64 NumPy.

Activations: ``"relu"`` is ``sqrt(2) max(z, 0)`` as everywhere in the book, ``"sigmoid"`` the
logistic function, ``"erf"`` and ``"tanh"`` as in :mod:`lofi_utils.kernels`. The kernel form has
closed forms for ``relu`` and ``erf`` only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .kernels import ERF_SCALE, dual_activation
from .ntk import _torch_activation
from .validation import check_choice, check_int, check_nonnegative

__all__ = ["ACTIVATIONS", "KERNEL_ACTIVATIONS", "DEFAULT_LAMS", "RandomLift", "SignedCovariance",
           "EigenResult", "top_k_abs", "subspace_distance", "RidgeFit", "ridge_closed_form", "fit_ridge",
           "fit_kernel_ridge", "LayerState", "NeuralLoFi", "nngp_gram", "deep_nngp", "KernelFilter",
           "kernel_filter", "KernelLoFi", "lofi_features_dual", "patches", "patch_signed_covariance",
           "ConvLoFi"]

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "erf", "tanh", "abs", "quadratic", "linear")
KERNEL_ACTIVATIONS: tuple[str, ...] = ("relu", "erf")
#: Ridge penalties ``lambda`` of ``(1/n)|y - F beta - b|^2 + lambda |beta|^2`` searched by default.
DEFAULT_LAMS: tuple[float, ...] = tuple(float(v) for v in np.logspace(-7, 1, 17))
SOLVERS = ("auto", "dense", "subspace", "arpack")


# --------------------------------------------------------------------------- validation helpers
def _check_activation(name) -> str:
    return check_choice(name, "activation", ACTIVATIONS, casefold=True)


def torch_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation ``sigma`` as a torch function (``relu`` is ``sqrt(2) max(z, 0)``)."""
    name = _check_activation(name)
    if name == "sigmoid":
        return torch.sigmoid
    if name == "abs":
        return torch.abs
    if name == "linear":
        return lambda z: z
    if name == "quadratic":
        return lambda z: (z * z - 1.0) / math.sqrt(2.0)
    return _torch_activation(name)


def _default_dtype(device: torch.device) -> torch.dtype:
    return torch.float64 if device.type == "cpu" else torch.float32


def _as_tensor(x, device, dtype) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(x), device=device, dtype=dtype)


def _labels(y, n: int, device, dtype, name: str = "y") -> torch.Tensor:
    yt = _as_tensor(y, device, dtype).reshape(-1)
    if yt.shape[0] != n:
        raise ValueError(f"{name} has {yt.shape[0]} entries for {n} samples")
    if not torch.isfinite(yt).all():
        raise ValueError(f"{name} has non-finite entries")
    return yt


def _inputs(X, name: str, device, dtype, d: int | None = None) -> torch.Tensor:
    """``X`` as an (n, d) tensor with ``n >= 1``, finite entries and, when given, ``d`` columns."""
    H = _as_tensor(X, device, dtype)
    if H.ndim != 2 or H.shape[0] == 0 or H.shape[1] == 0:
        raise ValueError(f"{name} must be an (n, d) array with n, d >= 1, got shape {tuple(H.shape)}")
    if d is not None and H.shape[1] != d:
        raise ValueError(f"{name} must have d = {d} columns like the training inputs, got shape {tuple(H.shape)}")
    if not torch.isfinite(H).all():
        raise ValueError(f"{name} must be finite, got {int((~torch.isfinite(H)).sum())} NaN or inf entries")
    return H


# --------------------------------------------------------------------------- random lift
class RandomLift:
    """The frozen random feature map of one layer: ``z(h) = p^{-1/2} sigma(W^T h / c + b)``.

    ``W`` (m, p) has i.i.d. N(0, 1) entries drawn from ``seed``; ``c`` is set by :meth:`fit_scale`
    (``c^2`` = mean squared norm of the training inputs). ``bias`` is the standard deviation of the
    frozen offsets ``b`` (p,), i.i.d. N(0, bias^2); the default ``0`` is the bias-free lift of the
    official code, whose ReLU features are positively homogeneous in ``h`` (a low-dimensional ``h``
    then gives a poor function class: for ``m = 1`` only ``max(h, 0)`` and ``max(-h, 0)``). ``b`` is
    drawn after ``W`` from the same generator, so ``W`` does not depend on ``bias``. Features are
    produced in row chunks of ``chunk`` samples, so a caller never needs ``Z`` whole
    (:meth:`chunks`, :meth:`gram`).
    """

    def __init__(self, m: int, p: int, *, activation: str = "relu", seed: int = 0, bias: float = 0.0,
                 device: torch.device | str = "cpu", dtype: torch.dtype | None = None, chunk: int = 8192):
        self.m = check_int(m, "input dimension m", minimum=1)
        self.p = check_int(p, "width p", minimum=1)
        self.activation = _check_activation(activation)
        self.device = torch.device(device)
        self.dtype = dtype or _default_dtype(self.device)
        self.chunk = check_int(chunk, "chunk", minimum=1)
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        # drawn on the CPU in float32 blocks so that the same seed gives the same W on every device
        blocks = [torch.randn(self.m, min(8192, self.p - j), generator=gen) for j in range(0, self.p, 8192)]
        self.W = torch.cat(blocks, dim=1).to(device=self.device, dtype=self.dtype)
        bias = check_nonnegative(bias, "bias (a standard deviation)")
        self.bias = bias
        self.b = None if bias == 0 else (bias * torch.randn(self.p, generator=gen)).to(device=self.device,
                                                                                        dtype=self.dtype)
        self.c = None
        self.mu = None
        self._sigma = torch_activation(self.activation)

    def fit_scale(self, H: torch.Tensor) -> "RandomLift":
        """Set ``c = sqrt(mean_i |h_i|^2)`` from the training inputs ``H`` (n, m)."""
        if H.ndim != 2 or H.shape[0] == 0 or H.shape[1] != self.m:
            raise ValueError(f"H must be (n, m) with n >= 1 and m = {self.m}, got shape {tuple(H.shape)}")
        if not torch.isfinite(H).all():
            raise ValueError("H (the training inputs) must be finite, got NaN or inf entries")
        c2 = float((H.to(self.dtype) ** 2).sum(dim=1).mean())
        if not c2 > 0:
            raise ValueError("the training inputs are all zero: the lift's scale is undefined")
        self.c = math.sqrt(c2)
        return self

    def fit_mean(self, H: torch.Tensor) -> "RandomLift":
        """Centre the features from now on: ``z(h) - mu`` with ``mu`` the training mean of ``z`` (``H`` (n, m))."""
        self.mu = None
        mu = torch.zeros(self.p, dtype=self.dtype, device=self.device)
        for _, Zc in self.chunks(H):
            mu += Zc.sum(0)
        self.mu = mu / H.shape[0]
        return self

    def __call__(self, H: torch.Tensor) -> torch.Tensor:
        """``Z = p^{-1/2} sigma(H W / c)`` (minus the training mean ``mu`` when centred), (n, p), for ``H`` (n, m)."""
        if self.c is None:
            raise ValueError("call fit_scale(H_train) before applying the lift")
        pre = (H.to(device=self.device, dtype=self.dtype) @ self.W) / self.c
        Z = self._sigma(pre if self.b is None else pre + self.b) / math.sqrt(self.p)
        return Z if self.mu is None else Z - self.mu

    def chunks(self, H: torch.Tensor):
        """Yield ``(rows, Z_rows)`` for consecutive row blocks of ``H`` (``rows`` a slice)."""
        for i in range(0, H.shape[0], self.chunk):
            sl = slice(i, min(i + self.chunk, H.shape[0]))
            yield sl, self(H[sl])

    def features(self, H: torch.Tensor) -> torch.Tensor:
        """``Z = self(H)`` (n, p) for ``H`` (n, m), filled block by block (:meth:`chunks`) into one tensor.

        Peak memory: ``Z`` plus the temporaries of one block of ``chunk`` rows, where ``self(H)`` holds about
        three (n, p) arrays at once (``H W / c``, ``sigma`` of it, the scaled result).
        """
        Z = torch.empty(H.shape[0], self.p, dtype=self.dtype, device=self.device)
        for sl, Zc in self.chunks(H):
            Z[sl] = Zc
        return Z

    def gram(self, H1: torch.Tensor, H2: torch.Tensor | None = None) -> torch.Tensor:
        """``Z(H1) Z(H2)^T`` accumulated over blocks of ``p`` (never holds ``Z`` whole), float64."""
        same = H2 is None or H2 is H1
        H2 = H1 if H2 is None else H2
        out = torch.zeros(H1.shape[0], H2.shape[0], dtype=torch.float64, device=self.device)
        H1 = H1.to(device=self.device, dtype=self.dtype)
        H2 = H1 if same else H2.to(device=self.device, dtype=self.dtype)
        step = max(1, min(self.p, 2 ** 26 // max(1, H1.shape[0] + H2.shape[0])))
        for j in range(0, self.p, step):
            Wj = self.W[:, j:j + step]
            bj = 0.0 if self.b is None else self.b[j:j + step]
            A = self._sigma((H1 @ Wj) / self.c + bj).to(torch.float64)
            B = A if same else self._sigma((H2 @ Wj) / self.c + bj).to(torch.float64)
            out.addmm_(A, B.T)        # accumulate in place: no (n1 x n2) temporary
        return out.div_(self.p)


# --------------------------------------------------------------------------- signed covariance
class SignedCovariance:
    """The label-weighted second moment ``C = (1/n) Z^T diag(w) Z`` of one layer, as an operator.

    ``Z`` (n, p) is given either whole (``Z=``) or implicitly by a lift and its inputs
    (``lift=``, ``H=``), in which case it is recomputed in row chunks at each product. ``w`` (n,) are
    the weights (labels, centred or not). :meth:`matmat` computes ``C V`` for ``V`` (p, b) without
    forming ``C``; :meth:`dense` forms it (``p x p``). ``deflate`` (p,) unit vector: the operator becomes
    ``P C P`` with ``P = I - u u^T``.
    """

    def __init__(self, w: torch.Tensor, *, Z: torch.Tensor | None = None, lift: RandomLift | None = None,
                 H: torch.Tensor | None = None, deflate: torch.Tensor | None = None):
        if (Z is None) == (lift is None):
            raise ValueError("give either Z or (lift, H)")
        if lift is not None and H is None:
            raise ValueError("a lift needs its inputs H")
        self.Z, self.lift, self.H = Z, lift, H
        self.n = Z.shape[0] if Z is not None else H.shape[0]
        self.p = Z.shape[1] if Z is not None else lift.p
        self.device = Z.device if Z is not None else lift.device
        self.dtype = Z.dtype if Z is not None else lift.dtype
        self.w = w.to(device=self.device, dtype=self.dtype).reshape(-1)
        if self.w.shape[0] != self.n:
            raise ValueError(f"{self.w.shape[0]} weights for {self.n} samples")
        if not torch.isfinite(self.w).all():
            raise ValueError("w (the label weights) must be finite, got NaN or inf entries")
        self.u = None if deflate is None else deflate.to(device=self.device, dtype=self.dtype).reshape(-1, 1)
        self.n_products = 0

    def _row_blocks(self):
        if self.Z is not None:
            step = max(1, 2 ** 27 // max(1, self.p))  # bound the (rows x p) temporaries
            for i in range(0, self.n, step):
                sl = slice(i, min(i + step, self.n))
                yield sl, self.Z[sl]
        else:
            yield from self.lift.chunks(self.H)

    def _project(self, V):
        return V if self.u is None else V - self.u @ (self.u.T @ V)

    def matmat(self, V: torch.Tensor) -> torch.Tensor:
        """``C V = (1/n) Z^T (w * (Z V))`` for ``V`` (p, b), in row chunks; returns (p, b)."""
        V = self._project(V.to(device=self.device, dtype=self.dtype))
        out = torch.zeros_like(V)
        for sl, Zc in self._row_blocks():
            out += Zc.T @ (self.w[sl, None] * (Zc @ V))
        self.n_products += V.shape[1]
        return self._project(out / self.n)

    def linear(self) -> torch.Tensor:
        """The degree-1 vector ``(1/n) Z^T w`` (p,), the empirical ``E[w z]``."""
        out = torch.zeros(self.p, dtype=self.dtype, device=self.device)
        for sl, Zc in self._row_blocks():
            out += Zc.T @ self.w[sl]
        return out / self.n

    def dense(self) -> torch.Tensor:
        """The ``p x p`` matrix ``C`` (or ``P C P``); memory ``p^2``."""
        C = torch.zeros(self.p, self.p, dtype=self.dtype, device=self.device)
        for sl, Zc in self._row_blocks():
            C += (Zc * self.w[sl, None]).T @ Zc
        C = (C + C.T) / (2 * self.n)
        if self.u is not None:
            P = torch.eye(self.p, dtype=self.dtype, device=self.device) - self.u @ self.u.T
            C = P @ C @ P
        return C


# --------------------------------------------------------------------------- top-k by |lambda|
@dataclass
class EigenResult:
    """Top-``k`` eigenpairs by absolute value: ``values`` (k,) sorted by decreasing ``|lambda|``, ``vectors`` (p, k)."""

    values: torch.Tensor
    vectors: torch.Tensor
    method: str
    iterations: int = 0
    residual: float = 0.0
    all_values: torch.Tensor | None = None  # the whole spectrum when it was computed (dense)


def _order_abs(vals: torch.Tensor) -> torch.Tensor:
    return torch.argsort(vals.abs(), descending=True, stable=True)


def _fix_signs(V: torch.Tensor) -> torch.Tensor:
    """Flip each column so that its entry of largest magnitude is positive (a solver-independent sign)."""
    idx = V.abs().argmax(dim=0)
    s = torch.sign(V[idx, torch.arange(V.shape[1], device=V.device)])
    return V * torch.where(s == 0, torch.ones_like(s), s)


def _subspace_iteration(op: SignedCovariance, k: int, *, oversample: int, tol: float, max_iter: int,
                        seed: int) -> EigenResult:
    p = op.p
    b = min(p, k + oversample)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    Q = torch.randn(p, b, generator=gen, dtype=torch.float64).to(device=op.device, dtype=op.dtype)
    Q, _ = torch.linalg.qr(Q)
    res = float("inf")
    # a Ritz residual cannot fall below a few rounding units of the dtype (float32 stalls near 3 eps)
    tol = max(float(tol), 32 * torch.finfo(op.dtype).eps)
    for it in range(1, max_iter + 1):
        AQ = op.matmat(Q)
        T = Q.T @ AQ
        th, S = torch.linalg.eigh((T + T.T) / 2)
        order = _order_abs(th)
        th, S = th[order], S[:, order]
        X, AX = Q @ S, AQ @ S
        R = AX[:, :k] - X[:, :k] * th[:k]
        scale = th[0].abs().clamp_min(torch.finfo(op.dtype).tiny)
        res = float(torch.linalg.vector_norm(R, dim=0).max() / scale)
        if res < tol or b == p:
            break
        Q, _ = torch.linalg.qr(AX)
    return EigenResult(values=th[:k], vectors=X[:, :k], method="subspace", iterations=it, residual=res)


def _arpack(op: SignedCovariance, k: int, *, tol: float, seed: int) -> EigenResult:
    from scipy.sparse.linalg import LinearOperator, eigsh

    def mv(v):
        t = torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(op.p, -1), dtype=op.dtype, device=op.device)
        return op.matmat(t).to(torch.float64).cpu().numpy()

    A = LinearOperator((op.p, op.p), matvec=mv, matmat=mv, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(op.p)
    vals, vecs = eigsh(A, k=k, which="LM", tol=tol, v0=v0)
    vals_t = torch.as_tensor(vals, dtype=op.dtype, device=op.device)
    order = _order_abs(vals_t)
    return EigenResult(values=vals_t[order], vectors=torch.as_tensor(vecs, dtype=op.dtype, device=op.device)[:, order],
                       method="arpack")


def top_k_abs(C: torch.Tensor | SignedCovariance, k: int, *, method: str = "auto", oversample: int | None = None,
              tol: float = 1e-10, max_iter: int = 500, seed: int = 0, dense_max_p: int = 2048) -> EigenResult:
    """The ``k`` eigenpairs of a symmetric (indefinite) operator with the largest ``|lambda|``.

    ``C``: a dense symmetric (p, p) tensor, or a :class:`SignedCovariance` (matrix-free).
    ``method``: ``"dense"`` (full ``eigh``; forms ``C``), ``"subspace"`` (block subspace iteration on
    ``C`` with Rayleigh--Ritz, block ``k + oversample`` (default ``oversample = max(10, k)``), stopped when every Ritz residual
    ``|C x - theta x|`` is below ``tol * |theta_1|``, with ``tol`` raised to ``32 eps`` of the dtype (float32:
    3.8e-6), below which rounding stalls the residual; one ``C V`` product per iteration, never a ``p x p``
    matrix), ``"arpack"`` (SciPy ``eigsh(which="LM")``, float64, for cross-checks) or ``"auto"``
    (dense for ``p <= dense_max_p``, else subspace). Returns an :class:`EigenResult`, sorted by
    decreasing ``|lambda|``, eigenvectors orthonormal, each signed so that its largest entry is positive.
    """
    check_choice(method, "method", SOLVERS)
    if not isinstance(C, SignedCovariance):
        if not isinstance(C, torch.Tensor) or C.ndim != 2 or C.shape[0] != C.shape[1]:
            raise ValueError(f"C must be a square (p, p) tensor or a SignedCovariance, got "
                             f"{tuple(C.shape) if hasattr(C, 'shape') else type(C).__name__}")
        if not torch.isfinite(C).all():
            raise ValueError("C must be finite, got NaN or inf entries")
    p = C.p if isinstance(C, SignedCovariance) else C.shape[0]
    k = check_int(k, "rank k", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_nonnegative(tol, "tol")
    if k > p:
        raise ValueError(f"rank k={k} exceeds the dimension p={p}")
    if method == "auto":
        method = "dense" if p <= dense_max_p else "subspace"
    if method == "dense":
        M = C.dense() if isinstance(C, SignedCovariance) else (C + C.T) / 2
        vals, vecs = torch.linalg.eigh(M)
        order = _order_abs(vals)
        res = EigenResult(values=vals[order[:k]], vectors=vecs[:, order[:k]], method="dense",
                          all_values=vals[order])
    else:
        op = C if isinstance(C, SignedCovariance) else _DenseOp(C)
        if method == "arpack":
            if k >= p:
                raise ValueError("ARPACK needs k < p; use method='dense'")
            res = _arpack(op, k, tol=tol, seed=seed)
        else:
            oversample = max(10, k) if oversample is None else check_int(oversample, "oversample", minimum=0)
            res = _subspace_iteration(op, k, oversample=oversample, tol=tol, max_iter=max_iter, seed=seed)
    res.vectors = _fix_signs(res.vectors)
    return res


class _DenseOp:
    """A dense symmetric matrix with the :class:`SignedCovariance` product interface."""

    def __init__(self, C: torch.Tensor):
        self.C, self.p, self.device, self.dtype = C, C.shape[0], C.device, C.dtype
        self.n_products = 0

    def matmat(self, V):
        self.n_products += V.shape[1]
        return self.C @ V.to(self.dtype)

    def dense(self):
        return self.C


def subspace_distance(U: torch.Tensor | np.ndarray, V: torch.Tensor | np.ndarray) -> float:
    """Sine of the largest principal angle between ``span U`` and ``span V`` (both (p, k), any basis).

    ``|(I - P_U) Q_V|_2`` with ``Q_V`` an orthonormal basis of ``V``; 0 for equal subspaces, 1 for a
    direction of one orthogonal to the other.
    """
    U = torch.as_tensor(np.asarray(U) if not isinstance(U, torch.Tensor) else U).to(torch.float64).cpu()
    V = torch.as_tensor(np.asarray(V) if not isinstance(V, torch.Tensor) else V).to(torch.float64).cpu()
    if U.shape != V.shape:
        raise ValueError(f"U and V must have the same shape, got {tuple(U.shape)} and {tuple(V.shape)}")
    Qu, _ = torch.linalg.qr(U)
    Qv, _ = torch.linalg.qr(V)
    R = Qv - Qu @ (Qu.T @ Qv)
    return float(torch.linalg.matrix_norm(R, ord=2))


# --------------------------------------------------------------------------- ridge readout
@dataclass
class RidgeFit:
    """A ridge readout ``y_hat = F beta + b`` with its penalty chosen on held-out data.

    ``lams`` (m,) the grid, ``val_mse`` (m,) the held-out MSE per penalty, ``lam`` the chosen one.
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

    def predict(self, F: torch.Tensor) -> torch.Tensor:
        """Predictions for features ``F`` (n_eval, p) (primal fits only)."""
        if self.beta is None:
            raise ValueError("a kernel ridge fit predicts from a Gram matrix: use predict_kernel(K_eval)")
        return (F.to(self.beta.dtype) - self.mean) @ self.beta + self.intercept

    def predict_kernel(self, K_eval: torch.Tensor) -> torch.Tensor:
        """Predictions from the (n_eval, n_train) Gram matrix against the training points (dual fits)."""
        if self.alpha is None:
            raise ValueError("a primal ridge fit predicts from features: use predict(F)")
        return _center_eval(K_eval.to(self.alpha.dtype), *self.kernel_means) @ self.alpha + self.intercept


def _grid(lams) -> np.ndarray:
    lams = np.atleast_1d(np.asarray(lams, dtype=float))
    if lams.size == 0 or np.any(~np.isfinite(lams)) or np.any(lams < 0):
        raise ValueError("ridge penalties must be a non-empty list of finite numbers >= 0")
    return lams


def ridge_closed_form(F, y, lam: float) -> tuple[np.ndarray, float]:
    """Reference ridge with intercept by the normal equations (float64 NumPy; small problems).

    Minimises ``(1/n)|y - F beta - b 1|^2 + lam |beta|^2``: with ``F_c, y_c`` centred,
    ``beta = (F_c^T F_c + n lam I)^{-1} F_c^T y_c`` and ``b = mean(y) - mean(F) beta``.
    ``F`` (n, p), ``y`` (n,). Returns ``(beta, b)``.
    """
    F = np.asarray(F, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = F.shape
    mu, ym = F.mean(0), y.mean()
    Fc = F - mu
    beta = np.linalg.solve(Fc.T @ Fc + n * lam * np.eye(p), Fc.T @ (y - ym))
    return beta, float(ym - mu @ beta)


def fit_ridge(F: torch.Tensor, y, *, F_val: torch.Tensor, y_val, lams=DEFAULT_LAMS) -> RidgeFit:
    """Ridge with intercept on features ``F`` (n, p), penalty chosen by the MSE on ``(F_val, y_val)``.

    Objective ``(1/n)|y - F beta - b|^2 + lambda |beta|^2`` for every ``lambda`` in ``lams``, all from one
    eigendecomposition of the smaller of ``F_c^T F_c`` (p x p) and ``F_c F_c^T`` (n x n), in float64.
    Returns the :class:`RidgeFit` at the best penalty.
    """
    lams = _grid(lams)
    F = _inputs(F, "F", F.device, torch.float64)
    dev = F.device
    y = _labels(y, F.shape[0], dev, torch.float64)
    Fv = _inputs(F_val, "F_val", dev, torch.float64, d=F.shape[1])
    yv = _labels(y_val, Fv.shape[0], dev, torch.float64, "y_val")
    n, p = F.shape
    mu, ym = F.mean(0), y.mean()
    Fc, yc, Fvc = F - mu, y - ym, Fv - mu
    lam_t = torch.as_tensor(lams, dtype=torch.float64, device=dev)
    if p <= n:
        s, U = torch.linalg.eigh(Fc.T @ Fc)
        g = U.T @ (Fc.T @ yc)                                  # (p,)
        coef = g[None, :] / (s[None, :].clamp_min(0) + n * lam_t[:, None])   # (m, p) in the eigenbasis
        pred = (Fvc @ U) @ coef.T + ym                          # (n_val, m)
        mse = ((pred - yv[:, None]) ** 2).mean(0)
        j = int(torch.argmin(mse))
        beta = U @ coef[j]
    else:
        s, Q = torch.linalg.eigh(Fc @ Fc.T)
        g = Q.T @ yc
        coef = g[None, :] / (s[None, :].clamp_min(0) + n * lam_t[:, None])  # (m, n)
        pred = (Fvc @ (Fc.T @ Q)) @ coef.T + ym
        mse = ((pred - yv[:, None]) ** 2).mean(0)
        j = int(torch.argmin(mse))
        beta = Fc.T @ (Q @ coef[j])
    return RidgeFit(lam=float(lams[j]), lams=lams, val_mse=mse.cpu().numpy(), intercept=float(ym),
                    beta=beta, mean=mu)


def _center_train(K: torch.Tensor):
    r = K.mean(0)
    a = r.mean()
    return K - r[None, :] - r[:, None] + a, (r, a)


def _center_eval(Ke: torch.Tensor, r: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return Ke - Ke.mean(1, keepdim=True) - r[None, :] + a


def fit_kernel_ridge(K: torch.Tensor | np.ndarray, y, *, K_val, y_val, lams=DEFAULT_LAMS,
                     overwrite: bool = False, eig_max: int = 20000) -> RidgeFit:
    """Kernel ridge with intercept: the dual of :func:`fit_ridge` for a Gram matrix ``K`` (n, n).

    With ``K_c`` the Gram matrix of the centred features, ``alpha = (K_c + n lambda I)^{-1} y_c`` and
    ``y_hat(x) = k_c(x)^T alpha + mean(y)``; the penalty is chosen on ``K_val`` (n_val, n) against
    ``y_val``. Identical to :func:`fit_ridge` when ``K = F F^T``. One eigendecomposition serves every
    penalty when ``n <= eig_max``; above, one Cholesky factorisation per penalty (less memory).
    ``overwrite=True`` centres a float64 ``K`` in place. Returns a dual :class:`RidgeFit`.
    """
    lams = _grid(lams)
    owned = isinstance(K, torch.Tensor) and K.dtype == torch.float64 and overwrite
    K = _as_tensor(K, None if not isinstance(K, torch.Tensor) else K.device, torch.float64)
    dev = K.device
    n = K.shape[0]
    if K.shape != (n, n):
        raise ValueError(f"K must be square (n, n), got {tuple(K.shape)}")
    y = _labels(y, n, dev, torch.float64)
    Kv = _as_tensor(K_val, dev, torch.float64)
    if Kv.ndim != 2 or Kv.shape[1] != n:
        raise ValueError(f"K_val must be (n_val, n) with n = {n} training points, got shape {tuple(Kv.shape)}")
    yv = _labels(y_val, Kv.shape[0], dev, torch.float64, "y_val")
    r = K.mean(0)
    a = r.mean()
    means = (r, a)
    Kc = K if owned else K.clone()
    Kc -= r[None, :]
    Kc -= r[:, None]
    Kc += a
    Kvc = _center_eval(Kv, *means)
    ym = y.mean()
    yc = y - ym
    if n <= eig_max:
        s, Q = torch.linalg.eigh(Kc)
        g = Q.T @ yc
        lam_t = torch.as_tensor(lams, dtype=torch.float64, device=dev)
        coef = g[None, :] / (s[None, :].clamp_min(0) + n * lam_t[:, None])
        pred = (Kvc @ Q) @ coef.T + ym
        mse = ((pred - yv[:, None]) ** 2).mean(0)
        j = int(torch.argmin(mse))
        alpha = Q @ coef[j]
    else:
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
    return RidgeFit(lam=float(lams[j]), lams=lams, val_mse=mse.cpu().numpy(), intercept=float(ym),
                    alpha=alpha, kernel_means=means)


# --------------------------------------------------------------------------- Neural LoFi (finite width)
@dataclass
class LayerState:
    """What one fitted layer keeps: its lift, its filter ``V`` (p, k) or ``None``, and the spectrum."""

    lift: RandomLift
    V: torch.Tensor | None
    eigvals: torch.Tensor | None
    all_eigvals: torch.Tensor | None = None
    solver: str = ""
    iterations: int = 0
    shift: torch.Tensor | None = None   # subtracted from V^T z when the layer whitens its output


def _norm_list(v, L: int, name: str):
    if isinstance(v, (list, tuple)):
        if len(v) != L:
            raise ValueError(f"{name} has {len(v)} entries for {L} layers")
        return list(v)
    return [v] * L


class NeuralLoFi:
    """Neural LoFi of any depth: lift -> signed covariance -> top-``k`` by ``|lambda|`` -> ..., then ridge.

    ``widths`` (L,): lift widths ``p_l``; ``ranks`` (L,): ``k_l`` (int) or ``None`` (no filter: a random-
    feature layer); ``activation``: one name of :data:`ACTIVATIONS` or one per layer. Options:
    ``center_y`` (weights ``w = y - mean(y)`` in ``C``; default ``True``), ``center_z`` (filtered layers use
    the centred features ``z - mean(z)``, so that the ReLU mean does not take a filter slot and dominate the
    next layer's scale; default ``True``; the official code centres neither), ``prepend_linear`` (keep the
    degree-1 direction ``E[w z]`` as the first filter and deflate ``C`` against it; one flag or one per
    layer), ``whiten`` (whiten the filtered features with their training covariance, one flag or one per
    layer; the follow-up code standardises them), ``bias`` (standard deviation of the lifts' frozen
    offsets, one value or one per layer; default ``0`` as in the official code; see :class:`RandomLift`:
    a positive bias matters when a filtered layer passes on only a few features), ``solver`` (see
    :func:`top_k_abs`), ``cache_bytes`` (keep ``Z`` whole when its ``n p`` entries take at most
    ``|cache_bytes|`` bytes, else recompute it in row chunks at each product; negative: on CUDA use 40 % of
    the free memory instead), ``lams`` (ridge grid). An unfiltered last layer wider than ``n`` is read out
    by kernel ridge on ``Z Z^T``, accumulated over blocks of ``p`` (no ``n x p`` matrix is kept). ``device``/``dtype`` place every tensor (default: the
    CPU in float64; float32 on CUDA); ``seed`` draws the lifts (layer ``l`` uses ``seed + l``).

    ``fit(X, y, X_val=, y_val=)`` fits the filters on ``(X, y)`` and the readout with its penalty chosen
    on the validation set; ``transform(X)`` returns ``h_L``; ``predict(X)`` the readout.
    """

    def __init__(self, widths: Sequence[int], ranks: Sequence[int | None], *, activation="relu",
                 center_y: bool = True, center_z: bool = True, prepend_linear: bool = False, whiten=False,
                 bias=0.0, solver: str = "auto",
                 seed: int = 0, device: torch.device | str | None = None, dtype: torch.dtype | None = None,
                 lams=DEFAULT_LAMS, cache_bytes: float = -2e9, chunk: int = 8192, tol: float = 1e-10):
        widths = list(widths)
        if not widths:
            raise ValueError("need at least one layer")
        self.widths = [check_int(p, "width", minimum=1) for p in widths]
        self.ranks = _norm_list(list(ranks), len(widths), "ranks")
        for p, k in zip(self.widths, self.ranks):
            if k is not None:
                k = check_int(k, "rank k", minimum=1)
                if k > p:
                    raise ValueError(f"rank k={k} exceeds the width p={p}")
        self.activations = [_check_activation(a) for a in _norm_list(activation, len(widths), "activation")]
        check_choice(solver, "solver", SOLVERS)
        self.prepend_linear = [bool(v) for v in _norm_list(prepend_linear, len(widths), "prepend_linear")]
        self.center_y, self.center_z, self.solver = bool(center_y), bool(center_z), solver
        self.whiten = [bool(v) for v in _norm_list(whiten, len(widths), "whiten")]
        self.biases = [check_nonnegative(v, "bias (a standard deviation)")
                       for v in _norm_list(bias, len(widths), "bias")]
        self.seed = check_int(seed, "seed", minimum=0)
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.dtype = dtype or _default_dtype(self.device)
        chunk, tol = check_int(chunk, "chunk", minimum=1), check_nonnegative(tol, "tol")
        self.lams, self.cache_bytes, self.chunk, self.tol = _grid(lams), float(cache_bytes), int(chunk), float(tol)
        self.layers: list[LayerState] = []
        self.readout: RidgeFit | None = None
        self._H_train: torch.Tensor | None = None   # inputs of an unfiltered last layer read out in the dual

    def _cache_limit(self) -> float:
        if self.device.type == "cuda" and self.cache_bytes < 0:
            free, _ = torch.cuda.mem_get_info(self.device)
            return 0.4 * free
        return abs(self.cache_bytes)

    def _dual_readout(self, n: int) -> bool:
        st = self.layers[-1]
        return st.V is None and st.lift.p > n

    # -- one layer
    def _filter(self, lift: RandomLift, H: torch.Tensor, w: torch.Tensor, k: int, layer: int):
        n, p = H.shape[0], lift.p
        cache = n * p * torch.finfo(self.dtype).bits / 8 <= self._cache_limit()
        if self.center_z:
            lift.fit_mean(H)
        Z = lift.features(H) if cache else None   # built block by block: no three n x p temporaries
        op = SignedCovariance(w, Z=Z) if cache else SignedCovariance(w, lift=lift, H=H)
        vecs, vals = [], []
        if self.prepend_linear[layer]:
            v0 = op.linear()
            nv = torch.linalg.vector_norm(v0)
            if nv > 0:
                v0 = v0 / nv
                vecs.append(v0[:, None])
                vals.append(float("nan"))
                op.u = v0[:, None]
        kk = k - len(vecs)
        res = None
        if kk > 0:
            res = top_k_abs(op, kk, method=self.solver, seed=self.seed + 1000 + layer, tol=self.tol)
            vecs.append(res.vectors)
        V = torch.cat(vecs, dim=1)
        ev = torch.cat([torch.as_tensor(vals, dtype=self.dtype, device=self.device),
                        res.values if res is not None else torch.empty(0, dtype=self.dtype, device=self.device)])
        state = LayerState(lift=lift, V=V, eigvals=ev, all_eigvals=None if res is None else res.all_values,
                           solver="" if res is None else res.method, iterations=0 if res is None else res.iterations)
        Hn = torch.cat([Zc @ V for _, Zc in lift.chunks(H)]) if Z is None else Z @ V
        if self.whiten[layer]:
            # whiten the k filtered features on the training set: h <- S^{-1/2} (h - mean), S = Cov(h)
            m = Hn.mean(0)
            ev, U = torch.linalg.eigh(torch.cov(Hn.T).reshape(Hn.shape[1], Hn.shape[1]))
            T = U / ev.clamp_min(ev.max() * 1e-12).sqrt()
            state.V, state.shift = V @ T, m @ T
            Hn = (Hn - m) @ T
        return state, Hn

    def fit(self, X, y, *, X_val, y_val) -> "NeuralLoFi":
        """Fit the filters on ``(X, y)`` (X (n, d), y (n,)) and the ridge readout (penalty on the validation set).

        Every filtered layer needs ``k_l <= n``: the signed covariance of ``n`` samples has rank at most ``n``
        (as in :class:`KernelLoFi`)."""
        H = _inputs(X, "X", self.device, self.dtype)
        n = H.shape[0]
        for l, k in enumerate(self.ranks):
            if k is not None and k > n:
                raise ValueError(f"rank k of layer {l + 1} must be <= the number of training samples n = {n}, "
                                 f"got {k}")
        X_val = _inputs(X_val, "X_val", self.device, self.dtype, d=H.shape[1])
        _labels(y_val, X_val.shape[0], self.device, torch.float64, "y_val")
        yt = _labels(y, H.shape[0], self.device, self.dtype)
        w = yt - yt.mean() if self.center_y else yt
        self.layers = []
        for l, (p, k, act) in enumerate(zip(self.widths, self.ranks, self.activations)):
            lift = RandomLift(H.shape[1], p, activation=act, seed=self.seed + l, bias=self.biases[l],
                              device=self.device, dtype=self.dtype, chunk=self.chunk).fit_scale(H)
            if k is None:
                self.layers.append(LayerState(lift=lift, V=None, eigvals=None))
                if l < len(self.widths) - 1 or not self._dual_readout(H.shape[0]):
                    H = lift(H)
            else:
                state, H = self._filter(lift, H, w, k, l)
                self.layers.append(state)
        if self._dual_readout(H.shape[0]):
            # last layer wider than n: kernel ridge on Z Z^T accumulated over blocks of p
            self._H_train = H
            lift = self.layers[-1].lift
            Hv = self.transform(X_val, upto=len(self.layers) - 1)
            self.readout = fit_kernel_ridge(lift.gram(H), yt.to(torch.float64), K_val=lift.gram(Hv, H),
                                            y_val=y_val, lams=self.lams, overwrite=True)
        else:
            self._H_train = None
            self.readout = fit_ridge(H, yt, F_val=self.transform(X_val), y_val=y_val, lams=self.lams)
        return self

    def transform(self, X, *, upto: int | None = None) -> torch.Tensor:
        """The representation ``h_l`` (n, k_l or p_l) after layer ``upto`` (default: the last)."""
        if not self.layers:
            raise ValueError("fit the model first")
        H = _inputs(X, "X", self.device, self.dtype, d=self.layers[0].lift.m)
        for st in self.layers[: (len(self.layers) if upto is None else upto)]:
            if st.V is None:
                H = st.lift(H)
            else:
                H = torch.cat([Zc @ st.V for _, Zc in st.lift.chunks(H)])
                if st.shift is not None:
                    H = H - st.shift
        return H

    def predict(self, X) -> torch.Tensor:
        """Readout predictions ``beta^T h_L(x) + b`` (n,), float64."""
        if self.readout is None:
            raise ValueError("fit the model first")
        if self._H_train is not None:
            He = self.transform(X, upto=len(self.layers) - 1)
            return self.readout.predict_kernel(self.layers[-1].lift.gram(He, self._H_train))
        return self.readout.predict(self.transform(X))

    def mse(self, X, y) -> float:
        """Test mean squared error of the readout on ``(X, y)``."""
        pred = self.predict(X)
        yt = _labels(y, pred.shape[0], pred.device, torch.float64)
        return float(((pred - yt) ** 2).mean())


# --------------------------------------------------------------------------- kernel (p -> infinity) form
def _dual_gram(K12: np.ndarray, q1: np.ndarray, q2: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        s = np.sqrt(np.outer(q1, q2))
        rho = np.divide(K12, s, out=np.zeros_like(K12), where=s > 0)
        V, _ = dual_activation("relu", 1.0, np.clip(rho, -1.0, 1.0))
        return s * V
    if activation == "erf":
        a2 = ERF_SCALE ** 2
        den = np.sqrt(np.outer(1 + 2 * a2 * q1, 1 + 2 * a2 * q2))
        return (2 / math.pi) * np.arcsin(np.clip(2 * a2 * K12 / den, -1.0, 1.0))
    raise ValueError(f"the kernel form has closed forms for {KERNEL_ACTIVATIONS} only, got {activation!r}")


def _dual_diag(q: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return q.copy()
    a2 = ERF_SCALE ** 2
    return (2 / math.pi) * np.arcsin(2 * a2 * q / (1 + 2 * a2 * q))


def nngp_gram(H1, H2=None, *, activation: str = "relu", scale2: float | None = None) -> np.ndarray:
    """NNGP Gram matrix of one lift: ``K(h, h') = E_w[sigma(w.h/c) sigma(w.h'/c)]``, ``w ~ N(0, I)``.

    ``H1`` (n1, m), ``H2`` (n2, m) (default ``H1``); ``scale2 = c^2`` (default: mean squared norm of the
    rows of ``H1``). relu: ``sqrt(q q') (sqrt(1 - rho^2) + (pi - arccos rho) rho) / pi``; erf:
    ``(2/pi) arcsin(2 a^2 <h,h'>/c^2 / sqrt((1 + 2a^2 q)(1 + 2a^2 q')))``, with ``q = |h|^2/c^2``. It is the
    limit of ``Z(H1) Z(H2)^T`` for a :class:`RandomLift` of width ``p -> infinity``. Returns (n1, n2) float64.
    """
    H1 = np.asarray(H1, dtype=np.float64)
    H2 = H1 if H2 is None else np.asarray(H2, dtype=np.float64)
    if H1.ndim != 2 or H2.ndim != 2 or H1.shape[1] != H2.shape[1]:
        raise ValueError(f"H1 and H2 must be (n1, m) and (n2, m) with the same m, got shapes {H1.shape} and {H2.shape}")
    act = _check_activation(activation)
    c2 = float((H1 ** 2).sum(1).mean()) if scale2 is None else float(scale2)
    if not c2 > 0:
        raise ValueError("the scale c^2 must be > 0")
    K12 = (torch.as_tensor(H1) @ torch.as_tensor(H2).T).numpy()
    return _dual_gram(K12 / c2, (H1 ** 2).sum(1) / c2, (H2 ** 2).sum(1) / c2, act)


def deep_nngp(X, X_eval, *, depth: int, activation: str = "relu") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deep NNGP kernel of an unfiltered random-feature network (the lazy limit of Neural LoFi).

    ``K_1 = kappa(X X^T / c_0^2)`` and ``K_{l+1} = kappa(K_l / c_l^2)`` with ``c_l^2`` the mean training
    diagonal of ``K_l`` (the finite network's ``c_l``), ``kappa`` the dual activation of :func:`nngp_gram`.
    ``X`` (n, d) training, ``X_eval`` (n_e, d). Returns ``(K_train (n, n), K_eval (n_e, n), diag_eval (n_e,))``.
    """
    depth = check_int(depth, "depth", minimum=1)
    act = _check_activation(activation)
    X = np.asarray(X, dtype=np.float64)
    Xe = np.asarray(X_eval, dtype=np.float64)
    if X.ndim != 2 or Xe.ndim != 2 or X.shape[0] == 0 or X.shape[1] != Xe.shape[1]:
        raise ValueError(f"X and X_eval must be (n, d) and (n_e, d) with n >= 1, got shapes {X.shape} and {Xe.shape}")
    c2 = float((X ** 2).sum(1).mean())
    if not (math.isfinite(c2) and c2 > 0):
        raise ValueError(f"X must be finite and not all zero (the scale c^2 = mean |x|^2 must be > 0), got c^2 = {c2}")
    Xt = torch.as_tensor(X)
    K, Ke, de = (Xt @ Xt.T).numpy() / c2, (torch.as_tensor(Xe) @ Xt.T).numpy() / c2, (Xe ** 2).sum(1) / c2
    for _ in range(depth):
        d = np.diag(K).copy()
        K, Ke, de = _dual_gram(K, d, d, act), _dual_gram(Ke, de, d, act), _dual_diag(de, act)
        c2 = float(np.diag(K).mean())
        K, Ke, de = K / c2, Ke / c2, de / c2
    return K * c2, Ke * c2, de * c2


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


def kernel_filter(G, y, k: int, *, center_y: bool = True, rcond: float = 1e-10) -> KernelFilter:
    """Top-``k`` filter in the dual: eigenvectors of ``M = G^{1/2} diag(w) G^{1/2}`` by ``|lambda|``.

    ``G`` (n, n) a PSD Gram matrix, ``y`` (n,) labels (``w = y - mean(y)`` when ``center_y``). ``G^{1/2}``
    clips negative eigenvalues at 0; ``G^{-1/2}`` is the pseudo-inverse (eigenvalues below
    ``rcond * max`` dropped). ``k <= n``. Returns a :class:`KernelFilter` (float64).
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
    order = _order_abs(vals)
    B = vecs[:, order[:k]]
    A = (Q * isq) @ (Q.T @ B)
    return KernelFilter(A=A.numpy(), B=B.numpy(), values=(vals[order[:k]] / n).numpy(), F=(G_half @ B).numpy(),
                        all_values=(vals[order] / n).numpy())


def lofi_features_dual(Z, y, k: int, *, center_y: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Filtered training features from the Gram matrix ``G = Z Z^T`` only (the dual route).

    ``Z`` (n, p). Returns ``(F = G^{1/2} B (n, k), eigenvalues / n (k,))``; equals ``Z V`` of the primal
    filter up to column signs (:func:`kernel_filter`).
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
    is the deep NNGP kernel ridge, the lazy baseline.
    """

    def __init__(self, ranks: Sequence[int | None], *, activation: str = "relu", center_y: bool = True,
                 center_z: bool = True, lams=DEFAULT_LAMS):
        self.ranks = list(ranks)
        if not self.ranks:
            raise ValueError("need at least one layer")
        self.activation = _check_activation(activation)
        if self.activation not in KERNEL_ACTIVATIONS:
            raise ValueError(f"the kernel form has closed forms for {KERNEL_ACTIVATIONS} only")
        self.center_y, self.center_z, self.lams = bool(center_y), bool(center_z), _grid(lams)
        self.filters: list[KernelFilter | None] = []

    def _features(self, X, Xs, y):
        H, Hs = np.asarray(X, dtype=np.float64), [np.asarray(x, dtype=np.float64) for x in Xs]
        self.filters = []
        l = 0
        while l < len(self.ranks) and self.ranks[l] is not None:
            c2 = float((H ** 2).sum(1).mean())
            G = nngp_gram(H, activation=self.activation, scale2=c2)
            Ks = [nngp_gram(h, H, activation=self.activation, scale2=c2) for h in Hs]
            if self.center_z:  # features z - mean(z): the Gram matrices of the centred features
                Gt, (r, a) = _center_train(torch.as_tensor(G))
                G = Gt.numpy()
                Ks = [_center_eval(torch.as_tensor(K), r, a).numpy() for K in Ks]
            kf = kernel_filter(G, y, self.ranks[l], center_y=self.center_y)
            self.filters.append(kf)
            Hs = [K @ kf.A for K in Ks]
            H = kf.F
            l += 1
        rest = len(self.ranks) - l
        if any(r is not None for r in self.ranks[l:]):
            raise ValueError("KernelLoFi: the unfiltered (None) layers must come last")
        return H, Hs, rest

    def fit_predict(self, X, y, X_val, y_val, X_test) -> tuple[np.ndarray, RidgeFit]:
        """Fit on ``(X, y)``, choose the penalty on ``(X_val, y_val)``; return test predictions and the fit."""
        d = _inputs(X, "X", "cpu", torch.float64).shape[1]
        _inputs(X_val, "X_val", "cpu", torch.float64, d=d)
        _inputs(X_test, "X_test", "cpu", torch.float64, d=d)
        y = np.asarray(y, dtype=np.float64)
        H, (Hv, Ht), rest = self._features(X, [X_val, X_test], y)
        if rest == 0:
            fit = fit_ridge(torch.as_tensor(H), y, F_val=torch.as_tensor(Hv), y_val=y_val, lams=self.lams)
            return fit.predict(torch.as_tensor(Ht)).numpy(), fit
        K, Ke, _ = deep_nngp(H, np.concatenate([Hv, Ht]), depth=rest, activation=self.activation)
        nv = Hv.shape[0]
        fit = fit_kernel_ridge(K, y, K_val=Ke[:nv], y_val=y_val, lams=self.lams)
        return fit.predict_kernel(torch.as_tensor(Ke[nv:])).numpy(), fit


# --------------------------------------------------------------------------- convolutional LoFi
def patches(images, size: int, *, stride: int = 1) -> np.ndarray:
    """All ``size x size`` patches of gray images ``(n, H, W)``: returns (n, n_pos, size*size) float64."""
    im = np.asarray(images, dtype=np.float64)
    if im.ndim != 3:
        raise ValueError(f"images must be (n, H, W), got shape {im.shape}")
    size = check_int(size, "patch size", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    if size > min(im.shape[1:]):
        raise ValueError(f"patch size {size} exceeds the image size {im.shape[1:]}")
    win = np.lib.stride_tricks.sliding_window_view(im, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return win.reshape(im.shape[0], -1, size * size)


def patch_signed_covariance(images, y, size: int, *, center_y: bool = True, stride: int = 1) -> np.ndarray:
    """Signed patch covariance ``(1/(n P)) sum_i w_i sum_pos p p^T`` ((size^2, size^2) float64).

    ``images`` (n, H, W), ``y`` (n,) labels (``w = y - mean(y)`` when ``center_y``); patches are taken as
    they are (each image is expected to be normalised already). Its top-``|lambda|`` eigenvectors,
    reshaped to ``size x size``, are the first-layer LoFi filters of a convolutional network.
    """
    P = patches(images, size, stride=stride)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.shape[0] != P.shape[0]:
        raise ValueError(f"{y.shape[0]} labels for {P.shape[0]} images")
    w = y - y.mean() if center_y else y
    Pt = torch.as_tensor(P.reshape(-1, P.shape[2]))
    wt = torch.as_tensor(np.repeat(w, P.shape[1]))
    S = ((Pt * wt[:, None]).T @ Pt).numpy()
    return (S + S.T) / (2 * P.shape[0] * P.shape[1])


class ConvLoFi:
    """One convolutional LoFi layer, then a random-feature lift and a ridge readout.

    Conv lift: ``P`` random ``size x size`` filters applied to every patch, ``z = P^{-1/2} sigma(W^T patch / c)``
    (``c^2`` = mean squared patch norm); signed covariance over samples *and* positions (a ``1 x 1``
    eigen-convolution) keeps the ``k`` channels of largest ``|lambda|`` (``k=None``: keep all ``P``, the
    random-feature CNN); the map is average-pooled on a ``pool x pool`` grid, flattened, lifted by a
    random-feature layer of width ``p_out`` and read out by ridge.
    """

    def __init__(self, *, size: int = 3, channels: int = 256, k: int | None = 16, pool: int = 2,
                 p_out: int = 1000, activation: str = "relu", center_y: bool = True, seed: int = 0,
                 lams=DEFAULT_LAMS):
        self.size, self.channels = check_int(size, "size", minimum=1), check_int(channels, "channels", minimum=1)
        self.k = None if k is None else check_int(k, "k", minimum=1)
        if self.k is not None and self.k > self.channels:
            raise ValueError(f"k={k} exceeds the number of channels {channels}")
        self.pool, self.p_out = check_int(pool, "pool", minimum=1), check_int(p_out, "p_out", minimum=1)
        self.activation, self.center_y, self.seed, self.lams = _check_activation(activation), center_y, seed, lams

    def _maps(self, images) -> torch.Tensor:
        P = torch.as_tensor(patches(images, self.size))           # (n, pos, s^2)
        n, npos, _ = P.shape
        side = int(round(math.sqrt(npos)))
        Z = self.lift(P.reshape(n * npos, -1))
        if self.V is not None:
            Z = Z @ self.V
        Z = Z.reshape(n, side, side, -1).permute(0, 3, 1, 2)
        Z = torch.nn.functional.adaptive_avg_pool2d(Z, self.pool)
        return Z.reshape(n, -1)

    def fit(self, images, y, *, images_val, y_val) -> "ConvLoFi":
        """Fit the eigen-channels and the readout (penalty on the validation images); images (n, H, W)."""
        y = np.asarray(y, dtype=np.float64)
        P = torch.as_tensor(patches(images, self.size))
        n, npos, m = P.shape
        self.lift = RandomLift(m, self.channels, activation=self.activation, seed=self.seed).fit_scale(P.reshape(-1, m))
        self.V, self.eigvals = None, None
        if self.k is not None:
            Z = self.lift(P.reshape(-1, m))
            w = torch.as_tensor(np.repeat(y - y.mean() if self.center_y else y, npos))
            res = top_k_abs(SignedCovariance(w, Z=Z), self.k, method="dense")
            self.V, self.eigvals = res.vectors, res.values
        self.head = NeuralLoFi([self.p_out], [None], activation=self.activation, seed=self.seed + 17,
                               lams=self.lams)
        self.head.fit(self._maps(images), y, X_val=self._maps(images_val), y_val=y_val)
        return self

    def predict(self, images) -> torch.Tensor:
        return self.head.predict(self._maps(images))

    def mse(self, images, y) -> float:
        return self.head.mse(self._maps(images), y)
