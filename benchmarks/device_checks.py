"""The GPU checks of the open chapter issues, in priority order, in one run that fits a short device lease.

One command runs every check that needs a GPU, each in its own process under its own time cap, prints one
summary table and writes ``<out>/device_checks.json`` (rewritten after every step, so a run that is cut
short still leaves what it measured)::

    PYTHONUNBUFFERED=1 python3 benchmarks/device_checks.py --budget 540 --out $OUT

Steps (issue numbers as in the project's notes):

1. ``ch4_sgd_bench`` (issue 5): ``benchmarks/bench_sgd.py --device cuda --profile smoke``: run-steps/s of
   the batched simulators over a naive per-sample PyTorch loop on the same GPU (target >= 50x). Its
   profile is ``smoke`` so that its own closing N^3 fit stays small: the paper fit is the next step.
2. ``ch4_nscan_paper`` (issue 5): the paper profile's N^3 escape-time scan of the chapter
   (``fourier_phase`` table: ``n_scan.Ns`` = 32..256, ``n_scan.seeds`` = 32, ``n_scan.c``, ``n_scan.cap``,
   ``n_scan.record``): exactly the chapter's :func:`lofi_utils.escape_scans.escape_time_scan` call and
   :func:`lofi_utils.escape_scans.fit_escape_scan`. Three stages: a probe of the largest N alone (two chunks,
   run-steps/s); the scan without the largest N (an exponent whatever follows); the full scan when its
   predicted time (the reduced scan's time plus the largest N's expected run-steps at the probe's rate) fits
   what is left of the cap, else the JSON keeps the prediction. Target: N up to 256 with >= 32 seeds in
   <= 10 min on one H100.
3. ``ch3_lofi_big`` (issue 4): one ``NeuralLoFi([p, p], [k, None])`` fit at the paper profile's
   ``algo_n = 50 000``, ``algo_p = 100 000``, ``algo_k = 50`` on the chapter's hierarchical task (the
   chapter's own cell), with wall time and ``torch.cuda.max_memory_allocated`` in two parts, layer 1 (to compare
   with the size of one p x p matrix: none is formed) and the dual readout's solve (two n x n float64 matrices).
4. ``ch3_bench_lofi`` (issue 4): ``benchmarks/bench_lofi.py --device cuda --p 1000 4000 16000``.
5. ``ch3_depth_paper`` (issue 4): :func:`lofi_utils.chapters.neural_lofi.depth.depth_study` at the paper profile's
   ``depth_*`` sizes, one sample size at a time from the largest down (each n is its own call, so its
   draws differ from the chapter's single call; the law is the same), until the cap.
6. ``ch2_layer_ntk`` (issue 3): ``benchmarks/bench_layer_ntk.py`` on CUDA (N = 2000, width 1024, L = 4).
7. ``notebooks_paper`` (optional, last): chapters 4, 3, 2 at the ``paper`` profile with what time is left.
   Through the book's runner (``python -m lofi_utils run``) when papermill and jupytext are importable;
   otherwise (the device image has neither) through a minimal executor that runs the chapter's code cells
   in order in one namespace and records each cell's time (cells that need a missing optional module,
   such as ipywidgets, are skipped). The check records (``$LOFI_CHECKS_DIR``) give passed/failed counts.

Which Python on the device machine. The repository's ``.venv`` is ignored by git, so it does not travel
with the working tree, and it could not be carried: 1.6 GB, a CPU build of torch, made for a Python 3.11 at
a path that does not exist there. The device image's own ``python3`` (``/opt/torch/.venv``; PyTorch with
CUDA, NumPy, SciPy, scikit-learn, scikit-image, matplotlib, tqdm; no ipywidgets, papermill or jupytext)
runs this script; the script puts the repository root on ``sys.path`` and ``PYTHONPATH``, so
``lofi_utils`` needs no install. If the Python that runs it has no CUDA build of torch, the script prints
``no CUDA torch`` and exits with status 3 (the device machine has no network: nothing is installed).
Suggested device call (one ``run``, ``timeout_s=600``)::

    set -o pipefail; PYTHONUNBUFFERED=1 python3 benchmarks/device_checks.py --budget 540 --out $OUT \\
        2>&1 | tee $OUT/device_checks.log

Caps. ``--budget`` (seconds) bounds the whole run; a step's cap is its nominal share of a 540 s budget
(scaled by ``budget / 540``), never more than what is left after reserving the minimum of every later
required step. A step that times out is killed with its whole process group and the run goes on.

CPU test of the logic: ``--tiny`` (alias ``--dry-run``) runs every step at tiny sizes on the CPU (one
thread; about a minute on two cores) and writes the same JSON; ``tests/test_benchmarks.py`` runs it.
``--only NAME ...`` runs a subset; ``--list`` prints the plan.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REFERENCE_BUDGET = 540.0
_T0 = time.perf_counter()  # process start (a child's cap counts from here)


# =========================================================================== the plan
# name, issue, chapter, title, nominal cap at the reference budget (s), minimum useful cap (s), required
STEPS = [
    ("ch4_sgd_bench", 5, 4, "bench_sgd.py on CUDA (target >= 50x a naive per-sample loop)", 100, 40, True),
    ("ch4_nscan_paper", 5, 4, "paper N^3 escape-time scan (target: N <= 256, >= 32 seeds, <= 10 min)", 170, 60, True),
    ("ch3_lofi_big", 4, 3, "NeuralLoFi([p, p], [k, None]) at n = 50 000, p = 100 000", 170, 60, True),
    ("ch3_bench_lofi", 4, 3, "bench_lofi.py --device cuda, p = 1k, 4k, 16k", 100, 40, True),
    ("ch3_depth_paper", 4, 3, "depth_study at the paper sizes (largest n first)", 120, 30, True),
    ("ch2_layer_ntk", 3, 2, "bench_layer_ntk.py on CUDA (N = 2000, width 1024, L = 4)", 100, 40, True),
    ("notebooks_paper", None, None, "chapters 4, 3, 2 at the paper profile (what time is left)", 10_000, 60, False),
]
STEP_NAMES = [s[0] for s in STEPS]
NOTEBOOKS = ["notebooks/04_amplitude_phase.md", "notebooks/03_neural_lofi.md", "notebooks/02_layerwise.md"]

# Tiny sizes (CPU, --tiny): every code path of the real run, in seconds.
TINY = dict(
    nscan=dict(Ns=[12, 16, 20], seeds=8, c=1.0, cap=40.0, record=64, probe_steps=4096),
    lofi_big=dict(d=16, r=4, n=1200, p=2100, k=6, n_val=300, n_test=600),
    depth=dict(d=16, r=4, gain=4.0, ns=[400, 800], p1=300, p2=200, p_out=50, n_val=200, n_test=400, seeds=1),
    notebook_cap=6.0,
)


def _write_json(path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=_jsonable))
    os.replace(tmp, path)


def _jsonable(x):
    import numpy as np

    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    return str(x)


def _finite(x):
    """``x`` as a float, or ``None`` when it is not finite (JSON has no inf/NaN)."""
    import math

    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _flist(a):
    return [_finite(v) for v in list(a)]


# =========================================================================== child steps (own process each)
class _Progress:
    """What a child step has measured so far, rewritten to its JSON file at every milestone."""

    def __init__(self, path):
        self.path, self.data = path, {}

    def put(self, **kw):
        self.data.update(kw)
        _write_json(self.path, self.data)


def _sync(dev):
    import torch

    if dev.type == "cuda":
        torch.cuda.synchronize()


def _scan_record(scan, fit, wall: float) -> dict:
    """The numbers of one escape-time scan and its fit, JSON-ready."""
    return dict(
        Ns=[int(v) for v in scan.values],
        wall_seconds=wall,
        run_steps=int(scan.result.lane_steps),
        run_steps_per_s=scan.result.lane_steps / wall,
        exponent=_finite(fit.exponent),
        exponent_se=_finite(fit.exponent_se),
        log_exponent=_finite(fit.log_exponent),
        log_exponent_se=_finite(fit.log_exponent_se),
        medians=_flist(scan.medians),
        censored=_flist(scan.censored),
        drift_ratio=_flist(fit.drift_ratio),
        early_fraction=_flist(fit.early_fraction),
        table=scan.table(),
    )


def child_nscan(a, out: _Progress) -> None:
    """Chapter 4's N^3 escape-time scan at the paper profile (the chapter's own call), in three stages.

    1. probe: the largest N alone for a few chunks (far from its escape): run-steps/s of the overlap chain;
    2. the scan without its largest N (cheap insurance: an exponent over the smaller Ns whatever happens next);
    3. the chapter's exact scan (all Ns, seed 0, ``record_every``), if its predicted time (stage 2's wall time
       plus the largest N's expected run-steps at the probe's rate) fits what is left of the cap.
    ``stage`` in the JSON says where a run that hit its cap stopped."""
    import numpy as np
    import torch

    from lofi_utils import escape_scans, sgd, sgd_chain
    from lofi_utils.profiles import get_profile

    dev = torch.device(a.device)
    if a.tiny:
        T = TINY["nscan"]
        Ns, seeds, c, cap, rec, probe_steps = T["Ns"], T["seeds"], T["c"], T["cap"], T["record"], T["probe_steps"]
    else:
        P = get_profile("amplitude_phase", "paper")
        Ns, seeds, c, cap, rec = list(P.n_scan.Ns), P.n_scan.seeds, P.n_scan.c, P.n_scan.cap, P.n_scan.record
        probe_steps = 2 << 20  # two chunks of 2^20 steps (the CUDA chunk of overlap_chain) at the largest N
    out.put(Ns=Ns, seeds=seeds, c=c, cap=cap, record_every=rec, device=str(dev), stage="probe")
    Nmax = max(Ns)
    # warm-up (CUDA context, kernels), then the probe: the largest N alone, far from its escape
    sgd_chain.overlap_chain(Nmax, eta=c / Nmax**2, max_steps=max(1, probe_steps // 32), runs=seeds, seed=98, device=dev)
    probe = sgd_chain.overlap_chain(Nmax, eta=c / Nmax**2, max_steps=probe_steps, runs=seeds, seed=99, device=dev)
    thr = probe.lane_steps / probe.seconds
    Na = np.asarray(Ns, dtype=float)
    expected = seeds * np.minimum(sgd.drift_escape_time(Na, c=c), cap * Na**3 / c)  # run-steps per N
    out.put(
        probe_N=Nmax,
        probe_steps=probe_steps,
        probe_seconds=probe.seconds,
        probe_run_steps_per_s=thr,
        expected_run_steps=_flist(expected),
        predicted_seconds=float(expected.sum() / thr),
        note=(
            "expected run-steps: the drift escape time 6 N^3/(|kappa_4| c) per run (noise neglected); "
            "predicted_seconds: their sum at the probe's rate (small-N chunks are slower per step)"
        ),
        stage="reduced scan",
    )
    t0 = time.perf_counter()
    small = escape_scans.escape_time_scan(Ns[:-1], seeds=seeds, c=c, cap=cap, seed=0, record_every=rec, device=dev)
    wall = time.perf_counter() - t0
    out.put(reduced=_scan_record(small, escape_scans.fit_escape_scan(small, c=c, seed=0, early=0.5, N_min=16), wall))
    predicted = wall + float(expected[-1] / thr)
    left = a.cap - (time.perf_counter() - _T0)
    out.put(predicted_seconds=predicted, predicted_within_10min=predicted <= 600.0, time_left_at_full_scan=left)
    if predicted > 0.9 * left:
        out.put(stage="done (full scan predicted not to fit)", full=None)
        print(f"full scan not run: predicted {predicted:.0f} s, {left:.0f} s left")
        return
    out.put(stage="full scan")
    t0 = time.perf_counter()
    scan = escape_scans.escape_time_scan(Ns, seeds=seeds, c=c, cap=cap, seed=0, record_every=rec, device=dev)
    wall = time.perf_counter() - t0
    fit = escape_scans.fit_escape_scan(scan, c=c, seed=0, early=0.5, N_min=16)
    out.put(full=_scan_record(scan, fit, wall), within_10min=wall <= 600.0, stage="done")
    print(scan.table())
    print(fit)


def child_lofi_big(a, out: _Progress) -> None:
    """Chapter 3's large Neural LoFi fit (the chapter's cell at the paper profile): time and peak memory."""
    import numpy as np
    import torch

    from lofi_utils import lofi as L
    from lofi_utils.lofi import model as lofi_model
    from lofi_utils.profiles import get_profile

    dev = torch.device(a.device)
    if a.tiny:
        T = TINY["lofi_big"]
        d, r, n, p, k, n_val, n_test = T["d"], T["r"], T["n"], T["p"], T["k"], T["n_val"], T["n_test"]
    else:
        P = get_profile("neural_lofi", "paper")
        d, r, n, p, k = P.task.d, P.task.r, P.algorithm.n, P.algorithm.p, P.algorithm.k
        n_val, n_test = P.comparison.val, P.comparison.test
    seed = 0
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, 1])
    task = L.hierarchical_target(d, r, rng=rng)
    X, y = task.sample(n, rng)
    Xv, yv = task.sample(n_val, rng)
    Xt, yt = task.sample(n_test, rng)
    model = L.NeuralLoFi([p, p], [k, None], seed=seed, device=dev)
    itemsize = torch.finfo(model.dtype).bits // 8
    cached = n * p * itemsize <= model.cache_limit()
    out.put(
        n=n,
        p=p,
        k=k,
        d=d,
        r=r,
        n_val=n_val,
        n_test=n_test,
        dtype=str(model.dtype),
        device=str(dev),
        data_seconds=time.perf_counter() - t0,
        Z_bytes=n * p * itemsize,
        Z_cached=cached,
        pxp_bytes=p * p * itemsize,
        nxn_gram_bytes=n * n * 8,
        expected_filter_bytes=(n * p + 3 * min(n, model.chunk) * p) * itemsize if cached else None,
        expected_solve_bytes=2 * (n + n_val) * n * 8,
        note=(
            "no p x p matrix by construction (layer1_solver 'subspace'). Two peaks: layer 1 holds Z (n x p, "
            "when cached) and the temporaries of one block of rows (expected_filter_bytes), then Z is freed; "
            "the dual readout holds the float64 n x n Gram, one Cholesky factor of it and the (n_val x n) "
            "validation Gram with its centred copy (expected_solve_bytes). peak_filter_over_pxp < 1 shows "
            "that no p x p matrix was formed (one would add p^2 to Z); at the paper sizes the solve's peak "
            "is close to p^2 float32 bytes by coincidence (2 n^2 * 8 = 2 * 50 000^2 * 8 = 37 GiB)"
        ),
    )
    peaks = {}
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        solve = lofi_model.fit_kernel_ridge  # the name NeuralLoFi.fit calls

        def solve_after_mark(*args, **kw):  # split the peak: layer 1 (and the Gram matrices), then the solve
            torch.cuda.synchronize()
            peaks["filter"] = torch.cuda.max_memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            return solve(*args, **kw)

        lofi_model.fit_kernel_ridge = solve_after_mark
    t0 = time.perf_counter()
    try:
        model.fit(X, y, X_val=Xv, y_val=yv)
    finally:
        if dev.type == "cuda":
            lofi_model.fit_kernel_ridge = solve
    _sync(dev)
    fit_s = time.perf_counter() - t0
    peak = peak_filter = peak_solve = None
    if dev.type == "cuda":
        last = torch.cuda.max_memory_allocated()
        peak_filter = peaks.get("filter", last)
        peak_solve = last if "filter" in peaks else None
        peak = max(peak_filter, peak_solve or 0)
    st = model.layers[0]
    out.put(
        fit_seconds=fit_s,
        peak_bytes=peak,
        peak_over_pxp=None if peak is None else peak / (p * p * itemsize),
        peak_filter_bytes=peak_filter,
        peak_solve_bytes=peak_solve,
        peak_filter_over_pxp=None if peak_filter is None else peak_filter / (p * p * itemsize),
        layer1_solver=st.solver,
        layer1_iterations=st.iterations,
        dual_readout=model.dual_readout,
        ridge_lambda=model.readout.lam,
    )
    t0 = time.perf_counter()
    mse = model.mse(Xt, yt)
    h1 = model.transform(Xt, upto=1).cpu().numpy()
    _sync(dev)
    r2 = L.span_r2(h1, task.hidden(Xt))
    out.put(
        predict_seconds=time.perf_counter() - t0,
        test_mse=mse,
        var_y=float(yt.var()),
        mse_over_var=mse / float(yt.var()),
        r2_hidden=_flist(r2),
        peak_bytes_with_predict=torch.cuda.max_memory_allocated() if dev.type == "cuda" else None,
    )
    print(
        f"NeuralLoFi n = {n}, p = {p}, k = {k} on {dev}: fit {fit_s:.1f} s"
        + (
            f", peak {peak / 2**30:.2f} GiB, of layer 1 {peak_filter / 2**30:.2f} GiB (one p x p matrix: "
            f"{p * p * itemsize / 2**30:.1f} GiB)"
            if peak
            else ""
        )
        + f"; layer 1 {st.solver}, {st.iterations} iterations; test MSE / Var y = {mse / yt.var():.3f}; "
        f"R^2 of the hidden projections {np.round(r2, 2)}"
    )


def child_depth(a, out: _Progress) -> None:
    """Chapter 3's depth study at the paper sizes, one n at a time from the largest down."""
    import numpy as np
    import torch

    from lofi_utils import lofi
    from lofi_utils.chapters.neural_lofi import depth
    from lofi_utils.profiles import get_profile

    dev = torch.device(a.device)
    if a.tiny:
        T = dict(TINY["depth"])
    else:
        P = get_profile("neural_lofi", "paper")
        T = dict(
            d=P.depth.d,
            r=P.depth.r,
            gain=P.depth.gain,
            ns=list(P.depth.ns),
            p1=P.depth.p1,
            p2=P.depth.p2,
            p_out=P.depth.pout,
            n_val=P.depth.val,
            n_test=P.depth.test,
            seeds=P.depth.seeds,
        )
    seed = 0
    task = lofi.hierarchical_target(
        T["d"], T["r"], gain=T["gain"], balanced=True, rng=np.random.default_rng([seed, 41])
    )
    rows = []
    out.put(sizes=T, order="largest n first", rows=rows, device=str(dev))
    for n in sorted(T["ns"], reverse=True):
        t0 = time.perf_counter()
        st = depth.depth_study(
            task,
            [n],
            p1=T["p1"],
            p2=T["p2"],
            p_out=T["p_out"],
            n_val=T["n_val"],
            n_test=T["n_test"],
            seeds=T["seeds"],
            seed=seed,
            device=dev,
        )
        _sync(dev)
        rel = {nm: _finite(st.mean(nm)[0] / st.var_y) for nm in st.mse}
        rows.append(
            dict(
                n=int(n),
                seconds=time.perf_counter() - t0,
                mse_over_var=rel,
                r2={nm: _finite(v.mean()) for nm, v in st.r2.items()},
                var_y=st.var_y,
            )
        )
        out.put(rows=rows)
        print(
            f"n = {n}: {time.perf_counter() - t0:.1f} s; test MSE / Var y: "
            + ", ".join(f"{nm} {v:.3f}" for nm, v in rel.items() if v is not None),
            flush=True,
        )


