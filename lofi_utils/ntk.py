"""Finite-width networks in the NTK parametrisation and their empirical (per-layer) NTK, in PyTorch.

:class:`MLP` is exactly the network of :mod:`lofi_utils.kernels`: ``L`` weight layers, all weights
and biases ``N(0, 1)``,

    z_1 = W_0 x / sqrt(d) + beta b_0,    z_{l+1} = W_l sigma(z_l) / sqrt(n) + beta b_l,    f = z_L,

so that, for inputs on the sphere of radius ``sqrt(d)``, the empirical NTK converges to
:func:`lofi_utils.kernels.ntk` as the width ``n -> infinity`` (fluctuations ~ ``n^(-1/2)``).

The per-layer empirical NTK of the parameter group ``(W_{l-1}, b_{l-1})`` factorises: with
``h_0 = x``, ``h_l = sigma(z_l)`` and ``delta_l = df/dz_l`` (per sample),

    Theta_hat_l(x, x') = (h_{l-1}(x) . h_{l-1}(x') / n_{l-1} + beta^2) * (delta_l(x) . delta_l(x')),

because ``df/dW_{l-1} = delta_l h_{l-1}^T / sqrt(n_{l-1})`` and ``df/db_{l-1} = beta delta_l``.
:func:`empirical_layer_ntk` uses this (one backward pass, O(N^2 n) per layer, no Jacobian);
:func:`jacobian_layer_ntk` is the general ``torch.func`` route used to cross-check it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from . import activations
from .kernels import check_activation, check_bias, check_depth
from .validation import check_int

__all__ = [
    "MLP",
    "empirical_layer_ntk",
    "empirical_ntk",
    "jacobian_layer_ntk",
    "jacobian_layer_ntk_blocked",
    "bin_by_cosine",
]


class MLP(nn.Module):
    """Fully-connected scalar-output network in the NTK parametrisation (see the module docstring).

    ``MLP(d, width, depth, *, activation="relu", bias=0.0)``: input dimension ``d``, hidden width
    ``n``, ``depth = L`` weight layers (``L - 1`` hidden layers; ``L = 1`` is the linear model),
    activation in :data:`lofi_utils.kernels.ACTIVATIONS` (the torch function of the registry
    :mod:`lofi_utils.activations`, the one its kernel is computed for; relu is ``sqrt(2) max(z, 0)``), bias scale
    ``beta >= 0`` (the biases exist as parameters even when ``beta = 0``; they then carry no gradient).
    ``seed`` (optional) draws the initial parameters from its own ``torch.Generator``; ``dtype`` and
    ``device`` place them. Parameters: ``weights[l]`` of shape ``(n_{l+1}, n_l)`` and ``biases[l]`` of
    shape ``(n_{l+1},)``, l = 0..L-1, with ``n_0 = d``, ``n_L = 1``.

    ``forward(x)``: ``x`` of shape ``(N, d)`` -> ``f`` of shape ``(N,)``.

    Parameters
    ----------
    d : int
        Input dimension ``>= 1``.
    width : int
        Hidden width ``n >= 1``.
    depth : int
        Number of weight layers ``L >= 1``.
    activation : str
        One of :data:`lofi_utils.kernels.ACTIVATIONS`.
    bias : float
        The bias scale ``beta`` in ``[0, MAX_BIAS]``.
    seed : int, optional
        Seeds the generator of the initial parameters; ``None``: torch's global generator.
    dtype : torch.dtype
        The parameters' dtype.
    device : torch.device or str, optional
        The parameters' device (default the CPU).
    """

    def __init__(
        self,
        d: int,
        width: int,
        depth: int,
        *,
        activation: str = "relu",
        bias: float = 0.0,
        seed: int | None = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> None:
        """Check the options and draw the parameters (see the class docstring)."""
        super().__init__()
        self.d = check_int(d, "d", minimum=1)
        self.width = check_int(width, "width", minimum=1)
        self.depth = check_depth(depth)
        self.activation = check_activation(activation)
        self.beta = check_bias(bias)
        self._sigma = activations.get(self.activation).torch
        dims = [self.d] + [self.width] * (self.depth - 1) + [1]
        self.dims = tuple(dims)
        gen = None
        if seed is not None:
            gen = torch.Generator(device=device or "cpu")
            gen.manual_seed(int(seed))
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for l in range(self.depth):
            W = torch.empty(dims[l + 1], dims[l], dtype=dtype, device=device)
            b = torch.empty(dims[l + 1], dtype=dtype, device=device)
            W.normal_(generator=gen)
            b.normal_(generator=gen)
            self.weights.append(nn.Parameter(W))
            self.biases.append(nn.Parameter(b))

    def parameter_groups(self) -> list[list[str]]:
        """Names of the parameters of each layer, in order: ``[["weights.0", "biases.0"], ...]``.

        Group ``l - 1`` is ``(W_{l-1}, b_{l-1})``, whose NTK is ``Theta_l``.
        """
        return [[f"weights.{l}", f"biases.{l}"] for l in range(self.depth)]

    def forward_layers(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Forward pass that keeps every layer.

        Returns ``(f, zs, hs)``: ``f`` of shape ``(N,)``; ``zs = [z_1, ..., z_L]`` pre-activations,
        ``z_l`` of shape ``(N, n_l)`` (``z_L`` is ``(N, 1)``, ``f = z_L[:, 0]``); ``hs = [h_0, ...,
        h_{L-1}]`` with ``h_0 = x`` and ``h_l = sigma(z_l)``.
        """
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"x must have shape (N, {self.d}), got {tuple(x.shape)}")
        h = x
        zs, hs = [], [x]
        for l in range(self.depth):
            z = h @ self.weights[l].T / math.sqrt(self.dims[l]) + self.beta * self.biases[l]
            zs.append(z)
            if l < self.depth - 1:
                h = self._sigma(z)
                hs.append(h)
        return zs[-1][:, 0], zs, hs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The output ``f`` (N,) for inputs ``x`` (N, d)."""
        return self.forward_layers(x)[0]

    def extra_repr(self) -> str:
        """The sizes and options shown by ``repr``."""
        return f"d={self.d}, width={self.width}, depth={self.depth}, activation={self.activation!r}, bias={self.beta}"


def _features(model: MLP, x: torch.Tensor, chunk: int | None):
    """Per-layer ``H_{l-1}`` and ``Delta_l`` for all samples (chunked over samples; exact)."""
    Hs = [[] for _ in range(model.depth)]
    Ds = [[] for _ in range(model.depth)]
    n = x.shape[0]
    step = n if not chunk else int(chunk)
    for i in range(0, n, step):
        xi = x[i : i + step]
        with torch.enable_grad():
            f, zs, hs = model.forward_layers(xi)
            grads = torch.autograd.grad(f.sum(), zs[:-1]) if model.depth > 1 else ()
        for l in range(model.depth):
            Hs[l].append(hs[l].detach())
            Ds[l].append(grads[l].detach() if l < model.depth - 1 else torch.ones_like(zs[-1]).detach())
    return [torch.cat(h) for h in Hs], [torch.cat(g) for g in Ds]


def _check_inputs(model, x1, x2):
    if not isinstance(model, MLP):
        raise ValueError(f"model must be a lofi_utils.ntk.MLP, got {type(model).__name__}")
    for nm, x in (("x1", x1), ("x2", x2)):
        if x is not None and (not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != model.d):
            raise ValueError(f"{nm} must be a tensor of shape (N, {model.d})")


@torch.no_grad()
def empirical_layer_ntk(
    model: MLP, x1: torch.Tensor, x2: torch.Tensor | None = None, *, chunk: int | None = 4096
) -> torch.Tensor:
    """Empirical NTK of each layer's parameters, by the factorised formula.

    ``Theta_hat_l = (H_{l-1} H'_{l-1}^T / n_{l-1} + beta^2) * (Delta_l Delta'_l^T)`` (elementwise
    product), where ``H_{l-1}`` stacks ``h_{l-1}(x)`` and ``Delta_l`` stacks ``df/dz_l(x)``, obtained by one
    backward pass of ``f.sum()`` (samples do not interact, so the rows are the per-sample gradients).
    Cost O(N1 N2 n) per layer; no Jacobian is formed.

    Parameters
    ----------
    model : MLP
        The network.
    x1 : torch.Tensor
        Shape (N1, d).
    x2 : torch.Tensor, optional
        Shape (N2, d); default ``x1``.
    chunk : int, optional
        Samples per forward/backward pass (memory bound; ``None`` = all at once).

    Returns
    -------
    torch.Tensor
        Shape (L, N1, N2), in the model's dtype (its sum over layers is the empirical NTK).
    """
    _check_inputs(model, x1, x2)
    H1, D1 = _features(model, x1, chunk)
    H2, D2 = (H1, D1) if x2 is None else _features(model, x2, chunk)
    beta2 = model.beta**2
    out = torch.empty(
        model.depth, x1.shape[0], (x1 if x2 is None else x2).shape[0], dtype=H1[0].dtype, device=H1[0].device
    )
    for l in range(model.depth):
        out[l] = (H1[l] @ H2[l].T / model.dims[l] + beta2) * (D1[l] @ D2[l].T)
    return out


def empirical_ntk(
    model: MLP, x1: torch.Tensor, x2: torch.Tensor | None = None, *, chunk: int | None = 4096
) -> torch.Tensor:
    """Empirical NTK ``Theta_hat(x, x') = sum_p df(x)/dp df(x')/dp``: the sum over layers of
    :func:`empirical_layer_ntk`. Same arguments; returns ``(N1, N2)``."""
    return empirical_layer_ntk(model, x1, x2, chunk=chunk).sum(dim=0)


def jacobian_layer_ntk(model: MLP, x: torch.Tensor) -> torch.Tensor:
    """Per-layer empirical NTK from explicit Jacobians (``torch.func``): the slow, general route.

    For each parameter group ``(W_{l-1}, b_{l-1})``: ``J = vmap(jacrev(f))(x)`` of shape
    ``(N, #params)`` via ``functional_call``, and ``Theta_hat_l = J J^T``. Memory O(N * #params): small
    cases only (cross-checks of :func:`empirical_layer_ntk`).

    ``model``: :class:`MLP`; ``x``: ``(N, d)``. Returns ``(L, N, N)``.
    """
    from torch.func import functional_call, jacrev, vmap

    _check_inputs(model, x, None)
    params = {k: v.detach() for k, v in model.named_parameters()}
    out = []
    for group in model.parameter_groups():
        fixed = {k: v for k, v in params.items() if k not in group}

        def f_single(p_group, xi, fixed=fixed):
            return functional_call(model, {**fixed, **p_group}, (xi[None],))[0]

        jac = vmap(jacrev(f_single), in_dims=(None, 0))({k: params[k] for k in group}, x)
        J = torch.cat([jac[k].reshape(x.shape[0], -1) for k in group], dim=1)
        out.append(J @ J.T)
    return torch.stack(out)


def jacobian_layer_ntk_blocked(model: MLP, x: torch.Tensor, *, chunk: int = 256) -> torch.Tensor:
    """Per-layer empirical NTK from explicit Jacobians, in blocks of samples (memory O(chunk * #params)).

    The route of :func:`jacobian_layer_ntk` for sizes where the whole Jacobian ``(N, #params)`` does not fit:
    for each parameter group and each pair of sample blocks ``(i, j)``, ``j >= i``, the block Jacobians
    ``J_i``, ``J_j`` (``vmap(jacrev)``) give ``Theta_hat_l[i, j] = J_i J_j^T``. Every ``J_j`` is recomputed for
    every ``i`` (no Jacobian is stored beyond two blocks): cost O(N^2 #params), the price the factorised
    :func:`empirical_layer_ntk` (O(N^2 n) per layer) avoids.

    ``model``: :class:`MLP`; ``x``: ``(N, d)``; ``chunk``: samples per block. Returns ``(L, N, N)``.
    """
    from torch.func import functional_call, jacrev, vmap

    _check_inputs(model, x, None)
    check_int(chunk, "chunk", minimum=1)
    params = {k: v.detach() for k, v in model.named_parameters()}
    n = x.shape[0]
    starts = list(range(0, n, int(chunk)))
    out = torch.empty(model.depth, n, n, dtype=x.dtype, device=x.device)
    for l, group in enumerate(model.parameter_groups()):
        fixed = {k: v for k, v in params.items() if k not in group}
        own = {k: params[k] for k in group}

        def f_single(p_group, xi, fixed=fixed):
            return functional_call(model, {**fixed, **p_group}, (xi[None],))[0]

        jac_fn = vmap(jacrev(f_single), in_dims=(None, 0))

        def block(a, jac_fn=jac_fn, own=own, group=group):
            jac = jac_fn(own, x[a : a + chunk])
            return torch.cat([jac[k].reshape(jac[k].shape[0], -1) for k in group], dim=1)

        for i in starts:
            Ji = block(i)
            for j in starts:
                if j < i:
                    continue
                Jj = Ji if j == i else block(j)
                G = Ji @ Jj.T
                out[l, i : i + chunk, j : j + chunk] = G
                out[l, j : j + chunk, i : i + chunk] = G.T
                del Jj
            del Ji
    return out


def bin_by_cosine(
    t: ArrayLike, values: ArrayLike, *, bins: int = 40
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Average kernel entries in bins of the cosine ``t`` (to plot an empirical NTK against ``kappa(t)``).

    Parameters
    ----------
    t : array_like
        Cosines in [-1, 1], e.g. the ``N x N`` matrix of cosines (flattened).
    values : array_like
        Kernel entries of the same size, e.g. ``Theta_hat``.
    bins : int
        Number of equal-width bins on [-1, 1].

    Returns
    -------
    centres, mean, std : np.ndarray
        Shape (bins,), float64; NaN in empty bins.
    count : np.ndarray
        Shape (bins,), int: entries per bin.
    """
    t = np.asarray(t, dtype=float).ravel()
    v = np.asarray(values, dtype=float).ravel()
    if t.shape != v.shape:
        raise ValueError(f"t and values must have the same number of entries, got {t.size} and {v.size}")
    check_int(bins, "bins", minimum=1)
    edges = np.linspace(-1.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(t, edges) - 1, 0, bins - 1)
    count = np.bincount(idx, minlength=bins).astype(float)
    s1 = np.bincount(idx, weights=v, minlength=bins)
    s2 = np.bincount(idx, weights=v * v, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / count
        std = np.sqrt(np.maximum(s2 / count - mean**2, 0.0))
    return 0.5 * (edges[1:] + edges[:-1]), mean, std, count.astype(int)
