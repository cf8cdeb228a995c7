"""The first cell of every chapter: profile, device, seeds, figure style and check context."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from . import streams
from .checks import set_context
from .plotting import use_style
from .profiles import Profile, get_profile
from .runtime import Runtime, setup


@dataclass(frozen=True)
class Chapter:
    """What a chapter needs from its first cell: sizes ``P``, the ``device`` and a seeded ``rng``."""

    P: Profile
    runtime: Runtime

    @property
    def device(self) -> torch.device:
        """The device chosen by :func:`lofi_utils.runtime.setup`."""
        return self.runtime.device

    @property
    def rng(self) -> np.random.Generator:
        """The chapter's seeded NumPy generator."""
        return self.runtime.rng

    @property
    def seed(self) -> int:
        """The chapter's root seed."""
        return self.runtime.seed

    def stream(self, name: str, *key) -> np.random.Generator:
        """A NumPy ``Generator`` of its own for the draw called ``name``: :func:`lofi_utils.streams.rng`
        ``(seed, name, *key)``, independent of every other name (and of ``rng``) whatever the seed."""
        return streams.rng(self.seed, name, *key)

    def seed_for(self, name: str, *key) -> int:
        """An integer seed of its own for the experiment called ``name`` (:func:`lofi_utils.streams.int_seed`),
        for functions that take ``seed=``."""
        return streams.int_seed(self.seed, name, *key)


def start(chapter: str, profile: str | None = None, *, seed: int = 0, threads: int | None = None) -> Chapter:
    """Resolve the profile, pick the device, seed everything, apply the book's style; print a summary.

    ``profile=None`` falls back to ``$LOFI_PROFILE`` and then ``book``; unknown names raise a
    ``ValueError`` that lists the allowed ones.
    """
    P = get_profile(chapter, profile)
    rt = setup(seed, threads=threads)
    use_style()
    set_context(chapter=chapter, profile=P.name, fresh=True)
    print(f"chapter {chapter!r} at profile {P.name!r}: {rt}")
    if P.name == "paper" and rt.device.type != "cuda":
        warnings.warn(PAPER_ON_CPU, stacklevel=2)
    return Chapter(P=P, runtime=rt)


PAPER_ON_CPU = (
    "the 'paper' profile is sized for a CUDA GPU and none is in use: on a CPU some sections take "
    "hours, and chapter 3's n = 50 000 readout needs a 20 GB Gram matrix. Use profile 'book' for a "
    "CPU run (see the setup page, 'Running on a GPU')."
)
