"""Section 5 of the Neural LoFi chapter: depth builds features from features.

The two-filter network against one filter, random features and an oracle on a balanced hierarchical target
(:func:`depth_specs`, :func:`depth_study`, :class:`DepthStudy`, :func:`plot_depth_study`), with what each layer
carries (R^2 of ``u`` and of ``h*``), and single runs with another layer-2 activation or random signs
(:func:`depth_variant`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import NullLocator

from ... import streams
from ...lofi import HierarchicalTarget, NeuralLoFi, hierarchical_target, span_r2
from ...plotting import PALETTE, label, subplots
from ...runtime import show_progress
from ...tables import Table
from ...validation import check_int
from .at_scale import n_text
from .baselines import Comparison

if TYPE_CHECKING:
    import torch
    from matplotlib.axes import Axes

__all__ = [
    "depth_specs",
    "DepthStudy",
    "depth_study",
    "plot_depth_study",
    "depth_variant",
    "DEPTH_VARIANTS",
    "VariantDrops",
    "variant_drops",
]


def depth_specs(k1: int, *, p1: int, p2: int, p_out: int) -> dict:
    """The models of the depth study: name -> keyword arguments of :class:`~lofi_utils.lofi.NeuralLoFi`.

    ``"LoFi, 2 filters"``: layer 1 lifts ``x`` (ReLU, width ``p1``) and keeps ``k1`` directions (whitened);
    layer 2 lifts them with the degree-2 activation ``He_2`` (width ``p2``, no bias), whose features span
    the quadratic polynomials of the layer-1 features, and keeps one direction, the degree-1 direction
    ``E[w z_2]``; layer 3 is a ReLU lift with bias of that single feature (width ``p_out``), read out by
    ridge. ``"LoFi, 1 filter"`` is the same network without the second filter: ridge on a ReLU lift with
    bias (width ``p2``) of the ``k1`` layer-1 features. ``"RF"`` is a random-feature network on ``x`` of
    width ``p1 + p2``. Both LoFi networks centre the filtered layers' features (``center_z=True``, the book's
    variant of the authors' algorithm): uncentred, the mean of the ReLU features takes one of the ``k1``
    filter slots of layer 1 (see :func:`depth_variant`).
    """
    for v, nm in ((k1, "k1"), (p1, "p1"), (p2, "p2"), (p_out, "p_out")):
        check_int(v, nm, minimum=1)
    return {
        "LoFi, 2 filters": dict(
            widths=[p1, p2, p_out],
            ranks=[k1, 1, None],
            whiten=[True, False, False],
            activation=["relu", "quadratic", "relu"],
            bias=[0.0, 0.0, 1.0],
            prepend_linear=[False, True, False],
            center_z=True,
        ),
        "LoFi, 1 filter": dict(widths=[p1, p2], ranks=[k1, None], whiten=[True, False], bias=[0.0, 1.0], center_z=True),
        f"RF({p1 + p2})": dict(widths=[p1 + p2], ranks=[None]),
    }


@dataclass
class DepthStudy(Comparison):
    """:class:`Comparison` of the depth study, plus what each layer of the two-filter network carries:
    ``r2[name]`` (len(ns), seeds), the fraction of variance explained linearly (:func:`span_r2`) by a
    layer's features of the hidden projections ``u`` (mean over the ``r`` columns) or of ``h*``.
    The model ``"RF on u (oracle)"`` is a random-feature ridge on the true ``u = W^T x``."""

    r2: dict = field(default_factory=dict)


def depth_study(
    task: HierarchicalTarget,
    ns: Sequence[int],
    *,
    p1: int,
    p2: int,
    p_out: int,
    n_test: int,
    seeds: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool | None = None,
) -> DepthStudy:
    """Run the models of :func:`depth_specs` (with ``k1 = r``) and the oracle on ``task`` for every ``n``
    and seed (fresh data per seed; penalties by leave-one-out on the training samples; test on ``n_test``).

    ``progress``: show a ``tqdm`` bar; ``None``: :func:`~lofi_utils.runtime.progress_default`.
    """
    from tqdm.auto import tqdm

    ns = np.asarray(ns, dtype=int)
    if ns.ndim != 1 or len(ns) == 0 or (ns < 2).any():
        raise ValueError(f"ns must be a non-empty list of sample sizes >= 2, got {ns.tolist()}")
    specs = depth_specs(task.r, p1=p1, p2=p2, p_out=p_out)
    names = list(specs) + ["RF on u (oracle)"]
    mse = {nm: np.full((len(ns), seeds), np.nan) for nm in names}
    r2 = {nm: np.full((len(ns), seeds), np.nan) for nm in ("layer 1 ~ u", "layer 1 ~ h*", "layer 2 ~ h*")}
    var_y = []
    with tqdm(total=len(ns) * seeds, desc="depth study", leave=False, disable=not show_progress(progress)) as bar:
        for s in range(seeds):
            rng = streams.rng(seed, "depth_study.data", s)
            Xt, yt = task.sample(n_test, rng)
            Ut, ht = task.hidden(Xt), task.feature(Xt)
            var_y.append(yt.var())
            for i, n in enumerate(ns):
                X, y = task.sample(int(n), rng)
                for nm, kw in specs.items():
                    m = NeuralLoFi(**kw, seed=streams.int_seed(seed, "depth_study.model", s, i), device=device).fit(
                        X, y
                    )
                    mse[nm][i, s] = m.mse(Xt, yt)
                    if nm == "LoFi, 2 filters":
                        H1, H2 = (m.transform(Xt, upto=j).cpu().numpy() for j in (1, 2))
                        r2["layer 1 ~ u"][i, s] = span_r2(H1, Ut).mean()
                        r2["layer 1 ~ h*"][i, s] = span_r2(H1, ht)[0]
                        r2["layer 2 ~ h*"][i, s] = span_r2(H2, ht)[0]
                oracle = NeuralLoFi(
                    [p2], [None], bias=1.0, seed=streams.int_seed(seed, "depth_study.oracle", s, i), device=device
                )
                oracle.fit(task.hidden(X), y)
                mse["RF on u (oracle)"][i, s] = oracle.mse(Ut, yt)
                bar.update()
    return DepthStudy(ns=ns, mse=mse, var_y=float(np.mean(var_y)), r2=r2)


def plot_depth_study(st: DepthStudy, axs: Sequence[Axes] | np.ndarray | None = None) -> Sequence[Axes] | np.ndarray:
    """Left: test MSE / Var y against ``n`` for every model (mean over seeds, band = min-max). Right: what the
    two-filter network's layers carry, R^2 of ``u`` and of ``h*`` from layer 1 and of ``h*`` from layer 2.
    Ticks at the sample sizes; each panel's legend below it."""
    if axs is None:
        _, a = subplots(1, 2, width=3.4, height=3.9)
        axs = a[0]
    cols = [PALETTE[1], PALETTE[0], PALETTE[5], PALETTE[2]]
    marks = ["o-", "s-", "s--", "D:"]
    for (nm, v), col, mk in zip(st.mse.items(), cols, marks):
        axs[0].plot(st.ns, st.mean(nm) / st.var_y, mk, color=col, label=nm, ms=4)
        axs[0].fill_between(st.ns, v.min(1) / st.var_y, v.max(1) / st.var_y, color=col, alpha=0.12, lw=0)
    label(axs[0], "training samples n", "test MSE / Var y", "one filter against two")
    for (nm, v), col, mk in zip(st.r2.items(), [PALETTE[0], PALETTE[7], PALETTE[1]], ["s-", "x:", "o-"]):
        axs[1].plot(st.ns, v.mean(1), mk, color=col, label=f"R$^2$({nm.replace(' ~ ', ' features → ')})", ms=4)
    axs[1].set_ylim(-0.05, 1.05)
    label(axs[1], "training samples n", "variance explained (linear)", "what each layer selected")
    for ax in axs[:2]:
        ax.set_xscale("log")
        ax.set_xticks(st.ns, [n_text(n) for n in st.ns])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, fontsize=8)
    return axs


