"""The 1-D Fourier view of training: which frequencies of a target a network fits, and when.

Three experiments of the chapter *Spectral bias basics*:

* Rahaman et al. (2019): an MLP fits ``f(x) = sum_k A_k sin(2 pi k x + phi_k)`` on 200 points of
  [0, 1) by full-batch Adam; the normalised amplitude ``|f_hat_k(t)| / A_k`` of the network's fit is
  recorded per frequency ``k`` and iteration ``t`` (:func:`train_sum_of_sines`), and the *learning
  time* of ``k`` is the first iteration at which it exceeds 0.9 (:func:`learning_times`);
* the same experiment with several activations and one budget (:func:`compare_activations`);
* Tancik et al. (2020): Fourier features ``gamma(v)`` in front of a ReLU MLP fit a power-law
  random signal from 32 samples (:func:`train_fourier_features`).

Policy: training in PyTorch float32 on a given device (full batch); Fourier analysis in float64
NumPy. For speed on a CPU call ``torch.set_num_threads(1)`` (``lofi_utils.runtime.setup(threads=1)``):
these networks are far too small for threads to pay off.

Depth convention: ``depth`` is the number of *hidden* layers, so the network has ``depth + 1``
linear maps. Rahaman et al.'s ``DEPTH = 6`` (six linear maps) is ``depth=5`` here; Tancik et al.'s
``network_size = (4, 1024)`` (four dense layers) is ``depth=3, width=1024``.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn
from tqdm.auto import tqdm

from .data import power_law_signal, random_phases, sum_of_sines, unit_grid
from .plotting import PALETTE, get_ax, label, sequential_colors, subplots
from .runtime import pick_device
from .validation import check_choice, check_int, check_positive

__all__ = [
    "ACTIVATIONS", "OPTIMIZERS", "Sine", "mlp", "fourier_amplitudes", "SumOfSinesRun", "train_sum_of_sines",
    "learning_times", "spearman", "LearningTimeSummary", "summarize_learning_times", "rahaman_sweep",
    "ActivationComparison", "compare_activations", "fourier_features", "tancik_mapping",
    "FourierFeatureResult", "train_fourier_features", "plot_amplitude_heatmap",
    "plot_fit_snapshots", "plot_learning_times", "plot_fourier_feature_errors",
    "plot_fourier_feature_fits",
]


# --------------------------------------------------------------------------- networks
class Sine(nn.Module):
    """The activation ``sin(z)`` (with PyTorch's default init this is *not* a SIREN: no omega_0)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return torch.sin(z)


#: Activation names accepted by :func:`mlp` and the training functions.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sin": Sine, "gelu": nn.GELU, "softplus": nn.Softplus,
    "silu": nn.SiLU, "elu": nn.ELU, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
}


#: Optimisers accepted by :func:`train_sum_of_sines`.
OPTIMIZERS = {"adam": torch.optim.Adam, "gd": torch.optim.SGD}


def _check_activation(activation) -> str:
    return check_choice(activation, "activation", ACTIVATIONS, casefold=True)


def mlp(in_dim: int, width: int, depth: int, *, activation: str = "relu", out_dim: int = 1) -> nn.Sequential:
    """A fully connected network in the standard parametrisation with PyTorch's default init.

    ``x -> W_{depth+1} s(... s(W_1 x + b_1) ...) + b_{depth+1}``: ``depth`` hidden layers of
    ``width`` units with activation ``s`` (a name in :data:`ACTIVATIONS`), a linear read-out to
    ``out_dim``. Every ``nn.Linear`` keeps PyTorch's default (Kaiming-uniform with a = sqrt 5) init,
    as in Rahaman et al.'s code. Returns an ``nn.Sequential`` (float32, on the CPU).

    Raises ``ValueError`` for an unknown activation or a non-positive size.
    """
    in_dim = check_int(in_dim, "in_dim", minimum=1)
    width = check_int(width, "width", minimum=1)
    depth = check_int(depth, "depth", minimum=1)
    out_dim = check_int(out_dim, "out_dim", minimum=1)
    act = ACTIVATIONS[_check_activation(activation)]
    layers: list[nn.Module] = []
    fan_in = in_dim
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), act()]
        fan_in = width
    layers.append(nn.Linear(fan_in, out_dim))
    return nn.Sequential(*layers)


DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _check_dtype(dtype) -> torch.dtype:
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    if dtype in DTYPES.values():
        return dtype
    raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(DTYPES)} (or torch.float32/float64)")


def _resolve_device(device) -> torch.device:
    if device is None:
        return pick_device()
    if isinstance(device, torch.device):
        return device
    return pick_device(str(device))


def _seeded_mlp(seed: int, *args, **kw) -> nn.Sequential:
    # Seed the init without disturbing the caller's global RNG state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return mlp(*args, **kw)


# --------------------------------------------------------------------------- Fourier analysis
def _as_freqs(freqs, n: int | None = None) -> np.ndarray:
    k = np.atleast_1d(np.asarray(freqs))
    ok = k.ndim == 1 and k.size > 0 and (
        k.dtype.kind in "iu" or (k.dtype.kind == "f" and np.all(np.isfinite(k)) and np.all(k == np.round(k)))
    )
    if not ok:
        raise ValueError(f"frequencies must be a non-empty 1-D sequence of integers, got {freqs!r}")
    k = k.astype(np.int64)
    if np.any(k < 1):
        raise ValueError(f"frequencies must be >= 1 (the constant term is not a sine), got min {k.min()}")
    if n is not None and np.any(2 * k >= n):
        raise ValueError(
            f"frequencies must lie below the Nyquist frequency n/2 = {n / 2:g} of an {n}-point grid, "
            f"got max {k.max()}"
        )
    return k


