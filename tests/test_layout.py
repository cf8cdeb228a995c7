"""The package's layout rules (CONTRIBUTING.md): one home for each idea, modules a reader can hold in mind."""

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "lofi_utils"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
MAX_LINES = 650  # "no module over about 600 lines"


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_modules_are_short(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{_name(path)} has {n} lines; split it along its seams (at most ~600)"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_private_name_crosses_a_module_boundary(path):
    tree = ast.parse(path.read_text())
    crossing, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("lofi_utils")):
            crossing += [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            modules |= {a.asname or a.name for a in node.names}  # may be modules (from . import lofi as L)
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name.startswith("lofi_utils")}
    for node in ast.walk(tree):  # module.attribute: L._center_train
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            crossing.append(f"{node.value.id}.{node.attr}")
    assert not crossing, f"{_name(path)} uses private names of another module: {crossing}"


def test_every_chapter_has_its_package():
    notebooks = sorted(p.stem.split("_", 1)[1] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
    packages = sorted(p.parent.name for p in (PACKAGE / "chapters").glob("*/profile.py"))
    assert notebooks == packages
