"""The unit tests hold whichever CPU kernels torch picks.

torch chooses its vectorised CPU kernels by the processor (``AVX512`` on recent Xeon and EPYC
chips, ``AVX2`` on most others, ``DEFAULT`` elsewhere); each family rounds differently. A test
that compares two float32 code paths too tightly passes on one family and fails on another, so the
suite runs itself once more here, in subprocesses forced to other families
(``ATEN_CPU_CAPABILITY``) and thread counts: a CPU-dependent tolerance fails on any machine.
``python3 tasks.py kernels`` runs the whole matrix (default, avx2, native x 1, 2 threads).
"""

import os
import subprocess
import sys

import pytest
from conftest import ROOT

#: the unit tests only: chapters, book builds, the browser walk and this file are left out
UNIT = [
    "-m",
    "not notebook and not build and not kernels",
    "--ignore=tests/test_browser.py",
    "--ignore=tests/test_cpu_kernels.py",
    "-p",
    "no:cacheprovider",
    "-q",
    "-x",
    # a 40 s end-to-end run of a benchmark script, no numerics of its own
    "--deselect",
    "tests/test_benchmarks.py::test_tiny_mode_runs_and_records_every_step",
]


def _capability(env: dict) -> str:
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.kernels
@pytest.mark.parametrize("capability,threads", [("default", 1), ("avx2", 2)])
def test_unit_suite_passes_under_another_kernel_family(capability, threads):
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability, LOFI_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    got = _capability(env)
    if capability == "avx2" and got != "AVX2":
        pytest.skip(f"this CPU cannot run the AVX2 kernels (torch uses {got})")
    assert got == capability.upper()
    proc = subprocess.run([sys.executable, "-m", "pytest", *UNIT], cwd=ROOT, env=env, capture_output=True, text=True)
    tail = "\n".join(proc.stdout.splitlines()[-30:])
    assert proc.returncode == 0, f"unit tests under ATEN_CPU_CAPABILITY={capability}, {threads} thread(s):\n{tail}"
