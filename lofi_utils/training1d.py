"""Standard-parametrisation MLPs trained on a 1-D sum of sines, several seeds as one batched model.

Rahaman et al. (2019) fit ``f(x) = sum_k A_k sin(2 pi k x + phi_k)`` on ``n`` points of [0, 1) with an MLP
trained by full-batch Adam and record the spectrum of the fit over training:

* :func:`mlp` -- the network (PyTorch's default init; the activation is a name of
  :mod:`lofi_utils.activations`, ``"plain_relu"`` for their ``nn.ReLU``);
* :class:`StackedMLP` -- ``S`` networks of one architecture evaluated as one batch (``torch.baddbmm``);
* :func:`train_sum_of_sines_batch` -- train one network per seed, all seeds together, on ``sum_s L_s``
  (each seed still follows its own loss), recording the fit on the grid and its Fourier amplitudes
  ``|f_hat_k(t)| / A_k`` (:func:`lofi_utils.spectral1d.fourier_amplitudes`);
* :func:`train_sum_of_sines` -- the one-seed case; :class:`SumOfSinesRun` -- one seed's record.

Policy: training in PyTorch float32 on a given device (full batch); Fourier analysis in float64 NumPy. For
speed on a CPU call ``torch.set_num_threads(1)`` (``lofi_utils.runtime.setup(threads=1)``): these networks
are far too small for threads to pay off.

Depth convention: ``depth`` is the number of *hidden* layers, so the network has ``depth + 1`` linear maps.
Rahaman et al.'s ``DEPTH = 6`` (six linear maps) is ``depth=5`` here; Tancik et al.'s
``network_size = (4, 1024)`` (four dense layers) is ``depth=3, width=1024``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import activations
from .data import random_phases, sum_of_sines, unit_grid
from .runtime import pick_device, show_progress
from .spectral1d import check_frequencies, fourier_amplitudes, learning_times
from .validation import check_choice, check_int, check_positive

__all__ = [
    "OPTIMIZERS",
    "DTYPES",
    "mlp",
    "seeded_mlp",
    "resolve_device",
    "StackedMLP",
    "SumOfSinesRun",
    "train_sum_of_sines",
    "train_sum_of_sines_batch",
]

#: Optimisers accepted by the training functions (full batch).
OPTIMIZERS = {"adam": torch.optim.Adam, "gd": torch.optim.SGD}

#: Precisions accepted by the training functions, by name.
DTYPES = {"float32": torch.float32, "float64": torch.float64}


# --------------------------------------------------------------------------- networks
def mlp(in_dim: int, width: int, depth: int, *, activation: str = "plain_relu", out_dim: int = 1) -> nn.Sequential:
    """A fully connected network in the standard parametrisation with PyTorch's default init.

    ``x -> W_{depth+1} s(... s(W_1 x + b_1) ...) + b_{depth+1}``: ``depth`` hidden layers of ``width``
    units with activation ``s``, a linear read-out to ``out_dim``. Every ``nn.Linear`` keeps PyTorch's
    default (Kaiming-uniform with a = sqrt 5) init, as in Rahaman et al.'s code; the layers are built in
    order (``Linear``, activation, ``Linear``, ...), so one ``torch.manual_seed`` fixes the init.

    Parameters
    ----------
    in_dim, width, depth, out_dim : int >= 1
    activation : str
        A name of :mod:`lofi_utils.activations`; its ``module()`` is applied after each hidden layer
        (``"plain_relu"`` is ``nn.ReLU``, ``"relu"`` the registry's ``sqrt(2) max(z, 0)``).

    Returns
    -------
    ``nn.Sequential`` (float32, on the CPU). ``ValueError`` for an unknown activation or a non-positive size.
    """
    in_dim = check_int(in_dim, "in_dim", minimum=1)
    width = check_int(width, "width", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    act = activations.get(activation)
    layers: list[nn.Module] = []
    fan_in = in_dim
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), act.module()]
        fan_in = width
    layers.append(nn.Linear(fan_in, out_dim))
    return nn.Sequential(*layers)


def seeded_mlp(seed: int, *args, **kw) -> nn.Sequential:
    """:func:`mlp` ``(*args, **kw)`` initialised from ``torch.manual_seed(seed)`` inside a forked RNG, so the
    caller's global torch RNG state is left untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return mlp(*args, **kw)


def resolve_device(device: torch.device | str | None) -> torch.device:
    """``device`` as a ``torch.device``: ``None`` picks one (:func:`lofi_utils.runtime.pick_device`), a string
    is checked by it, a ``torch.device`` is returned as is."""
    if device is None:
        return pick_device()
    if isinstance(device, torch.device):
        return device
    return pick_device(str(device))


def _check_dtype(dtype) -> torch.dtype:
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    if dtype in DTYPES.values():
        return dtype
    raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(DTYPES)} (or torch.float32/float64)")


