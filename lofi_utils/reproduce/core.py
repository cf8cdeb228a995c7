"""Experiments as grids of cells, the provenance of a cell, and the two stores (cells and results).

Layout on disk (``ROOT`` is the repository):

* cells: ``<cells>/<chapter>/<experiment>/<profile>/<key>.json`` (default ``ROOT/_build/cells``, not
  committed), one file per cell: ``{"experiment", "profile", "params", "result", "provenance"}``;
* results: ``<results>/<chapter>/<experiment>.json`` (default ``ROOT/results``, committed): the profile, every
  cell's parameters, result and cost, the experiment's summary, the provenance of the cells behind it and
  the hash of the code the experiment depends on (:func:`code_hash`).

A cell's ``key`` is made from its parameters (:func:`cell_key`), so the same grid cell has the same file on
every machine, and a grid can be stopped and resumed.
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import importlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .. import __version__

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CELLS = ROOT / "_build" / "cells"
DEFAULT_RESULTS = ROOT / "results"
PROFILES = ("smoke", "book", "paper")

__all__ = [
    "Experiment",
    "Cell",
    "StoredResult",
    "cell_key",
    "code_hash",
    "provenance",
    "run_cell",
    "cell_path",
    "load_cells",
    "summarise",
    "load_result",
    "stored_results",
    "PROFILES",
]


@dataclass(frozen=True)
class Cell:
    """One grid cell of one experiment at one profile: ``params`` (JSON-able scalars) and where it is stored."""

    experiment: str
    chapter: str
    profile: str
    params: dict

    @property
    def key(self) -> str:
        """The file name stem of this cell (:func:`cell_key`)."""
        return cell_key(self.params)


@dataclass(frozen=True)
class Experiment:
    """A paper-scale experiment declared once: a pure cell function, a grid per profile and a summary.

    ``cell(**params) -> dict`` computes one cell's result (JSON-able: numbers, lists, strings) from its
    parameters alone, drawing every random number from :mod:`lofi_utils.streams` keyed by the parameters (so
    the same cell gives the same result on any engine). ``grids[profile]`` is the list of parameter dicts.
    ``summary(cells) -> dict`` turns the list of ``{"params", "result"}`` into the numbers a chapter shows and
    checks. ``depends``: the modules whose code the result depends on (for :func:`code_hash`). ``compare(stored,
    fresh) -> str`` returns ``""`` when a recomputed cell agrees with the stored one (within what seeds and
    threads allow), else a one-line reason. ``chapter`` is the notebook's chapter id.
    """

    name: str
    chapter: str
    description: str
    cell: Callable[..., dict]
    grids: Mapping[str, Sequence[dict]]
    summary: Callable[[list[dict]], dict]
    depends: tuple[str, ...]
    compare: Callable[[dict, dict], str]
    uses_device: bool = False

    def cells(self, profile: str) -> list[Cell]:
        """The grid's cells at ``profile`` (``ValueError`` for a profile this experiment does not define)."""
        if profile not in self.grids:
            raise ValueError(
                f"experiment {self.name!r} has no grid for profile {profile!r}; it has: {', '.join(self.grids)}"
            )
        return [Cell(self.name, self.chapter, profile, dict(p)) for p in self.grids[profile]]


def cell_key(params: Mapping[str, Any]) -> str:
    """``name=value`` pairs in sorted order joined by ``_`` (file-name safe), e.g. ``N=64_c=1_rep=0``."""
    parts = []
    for k in sorted(params):
        v = params[k]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = f"{k}={v}"
        parts.append("".join(ch if ch.isalnum() or ch in "=.-" else "-" for ch in s))
    return "_".join(parts)


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


