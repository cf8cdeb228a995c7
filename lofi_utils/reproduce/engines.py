"""Run the missing cells of a grid on an existing engine: this process, all cores of one machine (joblib's
loky workers), or jobs through submitit (a Slurm job array, or submitit's local executor).

Every engine calls the same function, :func:`lofi_utils.reproduce.core.run_child_cell`, which writes the
cell's JSON itself: a stopped sweep keeps what it finished, and a rerun computes only what is missing.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from .core import Cell, Experiment, cell_path, run_cell, run_child_cell

ENGINES = ("serial", "local", "slurm", "submitit-local")

__all__ = ["ENGINES", "SlurmOptions", "RunReport", "run_cells"]


@dataclass
class SlurmOptions:
    """What a Slurm job array needs: ``partition`` (None: the cluster's default), ``gpus`` per job,
    ``cpus`` per job, ``time_min`` per job, ``array_parallelism`` (jobs running at once), ``folder`` for
    submitit's logs (default ``_build/submitit``)."""

    partition: str | None = None
    gpus: int = 0
    cpus: int = 2
    time_min: int = 60
    array_parallelism: int = 32
    folder: str | None = None


@dataclass
class RunReport:
    """What a run did: ``done`` cells computed now, ``skipped`` (already stored), ``failed`` as ``(key,
    one-line reason)``, ``seconds`` of wall time."""

    done: int = 0
    skipped: int = 0
    failed: list = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        """One line: computed, skipped, failed, wall time."""
        s = (
            f"{self.done} cells computed, {self.skipped} already stored, {len(self.failed)} failed "
            f"in {self.seconds:.0f} s"
        )
        if self.failed:
            s += "; failed: " + "; ".join(f"{k}: {why}" for k, why in self.failed[:5])
        return s


def _spec(cell: Cell, cells_dir: Path, device: str | None, threads: int | None) -> dict:
    return {
        "experiment": cell.experiment,
        "profile": cell.profile,
        "params": cell.params,
        "cells_dir": str(cells_dir),
        "device": device,
        "threads": threads,
    }


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def run_cells(
    work: list[tuple[Experiment, Cell]],
    *,
    engine: str = "local",
    jobs: int | None = None,
    cells_dir: Path | str,
    device: str | None = None,
    slurm: SlurmOptions | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> RunReport:
    """Compute the cells of ``work`` not yet stored under ``cells_dir`` with ``engine`` (one of :data:`ENGINES`).

    ``jobs``: cells at once (``local``: worker processes, default all cores); ``threads``: torch threads per
    cell (default ``cores // jobs``; use 1 on a machine that other work shares: oversubscribed torch threads
    can slow a cell down many times). ``device``: ``"cpu"``, ``"cuda"`` or None (CUDA when present) for
    experiments that use one. ``slurm``: :class:`SlurmOptions` for ``slurm`` (and the log folder of ``submitit-local``).
    A failing cell does not stop the others; it is reported in :attr:`RunReport.failed` and stays missing,
    so the next run retries it.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; allowed: {', '.join(ENGINES)}")
    if engine == "slurm" and shutil.which("sbatch") is None:
        raise ValueError(
            "engine 'slurm' needs a Slurm cluster (no sbatch on this machine); "
            "use --engine local here, or submitit-local to try the job path"
        )
    cells_dir = Path(cells_dir)
    rep = RunReport()
    todo = []
    for exp, c in work:
        if cell_path(c, cells_dir).exists():
            rep.skipped += 1
        else:
            todo.append((exp, c))
    t0 = time.perf_counter()
    if not todo:
        rep.seconds = time.perf_counter() - t0
        return rep
    cores = os.cpu_count() or 1
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    bar = tqdm(total=len(todo), desc="cells", unit="cell", disable=not progress)
    if engine == "serial":
        for exp, c in todo:
            try:
                run_cell(exp, c, cells_dir, device=device, threads=threads)
                rep.done += 1
            except Exception as exc:  # noqa: BLE001 - a failed cell is reported, the others go on
                rep.failed.append((c.key, _one_line(exc)))
            bar.update()
    elif engine == "local":
        from joblib import Parallel, delayed

        n = min(jobs or cores, len(todo))
        specs = [_spec(c, cells_dir, device, threads or max(1, cores // n)) for _, c in todo]

        def guarded(spec: dict) -> tuple[str, str]:
            try:
                run_child_cell(spec)
                return spec["params"].__repr__(), ""
            except Exception as exc:  # noqa: BLE001
                return spec["params"].__repr__(), _one_line(exc)

        for key, err in Parallel(n_jobs=n, backend="loky", return_as="generator_unordered")(
            delayed(guarded)(s) for s in specs
        ):
            if err:
                rep.failed.append((key, err))
            else:
                rep.done += 1
            bar.update()
    else:
        import submitit

        opts = slurm or SlurmOptions()
        folder = opts.folder or str(Path(cells_dir).parent / "submitit")
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm" if engine == "slurm" else "local")
        params = dict(timeout_min=opts.time_min, cpus_per_task=opts.cpus, gpus_per_node=opts.gpus)
        if engine == "slurm":
            params.update(slurm_array_parallelism=opts.array_parallelism, name="lofi-reproduce")
            if opts.partition:
                params["slurm_partition"] = opts.partition
        ex.update_parameters(**params)
        specs = [_spec(c, cells_dir, device, opts.cpus) for _, c in todo]
        job_list = ex.map_array(run_child_cell, specs)
        for job, (_, c) in zip(job_list, todo):
            try:
                job.result()
                rep.done += 1
            except Exception as exc:  # noqa: BLE001 - submitit re-raises the job's error (or the cluster's)
                rep.failed.append((c.key, _one_line(exc)))
            bar.update()
    bar.close()
    rep.seconds = time.perf_counter() - t0
    return rep
