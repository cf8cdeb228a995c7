import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from lofi_utils.runner import NotebookFailed, parse_value, run_notebook

TINY = ROOT / "tests" / "data" / "tiny.md"


def _outputs(path):
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_parse_value():
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5
    assert parse_value("[1, 2]") == [1, 2] and parse_value("true") is True
    assert parse_value("none") is None and parse_value("relu") == "relu"


def test_runs_with_profile_and_parameters(tmp_path):
    res = run_notebook(TINY, profile="smoke", parameters={"seed": 5}, output_dir=tmp_path)
    assert res.output == tmp_path / "tiny.smoke.ipynb" and res.output.exists()
    assert "RESOLVED=smoke SEED=5" in _outputs(res.output)


def test_profile_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_PROFILE", "paper")
    res = run_notebook(TINY, output_dir=tmp_path)
    assert res.profile == "paper" and "RESOLVED=paper" in _outputs(res.output)


def test_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match="unknown profile"):
        run_notebook(TINY, profile="quick", output_dir=tmp_path)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['width'\].*declares: profile, seed, fail"):
        run_notebook(TINY, profile="smoke", parameters={"width": 3}, output_dir=tmp_path)
    with pytest.raises(ValueError, match="not found"):
        run_notebook(tmp_path / "missing.md", profile="smoke", output_dir=tmp_path)
    with pytest.raises(NotebookFailed, match="ValueError: asked to fail"):
        run_notebook(TINY, profile="smoke", parameters={"fail": True}, output_dir=tmp_path)


def test_cli_one_line_errors(tmp_path):
    cmd = [sys.executable, "-m", "lofi_utils", "run", str(TINY), "--output-dir", str(tmp_path)]
    bad = subprocess.run(cmd + ["--profile", "fast"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "unknown profile 'fast'" in bad.stderr
    failed = subprocess.run(cmd + ["--profile", "smoke", "-p", "fail", "true"], capture_output=True, text=True)
    assert failed.returncode == 1 and "ValueError: asked to fail" in failed.stderr
    assert "Traceback" not in failed.stderr
    ok = subprocess.run(cmd + ["--profile", "smoke", "-p", "seed", "2"], capture_output=True, text=True)
    assert ok.returncode == 0 and "tiny.smoke.ipynb" in ok.stdout