def fourier_amplitudes(values, freqs) -> np.ndarray:
    """Amplitudes ``2 |FFT(values)|_k / n`` at integer frequencies ``k`` (a unit sine gives 1).

    ``values`` are samples on the equispaced grid ``x_j = j / n`` of [0, 1), shape ``(..., n)``. For
    ``v_j = sum_k A_k sin(2 pi k x_j + phi_k)`` with distinct ``0 < k < n/2`` the result is exactly
    ``A_k`` whatever the phases. ``freqs``: integers ``1 <= k < n/2`` (``ValueError`` otherwise: the
    factor 2 is wrong for the constant term and for the Nyquist frequency).

    Returns float64, shape ``(..., len(freqs))``.
    """
    v = np.asarray(values)
    if v.ndim < 1 or v.shape[-1] < 3:
        raise ValueError(f"values must have a last axis of >= 3 grid samples, got shape {v.shape}")
    n = v.shape[-1]
    k = _as_freqs(freqs, n)
    spec = np.fft.rfft(v.astype(np.float64, copy=False), axis=-1)
    return 2.0 * np.abs(spec[..., k]) / n


# --------------------------------------------------------------------------- learning times
def learning_times(steps, ratio, threshold: float = 0.9, *, sustained: bool = False) -> np.ndarray:
    """First recorded iteration at which each normalised amplitude exceeds ``threshold``.

    ``t_k = min{ steps[r] : ratio[r, k] > threshold }`` (``np.inf`` when never). With
    ``sustained=True`` the amplitude must also stay above the threshold at every later record.

    Parameters
    ----------
    steps : shape ``(R,)``, strictly increasing recorded iterations.
    ratio : shape ``(R,)`` or ``(R, K)``, e.g. ``|f_hat_k| / A_k``.
    threshold : float

    Returns
    -------
    float64 array of shape ``(K,)`` (or a float for 1-D ``ratio``).
    """
    s = np.asarray(steps, dtype=np.float64)
    r = np.asarray(ratio, dtype=np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"steps must be a non-empty 1-D array, got shape {s.shape}")
    if np.any(np.diff(s) <= 0):
        raise ValueError("steps must be strictly increasing")
    scalar = r.ndim == 1
    if scalar:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] != s.size:
        raise ValueError(f"ratio must have shape (R,) or (R, K) with R = len(steps) = {s.size}, got {r.shape}")
    above = r > float(threshold)
    if sustained:
        # above at r and at every later record: reverse cumulative AND
        above = np.flip(np.logical_and.accumulate(np.flip(above, 0), axis=0), 0)
    hit = above.any(axis=0)
    first = np.argmax(above, axis=0)
    out = np.where(hit, s[first], np.inf)
    return float(out[0]) if scalar else out


def spearman(a, b) -> float:
    """Spearman rank correlation of two equal-length 1-D arrays (``inf`` ranks last; ties averaged).

    Returns ``nan`` when either array is constant.
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"need two 1-D arrays of equal length >= 2, got {a.shape} and {b.shape}")
    if np.any(np.isnan(a)) or np.any(np.isnan(b)):
        raise ValueError("spearman: NaN in input")
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float(ra @ ra) * float(rb @ rb))
    return float(ra @ rb / den) if den > 0 else float("nan")


# --------------------------------------------------------------------------- Rahaman experiment
@dataclass
class SumOfSinesRun:
    """One run of :func:`train_sum_of_sines`.

    Attributes: ``freqs`` (K,), ``amps`` (K,), ``phases`` (K,) of the target; ``x`` and ``target``
    (n,) on the grid; ``steps`` (R,) recorded iterations (0 = initialisation, last = ``steps``);
    ``predictions`` (R, n) the network on the grid; ``amplitude`` (R, K) ``= |f_hat_k| / A_k`` of the
    predictions; ``loss`` (R,) the MSE at those iterations; ``config`` the settings; ``seconds`` wall
    time of the training loop (for seeds trained together by :func:`rahaman_sweep`, the batch's
    time divided by the number of seeds).
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
        """:func:`learning_times` of this run, shape (K,)."""
        return learning_times(self.steps, self.amplitude, threshold, sustained=sustained)


