"""Benchmark: one Neural LoFi layer with the dense top-k against the matrix-free top-k.

For each width ``p`` the layer (lift -> signed covariance -> top-``k`` by ``|lambda|`` -> projected
features) is fitted twice on the same data and the same lift, each in a fresh process so that its peak
memory is its own:

* ``dense``: forms the ``p x p`` matrix ``C = Z^T diag(w) Z / n`` and calls a full ``eigh``;
* ``matrix-free``: block subspace iteration with Rayleigh--Ritz on ``v -> Z^T (w * (Z v)) / n``
  (:func:`lofi_utils.lofi.top_k_abs`, ``method="subspace"``); no ``p x p`` matrix exists.

It prints, in one run, the fit times, their ratio, the sine of the largest principal angle between the two
filter subspaces, and the peak memory (resident set size on the CPU, ``max_memory_allocated`` on CUDA).
Targets: matrix-free at least 5x faster at ``p = 16k, k = 50`` with the same subspace to 1e-6.

    python benchmarks/bench_lofi.py                       # p = 1k, 4k, 16k; n = 2000, k = 50, CPU
    python benchmarks/bench_lofi.py --p 1000 4000 --n 4000 --device cuda
    python benchmarks/bench_lofi.py --skip-dense-above 4000   # dense is O(p^3): ~6 min at p = 16k on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(args) -> None:
    """Child process: fit one layer with one method; write timing, memory and the filter to ``args.out``."""
    import numpy as np
    import torch

    from lofi_utils import lofi as L
    from lofi_utils.lofi import hierarchical_target

    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    dtype = torch.float64
    rng = np.random.default_rng(0)
    task = hierarchical_target(args.d, args.r, rng=rng)
    X, y = task.sample(args.n, rng)
    H = torch.as_tensor(X, device=dev, dtype=dtype)
    w = torch.as_tensor(y - y.mean(), device=dev, dtype=dtype)
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    p = args.p[0]
    lift = L.RandomLift(args.d, p, seed=1, device=dev, dtype=dtype).fit_scale(H).fit_mean(H)
    Z = lift(H)
    op = L.SignedCovariance(w, Z=Z)
    res = L.top_k_abs(op, args.k, method=args.method, seed=2)
    Hn = Z @ res.vectors
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    mem = (
        torch.cuda.max_memory_allocated()
        if dev.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    np.save(args.out + ".npy", res.vectors.cpu().numpy())
    with open(args.out + ".json", "w") as f:
        json.dump(
            {
                "seconds": dt,
                "peak_bytes": mem,
                "iterations": res.iterations,
                "shape": list(Hn.shape),
                "products": op.n_products,
            },
            f,
        )


def run_child(p: int, method: str, a, tmp: str) -> dict:
    out = os.path.join(tmp, f"{method}_{p}")
    cmd = [
        sys.executable,
        __file__,
        "--one",
        "--p",
        str(p),
        "--method",
        method,
        "--out",
        out,
        "--n",
        str(a.n),
        "--d",
        str(a.d),
        "--r",
        str(a.r),
        "--k",
        str(a.k),
        "--device",
        a.device,
        "--threads",
        str(a.threads),
    ]
    subprocess.run(cmd, check=True)
    with open(out + ".json") as f:
        rec = json.load(f)
    rec["vectors"] = out + ".npy"
    return rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--p", type=int, nargs="+", default=[1000, 4000, 16000])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("LOFI_THREADS", "2") or 2))
    ap.add_argument("--skip-dense-above", type=int, default=None, help="do not run the dense solver above this p")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="subspace", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        one(a)
        return
    import numpy as np

    from lofi_utils.lofi import subspace_distance

    print(f"Neural LoFi layer: n = {a.n}, d = {a.d}, k = {a.k}, float64, device {a.device}, {a.threads} threads")
    print(
        f"{'p':>7s} {'dense s':>9s} {'free s':>8s} {'speed-up':>9s} {'iters':>6s} {'sin(angle)':>11s} "
        f"{'dense peak':>11s} {'free peak':>10s}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for p in a.p:
            free = run_child(p, "subspace", a, tmp)
            dense = None
            if a.skip_dense_above is None or p <= a.skip_dense_above:
                dense = run_child(p, "dense", a, tmp)
            if dense is not None:
                dist = subspace_distance(np.load(dense["vectors"]), np.load(free["vectors"]))
                speedup = dense["seconds"] / free["seconds"]
                print(
                    f"{p:7d} {dense['seconds']:9.2f} {free['seconds']:8.2f} {speedup:8.1f}x "
                    f"{free['iterations']:6d} {dist:11.1e} {dense['peak_bytes'] / 2**30:9.2f}GB "
                    f"{free['peak_bytes'] / 2**30:8.2f}GB",
                    flush=True,
                )
            else:
                print(
                    f"{p:7d} {'-':>9s} {free['seconds']:8.2f} {'-':>9s} {free['iterations']:6d} {'-':>11s} "
                    f"{'-':>11s} {free['peak_bytes'] / 2**30:8.2f}GB",
                    flush=True,
                )
    print(
        "peak = resident set size of the fitting process (CPU) or torch.cuda.max_memory_allocated (CUDA); "
        "the dense p x p matrix alone is 8 p^2 bytes."
    )


if __name__ == "__main__":
    main()
