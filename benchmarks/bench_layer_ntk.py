"""Per-layer empirical NTK of an MLP: the factorised formula against explicit ``torch.func`` Jacobians.

One run prints, for the same network and inputs (default N = 2000 points, width 1024, L = 4 layers,
input dimension 10, float32), the wall time and the peak memory of

* ``factorised``: :func:`lofi_utils.ntk.empirical_layer_ntk`, ``Theta_hat_l = (H H^T / n + beta^2) * (Delta Delta^T)``
  from one forward and one backward pass (O(N^2 n) per layer, no Jacobian);
* ``jacobian``: :func:`lofi_utils.ntk.jacobian_layer_ntk_blocked`, ``J J^T`` from per-sample Jacobians
  (``vmap(jacrev)``) in blocks of samples (O(N^2 #params); the unblocked route would need the whole
  N x #params Jacobian, 8 GB at these sizes),

their ratios, and the largest relative difference between the two results. Each route runs in its own
fresh process, so that its peak memory is its own: the peak resident set size above the process's
baseline on a CPU, ``torch.cuda.max_memory_allocated`` on a GPU (picked when present).

    python benchmarks/bench_layer_ntk.py                       # N = 2000, width 1024, L = 4
    python benchmarks/bench_layer_ntk.py --n 500 --width 256   # a quick run
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue as queue_mod
import resource
import tempfile
import time

import numpy as np


def _rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _worker(route: str, args: dict, out_path: str, queue) -> None:
    import torch

    from lofi_utils.ntk import MLP, empirical_layer_ntk, jacobian_layer_ntk_blocked
    from lofi_utils.sphere import sample_sphere

    if args["threads"]:
        torch.set_num_threads(args["threads"])
    device = torch.device(args["device"])
    x = sample_sphere(args["n"], args["d"], radius=args["d"] ** 0.5, rng=np.random.default_rng(0))
    x = torch.as_tensor(x, dtype=torch.float32, device=device)
    model = MLP(args["d"], args["width"], args["depth"], seed=0, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_mb()
    t0 = time.perf_counter()
    if route == "factorised":
        G = empirical_layer_ntk(model, x)
    else:
        G = jacobian_layer_ntk_blocked(model, x, chunk=args["chunk"])
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    if device.type == "cuda":
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10 - base  # ru_maxrss is in kB
    np.save(out_path, G.cpu().numpy())
    queue.put((seconds, peak))


def run_route(route: str, args: dict, out_path: str) -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_worker, args=(route, args, out_path, q))
    p.start()
    while True:  # a worker that dies (e.g. out of memory) never answers: do not wait forever
        try:
            seconds, peak = q.get(timeout=5)
            break
        except queue_mod.Empty:
            if not p.is_alive():
                raise RuntimeError(f"the {route} route died (exit code {p.exitcode})") from None
    p.join()
    if p.exitcode:
        raise RuntimeError(f"the {route} route failed (exit code {p.exitcode})")
    return seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="number of inputs N (default %(default)s)")
    ap.add_argument("--width", type=int, default=1024, help="hidden width (default %(default)s)")
    ap.add_argument("--depth", type=int, default=4, help="weight layers L (default %(default)s)")
    ap.add_argument("--d", type=int, default=10, help="input dimension (default %(default)s)")
    ap.add_argument("--chunk", type=int, default=250, help="samples per Jacobian block (default %(default)s)")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per route (0: torch's default)")
    a = ap.parse_args()
    import torch

    device = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    args = dict(n=a.n, width=a.width, depth=a.depth, d=a.d, chunk=a.chunk, device=device, threads=a.threads)
    n_params = a.d * a.width + (a.depth - 2) * a.width**2 + a.width + (a.depth - 1) * a.width + 1
    print(
        f"per-layer empirical NTK: N = {a.n}, width {a.width}, L = {a.depth}, d = {a.d}, "
        f"{n_params / 1e6:.2f} M parameters, float32, device {device}"
        + (
            f" ({torch.cuda.get_device_name()})"
            if device == "cuda"
            else f", {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
    )
    mem = "peak GPU memory" if device == "cuda" else "peak RSS above baseline"
    with tempfile.TemporaryDirectory() as tmp:
        res = {}
        for route in ("factorised", "jacobian"):
            path = os.path.join(tmp, f"{route}.npy")
            res[route] = run_route(route, args, path)
            print(f"  {route:10s}: {res[route][0]:9.2f} s   {mem} {res[route][1]:9.1f} MB", flush=True)
        A, B = np.load(os.path.join(tmp, "factorised.npy")), np.load(os.path.join(tmp, "jacobian.npy"))
    rel = max(float(np.abs(A[l] - B[l]).max() / np.abs(B[l]).max()) for l in range(A.shape[0]))
    (tf, mf), (tj, mj) = res["factorised"], res["jacobian"]
    print(f"  speed-up (jacobian time / factorised time): {tj / tf:.1f}x   memory ratio: {mj / max(mf, 1e-9):.1f}x")
    print(f"  max relative difference between the two results (per layer, float32): {rel:.1e}")
    print(f"  load average after the run: {os.getloadavg()[0]:.1f}" if device != "cuda" else "")


if __name__ == "__main__":
    main()
