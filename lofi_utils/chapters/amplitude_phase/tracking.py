"""What a network uses, over training: amplitude-only, phase-only and hybrid probes (chapter 4, section 2).

* **Probes** (:func:`make_probes`): test sets that keep only the amplitude of each test image (phases
  scrambled), only its phases (every image gets the training set's mean amplitude), or mix an image's
  amplitude with the phases of an image of another class (hybrids, recording which donor the prediction
  follows).
* **Tracking** (:func:`train_tracking`): minibatch SGD with cross-entropy on a small network
  (:func:`make_net`), with every probe's accuracy at log-spaced steps (:class:`Tracking`).
* **Learning speed** (:func:`speed_comparison`, :func:`speed_summary`): the same network trained on the
  amplitude-only and on the phase-only version of the task; both carry label information when both end above
  chance, and "amplitudes before phases" becomes a comparison of learning times.

Images are (n, C, H, W) float64 (float32 inside the networks); the Fourier work is :mod:`lofi_utils.fourier`.
Training: PyTorch, on the chosen device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from tqdm.auto import tqdm

from ... import streams
from ...fourier import (
    amplitude_equalise,
    amplitude_phase,
    as_nchw,
    from_amplitude_phase,
    phase_scramble,
    standardise,
)
from ...runtime import show_progress
from ...tables import Table
from ...validation import check_choice, check_in_range, check_int, check_positive

__all__ = [
    "Probes",
    "make_probes",
    "make_net",
    "Tracking",
    "record_schedule",
    "train_tracking",
    "steps_to",
    "late_mean",
    "late_accuracy",
    "steps_to_own_fraction",
    "speed_comparison",
    "SpeedSummary",
    "speed_summary",
]


@dataclass
class Probes:
    """Test sets that isolate the amplitude or the phase of each test image.

    ``real`` (n, C, H, W), ``amp`` (amplitude-only: phases scrambled), ``phase`` (phase-only: the training set's
    mean amplitude), ``y`` (n,); ``hybrid`` (h, C, H, W) with ``y_amp`` and ``y_phase`` the classes of the two
    donors (always different); ``mean_amplitude`` (C, H, W).
    """

    real: np.ndarray
    amp: np.ndarray
    phase: np.ndarray
    y: np.ndarray
    hybrid: np.ndarray
    y_amp: np.ndarray
    y_phase: np.ndarray
    mean_amplitude: np.ndarray


def make_probes(
    X_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    n_hybrid: int = 1000,
    rng: np.random.Generator | int = 0,
) -> Probes:
    """Build the amplitude-only, phase-only and hybrid test sets from ``X_test`` (n, C, H, W) (standardised).

    Phase-only images take the mean amplitude of ``X_train``; each hybrid takes the amplitude of one test image
    and the phases of a test image of another class. Every probe is standardised like the training data.
    """
    n_hybrid = check_int(n_hybrid, "n_hybrid", minimum=1)
    rng = np.random.default_rng(rng)
    Xtr, Xte = as_nchw(X_train), as_nchw(X_test)
    y_test = np.asarray(y_test)
    if Xtr.shape[1:] != Xte.shape[1:]:
        raise ValueError(
            f"X_train and X_test must hold images of one shape (C, H, W), got {Xtr.shape[1:]} and {Xte.shape[1:]}"
        )
    if y_test.shape != (len(Xte),):
        raise ValueError(f"y_test must hold one label per test image ({len(Xte)},), got shape {y_test.shape}")
    if np.unique(y_test).size < 2:
        raise ValueError(f"y_test must hold at least two classes (a hybrid's donors differ), got {np.unique(y_test)}")
    A_mean = amplitude_phase(Xtr)[0].mean(axis=0)
    amp = standardise(phase_scramble(Xte, rng))
    phase = standardise(amplitude_equalise(Xte, A_mean))
    i = rng.integers(0, len(y_test), size=4 * n_hybrid)
    j = rng.integers(0, len(y_test), size=4 * n_hybrid)
    keep = y_test[i] != y_test[j]
    i, j = i[keep][:n_hybrid], j[keep][:n_hybrid]
    A_i = amplitude_phase(Xte[i])[0]
    P_j = amplitude_phase(Xte[j])[1]
    hyb = standardise(from_amplitude_phase(A_i, P_j))
    return Probes(
        real=Xte, amp=amp, phase=phase, y=y_test, hybrid=hyb, y_amp=y_test[i], y_phase=y_test[j], mean_amplitude=A_mean
    )


def make_net(kind: str, in_shape: Sequence[int], n_classes: int, *, width: int = 256, seed: int = 0) -> nn.Module:
    """``"mlp"``: a two-layer ReLU network (one hidden layer of ``width``); ``"cnn"``: two 3x3 conv blocks
    (``width // 8`` and ``width // 4`` channels, ReLU, 2x2 max-pooling) and a linear read-out."""
    width, n_classes = check_int(width, "width", minimum=1), check_int(n_classes, "n_classes", minimum=1)
    check_choice(kind, "net kind", ("mlp", "cnn"))
    torch.manual_seed(streams.int_seed(seed, "net.init"))
    C, H, W = in_shape
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(C * H * W, width), nn.ReLU(), nn.Linear(width, n_classes))
    if kind == "cnn":
        c1, c2 = max(width // 8, 4), max(width // 4, 8)
        return nn.Sequential(
            nn.Conv2d(C, c1, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(c2 * (H // 4) * (W // 4), n_classes),
        )
    raise ValueError(f"net kind must be 'mlp' or 'cnn', got {kind!r}")


@dataclass
class Tracking:
    """Accuracies over training: ``steps`` (S,); ``acc`` dict probe name -> (S,) accuracy; ``follow_amp`` and
    ``follow_phase`` (S,) the shares of hybrids classified as the amplitude or the phase donor;
    ``n_classes``."""

    steps: np.ndarray
    acc: dict
    follow_amp: np.ndarray
    follow_phase: np.ndarray
    n_classes: int
    info: dict = field(default_factory=dict)

    @property
    def chance(self) -> float:
        """The accuracy of a uniform guess, ``1 / n_classes``."""
        return 1.0 / self.n_classes

    def row(self, i: int = -1) -> str:
        """One line for recorded step ``i``: every accuracy and, with probes, the two hybrid shares."""
        line = f"step {int(self.steps[i]):7d}: " + ", ".join(f"{k} {v[i]:.3f}" for k, v in self.acc.items())
        if self.follow_amp.size:
            line += f", hybrids -> amplitude {self.follow_amp[i]:.3f}, phase {self.follow_phase[i]:.3f}"
        return line

    def table(self) -> Table:
        """One row per recorded step: every accuracy and, with probes, the two hybrid shares (:meth:`row` is one
        of them as a line of text)."""
        cols = ["step", *self.acc]
        if self.follow_amp.size:
            cols += ["hybrids → amplitude", "hybrids → phase"]
        rows = []
        for i in range(len(self.steps)):
            row = [str(int(self.steps[i])), *(f"{v[i]:.3f}" for v in self.acc.values())]
            if self.follow_amp.size:
                row += [f"{self.follow_amp[i]:.3f}", f"{self.follow_phase[i]:.3f}"]
            rows.append(row)
        return Table(cols, rows)


def _predict(net, X, device, batch: int = 2048) -> np.ndarray:
    out = []
    with torch.no_grad():
        for s in range(0, len(X), batch):
            xb = torch.as_tensor(X[s : s + batch], dtype=torch.float32, device=device)
            out.append(net(xb).argmax(1).cpu().numpy())
    return np.concatenate(out)


def record_schedule(steps: int, n: int = 16) -> np.ndarray:
    """``n`` roughly log-spaced recording steps in [0, steps] (0 and ``steps`` included; fewer when steps < 10)."""
    steps, n = check_int(steps, "steps", minimum=1), check_int(n, "n", minimum=2)
    # geomspace(10, steps) runs from 10 down to steps when steps < 10: clip, so that no step lies beyond the end
    return np.unique(np.concatenate([[0], np.minimum(np.geomspace(10, steps, n - 1).astype(int), steps), [steps]]))


def train_tracking(
    X_train: ArrayLike,
    y_train: ArrayLike,
    probes: Probes | None = None,
    *,
    tests: dict | None = None,
    net: str = "mlp",
    width: int = 256,
    steps: int = 4000,
    lr: float = 0.05,
    batch: int = 32,
    record: ArrayLike | None = None,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool | None = None,
) -> Tracking:
    """Minibatch SGD (cross-entropy) on ``X_train`` (n, C, H, W), ``y_train``; accuracies at the ``record`` steps.

    ``probes``: the amplitude/phase/hybrid sets of :func:`make_probes` (tracked as ``real``, ``amp``,
    ``phase`` and the hybrid shares); ``tests``: extra named ``(X, y)`` test sets. ``progress``: show a ``tqdm``
    bar; ``None``: :func:`~lofi_utils.runtime.progress_default`.
    """
    Xtr = as_nchw(X_train)
    ytr = np.asarray(y_train)
    if ytr.shape != (len(Xtr),):
        raise ValueError(f"y_train must hold one label per training image ({len(Xtr)},), got shape {ytr.shape}")
    if ytr.size == 0 or not np.all(np.isfinite(ytr)) or np.any(ytr < 0) or np.any(ytr != np.round(ytr)):
        raise ValueError(f"y_train must be class indices 0, 1, 2, ..., got values {np.unique(ytr)[:4].tolist()}")
    if not np.all(np.isfinite(Xtr)):
        raise ValueError("X_train must be finite, got NaN or inf pixels")
    steps, batch = check_int(steps, "steps", minimum=1), check_int(batch, "batch", minimum=1)
    lr = check_positive(lr, "lr")
    ytr = ytr.astype(np.int64)
    K = int(ytr.max()) + 1
    dev = torch.device(device)
    model = make_net(net, Xtr.shape[1:], K, width=width, seed=seed).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    Xt = torch.as_tensor(Xtr, dtype=torch.float32, device=dev)
    yt = torch.as_tensor(ytr, device=dev)
    g = streams.torch_generator(seed, "net.batches", device=dev)
    sets = dict(tests or {})
    if probes is not None:
        sets.update(real=(probes.real, probes.y), amp=(probes.amp, probes.y), phase=(probes.phase, probes.y))
    record = record_schedule(steps) if record is None else np.asarray(record)
    if (
        record.ndim != 1
        or record.size == 0
        or not np.issubdtype(record.dtype, np.integer)
        or np.any(record < 0)
        or np.any(record > steps)
    ):
        raise ValueError(f"record must be integer steps in [0, steps = {steps}], got {record.tolist()!r}")
    acc = {k: [] for k in sets}
    fa, fp = [], []
    for t in tqdm(range(steps + 1), disable=not show_progress(progress), desc="training", leave=False):
        if t in record:
            model.eval()
            for k, (X, y) in sets.items():
                acc[k].append(float(np.mean(_predict(model, X, dev) == y)))
            if probes is not None:
                ph = _predict(model, probes.hybrid, dev)
                fa.append(float(np.mean(ph == probes.y_amp)))
                fp.append(float(np.mean(ph == probes.y_phase)))
            model.train()
        if t == steps:
            break
        idx = torch.randint(0, len(yt), (batch,), generator=g, device=dev)
        loss = nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return Tracking(
        steps=np.asarray(sorted(record)),
        acc={k: np.array(v) for k, v in acc.items()},
        follow_amp=np.array(fa),
        follow_phase=np.array(fp),
        n_classes=K,
    )


def steps_to(tr: Tracking, key: str, level: float) -> float:
    """First recorded step at which accuracy ``key`` reaches ``level`` (``inf`` if never)."""
    check_choice(key, "key (a tracked accuracy)", tr.acc)
    a = tr.acc[key]
    hit = np.flatnonzero(a >= level)
    return float(tr.steps[hit[0]]) if hit.size else float("inf")


def speed_comparison(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    seeds: int = 1,
    seed: int = 0,
    **train_kw,
) -> dict:
    """Train the same network on the amplitude-only and on the phase-only version of the task.

    Amplitude-only training images: phases scrambled (fresh noise per image); phase-only: the training set's mean
    amplitude with each image's phases. Each network is tested on the same kind of test images. ``seeds``
    networks per task, network ``s`` seeded from the stream ``(seed, "speed.net", s)`` (the same for both
    tasks: paired runs); the scrambling phases from ``(seed, "speed.scramble")``. Returns
    ``{"amp": [Tracking per seed], "phase": [...]}`` with test accuracy under key ``"test"``.
    """
    seeds = check_int(seeds, "seeds", minimum=1)
    rng = streams.rng(seed, "speed.scramble")
    Xtr, Xte = as_nchw(X_train), as_nchw(X_test)
    A_mean = amplitude_phase(Xtr)[0].mean(axis=0)
    data = {
        "amp": (standardise(phase_scramble(Xtr, rng)), standardise(phase_scramble(Xte, rng))),
        "phase": (standardise(amplitude_equalise(Xtr, A_mean)), standardise(amplitude_equalise(Xte, A_mean))),
    }
    return {
        k: [
            train_tracking(
                a,
                y_train,
                tests={"test": (b, np.asarray(y_test))},
                seed=streams.int_seed(seed, "speed.net", s),
                **train_kw,
            )
            for s in range(seeds)
        ]
        for k, (a, b) in data.items()
    }


@dataclass
class SpeedSummary:
    """Output of :func:`speed_summary`: ``level``; ``steps`` {task: median over seeds of the first recorded step
    with accuracy >= level}; ``final`` {task: mean over seeds of the last accuracy}; ``ceiling`` {task: mean over
    seeds of the late accuracy, :func:`late_accuracy`}; ``half_steps`` {task: median over seeds of
    :func:`steps_to_own_fraction` at one half}, a learning time that does not depend on the task's ceiling;
    tasks ``"amp"``, ``"phase"``."""

    level: float
    steps: dict
    final: dict
    ceiling: dict = field(default_factory=dict)
    half_steps: dict = field(default_factory=dict)

    def __str__(self) -> str:
        nan = float("nan")
        return (
            f"steps to reach accuracy {self.level:.2f}: amplitude-only task {self.steps['amp']:g}, "
            f"phase-only task {self.steps['phase']:g}\n"
            f"final test accuracy: amplitude-only task {self.final['amp']:.3f}, "
            f"phase-only task {self.final['phase']:.3f}\n"
            f"steps to half of the task's own ceiling: amplitude-only task {self.half_steps.get('amp', nan):g}, "
            f"phase-only task {self.half_steps.get('phase', nan):g}"
        )


def late_mean(values: ArrayLike, share: float = 0.2) -> float:
    """Mean of ``values`` (S,) recorded over training, over its last ``share`` of records (at least one)."""
    check_in_range(share, "share", 0, 1, low_open=True)
    a = np.asarray(values, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"values must be a non-empty 1-d sequence, got shape {a.shape}")
    return float(a[-max(1, int(round(share * a.size))) :].mean())


def late_accuracy(tr: Tracking, key: str, share: float = 0.2) -> float:
    """Mean accuracy ``key`` over the last ``share`` of the recorded steps (:func:`late_mean`): the run's ceiling."""
    check_choice(key, "key (a tracked accuracy)", tr.acc)
    return late_mean(tr.acc[key], share)


def steps_to_own_fraction(tr: Tracking, key: str, frac: float = 0.5) -> float:
    """First recorded step at which accuracy ``key`` reaches ``chance + frac (ceiling - chance)``, the ceiling
    being :func:`late_accuracy` (``inf`` if never). Unlike :func:`steps_to` at a fixed level, it compares
    tasks with different ceilings fairly: a task that ends lower is not counted as slower for that alone."""
    check_in_range(frac, "frac", 0, 1, low_open=True)
    level = tr.chance + frac * (late_accuracy(tr, key) - tr.chance)
    hit = np.flatnonzero(np.asarray(tr.acc[key]) >= level)
    return float(tr.steps[hit[0]]) if hit.size else float("inf")


def speed_summary(runs: dict, *, level: float, key: str = "test") -> SpeedSummary:
    """Learning times and final accuracies of :func:`speed_comparison` runs.

    For each task ``k`` in ``runs`` (``{"amp": [Tracking per seed], "phase": [...]}``):
    ``steps[k] = median_s steps_to(run_s, key, level)`` (``inf`` counts as never) and
    ``final[k] = mean_s acc_s[key][-1]``. Returns a :class:`SpeedSummary`.
    """
    check_in_range(level, "level (an accuracy)", 0, 1, low_open=True)
    if not runs or any(len(v) == 0 for v in runs.values()):
        raise ValueError("runs must map each task to at least one Tracking")
    steps = {k: float(np.median([steps_to(r, key, level) for r in v])) for k, v in runs.items()}
    final = {k: float(np.mean([r.acc[key][-1] for r in v])) for k, v in runs.items()}
    ceiling = {k: float(np.mean([late_accuracy(r, key) for r in v])) for k, v in runs.items()}
    half = {k: float(np.median([steps_to_own_fraction(r, key) for r in v])) for k, v in runs.items()}
    return SpeedSummary(level=level, steps=steps, final=final, ceiling=ceiling, half_steps=half)
