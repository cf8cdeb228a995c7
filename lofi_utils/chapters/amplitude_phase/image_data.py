"""The images of chapter 4's training experiments: texture patches and standardised CIFAR subsets.

Textures and photos come from :mod:`lofi_utils.datasets` (bundled with scikit-image); CIFAR-10/100 from the
"python version" folder the reader gives (``data_path``). Images are returned as (n, C, H, W) float64,
each standardised to zero mean and unit variance (:func:`lofi_utils.fourier.standardise`).
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike

from ...fourier import extract_patches, standardise
from ...validation import check_choice, check_int, check_rng

__all__ = ["texture_patches", "cifar_arrays", "CIFAR_DATASETS", "load_cifar"]


def texture_patches(
    textures: dict, size: int, n_train: int, n_test: int, rng: np.random.Generator | int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Patches of named gray images, one class per image: train patches from the top half, test from the bottom.

    Returns ``X_train`` (n_train * K, 1, size, size), ``y_train``, ``X_test``, ``y_test`` (standardised, float64)
    and the class names.
    """
    names = list(textures)
    if len(names) < 2:
        raise ValueError("need at least two images (classes)")
    n_train, n_test = check_int(n_train, "n_train", minimum=1), check_int(n_test, "n_test", minimum=1)
    rng = np.random.default_rng(rng)
    Xtr = np.concatenate([extract_patches(textures[k], size, n_train, rng, rows=(0.0, 0.5)) for k in names])
    Xte = np.concatenate([extract_patches(textures[k], size, n_test, rng, rows=(0.5, 1.0)) for k in names])
    ytr = np.repeat(np.arange(len(names)), n_train)
    yte = np.repeat(np.arange(len(names)), n_test)
    return standardise(Xtr[:, None]), ytr, standardise(Xte[:, None]), yte, names


def cifar_arrays(
    X: ArrayLike, y: ArrayLike, *, n: int | None = None, rng: np.random.Generator | int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR images (n, 32, 32, 3) uint8 to standardised (n, 3, 32, 32) float64, optionally a random subset of ``n``."""
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[-1] != 3:
        raise ValueError(f"expected CIFAR images (n, 32, 32, 3), got shape {X.shape}")
    y = np.asarray(y, dtype=np.int64)
    if n is not None:
        n = check_int(n, "n", minimum=1)
    if n is not None and n < len(y):
        idx = np.random.default_rng(rng).choice(len(y), size=n, replace=False)
        X, y = X[idx], y[idx]
    return standardise(X.transpose(0, 3, 1, 2).astype(np.float64) / 255.0), y


#: The CIFAR variants :func:`load_cifar` reads.
CIFAR_DATASETS = ("cifar10", "cifar100")


def load_cifar(
    path: str | os.PathLike[str],
    dataset: str = "cifar10",
    *,
    n_train: int,
    n_test: int,
    rng: np.random.Generator | int = 0,
) -> tuple[np.ndarray, ...]:
    """Standardised CIFAR-10 or CIFAR-100 subsets for the tracking experiment.

    Reads the "python version" folder at ``path`` (:func:`lofi_utils.datasets.load_cifar10` /
    ``load_cifar100``; a missing folder raises :class:`lofi_utils.datasets.DataMissing` with one line) and
    keeps random subsets of ``n_train`` training and then ``n_test`` test images, both drawn from ``rng`` (a
    ``numpy.random.Generator`` or an integer seed), through :func:`cifar_arrays`. Returns ``X_train``
    (n_train, 3, 32, 32), ``y_train``, ``X_test``, ``y_test``.
    Asking for more images than a split holds raises ``ValueError``.
    """
    from ... import datasets

    check_choice(dataset, "dataset", CIFAR_DATASETS)
    for nm, v in (("n_train", n_train), ("n_test", n_test)):
        check_int(v, nm, minimum=1)
    loader = {"cifar10": datasets.load_cifar10, "cifar100": datasets.load_cifar100}[dataset]
    rng = check_rng(rng)
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        X, y = loader(path, split=split)
        if n > len(y):
            raise ValueError(f"asked for {n} {split} images of {dataset}; the files at {path} hold {len(y)}")
        out += cifar_arrays(X, y, n=n, rng=rng)
    return tuple(out)
