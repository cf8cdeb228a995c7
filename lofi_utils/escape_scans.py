"""Escape times of online SGD on the phase-only model: summaries, scans over N, c and spectra, and their fits.

The simulators are :func:`lofi_utils.sgd.phase_sgd` (full SGD, any spectrum) and
:func:`lofi_utils.sgd_chain.overlap_chain` (the exact overlap chain of a flat spectrum). Here:

* summaries of a batch of escape times, censored runs counted as infinitely slow (:func:`escape_fraction`,
  :func:`median_escape`);
* :func:`escape_time_scan` -- the overlap chain over a grid of dimensions ``N`` (or step-size constants
  ``c``), ``eta = c / N^2``, with the fitted exponent of the medians (:class:`EscapeScan`), and
  :func:`fit_escape_scan` -- bootstrap errors, the log-corrected exponent, drift ratios, early-escape
  fractions (:class:`EscapeFit`);
* :func:`powerlaw_scan` -- the full SGD over spectral exponents and template kinds (:class:`PowerLawScan`);
* :func:`chain_vs_full` -- the two simulators on the isotropic model and their two-sample KS test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import ks_2samp

from . import streams
from .phase_model import PhaseModel, check_N
from .sgd import EscapeResult, check_order, drift_escape_time, phase_sgd
from .sgd_chain import overlap_chain
from .stats import fit_power_law
from .validation import check_int, check_positive

if TYPE_CHECKING:
    import torch
    from scipy.stats._stats_py import KstestResult  # what ks_2samp returns (a tuple with named fields)

__all__ = [
    "escape_fraction",
    "median_escape",
    "EscapeScan",
    "escape_time_scan",
    "EscapeFit",
    "fit_escape_scan",
    "PowerLawScan",
    "powerlaw_scan",
    "chain_vs_full",
]


# =========================================================================== summaries of escape times
def _check_times(times) -> np.ndarray:
    """Escape times of a batch: a non-empty 1-D array of steps ``>= 0``, ``inf`` for a censored run."""
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array of escape steps, got shape {t.shape}")
    bad = np.isnan(t) | (t < 0)
    if bad.any():
        raise ValueError(f"times must be escape steps >= 0 (inf for a censored run), got {float(t[bad][0])!r}")
    return t


def escape_fraction(times: ArrayLike, n: ArrayLike) -> np.ndarray:
    """Fraction of runs with escape time ``<= n`` for each ``n`` (censored runs never count).

    Parameters
    ----------
    times : array_like
        Escape times, (R,), ``inf`` for a censored run.
    n : array_like
        Step counts, scalar or (M,).

    Returns
    -------
    np.ndarray
        Shape (M,) ((1,) for a scalar ``n``).
    """
    times = _check_times(times)
    n = np.asarray(n, dtype=float)
    if n.ndim > 1 or np.any(np.isnan(n)):
        raise ValueError(f"n must be a number or a 1-D array of step counts without NaN, got shape {n.shape}")
    return np.mean(times[None, :] <= n.reshape(-1)[:, None], axis=1)


def median_escape(times: ArrayLike) -> float:
    """Median escape time, censored runs counted as ``inf`` (so the median is finite while > half escaped)."""
    return float(np.median(_check_times(times)))


@dataclass
class EscapeScan:
    """Escape times on a grid of settings: ``labels`` (G,) names, ``values`` (G,) the scanned quantity,
    ``times`` (G, S) per seed, ``result`` the batch :class:`EscapeResult`, and the fitted exponent of the
    medians in ``values`` (``exponent``, ``intercept``; NaN when not fitted)."""

    labels: list
    values: np.ndarray
    times: np.ndarray
    result: EscapeResult
    exponent: float = float("nan")
    intercept: float = float("nan")

    @property
    def medians(self) -> np.ndarray:
        """(G,) median escape times (censored runs as ``inf``)."""
        return np.array([median_escape(t) for t in self.times])

    @property
    def censored(self) -> np.ndarray:
        """(G,) share of censored runs per setting."""
        return np.mean(~np.isfinite(self.times), axis=1)

    def exponent_se(self, *, n_boot: int = 300, log_correction: bool = False, seed: int = 0) -> float:
        """Bootstrap standard error of the fitted exponent (runs resampled within each setting; ``log_correction``
        fits ``median / ln(value)^2`` instead). NaN when a resampled median is not finite."""
        rng = np.random.default_rng(seed)
        G, S = self.times.shape
        corr = np.log(self.values) ** 2 if log_correction else np.ones(G)
        fits = []
        for _ in range(n_boot):
            med = np.array([np.median(t[rng.integers(0, S, S)]) for t in self.times]) / corr
            if not np.all(np.isfinite(med)) or np.any(med <= 0):
                return float("nan")
            fits.append(fit_power_law(self.values, med)[0])
        return float(np.std(fits))

    def quantiles(self, qs: Sequence[float] = (0.25, 0.75)) -> np.ndarray:
        """Quantiles of the escape times per setting (G, len(qs)), censored runs as ``inf``."""
        return np.quantile(self.times, qs, axis=1).T

    def table(self, scale: ArrayLike | None = None) -> str:
        """One line per setting: median, quartiles and censored share; ``scale`` (G,) divides the times."""
        sc = np.ones(len(self.values)) if scale is None else np.asarray(scale, dtype=float)
        q = self.quantiles()
        rows = [f"{'setting':>14} {'median':>10} {'q25':>10} {'q75':>10} {'censored':>9}"]
        for i, lab in enumerate(self.labels):
            rows.append(
                f"{str(lab):>14} {self.medians[i] / sc[i]:10.3g} {q[i, 0] / sc[i]:10.3g} "
                f"{q[i, 1] / sc[i]:10.3g} {self.censored[i]:9.2f}"
            )
        return "\n".join(rows)


def escape_time_scan(
    Ns: int | Sequence[int],
    *,
    seeds: int,
    c: float | list = 1.0,
    beta: float = 5.0,
    order: int = 4,
    cap: float = 60.0,
    threshold: float = 0.5,
    seed: int = 0,
    method: str = "parallel",
    record_every: int | None = None,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> EscapeScan:
    """Escape times of the flat-spectrum model for each N in ``Ns`` (or each step-size constant in ``c``), with
    ``seeds`` runs each, all in one batch of :func:`lofi_utils.sgd_chain.overlap_chain`.

    Step size ``eta = c / N^2`` (k = 4) or ``c / N`` (k = 2); runs are stopped after ``cap * T_scale`` steps with
    ``T_scale = N^3 / c`` (k = 4) or ``N log N / c`` (k = 2). When ``c`` is a list the scan is over ``c`` and
    ``Ns`` must hold one N. The exponent of the medians in N (or in c) is fitted when all medians are finite.

    Parameters
    ----------
    Ns : int or sequence of int
        Dimensions, each >= 3 (one when ``c`` is a list).
    seeds : int
        Runs per setting.
    c : float or list of float
        Step-size constant(s), > 0.
    beta : float
        Spike strength.
    order : {4, 2}
        Information exponent.
    cap : float
        Runs stop after ``cap * T_scale`` steps.
    threshold : float
        Escape threshold.
    seed, method, record_every, device, progress
        Passed to :func:`~lofi_utils.sgd_chain.overlap_chain`.

    Returns
    -------
    EscapeScan
        ``times`` (G, seeds) with G the number of settings.
    """
    order = check_order(order)
    seeds = check_int(seeds, "seeds", minimum=1)
    Ns = [check_int(n, "every N in Ns", minimum=3) for n in np.atleast_1d(np.asarray(Ns, dtype=object))]
    cs = [check_positive(v, "c") for v in np.atleast_1d(np.asarray(c, dtype=object))]
    if not Ns or not cs:
        raise ValueError(f"Ns and c must each hold at least one value, got {Ns!r} and {cs!r}")
    cap = check_positive(cap, "cap")
    if len(cs) > 1 and len(Ns) > 1:
        raise ValueError("scan either N (several Ns, one c) or c (several cs, one N)")
    grid = [(n, cc) for n in Ns for cc in cs]
    Nr = np.repeat([g[0] for g in grid], seeds)
    cr = np.repeat([g[1] for g in grid], seeds)
    eta = cr / Nr**2 if order == 4 else cr / Nr
    scale = Nr**3 / cr if order == 4 else Nr * np.log(Nr) / cr
    res = overlap_chain(
        Nr,
        eta=eta,
        max_steps=np.ceil(cap * scale).astype(np.int64),
        beta=beta,
        order=order,
        threshold=threshold,
        seed=seed,
        method=method,
        record_every=record_every,
        device=device,
        progress=progress,
    )
    times = res.times.reshape(len(grid), seeds)
    values = np.array([g[0] for g in grid] if len(cs) == 1 else [g[1] for g in grid], dtype=float)
    labels = [f"N={n}" if len(cs) == 1 else f"c={cc:g}" for n, cc in grid]
    scan = EscapeScan(labels=labels, values=values, times=times, result=res)
    med = scan.medians
    if len(grid) >= 2 and np.all(np.isfinite(med)) and np.all(med > 0):
        scan.exponent, scan.intercept = fit_power_law(values, med)
    return scan


@dataclass
class EscapeFit:
    """What the N-scan of :func:`escape_time_scan` says about the scaling (:func:`fit_escape_scan`).

    ``exponent`` of the median escape time in N and its bootstrap ``exponent_se``; ``log_exponent`` of
    ``median / ln(N)^2`` and ``log_exponent_se``; ``drift_ratio`` (G,) median over the drift prediction
    :func:`drift_escape_time`; ``early_N`` and ``early_fraction``: the fraction of runs escaped by
    ``n = early N^3 / c`` at each ``N >= N_min``; ``early``; ``seconds`` and ``lane_steps`` of the batch.
    """

    exponent: float
    exponent_se: float
    log_exponent: float
    log_exponent_se: float
    drift_ratio: np.ndarray
    early_N: np.ndarray
    early_fraction: np.ndarray
    early: float
    seconds: float
    lane_steps: int

    def __str__(self) -> str:
        return "\n".join(
            [
                f"fitted exponent of the median: {self.exponent:.2f} ± {self.exponent_se:.2f} (bootstrap); "
                f"of median / ln(N)^2: {self.log_exponent:.2f} ± {self.log_exponent_se:.2f}",
                f"median / drift prediction: {np.round(self.drift_ratio, 2)}",
                f"escaped by n = {self.early:g} N^3 / c, N >= {int(self.early_N.min()) if self.early_N.size else 0}: "
                f"{np.round(self.early_fraction, 3)}  ({self.seconds:.1f} s for {self.lane_steps:.3g} run-steps)",
            ]
        )


def fit_escape_scan(
    scan: EscapeScan, *, c: float = 1.0, beta: float = 5.0, seed: int = 0, early: float = 0.5, N_min: int = 16
) -> EscapeFit:
    """Exponents, drift ratios and early-escape fractions of an N-scan (k = 4) of :func:`escape_time_scan`.

    Fits ``median T ~ N^p`` (``scan.exponent``) and ``median T / ln(N)^2 ~ N^p'`` by least squares in log-log
    (:func:`lofi_utils.stats.fit_power_law`), with bootstrap standard errors (:meth:`EscapeScan.exponent_se`,
    ``seed``); divides the medians by ``6 N^3 / (|kappa_4| c)``; counts the runs escaped by ``early N^3 / c``
    steps (censored runs never count) at every ``N >= N_min``. Returns an :class:`EscapeFit`.
    """
    if not (c > 0 and early > 0):
        raise ValueError(f"need c > 0 and early > 0, got {c!r}, {early!r}")
    Ns = scan.values
    if len(Ns) < 2 or np.any(Ns < 2):
        raise ValueError("fit_escape_scan needs an N-scan with at least two dimensions N >= 2")
    sel = Ns >= N_min
    frac = [escape_fraction(t, [early * n**3 / c])[0] for n, t in zip(Ns[sel], scan.times[sel])]
    return EscapeFit(
        exponent=scan.exponent,
        exponent_se=scan.exponent_se(seed=seed),
        log_exponent=fit_power_law(Ns, scan.medians / np.log(Ns) ** 2)[0],
        log_exponent_se=scan.exponent_se(log_correction=True, seed=seed),
        drift_ratio=scan.medians / drift_escape_time(Ns, beta=beta, c=c),
        early_N=Ns[sel],
        early_fraction=np.array(frac),
        early=early,
        seconds=scan.result.seconds,
        lane_steps=scan.result.lane_steps,
    )


@dataclass
class PowerLawScan:
    """Escape times of the full SGD over spectral exponents and templates (:func:`powerlaw_scan`).

    ``a_values`` (A,), ``templates`` (T,), ``times`` (A, T, S) per run (S = spikes x seeds), ``m0`` (A, T, S)
    initial effective overlaps of the runs, ``m0_typical`` (A, T) the median ``|m_eff(0)|`` of 2000 random ``w``
    per template draw (averaged over the draws), ``d_eff`` (A,) participation ratios, ``N``, ``c``, and the
    batch ``result``.
    """

    a_values: np.ndarray
    templates: list
    times: np.ndarray
    m0: np.ndarray
    m0_typical: np.ndarray
    d_eff: np.ndarray
    N: int
    c: float
    result: EscapeResult

    @property
    def medians(self) -> np.ndarray:
        """(A, T) median escape times (censored runs as ``inf``)."""
        return np.median(self.times, axis=-1)

    @property
    def capped_medians(self) -> np.ndarray:
        """(A, T) medians with a censored one replaced by the cap (``max_steps``), a lower bound on it."""
        return np.where(np.isfinite(self.medians), self.medians, float(self.result.max_steps.max()))

    def censored(self, template: str) -> np.ndarray:
        """(A,) bool: whether the median escape time of ``template`` is censored (over half its runs reached the
        cap without escaping)."""
        return ~np.isfinite(self.medians[:, self.templates.index(template)])

    def speedup(self, template: str, *, baseline: float | None = None) -> np.ndarray:
        """``T(a=0) / T(a)`` of the medians for one template (A,); ``baseline``: the isotropic ``T(a=0)`` from
        elsewhere (e.g. the overlap chain with more seeds) instead of this scan's own first row.

        Where ``T(a)`` is censored (see :meth:`censored`) the true median is at least the cap, so the value
        returned there is ``T(a=0) / cap``, an upper bound on the speed-up (not 0)."""
        j = self.templates.index(template)
        return (self.medians[0, j] if baseline is None else baseline) / self.capped_medians[:, j]

    def overlap_gain(self, template: str) -> np.ndarray:
        """Typical initial effective overlap relative to the isotropic one, ``m0_typical[:, j] / m0_typical[0, j]``
        (A,), for one template (the first spectral exponent must be 0)."""
        self._check_isotropic_first()
        j = self.templates.index(template)
        return self.m0_typical[:, j] / self.m0_typical[0, j]

    def ks_to_baseline(self, times: ArrayLike) -> KstestResult:
        """Two-sample KS test of this scan's escape times at ``a = 0`` (all templates and runs pooled) against
        other isotropic escape times ``times`` (e.g. ``escape_time_scan(...).times[0]``); censored runs of both
        samples are dropped. Returns the ``scipy.stats.ks_2samp`` result."""
        self._check_isotropic_first()
        a0 = self.times[0].ravel()
        b = np.asarray(times, dtype=float).ravel()
        return ks_2samp(a0[np.isfinite(a0)], b[np.isfinite(b)])

    def _check_isotropic_first(self):
        if self.a_values[0] != 0:
            raise ValueError(f"the first spectral exponent must be 0 (the isotropic case), got {self.a_values[0]}")

    def table(self) -> str:
        """One line per spectral exponent: ``D_eff``, then per template the median ``T / N^3`` and ``|m0|``."""
        rows = [f"{'a':>5} {'D_eff':>6} " + " ".join(f"{'T/N^3 ' + t:>12} {'|m0| ' + t:>9}" for t in self.templates)]
        for i, a in enumerate(self.a_values):
            cells = " ".join(
                f"{self.medians[i, j] / self.N**3:12.3g} {self.m0_typical[i, j]:9.3f}"
                for j in range(len(self.templates))
            )
            rows.append(f"{a:5.2f} {self.d_eff[i]:6.1f} {cells}")
        return "\n".join(rows)


def powerlaw_scan(
    N: int,
    a_values: ArrayLike,
    templates: str | Sequence[str] = ("pl", "flat"),
    *,
    spikes: int = 3,
    seeds: int = 8,
    c: float = 1.0,
    beta: float = 5.0,
    cap: float = 30.0,
    threshold: float = 0.5,
    D: int = 8,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> PowerLawScan:
    """Escape times of :func:`lofi_utils.sgd.phase_sgd` for every spectral exponent in ``a_values`` and template
    kind, with ``spikes`` template draws x ``seeds`` runs each, all in one batch.

    Step size ``eta = c / N^2``; runs stop after ``cap N^3 / c`` steps. The escape is measured on the effective
    overlap ``m_eff = cos(C^(1/2) w, u)`` (threshold 0.5), the overlap that the loss sees.

    Parameters
    ----------
    N : int
        Signal length, even, >= 4.
    a_values : array_like
        Spectral exponents, (A,).
    templates : str or sequence of str
        Template kinds (:data:`~lofi_utils.phase_model.TEMPLATES`), T of them.
    spikes, seeds : int
        Template draws per kind, runs per draw.
    c, beta, cap, threshold : float
        Step-size constant, spike strength, step cap in units of ``N^3 / c``, escape threshold.
    D : int
        Coordinates of the ``"top"`` template.
    seed : int
        Root of the random streams (:mod:`lofi_utils.streams`).
    device : torch.device or str
        Where the SGD runs.
    progress : bool
        Show a progress bar.

    Returns
    -------
    PowerLawScan
        ``times`` (A, T, spikes x seeds).
    """
    a_values = np.atleast_1d(np.asarray(a_values, dtype=float))
    templates = [templates] if isinstance(templates, str) else list(templates)
    if a_values.ndim != 1 or a_values.size == 0 or not templates:
        raise ValueError(
            f"a_values and templates must each hold at least one entry, got {a_values.tolist()!r} and {templates!r}"
        )
    N = check_N(N)
    spikes, seeds = check_int(spikes, "spikes", minimum=1), check_int(seeds, "seeds", minimum=1)
    c, cap, beta = check_positive(c, "c"), check_positive(cap, "cap"), check_positive(beta, "beta")
    lam, u, d_eff, m0_typ = [], [], [], []
    w_rand = streams.rng(seed, "powerlaw_scan.typical_overlap").standard_normal((2000, N))
    for a in a_values:
        lam_a = PhaseModel.make(N, a, beta=beta, rng=0).lam
        d_eff.append(float(lam_a.sum() ** 2 / np.sum(lam_a**2)))
        for tk in templates:
            for sp in range(spikes):
                rng = streams.rng(seed, "powerlaw_scan.template", sp)  # paired: one draw per sp for every a
                mdl = PhaseModel.make(N, a, beta=beta, template=tk, rng=rng, D=D)
                lam += [mdl.lam] * seeds
                u += [mdl.u_fourier] * seeds
                m0_typ.append(np.median(np.abs(mdl.overlap(w_rand))))
    res = phase_sgd(
        np.array(lam),
        np.array(u),
        eta=c / N**2,
        max_steps=int(math.ceil(cap * N**3 / c)),
        beta=beta,
        threshold=threshold,
        seed=streams.int_seed(seed, "powerlaw_scan.sgd"),
        device=device,
        progress=progress,
    )
    shape = (len(a_values), len(templates), spikes * seeds)
    return PowerLawScan(
        a_values=a_values,
        templates=templates,
        times=res.times.reshape(shape),
        m0=res.m0.reshape(shape),
        m0_typical=np.reshape(m0_typ, shape[:2] + (spikes,)).mean(-1),
        d_eff=np.array(d_eff),
        N=N,
        c=c,
        result=res,
    )


# =========================================================================== the two simulators in law
def chain_vs_full(
    N: int, runs: int, *, c: float = 2.0, cap: float = 30.0, seed: int = 0, device: torch.device | str = "cpu"
) -> tuple[EscapeResult, EscapeResult, KstestResult]:
    """Escape times of the full SGD and of the overlap chain for the isotropic model, and their KS test.

    Both simulators run ``runs`` neurons with ``eta = c / N^2`` for at most ``int(cap N^3 / c)`` steps:
    :func:`phase_sgd` on ``PhaseModel.make(N, 0)`` and :func:`overlap_chain`, each from its own stream of ``seed``
    (:mod:`lofi_utils.streams`). For a flat spectrum the chain has the law of the SGD, so the two-sample
    Kolmogorov-Smirnov test should not reject. Returns ``(full, chain, ks)``: two :class:`EscapeResult` and
    ``scipy.stats.ks_2samp(full.times, chain.times)``.
    """
    check_int(runs, "runs", minimum=2)
    check_positive(c, "c")
    check_positive(cap, "cap")
    model = PhaseModel.make(N, 0.0, rng=streams.rng(seed, "chain_vs_full.model"))
    kw = dict(eta=c / N**2, max_steps=int(cap * N**3 / c), runs=runs, device=device)
    full = phase_sgd(model.lam, model.u_fourier, seed=streams.int_seed(seed, "chain_vs_full.sgd"), **kw)
    chain = overlap_chain(N, seed=streams.int_seed(seed, "chain_vs_full.chain"), **kw)
    return full, chain, ks_2samp(full.times, chain.times)
