"""The paper-scale pipeline (lofi_utils.reproduce): cells, skip-and-resume, both engines end to end, summaries,
staleness, the command line, and the stored results recomputed from their own parameters."""

import json
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from lofi_utils.reproduce import core, engines, experiments
from lofi_utils.reproduce.core import Cell, Experiment


def _square(x: int, rep: int) -> dict:
    return {"value": x * x + rep}


TOY = Experiment(
    name="toy",
    chapter="toy_chapter",
    description="x squared",
    cell=_square,
    grids={"smoke": [{"x": x, "rep": 0} for x in (1, 2, 3)]},
    summary=lambda cells: {"total": sum(c["result"]["value"] for c in cells)},
    depends=("lofi_utils.streams",),
    compare=lambda a, b: "" if a == b else "differs",
)


def test_cell_keys_are_stable_file_names():
    assert core.cell_key({"N": 64, "c": 1.0, "rep": 0}) == "N=64_c=1_rep=0"
    assert core.cell_key({"cs": [0.5, 2.0], "d": 8}) == "cs=-0.5--2.0-_d=8"
    assert core.cell_key({"b": 1, "a": 2}) == core.cell_key({"a": 2, "b": 1})


def test_run_cell_writes_provenance_and_skips_what_exists(tmp_path):
    cell = TOY.cells("smoke")[1]
    rec = core.run_cell(TOY, cell, tmp_path)
    path = core.cell_path(cell, tmp_path)
    assert path == tmp_path / "toy_chapter" / "toy" / "smoke" / "rep=0_x=2.json" and path.exists()
    assert rec["result"] == {"value": 4} and rec["params"] == {"x": 2, "rep": 0}
    prov = rec["provenance"]
    assert {"version", "commit", "device", "torch", "numpy", "wall_s", "peak_rss_mb", "date", "threads"} <= set(prov)
    path.write_text(path.read_text().replace('"value": 4', '"value": 99'))  # a stored cell is not recomputed
    assert core.run_cell(TOY, cell, tmp_path)["result"] == {"value": 99}


def test_summary_needs_the_whole_grid_and_names_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setitem(experiments.EXPERIMENTS, "toy", TOY)
    core.run_cell(TOY, TOY.cells("smoke")[0], tmp_path / "cells")
    with pytest.raises(ValueError, match=r"toy \[smoke\]: 2 of 3 cells are missing"):
        core.summarise(TOY, "smoke", tmp_path / "cells", tmp_path / "results")
    rep = engines.run_cells(
        [(TOY, c) for c in TOY.cells("smoke")], engine="serial", cells_dir=tmp_path / "cells", progress=False
    )
    assert (rep.done, rep.skipped, rep.failed) == (2, 1, [])
    path = core.summarise(TOY, "smoke", tmp_path / "cells", tmp_path / "results")
    data = json.loads(path.read_text())
    assert data["summary"] == {"total": 1 + 4 + 9} and data["provenance"]["cells"] == 3
    assert data["code_hash"] == core.code_hash(TOY.depends)
    res = core.load_result(TOY, tmp_path / "results")
    assert not res.stale and "profile 'smoke', 3 cells" in res.provenance_line()
    data["code_hash"] = "0" * 16  # the code changed since
    path.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match="STALE"):
        assert core.load_result(TOY, tmp_path / "results").stale


def test_code_hash_ignores_docstrings_and_annotations_not_code(tmp_path, monkeypatch):
    import ast

    a = "def f(x: int) -> int:\n    '''doc'''\n    return x + 1\n"
    b = "def f(x):\n    '''other words'''\n\n    return x + 1\n"
    c = "def f(x):\n    return x + 2\n"
    dump = [ast.dump(core._strip_docstrings(ast.parse(s))) for s in (a, b, c)]
    assert dump[0] == dump[1] != dump[2]


