"""Real data for the chapters: what ships with scikit-learn / scikit-image, and loaders for large sets.

Offline by default:

* :func:`digits` -- scikit-learn's 8x8 handwritten digits (1797 images), optionally on the sphere;
* :func:`photos`, :func:`textures` -- photographs and textures bundled with scikit-image.

From a path the reader gives (never downloaded here):

* :func:`load_mnist` -- the four IDX files (optionally ``.gz``) or Keras' ``mnist.npz``;
* :func:`load_cifar10`, :func:`load_cifar100` -- the "python version" pickles of Krizhevsky's CIFAR.

A missing or malformed path raises :class:`DataMissing` (a ``ValueError``) whose one-line message
says what was expected where and where to get it.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

NORMALIZATIONS = ("sphere", "standard", None)

#: Photographs bundled with scikit-image (no download needed).
PHOTOS: tuple[str, ...] = ("astronaut", "camera", "cat", "coffee", "rocket", "immunohistochemistry",
                           "hubble_deep_field", "moon", "coins", "clock")
#: Textures bundled with scikit-image.
TEXTURES: tuple[str, ...] = ("brick", "grass", "gravel")

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_VEHICLES = (0, 1, 8, 9)


class DataMissing(ValueError):
    """A dataset the reader asked for is not where it was said to be (one-line message)."""


def to_sphere(X) -> np.ndarray:
    """Rows of ``X`` (n, d) centred by the data mean and scaled to the sphere of radius ``sqrt(d)``.

    ``x_i <- sqrt(d) (x_i - mean) / |x_i - mean|`` (the NTK convention ``|x|^2 = d``). Rows that are
    zero after centring raise ``ValueError``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must be a non-empty (n, d) array, got shape {X.shape}")
    Z = X - X.mean(axis=0)
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("a row is zero after centring; it has no direction on the sphere")
    return np.sqrt(X.shape[1]) * Z / norms


