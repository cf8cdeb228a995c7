"""Experiments, figures and the widget of the Neural LoFi chapter (``notebooks/03_neural_lofi.md``).

The algorithm itself lives in :mod:`lofi_utils.lofi`; this module holds the synthetic targets, the
sweeps the chapter runs and the functions that draw its figures (``ax=None``, return the axes).

Synthetic task (a SIGHT-like hierarchical Gaussian target): ``x ~ N(0, I_d)``, ``W`` (d, r) with
orthonormal columns, signs ``a`` in {+-1}^r,

    h*(x) = sum_j a_j He_2(w_j . x) / sqrt(2 r),      y = tanh(gain * h*(x)),

so ``E[y x] = 0`` and all the label's dependence on ``x`` starts at degree 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from . import lofi as L
from .plotting import PALETTE, get_ax, label, sequential_colors, subplots
from .validation import check_choice, check_int

__all__ = ["HierarchicalTarget", "hierarchical_target", "hidden_overlap", "span_r2", "signed_matrix",
           "EmergenceSweep", "emergence_sweep", "plot_emergence", "plot_signed_spectrum",
           "baseline_specs", "Comparison", "compare_models", "plot_comparison", "digits_pm1",
           "KSweep", "k_sweep", "plot_k_sweep", "plot_lofi_vs_baselines", "lofi_explorer",
           "depth_specs", "DepthStudy", "depth_study", "plot_depth_study", "depth_variant", "RealComparison",
           "digits_comparison", "cifar_binary", "cifar_comparison"]


# --------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class HierarchicalTarget:
    """``y = tanh(gain * sum_j a_j He_2(w_j.x)/sqrt(2r))`` on ``x ~ N(0, I_d)``; ``W`` (d, r), ``a`` (r,)."""

    W: np.ndarray
    a: np.ndarray
    gain: float = 2.0

    @property
    def d(self) -> int:
        return self.W.shape[0]

    @property
    def r(self) -> int:
        return self.W.shape[1]

    def hidden(self, X) -> np.ndarray:
        """The hidden projections ``u = W^T x`` (n, r)."""
        return (torch.as_tensor(np.asarray(X, dtype=np.float64)) @ torch.as_tensor(self.W)).numpy()

    def feature(self, X) -> np.ndarray:
        """The second-level feature ``h*(x) = sum_j a_j He_2(u_j) / sqrt(2r)`` (n,), unit variance."""
        U = self.hidden(X)
        return ((U ** 2 - 1.0) * self.a).sum(1) / np.sqrt(2.0 * self.r)

    def label(self, X) -> np.ndarray:
        """``y = tanh(gain h*(x))`` (n,)."""
        return np.tanh(self.gain * self.feature(X))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples ``(X (n, d), y (n,))``, float64."""
        X = rng.standard_normal((int(n), self.d))
        return X, self.label(X)


def hierarchical_target(d: int, r: int, *, gain: float = 2.0, balanced: bool = False,
                        rng: np.random.Generator) -> HierarchicalTarget:
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


def hidden_overlap(U, W) -> float:
    """``|Q_U^T W|_F^2 / r``: the fraction of ``span W`` (d, r; orthonormal) captured by ``span U`` (d, k)."""
    Q, _ = np.linalg.qr(np.asarray(U, dtype=np.float64))
    W = np.asarray(W, dtype=np.float64)
    return float(np.sum((Q.T @ W) ** 2) / W.shape[1])


def span_r2(H, T) -> np.ndarray:
    """Fraction of the variance of each column of ``T`` (n, m) explained linearly (with intercept) by ``H`` (n, k)."""
    H = np.c_[np.asarray(H, dtype=np.float64), np.ones(len(H))]
    T = np.asarray(T, dtype=np.float64).reshape(len(H), -1)
    coef = np.linalg.lstsq(H, T, rcond=None)[0]
    return 1.0 - ((T - H @ coef) ** 2).mean(0) / T.var(0)


def signed_matrix(X, y) -> torch.Tensor:
    """``M = (1/n) sum_i (y_i - ybar) x_i x_i^T`` (d, d), float64 (the layer-0 signed covariance)."""
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64))
    yt = torch.as_tensor(np.asarray(y, dtype=np.float64))
    return L.SignedCovariance(yt - yt.mean(), Z=Xt).dense()


# --------------------------------------------------------------------------- 1. emergence
@dataclass
class EmergenceSweep:
    """Overlaps ``|U_r^T W|_F^2 / r`` of the top-``r`` (by ``|lambda|``) eigenvectors of ``M`` with ``W``.

    ``pairs`` the ``(d, r)`` pairs, ``cs`` the ratios ``n / (d r)``, ``overlap`` (pairs, cs, seeds).
    """

    pairs: list
    cs: np.ndarray
    overlap: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.overlap.mean(axis=2)

    def at(self, c: float) -> np.ndarray:
        """Mean overlap of each pair at ``n/(d r) = c`` (one of ``cs``)."""
        j = int(np.argmin(np.abs(self.cs - c)))
        if not np.isclose(self.cs[j], c):
            raise ValueError(f"c={c} is not in the sweep's grid {self.cs.tolist()}")
        return self.mean[:, j]

    def spread(self, scale: str = "dr", n_grid: int = 50) -> float:
        """Mean over the common range of ``max - min`` across pairs of the overlap curves, plotted
        against ``n/(d r)`` (``scale="dr"``) or ``n/d`` (``scale="d"``), interpolated in ``log n``."""
        check_choice(scale, "scale", ("dr", "d"))
        rs = np.array([r for _, r in self.pairs], dtype=float)
        logx = np.log(self.cs)[None, :] + (np.log(rs)[:, None] if scale == "d" else np.zeros((len(rs), 1)))
        lo, hi = logx[:, 0].max(), logx[:, -1].min()
        if not hi > lo:
            raise ValueError("the curves have no common range of n")
        grid = np.linspace(lo, hi, n_grid)
        curves = np.array([np.interp(grid, logx[i], self.mean[i]) for i in range(len(self.pairs))])
        return float(np.mean(curves.max(0) - curves.min(0)))


