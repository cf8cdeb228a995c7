"""Device choice, seeding and thread settings shared by every chapter.

Policy: kernels and spectra are computed in float64 NumPy/SciPy; training and simulation run in
PyTorch float32 on the chosen device (CUDA when present, else CPU).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from .validation import check_int

DEFAULT_SEED = 0
#: chapter seeds lie in ``[0, SEED_LIMIT)``: NumPy, PyTorch and the chapters' derived streams all take them
SEED_LIMIT = 2**32


def pick_device(prefer: str | None = None) -> torch.device:
    """Return ``cuda`` when a GPU is visible, else ``cpu``.

    ``prefer`` (or the environment variable ``LOFI_DEVICE``) forces ``"cpu"`` or ``"cuda"``;
    asking for CUDA on a machine without it raises ``ValueError``.
    """
    source = "" if prefer else " (from $LOFI_DEVICE)"
    choice = (prefer or os.environ.get("LOFI_DEVICE") or "auto").strip().lower()
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {choice!r}{source} requested but CUDA is not available on this machine; use 'auto' or 'cpu'"
            )
        return torch.device(choice)
    raise ValueError(f"unknown device {choice!r}{source}; use 'auto', 'cpu' or 'cuda'")


def seed_everything(seed: int = DEFAULT_SEED) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA); return a fresh NumPy ``Generator``.

    Raises ``ValueError`` for a seed that is not an integer in ``[0, 2**32)``.
    """
    seed = check_int(seed, "seed", minimum=0, maximum=SEED_LIMIT - 1)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return np.random.default_rng(seed)


def set_threads(n: int | None = None) -> int:
    """Set PyTorch's intra-op threads (``n`` or ``$LOFI_THREADS``; default: leave as is).

    Small networks train faster on one thread; returns the number in force.
    """
    if n is None:
        raw = os.environ.get("LOFI_THREADS", "").strip() or "0"
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"$LOFI_THREADS must be a whole number >= 0 (0 = leave unchanged), got {raw!r}") from None
        if n < 0:
            raise ValueError(f"$LOFI_THREADS must be a whole number >= 0 (0 = leave unchanged), got {raw!r}")
    check_int(n, "threads (0 = leave unchanged)", minimum=0)
    if n > 0:
        torch.set_num_threads(n)
    return torch.get_num_threads()


#: the environment variable that says whether progress bars are drawn; ``0`` in unattended executions
PROGRESS_ENV_VAR = "LOFI_PROGRESS"
_OFF, _ON = ("0", "false", "no", "off"), ("1", "true", "yes", "on")


def _env_flag(var: str, *, unset: bool) -> bool:
    """The yes/no environment variable ``var``: ``0``/``false``/``no``/``off`` -> False, ``1``/``true``/``yes``/``on``
    -> True, unset or empty -> ``unset``; any other value raises ``ValueError`` naming what is allowed."""
    raw = os.environ.get(var, "").strip().lower()
    if not raw:
        return unset
    if raw in _OFF:
        return False
    if raw in _ON:
        return True
    raise ValueError(f"${var} must be 0 or 1 (also false/true, no/yes, off/on), got {raw!r}")


def progress_default() -> bool:
    """Whether the book's functions draw ``tqdm`` progress bars when their ``progress`` argument is ``None``.

    ``$LOFI_PROGRESS`` decides: ``0``/``false``/``no``/``off`` hides them, ``1``/``true``/``yes``/``on`` shows
    them; unset or empty, they are shown (a person running a chapter sees its progress). Unattended
    executions set it to ``0`` unless it is already set (the book build, in ``book/_ext/book_editions.py``, and
    ``python -m lofi_utils run``), so no bar is saved into a page or an executed notebook; export
    ``LOFI_PROGRESS=1`` to see them there too. Any other value raises ``ValueError``.
    """
    return _env_flag(PROGRESS_ENV_VAR, unset=True)


#: the environment variable that marks an unattended execution (the book build, ``python -m lofi_utils run``):
#: ``1`` there, unset when a person runs a chapter in Jupyter
UNATTENDED_ENV_VAR = "LOFI_UNATTENDED"


def unattended() -> bool:
    """Whether this execution has no person at a live front end: the book build or ``python -m lofi_utils run``.

    Both set ``$LOFI_UNATTENDED=1`` (unless it is set); an interactive widget saved into such an execution
    would be a panel of controls that do nothing, so :func:`lofi_utils.plotting.control_panel` shows a note
    instead. ``0``/``false``/``no``/``off`` or unset: attended. Any other value raises ``ValueError``.
    """
    return _env_flag(UNATTENDED_ENV_VAR, unset=False)


def show_progress(progress: bool | None) -> bool:
    """Resolve a function's ``progress`` argument: ``None`` -> :func:`progress_default`, else ``bool(progress)``."""
    return progress_default() if progress is None else bool(progress)


@contextmanager
def lapack_one_thread() -> Iterator[None]:
    """Run the block with one BLAS thread inside LAPACK factorisations (eigh, QR), restoring the setting after.

    OpenBLAS's threaded eigh spin-waits: on two cores shared with other work it ran ~17x slower with two
    threads than with one (eigh of a 1797 x 1797 matrix: 19 s against 1.1 s, measured). Without
    ``threadpoolctl`` installed the block runs unchanged.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` PyTorch intra-op threads, restoring the previous number after.

    Parameters
    ----------
    n : int or None
        Threads (an integer >= 1); ``None`` leaves the setting alone.
    """
    if n is None:
        yield
        return
    n = check_int(n, "threads", minimum=1)
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@dataclass(frozen=True)
class Runtime:
    """What :func:`setup` chose: the device, the seed, the NumPy generator and the threads."""

    device: torch.device
    seed: int
    rng: np.random.Generator
    threads: int

    def __str__(self) -> str:
        gpu = f" ({torch.cuda.get_device_name(self.device)})" if self.device.type == "cuda" else ""
        return f"device={self.device}{gpu}, seed={self.seed}, torch threads={self.threads}, torch {torch.__version__}"


def setup(
    seed: int = DEFAULT_SEED, *, device: str | None = None, threads: int | None = None, deterministic: bool = True
) -> Runtime:
    """One call at the top of a chapter: pick the device, seed everything, set threads.

    ``deterministic=True`` asks PyTorch for deterministic kernels (warn-only where none exists), so
    a CPU run is bit-for-bit repeatable.
    """
    dev = pick_device(device)
    rng = seed_everything(seed)
    nthreads = set_threads(threads)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        if dev.type == "cuda":
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return Runtime(device=dev, seed=int(seed), rng=rng, threads=nthreads)
