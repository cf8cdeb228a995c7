"""Every chapter runs end to end at the smoke profile through the book's runner."""

import json
import time

import pytest
from conftest import ROOT, saved_progress_bars

from lofi_utils.runner import run_notebook

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no chapter notebooks found"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_runs_at_smoke(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    t0 = time.perf_counter()
    res = run_notebook(path, profile="smoke", output_dir=tmp_path)
    elapsed = time.perf_counter() - t0
    print(f"{path.name}: {elapsed:.1f} s at smoke")
    assert res.output.exists()
    bars = saved_progress_bars(json.loads(res.output.read_text()))
    assert not bars, "progress bars saved into the executed chapter:\n" + "\n".join(bars)