def digits(*, classes=None, normalize: str | None = "sphere", n: int | None = None,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: ``X`` (n, 64) float64 and labels ``y`` (n,) int64.

    ``classes``: keep only these digit labels (e.g. ``(0, 1)``); ``normalize``: ``"sphere"``
    (:func:`to_sphere`), ``"standard"`` (pixels scaled to [0, 1]) or ``None`` (raw 0..16 values);
    ``n``: a random subset of that size, drawn with ``seed`` (``None``: all, in the original order).
    """
    from sklearn.datasets import load_digits

    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    data = load_digits()
    X, y = data.data.astype(np.float64), data.target.astype(np.int64)
    if classes is not None:
        classes = [int(c) for c in np.atleast_1d(classes)]
        bad = [c for c in classes if not 0 <= c <= 9]
        if bad or not classes:
            raise ValueError(f"classes must be digits 0..9, got {classes}")
        keep = np.isin(y, classes)
        X, y = X[keep], y[keep]
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(y):
            raise ValueError(f"n must be an integer in [1, {len(y)}], got {n!r}")
        idx = np.random.default_rng(seed).choice(len(y), size=int(n), replace=False)
        X, y = X[idx], y[idx]
    if normalize == "sphere":
        X = to_sphere(X)
    elif normalize == "standard":
        X = X / 16.0
    return X, y


def _gray(im: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray, rgba2rgb

    im = np.asarray(im)
    if im.ndim == 3 and im.shape[-1] == 4:
        im = rgba2rgb(im)
    if im.ndim == 3:
        return rgb2gray(im).astype(np.float64)
    return im.astype(np.float64) / (255.0 if im.dtype == np.uint8 else 1.0)


def _skimage(name: str, gray: bool) -> np.ndarray:
    import skimage.data

    fn = getattr(skimage.data, name, None)
    if fn is None:
        raise ValueError(f"scikit-image has no bundled image {name!r}")
    im = fn()
    if gray:
        return _gray(im)
    im = np.asarray(im)
    return im.astype(np.float64) / (255.0 if im.dtype == np.uint8 else 1.0)


def photos(*, gray: bool = True, names=PHOTOS) -> list[np.ndarray]:
    """Photographs bundled with scikit-image, as float64 arrays with values in [0, 1].

    ``gray=True``: 2-D luminance images (shape (H, W), sizes differ); else the stored channels.
    ``names``: any of :data:`PHOTOS` (or another bundled image name).
    """
    return [_skimage(nm, gray) for nm in names]


def textures(*, names=TEXTURES) -> dict[str, np.ndarray]:
    """Gray-level textures bundled with scikit-image (512 x 512, values in [0, 1]), by name."""
    return {nm: _skimage(nm, True) for nm in names}


# --------------------------------------------------------------------------- large datasets from a path
def _need_dir(path, what: str, hint: str) -> Path:
    if path is None:
        raise DataMissing(f"{what}: no path given; pass data_path=... pointing at {hint}")
    p = Path(path).expanduser()
    if not p.exists():
        raise DataMissing(f"{what}: {p} does not exist; expected {hint}")
    return p


def _find(root: Path, names) -> Path | None:
    for nm in names:
        for cand in (root / nm, *root.glob(f"*/{nm}")):
            if cand.exists():
                return cand
    return None


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise DataMissing(f"MNIST: {path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataMissing(f"MNIST: {path} is truncated ({data.size} values for shape {shape})")
    return data.reshape(shape)


def load_mnist(path, *, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST from ``path``: images ``X`` (n, 28, 28) uint8 and labels ``y`` (n,) int64.

    ``path``: a folder with the IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``,
    possibly one level down) or Keras' ``mnist.npz``. ``split``: ``"train"`` or ``"test"``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    hint = "MNIST's IDX files (train-images-idx3-ubyte[.gz], ...) or mnist.npz (http://yann.lecun.com/exdb/mnist/)"
    p = _need_dir(path, "MNIST", hint)
    npz = p if p.suffix == ".npz" else _find(p, ["mnist.npz"])
    if npz is not None:
        with np.load(npz) as z:
            return z[f"x_{split}"].astype(np.uint8), z[f"y_{split}"].astype(np.int64)
    stem = "train" if split == "train" else "t10k"
    img = _find(p, [f"{stem}-images-idx3-ubyte", f"{stem}-images-idx3-ubyte.gz", f"{stem}-images.idx3-ubyte"])
    lab = _find(p, [f"{stem}-labels-idx1-ubyte", f"{stem}-labels-idx1-ubyte.gz", f"{stem}-labels.idx1-ubyte"])
    if img is None or lab is None:
        raise DataMissing(f"MNIST: no {stem} images/labels under {p}; expected {hint}")
    X, y = _read_idx(img), _read_idx(lab).astype(np.int64)
    if X.shape[0] != y.shape[0]:
        raise DataMissing(f"MNIST: {img.name} and {lab.name} disagree on the number of samples")
    return X, y


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")


def load_cifar10(path, *, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 from ``path``: ``X`` (n, 32, 32, 3) uint8 and ``y`` (n,) int64 (class indices, see
    :data:`CIFAR10_CLASSES`).

    ``path``: the folder ``cifar-10-batches-py`` (or its parent) of the "CIFAR-10 python version"
    (https://www.cs.toronto.edu/~kriz/cifar.html): ``data_batch_1`` .. ``data_batch_5``, ``test_batch``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    hint = ("the 'CIFAR-10 python version' folder cifar-10-batches-py (data_batch_1..5, test_batch; "
            "https://www.cs.toronto.edu/~kriz/cifar.html)")
    p = _need_dir(path, "CIFAR-10", hint)
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    files = [_find(p, [nm]) for nm in names]
    missing = [nm for nm, f in zip(names, files) if f is None]
    if missing:
        raise DataMissing(f"CIFAR-10: {', '.join(missing)} not found under {p}; expected {hint}")
    X, y = [], []
    for f in files:
        d = _unpickle(f)
        X.append(np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        y.append(np.asarray(d["labels"], dtype=np.int64))
    return np.concatenate(X), np.concatenate(y)


def load_cifar100(path, *, split: str = "train", label: str = "fine") -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-100 from ``path`` (the folder ``cifar-100-python`` or its parent: files ``train``, ``test``).

    Returns ``X`` (n, 32, 32, 3) uint8 and ``y`` (n,) int64 with ``label`` ``"fine"`` (100 classes)
    or ``"coarse"`` (20 superclasses).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if label not in ("fine", "coarse"):
        raise ValueError(f"label must be 'fine' or 'coarse', got {label!r}")
    hint = "the 'CIFAR-100 python version' folder cifar-100-python (train, test; https://www.cs.toronto.edu/~kriz/cifar.html)"
    p = _need_dir(path, "CIFAR-100", hint)
    f = _find(p, [f"cifar-100-python/{split}", split])
    if f is None or f.is_dir():
        raise DataMissing(f"CIFAR-100: file {split!r} not found under {p}; expected {hint}")
    d = _unpickle(f)
    X = np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return X, np.asarray(d[f"{label}_labels"], dtype=np.int64)


def cifar10_animals_vs_vehicles(y) -> np.ndarray:
    """Binary labels for CIFAR-10: ``+1`` for the six animal classes, ``-1`` for the four vehicles."""
    y = np.asarray(y)
    if np.any((y < 0) | (y > 9)):
        raise ValueError("CIFAR-10 labels must lie in 0..9")
    return np.where(np.isin(y, CIFAR10_VEHICLES), -1.0, 1.0)
