"""ruff (configured in pyproject.toml) finds nothing in the package, the tests, the benchmarks and tasks.py."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def _ruff() -> str:
    exe = Path(sys.executable).parent / "ruff"
    found = str(exe) if exe.exists() else shutil.which("ruff")
    if not found:
        pytest.fail("ruff is not installed (it is in requirements.txt); run python3 tasks.py setup")
    return found


def test_ruff_check_is_clean():
    proc = subprocess.run([_ruff(), "check", "--output-format", "concise", "lofi_utils", "tests", "benchmarks",
                           "tasks.py", "book/_ext"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