def emergence_sweep(pairs: Sequence[tuple[int, int]], cs: Sequence[float], *, seeds: int = 3,
                    seed: int = 0, gain: float = 2.0) -> EmergenceSweep:
    """Overlap of the signed-covariance filter with the hidden directions at ``n = c d r``.

    For each ``(d, r)``, seed and ``c``: draw a :class:`HierarchicalTarget`, ``n = round(c d r)`` samples,
    ``M = (1/n) sum_i (y_i - ybar) x_i x_i^T`` and the overlap of its top-``r`` eigenvectors by ``|lambda|``
    with ``W``. Returns an :class:`EmergenceSweep`.
    """
    cs = np.asarray(cs, dtype=float)
    out = np.zeros((len(pairs), len(cs), seeds))
    for i, (d, r) in enumerate(pairs):
        for s in range(seeds):
            rng = np.random.default_rng([seed, d, r, s])
            task = hierarchical_target(d, r, gain=gain, rng=rng)
            for j, c in enumerate(cs):
                X, y = task.sample(max(2, int(round(c * d * r))), rng)
                res = L.top_k_abs(signed_matrix(X, y), r, method="dense")
                out[i, j, s] = hidden_overlap(res.vectors.numpy(), task.W)
    return EmergenceSweep(pairs=[tuple(p) for p in pairs], cs=cs, overlap=out)


def plot_emergence(sweep: EmergenceSweep, axs=None):
    """Overlap against ``n/(d r)`` (left: collapse) and against ``n/d`` (right: no collapse)."""
    if axs is None:
        _, a = subplots(1, 2, width=3.6, height=3.0)
        axs = a[0]
    colors = sequential_colors(len(sweep.pairs))
    for i, (d, r) in enumerate(sweep.pairs):
        lo, hi = sweep.overlap[i].min(1), sweep.overlap[i].max(1)
        for ax, x in ((axs[0], sweep.cs), (axs[1], sweep.cs * r)):
            ax.plot(x, sweep.mean[i], "o-", color=colors[i], ms=3.5, label=f"d={d}, r={r}")
            ax.fill_between(x, lo, hi, color=colors[i], alpha=0.15, lw=0)
    from matplotlib.ticker import NullFormatter, NullLocator

    for ax, xl in ((axs[0], "n / (d r)"), (axs[1], "n / d")):
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.02)
        label(ax, xl, "overlap with span W*")
    axs[0].set_xticks(sweep.cs, [f"{c:g}" for c in sweep.cs])
    axs[0].set_title("against n/(d r): one curve")
    axs[1].set_title("against n/d: shifted by r")
    axs[0].legend()
    return axs


def plot_signed_spectrum(d: int, r: int, cs: Sequence[float], *, seed: int = 0, gain: float = 2.0, axs=None):
    """Eigenvalue histograms of ``M`` at a few ``n = c d r``, with the ``r`` hidden directions' Rayleigh
    quotients ``w_j^T M w_j`` marked (red ticks): below threshold they sit in the bulk, above it they
    have left it as outliers (both signs)."""
    if axs is None:
        _, a = subplots(1, len(cs), width=3.0, height=2.6)
        axs = a[0]
    rng = np.random.default_rng([seed, d, r, 7])
    task = hierarchical_target(d, r, gain=gain, rng=rng)
    for ax, c in zip(axs, cs):
        X, y = task.sample(int(round(c * d * r)), rng)
        M = signed_matrix(X, y).numpy()
        ev = np.linalg.eigvalsh(M)
        ax.hist(ev, bins=40, color=PALETTE[0], alpha=0.7)
        for v in np.einsum("ij,ik,kj->j", task.W, M, task.W):
            ax.axvline(v, color=PALETTE[1], lw=1, ymax=0.25)
        label(ax, "eigenvalue of M", "count", f"n = {c:g} d r")
    return axs


# --------------------------------------------------------------------------- 3. LoFi vs lazy baselines
def baseline_specs(p: int, k: int) -> dict:
    """The finite-width models compared in the chapter: name -> ``(widths, ranks)`` of :class:`lofi.NeuralLoFi`."""
    return {
        "RF(p)": ([p], [None]),
        "RF(2p)": ([2 * p], [None]),
        "LoFi": ([p, p], [k, None]),
        "LoFi, no lift": ([p], [k]),
    }


@dataclass
class Comparison:
    """Test MSE per model (name -> (len(ns), seeds)), the label variance, and the overlap of the first
    LoFi layer's features with the hidden directions (``span_r2``; (len(ns), seeds)), NaN where not run."""

    ns: np.ndarray
    mse: dict
    var_y: float
    overlap: np.ndarray = None
    err01: dict = field(default_factory=dict)

    def mean(self, name: str) -> np.ndarray:
        """Mean over seeds per ``n`` (NaN where the model was not run)."""
        v = self.mse[name]
        ok = ~np.isnan(v)
        return np.where(ok.any(1), np.where(ok, v, 0.0).sum(1) / np.maximum(ok.sum(1), 1), np.nan)

    def table(self) -> str:
        names = list(self.mse)
        w = max(16, max(len(nm) for nm in names) + 2)
        head = "n".rjust(7) + "".join(f"{nm:>{w}s}" for nm in names)
        rows = [head]
        means = {nm: self.mean(nm) for nm in names}
        for i, n in enumerate(self.ns):
            rows.append(f"{int(n):7d}" + "".join(f"{means[nm][i]:{w}.3f}" if np.isfinite(means[nm][i])
                                                 else f"{'-':>{w}s}" for nm in names))
        return "\n".join(rows) + f"\n(test MSE, mean over seeds; Var y = {self.var_y:.3f})"