def train_sum_of_sines(*, freqs: Sequence[int] = (1, 2, 3, 4, 5, 6), amps: Sequence[float] | None = None,
                       phases: Sequence[float] | None = None, n_points: int = 200, width: int = 256,
                       depth: int = 4, activation: str = "relu", lr: float = 1e-3, steps: int = 3000,
                       record_every: int = 10, seed: int = 0, optimizer: str = "adam", device=None,
                       dtype: torch.dtype | str = torch.float32, progress: bool = True) -> SumOfSinesRun:
    """The reduced Rahaman et al. experiment: fit a sum of sines, record its spectrum over training.

    Target ``y_j = sum_k A_k sin(2 pi k x_j + phi_k)`` on ``x_j = j / n_points``; model
    :func:`mlp` ``(1, width, depth, activation)`` seeded with ``seed``; loss
    ``(1/n) sum_j (f(x_j) - y_j)^2``, full batch, Adam(``lr``) (or plain gradient descent with
    ``optimizer="gd"``), in ``dtype`` (float32 unless asked) on ``device``. Every
    ``record_every`` iterations (and after the last) the network's values on the grid are kept
    (the forward pass of the training step is reused, so recording is free) and
    ``amplitude[r, k] = fourier_amplitudes(f_t, k) / A_k``.

    This is the one-seed case of :func:`rahaman_sweep`, which trains several seeds as one batch.

    Parameters
    ----------
    freqs : K integers, ``1 <= k < n_points / 2``.
    amps : K amplitudes (default 1). phases : K phases (default: :func:`random_phases` from ``seed``).
    n_points, width, depth, lr, steps, record_every : sizes (``steps >= 1``, ``record_every >= 1``).
    activation : a name in :data:`ACTIVATIONS`.
    optimizer : ``"adam"`` (Rahaman et al.) or ``"gd"`` (full-batch gradient descent, the kernel
        regime's optimiser; needs a much larger ``lr``).
    seed : seeds the phases and the init (the global RNG state is left untouched).
    device : ``None`` (auto), ``"cpu"``, ``"cuda"`` or a ``torch.device``.
    dtype : ``torch.float32`` (the book's runs) or ``torch.float64`` (also as ``"float32"``/``"float64"``):
        the precision of the parameters and the data. Adam training amplifies rounding chaotically
        (perturbations of 1e-7 grow to 1e-2 within 200 steps at some seeds), so two float32 code
        paths that round differently agree only to ~1e-2; in float64 the same growth leaves them
        within ~1e-10, which is how the tests compare code paths.
    progress : show a ``tqdm`` bar.

    Returns
    -------
    :class:`SumOfSinesRun`
    """
    return _train_sines(
        [check_int(seed, "seed", minimum=0)], freqs=freqs, amps=amps, phases=phases, n_points=n_points,
        width=width, depth=depth, activation=activation, lr=lr, steps=steps, record_every=record_every,
        optimizer=optimizer, device=device, dtype=dtype, progress=progress)[0]


class _StackedMLP:
    """``S`` networks of one :func:`mlp` architecture, evaluated together as one batch.

    Linear map ``l`` of network ``s`` is ``h -> h W_l[s]^T + b_l[s]``; one ``torch.baddbmm`` applies
    it for all ``s`` to the stack ``h`` of shape ``(S, n, fan_in)``, and the (elementwise)
    activations act on the whole stack. ``params``: fresh leaf tensors ``W_l`` ``(S, out, in)`` and
    ``b_l`` ``(S, out)``, copies of the networks' own, on ``device`` in ``dtype``.
    """

    def __init__(self, nets: Sequence[nn.Sequential], device: torch.device, dtype: torch.dtype = torch.float32):
        self.size = len(nets)
        self.layers: list = []
        self.params: list[torch.Tensor] = []
        for mods in zip(*nets):
            if isinstance(mods[0], nn.Linear):
                W, b = (torch.stack([getattr(m, name).detach() for m in mods]).to(device, dtype).requires_grad_()
                        for name in ("weight", "bias"))
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