class StackedMLP:
    """``S`` networks of one :func:`mlp` architecture, evaluated together as one batch.

    Linear map ``l`` of network ``s`` is ``h -> h W_l[s]^T + b_l[s]``; one ``torch.baddbmm`` applies
    it for all ``s`` to the stack ``h`` of shape ``(S, n, fan_in)``, and the (elementwise)
    activations act on the whole stack. ``params``: fresh leaf tensors ``W_l`` ``(S, out, in)`` and
    ``b_l`` ``(S, out)``, copies of the networks' own, on ``device`` in ``dtype``.
    """

    def __init__(self, nets: Sequence[nn.Sequential], device: torch.device, dtype: torch.dtype = torch.float32) -> None:
        """Stack the parameters of ``nets`` (one :func:`mlp` architecture) on ``device`` in ``dtype``."""
        self.size = len(nets)
        self.layers: list = []
        self.params: list[torch.Tensor] = []
        for mods in zip(*nets):
            if isinstance(mods[0], nn.Linear):
                W, b = (
                    torch.stack([getattr(m, name).detach() for m in mods]).to(device, dtype).requires_grad_()
                    for name in ("weight", "bias")
                )
                self.layers.append((W, b))
                self.params += [W, b]
            else:
                self.layers.append(mods[0])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: shape ``(n, in)`` (shared by all networks) or ``(S, n, in)``; returns ``(S, n, out)``."""
        h = x.expand(self.size, *x.shape) if x.dim() == 2 else x
        for layer in self.layers:
            if isinstance(layer, tuple):
                W, b = layer
                h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))
            else:
                h = layer(h)
        return h


# --------------------------------------------------------------------------- the sum-of-sines experiment
@dataclass
class SumOfSinesRun:
    """One seed's run of :func:`train_sum_of_sines` / :func:`train_sum_of_sines_batch`.

    Attributes: ``freqs`` (K,), ``amps`` (K,), ``phases`` (K,) of the target; ``x`` and ``target``
    (n,) on the grid; ``steps`` (R,) recorded iterations (0 = initialisation, last = ``steps``);
    ``predictions`` (R, n) the network on the grid; ``amplitude`` (R, K) ``= |f_hat_k| / A_k`` of the
    predictions; ``loss`` (R,) the MSE at those iterations; ``config`` the settings; ``seconds`` wall
    time of the training loop (for seeds trained together, the batch's time divided by the number of
    seeds).
    """

    freqs: np.ndarray
    amps: np.ndarray
    phases: np.ndarray
    x: np.ndarray
    target: np.ndarray
    steps: np.ndarray
    predictions: np.ndarray
    amplitude: np.ndarray
    loss: np.ndarray
    config: dict = field(default_factory=dict)
    seconds: float = 0.0

    def learning_times(self, threshold: float = 0.9, *, sustained: bool = False) -> np.ndarray:
        """:func:`lofi_utils.spectral1d.learning_times` of this run, shape (K,)."""
        return learning_times(self.steps, self.amplitude, threshold, sustained=sustained)


def train_sum_of_sines(*, seed: int = 0, **kwargs) -> SumOfSinesRun:
    """The reduced Rahaman et al. experiment for one seed: fit a sum of sines, record its spectrum.

    Target ``y_j = sum_k A_k sin(2 pi k x_j + phi_k)`` on ``x_j = j / n_points``; model :func:`mlp`
    ``(1, width, depth, activation)`` seeded with ``seed``; loss ``(1/n) sum_j (f(x_j) - y_j)^2``, full
    batch, Adam(``lr``) (or gradient descent), in float32 unless asked.

    Parameters
    ----------
    seed : int >= 0
        Seeds the phases and the init (the global RNG state is left untouched).
    **kwargs
        The keywords of :func:`train_sum_of_sines_batch` except ``run_seeds`` (``freqs``, ``amps``, ``phases``,
        ``n_points``, ``width``, ``depth``, ``activation``, ``lr``, ``steps``, ``record_every``,
        ``optimizer``, ``device``, ``dtype``, ``progress``), with the same defaults: this is its one-seed case.

    Returns
    -------
    :class:`SumOfSinesRun`
    """
    return train_sum_of_sines_batch([check_int(seed, "seed", minimum=0)], **kwargs)[0]


def train_sum_of_sines_batch(
    run_seeds: Sequence[int],
    *,
    freqs: Sequence[int] = (1, 2, 3, 4, 5, 6),
    amps: Sequence[float] | None = None,
    phases: Sequence[float] | None = None,
    n_points: int = 200,
    width: int = 256,
    depth: int = 4,
    activation: str = "plain_relu",
    lr: float = 1e-3,
    steps: int = 3000,
    record_every: int = 10,
    optimizer: str = "adam",
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float32,
    progress: bool | None = None,
) -> list[SumOfSinesRun]:
    """Fit a sum of sines with one network per seed, all seeds trained together as one batch.

    Target ``y_j = sum_k A_k sin(2 pi k x_j + phi_k)`` on ``x_j = j / n_points`` (the phases of seed ``s``
    from ``np.random.default_rng(s)`` unless given); model :func:`mlp` ``(1, width, depth, activation)``
    initialised from ``torch.manual_seed(s)`` (:func:`seeded_mlp`; the global RNG state is left
    untouched); the ``S`` networks are stacked (:class:`StackedMLP`). Loss ``sum_s L_s`` with ``L_s`` seed
    ``s``'s mean squared error ``(1/n) sum_j (f_s(x_j) - y_{s,j})^2``, so the gradient with respect to seed
    ``s``'s parameters is ``grad L_s``; Adam and gradient descent act elementwise, so every seed follows
    its own one-seed trajectory (up to rounding: the batched products round differently from one network's,
    and Adam amplifies rounding, so in float32 the learning times of the highest frequencies of a run can
    move by tens of percent, as under any other change of summation order) while the per-step overhead is
    paid once. Every ``record_every`` iterations (and after the last) the networks' values on the grid are
    kept (the forward pass of the training step is reused, so recording is free) and
    ``amplitude[r, k] = fourier_amplitudes(f_t, k) / A_k``.

    Parameters
    ----------
    run_seeds : S integers >= 0, one per network: run ``s`` takes its phases from ``np.random.default_rng(s)``
        and its init from ``torch.manual_seed(s)`` (make them with :func:`lofi_utils.streams.run_seeds`).
    freqs : K distinct integers, ``1 <= k < n_points / 2``.
    amps : K positive amplitudes (default 1). phases : K phases (default: :func:`lofi_utils.data.random_phases`
        from each seed).
    n_points, width, depth, lr, steps, record_every : sizes (``steps >= 1``, ``record_every >= 1``).
    activation : a name of :mod:`lofi_utils.activations` (``"plain_relu"``: PyTorch's ``nn.ReLU``, as in
        Rahaman et al.).
    optimizer : ``"adam"`` (Rahaman et al.) or ``"gd"`` (full-batch gradient descent, the kernel
        regime's optimiser; needs a much larger ``lr``).
    device : ``None`` (auto), ``"cpu"``, ``"cuda"`` or a ``torch.device``.
    dtype : ``torch.float32`` (the book's runs) or ``torch.float64`` (also as ``"float32"``/``"float64"``):
        the precision of the parameters and the data. Adam training amplifies rounding chaotically
        (perturbations of 1e-7 grow to 1e-2 within 200 steps at some seeds), so two float32 code
        paths that round differently agree only to ~1e-2; in float64 the same growth leaves them
        within ~1e-10, which is how the tests compare code paths.
    progress : show a ``tqdm`` bar; ``None``: :func:`~lofi_utils.runtime.progress_default`.

    Returns
    -------
    list of S :class:`SumOfSinesRun`, in the order of ``run_seeds``; their ``seconds`` is the batch's wall time
    divided by ``S``.
    """
    n_points = check_int(n_points, "n_points", minimum=4)
    k = check_frequencies(freqs, n_points)
    if np.unique(k).size != k.size:
        raise ValueError(f"frequencies must be distinct, got {k.tolist()}")
    a = np.ones(k.size) if amps is None else np.asarray(amps, dtype=np.float64).ravel()
    if a.shape != k.shape or np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"amps must be {k.size} positive finite numbers, got {amps!r}")
    seeds = [check_int(s, "seed", minimum=0) for s in run_seeds]
    if not seeds:
        raise ValueError("need at least one seed in run_seeds")
    steps = check_int(steps, "steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    lr = check_positive(lr, "lr")
    activation = activations.check_name(activation)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    if phases is None:
        ph = [random_phases(k.size, np.random.default_rng(s)) for s in seeds]
    else:
        ph = [np.asarray(phases, dtype=np.float64).ravel()] * len(seeds)
        if ph[0].shape != k.shape:
            raise ValueError(f"phases must have length {k.size}, got {ph[0].size}")
    dev = resolve_device(device)
    dtype = _check_dtype(dtype)

    S = len(seeds)
    x = unit_grid(n_points)
    y = np.stack([sum_of_sines(x, k, a, p) for p in ph])  # (S, n)
    net = StackedMLP([seeded_mlp(s, 1, width, depth, activation=activation) for s in seeds], dev, dtype)
    X = torch.tensor(x, dtype=dtype, device=dev).view(-1, 1)
    Y = torch.tensor(y, dtype=dtype, device=dev).view(S, -1, 1)
    opt = OPTIMIZERS[optimizer](net.params, lr=lr)

    rec_steps: list[int] = []
    rec_pred: list[torch.Tensor] = []
    rec_loss: list[torch.Tensor] = []
    t0 = time.perf_counter()
    desc = f"sum of sines ({activation}, {S} network{'s' if S > 1 else ''})"
    for t in tqdm(range(steps), desc=desc, disable=not show_progress(progress), leave=False):
        out = net(X)  # (S, n, 1)
        per_seed = torch.mean((out - Y) ** 2, dim=(1, 2))  # (S,)
        if t % record_every == 0:
            rec_steps.append(t)
            rec_pred.append(out.detach().view(S, -1))
            rec_loss.append(per_seed.detach())
        opt.zero_grad(set_to_none=True)
        per_seed.sum().backward()
        opt.step()
    with torch.no_grad():
        out = net(X)
        rec_steps.append(steps)
        rec_pred.append(out.view(S, -1))
        rec_loss.append(torch.mean((out - Y) ** 2, dim=(1, 2)))
    preds = torch.stack(rec_pred, 1).cpu().numpy().astype(np.float64)  # (S, R, n)
    losses = torch.stack(rec_loss, 1).cpu().numpy().astype(np.float64)  # (S, R)
    seconds = (time.perf_counter() - t0) / S
    if not np.all(np.isfinite(preds)):
        warnings.warn(
            f"training diverged (non-finite outputs) with {optimizer} lr={lr:g}; lower the learning rate",
            RuntimeWarning,
            stacklevel=2,
        )
    amplitude = fourier_amplitudes(preds, k) / a  # (S, R, K)
    runs = []
    for i, s in enumerate(seeds):
        config = dict(
            n_points=n_points,
            width=int(width),
            depth=int(depth),
            activation=activation,
            lr=lr,
            steps=steps,
            record_every=record_every,
            seed=s,
            optimizer=optimizer,
            device=str(dev),
            dtype=str(dtype).removeprefix("torch."),
        )
        runs.append(
            SumOfSinesRun(
                freqs=k,
                amps=a,
                phases=ph[i],
                x=x,
                target=y[i],
                steps=np.asarray(rec_steps),
                predictions=preds[i],
                amplitude=amplitude[i],
                loss=losses[i],
                config=config,
                seconds=seconds,
            )
        )
    return runs