def _code_cells(path: Path) -> list[tuple[str, bool]]:
    """The code cells of a jupytext MyST notebook, in order, as ``(source, is_parameters_cell)`` (cell option
    lines such as ``:tags: [parameters]`` and IPython magics dropped)."""
    cells, cur, params = [], None, False
    for line in path.read_text().splitlines():
        if cur is None:
            if line.startswith("```{code-cell}"):
                cur, params = [], False
        elif line.startswith("```"):
            cells.append(("\n".join(cur), params))
            cur = None
        elif line.startswith(":") and not cur:
            params = params or "parameters" in line
        elif not line.lstrip().startswith("%"):
            cur.append(line)
    return cells


OPTIONAL_MODULES = ("ipywidgets", "IPython", "ipykernel")  # a cell that needs one of these is skipped


def child_notebook_cells(a, out: _Progress) -> None:
    """Run one chapter's code cells in order in one namespace (fallback when papermill/jupytext are missing).

    The ``parameters`` cell runs first as written, then ``profile`` is set to ``--profile`` (what papermill
    does); each cell's time and status go to the JSON; a cell that needs a missing module (ipywidgets on the
    device image) is skipped; any other error stops the chapter, as in the book's runner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = (ROOT / a.notebook).resolve()
    cells = _code_cells(path)
    os.chdir(path.parent)
    os.environ["LOFI_PROFILE"] = a.profile
    ns: dict = {"__name__": "__main__"}
    log = []
    out.put(notebook=str(a.notebook), profile=a.profile, cells_total=len(cells), cells=log)
    for i, (src, is_params) in enumerate(cells):
        first = next((ln for ln in src.splitlines() if ln.strip()), "")[:80]
        t0 = time.perf_counter()
        status, err = "ok", None
        try:
            exec(compile(src, f"<{path.name} cell {i}>", "exec"), ns)
            if is_params:
                ns["profile"] = a.profile
        except Exception as e:  # noqa: BLE001 -- record; stop unless an optional module was missing
            if isinstance(e, ModuleNotFoundError) and str(e.name).split(".")[0] in OPTIONAL_MODULES:
                status, err = "skipped", f"missing module {e.name!r}"
            else:
                status, err = "failed", f"{type(e).__name__}: {e}"
                traceback.print_exc()
        log.append(dict(cell=i, first_line=first, seconds=time.perf_counter() - t0, status=status, error=err))
        out.put(cells=log, cells_done=i + 1)
        plt.close("all")
        if status == "failed":
            raise SystemExit(1)


CHILDREN = {"nscan": child_nscan, "lofi_big": child_lofi_big, "depth": child_depth, "notebook": child_notebook_cells}


def run_child(a) -> int:
    out = _Progress(a.json)
    if a.child != "notebook":  # as a chapter's first cell does (chapter.start): device, seeds, threads
        from lofi_utils.runtime import setup

        setup(0, device=a.device, threads=a.threads)
    out.put(started=time.time())
    try:
        CHILDREN[a.child](a, out)
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 -- the parent reads the error from the JSON
        traceback.print_exc()
        out.put(error=f"{type(e).__name__}: {e}")
        return 1
    out.put(finished=time.time())
    return 0


# =========================================================================== the parent: subprocesses under caps
_CURRENT: dict = {}


def _kill_current(*_, force: bool = False):
    """Kill the running step's process group (the step was started in a new session, so its group id is its
    pid); ``force``: also after the step's own process has exited."""
    proc = _CURRENT.get("proc")
    if proc is not None and (force or proc.poll() is None):
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the step's own process group (it was started in a new session)
        except ProcessLookupError:
            pass