def depth_variant(
    d: int,
    r: int,
    n: int,
    *,
    gain: float = 4.0,
    sign_sum: int = 0,
    activation2: str = "quadratic",
    bias2: float = 0.0,
    center_z: bool = True,
    prepend2: bool = True,
    p: int = 1200,
    p_out: int = 200,
    n_test: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """One run of the two-filter network of :func:`depth_specs` with a chosen layer-2 activation and bias,
    on a fresh :func:`hierarchical_target` whose signs sum to ``sign_sum`` (0: balanced; an even number in
    ``[-r, r]``: balanced signs with ``|sign_sum|/2`` of them flipped). Returns ``(R^2 of h* from the layer-2
    feature, test MSE / Var y)``. ``center_z=False`` runs it without feature centring (the authors' default);
    ``prepend2=False`` keeps the top eigenvector of layer 2's signed covariance instead of the degree-1 direction.
    """
    rng = streams.rng(seed, "depth_variant.data")
    if sign_sum % 2 or abs(sign_sum) > r:
        raise ValueError(f"sign_sum must be an even number in [-r, r] = [{-r}, {r}], got {sign_sum}")
    task = hierarchical_target(d, r, gain=gain, balanced=True, rng=rng)
    if sign_sum:
        a = task.a.copy()
        src = -np.sign(sign_sum)  # flip |sign_sum|/2 signs of the opposite sign
        a[np.flatnonzero(a == src)[: abs(sign_sum) // 2]] *= -1
        task = HierarchicalTarget(W=task.W, a=a, gain=task.gain)
    (X, y), (Xt, yt) = (task.sample(m, rng) for m in (n, n_test))
    kw = depth_specs(r, p1=p, p2=p, p_out=p_out)["LoFi, 2 filters"]
    kw.update(activation=["relu", activation2, "relu"], bias=[0.0, float(bias2), 1.0], center_z=bool(center_z))
    kw.update(prepend_linear=[False, bool(prepend2), False])
    m = NeuralLoFi(**kw, seed=seed).fit(X, y)
    r2 = span_r2(m.transform(Xt, upto=2).cpu().numpy(), task.feature(Xt))[0]
    return float(r2), float(m.mse(Xt, yt) / yt.var())


#: The choices of the two-filter construction, each dropped alone (keyword arguments of :func:`depth_variant`).
DEPTH_VARIANTS: dict = {
    "as in section 5": {},
    "ReLU + bias lift at layer 2": dict(activation2="relu", bias2=1.0),
    "top eigenvector, no degree-1": dict(prepend2=False),
    "unbalanced signs, sum a_j = 2": dict(sign_sum=2),
    "no centring (authors' default)": dict(center_z=False),
}


@dataclass
class VariantDrops:
    """Output of :func:`variant_drops`: ``r2[name]`` (runs,) the R^2 of h* from the layer-2 feature per run;
    ``drops[name]`` the paired drop ``R^2(base) - R^2(name)`` as ``(mean, lo, hi)`` with its 95 % Student-t
    interval (every variant but the base)."""

    r2: dict
    drops: dict

    def table(self) -> Table:
        """One row per variant: mean ± sd of R^2, and the drop with its interval."""
        rows = []
        for nm, v in self.r2.items():
            d = self.drops.get(nm)
            tail = "" if d is None else f"{d[0]:.2f} [{d[1]:.2f}, {d[2]:.2f}]"
            rows.append([nm, f"{v.mean():.2f} ± {v.std(ddof=1):.2f}", tail])
        return Table(["variant", "R^2(h*|layer 2)", "drop (95 % interval)"], rows)


def variant_drops(
    d: int, r: int, n: int, run_seeds: Sequence[int], *, gain: float = 4.0, variants: dict | None = None
) -> VariantDrops:
    """:func:`depth_variant` for each variant of ``variants`` (default :data:`DEPTH_VARIANTS`, whose first entry
    is the base) and each seed of ``run_seeds`` (at least 2), and the paired drops of R^2 against the base."""
    from ...stats import mean_interval

    variants = DEPTH_VARIANTS if variants is None else variants
    if len(run_seeds) < 2:
        raise ValueError(f"need at least 2 run seeds for an interval, got {len(run_seeds)}")
    r2 = {
        nm: np.array([depth_variant(d, r, n, gain=gain, seed=int(s), **kw)[0] for s in run_seeds])
        for nm, kw in variants.items()
    }
    base_name = next(iter(variants))
    drops = {nm: mean_interval(r2[base_name] - v) for nm, v in r2.items() if nm != base_name}
    return VariantDrops(r2=r2, drops=drops)
