"""Section 6: the sum-of-sines experiment of section 1 with several activations and one budget.

:func:`compare_activations` trains :func:`lofi_utils.training1d.train_sum_of_sines_batch` once per activation
(all seeds as one batch; runs already trained, such as section 1's, can be reused) and summarises the
learning times (:func:`lofi_utils.spectral1d.summarize_learning_times`).

Names and labels: the networks use the names of :mod:`lofi_utils.activations`, where PyTorch's ``nn.ReLU``
(Rahaman et al.'s) is ``"plain_relu"``; tables, figures and check names call it ``"relu"``
(:func:`activation_label`).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ... import activations as registry
from ...runtime import show_progress
from ...spectral1d import format_time, summarize_learning_times
from ...tables import Table
from ...training1d import SumOfSinesRun, train_sum_of_sines_batch

__all__ = ["LABELS", "activation_label", "ActivationComparison", "compare_activations"]

#: Display labels of activation names that differ from the name (tables, figures, check names).
LABELS = {"plain_relu": "relu"}


def activation_label(name: str) -> str:
    """The chapter's label of the activation ``name``: ``"relu"`` for ``"plain_relu"`` (the network of
    Rahaman et al.), the name itself otherwise."""
    return LABELS.get(name, name)


@dataclass
class ActivationComparison:
    """Learning times of the sum-of-sines experiment for several activations, one budget.

    ``activations``: the names (:mod:`lofi_utils.activations`); ``summaries[a]``:
    :class:`lofi_utils.spectral1d.LearningTimeSummary` of activation ``a`` over ``seeds``; ``runs[a]``: the
    runs; ``seconds[a]``: total training time.
    """

    activations: tuple[str, ...]
    run_seeds: tuple[int, ...]
    freqs: np.ndarray
    summaries: dict
    runs: dict
    seconds: dict
    config: dict

    @property
    def times(self) -> np.ndarray:
        """Learning times, shape (A, S, K)."""
        return np.stack([self.summaries[a].times for a in self.activations])

    @property
    def labels(self) -> dict:
        """``{name: label}`` for every activation (:func:`activation_label`)."""
        return {a: activation_label(a) for a in self.activations}

    def table(self) -> Table:
        """Median learning time per activation and frequency, the fraction of runs that learned
        each frequency, the median Spearman correlation with k and the wall time."""
        rows = []
        for a in self.activations:
            s = self.summaries[a]
            cells = [format_time(m) + ("" if f == 1 else f" ({f:.0%})") for m, f in zip(s.median, s.learned)]
            rho = s.spearman[np.isfinite(s.spearman)]
            rho_med = f"{float(np.median(rho)):.2f}" if rho.size else "–"
            rows.append([activation_label(a), *cells, rho_med, f"{self.seconds[a]:.1f}"])
        return Table(
            ["activation", *(f"k={k}" for k in self.freqs), "spearman", "seconds"],
            rows,
            title=f"median iterations to |f_k|/A_k > {self.summaries[self.activations[0]].threshold:g} "
            f"over {len(self.run_seeds)} seeds ({self.config.get('steps')} steps)",
            notes="(p%) = share of seeds that reached the threshold; 'never' = the median run did not",
        )


def _expected_config(kwargs: dict) -> dict:
    """The settings of :func:`train_sum_of_sines_batch` for ``kwargs``: its defaults, updated."""
    sig = inspect.signature(train_sum_of_sines_batch)
    cfg = {name: prm.default for name, prm in sig.parameters.items() if prm.default is not inspect.Parameter.empty}
    cfg.update(kwargs)
    return cfg


def _check_reusable(runs: Sequence[SumOfSinesRun], activation: str, run_seeds: Sequence[int], kwargs: dict) -> None:
    want = _expected_config(kwargs)
    if len(runs) != len(run_seeds):
        raise ValueError(f"reuse[{activation!r}] has {len(runs)} runs for {len(run_seeds)} seeds")
    for r, s in zip(runs, run_seeds):
        c = r.config
        same = (
            c.get("activation") == activation
            and c.get("seed") == int(s)
            and np.array_equal(r.freqs, np.asarray(want["freqs"]))
            and all(
                c.get(k) == (float(want[k]) if k == "lr" else want[k])
                for k in ("n_points", "width", "depth", "steps", "record_every", "optimizer", "lr")
            )
        )
        if not same:
            raise ValueError(
                f"reuse[{activation!r}]: run with config {c} does not match the comparison's "
                f"settings (seed {s}, { ({k: want[k] for k in ('width', 'depth', 'steps', 'lr')}) })"
            )


def compare_activations(
    activations: Sequence[str] = ("plain_relu", "tanh", "sin"),
    *,
    run_seeds: Sequence[int] = (0, 1, 2),
    threshold: float = 0.9,
    reuse: dict | None = None,
    progress: bool | None = None,
    **kwargs,
) -> ActivationComparison:
    """Train the sum-of-sines networks for each activation and seed with the same budget ``kwargs``.

    Parameters
    ----------
    activations : names of :mod:`lofi_utils.activations` (``"plain_relu"`` is PyTorch's ``nn.ReLU``).
    run_seeds : one seed per network, trained as one batch per activation
        (:func:`lofi_utils.training1d.train_sum_of_sines_batch`).
    threshold : of the learning times (:func:`lofi_utils.spectral1d.learning_times`).
    reuse : optional ``{activation: runs}`` already trained with exactly these settings and ``run_seeds`` (e.g.
        the runs of section 1); they are checked and not retrained.
    progress : show ``tqdm`` bars; ``None``: :func:`~lofi_utils.runtime.progress_default`.
    **kwargs : the keywords of :func:`lofi_utils.training1d.train_sum_of_sines_batch` except
        ``activation``, ``run_seeds`` and ``progress``.

    Returns
    -------
    :class:`ActivationComparison` (``.table()`` prints the learning times; see
    :func:`lofi_utils.chapters.spectral_bias.figures.plot_learning_times`). Raises ``ValueError`` for an
    unknown activation before training.
    """
    acts = tuple(registry.check_name(a) for a in activations)
    if not acts:
        raise ValueError("need at least one activation")
    if "activation" in kwargs or "seed" in kwargs:
        raise ValueError("pass activations=... and run_seeds=..., not activation/seed")
    seeds = [int(s) for s in run_seeds]
    reuse = {registry.check_name(a): list(r) for a, r in (reuse or {}).items()}
    for a, rs in reuse.items():
        _check_reusable(rs, a, seeds, kwargs)
    runs, summaries, seconds = {}, {}, {}
    for a in tqdm(acts, desc="activations", disable=not show_progress(progress)):
        rs = reuse[a] if a in reuse else train_sum_of_sines_batch(seeds, activation=a, progress=progress, **kwargs)
        runs[a] = rs
        summaries[a] = summarize_learning_times(rs, threshold)
        seconds[a] = float(sum(r.seconds for r in rs))
    cfg = {k: v for k, v in rs[0].config.items() if k not in ("activation", "seed")}
    return ActivationComparison(
        activations=acts,
        run_seeds=tuple(int(s) for s in seeds),
        freqs=rs[0].freqs,
        summaries=summaries,
        runs=runs,
        seconds=seconds,
        config=cfg,
    )
