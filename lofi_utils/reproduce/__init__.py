"""Paper-scale runs as grids of cells: declared once, run on any engine, summarised into small stored results.

An :class:`~lofi_utils.reproduce.core.Experiment` is a pure function of one cell's parameters (a size, a
repetition, ...) and a grid of cells per profile. Running a grid writes one JSON file per cell, with its
result and its provenance (code version and commit, parameters, device, torch/numpy versions, wall time,
peak memory); cells already on disk are skipped, so a sweep can be stopped and resumed. Summarising turns
the cells into ``results/<chapter>/<experiment>.json``: small, committed, human-readable, holding every
cell's result and the provenance behind it, and a hash of the code the experiment depends on, so the book
can tell when a stored result is stale.

* :mod:`~lofi_utils.reproduce.core` -- experiments, cells, provenance, the store;
* :mod:`~lofi_utils.reproduce.engines` -- run cells in this process, on all cores (joblib), or on a Slurm
  cluster or as local jobs (submitit);
* :mod:`~lofi_utils.reproduce.experiments` -- the experiments of the chapters;
* :mod:`~lofi_utils.reproduce.cli` -- ``python3 tasks.py reproduce`` (``python -m lofi_utils reproduce``).
"""