@pytest.mark.parametrize("engine", ["local", "submitit-local"])
def test_engines_run_a_tiny_grid_end_to_end(tmp_path, engine):
    """joblib's loky workers and submitit's local executor run real cells (the chapter-3 emergence core)."""
    exp = experiments.get("emergence_grid")
    work = [(exp, c) for c in exp.cells("smoke")]
    rep = engines.run_cells(
        work,
        engine=engine,
        jobs=2,
        cells_dir=tmp_path / "cells",
        progress=False,
        slurm=engines.SlurmOptions(folder=str(tmp_path / "logs"), cpus=1),
    )
    assert rep.failed == [] and rep.done == len(work)
    serial = engines.run_cells(work, engine="serial", cells_dir=tmp_path / "serial", progress=False)
    assert serial.done == len(work)
    for _, c in work:  # same cell, same result, whatever the engine
        a = json.loads(core.cell_path(c, tmp_path / "cells").read_text())["result"]
        b = json.loads(core.cell_path(c, tmp_path / "serial").read_text())["result"]
        assert exp.compare(a, b) == ""
    again = engines.run_cells(work, engine=engine, jobs=2, cells_dir=tmp_path / "cells", progress=False)
    assert (again.done, again.skipped) == (0, len(work))  # resumable: nothing left to do


def test_a_failing_cell_is_reported_and_the_others_finish(tmp_path):
    bad = Experiment(
        name="bad",
        chapter="toy_chapter",
        description="",
        cell=lambda x, rep: {"v": 1 / x},
        grids={"smoke": [{"x": 0, "rep": 0}, {"x": 2, "rep": 0}]},
        summary=dict,
        depends=(),
        compare=lambda a, b: "",
    )
    rep = engines.run_cells([(bad, c) for c in bad.cells("smoke")], engine="serial", cells_dir=tmp_path, progress=False)
    assert rep.done == 1 and len(rep.failed) == 1 and "ZeroDivisionError" in rep.failed[0][1]
    assert "1 failed" in rep.line()


