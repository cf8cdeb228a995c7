"""Execute a chapter (a jupytext MyST ``.md`` notebook) with papermill at a chosen profile.

The ``.md`` file is converted in memory (nothing is written next to it); the executed notebook is
written to ``<output_dir>/<stem>.<profile>.ipynb``. Command line::

    python -m lofi_utils run notebooks/01_spectral_bias.md --profile smoke -p seed 3

A failing cell raises :class:`NotebookFailed` whose message names the cell and its error; so does a cell
that runs past ``timeout`` and a kernel that dies. The kernel process's own messages (not the cells'
outputs, which stay in the notebook) go to ``<output_dir>/<stem>.<profile>.kernel.log``.
"""

from __future__ import annotations

import ast
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .profiles import ENV_VAR, resolve_profile_name
from .runtime import PROGRESS_ENV_VAR, UNATTENDED_ENV_VAR
from .validation import check_int

if TYPE_CHECKING:
    from nbformat import NotebookNode

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


def read_notebook(path: str | os.PathLike) -> NotebookNode:
    """Read a jupytext ``.md``/``.py`` notebook or an ``.ipynb`` file into an nbformat node."""
    import jupytext

    path = Path(path)
    if path.is_dir():
        found = sorted(q.name for q in path.glob("*.md"))[:4]
        raise ValueError(
            f"notebook {str(path)!r} is a folder; give one file"
            + (f", e.g. one of: {', '.join(found)}" if found else "")
        )
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


def declared_parameters(nb: NotebookNode) -> dict[str, Any]:
    """The names (and default source text) of the notebook's ``parameters`` cell."""
    from papermill.inspection import _infer_parameters

    return {p.name: p.default for p in _infer_parameters(nb)}


def _kernel_manager_logging_to(log_path: Path):
    """A jupyter_client kernel manager class whose kernel writes its stdout/stderr to ``log_path``."""
    from jupyter_client.manager import AsyncKernelManager

    class _LoggedKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            log = open(log_path, "ab")  # closed when the kernel manager is collected
            kw.setdefault("stdout", log)
            kw.setdefault("stderr", log)
            return await super()._async_pre_start_kernel(**kw)

    return _LoggedKernelManager


def _prepare_output_dir(output_dir) -> Path:
    out_dir = Path(output_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ValueError(
            f"cannot write the executed notebook to --output-dir {str(out_dir)!r}: {err.strerror or err}"
        ) from None
    return out_dir


def run_notebook(
    path: str | os.PathLike,
    *,
    profile: str | None = None,
    parameters: dict[str, Any] | None = None,
    output_dir: str | os.PathLike = DEFAULT_OUTPUT_DIR,
    timeout: int | None = None,
    progress: bool = False,
) -> RunResult:
    """Execute ``path`` at ``profile`` with papermill and return where the result was written.

    ``parameters`` must be names declared in the notebook's ``parameters`` cell (``ValueError``
    otherwise, listing the declared names); the profile is passed as the ``profile`` parameter and
    as ``$LOFI_PROFILE``. A ``profile`` among ``parameters`` is the same as ``profile=`` (giving
    both, with different values, is a ``ValueError``). ``timeout`` is the per-cell limit in seconds
    (a positive integer, or ``None`` for no limit). Raises ``NotebookFailed`` with the failing cell's
    error, or when a cell runs out of time or the kernel dies. ``progress`` is papermill's bar of cells; the
    chapters' own ``tqdm`` bars are off (``$LOFI_PROGRESS=0``, :func:`lofi_utils.runtime.progress_default`)
    unless ``$LOFI_PROGRESS`` is set, and its widgets show a note instead of controls (``$LOFI_UNATTENDED=1``,
    :func:`lofi_utils.runtime.unattended`) unless that is set.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    params = dict(parameters or {})
    if "profile" in params:
        given = params.pop("profile")
        if profile is not None and given is not None and resolve_profile_name(given) != resolve_profile_name(profile):
            raise ValueError(
                f"the profile is given twice, as {profile!r} and as parameter profile={given!r}; "
                "give it once (--profile)"
            )
        profile = profile if profile is not None else given
    if profile is not None and not isinstance(profile, str):
        raise ValueError(f"profile must be a name, one of smoke, book, paper; got {profile!r}")
    if timeout is not None:
        check_int(timeout, "timeout (seconds per cell, or none)", minimum=1)
    pname = resolve_profile_name(profile)
    nb = read_notebook(path)
    declared = declared_parameters(nb)
    if not declared and not any("parameters" in c.metadata.get("tags", []) for c in nb.cells):
        raise ValueError(f"notebook {str(path)!r} has no cell tagged 'parameters'")
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for {Path(path).name}; it declares: {', '.join(declared)}")
    if "profile" in declared:
        params["profile"] = pname
    out_dir = _prepare_output_dir(output_dir).resolve()  # papermill runs in the notebook's folder
    out = out_dir / f"{Path(path).stem}.{pname}.ipynb"
    log = out.with_suffix(".kernel.log")
    log.unlink(missing_ok=True)
    old = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = pname
    # an unattended run: the chapters' tqdm bars stay out of the executed notebook unless $LOFI_PROGRESS says
    # and its widgets leave a note instead of dead controls (runtime.unattended)
    unattended_defaults = {PROGRESS_ENV_VAR: "0", UNATTENDED_ENV_VAR: "1"}
    unset = [k for k in unattended_defaults if k not in os.environ]
    for k in unset:
        os.environ[k] = unattended_defaults[k]
    # papermill/nbclient report a timeout or a dead kernel through the "papermill" logger as well
    # as by raising; without a handler Python would print that record bare on stderr
    quiet = logging.NullHandler()
    logging.getLogger("papermill").addHandler(quiet)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            nb,
            str(out),
            parameters=params,
            cwd=str(Path(path).resolve().parent),
            kernel_name="python3",
            progress_bar=progress,
            execution_timeout=timeout,
            log_output=False,
            kernel_manager_class=_kernel_manager_logging_to(log),
        )
    except PapermillExecutionError as err:
        raise NotebookFailed(
            f"{Path(path).name} [{pname}] failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
            f" (executed notebook: {out})"
        ) from None
    except CellTimeoutError:
        raise NotebookFailed(
            f"{Path(path).name} [{pname}]: a cell ran longer than the limit of {timeout} s per cell "
            f"(--timeout); raise or omit it (executed notebook so far: {out})"
        ) from None
    except DeadKernelError:
        raise NotebookFailed(f"{Path(path).name} [{pname}]: the kernel died (out of memory?); its log: {log}") from None
    finally:
        logging.getLogger("papermill").removeHandler(quiet)
        for k in unset:
            os.environ.pop(k, None)
        if old is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = old
    return RunResult(output=out, profile=pname, seconds=time.perf_counter() - t0)
