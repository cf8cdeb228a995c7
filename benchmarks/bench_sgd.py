"""Throughput of the online-SGD simulators of the phase chapter, measured in one run.

Prints run-steps per second (independent SGD runs x steps, per wall-clock second) for

* a naive per-sample PyTorch loop (one run; one FFT-coloured sample, autograd and a projected step per
  iteration), the baseline;
* :func:`lofi_utils.sgd.phase_sgd`, the batched full N-dimensional SGD in Fourier coordinates;
* :func:`lofi_utils.sgd_chain.overlap_chain`, the exact overlap chain of the flat spectrum, stepped one step
  after the other (``sequential``) and solved by Newton on whole chunks (``parallel``);

their ratios to the baseline, and the wall time of the chapter's N^3 escape-time fit with the time the
baseline would need for the same work.

    python benchmarks/bench_sgd.py                      # CPU, the chapter's book sizes
    python benchmarks/bench_sgd.py --device cuda --profile paper
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing the package

from lofi_utils import escape_scans, phase_model, sgd, sgd_chain  # noqa: E402  (after the sys.path line)
from lofi_utils.profiles import get_profile  # noqa: E402


def naive_loop(
    N: int, steps: int, *, a: float = 0.0, beta: float = 5.0, c: float = 1.0, seed: int = 0, device="cpu"
) -> float:
    """The baseline: one run, one sample per iteration, autograd for the gradient. Returns steps per second."""
    model = phase_model.PhaseModel.make(N, a, beta=beta, rng=seed)
    g = torch.Generator(device=device).manual_seed(seed)
    dt = torch.float64
    sqrt_lam = torch.sqrt(torch.as_tensor(phase_model.power_spectrum(N, a), dtype=dt, device=device))
    u = torch.as_tensor(model.u, dtype=dt, device=device)
    w = torch.randn(N, generator=g, dtype=dt, device=device)
    w = w / w.norm()
    eta = c / N**2
    t0 = time.perf_counter()
    for _ in range(steps):
        z = torch.randn(N, generator=g, dtype=dt, device=device)
        y = 1.0 if torch.rand(1, generator=g, device=device).item() < 0.5 else -1.0
        if y > 0:
            nu = 1.0 if torch.rand(1, generator=g, device=device).item() < 0.5 else -1.0
            proj = z @ u
            z = z + ((proj + math.sqrt(beta) * nu) / math.sqrt(1 + beta) - proj) * u
        x = torch.fft.irfft(sqrt_lam * torch.fft.rfft(z, norm="ortho"), n=N, norm="ortho")
        w.requires_grad_(True)
        h = w @ x
        loss = y * (h**4 - 6 * h**2 + 3) / 24
        (grad,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            grad = grad - (grad @ w) * w
            w = w - eta * grad
            w = w / w.norm()
    if device != "cpu":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0)


def rate(res: sgd.EscapeResult) -> float:
    return res.lane_steps / res.seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--profile", default="book", choices=["smoke", "book", "paper"])
    ap.add_argument("--N", type=int, default=32, help="dimension of the throughput runs")
    ap.add_argument("--runs", type=int, default=64, help="runs per batch in the throughput runs")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: leave)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev, N, R = args.device, args.N, args.runs
    print(
        f"device {dev}"
        + (f" ({torch.cuda.get_device_name()})" if dev.startswith("cuda") else "")
        + f", torch {torch.__version__}, threads {torch.get_num_threads()}, N = {N}, {R} runs per batch"
    )
    naive_loop(N, 50, device=dev)  # warm-up
    base = naive_loop(N, 1500 if dev == "cpu" else 600, device=dev)
    rows = [("naive per-sample loop (1 run)", base)]
    model = phase_model.PhaseModel.make(N, 0.0, rng=0)
    steps_full = 4000 if dev == "cpu" else 20000
    sgd.phase_sgd(model.lam, model.u_fourier, eta=1 / N**2, max_steps=300, runs=R, threshold=0.999, device=dev)
    full = sgd.phase_sgd(
        model.lam, model.u_fourier, eta=1 / N**2, max_steps=steps_full, runs=R, threshold=0.999, device=dev
    )
    rows.append((f"phase_sgd, batched full SGD ({R} runs)", rate(full)))
    seq = sgd_chain.overlap_chain(
        N,
        eta=1 / N**2,
        max_steps=4000 if dev == "cpu" else 20000,
        runs=R,
        threshold=0.999,
        method="sequential",
        device=dev,
    )
    rows.append((f"overlap_chain, sequential ({R} runs)", rate(seq)))
    for RR in (R, 8 * R):
        par = sgd_chain.overlap_chain(
            N,
            eta=1 / N**2,
            max_steps=200_000 if dev == "cpu" else 2_000_000,
            runs=RR,
            threshold=0.999,
            method="parallel",
            device=dev,
        )
        rows.append((f"overlap_chain, parallel ({RR} runs)", rate(par)))
    print(f"\n{'simulator':45s} {'run-steps/s':>14s} {'x naive':>9s}")
    for name, r in rows:
        print(f"{name:45s} {r:14.3g} {r / base:9.1f}")

    P = get_profile("amplitude_phase", args.profile)
    t0 = time.perf_counter()
    scan = escape_scans.escape_time_scan(
        P.n_scan.Ns, seeds=P.n_scan.seeds, c=P.n_scan.c, cap=P.n_scan.cap, seed=0, device=dev
    )
    wall = time.perf_counter() - t0
    work = scan.result.lane_steps
    print(
        f"\nN^3 fit at profile {args.profile!r}: N = {list(P.n_scan.Ns)}, {P.n_scan.seeds} seeds, c = {P.n_scan.c}: "
        f"{wall:.1f} s for {work:.3g} run-steps (censored {np.mean(scan.censored):.2f}); fitted exponent "
        f"{scan.exponent:.2f}"
    )
    print(f"the naive loop would need {work / base:.3g} s for the same run-steps ({work / base / wall:.0f}x longer)")


if __name__ == "__main__":
    main()
