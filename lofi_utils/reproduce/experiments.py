"""The paper-scale experiments of the chapters, each declared once: a cell function, a grid per profile, a
summary and the tolerance of a recomputation.

Cell functions take only JSON scalars and draw every random number from :mod:`lofi_utils.streams`, keyed
by the experiment's name and the cell's parameters, so cells are independent of one another and of the
engine that runs them. The ``smoke`` grids are tiny (CI runs them end to end); ``book`` grids are what a
2-core CPU computes in an hour or two; ``paper`` grids are the papers' scale (a GPU, or a cluster).
"""

from __future__ import annotations

import math

import numpy as np

from .. import streams
from ..stats import fit_power_law
from .core import Experiment, as_floats

__all__ = ["EXPERIMENTS", "get", "by_target", "power_law_ci", "median_ci"]


# =========================================================================== statistics of a summary
def median_ci(times: np.ndarray, *, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Median of ``times`` (censored runs as ``inf``) and its 95 % bootstrap interval ``(median, lo, hi)``."""
    rng = streams.rng(seed, "median_ci")
    t = np.asarray(times, dtype=float)
    boot = np.median(t[rng.integers(0, t.size, (n_boot, t.size))], axis=1)
    return float(np.median(t)), float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def power_law_ci(
    x: np.ndarray, samples: list[np.ndarray], *, n_boot: int = 2000, seed: int = 0, log_power: float = 0.0
) -> dict:
    """Exponent of ``median(samples[i]) / ln(x_i)^log_power`` against ``x`` and its 95 % bootstrap interval
    (runs resampled within each ``x``). Returns ``{"exponent", "lo", "hi", "se", "medians"}``; the exponent
    is NaN when a median is censored (infinite)."""
    rng = streams.rng(seed, "power_law_ci")
    x = np.asarray(x, dtype=float)
    corr = np.log(x) ** log_power
    med = np.array([np.median(s) for s in samples]) / corr
    if not np.all(np.isfinite(med)):
        return {"exponent": float("nan"), "lo": float("nan"), "hi": float("nan"), "se": float("nan"), "medians": med}
    fits = []
    for _ in range(n_boot):
        m = np.array([np.median(s[rng.integers(0, s.size, s.size)]) for s in samples]) / corr
        if np.all(np.isfinite(m)) and np.all(m > 0):
            fits.append(fit_power_law(x, m)[0])
    fits = np.array(fits)
    return {
        "exponent": float(fit_power_law(x, med)[0]),
        "lo": float(np.quantile(fits, 0.025)),
        "hi": float(np.quantile(fits, 0.975)),
        "se": float(fits.std()),
        "medians": med,
        "boot": fits,
    }


def _close_times(stored: dict, fresh: dict, key: str = "times", rtol: float = 0.02, share: float = 0.05) -> str:
    """'' when at most ``share`` of the runs differ by more than ``rtol`` (a float rounding can move an escape
    by a few steps on another CPU kernel family); else a one-line reason."""
    a, b = as_floats(stored[key]), as_floats(fresh[key])
    if a.shape != b.shape:
        return f"{key}: {a.size} stored values against {b.size} recomputed"
    both_inf = np.isinf(a) & np.isinf(b)
    with np.errstate(invalid="ignore"):
        off = ~both_inf & ~(np.abs(a - b) <= rtol * np.abs(a))
    if off.mean() > share:
        first = f"{a[off][0]:g} vs {b[off][0]:g}"
        return f"{key}: {off.sum()} of {a.size} values differ by more than {rtol:.0%} (e.g. {first})"
    return ""


def _close_values(key: str, atol: float):
    def compare(stored: dict, fresh: dict) -> str:
        a, b = as_floats(np.ravel(stored[key])), as_floats(np.ravel(fresh[key]))
        if a.shape != b.shape or not np.allclose(a, b, atol=atol, rtol=0):
            return f"{key}: max |stored - recomputed| = {np.max(np.abs(a - b)) if a.shape == b.shape else 'shape'}"
        return ""

    return compare


def _close_mse(stored: dict, fresh: dict, rtol: float = 1e-3) -> str:
    """Test MSEs of a recomputed cell within ``rtol`` (relative) of the stored ones, model by model."""
    bad = [
        f"{m}: {stored['mse'][m]:.6g} vs {fresh['mse'].get(m, float('nan')):.6g}"
        for m in stored["mse"]
        if not math.isclose(stored["mse"][m], fresh["mse"].get(m, math.nan), rel_tol=rtol)
    ]
    return "; ".join(bad)


# =========================================================================== chapter 4: escape times
def escape_cell(N: int, c: float, cap: float, runs: int, rep: int, seed: int, name: str) -> dict:
    """``runs`` escape times of the flat-spectrum model (the exact overlap chain,
    :func:`lofi_utils.sgd_chain.overlap_chain`) at ``N`` with ``eta = c / N^2``, stopped at ``cap N^3 / c``
    steps; random stream ``(seed, name, N, round(1000 c), rep)``."""
    from ..sgd_chain import overlap_chain

    out = overlap_chain(
        N,
        eta=c / N**2,
        max_steps=int(math.ceil(cap * N**3 / c)),
        runs=runs,
        seed=streams.int_seed(seed, name, N, int(round(1000 * c)), rep),
    )
    return {"times": out.times, "lane_steps": int(out.lane_steps)}


def _times_by(cells: list[dict], key: str) -> dict:
    groups: dict = {}
    for c in cells:
        groups.setdefault(c["params"][key], []).append(as_floats(c["result"]["times"]))
    return {k: np.concatenate(v) for k, v in sorted(groups.items())}


def n_scan_summary(cells: list[dict]) -> dict:
    """Per N: runs, median T/N^3 with its 95 % interval, quartiles, censored share; the exponent of the
    median in N with its bootstrap interval, plain and for ``median / ln(N)^2``; the collapse of
    ``T / N^3`` (max/min of the medians over N)."""
    by_n = _times_by(cells, "N")
    Ns = np.array(sorted(by_n), dtype=float)
    rows = []
    for N in Ns:
        t = by_n[int(N)]
        med, lo, hi = median_ci(t, seed=int(N))
        rows.append(
            {
                "N": int(N),
                "runs": int(t.size),
                "median_over_N3": med / N**3,
                "ci_over_N3": [lo / N**3, hi / N**3],
                "quartiles_over_N3": (np.quantile(t, [0.25, 0.75]) / N**3).tolist(),
                "censored": float(np.mean(~np.isfinite(t))),
            }
        )
    samples = [by_n[int(N)] for N in Ns]
    plain = power_law_ci(Ns, samples, seed=1)
    logc = power_law_ci(Ns, samples, seed=2, log_power=2.0)
    scaled = np.array([r["median_over_N3"] for r in rows])
    return {
        "rows": rows,
        "exponent": {k: plain[k] for k in ("exponent", "lo", "hi", "se")},
        "exponent_log2": {k: logc[k] for k in ("exponent", "lo", "hi", "se")},
        "collapse_max_over_min": float(scaled.max() / scaled.min()),
        "c": float(cells[0]["params"]["c"]),
    }


def c_scan_summary(cells: list[dict]) -> dict:
    """Per N and c: median ``T c / N^3`` and ``T / N^3``; per N the best c (smallest median T) and the smallest
    median T/N^3 over c, which must not fall with N if larger steps cannot beat N^3."""
    groups: dict = {}
    for c in cells:
        p = c["params"]
        groups.setdefault((p["N"], p["c"]), []).append(as_floats(c["result"]["times"]))
    Ns = sorted({k[0] for k in groups})
    cs = sorted({k[1] for k in groups})
    med = np.array([[np.median(np.concatenate(groups[(n, c)])) for c in cs] for n in Ns], dtype=float)
    over = med / np.array(Ns, dtype=float)[:, None] ** 3
    best = np.argmin(over, axis=1)
    return {
        "Ns": Ns,
        "cs": cs,
        "median_over_N3": over.tolist(),
        "runs_per_point": int(np.concatenate(groups[(Ns[0], cs[0])]).size),
        "best_c": [cs[i] for i in best],
        "best_over_N3": [float(over[i, j]) for i, j in enumerate(best)],
        "censored": [[float(np.mean(~np.isfinite(np.concatenate(groups[(n, c)])))) for c in cs] for n in Ns],
    }


def powerlaw_cell(N: int, a: float, draws: int, rep: int, c: float, cap: float, seed: int) -> dict:
    """Escape times of the full SGD (:func:`lofi_utils.escape_scans.powerlaw_scan`) for the 'pl' template at
    spectral exponent ``a``: one run for each of ``draws`` template draws; stream
    ``(seed, "powerlaw_exponent", N, round(100 a), rep)``."""
    from ..escape_scans import powerlaw_scan

    s = powerlaw_scan(
        N,
        [a],
        ["pl"],
        spikes=draws,
        seeds=1,
        c=c,
        cap=cap,
        seed=streams.int_seed(seed, "powerlaw_exponent", N, int(round(100 * a)), rep),
    )
    return {"times": s.times.ravel()}


def powerlaw_summary(cells: list[dict]) -> dict:
    """Per spectral exponent a: medians T/N^3 per N and the exponent of the median in N with its 95 %
    bootstrap interval; the difference of the exponents (smallest a minus largest a) with its 95 % interval
    and the bootstrap share of draws where it is positive."""
    by_a: dict = {}
    for c in cells:
        p = c["params"]
        by_a.setdefault(p["a"], {}).setdefault(p["N"], []).append(as_floats(c["result"]["times"]))
    out, boots = {}, {}
    for a, by_n in sorted(by_a.items()):
        Ns = np.array(sorted(by_n), dtype=float)
        samples = [np.concatenate(by_n[int(N)]) for N in Ns]
        fit = power_law_ci(Ns, samples, seed=3)
        boots[a] = fit["boot"]
        out[str(a)] = {
            "Ns": Ns.astype(int).tolist(),
            "runs": [int(s.size) for s in samples],
            "median_over_N3": (np.array([np.median(s) for s in samples]) / Ns**3).tolist(),
            "censored": [float(np.mean(~np.isfinite(s))) for s in samples],
            "exponent": {k: fit[k] for k in ("exponent", "lo", "hi", "se")},
        }
    a_vals = sorted(by_a)
    lo_a, hi_a = a_vals[0], a_vals[-1]
    n = min(boots[lo_a].size, boots[hi_a].size)
    gap = boots[lo_a][:n] - boots[hi_a][:n]  # independent resamples of the two exponents
    out["exponent_gap"] = {
        "gap": out[str(lo_a)]["exponent"]["exponent"] - out[str(hi_a)]["exponent"]["exponent"],
        "lo": float(np.quantile(gap, 0.025)),
        "hi": float(np.quantile(gap, 0.975)),
        "p_positive": float(np.mean(gap > 0)),
    }
    return out


# =========================================================================== chapter 3: emergence
def emergence_cell(d: int, r: int, cs: list, rep: int, seed: int, gain: float = 2.0) -> dict:
    """Overlap of the top-r signed-covariance filter with the hidden directions at ``n = c d r`` for every
    ``c`` in ``cs`` (:func:`lofi_utils.chapters.neural_lofi.emergence.emergence_sweep`, one repetition,
    stream keyed by ``(seed, "emergence_grid", d, r, rep)``)."""
    from ..chapters.neural_lofi.emergence import emergence_sweep

    sw = emergence_sweep([(d, r)], cs, seeds=1, seed=streams.int_seed(seed, "emergence_grid", d, r, rep), gain=gain)
    return {"overlap": sw.overlap[0, :, 0]}


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """First ``x`` where ``y`` reaches ``level`` (log-linear interpolation); NaN if it never does."""
    above = np.nonzero(y >= level)[0]
    if above.size == 0:
        return float("nan")
    j = above[0]
    if j == 0:
        return float(x[0])
    t = (level - y[j - 1]) / (y[j] - y[j - 1])
    return float(np.exp(np.log(x[j - 1]) + t * (np.log(x[j]) - np.log(x[j - 1]))))


def emergence_summary(cells: list[dict]) -> dict:
    """Per (d, r): mean overlap per c (n = c d r), the same above chance, ``(overlap - r/d) / (1 - r/d)`` (a
    random r-dimensional subspace captures ``r/d`` of span W), and the sample size ``n_half`` where the
    excess overlap reaches 0.5; the spread (standard deviation of the log) of ``n_half / (d r)``, of
    ``n_half / d^2`` and of ``n_half / d`` across pairs: the law the data follow has the smallest spread."""
    groups: dict = {}
    for c in cells:
        p = c["params"]
        groups.setdefault((p["d"], p["r"]), []).append(as_floats(c["result"]["overlap"]))
    cs = as_floats(cells[0]["params"]["cs"])
    rows = []
    for (d, r), ov in sorted(groups.items()):
        m = np.mean(ov, axis=0)
        excess = (m - r / d) / (1 - r / d)
        c_half = _crossing(cs, excess, 0.5)
        rows.append(
            {
                "d": d,
                "r": r,
                "reps": len(ov),
                "mean_overlap": m.tolist(),
                "excess_overlap": excess.tolist(),
                "n_half": c_half * d * r,
            }
        )
    nh = np.array([row["n_half"] for row in rows], dtype=float)
    d = np.array([row["d"] for row in rows], dtype=float)
    r = np.array([row["r"] for row in rows], dtype=float)
    ok = np.isfinite(nh)

    def spread(v: np.ndarray) -> float:
        return float(np.std(np.log(v[ok]))) if ok.sum() >= 2 else float("nan")

    return {
        "cs": cs.tolist(),
        "rows": rows,
        "spread": {"n/(d r)": spread(nh / (d * r)), "n/d^2": spread(nh / d**2), "n/d": spread(nh / d)},
    }


LOFI_KERNEL_MODELS = ("RF(2p)", "LoFi", "NNGP (depth 2)", "NTK (depth 2)", "kernel LoFi")


def lofi_kernels_cell(
    n: int,
    rep: int,
    seed: int,
    d: int = 64,
    r: int = 8,
    p: int = 600,
    k: int = 16,
    n_test: int = 2000,
    kernels: bool = True,
    device: str | None = None,
) -> dict:
    """Test MSE of RF(2p), finite-width LoFi (``[p, p]``, ranks ``[k, None]``, the authors' algorithm) and, with
    ``kernels``, the depth-2 NNGP and NTK kernel ridges and kernel LoFi (ranks ``[k, None]``) on one draw of the
    hierarchical target: the task is fixed by ``seed``, the test set by ``(seed, rep)``, the ``n`` training
    samples and the networks by ``(seed, n, rep)``, so every model of a cell sees the same data (paired
    comparisons). Every penalty is chosen by leave-one-out on the training samples (no held-out set).
    Returns ``{"mse": {model: float}, "var_y": float}``."""
    from ..lofi import KernelLoFi, NeuralLoFi, hierarchical_target

    task = hierarchical_target(d, r, rng=streams.rng(seed, "lofi_kernels.task"))
    Xt, yt = task.sample(n_test, streams.rng(seed, "lofi_kernels.test", rep))
    X, y = task.sample(n, streams.rng(seed, "lofi_kernels.train", n, rep))
    mse = {}
    for nm, (ws, ks) in {"RF(2p)": ([2 * p], [None]), "LoFi": ([p, p], [k, None])}.items():
        m = NeuralLoFi(ws, ks, seed=streams.int_seed(seed, "lofi_kernels.net", nm, n, rep), device=device)
        mse[nm] = float(m.fit(X, y).mse(Xt, yt))
    if kernels:
        for nm, ks, kern in (
            ("NNGP (depth 2)", [None, None], "nngp"),
            ("NTK (depth 2)", [None, None], "ntk"),
            ("kernel LoFi", [k, None], "nngp"),
        ):
            pred, _ = KernelLoFi(ks, kernel=kern).fit_predict(X, y, Xt)
            mse[nm] = float(np.mean((pred - yt) ** 2))
    return {"mse": mse, "var_y": float(yt.var())}


def lofi_kernels_summary(cells: list[dict]) -> dict:
    """Per ``n``: mean test MSE / Var y of every model over the repetitions, and the paired differences
    ``MSE(LoFi) - MSE(model)`` / Var y with their 95 % Student-t intervals (negative: LoFi is better);
    ``wins[model]``: the sample sizes where the whole interval is below 0, ``losses``: above 0; and
    ``kernel_lofi_minus_nngp``, the same paired interval between the two infinite-width models; ``pooled``: the
    paired differences ``LoFi - RF(2p)`` and ``kernel LoFi - NNGP`` (each over its cell's Var y) pooled over every
    cell, with their interval."""
    from ..stats import mean_interval

    by_n: dict = {}
    for c in cells:
        by_n.setdefault(int(c["params"]["n"]), []).append(c["result"])
    rows, wins, losses = [], {}, {}
    for n, res in sorted(by_n.items()):
        var = float(np.mean([x["var_y"] for x in res]))
        models = [m for m in LOFI_KERNEL_MODELS if all(m in x["mse"] for x in res)]
        row: dict = {"n": n, "reps": len(res), "mean": {}, "lofi_minus": {}}
        for m in models:
            row["mean"][m] = float(np.mean([x["mse"][m] for x in res]) / var)
        for m in models:
            if m == "LoFi":
                continue
            diff = np.array([x["mse"]["LoFi"] - x["mse"][m] for x in res]) / var
            mean, lo, hi = mean_interval(diff) if len(diff) >= 2 else (float(diff.mean()), -math.inf, math.inf)
            row["lofi_minus"][m] = [mean, lo, hi]
            if hi < 0:
                wins.setdefault(m, []).append(n)
            if lo > 0:
                losses.setdefault(m, []).append(n)
        for key, kern in (("kernel_lofi_minus_nngp", "NNGP (depth 2)"), ("kernel_lofi_minus_ntk", "NTK (depth 2)")):
            if {"kernel LoFi", kern} <= set(models) and len(res) >= 2:
                diff = np.array([x["mse"]["kernel LoFi"] - x["mse"][kern] for x in res]) / var
                row[key] = list(mean_interval(diff))
        rows.append(row)
    pooled = {}
    for name, (a, b) in {
        "LoFi - RF(2p)": ("LoFi", "RF(2p)"),
        "LoFi - NNGP": ("LoFi", "NNGP (depth 2)"),
        "LoFi - NTK": ("LoFi", "NTK (depth 2)"),
        "kernel LoFi - NNGP": ("kernel LoFi", "NNGP (depth 2)"),
        "kernel LoFi - NTK": ("kernel LoFi", "NTK (depth 2)"),
    }.items():
        diff = [
            (x["mse"][a] - x["mse"][b]) / x["var_y"]
            for res in by_n.values()
            for x in res
            if a in x["mse"] and b in x["mse"]
        ]
        if len(diff) >= 2:
            pooled[name] = list(mean_interval(diff))
    return {"rows": rows, "wins": wins, "losses": losses, "pooled": pooled, "models": list(LOFI_KERNEL_MODELS)}


# =========================================================================== chapter 2: per-layer kernels
def layer_width_cell(width: int, reps: int, points: int, d: int, depth: int, seed: int) -> dict:
    """Relative Frobenius errors ``|Theta_hat_l - Theta_l|_F / |Theta_l|_F`` of ``reps`` ReLU networks of width
    ``width`` against the analytic per-layer NTK on ``points`` inputs of the sphere
    (:func:`lofi_utils.chapters.layerwise.finite_width.layer_width_sweep`; the inputs are the same for every
    width, network ``s`` of width ``w`` from the stream ``(seed, "width_sweep.net", w, s)``)."""
    from ..chapters.layerwise.finite_width import layer_width_sweep

    sw = layer_width_sweep(d, depth, points, [width], seeds=reps, seed=seed)
    return {"errors": sw.errors[0]}


def layer_width_summary(cells: list[dict]) -> dict:
    """Per layer: the mean error per width and the exponent of the mean error in the width with its 95 %
    bootstrap interval (networks resampled within each width); theory -1/2."""
    cells = sorted(cells, key=lambda c: c["params"]["width"])
    widths = np.array([c["params"]["width"] for c in cells], dtype=float)
    err = [np.array(c["result"]["errors"], dtype=float) for c in cells]  # each (reps, L)
    L = err[0].shape[1]
    rng = streams.rng(0, "layer_width_summary")
    layers = []
    for l in range(L):
        mean = np.array([e[:, l].mean() for e in err])
        boot = []
        for _ in range(2000):
            m = np.array([e[rng.integers(0, len(e), len(e)), l].mean() for e in err])
            boot.append(fit_power_law(widths, m)[0])
        layers.append(
            {
                "layer": l + 1,
                "mean_error": mean.tolist(),
                "exponent": float(fit_power_law(widths, mean)[0]),
                "lo": float(np.quantile(boot, 0.025)),
                "hi": float(np.quantile(boot, 0.975)),
            }
        )
    return {"widths": widths.astype(int).tolist(), "reps": int(err[0].shape[0]), "layers": layers}


# =========================================================================== the registry
def _grid(**axes) -> list[dict]:
    """The Cartesian product of ``axes`` (lists) as a list of dicts; scalars are repeated."""
    out = [{}]
    for k, v in axes.items():
        vals = v if isinstance(v, list) else [v]
        out = [dict(o, **{k: x}) for o in out for x in vals]
    return out


def _escape_grid(Ns, cs, reps, runs, cap, name) -> list[dict]:
    return _grid(N=list(Ns), c=list(cs), cap=cap, runs=runs, rep=list(range(reps)), seed=0, name=name)


CHAIN = ("lofi_utils.sgd_chain", "lofi_utils.sgd", "lofi_utils.phase_model", "lofi_utils.streams")
EMERGENCE_CS = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
EMERGENCE_PAIRS_BOOK = [(32, 4), (64, 4), (128, 4), (256, 4), (64, 2), (64, 8), (64, 16)]

EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in [
        Experiment(
            name="escape_n_scan",
            chapter="amplitude_phase",
            description="escape time of online SGD on the flat-spectrum phase model against N (eta = c/N^2)",
            cell=escape_cell,
            grids={
                "smoke": _escape_grid([8, 12, 16], [1.0], 2, 16, 60.0, "escape_n_scan"),
                "book": _escape_grid([16, 24, 32, 48, 64, 96, 128], [1.0], 2, 64, 60.0, "escape_n_scan"),
                "paper": _escape_grid([16, 32, 64, 128, 256, 512], [1.0], 8, 128, 60.0, "escape_n_scan"),
            },
            summary=n_scan_summary,
            depends=CHAIN,
            compare=_close_times,
        ),
        Experiment(
            name="escape_c_scan",
            chapter="amplitude_phase",
            description="escape time against the step-size constant c (eta = c/N^2) at three N",
            cell=escape_cell,
            grids={
                "smoke": _escape_grid([8, 16], [1.0, 4.0], 1, 16, 60.0, "escape_c_scan"),
                "book": _escape_grid([16, 32, 64], [1.0, 2.0, 4.0, 8.0, 16.0], 2, 64, 60.0, "escape_c_scan"),
                "paper": _escape_grid(
                    [32, 64, 128, 256], [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0], 4, 128, 60.0, "escape_c_scan"
                ),
            },
            summary=c_scan_summary,
            depends=CHAIN,
            compare=_close_times,
        ),
        Experiment(
            name="powerlaw_exponent",
            chapter="amplitude_phase",
            description="escape time of the full SGD against N at spectral exponent a = 0 and a = 1.5 ('pl' template)",
            cell=powerlaw_cell,
            grids={
                "smoke": _grid(N=[8, 12], a=[0.0, 1.5], draws=8, rep=[0], c=2.0, cap=12.0, seed=0),
                # three times the runs at a = 1.5, where the escape times spread more (and cost less)
                "book": _grid(N=[16, 24, 32, 48, 64], a=[0.0], draws=32, rep=[0, 1], c=2.0, cap=12.0, seed=0)
                + _grid(N=[16, 24, 32, 48, 64], a=[1.5], draws=32, rep=list(range(6)), c=2.0, cap=12.0, seed=0),
                "paper": _grid(
                    N=[16, 32, 64, 128, 256], a=[0.0, 1.5], draws=64, rep=[0, 1, 2, 3], c=2.0, cap=12.0, seed=0
                ),
            },
            summary=powerlaw_summary,
            depends=CHAIN + ("lofi_utils.escape_scans",),
            compare=_close_times,
        ),
        Experiment(
            name="emergence_grid",
            chapter="neural_lofi",
            description="overlap of the LoFi filter with the hidden directions at n = c d r, d and r varied separately",
            cell=emergence_cell,
            grids={
                "smoke": [
                    dict(d=d, r=r, cs=[0.5, 2.0, 8.0], rep=k, seed=0)
                    for d, r in [(16, 2), (32, 2), (16, 4)]
                    for k in (0,)
                ],
                "book": [
                    dict(d=d, r=r, cs=EMERGENCE_CS, rep=k, seed=0) for d, r in EMERGENCE_PAIRS_BOOK for k in range(4)
                ],
                "paper": [
                    dict(d=d, r=r, cs=EMERGENCE_CS + [32.0], rep=k, seed=0)
                    for d, r in EMERGENCE_PAIRS_BOOK + [(512, 4), (128, 16), (128, 32)]
                    for k in range(10)
                ],
            },
            summary=emergence_summary,
            depends=(
                "lofi_utils.chapters.neural_lofi.emergence",
                "lofi_utils.lofi.targets",
                "lofi_utils.lofi.filtering",
                "lofi_utils.streams",
            ),
            compare=_close_values("overlap", 1e-9),
        ),
        Experiment(
            name="lofi_vs_kernels",
            chapter="neural_lofi",
            description="finite LoFi against RF(2p), NNGP and NTK kernel ridge and kernel LoFi, paired, over n",
            cell=lofi_kernels_cell,
            grids={
                "smoke": _grid(n=[200, 400], rep=[0, 1], seed=0, d=16, r=2, p=60, k=4, n_test=200),
                "book": _grid(n=[1000, 2000, 4000], rep=[0, 1, 2, 3], seed=0) + _grid(n=8000, rep=[0, 1, 2], seed=0),
                # the kernel models' leave-one-out needs one n x n eigendecomposition: up to n = 16000
                "paper": _grid(n=[1000, 2000, 4000, 8000, 16000], rep=list(range(8)), seed=0, p=2000, k=32)
                + _grid(n=32000, rep=list(range(8)), seed=0, p=2000, k=32, kernels=False),
            },
            summary=lofi_kernels_summary,
            depends=(
                "lofi_utils.lofi.model",
                "lofi_utils.lofi.kernel_form",
                "lofi_utils.lofi.ridge",
                "lofi_utils.lofi.lift",
                "lofi_utils.lofi.filtering",
                "lofi_utils.lofi.targets",
                "lofi_utils.stats",
                "lofi_utils.streams",
            ),
            compare=_close_mse,
            uses_device=True,
        ),
        Experiment(
            name="layer_width_sweep",
            chapter="layerwise",
            description="per-layer empirical NTK against the analytic one over a factor 64 in the width",
            cell=layer_width_cell,
            grids={
                "smoke": _grid(width=[32, 128], reps=2, points=60, d=5, depth=3, seed=0),
                "book": _grid(width=[128, 256, 512, 1024, 2048, 4096, 8192], reps=8, points=1000, d=5, depth=4, seed=0),
                "paper": _grid(
                    width=[128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768],
                    reps=16,
                    points=3000,
                    d=5,
                    depth=4,
                    seed=0,
                ),
            },
            summary=layer_width_summary,
            depends=(
                "lofi_utils.chapters.layerwise.finite_width",
                "lofi_utils.width_sweep",
                "lofi_utils.ntk",
                "lofi_utils.kernels",
                "lofi_utils.sphere",
                "lofi_utils.streams",
            ),
            compare=_close_values("errors", 1e-4),
        ),
    ]
}


def get(name: str) -> Experiment:
    """The experiment called ``name`` (``ValueError`` listing the names otherwise)."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; allowed: {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def by_target(targets: list[str]) -> list[Experiment]:
    """Experiments named by ``targets``: experiment names or chapter ids (all of a chapter); none = all."""
    if not targets:
        return list(EXPERIMENTS.values())
    chapters = {e.chapter for e in EXPERIMENTS.values()}
    out = []
    for t in targets:
        if t in EXPERIMENTS:
            out.append(EXPERIMENTS[t])
        elif t in chapters:
            out += [e for e in EXPERIMENTS.values() if e.chapter == t]
        else:
            raise ValueError(
                f"unknown experiment or chapter {t!r}; experiments: {', '.join(EXPERIMENTS)}; "
                f"chapters: {', '.join(sorted(chapters))}"
            )
    return list({e.name: e for e in out}.values())
