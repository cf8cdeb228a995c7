"""Do networks use Fourier amplitudes before phases? Image experiments of the *Fourier phase* chapter.

Two experiments on real images (skimage textures offline; CIFAR-10/100 from a path the reader gives):

* **Tracking** (:func:`train_tracking`): train a network on real images and follow, over training, its
  accuracy on the real test images, on *amplitude-only* versions (phases scrambled: only the amplitude
  spectrum of each image is left), on *phase-only* versions (every image gets the training set's mean
  amplitude: only the phases differ), and on *hybrids* (amplitude of an image of class A with the phases of
  an image of class B), recording which donor the prediction follows (:func:`make_probes`).
* **Learning speed** (:func:`speed_comparison`): train the same network on the amplitude-only and on the
  phase-only version of the training set. Both carry label information (the question is well posed when
  both reach above chance); the claim "amplitudes before phases" becomes a comparison of learning times.
* **Phase discrimination** (:func:`phase_discrimination`): real texture patches against their phase-randomised
  copies (identical amplitude spectra), with the natural power-law spectrum or whitened to a flat one.

Images are (n, C, H, W) float32 for the networks; Fourier work in float64 (:mod:`lofi_utils.fourier`).
Training: PyTorch, minibatch SGD with cross-entropy, on the chosen device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .fourier import amplitude_equalise, amplitude_phase, extract_patches, from_amplitude_phase, phase_scramble
from .plotting import PALETTE, get_ax, label
from .validation import check_choice, check_in_range, check_int, check_positive

__all__ = [
    "standardise", "texture_patches", "cifar_arrays", "Probes", "make_probes", "make_net", "Tracking",
    "record_schedule", "train_tracking", "speed_comparison", "steps_to", "phase_jitter", "whiten", "phase_discrimination",
    "SpeedSummary", "speed_summary", "CIFAR_DATASETS", "load_cifar", "discrimination_scan", "faster_spectrum",
    "plot_tracking", "plot_speed", "plot_discrimination",
]


def standardise(X) -> np.ndarray:
    """Each image (…, H, W) or (n, C, H, W) to zero mean and unit variance over its pixels (and channels).

    Removes the mean (the zero frequency) and the overall contrast (the total power), the two cues that are
    trivially "amplitude".
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"X must be images (..., H, W) or (n, C, H, W), got shape {X.shape}")
    axes = tuple(range(1, X.ndim)) if X.ndim == 4 else (-2, -1)
    X = X - X.mean(axis=axes, keepdims=True)
    return X / np.maximum(X.std(axis=axes, keepdims=True), 1e-12)


