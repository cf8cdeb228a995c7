"""Section 3 of the Neural LoFi chapter: LoFi against the lazy baselines, on the synthetic target and real images.

The models (:func:`baseline_specs`): random features of width ``p`` and ``2p``, LoFi (filter to ``k``, then a
lift) and LoFi without the second lift; at infinite width the depth-2 NNGP and NTK kernels and kernel LoFi. Every
ridge penalty is chosen by leave-one-out on the training samples (CIFAR-10: on held-out images). The sweep
over ``n`` on the hierarchical target (:func:`compare_models`, :class:`Comparison`, :func:`plot_comparison`), the
digits (odd against even, :func:`digits_comparison`) and CIFAR-10 animals against vehicles
(:func:`cifar_comparison`), each recorded in a :class:`RealComparison`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import NullLocator
from numpy.typing import ArrayLike

from ... import streams
from ...lofi import HierarchicalTarget, KernelLoFi, NeuralLoFi, span_r2
from ...plotting import COLUMN_WIDTH, PALETTE, label, subplots
from ...tables import Table
from ...validation import check_int
from .at_scale import n_text

if TYPE_CHECKING:
    import os

    import torch
    from matplotlib.axes import Axes

__all__ = [
    "baseline_specs",
    "Comparison",
    "compare_models",
    "plot_comparison",
    "digits_pm1",
    "RealComparison",
    "digits_comparison",
    "cifar_binary",
    "cifar_comparison",
]


def baseline_specs(p: int, k: int) -> dict:
    """The finite-width models compared in the chapter: name -> ``(widths, ranks)`` of
    :class:`~lofi_utils.lofi.NeuralLoFi`."""
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

    def table(self) -> Table:
        """One row per model, one column per ``n``: the mean test MSE (``–`` where the model did not run)."""
        rows = [[nm, *(f"{v:.3f}" if np.isfinite(v) else "–" for v in self.mean(nm))] for nm in self.mse]
        return Table(
            ["model", *(f"n = {int(n)}" for n in self.ns)],
            rows,
            notes=f"(test MSE, mean over seeds; Var y = {self.var_y:.3f})",
        )


def _kernel_models(k: int, depth: int) -> dict:
    return {
        f"NNGP (depth {depth})": ([None] * depth, "nngp"),
        f"NTK (depth {depth})": ([None] * depth, "ntk"),
        "kernel LoFi": ([k] + [None] * (depth - 1), "nngp"),
    }


def compare_models(
    task: HierarchicalTarget,
    ns: Sequence[int],
    *,
    p: int,
    k: int,
    n_test: int,
    seeds: int = 2,
    seed: int = 0,
    kernel_n_max: int = 0,
    device: torch.device | str | None = None,
) -> Comparison:
    """Test MSE of RF(p), RF(2p), LoFi (filter -> lift -> ridge), LoFi without lift and, for ``n <=
    kernel_n_max``, the depth-2 NNGP and NTK kernel ridges and kernel LoFi, on ``task``; every penalty by
    leave-one-out on the training samples."""
    ns = np.asarray(ns, dtype=int)
    specs = baseline_specs(p, k)
    kern = _kernel_models(k, 2) if kernel_n_max > 0 else {}
    mse = {nm: np.full((len(ns), seeds), np.nan) for nm in list(specs) + list(kern)}
    over = np.full((len(ns), seeds), np.nan)
    var_y = []
    for s in range(seeds):
        rng = streams.rng(seed, "synthetic_comparison.data", s)
        Xt, yt = task.sample(n_test, rng)
        var_y.append(yt.var())
        for i, n in enumerate(ns):
            X, y = task.sample(n, rng)
            for nm, (ws, ks) in specs.items():
                m = NeuralLoFi(
                    ws, ks, seed=streams.int_seed(seed, "synthetic_comparison.model", s, i), device=device
                ).fit(X, y)
                mse[nm][i, s] = m.mse(Xt, yt)
                if nm == "LoFi":
                    over[i, s] = span_r2(m.transform(Xt, upto=1).cpu().numpy(), task.hidden(Xt)).mean()
            if n <= kernel_n_max:
                for nm, (ranks, kernel) in kern.items():
                    pred, _ = KernelLoFi(ranks, kernel=kernel).fit_predict(X, y, Xt)
                    mse[nm][i, s] = float(np.mean((pred - yt) ** 2))
    return Comparison(ns=ns, mse=mse, var_y=float(np.mean(var_y)), overlap=over)


def plot_comparison(
    cmp: Comparison, ax: Axes | None = None, *, title: str = "Neural LoFi against lazy baselines"
) -> Axes:
    """Test MSE against ``n`` for every model (mean over seeds, band = min-max), with ``Var y`` dashed; ticks at
    the sample sizes, the legend to the right of the axes (a new figure is the column's width)."""
    if ax is None:
        ax = subplots(1, 1, width=COLUMN_WIDTH, height=3.4)[1][0, 0]
    styles = {
        "RF(p)": (PALETTE[5], "s--"),
        "RF(2p)": (PALETTE[0], "s-"),
        "LoFi": (PALETTE[1], "o-"),
        "LoFi, no lift": (PALETTE[7], "x:"),
        "kernel LoFi": (PALETTE[1], "D--"),
        "NNGP (depth 2)": (PALETTE[2], "D--"),
        "NTK (depth 2)": (PALETTE[4], "v--"),
    }
    for nm, v in cmp.mse.items():
        ok = ~np.all(np.isnan(v), axis=1)
        if not ok.any():
            continue
        col, st = styles.get(nm, (None, "o-"))
        ax.plot(cmp.ns[ok], cmp.mean(nm)[ok], st, color=col, label=nm, ms=4)
        ax.fill_between(cmp.ns[ok], np.nanmin(v[ok], 1), np.nanmax(v[ok], 1), color=col, alpha=0.12, lw=0)
    ax.axhline(cmp.var_y, color="0.4", ls="--", lw=1, label="Var y\n(predict the mean)")
    ax.set_xscale("log")
    ax.set_xticks(cmp.ns, [n_text(n) for n in cmp.ns])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    return label(ax, "training samples n", "test MSE", title)


def digits_pm1(*, n_train: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """scikit-learn digits on the sphere, odd digits ``+1`` and even ``-1``, split into train/test.

    Returns ``(X, y, X_test, y_test)`` (the test set is all remaining images).
    """
    from ...datasets import digits

    X, lab = digits(normalize="sphere")
    y = np.where(lab % 2 == 1, 1.0, -1.0)
    n_train = check_int(n_train, "n_train", minimum=2)
    if n_train >= len(y):
        raise ValueError(f"n_train must leave test images (at most {len(y) - 1}), got {n_train}")
    idx = streams.rng(seed, "digits_pm1.split").permutation(len(y))
    a, c = idx[:n_train], idx[n_train:]
    return X[a], y[a], X[c], y[c]


@dataclass
class RealComparison:
    """Test MSE and 0-1 error (sign of the prediction) per model on a real binary task: name -> list over seeds."""

    mse: dict
    err: dict

    def mean(self, name: str) -> float:
        """Mean test MSE of ``name`` over seeds."""
        return float(np.mean(self.mse[name]))

    def table(self) -> Table:
        """One row per model: mean test MSE and 0-1 error over seeds."""
        rows = [[nm, f"{np.mean(v):.3f}", f"{100 * np.mean(self.err[nm]):.1f} %"] for nm, v in self.mse.items()]
        return Table(["model", "test MSE", "error"], rows)

    def add(self, name: str, pred: ArrayLike, y: ArrayLike) -> None:
        """Record the MSE and the 0-1 error of predictions ``pred`` (n,) against labels ``y`` (n,) in {-1, +1}."""
        pred, y = np.asarray(pred, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.mse.setdefault(name, []).append(float(np.mean((pred - y) ** 2)))
        self.err.setdefault(name, []).append(float(np.mean(np.sign(pred) != y)))


def digits_comparison(
    *,
    n_train: int,
    p: int,
    k: int,
    seeds: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> RealComparison:
    """Digits, odd against even (:func:`digits_pm1`, a new split per seed): RF(p), RF(2p), LoFi (filter to
    ``k`` then a lift of width ``p``), the depth-2 NNGP and NTK kernels and kernel LoFi, every penalty by
    leave-one-out on the training split."""
    out = RealComparison({}, {})
    specs = {nm: v for nm, v in baseline_specs(p, k).items() if nm != "LoFi, no lift"}
    for s in range(int(seeds)):
        X, y, Xt, yt = digits_pm1(n_train=n_train, seed=streams.int_seed(seed, "digits_comparison.split", s))
        for nm, (ws, ks) in specs.items():
            m = NeuralLoFi(ws, ks, seed=streams.int_seed(seed, "digits_comparison.model", s), device=device).fit(X, y)
            out.add(nm, m.predict(Xt).cpu().numpy(), yt)
        for nm, (ranks, kernel) in _kernel_models(k, 2).items():
            out.add(nm, KernelLoFi(ranks, kernel=kernel).fit_predict(X, y, Xt)[0], yt)
    return out


def cifar_binary(
    path: str | os.PathLike[str], *, n_train: int, n_val: int, n_test: int, seed: int = 0
) -> tuple[np.ndarray, ...]:
    """CIFAR-10 animals (+1) against vehicles (-1), flattened and normalised per channel with the mean and
    standard deviation of the training split. ``n_train + n_val`` images are drawn from the training batches
    (permutation from ``seed``), the first ``n_test`` of the test batch are the test set.
    Returns ``(X, y, X_val, y_val, X_test, y_test)``, ``X`` (n, 3072) float64. Raises
    :class:`datasets.DataMissing` when the files are not at ``path``."""
    from ... import datasets

    Xc, lc = datasets.load_cifar10(path, split="train")
    Xct, lct = datasets.load_cifar10(path, split="test")
    if n_train + n_val > len(lc) or n_test > len(lct):
        raise ValueError(
            f"asked for {n_train}+{n_val} training and {n_test} test images; the files hold {len(lc)} and {len(lct)}"
        )
    idx = streams.rng(seed, "cifar_binary.split").permutation(len(lc))[: n_train + n_val]
    tr = Xc[idx[:n_train]].reshape(-1, 3).astype(np.float64)
    mean, std = tr.mean(0), tr.std(0)

    def prep(im):
        return ((im.astype(np.float64) - mean) / std).reshape(len(im), -1)

    a, b = idx[:n_train], idx[n_train:]
    lab = datasets.cifar10_animals_vs_vehicles
    return prep(Xc[a]), lab(lc[a]), prep(Xc[b]), lab(lc[b]), prep(Xct[:n_test]), lab(lct[:n_test])


def cifar_comparison(
    path: str | os.PathLike[str],
    *,
    n_train: int,
    n_val: int,
    n_test: int,
    p: int,
    k: int,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> RealComparison:
    """The paper's main real-data comparison at a chosen size: three layers of width ``p``, filters of rank
    ``k`` at the first two and a random third layer, against the random-feature network of the same widths,
    on :func:`cifar_binary`; penalties on the ``n_val`` held-out images (at these sizes the readout is kernel
    ridge on an ``n x n`` Gram matrix, too large for leave-one-out). Sizes that are not positive integers
    raise ``ValueError`` before any file is read."""
    for nm, v in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        check_int(v, nm, minimum=1)
    X, y, Xv, yv, Xt, yt = cifar_binary(path, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed)
    out = RealComparison({}, {})
    for nm, ks in (("RF network", [None, None, None]), ("LoFi", [k, k, None])):
        m = NeuralLoFi([p] * 3, ks, seed=seed, device=device).fit(X, y, X_val=Xv, y_val=yv)
        out.add(nm, m.predict(Xt).cpu().numpy(), yt)
    return out
