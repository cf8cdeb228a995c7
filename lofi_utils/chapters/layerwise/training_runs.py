"""Chapter 2, sections 5-6: who reduces the error, on degree-k targets on the sphere and on real data.

Every experiment here is :func:`lofi_utils.attribution.compare_attribution` (a network, its initial-kernel
linearisation and the analytic kernels) on some task:

* :func:`zonal_task` -- inputs on the sphere and a degree-k zonal target, one random stream per degree and
  repetition;
* :func:`zonal_attribution` -- every degree and repetition (:class:`ZonalAttribution`);
* :func:`single_layer_rates` -- one layer trained at a time, the residual's decay rates
  (:class:`SingleLayerRates`);
* :func:`attribution_runs` -- several targets on the same inputs (the real-data experiment).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ... import streams
from ...attribution import AttributionComparison, compare_attribution, residual_rate
from ...kernels import check_depth
from ...ntk import MLP
from ...sphere import sample_sphere, zonal_target
from ...validation import check_int

if TYPE_CHECKING:
    import torch

__all__ = [
    "zonal_task",
    "ZonalAttribution",
    "zonal_attribution",
    "SingleLayerRates",
    "single_layer_rates",
    "attribution_runs",
]


def _attribution_run(
    x,
    y,
    n_train: int,
    *,
    width: int,
    depth: int,
    model_seed: int,
    eta: float,
    steps: int,
    device,
    threads,
    label: str = "",
    train_layers=None,
) -> AttributionComparison:
    """:func:`lofi_utils.attribution.compare_attribution` for a fresh ReLU :class:`lofi_utils.ntk.MLP` seeded
    ``model_seed``."""
    model = MLP(np.shape(x)[1], width, depth, seed=model_seed, device=device)
    return compare_attribution(
        model, x, y, n_train, eta=eta, steps=steps, train_layers=train_layers, label=label, threads=threads
    )


def zonal_task(d: int, n_points: int, k: int, *, seed: int = 0, rep: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and a degree-k target for the attribution experiments on the sphere.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` and the unit-variance zonal harmonic ``y =
    sqrt(N(d, k)) P_k(x . e / |x|)`` of a random direction ``e`` (:func:`lofi_utils.sphere.zonal_target`), all drawn
    from the stream ``(seed, "zonal_task", k, rep)`` of :mod:`lofi_utils.streams` (one per degree and
    repetition).

    ``d``: int >= 2; ``n_points``: int >= 2; ``k``: degree >= 0; ``seed``, ``rep``: ints >= 0.
    Returns ``(x, y)`` of shapes (n_points, d) and (n_points,).
    """
    d = check_int(d, "d", minimum=2)
    n_points = check_int(n_points, "n_points", minimum=2)
    k = check_int(k, "k", minimum=0)
    seed, rep = check_int(seed, "seed", minimum=0), check_int(rep, "rep", minimum=0)
    rng = streams.rng(seed, "zonal_task", k, rep)
    x = sample_sphere(n_points, d, radius=math.sqrt(d), rng=rng)
    return x, zonal_target(x, k, sample_sphere(1, d, rng=rng)[0])


@dataclass
class ZonalAttribution:
    """Output of :func:`zonal_attribution`: ``runs[k, rep]`` an :class:`lofi_utils.attribution.AttributionComparison`
    per degree and repetition; ``ks``; ``reps``. Indexing the object indexes ``runs``."""

    runs: dict
    ks: tuple
    reps: int

    def __getitem__(self, key) -> AttributionComparison:
        return self.runs[key]

    def values(self) -> list:
        """Every run's :class:`lofi_utils.attribution.AttributionComparison`, in ``(k, rep)`` order."""
        return list(self.runs.values())

    def network_mean(self, k: int) -> np.ndarray:
        """(L,): the network's shares ``C_l(T) / sum C(T)`` for degree k, averaged over repetitions."""
        return np.mean([self.runs[k, r].network.shares for r in range(self.reps)], axis=0)

    def closure(self, k: int, *, euler: bool = False) -> float:
        """Mean over repetitions of ``sum_l C_l / test-loss drop`` (``euler=True``: the first-order sum)."""
        return float(
            np.mean(
                [
                    self.runs[k, r].network.closure_euler if euler else self.runs[k, r].network.closure
                    for r in range(self.reps)
                ]
            )
        )

    def theory_gaps(self, theory: ArrayLike) -> tuple[float, float]:
        """Distances to the population shares ``theory`` (L, K+1) (e.g. ``LayerSpectrum.shares``):
        ``(max_k |mean network shares - s_k|, max_{k, rep} |analytic-kernel shares - s_k|)``."""
        theory = np.asarray(theory, dtype=float)
        if theory.ndim != 2 or theory.shape[1] <= max(self.ks):
            raise ValueError(f"theory must be (L, K+1) with K >= {max(self.ks)}, got shape {theory.shape}")
        net = max(np.abs(self.network_mean(k) - theory[:, k]).max() for k in self.ks)
        ana = max(np.abs(r.analytic.shares - theory[:, k]).max() for (k, _), r in self.runs.items())
        return float(net), float(ana)