def _on_signal(signum, frame):  # the run is stopped from outside: stop the step too
    _kill_current()
    raise SystemExit(128 + signum)


def run_process(cmd: list[str], cap: float, env: dict) -> dict:
    """Run ``cmd`` in its own session for at most ``cap`` seconds, echoing its output; kill its group at the cap."""
    t0 = time.perf_counter()
    lines: list[str] = []
    print("  $ " + " ".join(str(c) for c in cmd), flush=True)
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    _CURRENT["proc"] = proc

    def pump():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            print("  | " + line.rstrip("\n")[:300], flush=True)

    th = threading.Thread(target=pump, daemon=True)
    th.start()
    timed_out = False
    try:
        proc.wait(timeout=max(1.0, cap))
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_current()
        proc.wait()
    th.join(timeout=5)
    _kill_current(force=True)  # whatever the step left behind in its own process group
    _CURRENT.pop("proc", None)
    return dict(
        returncode=proc.returncode, timed_out=timed_out, seconds=time.perf_counter() - t0, output="\n".join(lines)
    )


def child_env(a) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(MPLBACKEND="Agg", TQDM_DISABLE="1", PYTHONUNBUFFERED="1", LOFI_THREADS=str(a.threads))
    if a.tiny:
        env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return env


def _num(s: str):
    try:
        return float(s.rstrip("xGB"))
    except ValueError:
        return None