def _train_sines(seeds: Sequence[int], *, freqs, amps, phases, n_points, width, depth, activation, lr,
                 steps, record_every, optimizer, device, dtype, progress) -> list[SumOfSinesRun]:
    """:func:`train_sum_of_sines` for every seed in ``seeds`` (integers >= 0), trained as one batch.

    Each seed's network is built as in the one-seed case (same init) and the ``S`` networks are
    stacked (:class:`_StackedMLP`). The loss is ``sum_s L_s`` with ``L_s`` seed ``s``'s mean squared
    error, so the gradient with respect to seed ``s``'s parameters is ``grad L_s``; Adam and
    gradient descent act elementwise, so every seed follows its own one-seed trajectory (up to
    float32 rounding) while the per-step overhead (dispatch, backward, the optimiser's loop over
    parameters) is paid once. Returns one :class:`SumOfSinesRun` per seed; their ``seconds`` is
    the batch's wall time divided by ``S``.
    """
    n_points = check_int(n_points, "n_points", minimum=4)
    k = _as_freqs(freqs, n_points)
    if np.unique(k).size != k.size:
        raise ValueError(f"frequencies must be distinct, got {k.tolist()}")
    a = np.ones(k.size) if amps is None else np.asarray(amps, dtype=np.float64).ravel()
    if a.shape != k.shape or np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"amps must be {k.size} positive finite numbers, got {amps!r}")
    seeds = [check_int(s, "seed", minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("need at least one seed")
    steps = check_int(steps, "steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    lr = check_positive(lr, "lr")
    activation = _check_activation(activation)
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    if phases is None:
        ph = [random_phases(k.size, np.random.default_rng(s)) for s in seeds]
    else:
        ph = [np.asarray(phases, dtype=np.float64).ravel()] * len(seeds)
        if ph[0].shape != k.shape:
            raise ValueError(f"phases must have length {k.size}, got {ph[0].size}")
    dev = _resolve_device(device)
    dtype = _check_dtype(dtype)

    S = len(seeds)
    x = unit_grid(n_points)
    y = np.stack([sum_of_sines(x, k, a, p) for p in ph])                         # (S, n)
    net = _StackedMLP([_seeded_mlp(s, 1, width, depth, activation=activation) for s in seeds], dev, dtype)
    X = torch.tensor(x, dtype=dtype, device=dev).view(-1, 1)
    Y = torch.tensor(y, dtype=dtype, device=dev).view(S, -1, 1)
    opt = OPTIMIZERS[optimizer](net.params, lr=lr)

    rec_steps: list[int] = []
    rec_pred: list[torch.Tensor] = []
    rec_loss: list[torch.Tensor] = []
    t0 = time.perf_counter()
    desc = f"sum of sines ({activation}, seed{'s' if S > 1 else ''} {', '.join(map(str, seeds))})"
    for t in tqdm(range(steps), desc=desc, disable=not progress, leave=False):
        out = net(X)                                                         # (S, n, 1)
        per_seed = torch.mean((out - Y) ** 2, dim=(1, 2))                    # (S,)
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
    preds = torch.stack(rec_pred, 1).cpu().numpy().astype(np.float64)           # (S, R, n)
    losses = torch.stack(rec_loss, 1).cpu().numpy().astype(np.float64)          # (S, R)
    seconds = (time.perf_counter() - t0) / S
    if not np.all(np.isfinite(preds)):
        warnings.warn(f"training diverged (non-finite outputs) with {optimizer} lr={lr:g}; "
                      "lower the learning rate", RuntimeWarning, stacklevel=3)
    amplitude = fourier_amplitudes(preds, k) / a                                # (S, R, K)
    runs = []
    for i, s in enumerate(seeds):
        config = dict(n_points=n_points, width=int(width), depth=int(depth), activation=activation, lr=lr,
                      steps=steps, record_every=record_every, seed=s, optimizer=optimizer, device=str(dev),
                      dtype=str(dtype).removeprefix("torch."))
        runs.append(SumOfSinesRun(freqs=k, amps=a, phases=ph[i], x=x, target=y[i],
                                  steps=np.asarray(rec_steps), predictions=preds[i],
                                  amplitude=amplitude[i], loss=losses[i], config=config, seconds=seconds))
    return runs


@dataclass
class LearningTimeSummary:
    """Learning times of several runs of one setting and the statistics the book checks.

    ``times`` (S, K): :func:`learning_times` per run; ``spearman`` (S,): rank correlation of
    ``t_k`` with ``k`` per run; ``monotone`` (S,): ``t_k`` non-decreasing in ``k`` (ties allowed);
    ``ratio`` (S,): ``t_K / t_1``; ``median`` (K,): median over runs; ``learned`` (K,): fraction of
    runs that reached the threshold within the budget. The properties ``median_spearman`` and
    ``median_ratio`` are the same statistics of the median curve (robust to one noisy seed).
    """

    freqs: np.ndarray
    times: np.ndarray
    spearman: np.ndarray
    monotone: np.ndarray
    ratio: np.ndarray
    median: np.ndarray
    learned: np.ndarray
    threshold: float

    @property
    def median_spearman(self) -> float:
        """Spearman correlation of the median learning times with ``k``."""
        return spearman(self.freqs, self.median)

    @property
    def median_ratio(self) -> float:
        """``median t_K / median t_1`` (``inf`` when the median run never learns ``k = K``)."""
        return float(self.median[-1] / self.median[0])

    def table(self) -> str:
        """Plain-text table: one row per run, then the median."""
        head = "run   " + " ".join(f"{'k=' + str(k):>7}" for k in self.freqs) + "  spearman  t_K/t_1"
        rows = [head]
        for i, t in enumerate(self.times):
            rows.append(f"{i:<5} " + " ".join(f"{_fmt_t(v):>7}" for v in t)
                        + f"  {self.spearman[i]:8.3f}  {self.ratio[i]:7.1f}")
        rows.append("median" + " ".join(f"{_fmt_t(v):>7}" for v in self.median))
        return "\n".join(rows)


def _fmt_t(v: float) -> str:
    return "never" if not np.isfinite(v) else f"{v:.0f}"


def summarize_learning_times(runs: Sequence[SumOfSinesRun], threshold: float = 0.9, *,
                             sustained: bool = False) -> LearningTimeSummary:
    """Learning times of ``runs`` (same frequencies) and their Spearman / monotonicity / ratio statistics."""
    if len(runs) == 0:
        raise ValueError("need at least one run")
    freqs = runs[0].freqs
    if any(not np.array_equal(r.freqs, freqs) for r in runs):
        raise ValueError("all runs must share the same frequencies")
    times = np.stack([r.learning_times(threshold, sustained=sustained) for r in runs])
    rho = np.array([spearman(freqs, t) for t in times])
    mono = np.array([bool(np.all(t[1:] >= t[:-1])) for t in times])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = times[:, -1] / times[:, 0]
    return LearningTimeSummary(freqs=freqs, times=times, spearman=rho, monotone=mono, ratio=ratio,
                               median=np.median(times, axis=0), learned=np.isfinite(times).mean(axis=0),
                               threshold=float(threshold))


def rahaman_sweep(*, seeds: Sequence[int], progress: bool = True, **kwargs) -> list[SumOfSinesRun]:
    """:func:`train_sum_of_sines` for each seed (same settings ``kwargs``); returns the runs.

    The seeds are trained together: their networks (each initialised as in the one-seed case) are
    stacked into one batched model trained on ``sum_s L_s``, the sum of the seeds' own losses, so
    each seed's run is its one-seed run and does not depend on the other seeds of the batch, up to
    float32 rounding (the batched matrix products round differently from the one-network ones);
    the per-step overhead is paid once for all. Adam training amplifies rounding: at the chapter's
    sizes the learning times of the highest frequencies of a run can move by tens of percent,
    as under any other change of summation order. Each run's ``seconds`` is the batch's wall time
    divided by ``len(seeds)``. ``kwargs``: the keywords of :func:`train_sum_of_sines` except ``seed``.
    """
    if "seed" in kwargs:
        raise ValueError("pass seeds=[...], not seed")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("need at least one seed")
    cfg = _expected_config(kwargs)                       # train_sum_of_sines' defaults, updated
    cfg.pop("seed")
    cfg["progress"] = progress
    return _train_sines(seeds, **cfg)


@dataclass
class ActivationComparison:
    """Learning times of the sum-of-sines experiment for several activations, one budget.

    ``summaries[a]``: :class:`LearningTimeSummary` of activation ``a`` over ``seeds``;
    ``runs[a]``: the runs; ``seconds[a]``: total training time.
    """

    activations: tuple[str, ...]
    seeds: tuple[int, ...]
    freqs: np.ndarray
    summaries: dict
    runs: dict
    seconds: dict
    config: dict

    @property
    def times(self) -> np.ndarray:
        """Learning times, shape (A, S, K)."""
        return np.stack([self.summaries[a].times for a in self.activations])

    def table(self) -> str:
        """Median learning time per activation and frequency, the fraction of runs that learned
        each frequency, the median Spearman correlation with k and the wall time."""
        w = 11
        lines = [f"median iterations to |f_k|/A_k > {self.summaries[self.activations[0]].threshold:g} "
                 f"over {len(self.seeds)} seeds ({self.config.get('steps')} steps)"]
        lines.append(f"{'activation':<11}" + "".join(f"{'k=' + str(k):>{w}}" for k in self.freqs)
                     + f"{'spearman':>{w + 1}}{'seconds':>{w}}")
        for a in self.activations:
            s = self.summaries[a]
            cells = "".join(
                f"{_fmt_t(m) + ('' if f == 1 else f'({f:.0%})'):>{w}}" for m, f in zip(s.median, s.learned)
            )
            rho = s.spearman[np.isfinite(s.spearman)]
            rho_med = float(np.median(rho)) if rho.size else float("nan")
            lines.append(f"{a:<11}{cells}{rho_med:>{w + 1}.2f}{self.seconds[a]:>{w}.1f}")
        lines.append("(p%) = share of seeds that reached the threshold; 'never' = the median run did not")
        return "\n".join(lines)


def _expected_config(kwargs: dict) -> dict:
    sig = inspect.signature(train_sum_of_sines)
    cfg = {name: prm.default for name, prm in sig.parameters.items()
           if prm.default is not inspect.Parameter.empty}
    cfg.update(kwargs)
    return cfg


def _check_reusable(runs: Sequence[SumOfSinesRun], activation: str, seeds: Sequence[int], kwargs: dict) -> None:
    want = _expected_config(kwargs)
    if len(runs) != len(seeds):
        raise ValueError(f"reuse[{activation!r}] has {len(runs)} runs for {len(seeds)} seeds")
    for r, s in zip(runs, seeds):
        c = r.config
        same = (c.get("activation") == activation and c.get("seed") == int(s)
                and np.array_equal(r.freqs, np.asarray(want["freqs"]))
                and all(c.get(k) == (float(want[k]) if k == "lr" else want[k])
                        for k in ("n_points", "width", "depth", "steps", "record_every", "optimizer", "lr")))
        if not same:
            raise ValueError(f"reuse[{activation!r}]: run with config {c} does not match the comparison's "
                             f"settings (seed {s}, {({k: want[k] for k in ('width', 'depth', 'steps', 'lr')})})")


def compare_activations(activations: Sequence[str] = ("relu", "tanh", "sin"), *, seeds: Sequence[int] = (0, 1, 2),
                        threshold: float = 0.9, reuse: dict | None = None, progress: bool = True,
                        **kwargs) -> ActivationComparison:
    """Run :func:`train_sum_of_sines` for each activation and seed with the same budget ``kwargs``.

    ``reuse``: optional ``{activation: runs}`` already trained with exactly these settings and
    ``seeds`` (e.g. the ReLU runs of an earlier section); they are checked and not retrained.
    Returns an :class:`ActivationComparison` (``.table()`` prints the learning times; see
    :func:`plot_learning_times`). Raises ``ValueError`` for an unknown activation before training.
    """
    acts = tuple(_check_activation(a) for a in activations)
    if not acts:
        raise ValueError("need at least one activation")
    if "activation" in kwargs or "seed" in kwargs:
        raise ValueError("pass activations=... and seeds=..., not activation/seed")
    seeds = [int(s) for s in seeds]
    reuse = {_check_activation(a): list(r) for a, r in (reuse or {}).items()}
    for a, rs in reuse.items():
        _check_reusable(rs, a, seeds, kwargs)
    runs, summaries, seconds = {}, {}, {}
    for a in tqdm(acts, desc="activations", disable=not progress):
        rs = reuse[a] if a in reuse else rahaman_sweep(seeds=seeds, activation=a, progress=progress, **kwargs)
        runs[a] = rs
        summaries[a] = summarize_learning_times(rs, threshold)
        seconds[a] = float(sum(r.seconds for r in rs))
    cfg = {k: v for k, v in rs[0].config.items() if k not in ("activation", "seed")}
    return ActivationComparison(activations=acts, seeds=tuple(int(s) for s in seeds), freqs=rs[0].freqs,
                                summaries=summaries, runs=runs, seconds=seconds, config=cfg)


# --------------------------------------------------------------------------- Fourier features
def fourier_features(v, b, a):
    """Tancik et al.'s mapping ``gamma(v) = [a_j sin(2 pi b_j v), a_j cos(2 pi b_j v)]_j / ||a||``.

    ``v``: shape ``(...,)`` of scalar inputs (NumPy array or torch tensor); ``b``, ``a``: shape
    ``(m,)`` frequencies and weights (``||a|| > 0``). Returns shape ``(..., 2m)`` (sines first, then
    cosines) of the input's kind: float64 for NumPy, the tensor's dtype/device for torch. Since
    ``sin^2 + cos^2 = 1``, ``||gamma(v)|| = 1`` for every ``v``.
    """
    is_torch = isinstance(v, torch.Tensor)
    b_np = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=np.float64)
    a_np = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
    if b_np.ndim != 1 or a_np.shape != b_np.shape or b_np.size == 0:
        raise ValueError(f"a and b must be 1-D of the same length >= 1, got shapes {a_np.shape} and {b_np.shape}")
    if not (np.all(np.isfinite(a_np)) and np.all(np.isfinite(b_np))):
        raise ValueError("a and b must be finite")
    norm = float(np.linalg.norm(a_np))
    if norm == 0:
        raise ValueError("the weights a must not all be zero")
    if is_torch:
        bt = torch.as_tensor(b_np, dtype=v.dtype, device=v.device)
        at = torch.as_tensor(a_np / norm, dtype=v.dtype, device=v.device)
        arg = 2.0 * math.pi * v[..., None] * bt
        return torch.cat([at * torch.sin(arg), at * torch.cos(arg)], dim=-1)
    vv = np.asarray(v, dtype=np.float64)
    arg = 2.0 * np.pi * vv[..., None] * b_np
    an = a_np / norm
    return np.concatenate([an * np.sin(arg), an * np.cos(arg)], axis=-1)


def tancik_mapping(p: float, n_features: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Weights and frequencies ``(a, b)`` of Tancik et al.'s 1-D study: ``b_j = j``, ``a_j = j^-p``.

    ``j = 1..n_features``; ``p = inf`` keeps only ``j = 1`` (``a = e_1``, a single sinusoid).
    """
    n = check_int(n_features, "n_features", minimum=1)
    p = float(p)
    if math.isnan(p) or p < 0:
        raise ValueError(f"p must be >= 0 (or inf), got {p!r}")
    b = np.arange(1, n + 1, dtype=np.float64)
    a = np.eye(n)[0] if math.isinf(p) else b**-p
    return a, b


def fourier_feature_kernel(p: float, delta, n_features: int = 16) -> np.ndarray:
    """Input part of the kernel of Tancik et al.'s mapping :func:`tancik_mapping` ``(p)``, normalised.

    ``h(Delta) = sum_j a_j^2 cos(2 pi b_j Delta) / sum_j a_j^2`` with ``(a, b) = tancik_mapping(p)``: the
    inner product of the features of ``v`` and ``v' = v - Delta``, so ``h(0) = 1``. Flat weights
    (``p = 0``) give a narrow peak (samples nearly independent); ``p = inf`` gives ``cos(2 pi Delta)``, the
    widest. ``delta``: array of any shape; returns ``h`` of the same shape (float64).
    """
    a, b = tancik_mapping(p, n_features)
    d = np.asarray(delta, dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise ValueError("delta must be finite")
    h = np.tensordot(a**2, np.cos(2 * np.pi * np.multiply.outer(b, d)), axes=1)
    return h / np.sum(a**2)


def _variant_label(p) -> str:
    if p is None:
        return "no mapping"
    return "p = inf" if math.isinf(float(p)) else f"p = {float(p):g}"


@dataclass
class FourierFeatureResult:
    """Result of :func:`train_fourier_features`.

    ``labels`` (V,) and ``p_values`` (V,) name the variants (``None`` = raw input ``x - 1/2``);
    ``x`` (N,) and ``signal`` (N,) the dense grid and target; ``train_idx`` (n_train,) the training
    points (every ``subsample``-th); ``steps`` (R,); ``train_mse`` / ``test_mse`` (V,) after the last
    step (test = the N - n_train held-out grid points); ``train_history`` / ``test_history`` (V, R);
    ``residual_freqs`` (F,) and ``residual`` (V, R, F) the amplitudes ``2|FFT|_k/n_train`` of the
    training residual ``f(x_i) - y_i``; ``target_components`` (F,) the same for the targets ``y_i``;
    ``predictions`` (V, N) the final networks on the grid; ``seconds`` (V,).
    """

    labels: list
    p_values: list
    x: np.ndarray
    signal: np.ndarray
    train_idx: np.ndarray
    steps: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray
    train_history: np.ndarray
    test_history: np.ndarray
    residual_freqs: np.ndarray
    residual: np.ndarray
    target_components: np.ndarray
    predictions: np.ndarray
    seconds: np.ndarray
    config: dict = field(default_factory=dict)

    def table(self) -> str:
        """Final train and test MSE per variant."""
        lines = [f"{'variant':<12}{'train MSE':>12}{'test MSE':>12}{'seconds':>9}"]
        for i, lab in enumerate(self.labels):
            lines.append(f"{lab:<12}{self.train_mse[i]:>12.3g}{self.test_mse[i]:>12.3g}{self.seconds[i]:>9.1f}")
        return "\n".join(lines)

    def index(self, p) -> int:
        """Position of the variant with exponent ``p`` (``None`` for no mapping)."""
        for i, q in enumerate(self.p_values):
            if (p is None and q is None) or (p is not None and q is not None and float(p) == float(q)):
                return i
        raise ValueError(f"no variant p={p!r}; have {self.labels}")


def train_fourier_features(*, p_values: Sequence[float | None] = (None, 0.0, 1.0, math.inf),
                           n_train: int = 32, subsample: int = 8, signal_exponent: float = 1.0,
                           max_freq: int = 64, n_features: int = 16, width: int = 256, depth: int = 3,
                           lr: float = 1e-3, steps: int = 2000, record_every: int = 20,
                           residual_freqs: Sequence[int] = (1, 5, 15), seed: int = 0,
                           optimizer: str = "adam", device=None, progress: bool = True) -> FourierFeatureResult:
    """The reduced Tancik et al. 1-D experiment: an MLP with and without Fourier features.

    Target: :func:`power_law_signal` on ``N = n_train * subsample`` grid points (exponent
    ``signal_exponent``, content up to ``max_freq``); training set every ``subsample``-th point,
    test set the others. For each ``p`` in ``p_values`` the input is ``gamma(x)`` of
    :func:`tancik_mapping` ``(p, n_features)`` -- or ``x - 1/2`` for ``p = None`` -- followed by
    :func:`mlp` ``(., width, depth, "relu")``; loss: train MSE, full batch, Adam(``lr``) (or
    gradient descent, ``optimizer="gd"``), float32. Every network starts from the seed ``seed``
    (the signal too).

    Tancik et al. use 4 x 1024 dense layers (``depth=3, width=1024``), gradient descent with lr 1e-5
    on half the *summed* squared error and 50k steps -- the same as ``optimizer="gd"`` on the MSE
    with ``lr = 1e-5 * n_train / 2``; the reduced defaults (4 x 256, Adam 1e-3, 2000 steps) run in
    seconds.

    Returns a :class:`FourierFeatureResult`.
    """
    n_train = check_int(n_train, "n_train", minimum=4)
    subsample = check_int(subsample, "subsample", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    lr = check_positive(lr, "lr")
    check_choice(optimizer, "optimizer", OPTIMIZERS)
    rf = _as_freqs(residual_freqs, n_train)
    pv = list(p_values)
    if not pv:
        raise ValueError("need at least one variant in p_values")
    maps = [None if p is None else tancik_mapping(p, n_features) for p in pv]
    dev = _resolve_device(device)

    N = n_train * subsample
    x = unit_grid(N)
    s = power_law_signal(N, exponent=signal_exponent, max_freq=max_freq, rng=np.random.default_rng(seed))
    train_idx = np.arange(0, N, subsample)
    test_mask = np.ones(N, bool)
    test_mask[train_idx] = False
    Xall = torch.tensor(x, dtype=torch.float32, device=dev)
    Yall = torch.tensor(s, dtype=torch.float32, device=dev)
    tr = torch.as_tensor(train_idx, device=dev)
    te = torch.as_tensor(np.flatnonzero(test_mask), device=dev)

    V = len(pv)
    rec_steps = list(range(0, steps, record_every)) + [steps]
    R = len(rec_steps)
    train_hist = np.zeros((V, R))
    test_hist = np.zeros((V, R))
    residual = np.zeros((V, R, rf.size))
    preds = np.zeros((V, N))
    secs = np.zeros(V)
    y_train_np = s[train_idx]
    for i, (p, ab) in enumerate(zip(pv, maps)):
        feats = (Xall[:, None] - 0.5) if ab is None else fourier_features(Xall, ab[1], ab[0])
        model = _seeded_mlp(seed, feats.shape[1], width, depth, activation="relu").to(dev)
        opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
        Ftr, Ytr = feats[tr], Yall[tr]
        outs: list[torch.Tensor] = []
        t0 = time.perf_counter()
        for t in tqdm(range(steps), desc=_variant_label(p), disable=not progress, leave=False):
            if t % record_every == 0:
                with torch.no_grad():
                    outs.append(model(feats).view(-1))
            out = model(Ftr).view(-1)
            loss = torch.mean((out - Ytr) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            outs.append(model(feats).view(-1))
        f_all = torch.stack(outs).cpu().numpy().astype(np.float64)      # (R, N)
        secs[i] = time.perf_counter() - t0
        res_tr = f_all[:, train_idx] - y_train_np
        train_hist[i] = np.mean(res_tr**2, axis=1)
        test_hist[i] = np.mean((f_all[:, test_mask] - s[test_mask]) ** 2, axis=1)
        residual[i] = fourier_amplitudes(res_tr, rf)
        preds[i] = f_all[-1]
    config = dict(n_train=n_train, subsample=subsample, signal_exponent=float(signal_exponent),
                  max_freq=int(max_freq), n_features=int(n_features), width=int(width), depth=int(depth),
                  lr=lr, steps=steps, record_every=record_every, seed=seed, optimizer=optimizer,
                  device=str(dev))
    if not np.all(np.isfinite(preds)):
        warnings.warn(f"training diverged (non-finite outputs) with {optimizer} lr={lr:g}; "
                      "lower the learning rate", RuntimeWarning, stacklevel=2)
    return FourierFeatureResult(
        labels=[_variant_label(p) for p in pv], p_values=pv, x=x, signal=s, train_idx=train_idx,
        steps=np.asarray(rec_steps), train_mse=train_hist[:, -1].copy(), test_mse=test_hist[:, -1].copy(),
        train_history=train_hist, test_history=test_hist, residual_freqs=rf, residual=residual,
        target_components=fourier_amplitudes(y_train_np, rf), predictions=preds, seconds=secs,
        config=config,
    )


# --------------------------------------------------------------------------- plots
def plot_amplitude_heatmap(result, ax=None, *, cmap: str = "viridis", colorbar: bool = True, title: str | None = None):
    """Heatmap of ``|f_hat_k| / A_k`` over iteration (vertical) and frequency (horizontal).

    ``result``: a :class:`SumOfSinesRun` or a sequence of runs with the same frequencies and
    records (their mean is shown, as in Rahaman et al.'s Fig. 1). Colour scale [0, 1]. Returns ``ax``.
    """
    runs = [result] if isinstance(result, SumOfSinesRun) else list(result)
    if not runs:
        raise ValueError("need at least one run")
    if any(r.amplitude.shape != runs[0].amplitude.shape for r in runs):
        raise ValueError("runs to average must share frequencies and recorded steps")
    amp = np.mean([r.amplitude for r in runs], axis=0)
    steps, freqs = runs[0].steps, runs[0].freqs
    ax = get_ax(ax)
    # cell edges: frequencies as categories, iterations half-way between records
    xe = np.arange(freqs.size + 1) - 0.5
    mids = (steps[1:] + steps[:-1]) / 2.0
    ye = np.concatenate([[steps[0]], mids, [steps[-1]]])
    mesh = ax.pcolormesh(xe, ye, amp, cmap=cmap, vmin=0.0, vmax=1.0, shading="flat", rasterized=True)
    ax.set_xticks(np.arange(freqs.size), [str(k) for k in freqs])
    ax.grid(False)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=r"$|\hat f_k| / A_k$")
    n = len(runs)
    label(ax, "frequency $k$", "training iteration",
          title or f"spectrum of the fit ({runs[0].config.get('activation', '')}"
                   f"{', mean of %d runs' % n if n > 1 else ''})")
    return ax


def plot_fit_snapshots(result: SumOfSinesRun, ax=None, *, at: Sequence[int] | None = None, n_snapshots: int = 4):
    """The target and the network's fit at a few recorded iterations (``at``, or ``n_snapshots``
    log-spaced ones). Returns ``ax``."""
    ax = get_ax(ax)
    steps = result.steps
    if at is None:
        n = check_int(n_snapshots, "n_snapshots", minimum=1)
        lo = max(int(steps[1]) if steps.size > 1 else 1, 1)
        want = np.unique(np.geomspace(lo, steps[-1], n).round())
    else:
        want = np.asarray(at, dtype=float)
    idx = [int(np.argmin(np.abs(steps - w))) for w in want]
    ax.plot(result.x, result.target, color="0.15", lw=2.4, alpha=0.35, label="target")
    for c, i in zip(sequential_colors(len(idx), "plasma"), idx):
        ax.plot(result.x, result.predictions[i], color=c, lw=1.2, label=f"iteration {int(steps[i])}")
    label(ax, "$x$", "$f(x)$", "network fit during training", legend=True)
    return ax


def plot_learning_times(data, ax=None, *, title: str | None = None):
    """Learning time ``t_k`` against ``k``: median over seeds with the min-max range.

    ``data``: an :class:`ActivationComparison` (one line per activation) or a
    :class:`LearningTimeSummary`. Frequencies never learned are drawn as open markers at the budget
    line. Returns ``ax``.
    """
    ax = get_ax(ax)
    if isinstance(data, ActivationComparison):
        items = [(a, data.summaries[a]) for a in data.activations]
        budget = data.config.get("steps")
    elif isinstance(data, LearningTimeSummary):
        items, budget = [("", data)], None
    else:
        raise ValueError("data must be an ActivationComparison or a LearningTimeSummary")
    top = budget if budget else max(np.nanmax(np.where(np.isfinite(s.times), s.times, np.nan)) for _, s in items)
    for j, (name, s) in enumerate(items):
        c = PALETTE[j % len(PALETTE)]
        t = np.where(np.isfinite(s.times), s.times, np.nan)
        med = np.where(np.isfinite(s.median), s.median, np.nan)
        lo = np.nanmin(np.where(np.isnan(t), top, t), axis=0)
        hi = np.nanmax(np.where(np.isnan(t), top, t), axis=0)
        ax.fill_between(s.freqs, lo, hi, color=c, alpha=0.15, lw=0)
        ax.plot(s.freqs, med, "o-", color=c, label=name or None)
        never = ~np.isfinite(s.median)
        if np.any(never):
            ax.plot(s.freqs[never], np.full(never.sum(), top), "o", mfc="none", color=c)
    if budget:
        ax.axhline(budget, color="0.4", ls=":", lw=1, label="budget")
    ax.set_yscale("log")
    ax.set_xticks(items[0][1].freqs)
    label(ax, "frequency $k$", f"iterations to $|\\hat f_k|/A_k > {items[0][1].threshold:g}$",
          title or "learning time per frequency", legend=any(n for n, _ in items) or bool(budget))
    return ax


def plot_fourier_feature_errors(result: FourierFeatureResult, ax=None, *, relative: bool = True):
    """Training-residual amplitude at each of ``result.residual_freqs`` over iterations, one line
    per variant (one panel per frequency; Tancik et al.'s Fig. 3 right).

    ``relative=True`` divides by the target's component at that frequency. ``ax``: ``None`` or a
    sequence of ``len(residual_freqs)`` axes. Returns the array of axes.
    """
    F = result.residual_freqs.size
    if ax is None:
        _, axs = subplots(1, F, width=3.0, height=2.8, sharey=True)
        axs = axs[0]
    else:
        axs = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if axs.size != F:
            raise ValueError(f"need {F} axes (one per residual frequency), got {axs.size}")
    steps = np.maximum(result.steps, 1)
    for j, (a, k) in enumerate(zip(axs, result.residual_freqs)):
        for i, lab in enumerate(result.labels):
            y = result.residual[i, :, j] / (result.target_components[j] if relative else 1.0)
            a.plot(steps, np.maximum(y, 1e-12), color=PALETTE[i % len(PALETTE)], label=lab)
        a.set_xscale("log")
        a.set_yscale("log")
        ylab = ("relative " if relative else "") + "residual amplitude"
        label(a, "iteration", ylab if j == 0 else "", f"frequency {k}")
    axs[-1].legend()
    return axs


def plot_fourier_feature_fits(result: FourierFeatureResult, ax=None, *, variants: Sequence | None = None):
    """The power-law target, the training samples and each variant's final fit. Returns ``ax``."""
    ax = get_ax(ax)
    ax.plot(result.x, result.signal, color="0.15", lw=2.4, alpha=0.3, label="target")
    ax.plot(result.x[result.train_idx], result.signal[result.train_idx], "k.", ms=6, label="training points")
    chosen = range(len(result.labels)) if variants is None else [result.index(p) for p in variants]
    for i in chosen:
        ax.plot(result.x, result.predictions[i], color=PALETTE[i % len(PALETTE)], lw=1.1, label=result.labels[i])
    label(ax, "$x$", "$f(x)$", f"fits from {result.train_idx.size} samples")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
