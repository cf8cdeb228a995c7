"""The signed covariance of a layer and its top-``k`` filter by ``|lambda|``.

Steps 3 and 4 of a LoFi layer (:mod:`lofi_utils.lofi`):

* **signed covariance** ``C = (1/n) Z^T diag(w) Z`` (:class:`SignedCovariance`), with ``w = y`` or
  ``w = y - mean(y)``; an operator that computes ``C V`` in row chunks without forming ``C``, and the
  degree-1 vector ``(1/n) Z^T w``;
* **filter**: the ``k`` eigenvectors of ``C`` of largest ``|lambda|``, both signs (:func:`top_k_abs`): a dense
  ``eigh``, or block subspace iteration with Rayleigh--Ritz (``method="subspace"``, one ``C V`` product per
  iteration, never a ``p x p`` matrix), or ARPACK for cross-checks.

:func:`subspace_distance` compares two filters (the sine of the largest principal angle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..validation import check_choice, check_int, check_nonnegative
from .lift import RandomLift

__all__ = ["SOLVERS", "SignedCovariance", "EigenResult", "order_by_abs", "top_k_abs", "subspace_distance"]

#: The eigen-solvers of :func:`top_k_abs`.
SOLVERS = ("auto", "dense", "subspace", "arpack")


class SignedCovariance:
    """The label-weighted second moment ``C = (1/n) Z^T diag(w) Z`` of one layer, as an operator.

    ``Z`` (n, p) is given either whole (``Z=``) or implicitly by a lift and its inputs
    (``lift=``, ``H=``), in which case it is recomputed in row chunks at each product. ``w`` (n,) are
    the weights (labels, centred or not). :meth:`matmat` computes ``C V`` for ``V`` (p, b) without
    forming ``C``; :meth:`dense` forms it (``p x p``). ``deflate`` (p,) unit vector: the operator becomes
    ``P C P`` with ``P = I - u u^T``.

    Parameters
    ----------
    w : torch.Tensor
        The label weights, ``n`` finite entries (any shape), cast to the features' device and dtype.
    Z : torch.Tensor, optional
        The features, shape (n, p); give either ``Z`` or ``lift`` and ``H``.
    lift : RandomLift, optional
        The layer's lift, whose features are recomputed in row chunks.
    H : torch.Tensor, optional
        The lift's inputs, shape (n, m).
    deflate : torch.Tensor, optional
        Unit vector ``u``, shape (p,), projected out on both sides.
    """

    def __init__(
        self,
        w: torch.Tensor,
        *,
        Z: torch.Tensor | None = None,
        lift: RandomLift | None = None,
        H: torch.Tensor | None = None,
        deflate: torch.Tensor | None = None,
    ) -> None:
        """Check the features and the weights (see the class docstring); nothing is computed yet."""
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
            step = max(1, 2**27 // max(1, self.p))  # bound the (rows x p) temporaries
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


@dataclass
class EigenResult:
    """Top-``k`` eigenpairs by absolute value: ``values`` (k,) sorted by decreasing ``|lambda|``, ``vectors`` (p, k)."""

    values: torch.Tensor
    vectors: torch.Tensor
    method: str
    iterations: int = 0
    residual: float = 0.0
    all_values: torch.Tensor | None = None  # the whole spectrum when it was computed (dense)


def order_by_abs(vals: torch.Tensor) -> torch.Tensor:
    """The indices that sort ``vals`` (1-D) by decreasing ``|lambda|``; ties keep their order (stable sort)."""
    return torch.argsort(vals.abs(), descending=True, stable=True)


def _fix_signs(V: torch.Tensor) -> torch.Tensor:
    """Flip each column so that its entry of largest magnitude is positive (a solver-independent sign)."""
    idx = V.abs().argmax(dim=0)
    s = torch.sign(V[idx, torch.arange(V.shape[1], device=V.device)])
    return V * torch.where(s == 0, torch.ones_like(s), s)


def _subspace_iteration(
    op: SignedCovariance, k: int, *, oversample: int, tol: float, max_iter: int, seed: int
) -> EigenResult:
    p = op.p
    b = min(p, k + oversample)
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    Q = torch.randn(p, b, generator=gen, dtype=torch.float64).to(device=op.device, dtype=op.dtype)
    Q, _ = torch.linalg.qr(Q)
    res = float("inf")
    # a Ritz residual cannot fall below a few rounding units of the dtype (float32 stalls near 3 eps)
    tol = max(float(tol), 32 * torch.finfo(op.dtype).eps)
    for it in range(1, max_iter + 1):  # noqa: B007 (it: the iteration count, reported after the loop)
        AQ = op.matmat(Q)
        T = Q.T @ AQ
        th, S = torch.linalg.eigh((T + T.T) / 2)
        order = order_by_abs(th)
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
    order = order_by_abs(vals_t)
    return EigenResult(
        values=vals_t[order], vectors=torch.as_tensor(vecs, dtype=op.dtype, device=op.device)[:, order], method="arpack"
    )


def top_k_abs(
    C: torch.Tensor | SignedCovariance,
    k: int,
    *,
    method: str = "auto",
    oversample: int | None = None,
    tol: float = 1e-10,
    max_iter: int = 500,
    seed: int = 0,
    dense_max_p: int = 2048,
) -> EigenResult:
    """The ``k`` eigenpairs of a symmetric (indefinite) operator with the largest ``|lambda|`` (both signs count).

    Parameters
    ----------
    C : torch.Tensor or SignedCovariance
        A dense symmetric (p, p) tensor, or a :class:`SignedCovariance` (matrix-free).
    k : int
        The rank, ``1 <= k <= p``.
    method : {"auto", "dense", "subspace", "arpack"}
        ``"dense"``: full ``eigh`` (forms ``C``). ``"subspace"``: block subspace iteration on ``C`` with
        Rayleigh--Ritz, block ``k + oversample``, stopped when every Ritz residual ``|C x - theta x|`` is below
        ``tol * |theta_1|``; one ``C V`` product per iteration, never a ``p x p`` matrix. ``"arpack"``: SciPy
        ``eigsh(which="LM")``, float64, for cross-checks. ``"auto"``: dense for ``p <= dense_max_p``, else
        subspace.
    oversample : int, optional
        Extra block vectors of the subspace iteration (default ``max(10, k)``).
    tol : float
        Relative residual of the subspace iteration (ARPACK's ``tol``), raised to ``32 eps`` of the dtype
        (float32: 3.8e-6), below which rounding stalls the residual.
    max_iter : int
        Most subspace iterations.
    seed : int
        Seeds the starting block (its own ``torch.Generator``) or ARPACK's start vector.
    dense_max_p : int
        The largest ``p`` that ``"auto"`` solves densely.

    Returns
    -------
    EigenResult
        ``values`` (k,) sorted by decreasing ``|lambda|``, ``vectors`` (p, k) orthonormal, each signed so that
        its entry of largest magnitude is positive.
    """
    check_choice(method, "method", SOLVERS)
    if not isinstance(C, SignedCovariance):
        if not isinstance(C, torch.Tensor) or C.ndim != 2 or C.shape[0] != C.shape[1]:
            raise ValueError(
                f"C must be a square (p, p) tensor or a SignedCovariance, got "
                f"{tuple(C.shape) if hasattr(C, 'shape') else type(C).__name__}"
            )
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
        order = order_by_abs(vals)
        res = EigenResult(values=vals[order[:k]], vectors=vecs[:, order[:k]], method="dense", all_values=vals[order])
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
