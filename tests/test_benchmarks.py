"""The device-check script ``benchmarks/device_checks.py``: its tiny CPU mode runs every step and records it,
its parsers read what the benchmark scripts print, and it refuses to run the GPU checks without CUDA."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "device_checks.py"


def _module():
    spec = importlib.util.spec_from_file_location("device_checks", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def test_tiny_mode_runs_and_records_every_step(tmp_path):
    """About a minute on two CPU cores (each step is a fresh process; one torch thread)."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "--nb-runner", "cells", "--out", str(out)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=170,
    )
    log = proc.stdout[-4000:] + proc.stderr[-2000:]
    report = json.loads((out / "device_checks.json").read_text())
    mod = _module()
    assert list(report["steps"]) == mod.STEP_NAMES, log
    for name, res in report["steps"].items():
        expected = ("ok", "timeout") if name == "notebooks_paper" else ("ok",)
        assert res["status"] in expected, f"{name}: {res['status']}\n{res.get('output_tail', '')}\n{log}"
    assert proc.returncode == 0, log
    assert "summary (tiny" in proc.stdout
    s = report["steps"]
    sgd = s["ch4_sgd_bench"]["metrics"]
    assert len(sgd["rows"]) == 5 and sgd["full_sgd_x"] > 1 and sgd["best_chain_x"] > 1
    scan = s["ch4_nscan_paper"]["metrics"]
    assert scan["stage"] == "done" and scan["full"]["Ns"] == mod.TINY["nscan"]["Ns"]
    assert scan["reduced"]["Ns"] == mod.TINY["nscan"]["Ns"][:-1]
    assert scan["full"]["exponent"] > 1 and scan["probe_run_steps_per_s"] > 0
    big = s["ch3_lofi_big"]["metrics"]
    assert big["layer1_solver"] == "subspace" and big["dual_readout"] and big["mse_over_var"] < 1
    assert len(big["r2_hidden"]) == mod.TINY["lofi_big"]["r"]
    rows = s["ch3_bench_lofi"]["metrics"]["rows"]
    assert [r["p"] for r in rows] == [300] and rows[0]["sin_angle"] < 1e-6  # dense and matrix-free agree
    depth = s["ch3_depth_paper"]["metrics"]["rows"]
    assert [r["n"] for r in depth] == sorted(mod.TINY["depth"]["ns"], reverse=True)
    assert set(depth[0]["mse_over_var"]) == {"LoFi, 2 filters", "LoFi, 1 filter", "RF(500)", "RF on u (oracle)"}
    ntk = s["ch2_layer_ntk"]["metrics"]
    assert ntk["max_rel_diff"] < 1e-4 and ntk["jacobian_s"] >= 0
    chapters = s["notebooks_paper"]["metrics"]["chapters"]
    assert chapters[0]["runner"] == "cells" and chapters[0]["cells_done"] >= 1
    assert chapters[0]["cells"][0]["status"] == "ok"


def test_parsers_read_the_benchmark_printouts():
    mod = _module()
    sgd = mod.parse_bench_sgd(
        "simulator                                        run-steps/s   x naive\n"
        "naive per-sample loop (1 run)                        5.4e+03       1.0\n"
        "phase_sgd, batched full SGD (64 runs)               2.78e+05      51.6\n"
        "overlap_chain, sequential (64 runs)                 2.56e+05      47.4\n"
        "overlap_chain, parallel (512 runs)                  9.94e+05     184.1\n"
        "N^3 fit at profile 'smoke': N = [12, 16, 24], 32 seeds, c = 1.0: 3.7 s for 7.81e+06 run-steps "
        "(censored 0.02); fitted exponent 4.96\n"
    )
    assert sgd["full_sgd_x"] == 51.6 and sgd["best_chain_x"] == 184.1 and sgd["target_50x_full_sgd"]
    assert sgd["bench_fit_seconds"] == 3.7 and sgd["bench_fit_exponent"] == 4.96
    lofi = mod.parse_bench_lofi(
        "      p   dense s   free s  speed-up  iters  sin(angle)  dense peak  free peak\n"
        "  16000    841.00    13.00     64.7x     30     2.7e-10      2.10GB     0.40GB\n"
        "  32000         -    40.00         -     31           -           -     0.80GB\n"
    )
    assert lofi["rows"][0]["speedup"] == 64.7 and lofi["target_5x_at_16k"]
    assert lofi["rows"][1]["dense_s"] is None and lofi["rows"][1]["free_peak_GB"] == 0.8
    ntk = mod.parse_layer_ntk(
        "  factorised:      1.20 s   peak GPU memory     266.0 MB\n"
        "  jacobian  :    354.70 s   peak GPU memory    3159.0 MB\n"
        "  speed-up (jacobian time / factorised time): 295.6x   memory ratio: 11.9x\n"
        "  max relative difference between the two results (per layer, float32): 9.4e-07\n"
    )
    assert ntk == dict(
        factorised_s=1.2,
        factorised_MB=266.0,
        jacobian_s=354.7,
        jacobian_MB=3159.0,
        speedup=295.6,
        memory_ratio=11.9,
        max_rel_diff=9.4e-07,
    )


@pytest.mark.parametrize("nb", ["02_layerwise", "03_neural_lofi", "04_amplitude_phase"])
def test_cell_executor_reads_the_chapters(nb):
    """The device fallback executes the code cells itself: the parameters cell must be found and first, and no
    cell option line or IPython magic may reach ``exec``."""
    cells = _module()._code_cells(ROOT / "notebooks" / f"{nb}.md")
    assert cells[0][1] and "profile = None" in cells[0][0]
    assert sum(p for _, p in cells) == 1
    for src, _ in cells:
        compile(src, nb, "exec")
        assert not any(ln.startswith((":", "%")) for ln in src.splitlines())


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present: the script would run")
def test_gpu_mode_without_cuda_says_so(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", "ch2_layer_ntk", "--out", str(tmp_path)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3
    assert "no CUDA torch" in proc.stdout
    assert "no CUDA torch" in json.loads((tmp_path / "device_checks.json").read_text())["error"]