def parse_bench_sgd(text: str) -> dict:
    """Rows of bench_sgd.py's table (run-steps/s and ratio to the naive loop) and its closing fit."""
    rows = {}
    row = r"^(naive per-sample loop.*?|phase_sgd.*?|overlap_chain.*?)\s+([0-9.e+-]+)\s+([0-9.]+)\s*$"
    for m in re.finditer(row, text, re.M):
        rows[m.group(1).strip()] = dict(run_steps_per_s=float(m.group(2)), x_naive=float(m.group(3)))
    full = [v["x_naive"] for k, v in rows.items() if k.startswith("phase_sgd")]
    chain = [v["x_naive"] for k, v in rows.items() if k.startswith("overlap_chain")]
    res = dict(rows=rows, full_sgd_x=full[0] if full else None, best_chain_x=max(chain) if chain else None)
    if full:
        res["target_50x_full_sgd"] = full[0] >= 50
    if chain:
        res["target_50x_best"] = max(full + chain) >= 50
    fit = r"N\^3 fit at profile .*?: ([0-9.]+) s for ([0-9.e+]+) run-steps.*?fitted exponent ([0-9.naN-]+)"
    m = re.search(fit, text)
    if m:
        res.update(
            bench_fit_seconds=float(m.group(1)),
            bench_fit_run_steps=float(m.group(2)),
            bench_fit_exponent=_finite(m.group(3)),
        )
    return res