def test_bad_input_ends_in_one_line(tmp_path):
    with pytest.raises(ValueError, match="unknown engine 'gpu'; allowed: serial, local, slurm, submitit-local"):
        engines.run_cells([], engine="gpu", cells_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown experiment or chapter 'nope'"):
        experiments.by_target(["nope"])
    with pytest.raises(ValueError, match="has no grid for profile 'huge'"):
        TOY.cells("huge")
    exp = experiments.get("emergence_grid")
    if shutil.which("sbatch") is None:
        with pytest.raises(ValueError, match="engine 'slurm' needs a Slurm cluster"):
            engines.run_cells([(exp, exp.cells("smoke")[0])], engine="slurm", cells_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        engines.run_cells([(exp, exp.cells("smoke")[0])], engine="local", jobs=0, cells_dir=tmp_path)


def test_targets_select_experiments_by_name_or_chapter():
    names = [e.name for e in experiments.by_target(["amplitude_phase"])]
    assert names == ["escape_n_scan", "escape_c_scan", "powerlaw_exponent"]
    both = [e.name for e in experiments.by_target(["emergence_grid", "neural_lofi"])]
    assert both == ["emergence_grid", "lofi_vs_kernels"]  # each once, in declaration order
    assert len(experiments.by_target([])) == len(experiments.EXPERIMENTS)


def test_the_command_lists_every_experiment_and_runs_a_grid(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "lofi_utils",
        "reproduce",
        "--cells",
        str(tmp_path / "c"),
        "--results",
        str(tmp_path / "r"),
    ]
    out = subprocess.run(cmd + ["--list"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0
    for name in experiments.EXPERIMENTS:
        assert name in out.stdout
    run = subprocess.run(
        cmd + ["emergence_grid", "--profile", "smoke", "--engine", "serial"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "r" / "neural_lofi" / "emergence_grid.json").exists()
    bad = subprocess.run(cmd + ["nope"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "unknown experiment" in bad.stderr


def test_summaries_decide_their_laws_on_synthetic_cells():
    # escape times exactly 7 N^3: the N-scan exponent is 3 with a tight interval; T/N^3 collapses
    rng = np.random.default_rng(0)
    cells = [
        {"params": {"N": N, "c": 1.0}, "result": {"times": (7 * N**3 * rng.uniform(0.9, 1.1, 64)).tolist()}}
        for N in (16, 32, 64, 128)
    ]
    s = experiments.n_scan_summary(cells)
    assert s["exponent"]["exponent"] == pytest.approx(3.0, abs=0.05) and s["exponent"]["hi"] < 3.2
    assert s["collapse_max_over_min"] < 1.1
    # overlaps that switch on at n = d r (c = 1): the n/(d r) spread is zero, the n/d^2 one is not
    cs = [0.25, 0.5, 1.0, 2.0, 4.0]
    excess = np.array([0.0, 0.2, 0.6, 0.9, 1.0])  # above the chance level r/d of a random r-dim subspace
    em = [
        {"params": {"d": d, "r": r, "cs": cs}, "result": {"overlap": (r / d + (1 - r / d) * excess).tolist()}}
        for d, r in [(32, 4), (64, 4), (64, 8)]
    ]
    sp = experiments.emergence_summary(em)["spread"]
    assert sp["n/(d r)"] < 1e-9 < 0.3 < sp["n/d^2"]

    # LoFi better than RF(2p) at every n, worse than the NNGP at small n and better at large n (paired)
    def mse(n, rep):
        lofi = 0.5 - 0.1 * np.log2(n / 1000) + 0.001 * rep
        ntk = 0.46 + 0.002 * rep
        return {
            "RF(2p)": lofi + 0.2,
            "LoFi": lofi,
            "NNGP (depth 2)": 0.45 + 0.001 * rep,
            "NTK (depth 2)": ntk,
            "kernel LoFi": 0.4,
        }

    lk = [
        {"params": {"n": n, "rep": k}, "result": {"mse": mse(n, k), "var_y": 1.0}}
        for n in (1000, 4000)
        for k in range(3)
    ]
    lks = experiments.lofi_kernels_summary(lk)
    assert lks["wins"] == {
        "RF(2p)": [1000, 4000],
        "NNGP (depth 2)": [4000],
        "NTK (depth 2)": [4000],
        "kernel LoFi": [4000],
    }
    assert lks["losses"] == {"NNGP (depth 2)": [1000], "NTK (depth 2)": [1000], "kernel LoFi": [1000]}
    assert lks["rows"][-1]["kernel_lofi_minus_nngp"][0] == pytest.approx(-0.051, abs=1e-3)
    assert lks["rows"][-1]["kernel_lofi_minus_ntk"][0] == pytest.approx(-0.062, abs=1e-3)
    assert set(lks["pooled"]) == {
        "LoFi - RF(2p)",
        "LoFi - NNGP",
        "LoFi - NTK",
        "kernel LoFi - NNGP",
        "kernel LoFi - NTK",
    }


def test_sizes_text_writes_the_sentence_of_a_result():
    from lofi_utils.chapters.neural_lofi.at_scale import sizes_text

    assert sizes_text([]) == "no n" and sizes_text([8000]) == "n = 8000"
    assert sizes_text([1000, 2000, 4000]) == "n = 1000, 2000 and 4000"


RESULTS = sorted((ROOT / "results").glob("*/*.json"))


@pytest.mark.parametrize("path", RESULTS, ids=[p.stem for p in RESULTS])
def test_stored_results_are_the_codes_output(path):
    """A randomly chosen stored cell of every stored experiment, recomputed from its parameters, agrees with the
    stored value (cells that took over 30 s are left to `tasks.py reproduce`)."""
    data = json.loads(path.read_text())
    exp = experiments.get(data["experiment"])
    assert data["provenance"]["cells"] == len(data["cells"]) == len(exp.grids[data["profile"]])
    cheap = [c for c in data["cells"] if c["wall_s"] < 30]
    assert cheap, f"{path.name}: no stored cell is cheap enough to recompute in a test"
    cell = random.Random(path.stem).choice(cheap)
    kw = dict(cell["params"])
    if exp.uses_device:
        kw["device"] = "cpu"
    fresh = json.loads(json.dumps(core._jsonable(exp.cell(**kw))))
    assert exp.compare(cell["result"], fresh) == "", f"{path.name} cell {Cell(exp.name, exp.chapter, '', kw).key}"
    assert exp.summary([{"params": c["params"], "result": c["result"]} for c in data["cells"]]) is not None