TYPING_MODULES = ("typing", "__future__", "collections.abc", "numpy.typing", "matplotlib.axes", "matplotlib.figure")


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _inert(node: ast.AST) -> bool:
    """A statement that cannot change a result: a docstring, an ``if TYPE_CHECKING:`` block, an import from
    a typing module (:data:`TYPING_MODULES`)."""
    return (
        _is_docstring(node)
        or _is_type_checking(node)
        or (isinstance(node, ast.ImportFrom) and node.module in TYPING_MODULES)
    )


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """Remove what does not change behaviour: docstrings, type annotations (of arguments and returns),
    ``if TYPE_CHECKING:`` blocks and imports from typing modules."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                kept = [b for b in stmts if not _inert(b)]
                setattr(node, name, kept or ([ast.Pass()] if name == "body" else []))
        if isinstance(node, ast.arg):
            node.annotation = None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
    return tree


def code_hash(modules: Iterable[str]) -> str:
    """SHA-256 (first 16 hex digits) of the code of ``modules`` (dotted names) with docstrings, type annotations
    of arguments and returns, and formatting removed (the AST), so a change of prose or of type hints does not
    make a stored result stale but a change of code does."""
    h = hashlib.sha256()
    for name in sorted(set(modules)):
        mod = importlib.import_module(name)
        src = Path(mod.__file__).read_text()
        h.update(name.encode())
        h.update(ast.dump(_strip_docstrings(ast.parse(src))).encode())
    return h.hexdigest()[:16]


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def device_name(device: torch.device | str | None = None) -> str:
    """A readable name of the device a cell ran on: the GPU's name, or the CPU's model and core count."""
    dev = torch.device(device) if device is not None else None
    if dev is not None and dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} cores, torch {torch.backends.cpu.get_cpu_capability()})"


def provenance(*, wall_s: float, device: torch.device | str | None = None) -> dict:
    """The provenance of one cell: code version and commit, device, library versions, threads, wall time,
    peak memory (resident set of this process, and CUDA's peak allocation when a GPU was used), date."""
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    cuda = torch.device(device).type == "cuda" if device is not None else False
    return {
        "version": __version__,
        "commit": _git_commit(),
        "device": device_name(device if cuda else None),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "wall_s": round(float(wall_s), 3),
        "peak_rss_mb": round(peak_rss, 1),
        "peak_cuda_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def cell_path(cell: Cell, cells_dir: Path | str = DEFAULT_CELLS) -> Path:
    """``<cells_dir>/<chapter>/<experiment>/<profile>/<key>.json``."""
    return Path(cells_dir) / cell.chapter / cell.experiment / cell.profile / f"{cell.key}.json"


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def as_floats(values: Sequence) -> np.ndarray:
    """A stored list of numbers back to a float array (``"inf"``/``"nan"`` strings become inf/nan)."""
    return np.array([float(v) for v in values], dtype=float)


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(_jsonable(obj), indent=1) + "\n")
    tmp.replace(path)


def run_cell(
    experiment: Experiment,
    cell: Cell,
    cells_dir: Path | str = DEFAULT_CELLS,
    *,
    device: str | None = None,
    threads: int | None = None,
) -> dict:
    """Compute one cell and write its JSON (skipped, and read back, when the file exists). Returns the record.

    ``device``: passed to the cell function as ``device=`` when the experiment ``uses_device``; ``threads``:
    torch's intra-op threads for this cell (default: leave as is).
    """
    path = cell_path(cell, cells_dir)
    if path.exists():
        return json.loads(path.read_text())
    if threads:
        torch.set_num_threads(int(threads))
    kw = dict(cell.params)
    if experiment.uses_device:
        kw["device"] = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    result = experiment.cell(**kw)
    wall = time.perf_counter() - t0
    record = {
        "experiment": cell.experiment,
        "chapter": cell.chapter,
        "profile": cell.profile,
        "params": cell.params,
        "result": result,
        "provenance": provenance(wall_s=wall, device=kw.get("device")),
    }
    write_json(path, record)
    return json.loads(json.dumps(_jsonable(record)))


def load_cells(experiment: Experiment, profile: str, cells_dir: Path | str = DEFAULT_CELLS) -> tuple[list, list]:
    """The stored records of the grid at ``profile`` and the cells still missing: ``(records, missing)``."""
    done, missing = [], []
    for c in experiment.cells(profile):
        p = cell_path(c, cells_dir)
        (done.append(json.loads(p.read_text())) if p.exists() else missing.append(c))
    return done, missing


def summarise(
    experiment: Experiment,
    profile: str,
    cells_dir: Path | str = DEFAULT_CELLS,
    results_dir: Path | str = DEFAULT_RESULTS,
) -> Path:
    """Write ``<results_dir>/<chapter>/<experiment>.json`` from the complete grid at ``profile``.

    Raises ``ValueError`` naming the missing cells when the grid is not complete."""
    records, missing = load_cells(experiment, profile, cells_dir)
    if missing:
        raise ValueError(
            f"{experiment.name} [{profile}]: {len(missing)} of {len(records) + len(missing)} cells are missing "
            f"(e.g. {missing[0].key}); run the grid first"
        )
    provs = [r["provenance"] for r in records]
    out = {
        "experiment": experiment.name,
        "chapter": experiment.chapter,
        "description": experiment.description,
        "profile": profile,
        "code_hash": code_hash(experiment.depends),
        "depends": list(experiment.depends),
        "provenance": {
            "commits": sorted({p["commit"] for p in provs}),
            "versions": sorted({p["version"] for p in provs}),
            "devices": sorted({p["device"] for p in provs}),
            "torch": sorted({p["torch"] for p in provs}),
            "numpy": sorted({p["numpy"] for p in provs}),
            "cells": len(records),
            "wall_s_total": round(sum(p["wall_s"] for p in provs), 1),
            "wall_s_max": round(max(p["wall_s"] for p in provs), 1),
            "peak_rss_mb_max": max(p["peak_rss_mb"] for p in provs),
            "first": min(p["date"] for p in provs),
            "last": max(p["date"] for p in provs),
        },
        "summary": experiment.summary([{"params": r["params"], "result": r["result"]} for r in records]),
        "cells": [{"params": r["params"], "result": r["result"], "wall_s": r["provenance"]["wall_s"]} for r in records],
    }
    path = Path(results_dir) / experiment.chapter / f"{experiment.name}.json"
    write_json(path, out)
    return path


@dataclass
class StoredResult:
    """A stored result as a chapter reads it: the JSON (``data``), whether its code changed since (``stale``),
    and a one-line description of where and when it was computed (:meth:`provenance_line`)."""

    data: dict
    stale: bool
    current_hash: str
    path: Path
    notes: list = field(default_factory=list)

    @property
    def summary(self) -> dict:
        """The experiment's summary numbers."""
        return self.data["summary"]

    def provenance_line(self) -> str:
        """``"computed at profile 'book' on <device> (<cells> cells, <h> of compute), commit <c>, <date>"``, with
        a plain statement when the device is a CPU, and ``STALE`` when the code changed since."""
        p = self.data["provenance"]
        devices = "; ".join(p["devices"])
        cpu = all("cores" in d for d in p["devices"])
        hours = p["wall_s_total"] / 3600
        cost = f"{hours:.1f} h" if hours >= 1 else f"{p['wall_s_total'] / 60:.0f} min"
        line = (
            f"stored result `{self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path}`: "
            f"profile '{self.data['profile']}', {p['cells']} cells, {cost} of compute on {devices}"
            f"{' (a CPU, at reduced size, not a GPU)' if cpu else ''}; commit {', '.join(p['commits'])}, "
            f"{p['last'][:10]}"
        )
        if self.stale:
            line += (
                f". STALE: the code it depends on ({', '.join(self.data['depends'])}) changed since "
                f"(hash {self.data['code_hash']} -> {self.current_hash}); rerun `python3 tasks.py reproduce "
                f"{self.data['experiment']} --profile {self.data['profile']}`"
            )
        return line


def load_result(experiment: Experiment, results_dir: Path | str = DEFAULT_RESULTS) -> StoredResult:
    """Read ``<results_dir>/<chapter>/<experiment>.json`` and compare its code hash with the code now.

    Raises ``FileNotFoundError`` with the command that makes it when the file is missing. A stale result
    warns (``UserWarning``) so that a build shows it."""
    import warnings

    path = Path(results_dir) / experiment.chapter / f"{experiment.name}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no stored result {path}; make it with `python3 tasks.py reproduce {experiment.name} --profile book`"
        )
    data = json.loads(path.read_text())
    now = code_hash(experiment.depends)
    res = StoredResult(data=data, stale=data["code_hash"] != now, current_hash=now, path=path)
    if res.stale:
        warnings.warn(res.provenance_line(), stacklevel=2)
    return res


