"""ruff (configured in pyproject.toml) finds nothing in the package, the tests, the benchmarks and tasks.py, and
`ruff format` would change nothing there; the book's sources hold no control characters."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

LINTED = ["lofi_utils", "tests", "benchmarks", "tasks.py", "book/_ext"]


def _ruff() -> str:
    exe = Path(sys.executable).parent / "ruff"
    found = str(exe) if exe.exists() else shutil.which("ruff")
    if not found:
        pytest.fail("ruff is not installed (it is in requirements.txt); run python3 tasks.py setup")
    return found


def test_ruff_check_is_clean():
    proc = subprocess.run(
        [_ruff(), "check", "--output-format", "concise", *LINTED], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_ruff_format_leaves_the_code_as_it_is():
    proc = subprocess.run([_ruff(), "format", "--check", *LINTED], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"run `ruff format {' '.join(LINTED)}`:\n" + proc.stdout[-4000:] + proc.stderr[-2000:]


def test_book_sources_hold_no_control_characters():
    """A stray control character (e.g. the TAB that a Python string's ``\\t`` makes of ``\\text``) renders as
    nothing in the pages: no chapter, book page or bibliography may hold one."""
    import re

    root = ROOT
    bad = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\t")
    hits = [
        f"{p.relative_to(root)}:{no}"
        for p in sorted([*root.glob("notebooks/*.md"), *root.glob("book/*.md"), *root.glob("book/*.bib")])
        for no, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if bad.search(line)
    ]
    assert not hits, f"control characters at {hits}"
