"""``python3 tasks.py reproduce`` (= ``python -m lofi_utils reproduce``): run grids, summarise them, list them.

    reproduce [TARGET ...] [--profile smoke|book|paper] [--engine serial|local|slurm|submitit-local]
              [--jobs N] [--threads T] [--device cpu|cuda] [--cells DIR] [--results DIR] [--list] [--summarise-only]
              [--partition P] [--gpus G] [--cpus C] [--time MIN] [--array-parallelism K]

TARGET: an experiment name or a chapter id (all its experiments); none = every experiment.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .core import DEFAULT_CELLS, DEFAULT_RESULTS, PROFILES, load_cells, summarise
from .engines import ENGINES, SlurmOptions, run_cells
from .experiments import EXPERIMENTS, by_target


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of the ``reproduce`` command."""
    ap.add_argument("targets", nargs="*", help="experiment names or chapter ids (default: all)")
    ap.add_argument("--profile", default="book", choices=PROFILES, help="which grid (default: %(default)s)")
    ap.add_argument("--engine", default="local", choices=ENGINES, help="where cells run (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=None, help="cells at once on the local engine (default: all cores)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads per cell (default: cores // jobs)")
    ap.add_argument("--device", default=None, choices=("cpu", "cuda"), help="device of GPU-capable cells")
    ap.add_argument("--cells", default=str(DEFAULT_CELLS), help="folder of the per-cell files (default: %(default)s)")
    ap.add_argument("--results", default=str(DEFAULT_RESULTS), help="folder of the summaries (default: %(default)s)")
    ap.add_argument("--list", action="store_true", help="list the experiments, their cells and cost per cell")
    ap.add_argument("--summarise-only", action="store_true", help="only rewrite the summaries of complete grids")
    ap.add_argument("--partition", default=None, help="Slurm partition (engine slurm)")
    ap.add_argument("--gpus", type=int, default=0, help="GPUs per Slurm job (engine slurm)")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs per job (engines slurm, submitit-local)")
    ap.add_argument("--time", type=int, default=60, help="time limit per job in minutes (engine slurm)")
    ap.add_argument("--array-parallelism", type=int, default=32, help="Slurm jobs running at once")


def _cost(exp_name: str, chapter: str, profile: str, results: Path, cells: Path) -> str:
    path = results / chapter / f"{exp_name}.json"
    walls = []
    if path.exists():
        data = json.loads(path.read_text())
        if data["profile"] == profile:
            walls = [c["wall_s"] for c in data["cells"]]
            where = data["provenance"]["devices"][0]
    if not walls:
        exp = EXPERIMENTS[exp_name]
        done, _ = load_cells(exp, profile, cells)
        walls = [r["provenance"]["wall_s"] for r in done]
        where = done[0]["provenance"]["device"] if done else ""
    if not walls:
        return "cost not measured yet"
    return f"{sum(walls) / len(walls):.1f} s/cell (max {max(walls):.0f} s, {len(walls)} measured on {where[:40]})"


def list_experiments(profile: str, results: Path, cells: Path) -> str:
    """One block per experiment: name, chapter, cells per profile, what is stored, measured cost per cell."""
    lines = []
    for e in EXPERIMENTS.values():
        counts = ", ".join(f"{p}: {len(e.grids[p])}" for p in PROFILES if p in e.grids)
        done, missing = load_cells(e, profile, cells)
        stored = (Path(results) / e.chapter / f"{e.name}.json").exists()
        lines.append(f"{e.chapter}/{e.name}: {e.description}")
        lines.append(
            f"    cells {counts}; at '{profile}': {len(done)} computed, {len(missing)} missing; "
            f"summary {'stored' if stored else 'not stored'}"
        )
        lines.append(f"    {_cost(e.name, e.chapter, profile, Path(results), Path(cells))}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run the command; returns the exit code (1 when a cell failed or a grid stayed incomplete)."""
    results, cells = Path(args.results), Path(args.cells)
    if args.list:
        print(list_experiments(args.profile, results, cells))
        return 0
    exps = by_target(args.targets)
    for e in exps:
        if args.profile not in e.grids:
            raise ValueError(f"experiment {e.name!r} has no '{args.profile}' grid")
    status = 0
    if not args.summarise_only:
        work = [(e, c) for e in exps for c in e.cells(args.profile)]
        slurm = SlurmOptions(
            partition=args.partition,
            gpus=args.gpus,
            cpus=args.cpus,
            time_min=args.time,
            array_parallelism=args.array_parallelism,
        )
        rep = run_cells(
            work,
            engine=args.engine,
            jobs=args.jobs,
            cells_dir=cells,
            device=args.device,
            slurm=slurm,
            threads=args.threads,
        )
        print(f"reproduce [{args.profile}, {args.engine}]: {rep.line()}")
        status = 1 if rep.failed else 0
    for e in exps:
        try:
            path = summarise(e, args.profile, cells, results)
            print(f"  {e.name}: summary -> {path} ({path.stat().st_size / 1024:.1f} kB)")
        except ValueError as exc:
            print(f"  {e.name}: {exc}")
            status = 1
    return status