def zonal_attribution(
    d: int,
    depth: int,
    width: int,
    n_train: int,
    ks: Sequence[int],
    *,
    reps: int,
    eta: float,
    steps: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    threads: int | None = None,
) -> ZonalAttribution:
    """Who reduces the error on degree-k targets: :func:`lofi_utils.attribution.compare_attribution` for every k and
    repetition.

    For degree k and repetition r: ``2 n_train`` points and a zonal degree-k target from :func:`zonal_task`
    (``seed``, r), the first half for training and the second for testing, and a ReLU network of width
    ``width`` and depth ``depth`` seeded from the stream ``(seed, "zonal_attribution.net", r)``, trained by
    full-batch gradient descent (step ``eta``, ``steps`` steps). For a single-degree
    target the theory says each layer does the share ``s_k^(l)``.

    ``ks``: degrees >= 0; ``reps``: int >= 1; ``threads``: PyTorch threads while training (see
    :func:`lofi_utils.attribution.train_attribution`). Returns a :class:`ZonalAttribution`.
    """
    reps = check_int(reps, "reps", minimum=1)
    ks = tuple(int(k) for k in ks)
    if not ks:
        raise ValueError("need at least one degree k")
    runs = {}
    for k in ks:
        for rep in range(reps):
            x, y = zonal_task(d, 2 * n_train, k, seed=seed, rep=rep)
            runs[k, rep] = _attribution_run(
                x,
                y,
                n_train,
                width=width,
                depth=depth,
                model_seed=streams.int_seed(seed, "zonal_attribution.net", rep),
                eta=eta,
                steps=steps,
                device=device,
                threads=threads,
                label=f"k = {k}",
            )
    return ZonalAttribution(runs=runs, ks=ks, reps=reps)


@dataclass
class SingleLayerRates:
    """Output of :func:`single_layer_rates`: ``runs[l]`` the :class:`lofi_utils.attribution.AttributionComparison`
    with only layer l trained (1-based); ``network`` (L,) and ``initial`` (L,): per-step decay rates of the residual
    (:func:`lofi_utils.attribution.residual_rate`) of the network and of its initial-kernel linearisation; ``k``: the
    degree."""

    k: int
    runs: dict
    network: np.ndarray
    initial: np.ndarray


def single_layer_rates(
    d: int,
    depth: int,
    width: int,
    n_train: int,
    k: int,
    *,
    eta: float,
    steps: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    threads: int | None = None,
) -> SingleLayerRates:
    """Train one layer at a time on a degree-k target and measure the residual's decay rate.

    In the kernel regime, training only layer l is the kernel machine of ``Theta_l``: the degree-k residual
    decays like ``(1 - eta mu_k^(l))^t``, so the rates are in the ratios ``s_k^(l)`` and add up to the full
    network's rate. Task: :func:`zonal_task` (``seed``, repetition 0) on ``2 n_train`` points (half for
    training); every run starts from the same network, repetition 0's network of
    :func:`zonal_attribution` (stream ``(seed, "zonal_attribution.net", 0)``). ``depth``: L >= 1; other
    arguments as in :func:`zonal_attribution`.
    Returns a :class:`SingleLayerRates`.
    """
    L = check_depth(depth)
    x, y = zonal_task(d, 2 * n_train, k, seed=seed, rep=0)
    runs = {
        l: _attribution_run(
            x,
            y,
            n_train,
            width=width,
            depth=L,
            model_seed=streams.int_seed(seed, "zonal_attribution.net", 0),
            eta=eta,
            steps=steps,
            device=device,
            threads=threads,
            train_layers=[l],
        )
        for l in range(1, L + 1)
    }
    network = np.array([residual_rate(runs[l].network.train_loss) for l in range(1, L + 1)])
    initial = np.array([residual_rate(runs[l].initial.train_loss) for l in range(1, L + 1)])
    return SingleLayerRates(k=int(k), runs=runs, network=network, initial=initial)


def attribution_runs(
    X: ArrayLike,
    targets: dict,
    n_train: int,
    *,
    width: int,
    depth: int,
    eta: float,
    steps: int,
    seed: int = 0,
    device: torch.device | str | None = None,
    threads: int | None = None,
) -> list:
    """:func:`lofi_utils.attribution.compare_attribution` for several targets on the same inputs (the real-data
    experiment).

    ``X``: (n, D) on the sphere of radius ``sqrt(D)``; ``targets``: ``{label: (n,) array}``; the first
    ``n_train`` points train, the rest test; every target gets a fresh ReLU network of width ``width`` and
    depth ``depth`` seeded from the stream ``(seed, "attribution_runs.net")``. Returns a list of
    :class:`lofi_utils.attribution.AttributionComparison`, in the order of ``targets``.
    """
    if not targets:
        raise ValueError("need at least one target")
    return [
        _attribution_run(
            X,
            y,
            n_train,
            width=width,
            depth=depth,
            model_seed=streams.int_seed(seed, "attribution_runs.net"),
            eta=eta,
            steps=steps,
            device=device,
            threads=threads,
            label=name,
        )
        for name, y in targets.items()
    ]
