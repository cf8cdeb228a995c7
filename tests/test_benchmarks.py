"""The speed benchmarks (``benchmarks/bench_*.py``) run at tiny sizes on the CPU and print their ratios. Nothing
about speed is asserted (benchmarks measure, tests do not time); this only keeps the scripts working."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

TINY = {
    "bench_sgd.py": ["--device", "cpu", "--profile", "smoke", "--threads", "1", "--N", "8", "--runs", "4"],
    "bench_lofi.py": [
        "--device",
        "cpu",
        "--threads",
        "1",
        "--p",
        "300",
        "--n",
        "400",
        "--k",
        "5",
        "--d",
        "16",
        "--r",
        "4",
    ],
    "bench_layer_ntk.py": [
        "--device",
        "cpu",
        "--threads",
        "1",
        "--n",
        "40",
        "--width",
        "32",
        "--depth",
        "3",
        "--d",
        "5",
        "--chunk",
        "20",
    ],
}


@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_at_tiny_sizes(script):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *TINY[script]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip(), f"{script} printed nothing"


def test_every_benchmark_is_exercised():
    assert sorted(p.name for p in (ROOT / "benchmarks").glob("bench_*.py")) == sorted(TINY)
