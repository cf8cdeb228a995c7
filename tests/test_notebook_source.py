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


def _check_share(src: str) -> float:
    """The share of a cell's top-level statements that only check, glue or print (0 when it calls no check)."""
    import ast

    try:
        tree = ast.parse(src)
    except SyntaxError:
        return 0.0
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if not any(getattr(n.func, "id", None) == "check" for n in calls) or not tree.body:
        return 0.0

    def checking(s) -> bool:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            return getattr(s.value.func, "id", None) in {"check", "glue", "print"}
        if isinstance(s, (ast.For, ast.If)):
            return all(checking(b) for b in s.body)
        return False

    return sum(checking(s) for s in tree.body) / len(tree.body)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_check_cells_are_folded_and_tables_displayed(path):
    """A cell of checks shows its results (the ✓ lines) and folds its code (``hide-input``); a result table
    is displayed (an HTML table in the page), not printed as text."""
    import jupytext

    nb = jupytext.read(path)
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        if _check_share(c.source) >= 0.5:
            assert "hide-input" in c.metadata.get("tags", []), f"{path.name}: check cell not folded: {c.source[:80]!r}"
        assert not re.search(r"print\(\w+\.table\(", c.source), f"{path.name}: print(x.table()) instead of display"
        if ((c.metadata.get("mystnb") or {}).get("figure")) is not None:
            # myst-nb makes every displayed output of a figure cell a figure of that name (a duplicate target)
            assert "display(" not in c.source, f"{path.name}: a figure cell displays another output: {c.source[:80]!r}"


def test_the_fold_rule_tells_check_cells_from_others():
    assert _check_share('check("a", 1, 1, tol=0, claim="c")\nglue("x", 1)') == 1.0
    assert _check_share("for d in ds:\n    check(f'{d}', 1, 1, tol=0, claim='c')") == 1.0
    assert _check_share("x = train()\ny = fit(x)\ncheck('a', y, 1, tol=0, claim='c')") == 1 / 3
    assert _check_share("print(1)") == 0.0
