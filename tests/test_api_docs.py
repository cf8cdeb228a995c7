"""The public API of ``lofi_utils`` is documented and typed (CONTRIBUTING.md): every public function and method has
a docstring, an annotation on each parameter and a return annotation.

Public: a top-level ``def`` whose name does not start with ``_``, or a method (``__init__`` included, properties too)
of a top-level class whose name does not start with ``_``, in any ``lofi_utils/**/*.py``. ``self``/``cls`` and
``*args``/``**kwargs`` may go unannotated."""

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "lofi_utils"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _public(tree: ast.Module):
    """(qualname, def, is_method) for each public function and method of a module."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in tree.body:
        if isinstance(node, defs) and not node.name.startswith("_"):
            yield node.name, node, False
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, defs) and (not item.name.startswith("_") or item.name == "__init__"):
                    yield f"{node.name}.{item.name}", item, True


def _is_static(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)


def _problems(fn: ast.FunctionDef, is_method: bool) -> list[str]:
    args = fn.args
    params = args.posonlyargs + args.args + args.kwonlyargs
    if is_method and params and params[0].arg in ("self", "cls") and not _is_static(fn):
        params = params[1:]
    problems = []
    if ast.get_docstring(fn) is None:
        problems.append("docstring")
    unannotated = [p.arg for p in params if p.annotation is None]
    if unannotated:
        problems.append("annotation of " + ", ".join(unannotated))
    if fn.returns is None:
        problems.append("return annotation")
    return problems


def _offenders() -> tuple[list[str], int]:
    offenders, count = [], 0
    for path in MODULES:
        module = _module(path)
        for qualname, fn, is_method in _public(ast.parse(path.read_text())):
            count += 1
            name = f"{module}:{qualname}"
            problems = _problems(fn, is_method)
            if problems:
                offenders.append(f"{name} (no {'; no '.join(problems)})")
    return offenders, count


def test_the_scan_finds_the_public_api():
    _, count = _offenders()
    assert count > 400, f"only {count} public functions found; has the package moved?"


def test_every_public_function_has_a_docstring_and_type_hints():
    offenders, count = _offenders()
    assert not offenders, f"{len(offenders)} of {count} public functions/methods lack something:\n" + "\n".join(
        offenders
    )