def parse_bench_lofi(text: str) -> dict:
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) == 8 and f[0].isdigit():
            rows.append(
                dict(
                    p=int(f[0]),
                    dense_s=_num(f[1]),
                    free_s=_num(f[2]),
                    speedup=_num(f[3]),
                    iterations=int(f[4]),
                    sin_angle=_num(f[5]),
                    dense_peak_GB=_num(f[6]),
                    free_peak_GB=_num(f[7]),
                )
            )
    res = dict(rows=rows)
    big = [r for r in rows if r["p"] >= 16000 and r["speedup"] is not None]
    if big:
        res["target_5x_at_16k"] = big[0]["speedup"] >= 5 and big[0]["sin_angle"] <= 1e-6
    return res


def parse_layer_ntk(text: str) -> dict:
    res = {}
    for route in ("factorised", "jacobian"):
        m = re.search(rf"{route}\s*:\s*([0-9.]+) s\s+.*?([0-9.-]+) MB", text)
        if m:
            res[f"{route}_s"], res[f"{route}_MB"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"speed-up .*?: ([0-9.]+)x\s+memory ratio: ([0-9.]+)x", text)
    if m:
        res["speedup"], res["memory_ratio"] = float(m.group(1)), float(m.group(2))
    m = re.search(r"max relative difference .*?: ([0-9.e+-]+)", text)
    if m:
        res["max_rel_diff"] = float(m.group(1))
    return res


def _tail(text: str, n: int = 3000) -> str:
    return text[-n:]


def bench_command(name: str, a) -> list[str]:
    py = sys.executable
    th = str(a.threads)
    if name == "ch4_sgd_bench":
        extra = ["--N", "8", "--runs", "4"] if a.tiny else []
        return [py, "benchmarks/bench_sgd.py", "--device", a.device, "--profile", "smoke", "--threads", th, *extra]
    if name == "ch3_bench_lofi":
        sizes = (
            ["--p", "300", "--n", "400", "--k", "5", "--d", "16", "--r", "4"]
            if a.tiny
            else ["--p", "1000", "4000", "16000"]
        )
        return [py, "benchmarks/bench_lofi.py", "--device", a.device, "--threads", th, *sizes]
    if name == "ch2_layer_ntk":
        sizes = ["--n", "40", "--width", "32", "--depth", "3", "--d", "5", "--chunk", "20"] if a.tiny else []
        return [py, "benchmarks/bench_layer_ntk.py", "--device", a.device, "--threads", th, *sizes]
    raise KeyError(name)


