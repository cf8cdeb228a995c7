"""Who reduces the error: the test-loss reduction of gradient descent attributed to each layer.

Layer l's parameters ``(W_{l-1}, b_{l-1})`` move along ``-eta g_l^train``, so to first order they change the
test loss by ``-eta <g_l^test, g_l^train>``; summed over steps these are the per-layer contributions
``C_l(t)``, which add up to the test-loss drop (exactly, with the trapezoidal rule, when the loss is quadratic
in the parameters, as in the kernel regime). In the kernel regime a single-degree target gives each layer
the share ``s_k^(l)`` of :mod:`lofi_utils.layer_spectra` of the work (after Dandi & Jacot, arXiv 2111.03972).

* :func:`train_attribution` -- a network (:class:`lofi_utils.ntk.MLP`) trained by full-batch gradient
  descent, optionally with only some layers trained;
* :func:`kernel_attribution` -- the linearised model, from per-layer Gram matrices;
* :func:`compare_attribution` -- one target at three levels: the network, its initial-kernel linearisation
  and the analytic kernels (:class:`AttributionComparison`);
* summaries: :func:`residual_rate`, :func:`early_late_shares`, :func:`closure_error`,
  :func:`linearisation_gap`.

Kernels are float64 NumPy; networks train in PyTorch in their own dtype.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike

from .kernels import layer_kernels
from .ntk import MLP, empirical_layer_ntk
from .runtime import torch_threads
from .validation import check_int, check_positive

__all__ = [
    "AttributionResult",
    "train_attribution",
    "kernel_attribution",
    "residual_rate",
    "early_late_shares",
    "AttributionComparison",
    "compare_attribution",
    "closure_error",
    "linearisation_gap",
]


@dataclass
class AttributionResult:
    """Per-layer attribution of the test-loss reduction during gradient descent.

    ``contrib`` (T+1, L): cumulative ``C_l(t)`` by the trapezoidal rule,
    ``C_l += (eta/2) <grad_l L_test(theta_t) + grad_l L_test(theta_{t+1}), grad_l L_train(theta_t)>`` (exact
    for a quadratic test loss, so ``sum_l C_l`` equals the drop of the linearised model's test loss);
    ``contrib_euler`` (T+1, L): the first-order version ``eta <grad_l L_test(theta_t), grad_l L_train(theta_t)>``;
    ``test_loss``, ``train_loss`` (T+1,); ``trained``: the layers (1-based) that were updated.
    """

    contrib: np.ndarray
    contrib_euler: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    eta: float
    trained: tuple
    wall_time: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def drop(self) -> float:
        """Test-loss reduction over the run, ``L_test(0) - L_test(T)``."""
        return float(self.test_loss[0] - self.test_loss[-1])

    @property
    def shares(self) -> np.ndarray:
        """(L,): fraction of the total attributed reduction done by each layer, ``C_l(T) / sum_l C_l(T)``."""
        c = self.contrib[-1]
        return c / c.sum()

    @property
    def closure(self) -> float:
        """``sum_l C_l(T) / drop``: 1 when the attribution accounts for the whole reduction."""
        return float(self.contrib[-1].sum() / self.drop)

    @property
    def closure_euler(self) -> float:
        """:attr:`closure` of the Euler attribution (``g^test`` at the start of each step only)."""
        return float(self.contrib_euler[-1].sum() / self.drop)


def _check_trained(train_layers, L):
    if train_layers is None:
        return tuple(range(1, L + 1))
    tl = tuple(sorted({int(l) for l in train_layers}))
    if not tl or tl[0] < 1 or tl[-1] > L:
        raise ValueError(f"train_layers must be layers in 1..{L}, got {train_layers!r}")
    return tl


def train_attribution(
    model: MLP,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    eta: float,
    steps: int,
    train_layers: Sequence[int] | None = None,
    record_every: int = 1,
    threads: int | None = None,
) -> AttributionResult:
    """Full-batch gradient descent on ``L_train = 1/(2n) sum (f - f_0 - y)^2`` with the test-loss reduction
    attributed to each layer.

    ``f_0`` is the initial function (subtracted so that the network starts at 0, like the linearised
    model). At every step the gradients of ``L_train`` and ``L_test`` (the same loss on the test points) are
    taken per parameter group ``(W_{l-1}, b_{l-1})``; layer l's share of the step's test-loss change is
    ``-eta <g_l^test, g_l^train>``, with ``g^test`` averaged between the two ends of the step
    (:class:`AttributionResult`). Only ``train_layers`` (1-based; default all) are updated: with one layer,
    this is the train-one-layer-only experiment.

    ``model``: :class:`lofi_utils.ntk.MLP` (modified in place); ``x_*``: tensors (n, d) on the model's device;
    ``y_*``: tensors (n,); ``eta``: step > 0; ``steps``: int >= 1; ``record_every``: loss/contribution
    recording stride; ``threads``: PyTorch threads during training (``None``: unchanged; on a CPU shared
    with other work one thread can be 10x faster for these small networks). Returns an
    :class:`AttributionResult` (arrays at the recorded steps).
    """
    if not isinstance(model, MLP):
        raise ValueError(f"model must be a lofi_utils.ntk.MLP, got {type(model).__name__}")
    steps = check_int(steps, "steps", minimum=1)
    eta = check_positive(eta, "eta")
    with torch_threads(threads):
        return _train_attribution(model, x_train, y_train, x_test, y_test, eta, steps, train_layers, record_every)


def _train_attribution(model, x_train, y_train, x_test, y_test, eta, steps, train_layers, record_every):
    L = model.depth
    trained = _check_trained(train_layers, L)
    params = [p for l in trained for p in (model.weights[l - 1], model.biases[l - 1])]
    with torch.no_grad():
        f0_tr, f0_te = model(x_train), model(x_test)
    y_tr, y_te = y_train.to(f0_tr.dtype), y_test.to(f0_te.dtype)

    def loss_and_grad(x, f0, y):  # separate passes: each backward sees only its samples
        r = model(x) - f0 - y
        loss = 0.5 * (r * r).mean()
        return loss.item(), torch.autograd.grad(loss, params)

    def per_layer_dot(ga, gb):
        out = np.zeros(L)
        for i, l in enumerate(trained):
            out[l - 1] = sum((a * b).sum().item() for a, b in zip(ga[2 * i : 2 * i + 2], gb[2 * i : 2 * i + 2]))
        return out

    C = np.zeros(L)
    Ce = np.zeros(L)
    rec_C, rec_Ce, rec_te, rec_tr = [C.copy()], [Ce.copy()], [], []
    t0 = time.perf_counter()
    ltr, gtr = loss_and_grad(x_train, f0_tr, y_tr)
    lte, gte = loss_and_grad(x_test, f0_te, y_te)
    rec_te.append(lte)
    rec_tr.append(ltr)
    for s in range(1, steps + 1):
        now = per_layer_dot(gte, gtr)
        with torch.no_grad():
            for p, g in zip(params, gtr):
                p.sub_(eta * g)
        lte, gte = loss_and_grad(x_test, f0_te, y_te)
        after = per_layer_dot(gte, gtr)
        ltr, gtr = loss_and_grad(x_train, f0_tr, y_tr)
        Ce += eta * now
        C += 0.5 * eta * (now + after)
        if s % record_every == 0 or s == steps:
            rec_C.append(C.copy())
            rec_Ce.append(Ce.copy())
            rec_te.append(lte)
            rec_tr.append(ltr)
    return AttributionResult(
        contrib=np.array(rec_C),
        contrib_euler=np.array(rec_Ce),
        test_loss=np.array(rec_te),
        train_loss=np.array(rec_tr),
        eta=eta,
        trained=trained,
        wall_time=time.perf_counter() - t0,
        extra={"record_every": record_every},
    )


def kernel_attribution(
    K_train: ArrayLike,
    K_test_train: ArrayLike,
    y_train: ArrayLike,
    y_test: ArrayLike,
    *,
    eta: float,
    steps: int,
    train_layers: Sequence[int] | None = None,
    record_every: int = 1,
) -> AttributionResult:
    """The linearised (kernel) model's version of :func:`train_attribution`, from per-layer Gram matrices.

    Residuals ``r = f - y`` on the training and test points, from ``f = 0``:
    ``r_tr <- r_tr - (eta/n) K r_tr``, ``r_te <- r_te - (eta/n) K_te,tr r_tr`` with ``K = sum_{l trained} K_l``;
    layer l's share of a step is ``-eta <g_l^test, g_l^train> = -(eta/(n m)) r_te^T K_l,te,tr r_tr`` (trapezoidal
    in ``g^test``, exact here since the loss is quadratic).

    ``K_train``: (L, n, n); ``K_test_train``: (L, m, n); ``y_train`` (n,), ``y_test`` (m,) float arrays;
    ``eta``, ``steps``, ``train_layers``, ``record_every``: as in :func:`train_attribution`. Returns an
    :class:`AttributionResult`.
    """
    Ktr = np.asarray(K_train, dtype=float)
    Kte = np.asarray(K_test_train, dtype=float)
    ytr = np.asarray(y_train, dtype=float)
    yte = np.asarray(y_test, dtype=float)
    if (
        Ktr.ndim != 3
        or Kte.ndim != 3
        or Ktr.shape[0] != Kte.shape[0]
        or Ktr.shape[1:] != (ytr.size, ytr.size)
        or Kte.shape[1:] != (yte.size, ytr.size)
    ):
        raise ValueError(
            f"need K_train (L, n, n), K_test_train (L, m, n), y_train (n,), y_test (m,); got "
            f"{Ktr.shape}, {Kte.shape}, {ytr.shape}, {yte.shape}"
        )
    steps = check_int(steps, "steps", minimum=1)
    L = Ktr.shape[0]
    trained = _check_trained(train_layers, L)
    idx = [l - 1 for l in trained]
    n, m = ytr.size, yte.size
    Ksum = Ktr[idx].sum(axis=0)
    Kte_sum = Kte[idx].sum(axis=0)
    mask = np.zeros(L)
    mask[idx] = 1.0
    rtr, rte = -ytr.copy(), -yte.copy()
    C = np.zeros(L)
    Ce = np.zeros(L)
    rec_C, rec_Ce = [C.copy()], [Ce.copy()]
    rec_te, rec_tr = [0.5 * np.mean(rte**2)], [0.5 * np.mean(rtr**2)]
    for s in range(1, steps + 1):
        KlR = Kte @ rtr  # (L, m): K_l,te,tr r_tr
        now = (KlR @ rte) / (n * m) * mask
        rte_new = rte - (eta / n) * (Kte_sum @ rtr)
        after = (KlR @ rte_new) / (n * m) * mask
        rtr = rtr - (eta / n) * (Ksum @ rtr)
        rte = rte_new
        Ce += eta * now
        C += 0.5 * eta * (now + after)
        if s % record_every == 0 or s == steps:
            rec_C.append(C.copy())
            rec_Ce.append(Ce.copy())
            rec_te.append(0.5 * np.mean(rte**2))
            rec_tr.append(0.5 * np.mean(rtr**2))
    return AttributionResult(
        contrib=np.array(rec_C),
        contrib_euler=np.array(rec_Ce),
        test_loss=np.array(rec_te),
        train_loss=np.array(rec_tr),
        eta=float(eta),
        trained=trained,
        extra={"record_every": record_every},
    )


def residual_rate(loss: ArrayLike, *, floor: float = 0.3) -> float:
    """Per-step decay rate of a residual from its loss curve: ``r(t) ~ (1 - rate)^t``, ``loss ~ r^2``.

    Least-squares slope of ``log(loss)/2`` over the steps before the loss first drops below ``floor`` times
    its initial value (at least the first 10 steps). ``loss``: (T+1,) positive. Returns ``1 - exp(slope)``.
    """
    a = np.asarray(loss, dtype=float)
    if a.ndim != 1 or a.size < 3 or np.any(a <= 0):
        raise ValueError("loss must be a 1-D array of at least 3 positive values")
    below = np.flatnonzero(a <= floor * a[0])
    end = max(int(below[0]) if below.size else a.size, min(10, a.size))
    slope = np.polyfit(np.arange(end, dtype=float), 0.5 * np.log(a[:end]), 1)[0]
    return float(1.0 - math.exp(slope))


def early_late_shares(result: AttributionResult, *, frac: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Each layer's share of the test-loss reduction made early and late in training.

    With ``m = floor(frac T)`` of the ``T`` recorded steps: early ``C_l(m) / sum C(m)``, late
    ``(C_l(T) - C_l(m)) / sum (C(T) - C(m))``. ``frac``: in (0, 1), leaving at least one recorded step on
    each side. Returns ``(early, late)``, each (L,) summing to 1.
    """
    C = result.contrib
    T = C.shape[0] - 1
    m = int(frac * T) if 0 < frac < 1 else 0
    if not 0 < m < T:
        raise ValueError(f"frac must split the {T} recorded steps into two non-empty parts, got {frac}")
    return C[m] / C[m].sum(), (C[-1] - C[m]) / (C[-1] - C[m]).sum()


