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


def test_profile_as_a_parameter(tmp_path, monkeypatch):
    # -p profile smoke without --profile runs at smoke (it used to be overwritten by the default)
    monkeypatch.delenv("LOFI_PROFILE", raising=False)
    res = run_notebook(TINY, parameters={"profile": "smoke"}, output_dir=tmp_path)
    assert res.profile == "smoke" and "RESOLVED=smoke" in _outputs(res.output)
    same = run_notebook(TINY, profile="smoke", parameters={"profile": "SMOKE"}, output_dir=tmp_path)
    assert same.profile == "smoke"
    with pytest.raises(ValueError, match="profile is given twice, as 'book' and as parameter profile='smoke'"):
        run_notebook(TINY, profile="book", parameters={"profile": "smoke"}, output_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        run_notebook(TINY, parameters={"profile": "fast"}, output_dir=tmp_path)
    with pytest.raises(ValueError, match="profile must be a name"):
        run_notebook(TINY, parameters={"profile": 3}, output_dir=tmp_path)


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "10"])
def test_bad_timeout(bad, tmp_path):
    with pytest.raises(ValueError, match=r"timeout \(seconds per cell, or none\) must be an integer >= 1"):
        run_notebook(TINY, profile="smoke", timeout=bad, output_dir=tmp_path)


def test_unwritable_output_dir(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="cannot write the executed notebook to --output-dir"):
        run_notebook(TINY, profile="smoke", output_dir=blocker / "runs")


def _cli(*args):
    proc = subprocess.run(
        [sys.executable, "-m", "lofi_utils", *map(str, args)], capture_output=True, text=True, cwd=ROOT
    )
    return proc.returncode, proc.stderr.strip(), proc.stdout


def test_cli_bad_inputs_end_in_one_line(tmp_path):
    run = ["run", TINY, "--output-dir", tmp_path]
    cases = [
        (
            run + ["--profile", "smoke", "-p", "sleep", "30", "--timeout", "2"],
            1,
            "a cell ran longer than the limit of 2 s per cell (--timeout)",
        ),
        (run + ["--profile", "smoke", "--timeout", "abc"], 2, "argument --timeout: invalid int value: 'abc'"),
        (run + ["--profile", "book", "-p", "profile", "smoke"], 2, "the profile is given twice"),
        (
            ["run", TINY, "--profile", "smoke", "--output-dir", tmp_path / "f" / "x"],
            2,
            "cannot write the executed notebook",
        ),
        (["run"], 2, "the following arguments are required: notebook"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
        (["profiles", "nochapter"], 2, "unknown chapter 'nochapter'"),
        (["run", ROOT / "notebooks"], 2, "is a folder; give one file, e.g. one of: 01_spectral_bias.md"),
    ]
    (tmp_path / "f").write_text("a file, not a folder")
    for args, code, message in cases:
        rc, err, _ = _cli(*args)
        assert rc == code and err.count("\n") == 0 and message in err, (args, rc, err)
    # the kernel's own messages went to the log, not to the terminal
    assert (tmp_path / "tiny.smoke.kernel.log").exists()


def test_cli_profile_parameter(tmp_path, monkeypatch):
    monkeypatch.delenv("LOFI_PROFILE", raising=False)
    rc, err, out = _cli("run", TINY, "-p", "profile", "smoke", "--output-dir", tmp_path)
    assert rc == 0 and "at profile 'smoke'" in out, err


def test_relative_output_dir_is_the_callers(tmp_path, monkeypatch):
    # papermill runs the kernel in the notebook's folder; a relative --output-dir still means the caller's
    monkeypatch.chdir(tmp_path)
    res = run_notebook(TINY, profile="smoke", output_dir="runs")
    assert res.output == (tmp_path / "runs" / "tiny.smoke.ipynb").resolve() and res.output.exists()
    assert (tmp_path / "runs" / "tiny.smoke.kernel.log").exists()
