"""Execute a chapter (a jupytext MyST ``.md`` notebook) with papermill at a chosen profile.

The ``.md`` file is converted in memory (nothing is written next to it); the executed notebook is
written to ``<output_dir>/<stem>.<profile>.ipynb``. Command line::

    python -m lofi_utils run notebooks/01_spectral_bias.md --profile smoke -p seed 3

A failing cell raises :class:`NotebookFailed` whose message names the cell and its error.
"""

from __future__ import annotations

import ast
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .profiles import ENV_VAR, resolve_profile_name

DEFAULT_OUTPUT_DIR = Path("_build") / "runs"


class NotebookFailed(RuntimeError):
    """A cell of an executed notebook raised; the message says which cell and what it raised."""


@dataclass
class RunResult:
    """Where the executed notebook was written and how long it took."""

    output: Path
    profile: str
    seconds: float


def parse_value(text: str) -> Any:
    """Turn a command-line value into a Python value: ``3`` -> 3, ``0.5`` -> 0.5, ``[1,2]`` -> list,
    ``True``/``true`` -> True, ``None``/``null`` -> None, anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def read_notebook(path: str | os.PathLike):
    """Read a jupytext ``.md``/``.py`` notebook or an ``.ipynb`` file into an nbformat node."""
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"notebook {str(path)!r} not found")
    if path.suffix not in (".md", ".ipynb", ".py"):
        raise ValueError(f"notebook {str(path)!r}: expected a .md (jupytext MyST), .py or .ipynb file")
    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {})
    nb.metadata["kernelspec"].update({"name": "python3", "display_name": "Python 3", "language": "python"})
    for cell in nb.cells:  # papermill expects every cell to carry a (possibly empty) tag list
        cell.metadata.setdefault("tags", [])
    return nb


def declared_parameters(nb) -> dict[str, Any]:
    """The names (and default source text) of the notebook's ``parameters`` cell."""
    from papermill.inspection import _infer_parameters

    return {p.name: p.default for p in _infer_parameters(nb)}


def run_notebook(path: str | os.PathLike, *, profile: str | None = None,
                 parameters: dict[str, Any] | None = None,
                 output_dir: str | os.PathLike = DEFAULT_OUTPUT_DIR,
                 timeout: int | None = None, progress: bool = False) -> RunResult:
    """Execute ``path`` at ``profile`` with papermill and return where the result was written.

    ``parameters`` must be names declared in the notebook's ``parameters`` cell (``ValueError``
    otherwise, listing the declared names); the profile is passed as the ``profile`` parameter and
    as ``$LOFI_PROFILE``. ``timeout`` is the per-cell limit in seconds. Raises ``NotebookFailed``
    with the failing cell's error.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    pname = resolve_profile_name(profile)
    nb = read_notebook(path)
    params = dict(parameters or {})
    declared = declared_parameters(nb)
    if not declared and not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        raise ValueError(f"notebook {str(path)!r} has no cell tagged 'parameters'")
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for {Path(path).name}; it declares: {', '.join(declared)}"
        )
    if "profile" in declared:
        params["profile"] = pname
    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{Path(path).stem}.{pname}.ipynb"
    old = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = pname
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            nb, str(out), parameters=params, cwd=str(Path(path).resolve().parent),
            kernel_name="python3", progress_bar=progress, execution_timeout=timeout,
            log_output=False,
        )
    except PapermillExecutionError as err:
        raise NotebookFailed(
            f"{Path(path).name} [{pname}] failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
            f" (executed notebook: {out})"
        ) from None
    finally:
        if old is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = old
    return RunResult(output=out, profile=pname, seconds=time.perf_counter() - t0)
