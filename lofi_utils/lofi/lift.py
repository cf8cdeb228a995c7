"""The random lift of one Neural LoFi layer: ``z(h) = p^{-1/2} sigma(W^T h / c + b)``, frozen.

Step 1 and 2 of a LoFi layer (:mod:`lofi_utils.lofi`): the scale ``c`` from the training inputs, then a
random nonlinear map of width ``p`` whose weights are never trained. Its features can be produced in row
chunks (:meth:`RandomLift.chunks`), so no caller needs ``Z`` (n, p) whole, and its Gram matrix
``Z(H1) Z(H2)^T`` is accumulated over blocks of ``p`` (:meth:`RandomLift.gram`).

Activations (:data:`ACTIVATIONS`) are those of the registry :mod:`lofi_utils.activations`: ``"relu"`` is
``sqrt(2) max(z, 0)`` as everywhere in the book, ``"sigmoid"`` the logistic function, ``"quadratic"`` the
normalised ``He_2``, ``"erf"`` and ``"tanh"`` as in :mod:`lofi_utils.kernels`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from .. import activations
from ..validation import check_int, check_nonnegative
from .tensors import default_dtype

__all__ = ["ACTIVATIONS", "check_activation", "torch_activation", "RandomLift"]

#: The activations a LoFi lift accepts (names of :mod:`lofi_utils.activations`).
ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "erf", "tanh", "abs", "quadratic", "linear")


def check_activation(name: str) -> str:
    """``name`` lower-cased if it is one of :data:`ACTIVATIONS`, else a one-line ``ValueError`` naming them."""
    return activations.check_name(name, ACTIVATIONS)


def torch_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation ``sigma`` of :data:`ACTIVATIONS` as a torch function, the registry's
    (:func:`lofi_utils.activations.get`; ``relu`` is ``sqrt(2) max(z, 0)``)."""
    return activations.get(name, ACTIVATIONS).torch


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

    Parameters
    ----------
    m : int
        Input dimension ``>= 1`` (rows of ``W``).
    p : int
        Width ``>= 1`` (columns of ``W``, features of ``z``).
    activation : str
        One of :data:`ACTIVATIONS`.
    seed : int
        Seeds the CPU generator that draws ``W`` (m, p) and then ``b`` (p,).
    bias : float
        Standard deviation ``>= 0`` of the offsets ``b``; ``0``: no offsets.
    device : torch.device or str
        Where ``W``, ``b`` and the features live.
    dtype : torch.dtype, optional
        Their precision; default float64 on the CPU, float32 on an accelerator.
    chunk : int
        Rows per block of :meth:`chunks`.
    """

    def __init__(
        self,
        m: int,
        p: int,
        *,
        activation: str = "relu",
        seed: int = 0,
        bias: float = 0.0,
        device: torch.device | str = "cpu",
        dtype: torch.dtype | None = None,
        chunk: int = 8192,
    ) -> None:
        """Draw the frozen weights ``W`` and offsets ``b`` (see the class docstring); the scale ``c`` is unset."""
        self.m = check_int(m, "input dimension m", minimum=1)
        self.p = check_int(p, "width p", minimum=1)
        self.activation = check_activation(activation)
        self.device = torch.device(device)
        self.dtype = dtype or default_dtype(self.device)
        self.chunk = check_int(chunk, "chunk", minimum=1)
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        # drawn on the CPU in float32 blocks so that the same seed gives the same W on every device
        blocks = [torch.randn(self.m, min(8192, self.p - j), generator=gen) for j in range(0, self.p, 8192)]
        self.W = torch.cat(blocks, dim=1).to(device=self.device, dtype=self.dtype)
        bias = check_nonnegative(bias, "bias (a standard deviation)")
        self.bias = bias
        self.b = (
            None if bias == 0 else (bias * torch.randn(self.p, generator=gen)).to(device=self.device, dtype=self.dtype)
        )
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

    def chunks(self, H: torch.Tensor) -> Iterator[tuple[slice, torch.Tensor]]:
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
        """``Z(H1) Z(H2)^T`` accumulated over blocks of ``p`` (never holds ``Z`` whole), float64.

        Parameters
        ----------
        H1 : torch.Tensor
            Inputs, shape (n1, m).
        H2 : torch.Tensor, optional
            Inputs, shape (n2, m); default ``H1``.

        Returns
        -------
        torch.Tensor
            The Gram matrix, shape (n1, n2), float64, on :attr:`device`.
        """
        same = H2 is None or H2 is H1
        H2 = H1 if H2 is None else H2
        out = torch.zeros(H1.shape[0], H2.shape[0], dtype=torch.float64, device=self.device)
        H1 = H1.to(device=self.device, dtype=self.dtype)
        H2 = H1 if same else H2.to(device=self.device, dtype=self.dtype)
        step = max(1, min(self.p, 2**26 // max(1, H1.shape[0] + H2.shape[0])))
        for j in range(0, self.p, step):
            Wj = self.W[:, j : j + step]
            bj = 0.0 if self.b is None else self.b[j : j + step]
            A = self._sigma((H1 @ Wj) / self.c + bj).to(torch.float64)
            B = A if same else self._sigma((H2 @ Wj) / self.c + bj).to(torch.float64)
            out.addmm_(A, B.T)  # accumulate in place: no (n1 x n2) temporary
        return out.div_(self.p)
