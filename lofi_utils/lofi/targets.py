"""The hierarchical Gaussian target of the Neural LoFi experiments and the overlaps that score a filter.

A SIGHT-like target: ``x ~ N(0, I_d)``, ``W`` (d, r) with orthonormal columns, signs ``a`` in {+-1}^r,

    h*(x) = sum_j a_j He_2(w_j . x) / sqrt(2 r),      y = tanh(gain * h*(x)),

so ``E[y x] = 0`` and all the label's dependence on ``x`` starts at degree 2: a linear detector sees nothing, the
signed covariance ``E[(y - ybar) x x^T]`` sees ``span W`` (:class:`HierarchicalTarget`, :func:`hierarchical_target`).
:func:`hidden_overlap` scores a filter against ``span W``; :func:`span_r2` scores features against any targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from ..validation import check_int

__all__ = ["HierarchicalTarget", "hierarchical_target", "hidden_overlap", "span_r2"]


@dataclass(frozen=True)
class HierarchicalTarget:
    """``y = tanh(gain * sum_j a_j He_2(w_j.x)/sqrt(2r))`` on ``x ~ N(0, I_d)``; ``W`` (d, r), ``a`` (r,)."""

    W: np.ndarray
    a: np.ndarray
    gain: float = 2.0

    @property
    def d(self) -> int:
        """The input dimension ``d``."""
        return self.W.shape[0]

    @property
    def r(self) -> int:
        """The number ``r`` of hidden directions."""
        return self.W.shape[1]

    def hidden(self, X: ArrayLike) -> np.ndarray:
        """The hidden projections ``u = W^T x`` (n, r)."""
        return (torch.as_tensor(np.asarray(X, dtype=np.float64)) @ torch.as_tensor(self.W)).numpy()

    def feature(self, X: ArrayLike) -> np.ndarray:
        """The second-level feature ``h*(x) = sum_j a_j He_2(u_j) / sqrt(2r)`` (n,), unit variance."""
        U = self.hidden(X)
        return ((U**2 - 1.0) * self.a).sum(1) / np.sqrt(2.0 * self.r)

    def label(self, X: ArrayLike) -> np.ndarray:
        """``y = tanh(gain h*(x))`` (n,)."""
        return np.tanh(self.gain * self.feature(X))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples ``(X (n, d), y (n,))``, float64."""
        X = rng.standard_normal((int(n), self.d))
        return X, self.label(X)


def hierarchical_target(
    d: int, r: int, *, gain: float = 2.0, balanced: bool = False, rng: np.random.Generator
) -> HierarchicalTarget:
    """Draw ``W`` (Haar, orthonormal columns) and signs ``a`` for a :class:`HierarchicalTarget`.

    The signs are i.i.d. uniform, or with ``balanced=True`` (``r`` even) exactly ``r/2`` of each in a
    random order. Balanced signs make ``h*`` symmetric in law (swapping the two groups maps ``h*`` to
    ``-h*`` and fixes ``T = sum_j He_2(w_j.x)``), so an odd link ``tanh`` gives ``E[y T] = 0``: the
    label's degree-2 part is then proportional to ``h*`` alone.
    """
    check_int(r, "r", minimum=1, maximum=check_int(d, "d", minimum=1))
    if balanced and r % 2:
        raise ValueError(f"balanced signs need an even r, got r={r}")
    W, _ = np.linalg.qr(rng.standard_normal((d, r)))
    a = rng.permutation(np.repeat([1.0, -1.0], r // 2)) if balanced else rng.choice([-1.0, 1.0], size=r)
    return HierarchicalTarget(W=W, a=a, gain=float(gain))


def hidden_overlap(U: ArrayLike, W: ArrayLike) -> float:
    """``|Q_U^T W|_F^2 / r``: the fraction of ``span W`` (d, r; orthonormal) captured by ``span U`` (d, k)."""
    Q, _ = np.linalg.qr(np.asarray(U, dtype=np.float64))
    W = np.asarray(W, dtype=np.float64)
    return float(np.sum((Q.T @ W) ** 2) / W.shape[1])


def span_r2(H: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Fraction of the variance of each column of ``T`` (n, m) explained linearly (with intercept) by ``H`` (n, k)."""
    H = np.c_[np.asarray(H, dtype=np.float64), np.ones(len(H))]
    T = np.asarray(T, dtype=np.float64).reshape(len(H), -1)
    coef = np.linalg.lstsq(H, T, rcond=None)[0]
    return 1.0 - ((T - H @ coef) ** 2).mean(0) / T.var(0)
