"""Section 4 of the Neural LoFi chapter: relevance against complexity, the test error against the kept rank ``k``.

:func:`k_sweep` filters layer 1 to ``k`` (one eigendecomposition per seed, sliced for every ``k``), lifts the
``k`` features and reads them out by ridge, against the unfiltered two-layer random-feature network
(:class:`KSweep`, :func:`plot_k_sweep`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from ... import streams
from ...lofi import HierarchicalTarget, NeuralLoFi, RandomLift, SignedCovariance, fit_ridge, top_k_abs
from ...plotting import PALETTE, get_ax, label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KSweep", "k_sweep", "plot_k_sweep"]


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
        """(len(ks),): the test MSE averaged over seeds."""
        return self.mse.mean(1)

    @property
    def k_best(self) -> int:
        """The kept rank of lowest mean test MSE."""
        return int(self.ks[int(np.argmin(self.mean))])


def k_sweep(
    task: HierarchicalTarget,
    ks: Sequence[int],
    *,
    n: int,
    p: int,
    n_test: int,
    seeds: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
    center_z: bool = False,
) -> KSweep:
    """Sweep the kept rank ``k`` of layer 1 (one eigendecomposition per seed, sliced for every ``k``);
    tensors live on ``device`` (default CPU, float64; float32 on CUDA). ``center_z``: filter the centred
    layer-1 features (the book's variant; default ``False``, the authors' algorithm, as
    :class:`~lofi_utils.lofi.NeuralLoFi`)."""
    ks = np.asarray(sorted(set(int(k) for k in ks)), dtype=int)
    if ks[-1] > p or ks[0] < 1:
        raise ValueError(f"ranks must lie in [1, p={p}], got {ks.tolist()}")
    mse = np.zeros((len(ks), seeds))
    mse_rf = np.zeros(seeds)
    var_y = []
    for s in range(seeds):
        rng = streams.rng(seed, "kept_rank.data", s)
        X, y = task.sample(n, rng)
        Xt, yt = task.sample(n_test, rng)
        var_y.append(yt.var())
        tX, tT = (torch.as_tensor(a) for a in (X, Xt))
        dev = torch.device(device) if device is not None else torch.device("cpu")
        lift = RandomLift(task.d, p, seed=streams.int_seed(seed, "kept_rank.lift1", s), device=dev).fit_scale(tX)
        if center_z:
            lift.fit_mean(tX)
        Z, Zt = lift(tX), lift(tT)
        yc = torch.as_tensor(y - y.mean())
        eig = top_k_abs(SignedCovariance(yc, Z=Z), p, method="dense")
        for j, k in enumerate(ks):
            V = eig.vectors[:, :k]
            H, Ht = Z @ V, Zt @ V
            lift2 = RandomLift(int(k), p, seed=streams.int_seed(seed, "kept_rank.lift2", s), device=dev).fit_scale(H)
            fit = fit_ridge(lift2(H), y)  # penalty by leave-one-out
            mse[j, s] = float(((fit.predict(lift2(Ht)).cpu().numpy() - yt) ** 2).mean())
        rf = NeuralLoFi([p, p], [None, None], seed=streams.int_seed(seed, "kept_rank.rf", s), device=dev).fit(X, y)
        mse_rf[s] = rf.mse(Xt, yt)
    return KSweep(ks=ks, mse=mse, mse_rf=mse_rf, var_y=float(np.mean(var_y)), r=task.r, p=p)


def plot_k_sweep(sw: KSweep, ax: Axes | None = None) -> Axes:
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
