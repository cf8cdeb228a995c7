"""Every chapter runs end to end at the smoke profile.

The chapters are executed once per test session, by the book build (:func:`conftest.smoke_book`, cells in the
book's own kernel; an error in any cell fails the build); these tests read what that execution left behind
rather than executing the chapters a second time. The runner (``python -m lofi_utils run``, papermill with
parameters) is tested on a small notebook in ``tests/test_runner.py``.
"""

import json

import pytest
from conftest import ROOT, saved_progress_bars

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no chapter notebooks found"


@pytest.mark.notebook
@pytest.mark.build
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_runs_at_smoke(path, smoke_book):
    executed = smoke_book.parent / "jupyter_execute" / "notebooks" / f"{path.stem}.ipynb"
    assert executed.exists(), f"{path.name} was not executed by the smoke build"
    nb = json.loads(executed.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), f"{path.name}: a code cell did not run"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    bars = saved_progress_bars(nb)
    assert not bars, "progress bars saved into the executed chapter:\n" + "\n".join(bars)