def run_bench(name: str, a, cap: float, env: dict) -> dict:
    r = run_process(bench_command(name, a), cap, env)
    parse = {"ch4_sgd_bench": parse_bench_sgd, "ch3_bench_lofi": parse_bench_lofi, "ch2_layer_ntk": parse_layer_ntk}
    metrics = parse[name](r["output"])
    status = "timeout" if r["timed_out"] else ("ok" if r["returncode"] == 0 else "failed")
    return dict(
        status=status,
        seconds=r["seconds"],
        command=" ".join(bench_command(name, a)),
        metrics=metrics,
        returncode=r["returncode"],
        output_tail=_tail(r["output"]),
    )


def run_own_child(child: str, a, cap: float, env: dict, tmp: Path, *extra) -> dict:
    _CURRENT["n"] = _CURRENT.get("n", 0) + 1
    js = tmp / f"{child}_{_CURRENT['n']}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        child,
        "--json",
        str(js),
        "--device",
        a.device,
        "--cap",
        f"{cap:.1f}",
        "--threads",
        str(a.threads),
        *(["--tiny"] if a.tiny else []),
        *extra,
    ]
    r = run_process(cmd, cap, env)
    metrics = json.loads(js.read_text()) if js.exists() else {}
    status = "timeout" if r["timed_out"] else ("ok" if r["returncode"] == 0 and "error" not in metrics else "failed")
    return dict(
        status=status,
        seconds=r["seconds"],
        command=" ".join(cmd[1:]),
        metrics=metrics,
        returncode=r["returncode"],
        output_tail=_tail(r["output"]),
    )


def _checks_summary(directory: Path) -> dict:
    passed, failed = 0, []
    for f in directory.glob("*.jsonl"):
        for line in f.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if rec.get("passed"):
                passed += 1
            else:
                failed.append(
                    f"{rec.get('name')}: measured {rec.get('measured')} vs {rec.get('expected')} "
                    f"({rec.get('relation')}, tol {rec.get('tol')})"
                )
    return dict(checks_passed=passed, checks_failed=len(failed), failed_checks=failed[:20])


def _have(*mods) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in mods)


def run_notebooks(a, cap: float, env: dict, tmp: Path) -> dict:
    """Chapters at the paper profile (smoke in --tiny) with the time left, shared between them."""
    profile = "smoke" if a.tiny else "paper"
    use_runner = a.nb_runner == "papermill" or (a.nb_runner == "auto" and _have("papermill", "jupytext", "ipykernel"))
    books = NOTEBOOKS[:1] if a.tiny else NOTEBOOKS
    t_end = time.perf_counter() + cap
    results = []
    for i, nb in enumerate(books):
        left = t_end - time.perf_counter()
        share = left / (len(books) - i)
        if share < 20 and not a.tiny:
            results.append(dict(notebook=nb, status="skipped", reason=f"only {share:.0f} s left"))
            continue
        cdir = tmp / f"checks_{i}"
        cdir.mkdir(exist_ok=True)
        e = dict(env, LOFI_CHECKS_DIR=str(cdir), LOFI_PROFILE=profile)
        if use_runner:
            cmd = [
                sys.executable,
                "-m",
                "lofi_utils",
                "run",
                nb,
                "--profile",
                profile,
                "--output-dir",
                str(tmp / "runs"),
            ]
            r = run_process(cmd, share, e)
            rec = dict(notebook=nb, runner="papermill", seconds=r["seconds"], output_tail=_tail(r["output"], 1500))
            rec["status"] = "timeout" if r["timed_out"] else ("ok" if r["returncode"] == 0 else "failed")
            rec.update(_papermill_cells(tmp / "runs" / f"{Path(nb).stem}.{profile}.ipynb"))
        else:
            rec = run_own_child("notebook", a, share, e, tmp, "--notebook", nb, "--profile", profile)
            cells = rec["metrics"].get("cells", [])
            rec = dict(
                notebook=nb,
                runner="cells",
                status=rec["status"],
                seconds=rec["seconds"],
                cells_total=rec["metrics"].get("cells_total"),
                cells_done=len(cells),
                cells=[dict(c, seconds=round(c["seconds"], 2)) for c in cells],
                output_tail=_tail(rec["output_tail"], 1500),
            )
        rec.update(_checks_summary(cdir))
        results.append(rec)
    ran = [r for r in results if r["status"] != "skipped"]
    status = "ok" if ran and all(r["status"] == "ok" for r in ran) else ("timeout" if ran else "skipped")
    if any(r["status"] == "failed" for r in ran):
        status = "failed"
    return dict(
        status=status,
        seconds=sum(r.get("seconds", 0) for r in results),
        command=f"{'python -m lofi_utils run' if use_runner else 'cell executor'} NB --profile {profile}",
        metrics=dict(profile=profile, runner="papermill" if use_runner else "cells", chapters=results),
    )


def _papermill_cells(path: Path) -> dict:
    """Per-cell durations of a (possibly partial) papermill output notebook."""
    if not path.exists():
        return {}
    try:
        nb = json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    done = [c for c in code if c.get("metadata", {}).get("papermill", {}).get("duration") is not None]
    return dict(
        cells_total=len(code),
        cells_done=len(done),
        cells=[
            dict(
                cell=i,
                seconds=round(c["metadata"]["papermill"]["duration"], 2),
                first_line=("".join(c.get("source", "")).strip().splitlines() or [""])[0][:80],
            )
            for i, c in enumerate(done)
        ],
    )