def _kernel_models(k: int, depth_nngp: int) -> dict:
    return {f"NNGP (depth {depth_nngp})": [None] * depth_nngp, "kernel LoFi": [k] + [None] * (depth_nngp - 1)}


def compare_models(task: HierarchicalTarget, ns: Sequence[int], *, p: int, k: int, n_val: int, n_test: int,
                   seeds: int = 2, seed: int = 0, kernel_n_max: int = 0, device=None) -> Comparison:
    """Test MSE of RF(p), RF(2p), LoFi (filter -> lift -> ridge), LoFi without lift and, for ``n <=
    kernel_n_max``, the depth-2 NNGP kernel ridge and kernel LoFi, on ``task``; penalties on a validation set."""
    ns = np.asarray(ns, dtype=int)
    specs = baseline_specs(p, k)
    kern = _kernel_models(k, 2) if kernel_n_max > 0 else {}
    mse = {nm: np.full((len(ns), seeds), np.nan) for nm in list(specs) + list(kern)}
    over = np.full((len(ns), seeds), np.nan)
    var_y = []
    for s in range(seeds):
        rng = np.random.default_rng([seed, 11, s])
        Xv, yv = task.sample(n_val, rng)
        Xt, yt = task.sample(n_test, rng)
        var_y.append(yt.var())
        for i, n in enumerate(ns):
            X, y = task.sample(n, rng)
            for nm, (ws, ks) in specs.items():
                m = L.NeuralLoFi(ws, ks, seed=seed + 100 * s + i, device=device).fit(X, y, X_val=Xv, y_val=yv)
                mse[nm][i, s] = m.mse(Xt, yt)
                if nm == "LoFi":
                    over[i, s] = span_r2(m.transform(Xt, upto=1).cpu().numpy(), task.hidden(Xt)).mean()
            if n <= kernel_n_max:
                for nm, ranks in kern.items():
                    pred, _ = L.KernelLoFi(ranks).fit_predict(X, y, Xv, yv, Xt)
                    mse[nm][i, s] = float(np.mean((pred - yt) ** 2))
    return Comparison(ns=ns, mse=mse, var_y=float(np.mean(var_y)), overlap=over)


def plot_comparison(cmp: Comparison, ax=None, *, title: str = "Neural LoFi against lazy baselines"):
    """Test MSE against ``n`` for every model (mean over seeds, band = min-max), with ``Var y`` dashed."""
    ax = get_ax(ax)
    styles = {"RF(p)": (PALETTE[5], "s--"), "RF(2p)": (PALETTE[0], "s-"), "LoFi": (PALETTE[1], "o-"),
              "LoFi, no lift": (PALETTE[7], "x:"), "kernel LoFi": (PALETTE[1], "D--"),
              "NNGP (depth 2)": (PALETTE[2], "D--")}
    for nm, v in cmp.mse.items():
        ok = ~np.all(np.isnan(v), axis=1)
        if not ok.any():
            continue
        col, st = styles.get(nm, (None, "o-"))
        ax.plot(cmp.ns[ok], cmp.mean(nm)[ok], st, color=col, label=nm, ms=4)
        ax.fill_between(cmp.ns[ok], np.nanmin(v[ok], 1), np.nanmax(v[ok], 1), color=col, alpha=0.12, lw=0)
    ax.axhline(cmp.var_y, color="0.4", ls="--", lw=1, label="Var y (predict the mean)")
    ax.set_xscale("log")
    return label(ax, "training samples n", "test MSE", title, legend=True)


def digits_pm1(*, n_train: int, n_val: int, seed: int = 0):
    """scikit-learn digits on the sphere, odd digits ``+1`` and even ``-1``, split into train/validation/test.

    Returns ``(X, y, X_val, y_val, X_test, y_test)`` (the test set is all remaining images).
    """
    from .datasets import digits

    X, lab = digits(normalize="sphere")
    y = np.where(lab % 2 == 1, 1.0, -1.0)
    if n_train + n_val >= len(y):
        raise ValueError(f"n_train + n_val must leave test images (at most {len(y) - 1}), got {n_train + n_val}")
    idx = np.random.default_rng(seed).permutation(len(y))
    a, b = idx[:n_train], idx[n_train:n_train + n_val]
    c = idx[n_train + n_val:]
    return X[a], y[a], X[b], y[b], X[c], y[c]


