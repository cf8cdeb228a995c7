"""Source-level rules of the chapters that no execution reveals."""

import re

import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))
_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_widgets_are_displayed(path):
    # a cell that ends in `...explorer(...);` shows nothing: the semicolon suppresses the widget
    for cell in _CELL.findall(path.read_text()):
        last = [line for line in cell.splitlines() if line.strip() and not line.startswith(":")][-1:]
        if last and "explorer(" in last[0]:
            assert not last[0].rstrip().endswith(";"), f"{path.name}: widget call hidden by ';': {last[0]}"
