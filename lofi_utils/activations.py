"""One registry of the book's activations: each name means one function everywhere.

A record pairs what a finite network computes with what its kernel needs, the way neural-tangents'
``stax`` pairs a layer's function with its kernel function, so a network and its kernel cannot
disagree about what ``"relu"`` is:

* ``numpy(z)`` and ``numpy_prime(z)``: ``sigma`` and ``sigma'`` on float64 arrays (dual kernels,
  Hermite coefficients, quadrature);
* ``torch(z)``: ``sigma`` on tensors (the NTK-parametrised networks of :mod:`lofi_utils.ntk`, the random
  lifts of :mod:`lofi_utils.lofi`);
* ``module()``: a fresh ``torch.nn.Module`` applying ``sigma`` (the standard-parametrisation networks of
  :mod:`lofi_utils.training1d`);
* ``kernel``: whether :func:`lofi_utils.kernels.dual_activation` has ``sigma``'s dual kernel
  (closed form or series); :meth:`Activation.dual` evaluates it and :meth:`Activation.hermite2` gives the
  squared normalised Hermite coefficients ``a_n^2`` of ``sigma`` (closed form for ``relu``).

Names (``sigma(z)``):

================  ==============================================  =========
name              ``sigma(z)``                                    kernel
================  ==============================================  =========
``relu``          ``sqrt(2) max(z, 0)`` (unit second moment)       yes
``plain_relu``    ``max(z, 0)`` (``torch.nn.ReLU``)                no
``erf``           ``erf(a z)``, ``a = ERF_SCALE = 1``              yes
``tanh``          ``tanh(z)``                                     yes
``sin``           ``sin(z)``                                      no
``sigmoid``       ``1 / (1 + exp(-z))``                           no
``abs``           ``abs(z)``                                      no
``quadratic``     ``(z^2 - 1) / sqrt(2)`` (``He_2`` normalised)    no
``linear``        ``z``                                           no
``gelu``, ``softplus``, ``silu``, ``elu``, ``leaky_relu``: PyTorch's modules of those names (no kernel)
================  ==============================================  =========

Every module that takes an activation name looks it up here (:func:`get`), each with the subset it
supports (:func:`check_name`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.special import erf as _erf
from scipy.special import expit as _expit
from torch import nn

from .validation import check_choice

__all__ = ["Activation", "ERF_SCALE", "REGISTRY", "Sine", "TorchFunction", "get", "check_name", "names"]

#: ``a`` in ``sigma(z) = erf(a z)``.
ERF_SCALE = 1.0
_SQRT2 = math.sqrt(2.0)


class Sine(nn.Module):
    """The activation ``sin(z)`` (with PyTorch's default init this is *not* a SIREN: no omega_0)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``sin(z)`` elementwise."""
        return torch.sin(z)


class TorchFunction(nn.Module):
    """An ``nn.Module`` applying an elementwise torch function (for activations without a module class)."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], name: str) -> None:
        """Wrap ``fn``; ``name`` is what ``repr`` shows."""
        super().__init__()
        self.fn = fn
        self.name = name

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``fn(z)`` elementwise."""
        return self.fn(z)

    def extra_repr(self) -> str:
        """The function's name, shown by ``repr``."""
        return self.name


@dataclass(frozen=True)
class Activation:
    """One activation: its NumPy and torch functions, derivative, module and kernel (see the module docstring)."""

    name: str
    formula: str
    numpy: Callable[[np.ndarray], np.ndarray]
    torch: Callable[[torch.Tensor], torch.Tensor]
    numpy_prime: Callable[[np.ndarray], np.ndarray] | None = None
    module_class: type[nn.Module] | None = None
    kernel: bool = False

    def module(self) -> nn.Module:
        """A fresh ``nn.Module`` that applies ``sigma`` elementwise."""
        if self.module_class is not None:
            return self.module_class()
        return TorchFunction(self.torch, self.name)

    def dual(self, q: float, c: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Dual kernel ``(V(c), V_dot(c))`` for inputs of variance ``q`` and covariances ``c``
        (:func:`lofi_utils.kernels.dual_activation`); ``ValueError`` when ``kernel`` is false."""
        if not self.kernel:
            raise ValueError(
                f"activation {self.name!r} has no dual kernel here; those with one: {', '.join(names(kernel=True))}"
            )
        from .kernels import dual_activation

        return dual_activation(self.name, q, c)

    def hermite2(self, nmax: int, *, n_nodes: int = 200) -> np.ndarray:
        """Squared normalised Hermite coefficients ``a_n^2``, ``n = 0..nmax``, of ``sigma``
        (:mod:`lofi_utils.hermite`): the closed form for ``relu``, Gauss--Hermite quadrature otherwise.
        Returns float64 of shape ``(nmax + 1,)``."""
        from .hermite import hermite_coeffs, relu_hermite_coeffs

        if self.name == "relu":
            return relu_hermite_coeffs(nmax)
        return hermite_coeffs(self.numpy, nmax, n_nodes=n_nodes) ** 2


def _record(name, formula, np_fn, torch_fn, np_prime=None, module_class=None, kernel=False) -> Activation:
    return Activation(
        name=name,
        formula=formula,
        numpy=np_fn,
        torch=torch_fn,
        numpy_prime=np_prime,
        module_class=module_class,
        kernel=kernel,
    )


#: Every activation of the book, by name.
REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        _record(
            "relu",
            "sqrt(2) max(z, 0)",
            lambda z: _SQRT2 * np.maximum(z, 0.0),
            lambda z: _SQRT2 * torch.relu(z),
            lambda z: _SQRT2 * (z > 0).astype(float),
            kernel=True,
        ),
        _record(
            "plain_relu",
            "max(z, 0)",
            lambda z: np.maximum(z, 0.0),
            torch.relu,
            lambda z: (z > 0).astype(float),
            nn.ReLU,
        ),
        _record(
            "erf",
            "erf(z)",
            lambda z: _erf(ERF_SCALE * z),
            lambda z: torch.erf(ERF_SCALE * z),
            lambda z: 2 * ERF_SCALE / math.sqrt(math.pi) * np.exp(-((ERF_SCALE * z) ** 2)),
            kernel=True,
        ),
        _record("tanh", "tanh(z)", np.tanh, torch.tanh, lambda z: 1.0 - np.tanh(z) ** 2, nn.Tanh, kernel=True),
        _record("sin", "sin(z)", np.sin, torch.sin, np.cos, Sine),
        _record(
            "sigmoid", "1 / (1 + exp(-z))", _expit, torch.sigmoid, lambda z: _expit(z) * (1 - _expit(z)), nn.Sigmoid
        ),
        _record("abs", "|z|", np.abs, torch.abs, np.sign),
        _record(
            "quadratic",
            "(z^2 - 1) / sqrt(2)",
            lambda z: (z * z - 1.0) / _SQRT2,
            lambda z: (z * z - 1.0) / math.sqrt(2.0),
            lambda z: _SQRT2 * z,
        ),
        _record("linear", "z", lambda z: z, lambda z: z, np.ones_like),
        _record(
            "gelu", "z Phi(z)", lambda z: 0.5 * z * (1 + _erf(z / _SQRT2)), nn.functional.gelu, module_class=nn.GELU
        ),
        _record(
            "softplus", "log(1 + exp(z))", lambda z: np.logaddexp(0.0, z), nn.functional.softplus, _expit, nn.Softplus
        ),
        _record("silu", "z / (1 + exp(-z))", lambda z: z * _expit(z), nn.functional.silu, module_class=nn.SiLU),
        _record(
            "elu",
            "z if z > 0 else exp(z) - 1",
            lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
            nn.functional.elu,
            module_class=nn.ELU,
        ),
        _record(
            "leaky_relu",
            "max(z, 0.01 z)",
            lambda z: np.where(z > 0, z, 0.01 * z),
            nn.functional.leaky_relu,
            module_class=nn.LeakyReLU,
        ),
    )
}


def names(*, kernel: bool | None = None, module: bool | None = None) -> tuple[str, ...]:
    """The registered names, optionally only those with (``True``) or without a dual kernel / module class."""
    return tuple(
        n
        for n, a in REGISTRY.items()
        if (kernel is None or a.kernel == kernel) and (module is None or (a.module_class is not None) == module)
    )


def check_name(name: str, allowed: Sequence[str] | None = None) -> str:
    """``name`` lower-cased if it is a registered activation (and in ``allowed`` when given), else a
    one-line ``ValueError`` naming the allowed ones."""
    return check_choice(name, "activation", tuple(REGISTRY) if allowed is None else allowed, casefold=True)


def get(name: str, allowed: Sequence[str] | None = None) -> Activation:
    """The :class:`Activation` of ``name`` (see :func:`check_name`)."""
    return REGISTRY[check_name(name, allowed)]
