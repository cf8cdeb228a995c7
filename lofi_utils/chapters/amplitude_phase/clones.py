"""Clones of the data that keep only low-order information, and when a network stops being fooled by them.

Chapter 4, section 2. A network trained on real images is tested, during training, on *clones*:

* **Gaussian clones** (:func:`gaussian_clones`): draws from a Gaussian per class with that class's mean and
  covariance, fitted on the training set. They share every first- and second-order statistic of the data
  (for stationary images, the amplitude spectrum) and nothing of higher order (the phases' structure).
* **Phase-randomised clones** (:func:`phase_clones`): each image with its Fourier amplitude kept exactly and
  its phases replaced by random ones (:func:`lofi_utils.fourier.phase_scramble`).

A network that uses only low-order information is as accurate on the clones as on the real images; once it
uses higher-order information the two accuracy curves part (Refinetti, Ingrosso and Goldt 2023, "Neural
networks trained with SGD learn distributions of increasing complexity"). :func:`relative_gap` measures the
share of the above-chance accuracy that the clones do not reproduce, and :func:`early_late` reads it early and
late in training: "learned later" gives a small early share and a larger late one, "learned together" the same
share at both times, "never learned" a late share near 0.

:func:`train_ensemble` trains several small ReLU networks at once (one batched computation; network ``s``
initialised and fed from its own streams), so that every statistic comes with an interval over seeds
(:func:`bootstrap_interval`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from ... import streams
from ...fourier import as_nchw, phase_scramble
from ...validation import check_in_range, check_int, check_positive, check_rng
from .tracking import Probes, Tracking, record_schedule

__all__ = [
    "gaussian_clones",
    "phase_clones",
    "train_ensemble",
    "relative_gap",
    "divergence",
    "EarlyLate",
    "early_late",
    "bootstrap_interval",
    "clone_divergence",
    "speed_ensemble",
    "half_ceiling_ratios",
    "timing_outcome",
]


def _labels(y: ArrayLike, n: int, what: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{what} must hold one label per image ({n},), got shape {y.shape}")
    if n == 0 or np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError(f"{what} must be class indices 0, 1, 2, ..., got values {np.unique(y)[:4].tolist()}")
    return y.astype(np.int64)


def gaussian_clones(
    X: ArrayLike, y: ArrayLike, n_per_class: int, rng: np.random.Generator | int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draws from one Gaussian per class with the class's sample mean and covariance.

    For class ``c`` with images ``x_i`` (flattened to ``d`` numbers), ``mu_c = mean_i x_i`` and
    ``Sigma_c = (1 / (n_c - 1)) sum_i (x_i - mu_c)(x_i - mu_c)^T``; a clone is ``mu_c + U_c sqrt(L_c) g``,
    ``Sigma_c = U_c L_c U_c^T`` (eigenvalues below ``1e-12`` of the largest, round-off, set to 0) and ``g ~ N(0, I_d)``.

    Parameters
    ----------
    X : array_like, (n, ...)
        Training images (any trailing shape, e.g. (n, d) or (n, C, H, W)).
    y : array_like, (n,)
        Class indices; every class present needs at least two images.
    n_per_class : int
        Clones drawn per class.
    rng : numpy.random.Generator or int
        Draws the clones.

    Returns
    -------
    X_clone : numpy.ndarray, (K * n_per_class, ...)
        Float64 clones, in the trailing shape of ``X``, grouped by class.
    y_clone : numpy.ndarray, (K * n_per_class,)
        Their classes (the classes present in ``y``, in increasing order).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2 or X.shape[0] < 2:
        raise ValueError(f"X must be at least two images (n, ...), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite, got NaN or inf values")
    y = _labels(y, len(X))
    n_per_class = check_int(n_per_class, "n_per_class", minimum=1)
    rng = check_rng(rng)
    flat = X.reshape(len(X), -1)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f"every class needs at least two images for a covariance, class {classes[counts.argmin()]}")
    out = []
    for c in classes:
        Z = flat[y == c]
        L, U = np.linalg.eigh(np.cov(Z, rowvar=False))
        g = rng.standard_normal((n_per_class, Z.shape[1]))
        L = np.where(L > 1e-12 * max(L.max(), 0.0), L, 0.0)  # round-off eigenvalues: a singular Sigma stays singular
        out.append(Z.mean(axis=0) + (g * np.sqrt(L)) @ U.T)
    return np.concatenate(out).reshape((-1, *X.shape[1:])), np.repeat(classes, n_per_class)


def phase_clones(X: ArrayLike, rng: np.random.Generator | int = 0) -> np.ndarray:
    """Each image with its Fourier amplitude kept and its phases randomised: ``ifft2(|F_x| e^{i(arg F_x +
    arg F_g)})``, ``g`` white noise (:func:`lofi_utils.fourier.phase_scramble`; the mean is kept, and a colour
    image's channels share one noise image).

    Parameters
    ----------
    X : array_like, (n, H, W) or (n, C, H, W)
        Images.
    rng : numpy.random.Generator or int
        Draws the noise images.

    Returns
    -------
    numpy.ndarray, (n, C, H, W)
        Float64 clones; ``|fft2(clone)| = |fft2(X)|`` for every image and channel.
    """
    return phase_scramble(as_nchw(X), check_rng(rng))


def _init(shape_in: int, shape_out: int, S: int, g: list[torch.Generator]) -> tuple[torch.Tensor, torch.Tensor]:
    # PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases
    bound = 1.0 / np.sqrt(shape_in)
    W = torch.stack([(torch.rand(shape_in, shape_out, generator=gs) * 2 - 1) * bound for gs in g])
    b = torch.stack([(torch.rand(shape_out, generator=gs) * 2 - 1) * bound for gs in g])
    return W.requires_grad_(), b.requires_grad_()


def train_ensemble(
    X_train: ArrayLike,
    y_train: ArrayLike,
    *,
    tests: dict | None = None,
    probes: Probes | None = None,
    seeds: int = 5,
    width: int = 128,
    steps: int = 2000,
    lr: float = 0.05,
    batch: int = 32,
    record: ArrayLike | None = None,
    seed: int = 0,
) -> list[Tracking]:
    """Train ``seeds`` two-layer ReLU networks at once (minibatch SGD, cross-entropy), each with its own streams.

    Network ``s`` is ``f_s(x) = W2_s relu(W1_s x + b1_s) + b2_s`` (PyTorch's default initialisation, drawn
    from the stream ``(seed, "ensemble.init", s)``; minibatches of ``batch`` images drawn with replacement
    from ``(seed, "ensemble.batches", s)``); its loss is the mean cross-entropy of its own minibatch, and the
    networks share no parameter, so one SGD step on the summed loss is one independent step of each. CPU,
    float32.

    Parameters
    ----------
    X_train : array_like, (n, ...)
        Training images (flattened to (n, d)).
    y_train : array_like, (n,)
        Class indices.
    tests : dict, optional
        Named test sets ``{name: (X (m, ...), y (m,))}``.
    probes : Probes, optional
        The amplitude/phase/hybrid sets of :func:`~lofi_utils.chapters.amplitude_phase.tracking.make_probes`,
        tracked as ``real``, ``amp``, ``phase`` and the hybrid shares.
    seeds, width, steps, lr, batch : int, int, int, float, int
        Networks, hidden units, SGD steps, step size, minibatch size.
    record : array_like of int, optional
        Steps at which every accuracy is measured (default :func:`record_schedule` ``(steps, 24)``).
    seed : int
        The run's seed.

    Returns
    -------
    list of Tracking
        One per network, as :func:`~lofi_utils.chapters.amplitude_phase.tracking.train_tracking` returns.
    """
    Xtr = np.asarray(X_train, dtype=np.float64)
    if Xtr.ndim < 2 or len(Xtr) == 0:
        raise ValueError(f"X_train must be images (n, ...), got shape {Xtr.shape}")
    if not np.all(np.isfinite(Xtr)):
        raise ValueError("X_train must be finite, got NaN or inf values")
    ytr = _labels(y_train, len(Xtr), "y_train")
    S = check_int(seeds, "seeds", minimum=1)
    width, steps, batch = (
        check_int(v, n, minimum=1) for v, n in ((width, "width"), (steps, "steps"), (batch, "batch"))
    )
    lr = check_positive(lr, "lr")
    record = record_schedule(steps, 24) if record is None else np.asarray(record)
    if record.ndim != 1 or record.size == 0 or not np.issubdtype(record.dtype, np.integer):
        raise ValueError(f"record must be integer steps in [0, steps = {steps}], got {record.tolist()!r}")
    if np.any(record < 0) or np.any(record > steps):
        raise ValueError(f"record must be integer steps in [0, steps = {steps}], got {record.tolist()!r}")
    record = np.unique(record)
    sets = dict(tests or {})
    if probes is not None:
        sets.update(real=(probes.real, probes.y), amp=(probes.amp, probes.y), phase=(probes.phase, probes.y))
    d = int(np.prod(Xtr.shape[1:]))
    K = int(ytr.max()) + 1
    for name, (Xs, ys) in sets.items():
        if np.asarray(Xs).reshape(len(Xs), -1).shape[1] != d:
            raise ValueError(f"test set {name!r} must hold images of the training shape {Xtr.shape[1:]}")
        _labels(ys, len(Xs), f"labels of test set {name!r}")
    ev = {
        k: (torch.as_tensor(np.asarray(X).reshape(len(X), d), dtype=torch.float32), np.asarray(y))
        for k, (X, y) in sets.items()
    }
    hyb = None if probes is None else torch.as_tensor(probes.hybrid.reshape(len(probes.hybrid), d), dtype=torch.float32)
    g_init = [streams.torch_generator(seed, "ensemble.init", s) for s in range(S)]
    g_batch = [streams.torch_generator(seed, "ensemble.batches", s) for s in range(S)]
    W1, b1 = _init(d, width, S, g_init)
    W2, b2 = _init(width, K, S, g_init)
    params = [W1, b1, W2, b2]
    Xt = torch.as_tensor(Xtr.reshape(len(Xtr), d), dtype=torch.float32)
    yt = torch.as_tensor(ytr)

    def logits(x: torch.Tensor) -> torch.Tensor:  # x (S, B, d) or (B, d) -> (S, B, K)
        pre = torch.einsum("sbd,sdh->sbh" if x.ndim == 3 else "bd,sdh->sbh", x, W1)
        h = torch.relu(pre + b1[:, None])
        return torch.einsum("sbh,shk->sbk", h, W2) + b2[:, None]

    def predict(x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return torch.cat([logits(x[i : i + 4096]).argmax(-1) for i in range(0, len(x), 4096)], 1).numpy()

    acc = {k: np.zeros((S, record.size)) for k in sets}
    fa, fp = np.zeros((S, record.size)), np.zeros((S, record.size))
    r = 0
    for t in range(steps + 1):
        if t == record[r]:
            for k, (Xe, ye) in ev.items():
                acc[k][:, r] = (predict(Xe) == ye).mean(axis=1)
            if hyb is not None:
                ph = predict(hyb)
                fa[:, r], fp[:, r] = (ph == probes.y_amp).mean(axis=1), (ph == probes.y_phase).mean(axis=1)
            r += 1
            if r == record.size:
                break
        idx = torch.stack([torch.randint(0, len(yt), (batch,), generator=gs) for gs in g_batch])  # (S, B)
        out = logits(Xt[idx])
        loss = torch.nn.functional.cross_entropy(out.reshape(-1, K), yt[idx].reshape(-1)) * S
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
    return [
        Tracking(
            steps=record.copy(),
            acc={k: v[s].copy() for k, v in acc.items()},
            follow_amp=fa[s].copy() if hyb is not None else np.array([]),
            follow_phase=fp[s].copy() if hyb is not None else np.array([]),
            n_classes=K,
        )
        for s in range(S)
    ]


def relative_gap(acc_real: ArrayLike, acc_clone: ArrayLike, chance: float, *, floor: float = 0.05) -> np.ndarray:
    """The share of the above-chance accuracy that the clones do not reproduce, at each recorded step.

    ``g(t) = (a_real(t) - a_clone(t)) / (a_real(t) - chance)``, set to NaN where ``a_real(t) - chance <
    floor`` (no learning yet to share out). 0: the clone statistics explain all that is learned; 1: the clones
    are at chance.

    Parameters
    ----------
    acc_real, acc_clone : array_like, (R,)
        Accuracies on the real and on the clone test set at the same steps.
    chance : float
        The accuracy of a uniform guess, in (0, 1).
    floor : float
        The least above-chance accuracy at which the share is defined.

    Returns
    -------
    numpy.ndarray, (R,)
    """
    a, b = np.asarray(acc_real, dtype=float), np.asarray(acc_clone, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(f"acc_real and acc_clone must be 1-d of one length, got shapes {a.shape} and {b.shape}")
    check_in_range(chance, "chance", 0, 1, low_open=True, high_open=True)
    check_positive(floor, "floor")
    above = a - chance
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(above >= floor, (a - b) / above, np.nan)


def divergence(steps: ArrayLike, acc_real: ArrayLike, acc_clone: ArrayLike) -> float:
    """Mean gap ``a_real - a_clone`` over training, each recorded step weighted by its share of ``log(1 + t)``.

    ``D = sum_r w_r (a_real(t_r) - a_clone(t_r)) / sum_r w_r``, ``w_r`` the trapezoid weights of the grid
    ``log(1 + t_r)`` (the steps are log-spaced). 0 for identical curves; positive when the network is more
    accurate on real images than on the clones.

    Parameters
    ----------
    steps : array_like of int, (R,)
        Increasing recorded steps, R >= 2.
    acc_real, acc_clone : array_like, (R,)
        Accuracies at those steps.

    Returns
    -------
    float
    """
    t = np.asarray(steps, dtype=float)
    a, b = np.asarray(acc_real, dtype=float), np.asarray(acc_clone, dtype=float)
    if t.ndim != 1 or t.size < 2 or a.shape != t.shape or b.shape != t.shape:
        raise ValueError(
            f"steps, acc_real, acc_clone must be 1-d of one length >= 2, got {t.shape}, {a.shape}, {b.shape}"
        )
    if np.any(np.diff(t) <= 0) or t[0] < 0:
        raise ValueError("steps must be increasing and non-negative")
    u = np.log1p(t)
    w = np.zeros_like(u)
    w[:-1] += np.diff(u) / 2
    w[1:] += np.diff(u) / 2
    return float(np.sum(w * (a - b)) / np.sum(w))


@dataclass
class EarlyLate:
    """Output of :func:`early_late`: per network ``early`` and ``late`` (S,) relative gaps, and
    ``early_step`` (S,) the step read as early."""

    early: np.ndarray
    late: np.ndarray
    early_step: np.ndarray


def early_late(
    runs: Sequence[Tracking],
    real: str,
    clone: str,
    *,
    early_frac: float = 0.5,
    late_share: float = 0.2,
    early_window: tuple[float, float] | None = None,
) -> EarlyLate:
    """The relative gap (:func:`relative_gap`) early and late in training, per network.

    *Early*: the first recorded step at which the real accuracy reaches ``chance + early_frac (ceiling -
    chance)``, the ceiling being its late mean (:func:`~lofi_utils.chapters.amplitude_phase.tracking.late_mean`):
    the network has learned part of what it will learn. With ``early_window = (lo, hi)`` the early gap is
    instead ``(mean a_real - mean a_clone) / (mean a_real - chance)`` over the records from the first that
    reaches ``chance + lo (ceiling - chance)`` to the first that reaches ``chance + hi (ceiling - chance)``
    (the rise of the curve, read over several records; ``early_step`` is then the window's last step). *Late*:
    ``(a_real - a_clone) / (a_real - chance)`` with both accuracies averaged over the last ``late_share`` of
    the records.

    Parameters
    ----------
    runs : sequence of Tracking
        Networks with accuracies ``real`` and ``clone`` recorded.
    real, clone : str
        The names of the real and the clone accuracy.
    early_frac : float
        In (0, 1): how far up its own ceiling the real accuracy is when read as early.
    late_share : float
        The share of the records read as late.
    early_window : tuple of float, optional
        ``(lo, hi)``, ``0 < lo < hi < 1``: read the early gap over the rise from ``lo`` to ``hi`` of the ceiling
        (replaces ``early_frac``).

    Returns
    -------
    EarlyLate
    """
    from .tracking import late_mean, steps_to_own_fraction

    if len(runs) == 0:
        raise ValueError("runs must hold at least one Tracking")
    check_in_range(early_frac, "early_frac", 0, 1, low_open=True, high_open=True)
    if early_window is not None:
        w = np.asarray(early_window, dtype=float)
        if w.shape != (2,) or not (0 < w[0] < w[1] < 1):
            raise ValueError(f"early_window must be (lo, hi) with 0 < lo < hi < 1, got {early_window!r}")
    early, late, when = [], [], []
    for tr in runs:
        for k in (real, clone):
            if k not in tr.acc:
                raise ValueError(f"accuracy {k!r} was not recorded; recorded: {sorted(tr.acc)}")
        a, b = tr.acc[real], tr.acc[clone]

        def first(frac: float, tr: Tracking = tr) -> int:
            t = steps_to_own_fraction(tr, real, frac)
            return int(np.searchsorted(tr.steps, t)) if np.isfinite(t) else len(tr.steps) - 1

        if early_window is None:
            i = first(early_frac)
            early.append((a[i] - b[i]) / max(a[i] - tr.chance, 1e-12))
        else:
            i0, i = first(w[0]), first(w[1])
            ma, mb = a[i0 : i + 1].mean(), b[i0 : i + 1].mean()
            early.append((ma - mb) / max(ma - tr.chance, 1e-12))
        la, lb = late_mean(a, late_share), late_mean(b, late_share)
        late.append((la - lb) / max(la - tr.chance, 1e-12))
        when.append(float(tr.steps[i]))
    return EarlyLate(early=np.array(early), late=np.array(late), early_step=np.array(when))


def bootstrap_interval(
    values: ArrayLike,
    *,
    stat: str = "mean",
    level: float = 0.95,
    n_boot: int = 4000,
    rng: np.random.Generator | int = 0,
) -> tuple[float, float, float]:
    """A statistic of ``values`` over seeds and its percentile bootstrap interval: ``(stat, lo, hi)``.

    Resamples the S values with replacement ``n_boot`` times and takes the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles of the resampled statistic (``"mean"`` or ``"median"``).

    Parameters
    ----------
    values : array_like, (S,)
        One finite number per seed, S >= 2.
    stat : str
        ``"mean"`` or ``"median"``.
    level : float
        In (0, 1).
    n_boot : int
        Resamples.
    rng : numpy.random.Generator or int
        Draws the resamples.

    Returns
    -------
    tuple of float
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 2 or not np.all(np.isfinite(v)):
        raise ValueError(
            f"values must be a 1-d sequence of at least 2 finite numbers, got {np.asarray(values).tolist()!r}"
        )
    if stat not in ("mean", "median"):
        raise ValueError(f"stat must be 'mean' or 'median', got {stat!r}")
    check_in_range(level, "level", 0, 1, low_open=True, high_open=True)
    n_boot = check_int(n_boot, "n_boot", minimum=1)
    f = np.mean if stat == "mean" else np.median
    boot = f(v[check_rng(rng).integers(0, v.size, size=(n_boot, v.size))], axis=1)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(f(v)), float(lo), float(hi)


def clone_divergence(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike | None = None,
    y_test: ArrayLike | None = None,
    *,
    n_clones: int = 100,
    seeds: int = 5,
    seed: int = 0,
    **train_kw,
) -> list[Tracking]:
    """The divergence protocol: train on real images, test on them and on their Gaussian clones over training.

    Fits :func:`gaussian_clones` (``n_clones`` per class, stream ``(seed, "clones.gauss")``) on ``X_train``
    and trains :func:`train_ensemble` (``seeds`` networks, ``train_kw`` its sizes) on ``X_train``, recording
    accuracy ``"train"`` on the real training images, ``"clone"`` on the clones and, with ``X_test``,
    ``"test"`` on the real test images. The clones and the real training images share every class mean and
    covariance, so a network that uses only those is as accurate on both (up to sampling error).

    Parameters
    ----------
    X_train : array_like, (n, ...)
        Real training images.
    y_train : array_like, (n,)
        Their classes.
    X_test, y_test : array_like, optional
        Real test images (m, ...) and classes (m,).
    n_clones : int
        Clones per class.
    seeds, seed : int
        Networks, and the run's seed.
    **train_kw
        ``width``, ``steps``, ``lr``, ``batch``, ``record`` of :func:`train_ensemble`.

    Returns
    -------
    list of Tracking
    """
    Xc, yc = gaussian_clones(X_train, y_train, n_clones, streams.rng(seed, "clones.gauss"))
    tests = {"train": (X_train, y_train), "clone": (Xc, yc)}
    if X_test is not None:
        tests["test"] = (X_test, y_test)
    return train_ensemble(X_train, y_train, tests=tests, seeds=seeds, seed=seed, **train_kw)


def speed_ensemble(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    seeds: int = 5,
    seed: int = 0,
    **train_kw,
) -> dict:
    """:func:`~lofi_utils.chapters.amplitude_phase.tracking.speed_comparison` with :func:`train_ensemble`: the
    same ``seeds`` networks (paired: network ``s`` has the same initialisation and minibatch indices in both
    tasks) trained on the amplitude-only and on the phase-only version of the task.

    Amplitude-only images: each image phase-scrambled (stream ``(seed, "speed.scramble")``), standardised;
    phase-only: the training set's mean amplitude with each image's phases, standardised.

    Parameters
    ----------
    X_train, X_test : array_like, (n, C, H, W) or (n, H, W)
        Real training and test images.
    y_train, y_test : array_like, (n,)
        Their classes.
    seeds, seed : int
        Networks per task, and the run's seed.
    **train_kw
        ``width``, ``steps``, ``lr``, ``batch``, ``record`` of :func:`train_ensemble`.

    Returns
    -------
    dict
        ``{"amp": [Tracking per network], "phase": [...]}``, test accuracy under ``"test"``.
    """
    from ...fourier import amplitude_equalise, amplitude_phase, standardise

    rng = streams.rng(seed, "speed.scramble")
    Xtr, Xte = as_nchw(X_train), as_nchw(X_test)
    A_mean = amplitude_phase(Xtr)[0].mean(axis=0)
    data = {
        "amp": (standardise(phase_scramble(Xtr, rng)), standardise(phase_scramble(Xte, rng))),
        "phase": (standardise(amplitude_equalise(Xtr, A_mean)), standardise(amplitude_equalise(Xte, A_mean))),
    }
    return {
        k: train_ensemble(a, y_train, tests={"test": (b, y_test)}, seeds=seeds, seed=seed, **train_kw)
        for k, (a, b) in data.items()
    }


def half_ceiling_ratios(runs: dict, *, key: str = "test", frac: float = 0.5) -> np.ndarray:
    """Per network, the steps the phase-only task takes to ``frac`` of its own ceiling over the steps the
    amplitude-only task takes: ``T_phase,s / T_amp,s`` with ``T`` from
    :func:`~lofi_utils.chapters.amplitude_phase.tracking.steps_to_own_fraction` (above 1: the amplitudes are
    learned first; network ``s`` is paired across the tasks, as :func:`speed_ensemble` trains it).

    Parameters
    ----------
    runs : dict
        ``{"amp": [Tracking per network], "phase": [...]}`` of equal lengths.
    key : str
        The accuracy that is timed.
    frac : float
        In (0, 1]: the share of the way from chance to the ceiling.

    Returns
    -------
    numpy.ndarray, (S,)
        ``inf`` where the phase task never gets there, ``nan`` where neither does.
    """
    from .tracking import steps_to_own_fraction

    if set(runs) != {"amp", "phase"} or len(runs["amp"]) != len(runs["phase"]) or len(runs["amp"]) == 0:
        raise ValueError("runs must be {'amp': [...], 'phase': [...]} with one Tracking per network in each")
    t = {k: np.array([steps_to_own_fraction(r, key, frac) for r in v]) for k, v in runs.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        return t["phase"] / np.maximum(t["amp"], 1.0)  # a step-0 hit counts as one step


def timing_outcome(kept: Sequence[float], above_chance: Sequence[float]) -> str:
    """Which account of *when* phase information is learned the intervals support.

    ``kept`` is ``(stat, lo, hi)`` of the early phase share over the late one, ``(1 - g_early) / (1 - g_late)``
    (:func:`early_late`): "phases later" predicts 0 (phase-only accuracy at chance while the real accuracy
    rises), "together" 1. ``above_chance`` is ``(stat, lo, hi)`` of the late phase-only accuracy minus chance.
    The outcome: ``"never"`` if ``above_chance``'s lower end is <= 0; else ``"later"`` if ``kept``'s upper end
    is below 1/2 (closer to 0 than to 1); ``"together"`` if its lower end is >= 1/2 and the interval contains
    1; ``"partly later"`` if it lies in [1/2, 1) (most of the share early, the rest later); ``"earlier"`` if
    it lies above 1; ``"undecided"`` if it straddles 1/2.

    Parameters
    ----------
    kept, above_chance : sequence of float
        ``(stat, lo, hi)`` each, as :func:`bootstrap_interval` returns.

    Returns
    -------
    str
    """
    for name, t in (("kept", kept), ("above_chance", above_chance)):
        if len(t) != 3 or not all(np.isfinite(t)) or t[1] > t[2]:
            raise ValueError(f"{name} must be (stat, lo, hi) with finite lo <= hi, got {tuple(t)!r}")
    _, lo, hi = kept
    if above_chance[1] <= 0:
        return "never"
    if hi < 0.5:
        return "later"
    if lo < 0.5:
        return "undecided"
    if lo > 1:
        return "earlier"
    return "together" if hi >= 1 else "partly later"