# --------------------------------------------------------------------------- one line per step for the table
def _f(x, fmt: str = ".3g") -> str:
    """``x`` formatted, or ``?`` when it is missing."""
    return "?" if x is None else format(x, fmt)


def headline(name: str, res: dict) -> str:
    """The step's key numbers in one line (for the summary table)."""
    m = res.get("metrics") or {}
    g = m.get
    if name == "ch4_sgd_bench" and m:
        yes = {True: "yes", False: "NO", None: "?"}[g("target_50x_full_sgd")]
        return f"full SGD {_f(g('full_sgd_x'))}x, best chain {_f(g('best_chain_x'))}x naive; >= 50x (full SGD): {yes}"
    if name == "ch4_nscan_paper" and "probe_run_steps_per_s" in m:
        s = f"probe {_f(g('probe_run_steps_per_s'))} run-steps/s"
        for key in ("reduced", "full"):
            r = g(key)
            if r:
                s += (
                    f"; N = {r['Ns']}: {_f(r['wall_seconds'], '.0f')} s, exponent {_f(r['exponent'], '.2f')} ± "
                    f"{_f(r['exponent_se'], '.2f')}"
                )
        if not g("full"):
            s += f"; full scan predicted {_f(g('predicted_seconds'), '.0f')} s (stage: {g('stage')})"
        return s
    if name == "ch3_lofi_big" and "n" in m:
        s = f"n = {g('n')}, p = {g('p')}"
        if "fit_seconds" in m:
            s += f": fit {_f(g('fit_seconds'), '.0f')} s, layer-1 {g('layer1_solver')} {g('layer1_iterations')} it."
            if g("peak_bytes"):
                pf = g("peak_filter_bytes")
                s += (
                    f", peak {g('peak_bytes') / 2**30:.1f} GiB, layer 1 {_f(pf and pf / 2**30, '.1f')} GiB "
                    f"(p x p: {g('pxp_bytes') / 2**30:.0f} GiB, "
                    f"n x n Gram: {g('nxn_gram_bytes') / 2**30:.0f} GiB)"
                )
        if "mse_over_var" in m:
            s += f", MSE/Var y {_f(g('mse_over_var'), '.3f')}"
        return s
    if name == "ch3_bench_lofi" and g("rows"):
        return "; ".join(f"p={r['p']}: {_f(r['speedup'])}x, sin {_f(r['sin_angle'], '.0e')}" for r in g("rows"))
    if name == "ch3_depth_paper" and "rows" in m:
        return (
            "; ".join(
                f"n={r['n']}: 2 filters {_f(r['mse_over_var'].get('LoFi, 2 filters'), '.3f')}, 1 filter "
                f"{_f(r['mse_over_var'].get('LoFi, 1 filter'), '.3f')}"
                for r in g("rows")
            )
            or "no n finished"
        )
    if name == "ch2_layer_ntk" and m:
        return (
            f"factorised {_f(g('factorised_s'))} s, jacobian {_f(g('jacobian_s'))} s: {_f(g('speedup'))}x, "
            f"memory {_f(g('memory_ratio'))}x, max rel. diff {_f(g('max_rel_diff'), '.1e')}"
        )
    if name == "notebooks_paper" and "chapters" in m:
        return "; ".join(
            f"{Path(c['notebook']).stem[:2]} {c['status']}"
            + (
                f" {c.get('cells_done')}/{c.get('cells_total')} cells, {c.get('checks_passed', 0)} "
                f"checks pass, {c.get('checks_failed', 0)} fail"
                if c["status"] != "skipped"
                else ""
            )
            for c in g("chapters")
        )
    return res.get("reason") or res.get("error") or m.get("error") or ""