@dataclass
class RealComparison:
    """Test MSE and 0-1 error (sign of the prediction) per model on a real binary task: name -> list over seeds."""

    mse: dict
    err: dict

    def mean(self, name: str) -> float:
        """Mean test MSE of ``name`` over seeds."""
        return float(np.mean(self.mse[name]))

    def table(self) -> str:
        return "\n".join(f"{nm:16s} test MSE {np.mean(v):.3f}   error {100 * np.mean(self.err[nm]):.1f} %"
                         for nm, v in self.mse.items())

    def add(self, name: str, pred, y) -> None:
        """Record the MSE and the 0-1 error of predictions ``pred`` (n,) against labels ``y`` (n,) in {-1, +1}."""
        pred, y = np.asarray(pred, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.mse.setdefault(name, []).append(float(np.mean((pred - y) ** 2)))
        self.err.setdefault(name, []).append(float(np.mean(np.sign(pred) != y)))


def digits_comparison(*, n_train: int, n_val: int, p: int, k: int, seeds: int = 2, seed: int = 0,
                      device=None) -> RealComparison:
    """Digits, odd against even (:func:`digits_pm1`, a new split per seed): RF(p), RF(2p), LoFi (filter to
    ``k`` then a lift of width ``p``), the depth-2 NNGP kernel and kernel LoFi, penalties on the validation split."""
    out = RealComparison({}, {})
    specs = {nm: v for nm, v in baseline_specs(p, k).items() if nm != "LoFi, no lift"}
    for s in range(int(seeds)):
        X, y, Xv, yv, Xt, yt = digits_pm1(n_train=n_train, n_val=n_val, seed=seed + s)
        for nm, (ws, ks) in specs.items():
            m = L.NeuralLoFi(ws, ks, seed=seed + s, device=device).fit(X, y, X_val=Xv, y_val=yv)
            out.add(nm, m.predict(Xt).cpu().numpy(), yt)
        for nm, ranks in _kernel_models(k, 2).items():
            out.add(nm, L.KernelLoFi(ranks).fit_predict(X, y, Xv, yv, Xt)[0], yt)
    return out


def cifar_binary(path, *, n_train: int, n_val: int, n_test: int, seed: int = 0):
    """CIFAR-10 animals (+1) against vehicles (-1), flattened and normalised per channel with the mean and
    standard deviation of the training split. ``n_train + n_val`` images are drawn from the training batches
    (permutation from ``seed``), the first ``n_test`` of the test batch are the test set.
    Returns ``(X, y, X_val, y_val, X_test, y_test)``, ``X`` (n, 3072) float64. Raises
    :class:`datasets.DataMissing` when the files are not at ``path``."""
    from . import datasets

    Xc, lc = datasets.load_cifar10(path, split="train")
    Xct, lct = datasets.load_cifar10(path, split="test")
    if n_train + n_val > len(lc) or n_test > len(lct):
        raise ValueError(f"asked for {n_train}+{n_val} training and {n_test} test images; the files hold "
                         f"{len(lc)} and {len(lct)}")
    idx = np.random.default_rng([seed, 5]).permutation(len(lc))[:n_train + n_val]
    tr = Xc[idx[:n_train]].reshape(-1, 3).astype(np.float64)
    mean, std = tr.mean(0), tr.std(0)

    def prep(im):
        return ((im.astype(np.float64) - mean) / std).reshape(len(im), -1)

    a, b = idx[:n_train], idx[n_train:]
    lab = datasets.cifar10_animals_vs_vehicles
    return prep(Xc[a]), lab(lc[a]), prep(Xc[b]), lab(lc[b]), prep(Xct[:n_test]), lab(lct[:n_test])


def cifar_comparison(path, *, n_train: int, n_val: int, n_test: int, p: int, k: int, seed: int = 0,
                     device=None) -> RealComparison:
    """The paper's main real-data comparison at a chosen size: three layers of width ``p``, filters of rank
    ``k`` at the first two and a random third layer, against the random-feature network of the same widths,
    on :func:`cifar_binary`. Sizes that are not positive integers raise ``ValueError`` before any file is read."""
    for nm, v in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        check_int(v, nm, minimum=1)
    X, y, Xv, yv, Xt, yt = cifar_binary(path, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed)
    out = RealComparison({}, {})
    for nm, ks in (("RF network", [None, None, None]), ("LoFi", [k, k, None])):
        m = L.NeuralLoFi([p] * 3, ks, seed=seed, device=device).fit(X, y, X_val=Xv, y_val=yv)
        out.add(nm, m.predict(Xt).cpu().numpy(), yt)
    return out


# --------------------------------------------------------------------------- 4. relevance-complexity (error vs k)
@dataclass
class KSweep:
    """Test MSE of the two-layer model (layer 1 filtered to ``k``, layer 2 random features) against ``k``.

    ``mse`` (len(ks), seeds); ``mse_rf`` (seeds,) the unfiltered two-layer random-feature network.
    """

    ks: np.ndarray
    mse: np.ndarray
    mse_rf: np.ndarray
    var_y: float
    r: int
    p: int

    @property
    def mean(self) -> np.ndarray:
        return self.mse.mean(1)

    @property
    def k_best(self) -> int:
        return int(self.ks[int(np.argmin(self.mean))])


def k_sweep(task: HierarchicalTarget, ks: Sequence[int], *, n: int, p: int, n_val: int, n_test: int,
            seeds: int = 2, seed: int = 0, device=None) -> KSweep:
    """Sweep the kept rank ``k`` of layer 1 (one eigendecomposition per seed, sliced for every ``k``);
    tensors live on ``device`` (default CPU, float64; float32 on CUDA)."""
    ks = np.asarray(sorted(set(int(k) for k in ks)), dtype=int)
    if ks[-1] > p or ks[0] < 1:
        raise ValueError(f"ranks must lie in [1, p={p}], got {ks.tolist()}")
    mse = np.zeros((len(ks), seeds))
    mse_rf = np.zeros(seeds)
    var_y = []
    for s in range(seeds):
        rng = np.random.default_rng([seed, 23, s])
        X, y = task.sample(n, rng)
        Xv, yv = task.sample(n_val, rng)
        Xt, yt = task.sample(n_test, rng)
        var_y.append(yt.var())
        tX, tV, tT = (torch.as_tensor(a) for a in (X, Xv, Xt))
        dev = torch.device(device) if device is not None else torch.device("cpu")
        lift = L.RandomLift(task.d, p, seed=seed + 7 * s, device=dev).fit_scale(tX).fit_mean(tX)
        Z, Zv, Zt = lift(tX), lift(tV), lift(tT)
        yc = torch.as_tensor(y - y.mean())
        eig = L.top_k_abs(L.SignedCovariance(yc, Z=Z), p, method="dense")
        for j, k in enumerate(ks):
            V = eig.vectors[:, :k]
            H, Hv, Ht = Z @ V, Zv @ V, Zt @ V
            lift2 = L.RandomLift(int(k), p, seed=seed + 7 * s + 1, device=dev).fit_scale(H)
            fit = L.fit_ridge(lift2(H), y, F_val=lift2(Hv), y_val=yv)
            mse[j, s] = float(((fit.predict(lift2(Ht)).cpu().numpy() - yt) ** 2).mean())
        rf = L.NeuralLoFi([p, p], [None, None], seed=seed + 7 * s, device=dev).fit(X, y, X_val=Xv, y_val=yv)
        mse_rf[s] = rf.mse(Xt, yt)
    return KSweep(ks=ks, mse=mse, mse_rf=mse_rf, var_y=float(np.mean(var_y)), r=task.r, p=p)


def plot_k_sweep(sw: KSweep, ax=None):
    """Test MSE against the kept rank ``k`` (log scale), with the random-feature network and ``r`` marked."""
    ax = get_ax(ax)
    ax.plot(sw.ks, sw.mean, "o-", color=PALETTE[1], label="LoFi: filter to k, then lift")
    ax.fill_between(sw.ks, sw.mse.min(1), sw.mse.max(1), color=PALETTE[1], alpha=0.15, lw=0)
    ax.axhline(sw.mse_rf.mean(), color=PALETTE[0], ls="-", lw=1.2, label="2-layer random features (no filter)")
    ax.axhline(sw.var_y, color="0.4", ls="--", lw=1, label="Var y")
    ax.axvline(sw.r, color="0.3", ls=":", lw=1)
    ax.text(sw.r, ax.get_ylim()[0], " r", va="bottom", color="0.3")
    ax.set_xscale("log")
    return label(ax, "kept rank k (layer 1)", "test MSE", f"relevance vs complexity (p = {sw.p})", legend=True)


# --------------------------------------------------------------------------- widget
def plot_lofi_vs_baselines(n: int = 2000, k: int = 16, depth: int = 1, *, d: int = 64, r: int = 8, p: int = 400,
                           n_val: int = 500, n_test: int = 1000, seed: int = 0, axs=None):
    """One LoFi run on the hierarchical target: test MSE of LoFi with ``depth`` filtered layers (each to
    ``k``, then a random-feature lift) against RF networks of the same and double width (left), and the
    signed spectrum of the first layer, ``|lambda|`` in decreasing order, with the kept ``k`` shaded (right)."""
    if axs is None:
        _, a = subplots(1, 2, width=3.8, height=3.0)
        axs = a[0]
    rng = np.random.default_rng([seed, 31])
    task = hierarchical_target(d, r, rng=rng)
    X, y = task.sample(n, rng)
    Xv, yv = task.sample(n_val, rng)
    Xt, yt = task.sample(n_test, rng)
    lofi = L.NeuralLoFi([p] * (depth + 1), [k] * depth + [None], seed=seed).fit(X, y, X_val=Xv, y_val=yv)
    res = {"RF(p)": L.NeuralLoFi([p], [None], seed=seed).fit(X, y, X_val=Xv, y_val=yv).mse(Xt, yt),
           "RF(2p)": L.NeuralLoFi([2 * p], [None], seed=seed).fit(X, y, X_val=Xv, y_val=yv).mse(Xt, yt),
           f"LoFi, depth {depth}": lofi.mse(Xt, yt)}
    cols = [PALETTE[5], PALETTE[0], PALETTE[1]]
    axs[0].bar(range(3), list(res.values()), color=cols)
    axs[0].set_xticks(range(3), list(res), rotation=15)
    axs[0].axhline(yt.var(), color="0.4", ls="--", lw=1)
    label(axs[0], "", "test MSE", f"n = {n}, k = {k}")
    lift = lofi.layers[0].lift
    tX = torch.as_tensor(X)
    ev = L.top_k_abs(L.SignedCovariance(torch.as_tensor(y - y.mean()), Z=lift(tX)), min(p, 60), method="dense")
    vals = ev.values.numpy()
    axs[1].bar(np.arange(1, len(vals) + 1), np.abs(vals), color=np.where(vals > 0, PALETTE[1], PALETTE[0]))
    axs[1].axvspan(0.5, k + 0.5, color="0.85", zorder=0)
    label(axs[1], "rank (by |lambda|)", "|lambda| of C_1", "layer-1 signed spectrum (orange > 0, blue < 0)")
    return axs


def lofi_explorer(**kw):
    """Widget: sliders for ``n``, ``k`` and the depth redraw :func:`plot_lofi_vs_baselines` (live in Jupyter).

    Nothing is drawn until a slider moves (the chapter shows the static figure first); ``kw`` go to
    :func:`plot_lofi_vs_baselines`."""
    import ipywidgets as w

    from .plotting import control_panel

    sliders = [w.IntSlider(value=2000, min=250, max=8000, step=250, description="n", continuous_update=False),
               w.IntSlider(value=16, min=1, max=100, description="k", continuous_update=False),
               w.IntSlider(value=1, min=1, max=3, description="depth", continuous_update=False)]
    return control_panel(sliders, lambda axs, n, k, depth: plot_lofi_vs_baselines(n, k, depth, axs=axs, **kw),
                         figsize=(7.6, 3.0), ncols=2)


# --------------------------------------------------------------------------- 2. the kernel limit (p -> infinity)
@dataclass
class WidthConvergence:
    """Distance between the finite-width filter and its kernel limit, on the training points.

    ``dist`` (len(widths), seeds): ``|P_p - P_inf|_F / sqrt(2k)`` (root-mean-square sine of the principal
    angles) between the spans in R^n of the width-``p`` features ``Z V`` and of the kernel features
    ``G^{1/2} B``, both with centred features. ``spec`` (len(widths), seeds): distance between the whole
    signed spectra of the two filter operators, ``|sort(lambda_p) - sort(lambda_inf)|_2 / |lambda_inf|_2``
    (insensitive to near-degenerate eigenvalues at the cut ``k``, unlike the subspace).
    """

    widths: np.ndarray
    dist: np.ndarray
    k: int
    spec: np.ndarray = None

    @property
    def median(self) -> np.ndarray:
        return np.median(self.dist, axis=1)

    @property
    def spec_median(self) -> np.ndarray:
        return np.median(self.spec, axis=1)

    def slope(self, which: str = "subspace") -> float:
        """Fitted exponent of the median distance in ``p`` (``"subspace"`` or ``"spectrum"``)."""
        from .stats import fit_power_law

        return fit_power_law(self.widths, self.median if which == "subspace" else self.spec_median)[0]


def _proj_dist(A, B) -> float:
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    k = A.shape[1]
    return float(np.sqrt(max(0.0, 2 * k - 2 * np.sum((Qa.T @ Qb) ** 2))) / np.sqrt(2 * k))


def width_convergence(X, y, k: int, widths: Sequence[int], *, seeds: int = 2, seed: int = 0) -> WidthConvergence:
    """Finite-width LoFi filter (via the exact dual route on ``G_p = Z Z^T``, accumulated over blocks of
    ``p``) against the kernel-limit filter on the NNGP Gram matrix, for each width and lift seed."""
    X = np.asarray(X, dtype=np.float64)
    tX = torch.as_tensor(X)
    G_inf, _ = L._center_train(torch.as_tensor(L.nngp_gram(X)))
    kf_inf = L.kernel_filter(G_inf.numpy(), y, k)
    lam_inf = np.sort(kf_inf.all_values)
    widths = np.asarray(widths, dtype=int)
    dist = np.zeros((len(widths), seeds))
    spec = np.zeros((len(widths), seeds))
    for i, p in enumerate(widths):
        for s in range(seeds):
            lift = L.RandomLift(X.shape[1], int(p), seed=seed + 1000 * s + i).fit_scale(tX)
            G_p, _ = L._center_train(lift.gram(tX))
            kf = L.kernel_filter(G_p.numpy(), y, k)
            dist[i, s] = _proj_dist(kf.F, kf_inf.F)
            spec[i, s] = np.linalg.norm(np.sort(kf.all_values) - lam_inf) / np.linalg.norm(lam_inf)
    return WidthConvergence(widths=widths, dist=dist, k=int(k), spec=spec)


def plot_width_convergence(wc: WidthConvergence, ax=None):
    """Distance to the kernel limit against the width (log-log), with the fitted power law."""
    from .plotting import loglog_fit_line
    from .stats import fit_power_law

    ax = get_ax(ax)
    for s in range(wc.dist.shape[1]):
        ax.plot(wc.widths, wc.dist[:, s], "o", color="0.6", ms=3)
        ax.plot(wc.widths, wc.spec[:, s], "s", color="0.6", ms=3)
    ax.plot(wc.widths, wc.median, "o-", color=PALETTE[1], label=f"top-{wc.k} filtered subspace")
    ax.plot(wc.widths, wc.spec_median, "s-", color=PALETTE[0], label="whole signed spectrum")
    sl, ic = fit_power_law(wc.widths, wc.spec_median)
    loglog_fit_line(ax, wc.widths, sl, ic, label=f"fit (spectrum): p^{sl:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return label(ax, "width p", "distance to the kernel filter", f"finite p -> kernel limit (k = {wc.k})",
                 legend=True)


# --------------------------------------------------------------------------- 6. structured filters, conv LoFi, early GD
@dataclass
class PatchFilters:
    """Top eigenfilters of a signed patch covariance and the label-shuffled control.

    ``values`` (m,) by decreasing ``|lambda|``, ``filters`` (m, size, size), ``shuffled`` (n_shuffles,) the
    largest ``|lambda|`` of each shuffled-label covariance.
    """

    values: np.ndarray
    filters: np.ndarray
    shuffled: np.ndarray
    size: int

    @property
    def ratio(self) -> float:
        """Top ``|lambda|`` over the largest top ``|lambda|`` of the shuffled controls."""
        return float(abs(self.values[0]) / self.shuffled.max())


def patch_filters(images, y, size: int, *, n_shuffles: int = 50, n_keep: int = 8, seed: int = 0) -> PatchFilters:
    """Eigenfilters of :func:`lofi.patch_signed_covariance` and ``n_shuffles`` label permutations."""
    S = L.patch_signed_covariance(images, y, size)
    vals, vecs = np.linalg.eigh(S)
    order = np.argsort(-np.abs(vals), kind="stable")[:n_keep]
    rng = np.random.default_rng([seed, 41])
    y = np.asarray(y, dtype=float)
    sh = np.array([np.abs(np.linalg.eigvalsh(L.patch_signed_covariance(images, rng.permutation(y), size))).max()
                   for _ in range(n_shuffles)])
    F = vecs[:, order].T.reshape(-1, size, size)
    return PatchFilters(values=vals[order], filters=F, shuffled=sh, size=size)


def plot_filters(pf: PatchFilters, axs=None, *, n: int = 6, title: str = ""):
    """The top ``n`` eigenfilters (RdBu, symmetric colour scale), titled with their eigenvalue."""
    if axs is None:
        _, a = subplots(1, n, width=1.3, height=1.5)
        axs = a[0]
    for i, ax in enumerate(axs[:n]):
        f = pf.filters[i]
        v = np.abs(f).max()
        ax.imshow(f, cmap="RdBu_r", vmin=-v, vmax=v)
        ax.set_title(f"{pf.values[i]:+.3g}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if title:
        axs[0].set_ylabel(title, fontsize=8)
    return axs


def photo_crops(names: Sequence[str] = ("camera", "moon"), *, n_per: int = 500, size: int = 16,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random ``size x size`` crops of two scikit-image photographs, labelled ``+1`` (first) and ``-1``.

    Each crop is standardised (zero mean, unit variance), so the label is carried by texture and edges,
    not by brightness. Returns ``(images (2 n_per, size, size), y (2 n_per,))``.
    """
    from .datasets import photos

    if len(names) != 2:
        raise ValueError(f"need exactly two photographs, got {list(names)}")
    ims = photos(names=tuple(names))
    rng = np.random.default_rng([seed, 43])
    out = []
    for im in ims:
        H, W = im.shape
        i, j = rng.integers(0, H - size, n_per), rng.integers(0, W - size, n_per)
        out.append(np.stack([im[a:a + size, b:b + size] for a, b in zip(i, j)]))
    C = np.concatenate(out)
    C = (C - C.mean((1, 2), keepdims=True)) / (C.std((1, 2), keepdims=True) + 1e-8)
    return C, np.r_[np.ones(n_per), -np.ones(n_per)]


def conv_comparison(images, y, *, n_train: int, n_val: int, channels: int, k: int, p_out: int,
                    seeds: int = 2, seed: int = 0) -> dict:
    """Test MSE of a convolutional LoFi layer (``channels`` random 3x3 filters -> ``k`` eigen-channels)
    against random-feature CNNs with ``k`` and with ``channels`` random channels (no filter).

    Returns name -> array (seeds,); images (n, H, W), labels +-1, random splits per seed.
    """
    images = np.asarray(images, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    specs = {f"conv LoFi ({channels} -> {k})": (channels, k), f"RF CNN ({k} channels)": (k, None),
             f"RF CNN ({channels} channels)": (channels, None)}
    out = {nm: np.zeros(seeds) for nm in specs}
    for s in range(seeds):
        idx = np.random.default_rng([seed, 47, s]).permutation(len(y))
        a, b, c = idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:]
        for nm, (ch, kk) in specs.items():
            m = L.ConvLoFi(size=3, channels=ch, k=kk, pool=2, p_out=p_out, seed=seed + s)
            m.fit(images[a], y[a], images_val=images[b], y_val=y[b])
            out[nm][s] = m.mse(images[c], y[c])
    return out


@dataclass
class GDOverlap:
    """Overlaps (seeds,) of the early-gradient subspace with the LoFi filter and with ``W*``."""

    gd_lofi: np.ndarray
    lofi_w: float
    gd_w: np.ndarray
    singular_values: np.ndarray


def gd_overlap(task: HierarchicalTarget, n: int, *, width: int = 512, seeds: int = 3, seed: int = 0) -> GDOverlap:
    """One full-batch gradient of a two-layer ReLU network ``f(x) = a^T sigma(W x)`` at initialisation
    (``W`` rows ~ N(0, I/d), ``a_j = +-1/width``, squared loss) on ``n`` samples of ``task``; the top-``r``
    right singular vectors of ``grad_W`` against the top-``r`` LoFi filter of the same samples."""
    rng = np.random.default_rng([seed, 53])
    X, y = task.sample(n, rng)
    r, d = task.r, task.d
    lofi_v = L.top_k_abs(signed_matrix(X, y), r).vectors.numpy()
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    act = L.torch_activation("relu")
    g_l, g_w, svs = [], [], None
    for s in range(seeds):
        g = torch.Generator().manual_seed(seed + s)
        W = (torch.randn(width, d, generator=g, dtype=torch.float64) / np.sqrt(d)).requires_grad_(True)
        a = torch.where(torch.rand(width, generator=g) < 0.5, -1.0, 1.0).double() / width
        loss = ((act(Xt @ W.T) @ a - yt) ** 2).mean() / 2
        loss.backward()
        _, S, Vt = np.linalg.svd(W.grad.numpy(), full_matrices=False)
        gd_v = Vt[:r].T
        g_l.append(hidden_overlap(gd_v, lofi_v))
        g_w.append(hidden_overlap(gd_v, task.W))
        svs = S if svs is None else svs
    return GDOverlap(gd_lofi=np.array(g_l), lofi_w=hidden_overlap(lofi_v, task.W), gd_w=np.array(g_w),
                     singular_values=svs)


# --------------------------------------------------------------------------- 5. depth: features from features
def depth_specs(k1: int, *, p1: int, p2: int, p_out: int) -> dict:
    """The models of the depth study: name -> keyword arguments of :class:`lofi.NeuralLoFi`.

    ``"LoFi, 2 filters"``: layer 1 lifts ``x`` (ReLU, width ``p1``) and keeps ``k1`` directions (whitened);
    layer 2 lifts them with the degree-2 activation ``He_2`` (width ``p2``, no bias), whose features span
    the quadratic polynomials of the layer-1 features, and keeps one direction, the degree-1 direction
    ``E[w z_2]``; layer 3 is a ReLU lift with bias of that single feature (width ``p_out``), read out by
    ridge. ``"LoFi, 1 filter"`` is the same network without the second filter: ridge on a ReLU lift with
    bias (width ``p2``) of the ``k1`` layer-1 features. ``"RF"`` is a random-feature network on ``x`` of
    width ``p1 + p2``.
    """
    for v, nm in ((k1, "k1"), (p1, "p1"), (p2, "p2"), (p_out, "p_out")):
        check_int(v, nm, minimum=1)
    return {
        "LoFi, 2 filters": dict(widths=[p1, p2, p_out], ranks=[k1, 1, None], whiten=[True, False, False],
                                activation=["relu", "quadratic", "relu"], bias=[0.0, 0.0, 1.0],
                                prepend_linear=[False, True, False]),
        "LoFi, 1 filter": dict(widths=[p1, p2], ranks=[k1, None], whiten=[True, False], bias=[0.0, 1.0]),
        f"RF({p1 + p2})": dict(widths=[p1 + p2], ranks=[None]),
    }


@dataclass
class DepthStudy(Comparison):
    """:class:`Comparison` of the depth study, plus what each layer of the two-filter network carries:
    ``r2[name]`` (len(ns), seeds), the fraction of variance explained linearly (:func:`span_r2`) by a
    layer's features of the hidden projections ``u`` (mean over the ``r`` columns) or of ``h*``.
    The model ``"RF on u (oracle)"`` is a random-feature ridge on the true ``u = W^T x``."""

    r2: dict = field(default_factory=dict)


def depth_study(task: HierarchicalTarget, ns: Sequence[int], *, p1: int, p2: int, p_out: int, n_val: int,
                n_test: int, seeds: int = 2, seed: int = 0, device=None) -> DepthStudy:
    """Run the models of :func:`depth_specs` (with ``k1 = r``) and the oracle on ``task`` for every ``n``
    and seed (fresh data per seed; penalties on a validation set of ``n_val``; test on ``n_test``)."""
    from tqdm.auto import tqdm

    ns = np.asarray(ns, dtype=int)
    if ns.ndim != 1 or len(ns) == 0 or (ns < 2).any():
        raise ValueError(f"ns must be a non-empty list of sample sizes >= 2, got {ns.tolist()}")
    specs = depth_specs(task.r, p1=p1, p2=p2, p_out=p_out)
    names = list(specs) + ["RF on u (oracle)"]
    mse = {nm: np.full((len(ns), seeds), np.nan) for nm in names}
    r2 = {nm: np.full((len(ns), seeds), np.nan) for nm in ("layer 1 ~ u", "layer 1 ~ h*", "layer 2 ~ h*")}
    var_y = []
    with tqdm(total=len(ns) * seeds, desc="depth study", leave=False) as bar:
        for s in range(seeds):
            rng = np.random.default_rng([seed, 23, s])
            Xv, yv = task.sample(n_val, rng)
            Xt, yt = task.sample(n_test, rng)
            Ut, ht = task.hidden(Xt), task.feature(Xt)
            var_y.append(yt.var())
            for i, n in enumerate(ns):
                X, y = task.sample(int(n), rng)
                for nm, kw in specs.items():
                    m = L.NeuralLoFi(**kw, seed=seed + 100 * s + i, device=device).fit(X, y, X_val=Xv, y_val=yv)
                    mse[nm][i, s] = m.mse(Xt, yt)
                    if nm == "LoFi, 2 filters":
                        H1, H2 = (m.transform(Xt, upto=j).cpu().numpy() for j in (1, 2))
                        r2["layer 1 ~ u"][i, s] = span_r2(H1, Ut).mean()
                        r2["layer 1 ~ h*"][i, s] = span_r2(H1, ht)[0]
                        r2["layer 2 ~ h*"][i, s] = span_r2(H2, ht)[0]
                oracle = L.NeuralLoFi([p2], [None], bias=1.0, seed=seed + 100 * s + i, device=device)
                oracle.fit(task.hidden(X), y, X_val=task.hidden(Xv), y_val=yv)
                mse["RF on u (oracle)"][i, s] = oracle.mse(Ut, yt)
                bar.update()
    return DepthStudy(ns=ns, mse=mse, var_y=float(np.mean(var_y)), r2=r2)


def plot_depth_study(st: DepthStudy, axs=None):
    """Left: test MSE / Var y against ``n`` for every model (mean over seeds, band = min-max). Right: what the
    two-filter network's layers carry, R^2 of ``u`` and of ``h*`` from layer 1 and of ``h*`` from layer 2."""
    if axs is None:
        _, a = subplots(1, 2, width=3.9, height=3.1)
        axs = a[0]
    cols = [PALETTE[1], PALETTE[0], PALETTE[5], PALETTE[2]]
    marks = ["o-", "s-", "s--", "D:"]
    for (nm, v), col, mk in zip(st.mse.items(), cols, marks):
        axs[0].plot(st.ns, st.mean(nm) / st.var_y, mk, color=col, label=nm, ms=4)
        axs[0].fill_between(st.ns, v.min(1) / st.var_y, v.max(1) / st.var_y, color=col, alpha=0.12, lw=0)
    axs[0].set_xscale("log")
    label(axs[0], "training samples n", "test MSE / Var y", "one filter against two", legend=True)
    for (nm, v), col, mk in zip(st.r2.items(), [PALETTE[0], PALETTE[7], PALETTE[1]], ["s-", "x:", "o-"]):
        axs[1].plot(st.ns, v.mean(1), mk, color=col, label=f"R$^2$({nm.replace(' ~ ', ' features → ')})", ms=4)
    axs[1].set_xscale("log")
    axs[1].set_ylim(-0.05, 1.05)
    label(axs[1], "training samples n", "variance explained (linear)", "what each layer selected", legend=True)
    return axs


def depth_variant(d: int, r: int, n: int, *, gain: float = 4.0, balanced: bool = True,
                  activation2: str = "quadratic", bias2: float = 0.0, p: int = 1200, p_out: int = 200,
                  n_val: int = 500, n_test: int = 1000, seed: int = 0) -> tuple[float, float]:
    """One run of the two-filter network of :func:`depth_specs` with a chosen layer-2 activation and bias,
    on a fresh :func:`hierarchical_target` (``balanced`` signs or not). Returns ``(R^2 of h* from the layer-2
    feature, test MSE / Var y)``."""
    rng = np.random.default_rng([seed, 43])
    task = hierarchical_target(d, r, gain=gain, balanced=balanced, rng=rng)
    (X, y), (Xv, yv), (Xt, yt) = (task.sample(m, rng) for m in (n, n_val, n_test))
    kw = depth_specs(r, p1=p, p2=p, p_out=p_out)["LoFi, 2 filters"]
    kw.update(activation=["relu", activation2, "relu"], bias=[0.0, float(bias2), 1.0])
    m = L.NeuralLoFi(**kw, seed=seed).fit(X, y, X_val=Xv, y_val=yv)
    return float(span_r2(m.transform(Xt, upto=2).cpu().numpy(), task.feature(Xt))[0]), m.mse(Xt, yt) / yt.var()
