"""Real texture patches against their phase-randomised copies: a pure phase task (chapter 4, section 6).

Both classes have identical amplitude spectra, patch by patch, so only the phases tell them apart. The
images keep their natural power-law spectrum or are whitened to a flat one (:func:`lofi_utils.fourier.whiten`);
the real class's phases can be jittered (:func:`lofi_utils.fourier.phase_jitter`). The networks are trained by
:func:`lofi_utils.chapters.amplitude_phase.tracking.train_tracking`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ...fourier import amplitude_phase, extract_patches, phase_jitter, standardise, whiten
from ...validation import check_choice, check_in_range
from .tracking import Tracking, steps_to, train_tracking

__all__ = ["phase_discrimination", "discrimination_scan", "faster_spectrum"]


def phase_discrimination(
    image: ArrayLike,
    *,
    size: int = 16,
    n_train: int = 3000,
    n_test: int = 1000,
    jitter: float = 0.0,
    spectrum: str = "natural",
    rng: np.random.Generator | int = 0,
    **train_kw,
) -> Tracking:
    """Real patches of ``image`` (label 1, phases jittered by ``jitter``) against phase-randomised patches (label 0).

    Both classes have the same amplitude spectra, so only phases can tell them apart. ``spectrum="natural"``
    keeps the images' power-law spectrum; ``"flat"`` whitens both classes by the training set's mean amplitude.
    Returns the :class:`Tracking` of a network trained with :func:`train_tracking` (test accuracy as ``"test"``).
    """
    check_choice(spectrum, "spectrum", ("natural", "flat"))
    check_in_range(jitter, "jitter (a fraction of a full phase randomisation)", 0, 1)
    rng = np.random.default_rng(rng)

    def make(n, rows):
        P = extract_patches(image, size, 2 * n, rng, rows=rows)[:, None]
        real = phase_jitter(P[:n], jitter, rng) if jitter > 0 else P[:n]
        X = np.concatenate([real, phase_jitter(P[n:], 1.0, rng)])
        return standardise(X), np.repeat([1, 0], n)

    Xtr, ytr = make(n_train, (0.0, 0.5))
    Xte, yte = make(n_test, (0.5, 1.0))
    if spectrum == "flat":
        A = amplitude_phase(Xtr)[0].mean(axis=0)
        Xtr, Xte = standardise(whiten(Xtr, A)), standardise(whiten(Xte, A))
    return train_tracking(Xtr, ytr, tests={"test": (Xte, yte)}, **train_kw)


def _disc_key(name: str, jitter: float, spectrum: str) -> str:
    return f"{name}, jitter {float(jitter)}, {spectrum}"


def discrimination_scan(
    images: dict, jitters: Sequence[float], *, spectra: Sequence[str] = ("natural", "flat"), **kw
) -> dict:
    """:func:`phase_discrimination` for every named image, phase jitter and spectrum.

    ``images``: {name: 2-D gray image}; ``jitters``: phase jitters of the real class; ``kw``: the other
    arguments of :func:`phase_discrimination` (sizes, ``rng``) and of :func:`train_tracking`, the same for
    every run. Returns {``"<name>, jitter <j>, <spectrum>"``: :class:`Tracking`}, in loop order
    name > jitter > spectrum.
    """
    if not images or len(np.atleast_1d(jitters)) == 0 or not spectra:
        raise ValueError("need at least one image, one jitter and one spectrum")
    return {
        _disc_key(name, jit, spec): phase_discrimination(img, jitter=jit, spectrum=spec, **kw)
        for name, img in images.items()
        for jit in jitters
        for spec in spectra
    }


def faster_spectrum(results: dict, names: Sequence[str], jitters: Sequence[float], *, level: float = 0.75) -> dict:
    """Which spectrum reaches test accuracy ``level`` first in :func:`discrimination_scan` results.

    For every ``(name, jitter)``: ``"flat"`` if ``steps_to(flat) < steps_to(natural)``, ``"natural"`` if the
    reverse, ``"tie"`` otherwise (same recorded step, or neither reaches ``level``). Returns
    {(name, jitter): str}.
    """
    check_in_range(level, "level (an accuracy)", 0, 1, low_open=True)
    out = {}
    for name in names:
        for jit in jitters:
            tn = steps_to(results[_disc_key(name, jit, "natural")], "test", level)
            tf = steps_to(results[_disc_key(name, jit, "flat")], "test", level)
            out[(name, jit)] = "flat" if tf < tn else ("natural" if tn < tf else "tie")
    return out