def environment(a) -> dict:
    import platform

    info = dict(
        python=sys.executable, python_version=platform.python_version(), host=platform.node(), cpus=os.cpu_count()
    )
    for mod in (
        "torch",
        "numpy",
        "scipy",
        "sklearn",
        "skimage",
        "matplotlib",
        "tqdm",
        "ipywidgets",
        "papermill",
        "jupytext",
    ):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 -- absent or broken: say so
            info[mod] = None
    import torch

    info["torch_cuda"] = torch.version.cuda
    info["cuda_available"] = torch.cuda.is_available()
    if torch.cuda.is_available():
        prop = torch.cuda.get_device_properties(0)
        info.update(
            gpu=prop.name,
            gpu_memory_GiB=round(prop.total_memory / 2**30, 1),
            gpu_multiprocessors=prop.multi_processor_count,
        )
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--budget", type=float, default=None, help="seconds for the whole run (default 540; 240 with --tiny)"
    )
    ap.add_argument("--out", default=str(ROOT / "_build" / "device_checks"), help="folder for device_checks.json")
    ap.add_argument("--tiny", "--dry-run", action="store_true", help="tiny sizes on the CPU: tests the script's logic")
    ap.add_argument("--device", default=None, help="cuda (default) or cpu (default with --tiny)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads per step (default 8; 1 with --tiny)")
    ap.add_argument("--only", nargs="+", choices=STEP_NAMES, help="run only these steps")
    ap.add_argument("--skip", nargs="+", choices=STEP_NAMES, default=[], help="skip these steps")
    ap.add_argument(
        "--nb-runner",
        choices=["auto", "papermill", "cells"],
        default="auto",
        help="how the notebooks step runs a chapter (auto: papermill when importable)",
    )
    ap.add_argument("--list", action="store_true", help="print the plan and exit")
    # child mode (one step in its own process)
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    ap.add_argument("--cap", type=float, default=600.0, help=argparse.SUPPRESS)
    ap.add_argument("--notebook", help=argparse.SUPPRESS)
    ap.add_argument("--profile", default="paper", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.device = a.device or ("cpu" if a.tiny else "cuda")
    a.threads = a.threads or (1 if a.tiny else 8)
    if a.child:
        return run_child(a)

    budget = a.budget if a.budget is not None else (240.0 if a.tiny else REFERENCE_BUDGET)
    scale = budget / REFERENCE_BUDGET
    todo = [s for s in STEPS if (not a.only or s[0] in a.only) and s[0] not in a.skip]
    if a.tiny:  # tiny steps take seconds: a minimum of 3 s each
        todo = [(*s[:5], 3, s[6]) for s in todo]
    if a.list:
        for name, issue, _chap, title, cap, mn, req in todo:
            print(
                f"{name:17s} issue {issue or '-'}  cap {min(cap * scale, budget):6.0f} s  min {mn:3d} s  "
                f"{'required' if req else 'optional'}  {title}"
            )
        return 0
    t_start = time.perf_counter()
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_json = out_dir / "device_checks.json"
    report = dict(
        script="benchmarks/device_checks.py",
        mode="tiny" if a.tiny else "gpu",
        budget_s=budget,
        started=time.strftime("%Y-%m-%d %H:%M:%S"),
        argv=sys.argv[1:],
        steps={},
    )
    try:
        report["environment"] = environment(a)
    except Exception as e:  # noqa: BLE001
        report["environment"] = dict(error=f"{type(e).__name__}: {e}")
    env_info = report["environment"]
    print(
        f"device checks ({report['mode']}), budget {budget:.0f} s: "
        + ", ".join(
            f"{k} {env_info.get(k)}" for k in ("python_version", "torch", "torch_cuda", "gpu", "gpu_memory_GiB")
        ),
        flush=True,
    )
    if a.device.startswith("cuda") and not env_info.get("cuda_available"):
        msg = (
            f"no CUDA torch: {env_info.get('python')} has torch {env_info.get('torch')} "
            f"(CUDA build: {env_info.get('torch_cuda')}), torch.cuda.is_available() is False. On the device "
            "machine run this script with the image's own python3 (PyTorch with CUDA), not .venv/bin/python "
            "(a CPU wheel that does not travel); nothing is installed here because the machine has no network."
        )
        print(msg, flush=True)
        report["error"] = msg
        _write_json(out_json, report)
        return 3
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    env = child_env(a)
    _write_json(out_json, report)
    with tempfile.TemporaryDirectory(prefix="device_checks_") as tmpd:
        tmp = Path(tmpd)
        for idx, (name, issue, chap, title, cap, mn, req) in enumerate(todo):
            elapsed = time.perf_counter() - t_start
            reserve = sum(s[5] for s in todo[idx + 1 :] if s[6])
            allowed = budget - elapsed - reserve - 5.0
            step_cap = min(cap * scale, allowed) if req else budget - elapsed - 5.0
            if a.tiny and name == "notebooks_paper":
                step_cap = min(step_cap, TINY["notebook_cap"])
            print(
                f"\n== {name} (issue {issue or '-'}, chapter {chap or '-'}): {title}; cap {step_cap:.0f} s", flush=True
            )
            res = dict(issue=issue, chapter=chap, title=title, cap_s=round(step_cap, 1))
            if step_cap < mn:
                res.update(status="skipped", seconds=0.0, reason=f"only {step_cap:.0f} s left (needs >= {mn} s)")
            else:
                try:
                    if name in ("ch4_sgd_bench", "ch3_bench_lofi", "ch2_layer_ntk"):
                        res.update(run_bench(name, a, step_cap, env))
                    elif name == "ch4_nscan_paper":
                        res.update(run_own_child("nscan", a, step_cap, env, tmp))
                    elif name == "ch3_lofi_big":
                        res.update(run_own_child("lofi_big", a, step_cap, env, tmp))
                    elif name == "ch3_depth_paper":
                        res.update(run_own_child("depth", a, step_cap, env, tmp))
                    else:
                        res.update(run_notebooks(a, step_cap, env, tmp))
                except Exception as e:  # noqa: BLE001 -- a step's failure never stops the run
                    res.update(
                        status="failed",
                        error=f"{type(e).__name__}: {e}",
                        seconds=0.0,
                        output_tail=traceback.format_exc()[-2000:],
                    )
            res["headline"] = headline(name, res)
            report["steps"][name] = res
            report["elapsed_s"] = round(time.perf_counter() - t_start, 1)
            _write_json(out_json, report)
            print(f"== {name}: {res['status']} in {res.get('seconds', 0):.0f} s. {res['headline']}", flush=True)
    total = time.perf_counter() - t_start
    report["elapsed_s"] = round(total, 1)
    _write_json(out_json, report)
    print(f"\nsummary ({report['mode']}, {env_info.get('gpu') or a.device}, {total:.0f} s of {budget:.0f} s):")
    print(f"{'step':17s} {'issue':>5s} {'status':8s} {'time/cap':>11s}  result")
    for name, res in report["steps"].items():
        print(
            f"{name:17s} {str(res['issue'] or '-'):>5s} {res['status']:8s} "
            f"{res.get('seconds', 0):5.0f}/{res['cap_s']:<5.0f}  {res['headline']}"
        )
    print(f"results: {out_json}")
    bad = [n for n, r in report["steps"].items() if r["status"] != "ok" and n != "notebooks_paper"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
