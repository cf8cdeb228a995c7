"""Real data for the chapters: what ships with scikit-learn / scikit-image, and loaders for large sets.

Offline by default:

* :func:`digits` -- scikit-learn's 8x8 handwritten digits (1797 images), optionally on the sphere;
* :func:`photos`, :func:`textures` -- photographs and textures bundled with scikit-image.

From a path the reader gives (never downloaded here):

* :func:`load_mnist` -- the four IDX files (optionally ``.gz``) or Keras' ``mnist.npz``;
* :func:`load_cifar10`, :func:`load_cifar100` -- the "python version" pickles of Krizhevsky's CIFAR;
* :func:`detect` -- which of them a folder holds, by its files; :func:`check_data_path` -- a chapter's
  first cell checks a given ``data_path`` with it, so a wrong one stops the chapter at once.
* :func:`load_real_data` -- digits, MNIST or CIFAR-10 (chosen by the files under the path), flattened,
  subsampled and put on the sphere, with a binary target (a :class:`RealData`).

A missing or malformed path or file raises :class:`DataMissing` (a ``ValueError``) whose one-line
message names the path, says what was wrong and what was expected (and where to get it).
"""

from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_choice, check_int

NORMALIZATIONS = ("sphere", "standard", None)

#: Photographs bundled with scikit-image (no download needed).
PHOTOS: tuple[str, ...] = (
    "astronaut",
    "camera",
    "cat",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "moon",
    "coins",
    "clock",
)
#: Textures bundled with scikit-image.
TEXTURES: tuple[str, ...] = ("brick", "grass", "gravel")

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_VEHICLES = (0, 1, 8, 9)


class DataMissing(ValueError):
    """A dataset the reader asked for is not where it was said to be (one-line message)."""


def to_sphere(X: ArrayLike) -> np.ndarray:
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


