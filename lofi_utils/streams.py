"""Independent random streams, named by what they are for.

Every random quantity of the book comes from one base ``seed`` (the chapter's ``seed`` parameter) and a
*key*: the names and indices that say what the stream is for, e.g. ``("lofi.lift", layer)`` or
``("emergence.data", d, r, rep)``. The stream is NumPy's :class:`numpy.random.SeedSequence` with entropy
``seed`` and spawn key ``key`` (names hashed to integers by CRC-32), which is how ``SeedSequence.spawn``
makes children: two different keys give statistically independent streams, whatever the integers in them.
Seed arithmetic such as ``seed + 100 * s + i`` cannot promise that (seed 1's first stream is seed 0's
101st), and neither can entropy lists such as ``[seed, 23, s]`` (NumPy pads short entropy with zeros, so
``[seed, 0]`` and ``seed`` coincide).

Three views of one stream:

* :func:`rng` -- a ``numpy.random.Generator`` (data, phases, subsamples);
* :func:`int_seed` -- a 63-bit integer for APIs that take an integer seed (``RandomLift``, ``NeuralLoFi``,
  ``MLP``), which derive their own streams from it in turn;
* :func:`torch_generator` -- a seeded ``torch.Generator`` on a device.

The book's meaning of ``seeds`` follows: a *count* of independent repetitions ``rep = 0 .. seeds - 1``,
repetition ``rep`` drawing from keys that end in ``rep``. A list of explicit seeds is called ``run_seeds``.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch

from .validation import is_int

__all__ = ["seed_sequence", "rng", "int_seed", "run_seeds", "torch_generator", "key_words"]


def _word(part, seed) -> int:
    if isinstance(part, str):
        if not part:
            raise ValueError(f"a stream key's names must be non-empty strings, got {part!r}")
        return zlib.crc32(part.encode())
    if is_int(part) and int(part) >= 0:
        return int(part)
    raise ValueError(f"a stream key is made of names (str) and integers >= 0, got {part!r} in the key of seed {seed!r}")


def key_words(*key: str | int) -> tuple[int, ...]:
    """The spawn key of ``key``: names as their CRC-32, integers as themselves (must be ``>= 0``)."""
    return tuple(_word(p, None) for p in key)


def seed_sequence(seed: int, *key: str | int) -> np.random.SeedSequence:
    """``SeedSequence(seed, spawn_key=key_words(*key))``: the stream named ``key`` under base ``seed``.

    ``seed`` is an integer ``>= 0``; ``key`` names and integers ``>= 0``. With no key it is the base
    sequence itself (so ``rng(seed)`` equals ``np.random.default_rng(seed)``).
    """
    if not is_int(seed) or int(seed) < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    return np.random.SeedSequence(int(seed), spawn_key=tuple(_word(p, seed) for p in key))


def rng(seed: int, *key: str | int) -> np.random.Generator:
    """A NumPy ``Generator`` (PCG64) on the stream ``key`` of ``seed`` (:func:`seed_sequence`)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *key)))


def int_seed(seed: int, *key: str | int) -> int:
    """A 63-bit integer drawn from the stream ``key`` of ``seed``, for APIs that take an integer seed.

    Two different keys give different integers except with probability about ``2**-63`` per pair.
    """
    hi, lo = (int(w) for w in seed_sequence(seed, *key).generate_state(2, np.uint32))
    return ((hi << 32) | lo) & (2**63 - 1)


def run_seeds(seed: int, name: str, count: int) -> list[int]:
    """``[int_seed(seed, name, s) for s in range(count)]``: one integer seed per repetition, for functions
    that take a list of per-run seeds (:func:`lofi_utils.training1d.train_sum_of_sines_batch`)."""
    if not is_int(count) or int(count) < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    return [int_seed(seed, name, s) for s in range(int(count))]


def torch_generator(seed: int, *key: str | int, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with :func:`int_seed` ``(seed, *key)``."""
    return torch.Generator(device=device).manual_seed(int_seed(seed, *key))