@dataclass
class AttributionComparison:
    """One target, three levels of description (output of :func:`compare_attribution`).

    ``network``: the trained network; ``initial``: the linearised model with the network's own per-layer
    NTK at initialisation (differs from ``network`` only by the kernel's drift during training);
    ``analytic``: the linearised model with the analytic per-layer kernels at the same points (differs from
    ``initial`` by the finite width). Each is an :class:`AttributionResult`.
    """

    network: AttributionResult
    initial: AttributionResult
    analytic: AttributionResult
    label: str = ""

    def describe(self) -> str:
        """One line: the three share vectors, the network's test loss before and after, and its closure."""
        net = self.network
        return (
            f"{self.label:9s}: network {np.round(net.shares, 3)}, "
            f"initial kernel {np.round(self.initial.shares, 3)}, "
            f"analytic {np.round(self.analytic.shares, 3)}; test loss {net.test_loss[0]:.3f} -> "
            f"{net.test_loss[-1]:.3f}, closure {net.closure:.4f}"
        )


def compare_attribution(
    model: MLP,
    x: ArrayLike,
    y: ArrayLike,
    n_train: int,
    *,
    eta: float,
    steps: int,
    train_layers: Sequence[int] | None = None,
    record_every: int = 1,
    label: str = "",
    threads: int | None = None,
) -> AttributionComparison:
    """Train ``model`` on the first ``n_train`` points of ``(x, y)``, test on the rest, and attribute the
    test-loss reduction per layer for the network, its initial-kernel linearisation and the analytic kernel.

    ``x``: (N, D) float array on the sphere of radius ``sqrt(D)``; ``y``: (N,); the network trains in its own
    dtype on its device; ``threads``: passed to :func:`train_attribution`. Returns an
    :class:`AttributionComparison`.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_train = check_int(n_train, "n_train", minimum=1)
    if x.ndim != 2 or y.shape != (x.shape[0],) or n_train >= x.shape[0]:
        raise ValueError(f"need x (N, D), y (N,) and 1 <= n_train < N; got {x.shape}, {y.shape}, {n_train}")
    p0 = next(model.parameters())
    xt = torch.as_tensor(x, dtype=p0.dtype, device=p0.device)
    yt = torch.as_tensor(y, dtype=p0.dtype, device=p0.device)
    G = empirical_layer_ntk(model, xt).double().cpu().numpy()
    A = layer_kernels(
        np.clip(x @ x.T / x.shape[1], -1, 1), depth=model.depth, activation=model.activation, bias=model.beta
    ).theta_layers
    n = n_train
    kw = dict(eta=eta, steps=steps, train_layers=train_layers, record_every=record_every)
    ini = kernel_attribution(G[:, :n, :n], G[:, n:, :n], y[:n], y[n:], **kw)
    ana = kernel_attribution(A[:, :n, :n], A[:, n:, :n], y[:n], y[n:], **kw)
    net = train_attribution(model, xt[:n], yt[:n], xt[n:], yt[n:], threads=threads, **kw)
    return AttributionComparison(network=net, initial=ini, analytic=ana, label=label)


def closure_error(comparisons: Sequence[AttributionComparison]) -> float:
    """``max |sum_l C_l(T) / (L_test(0) - L_test(T)) - 1|`` over the networks of ``comparisons`` (0: the
    per-layer attribution accounts for the whole test-loss reduction)."""
    comparisons = list(comparisons)
    if not comparisons:
        raise ValueError("need at least one AttributionComparison")
    return float(max(abs(c.network.closure - 1) for c in comparisons))


def linearisation_gap(comparisons: Sequence[AttributionComparison]) -> float:
    """``max_{runs, l} |network share - initial-kernel share|``: the kernel's drift during training, as seen in
    the per-layer shares (0 in the kernel regime)."""
    comparisons = list(comparisons)
    if not comparisons:
        raise ValueError("need at least one AttributionComparison")
    return float(max(np.abs(c.network.shares - c.initial.shares).max() for c in comparisons))