def _as_nchw(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 3:
        return X[:, None]
    if X.ndim != 4:
        raise ValueError(f"images must be (n, H, W) or (n, C, H, W), got shape {X.shape}")
    return X


def texture_patches(textures: dict, size: int, n_train: int, n_test: int, rng=0):
    """Patches of named gray images, one class per image: train patches from the top half, test from the bottom.

    Returns ``X_train`` (n_train * K, 1, size, size), ``y_train``, ``X_test``, ``y_test`` (standardised, float64)
    and the class names.
    """
    names = list(textures)
    if len(names) < 2:
        raise ValueError("need at least two images (classes)")
    n_train, n_test = check_int(n_train, "n_train", minimum=1), check_int(n_test, "n_test", minimum=1)
    rng = np.random.default_rng(rng)
    Xtr = np.concatenate([extract_patches(textures[k], size, n_train, rng, rows=(0.0, 0.5)) for k in names])
    Xte = np.concatenate([extract_patches(textures[k], size, n_test, rng, rows=(0.5, 1.0)) for k in names])
    ytr = np.repeat(np.arange(len(names)), n_train)
    yte = np.repeat(np.arange(len(names)), n_test)
    return standardise(Xtr[:, None]), ytr, standardise(Xte[:, None]), yte, names


def cifar_arrays(X, y, *, n: int | None = None, rng=0):
    """CIFAR images (n, 32, 32, 3) uint8 to standardised (n, 3, 32, 32) float64, optionally a random subset of ``n``."""
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[-1] != 3:
        raise ValueError(f"expected CIFAR images (n, 32, 32, 3), got shape {X.shape}")
    y = np.asarray(y, dtype=np.int64)
    if n is not None:
        n = check_int(n, "n", minimum=1)
    if n is not None and n < len(y):
        idx = np.random.default_rng(rng).choice(len(y), size=n, replace=False)
        X, y = X[idx], y[idx]
    return standardise(X.transpose(0, 3, 1, 2).astype(np.float64) / 255.0), y


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


def make_probes(X_train, X_test, y_test, *, n_hybrid: int = 1000, rng=0) -> Probes:
    """Build the amplitude-only, phase-only and hybrid test sets from ``X_test`` (n, C, H, W) (standardised).

    Phase-only images take the mean amplitude of ``X_train``; each hybrid takes the amplitude of one test image
    and the phases of a test image of another class. Every probe is standardised like the training data.
    """
    n_hybrid = check_int(n_hybrid, "n_hybrid", minimum=1)
    rng = np.random.default_rng(rng)
    Xtr, Xte = _as_nchw(X_train), _as_nchw(X_test)
    y_test = np.asarray(y_test)
    if Xtr.shape[1:] != Xte.shape[1:]:
        raise ValueError(f"X_train and X_test must hold images of one shape (C, H, W), got {Xtr.shape[1:]} and "
                         f"{Xte.shape[1:]}")
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
    return Probes(real=Xte, amp=amp, phase=phase, y=y_test, hybrid=hyb, y_amp=y_test[i], y_phase=y_test[j],
                  mean_amplitude=A_mean)


def make_net(kind: str, in_shape, n_classes: int, *, width: int = 256, seed: int = 0) -> nn.Module:
    """``"mlp"``: a two-layer ReLU network (one hidden layer of ``width``); ``"cnn"``: two 3x3 conv blocks
    (``width // 8`` and ``width // 4`` channels, ReLU, 2x2 max-pooling) and a linear read-out."""
    width, n_classes = check_int(width, "width", minimum=1), check_int(n_classes, "n_classes", minimum=1)
    check_choice(kind, "net kind", ("mlp", "cnn"))
    torch.manual_seed(seed)
    C, H, W = in_shape
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(C * H * W, width), nn.ReLU(), nn.Linear(width, n_classes))
    if kind == "cnn":
        c1, c2 = max(width // 8, 4), max(width // 4, 8)
        return nn.Sequential(nn.Conv2d(C, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(c2 * (H // 4) * (W // 4), n_classes))
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
        return 1.0 / self.n_classes

    def row(self, i: int = -1) -> str:
        """One line for recorded step ``i``: every accuracy and, with probes, the two hybrid shares."""
        line = f"step {int(self.steps[i]):7d}: " + ", ".join(f"{k} {v[i]:.3f}" for k, v in self.acc.items())
        if self.follow_amp.size:
            line += f", hybrids -> amplitude {self.follow_amp[i]:.3f}, phase {self.follow_phase[i]:.3f}"
        return line

    def table(self) -> str:
        """:meth:`row` for every recorded step, one per line."""
        return "\n".join(self.row(i) for i in range(len(self.steps)))


def _predict(net, X, device, batch: int = 2048) -> np.ndarray:
    out = []
    with torch.no_grad():
        for s in range(0, len(X), batch):
            xb = torch.as_tensor(X[s:s + batch], dtype=torch.float32, device=device)
            out.append(net(xb).argmax(1).cpu().numpy())
    return np.concatenate(out)


def record_schedule(steps: int, n: int = 16) -> np.ndarray:
    """``n`` roughly log-spaced recording steps in [0, steps] (0 and ``steps`` included; fewer when steps < 10)."""
    steps, n = check_int(steps, "steps", minimum=1), check_int(n, "n", minimum=2)
    # geomspace(10, steps) runs from 10 down to steps when steps < 10: clip, so that no step lies beyond the end
    return np.unique(np.concatenate([[0], np.minimum(np.geomspace(10, steps, n - 1).astype(int), steps), [steps]]))


def train_tracking(X_train, y_train, probes: Probes | None = None, *, tests: dict | None = None, net: str = "mlp",
                   width: int = 256, steps: int = 4000, lr: float = 0.05, batch: int = 32, record=None,
                   seed: int = 0, device="cpu", progress: bool = False) -> Tracking:
    """Minibatch SGD (cross-entropy) on ``X_train`` (n, C, H, W), ``y_train``; accuracies at the ``record`` steps.

    ``probes``: the amplitude/phase/hybrid sets of :func:`make_probes` (tracked as ``real``, ``amp``,
    ``phase`` and the hybrid shares); ``tests``: extra named ``(X, y)`` test sets.
    """
    Xtr = _as_nchw(X_train)
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
    g = torch.Generator(device=dev).manual_seed(seed)
    sets = dict(tests or {})
    if probes is not None:
        sets.update(real=(probes.real, probes.y), amp=(probes.amp, probes.y), phase=(probes.phase, probes.y))
    record = record_schedule(steps) if record is None else np.asarray(record)
    if record.ndim != 1 or record.size == 0 or not np.issubdtype(record.dtype, np.integer) \
            or np.any(record < 0) or np.any(record > steps):
        raise ValueError(f"record must be integer steps in [0, steps = {steps}], got {record.tolist()!r}")
    acc = {k: [] for k in sets}
    fa, fp = [], []
    for t in tqdm(range(steps + 1), disable=not progress, desc="training", leave=False):
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
    return Tracking(steps=np.asarray(sorted(record)), acc={k: np.array(v) for k, v in acc.items()},
                    follow_amp=np.array(fa), follow_phase=np.array(fp), n_classes=K)


def steps_to(tr: Tracking, key: str, level: float) -> float:
    """First recorded step at which accuracy ``key`` reaches ``level`` (``inf`` if never)."""
    check_choice(key, "key (a tracked accuracy)", tr.acc)
    a = tr.acc[key]
    hit = np.flatnonzero(a >= level)
    return float(tr.steps[hit[0]]) if hit.size else float("inf")


def speed_comparison(X_train, y_train, X_test, y_test, *, seeds=(0,), rng=0, **train_kw) -> dict:
    """Train the same network on the amplitude-only and on the phase-only version of the task.

    Amplitude-only training images: phases scrambled (fresh noise per image); phase-only: the training set's mean
    amplitude with each image's phases. Each network is tested on the same kind of test images. Returns
    ``{"amp": [Tracking per seed], "phase": [...]}`` with test accuracy under key ``"test"``.
    """
    rng = np.random.default_rng(rng)
    Xtr, Xte = _as_nchw(X_train), _as_nchw(X_test)
    A_mean = amplitude_phase(Xtr)[0].mean(axis=0)
    data = {
        "amp": (standardise(phase_scramble(Xtr, rng)), standardise(phase_scramble(Xte, rng))),
        "phase": (standardise(amplitude_equalise(Xtr, A_mean)), standardise(amplitude_equalise(Xte, A_mean))),
    }
    return {k: [train_tracking(a, y_train, tests={"test": (b, np.asarray(y_test))}, seed=s, **train_kw)
                for s in seeds] for k, (a, b) in data.items()}


@dataclass
class SpeedSummary:
    """Output of :func:`speed_summary`: ``level``; ``steps`` {task: median over seeds of the first recorded step
    with accuracy >= level}; ``final`` {task: mean over seeds of the last accuracy}; tasks ``"amp"``, ``"phase"``."""

    level: float
    steps: dict
    final: dict

    def __str__(self) -> str:
        return (f"steps to reach accuracy {self.level:.2f}: amplitude-only task {self.steps['amp']:g}, "
                f"phase-only task {self.steps['phase']:g}\n"
                f"final test accuracy: amplitude-only task {self.final['amp']:.3f}, "
                f"phase-only task {self.final['phase']:.3f}")


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
    return SpeedSummary(level=level, steps=steps, final=final)


#: The CIFAR variants :func:`load_cifar` reads.
CIFAR_DATASETS = ("cifar10", "cifar100")


def load_cifar(path, dataset: str = "cifar10", *, n_train: int, n_test: int, rng: int = 0):
    """Standardised CIFAR-10 or CIFAR-100 subsets for the tracking experiment.

    Reads the "python version" folder at ``path`` (:func:`lofi_utils.datasets.load_cifar10` /
    ``load_cifar100``; a missing folder raises :class:`lofi_utils.datasets.DataMissing` with one line) and
    keeps random subsets of ``n_train`` training (seed ``rng``) and ``n_test`` test images (seed ``rng + 1``)
    through :func:`cifar_arrays`. Returns ``X_train`` (n_train, 3, 32, 32), ``y_train``, ``X_test``, ``y_test``.
    Asking for more images than a split holds raises ``ValueError``.
    """
    from . import datasets

    check_choice(dataset, "dataset", CIFAR_DATASETS)
    for nm, v in (("n_train", n_train), ("n_test", n_test)):
        check_int(v, nm, minimum=1)
    loader = {"cifar10": datasets.load_cifar10, "cifar100": datasets.load_cifar100}[dataset]
    out = []
    for split, n, seed in (("train", n_train, rng), ("test", n_test, rng + 1)):
        X, y = loader(path, split=split)
        if n > len(y):
            raise ValueError(f"asked for {n} {split} images of {dataset}; the files at {path} hold {len(y)}")
        out += cifar_arrays(X, y, n=n, rng=seed)
    return tuple(out)


# =========================================================================== real vs phase-randomised textures
def phase_jitter(X, strength: float, rng=0) -> np.ndarray:
    """Add ``strength`` times the (Hermitian-antisymmetric) phase of a white-noise image to each image's phases.

    ``strength = 1`` is a full phase randomisation (:func:`lofi_utils.fourier.phase_scramble`), ``0`` the identity.
    """
    X = _as_nchw(X)
    if not np.isfinite(strength):
        raise ValueError(f"strength must be a finite number, got {strength!r}")
    rng = np.random.default_rng(rng)
    theta = np.angle(np.fft.fft2(rng.standard_normal(X.shape[:1] + (1,) + X.shape[2:]), norm="ortho"))
    theta[..., 0, 0] = 0.0
    A, phi = amplitude_phase(X)
    return from_amplitude_phase(A, phi + strength * theta)


def whiten(X, mean_amplitude) -> np.ndarray:
    """Divide every image's spectrum by a common amplitude (flattens the average spectrum, keeps the phases)."""
    X = _as_nchw(X)
    A = np.asarray(mean_amplitude, dtype=np.float64)
    try:
        fits = np.broadcast_shapes(A.shape, X.shape) == X.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"mean_amplitude must broadcast to the images {X.shape} (e.g. (C, H, W) or (H, W)), "
                         f"got shape {A.shape}")
    if not np.all(np.isfinite(A)) or np.any(A < 0):
        raise ValueError("mean_amplitude must be finite and >= 0 (an amplitude spectrum), got NaN, inf or < 0")
    F = np.fft.fft2(X, norm="ortho")
    return np.fft.ifft2(F / np.maximum(mean_amplitude, 1e-12), norm="ortho").real


def phase_discrimination(image, *, size: int = 16, n_train: int = 3000, n_test: int = 1000, jitter: float = 0.0,
                         spectrum: str = "natural", rng=0, **train_kw) -> Tracking:
    """Real patches of ``image`` (label 1, phases jittered by ``jitter``) against phase-randomised patches (label 0).

    Both classes have the same amplitude spectra, so only phases can tell them apart. ``spectrum="natural"``
    keeps the images' power-law spectrum; ``"flat"`` whitens both classes by the training set's mean amplitude.
    Returns the :class:`Tracking` of a network trained with :func:`train_tracking` (test accuracy as ``"test"``).
    """
    check_choice(spectrum, "spectrum", ("natural", "flat"))
    check_in_range(jitter, "jitter (a fraction of a full phase randomisation)", 0, 1)
    rng = np.random.default_rng(rng)

    def make(n, rows):
        P = extract_patches(image, size, 2 * n, rng, rows=rows)[:, None]
        real = phase_jitter(P[:n], jitter, rng) if jitter > 0 else P[:n]
        X = np.concatenate([real, phase_jitter(P[n:], 1.0, rng)])
        return standardise(X), np.repeat([1, 0], n)

    Xtr, ytr = make(n_train, (0.0, 0.5))
    Xte, yte = make(n_test, (0.5, 1.0))
    if spectrum == "flat":
        A = amplitude_phase(Xtr)[0].mean(axis=0)
        Xtr, Xte = standardise(whiten(Xtr, A)), standardise(whiten(Xte, A))
    return train_tracking(Xtr, ytr, tests={"test": (Xte, yte)}, **train_kw)


def _disc_key(name: str, jitter: float, spectrum: str) -> str:
    return f"{name}, jitter {float(jitter)}, {spectrum}"


def discrimination_scan(images: dict, jitters, *, spectra=("natural", "flat"), **kw) -> dict:
    """:func:`phase_discrimination` for every named image, phase jitter and spectrum.

    ``images``: {name: 2-D gray image}; ``jitters``: phase jitters of the real class; ``kw``: the other
    arguments of :func:`phase_discrimination` (sizes, ``rng``) and of :func:`train_tracking`, the same for
    every run. Returns {``"<name>, jitter <j>, <spectrum>"``: :class:`Tracking`}, in loop order
    name > jitter > spectrum.
    """
    if not images or len(np.atleast_1d(jitters)) == 0 or not spectra:
        raise ValueError("need at least one image, one jitter and one spectrum")
    return {_disc_key(name, jit, spec): phase_discrimination(img, jitter=jit, spectrum=spec, **kw)
            for name, img in images.items() for jit in jitters for spec in spectra}


def faster_spectrum(results: dict, names, jitters, *, level: float = 0.75) -> dict:
    """Which spectrum reaches test accuracy ``level`` first in :func:`discrimination_scan` results.

    For every ``(name, jitter)``: ``"flat"`` if ``steps_to(flat) < steps_to(natural)``, ``"natural"`` if the
    reverse, ``"tie"`` otherwise (same recorded step, or neither reaches ``level``). Returns
    {(name, jitter): str}.
    """
    check_in_range(level, "level (an accuracy)", 0, 1, low_open=True)
    out = {}
    for name in names:
        for jit in jitters:
            tn = steps_to(results[_disc_key(name, jit, "natural")], "test", level)
            tf = steps_to(results[_disc_key(name, jit, "flat")], "test", level)
            out[(name, jit)] = "flat" if tf < tn else ("natural" if tn < tf else "tie")
    return out


# =========================================================================== figures
def plot_tracking(tr: Tracking, *, ax=None, title: str = "what the network uses, over training"):
    """Accuracies on the real, amplitude-only and phase-only test images, and the hybrid shares, against steps."""
    ax = get_ax(ax)
    styles = {"real": ("real test images", PALETTE[7], "-"), "amp": ("amplitude only", PALETTE[0], "-"),
              "phase": ("phase only", PALETTE[1], "-")}
    x = np.maximum(tr.steps, 1)
    for k, (lab, col, ls) in styles.items():
        if k in tr.acc:
            ax.plot(x, tr.acc[k], ls, color=col, marker="o", ms=3, label=lab)
    if tr.follow_amp.size:
        ax.plot(x, tr.follow_amp, "--", color=PALETTE[0], label="hybrid -> amplitude donor")
        ax.plot(x, tr.follow_phase, "--", color=PALETTE[1], label="hybrid -> phase donor")
    ax.axhline(tr.chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    label(ax, "SGD steps", "accuracy / share", title)
    ax.legend(fontsize=7)
    return ax


def plot_speed(runs: dict, *, ax=None, key: str = "test", title: str = "learning the amplitude vs the phase task"):
    """Test accuracy against steps for networks trained on the amplitude-only and the phase-only task (all seeds)."""
    ax = get_ax(ax)
    for k, col, lab in (("amp", PALETTE[0], "amplitude-only task"), ("phase", PALETTE[1], "phase-only task")):
        for i, tr in enumerate(runs[k]):
            ax.plot(np.maximum(tr.steps, 1), tr.acc[key], color=col, alpha=0.8, marker="o", ms=2.5,
                    label=lab if i == 0 else None)
    ax.axhline(runs["amp"][0].chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xscale("log")
    label(ax, "SGD steps", "test accuracy", title)
    ax.legend(fontsize=7)
    return ax


def plot_discrimination(results: dict, *, ax=None):
    """Test accuracy against steps for the phase-discrimination runs, keyed by a label."""
    ax = get_ax(ax)
    for i, (lab, tr) in enumerate(results.items()):
        ax.plot(np.maximum(tr.steps, 1), tr.acc["test"], color=PALETTE[i % len(PALETTE)], marker="o", ms=2.5,
                ls="-" if "natural" in lab else "--", label=lab)
    ax.axhline(0.5, color="0.5", ls=":", lw=1)
    ax.set_xscale("log")
    label(ax, "SGD steps", "test accuracy", "real vs phase-randomised patches")
    ax.legend(fontsize=7)
    return ax