def digits(
    *, classes: int | Sequence[int] | None = None, normalize: str | None = "sphere", n: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: ``X`` (n, 64) float64 and labels ``y`` (n,) int64.

    ``classes``: keep only these digit labels (e.g. ``(0, 1)``); ``normalize``: ``"sphere"``
    (:func:`to_sphere`), ``"standard"`` (pixels scaled to [0, 1]) or ``None`` (raw 0..16 values);
    ``n``: a random subset of that size, drawn with ``seed`` (``None``: all, in the original order).
    """
    from sklearn.datasets import load_digits

    check_choice(normalize, "normalize", NORMALIZATIONS)
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
        check_int(n, "n", minimum=1, maximum=len(y))
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


def photos(*, gray: bool = True, names: Sequence[str] = PHOTOS) -> list[np.ndarray]:
    """Photographs bundled with scikit-image, as float64 arrays with values in [0, 1].

    ``gray=True``: 2-D luminance images (shape (H, W), sizes differ); else the stored channels.
    ``names``: any of :data:`PHOTOS` (or another bundled image name).
    """
    return [_skimage(nm, gray) for nm in names]


def textures(*, names: Sequence[str] = TEXTURES) -> dict[str, np.ndarray]:
    """Gray-level textures bundled with scikit-image (512 x 512, values in [0, 1]), by name."""
    return {nm: _skimage(nm, True) for nm in names}


# --------------------------------------------------------------------------- large datasets from a path
#: The datasets read from a path (:func:`check_data_path`, :func:`detect`).
KINDS: tuple[str, ...] = ("cifar10", "cifar100", "mnist")
_NAMES = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "mnist": "MNIST"}
_HINTS = {
    "mnist": "MNIST's IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...) "
    "or Keras' mnist.npz (http://yann.lecun.com/exdb/mnist/)",
    "cifar10": "the 'CIFAR-10 python version' folder cifar-10-batches-py (data_batch_1..5, test_batch; "
    "https://www.cs.toronto.edu/~kriz/cifar.html)",
    "cifar100": "the 'CIFAR-100 python version' folder cifar-100-python (train, test; "
    "https://www.cs.toronto.edu/~kriz/cifar.html)",
}
#: What :func:`detect` looks for, as it says it.
_LOOKED_FOR = {
    "cifar10": "CIFAR-10 batches (data_batch_1..5, test_batch)",
    "cifar100": "CIFAR-100 files (train, test, meta)",
    "mnist": "MNIST IDX files (train-images-idx3-ubyte[.gz], ...) or mnist.npz",
}
_CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
_MNIST_IMAGES = {
    s: (f"{t}-images-idx3-ubyte", f"{t}-images-idx3-ubyte.gz", f"{t}-images.idx3-ubyte")
    for s, t in (("train", "train"), ("test", "t10k"))
}
_MNIST_LABELS = {
    s: (f"{t}-labels-idx1-ubyte", f"{t}-labels-idx1-ubyte.gz", f"{t}-labels.idx1-ubyte")
    for s, t in (("train", "train"), ("test", "t10k"))
}
#: Files whose presence marks a folder as holding that dataset (:func:`detect`).
_SIGNATURES = {
    "cifar10": _CIFAR10_FILES + ("batches.meta",),
    "cifar100": ("train", "test", "meta"),
    "mnist": (
        "mnist.npz",
        *_MNIST_IMAGES["train"],
        *_MNIST_IMAGES["test"],
        *_MNIST_LABELS["train"],
        *_MNIST_LABELS["test"],
    ),
}
SPLITS = ("train", "test")


def _show(p) -> str:
    """A path for a one-line message (``repr`` when it holds control characters such as a newline)."""
    s = str(p)
    return s if s.isprintable() else repr(s)


def _reason(err: BaseException) -> str:
    """An exception as a short single-line reason."""
    text = " ".join(str(getattr(err, "strerror", None) or err).split()) or type(err).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _check_split(split) -> None:
    check_choice(split, "split", SPLITS)


def _as_path(path, what: str, hint: str) -> Path:
    """``path`` as an absolute existing :class:`Path`, or :class:`DataMissing` saying what was expected."""
    if path is None:
        raise DataMissing(f"{what}: no path given; pass data_path=... pointing at {hint}")
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        tip = f" (on the command line write ./{path})" if isinstance(path, (int, float)) else ""
        raise DataMissing(
            f"{what}: data_path must be a folder path (a string), got {type(path).__name__} "
            f"{path!r}{tip}; expected {hint}"
        )
    if not str(os.fspath(path)).strip():
        raise DataMissing(f"{what}: data_path is an empty or blank string; expected {hint}")
    p = Path(path).expanduser().absolute()
    if not p.exists():
        raise DataMissing(f"{what}: {_show(p)} does not exist; expected {hint}")
    return p


def _need_dir(path, what: str, hint: str, file_suffix: str | None = None) -> Path:
    """:func:`_as_path`, and a folder (or a file ending in ``file_suffix``)."""
    p = _as_path(path, what, hint)
    if not p.is_dir() and not (file_suffix and p.suffix == file_suffix):
        raise DataMissing(f"{what}: {_show(p)} is a file, not a folder; expected {hint}")
    return p


def _find(root: Path, names) -> Path | None:
    """The first of ``names`` that is a file in ``root`` or one folder below it."""
    for nm in names:
        for cand in (root / nm, *sorted(root.glob(f"*/{nm}"))):
            if cand.is_file():
                return cand
    return None


def _kinds_in(p: Path, kinds=KINDS) -> list[str]:
    """Which of ``kinds`` have a signature file in the folder ``p`` (or ``p`` is ``mnist.npz``)."""
    if p.is_file():
        return ["mnist"] if "mnist" in kinds and p.suffix == ".npz" else []
    return [k for k in kinds if _find(p, _SIGNATURES[k]) is not None]


def _check_kinds(kinds, allowed=KINDS, what: str = "dataset") -> tuple[str, ...]:
    ks = (kinds,) if isinstance(kinds, str) else tuple(kinds) if isinstance(kinds, (tuple, list)) else ()
    if not ks or any(not isinstance(k, str) or k not in allowed for k in ks):
        raise ValueError(f"{what} must be one of {', '.join(map(repr, allowed))}, got {kinds!r}")
    return ks


def detect(path: str | os.PathLike[str], kinds: str | Sequence[str] = KINDS) -> str:
    """Which dataset the folder ``path`` holds, judged by its files (not by its name): one of ``kinds``.

    Looks in ``path`` and one folder below for CIFAR-10 batches (``data_batch_1`` .. ``test_batch``),
    CIFAR-100 files (``train``, ``test``, ``meta``) and MNIST (IDX files or ``mnist.npz``; the path may also
    be ``mnist.npz`` itself). Raises :class:`DataMissing` with one line when the path does not exist, holds
    none of them (listing what was looked for) or files of several. Only names are checked here; the loaders
    check the content.
    """
    kinds = _check_kinds(kinds, what="kinds")
    looked = " or ".join(_LOOKED_FOR[k] for k in kinds)
    p = _as_path(path, "data_path", f"a folder with {looked}")
    found = _kinds_in(p, kinds)
    if not found:
        others = [_NAMES[k] for k in _kinds_in(p) if k not in kinds]
        where = (
            f"{_show(p)} is a file, not a folder"
            if p.is_file()
            else f"{_show(p)} holds {' and '.join(others)} files, which are not read here"
            if others
            else f"nothing found under {_show(p)}"
        )
        raise DataMissing(f"data_path: {where}; looked for {looked}")
    if len(found) > 1:
        raise DataMissing(
            f"data_path: {_show(p)} holds files of {' and '.join(_NAMES[k] for k in found)}; "
            "point data_path at the folder of one of them"
        )
    return found[0]


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise DataMissing(f"{what}: cannot read {_show(path)} ({_reason(err)})") from None


def _gunzip(raw: bytes, path: Path, what: str) -> bytes:
    """``raw`` decompressed when it is gzip data (whatever the file name); a ``.gz`` name must hold gzip."""
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataMissing(f"{what}: {_show(path)} is a damaged or truncated gzip file ({_reason(err)})") from None
    if path.suffix == ".gz":
        raise DataMissing(
            f"{what}: {_show(path)} is named .gz but is not gzip data; expected a gzip-compressed "
            "IDX file (or the file unpacked, without .gz)"
        )
    return raw


def _read_idx(path: Path, ndim: int, what: str = "MNIST") -> np.ndarray:
    """An unsigned-byte IDX array of ``ndim`` dimensions from ``path`` (gzip-compressed or not)."""
    raw = _gunzip(_read_bytes(path, what), path, what)
    kind = "images (n, 28, 28)" if ndim == 3 else "labels (n,)"
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise DataMissing(
            f"{what}: {_show(path)} is not an IDX file (it does not start with the bytes 00 00); "
            f"expected MNIST {kind} in IDX format"
        )
    if raw[2] != 8:
        raise DataMissing(
            f"{what}: {_show(path)} is an IDX file of type 0x{raw[2]:02x}; expected unsigned bytes (0x08)"
        )
    if raw[3] != ndim:
        raise DataMissing(f"{what}: {_show(path)} holds a {raw[3]}-dimensional array; expected {kind}")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataMissing(f"{what}: {_show(path)} is truncated inside its IDX header ({len(raw)} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    have, need = len(raw) - head, math.prod(shape)
    if have != need:
        state = "truncated" if have < need else "longer than its header says"
        raise DataMissing(f"{what}: {_show(path)} is {state}: {have} data bytes for shape {shape} (expected {need})")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(shape)


def _as_array(v, src: str, key: str, what: str) -> np.ndarray:
    try:
        return np.asarray(v)
    except Exception as err:  # ragged lists and odd objects: numpy raises ValueError or TypeError
        raise DataMissing(f"{what}: {src}: {key!r} is not an array ({_reason(err)})") from None


def _need_ints(a: np.ndarray, src: str, key: str, what: str) -> None:
    if a.dtype.kind not in "ui":
        raise DataMissing(f"{what}: {src}: {key!r} holds {a.dtype} values; expected integers")


def _check_images(
    X, y, src: str, what: str, *, shape: tuple, n_classes: int, xkey: str = "images", ykey: str = "labels"
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``X`` (n, *shape) with values 0..255 and labels ``y`` (n,) in 0..n_classes-1, or DataMissing."""
    X, y = _as_array(X, src, xkey, what), _as_array(y, src, ykey, what)
    if X.ndim != 1 + len(shape) or X.shape[1:] != shape or X.shape[0] < 1:
        raise DataMissing(
            f"{what}: {src}: {xkey!r} has shape {X.shape}; expected (n, {', '.join(map(str, shape))}) with n >= 1"
        )
    _need_ints(X, src, xkey, what)
    if X.dtype != np.uint8 and (X.min() < 0 or X.max() > 255):
        raise DataMissing(f"{what}: {src}: {xkey!r} has values in [{X.min()}, {X.max()}]; expected pixels 0..255")
    if y.ndim != 1 or len(y) != len(X):
        raise DataMissing(
            f"{what}: {src} holds {len(X)} images but labels of shape {y.shape}; expected {len(X)} "
            "labels, one per image"
        )
    _need_ints(y, src, ykey, what)
    if y.min() < 0 or y.max() >= n_classes:
        raise DataMissing(
            f"{what}: {src}: {ykey!r} has values in [{y.min()}, {y.max()}]; expected class indices 0..{n_classes - 1}"
        )
    return X.astype(np.uint8, copy=False), y.astype(np.int64)


def _load_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Keras' ``mnist.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``), checked."""
    xk, yk = f"x_{split}", f"y_{split}"
    expect = "Keras' mnist.npz with x_train, y_train, x_test, y_test"
    raw = _read_bytes(path, "MNIST")
    if raw[:4] != b"PK\x03\x04":
        raise DataMissing(f"MNIST: {_show(path)} is not a NumPy .npz archive (no zip header); expected {expect}")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            missing = [k for k in (xk, yk) if k not in z.files]
            if missing:
                raise DataMissing(
                    f"MNIST: {_show(path)} has no {' or '.join(missing)} (it holds "
                    f"{', '.join(z.files) or 'nothing'}); expected {expect}"
                )
            X, y = z[xk], z[yk]
    except DataMissing:
        raise
    except Exception as err:  # any failure to decode an untrusted archive: zipfile, zlib and numpy errors
        raise DataMissing(
            f"MNIST: {_show(path)} is not a readable .npz archive ({_reason(err)}); expected {expect}"
        ) from None
    return _check_images(X, y, f"{_show(path)} [{xk}, {yk}]", "MNIST", shape=(28, 28), n_classes=10, xkey=xk, ykey=yk)


def load_mnist(path: str | os.PathLike[str], *, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST from ``path``: images ``X`` (n, 28, 28) uint8 and labels ``y`` (n,) int64 in 0..9.

    ``path``: a folder with the IDX files (``train-images-idx3-ubyte`` etc., optionally ``.gz``,
    possibly one level down) or Keras' ``mnist.npz`` (the file, or a folder holding it).
    ``split``: ``"train"`` or ``"test"``. Every file is checked (gzip, IDX header and length, shapes,
    labels 0..9, as many labels as images): anything wrong raises :class:`DataMissing` with one line.
    """
    _check_split(split)
    hint = _HINTS["mnist"]
    p = _need_dir(path, "MNIST", hint, file_suffix=".npz")
    npz = p if p.is_file() else _find(p, ["mnist.npz"])
    if npz is not None:
        return _load_npz(npz, split)
    img, lab = _find(p, _MNIST_IMAGES[split]), _find(p, _MNIST_LABELS[split])
    if img is None or lab is None:
        stem = "train" if split == "train" else "t10k"
        raise DataMissing(f"MNIST: no {stem} images/labels under {_show(p)}; expected {hint}")
    X, y = _read_idx(img, 3), _read_idx(lab, 1)
    return _check_images(X, y, f"{_show(img)} and {lab.name}", "MNIST", shape=(28, 28), n_classes=10)


#: The only globals a CIFAR "python version" batch refers to (NumPy's array reconstruction), by module.
_PICKLE_GLOBALS = {
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles only dicts, lists, strings, numbers and NumPy arrays: a batch file can run no code."""

    def find_class(self, module, name):
        mod = "numpy._core" + module[len("numpy.core") :] if module.split(".")[:2] == ["numpy", "core"] else module
        if (mod, name) not in _PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"it refers to {module}.{name}, which a CIFAR batch never holds")
        return super().find_class(mod, name)


def _unpickle(path: Path, what: str) -> dict:
    raw = _read_bytes(path, what)
    try:
        d = _BatchUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except Exception as err:  # any failure to decode an untrusted byte stream means: not a batch file
        reason = "empty file" if not raw else _reason(err)
        raise DataMissing(f"{what}: {_show(path)} is not a CIFAR python-version pickle ({reason})") from None
    if not isinstance(d, dict):
        raise DataMissing(f"{what}: {_show(path)} holds a {type(d).__name__}, not the dict of a CIFAR batch")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in d.items()}