def stored_results(results_dir: Path | str = DEFAULT_RESULTS) -> list[StoredResult]:
    """Every stored result of a registered experiment under ``results_dir`` (:func:`load_result` each, in the
    registry's order), its staleness set and not warned about: the reproduction report lists them."""
    import warnings

    from .experiments import EXPERIMENTS

    found = []
    for exp in EXPERIMENTS.values():
        if (Path(results_dir) / exp.chapter / f"{exp.name}.json").exists():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                found.append(load_result(exp, results_dir))
    return found


def run_child_cell(spec: dict) -> dict:
    """Entry point of a worker process or a cluster job: ``spec = {"experiment", "profile", "params",
    "cells_dir", "device", "threads"}``. Looks the experiment up by name, runs the cell, returns a short status."""
    from .experiments import get

    exp = get(spec["experiment"])
    cell = Cell(exp.name, exp.chapter, spec["profile"], spec["params"])
    t0 = time.perf_counter()
    rec = run_cell(exp, cell, spec["cells_dir"], device=spec.get("device"), threads=spec.get("threads"))
    return {"key": cell.key, "wall_s": rec["provenance"]["wall_s"], "elapsed": time.perf_counter() - t0}


def python_info() -> str:
    """``python X.Y.Z, torch V, numpy V`` (for logs)."""
    return f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__} ({sys.executable})"