def _cifar_batch(path: Path, what: str, label_key: str, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR batch file, checked: ``X`` (n, 32, 32, 3) uint8 and ``y`` (n,) int64 in 0..n_classes-1."""
    d = _unpickle(path, what)
    missing = [k for k in ("data", label_key) if k not in d]
    if missing:
        other = (
            "; it looks like CIFAR-100"
            if label_key == "labels" and "fine_labels" in d
            else "; it looks like CIFAR-10"
            if label_key != "labels" and "labels" in d
            else ""
        )
        keys = ", ".join(map(repr, list(d)[:8])) or "nothing"
        raise DataMissing(
            f"{what}: {_show(path)} has no {' or '.join(map(repr, missing))} entry (it holds {keys})"
            f"{other}; expected a {what} batch with 'data' and {label_key!r}"
        )
    X, y = _check_images(
        d["data"], d[label_key], _show(path), what, shape=(3072,), n_classes=n_classes, xkey="data", ykey=label_key
    )
    return X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), y


def load_cifar10(path: str | os.PathLike[str], *, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 from ``path``: ``X`` (n, 32, 32, 3) uint8 and ``y`` (n,) int64 (class indices, see
    :data:`CIFAR10_CLASSES`).

    ``path``: the folder ``cifar-10-batches-py`` (or its parent) of the "CIFAR-10 python version"
    (https://www.cs.toronto.edu/~kriz/cifar.html): ``data_batch_1`` .. ``data_batch_5``, ``test_batch``.
    Every batch is checked (a pickle of a dict with ``data`` (n, 3072) pixels 0..255 and n ``labels`` in
    0..9; nothing but NumPy arrays is unpickled): anything wrong raises :class:`DataMissing` with one line.
    """
    _check_split(split)
    hint = _HINTS["cifar10"]
    p = _need_dir(path, "CIFAR-10", hint)
    names = list(_CIFAR10_FILES[:5]) if split == "train" else ["test_batch"]
    files = [_find(p, [nm]) for nm in names]
    missing = [nm for nm, f in zip(names, files) if f is None]
    if missing:
        others = [_NAMES[k] for k in _kinds_in(p) if k != "cifar10"]
        holds = f" (it holds {' and '.join(others)} files)" if others else ""
        raise DataMissing(f"CIFAR-10: {', '.join(missing)} not found under {_show(p)}{holds}; expected {hint}")
    parts = [_cifar_batch(f, "CIFAR-10", "labels", 10) for f in files]
    return np.concatenate([X for X, _ in parts]), np.concatenate([y for _, y in parts])


def load_cifar100(
    path: str | os.PathLike[str], *, split: str = "train", label: str = "fine"
) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-100 from ``path`` (the folder ``cifar-100-python`` or its parent: files ``train``, ``test``).

    Returns ``X`` (n, 32, 32, 3) uint8 and ``y`` (n,) int64 with ``label`` ``"fine"`` (100 classes)
    or ``"coarse"`` (20 superclasses). The file is checked as in :func:`load_cifar10` (one line on error).
    """
    _check_split(split)
    check_choice(label, "label", ("fine", "coarse"))
    hint = _HINTS["cifar100"]
    p = _need_dir(path, "CIFAR-100", hint)
    f = _find(p, [f"cifar-100-python/{split}", split])
    if f is None:
        others = [_NAMES[k] for k in _kinds_in(p) if k != "cifar100"]
        holds = f" (it holds {' and '.join(others)} files)" if others else ""
        raise DataMissing(f"CIFAR-100: file {split!r} not found under {_show(p)}{holds}; expected {hint}")
    return _cifar_batch(f, "CIFAR-100", f"{label}_labels", 100 if label == "fine" else 20)


_LOADERS = {"cifar10": load_cifar10, "cifar100": load_cifar100, "mnist": load_mnist}


def check_data_path(
    path: str | os.PathLike[str] | None,
    kind: str | Sequence[str],
    *,
    allowed: str | Sequence[str] = KINDS,
    n_train: int | None = None,
    n_test: int | None = None,
) -> str | None:
    """Check at once, before any long computation, that ``path`` holds the dataset ``kind``.

    ``kind``: one of ``allowed`` (default :data:`KINDS`: ``"cifar10"``, ``"cifar100"``, ``"mnist"``), or a
    tuple of them, in which case the folder's files decide (:func:`detect`). ``n_train``/``n_test``: the
    number of images the caller will ask for from each split (``None``: any). ``path=None`` checks only
    ``kind`` and returns ``None`` (the caller falls back to its offline data); otherwise both splits are
    loaded and fully checked, and the kind found is returned. Anything wrong raises a ``ValueError``
    (:class:`DataMissing` for the data) with one line naming the path and what was expected.
    """
    allowed = _check_kinds(allowed, what="allowed")
    kinds = _check_kinds(kind, allowed)
    for nm, v in (("n_train", n_train), ("n_test", n_test)):
        if v is not None:
            check_int(v, nm, minimum=1)
    if path is None:
        return None
    if len(kinds) > 1:
        kind = detect(path, kinds)
    else:
        kind = kinds[0]
        p = _as_path(path, _NAMES[kind], _HINTS[kind])
        found = _kinds_in(p)
        if found and kind not in found:
            raise DataMissing(
                f"{_NAMES[kind]}: {_show(p)} holds {' and '.join(_NAMES[k] for k in found)} files, "
                f"not {_NAMES[kind]}; expected {_HINTS[kind]}"
            )
    for split, need in (("train", n_train), ("test", n_test)):
        n = len(_LOADERS[kind](path, split=split)[1])
        if need is not None and need > n:
            raise DataMissing(
                f"{_NAMES[kind]}: {_show(Path(path).expanduser().absolute())} holds {n} {split} "
                f"images; {need} are asked for"
            )
    return kind


def cifar10_animals_vs_vehicles(y: ArrayLike) -> np.ndarray:
    """Binary labels for CIFAR-10: ``+1`` for the six animal classes, ``-1`` for the four vehicles."""
    y = np.asarray(y)
    if np.any((y < 0) | (y > 9)):
        raise ValueError("CIFAR-10 labels must lie in 0..9")
    return np.where(np.isin(y, CIFAR10_VEHICLES), -1.0, 1.0)


@dataclass
class RealData:
    """A real dataset on the sphere of radius ``sqrt(D)``: ``X`` (n, D) float64, ``labels`` (n,) int64, a
    ``±1`` regression target ``y`` (n,), its ``name`` and a one-line ``note`` on what was loaded."""

    X: np.ndarray
    labels: np.ndarray
    y: np.ndarray
    name: str
    note: str


def load_real_data(data_path: str | os.PathLike[str] | None = None, *, n: int, seed: int = 0) -> RealData:
    """Load a real dataset, flatten it and put it on the sphere (:func:`to_sphere`), with a binary target.

    ``data_path=None``: scikit-learn's digits (offline), target ``+1`` for digits 0-4 and ``-1`` for 5-9.
    Otherwise the files under the path decide (:func:`detect`, whatever the folder's name): CIFAR-10
    batches (:func:`load_cifar10`), target animals (+1) vs vehicles (-1); MNIST IDX files or ``mnist.npz``
    (:func:`load_mnist`), target 0-4 vs 5-9. A bad path or file raises :class:`DataMissing` with a
    one-line message.

    Parameters
    ----------
    data_path : str, path or None
        Folder (or file) of MNIST or CIFAR-10; ``None`` for the bundled digits.
    n : int
        Number of samples, >= 2: a random subset of the training split drawn with ``seed`` (all of it if
        ``n`` is larger).
    seed : int
        Seed of the subset.

    Returns
    -------
    RealData
        ``X`` (n, D) on the sphere of radius ``sqrt(D)``, ``labels``, ``y``, ``name``, ``note``.
    """
    n = check_int(n, "n", minimum=2)
    if data_path is None:
        X, lab = digits(normalize=None)
        name = "digits"
        note = "scikit-learn digits (8x8, offline); no data_path given"
        y = np.where(lab <= 4, 1.0, -1.0)
    elif detect(data_path, ("cifar10", "mnist")) == "cifar10":
        X, lab = load_cifar10(data_path)
        name = "CIFAR-10"
        note = f"CIFAR-10 from {data_path}"
        y = cifar10_animals_vs_vehicles(lab)
    else:
        X, lab = load_mnist(data_path)
        name = "MNIST"
        note = f"MNIST from {data_path}"
        y = np.where(lab <= 4, 1.0, -1.0)
    X = np.asarray(X, dtype=np.float64).reshape(len(lab), -1)
    if n < len(lab):
        idx = np.random.default_rng(seed).choice(len(lab), size=n, replace=False)
        X, lab, y = X[idx], lab[idx], y[idx]
    return RealData(
        X=to_sphere(X),
        labels=np.asarray(lab, dtype=np.int64),
        y=np.asarray(y, dtype=float),
        name=name,
        note=f"{note}; {len(lab) if n >= len(lab) else n} samples, D = {X.shape[1]}",
    )
