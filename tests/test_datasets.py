"""Real-data helpers: bundled data, and loaders that fail with one clear line."""

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest

from lofi_utils import datasets as D


def test_digits_on_the_sphere():
    X, y = D.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    assert np.allclose(np.linalg.norm(X, axis=1), 8.0)  # radius sqrt(64)
    Xs, ys = D.digits(classes=(0, 1), normalize="standard", n=50, seed=3)
    assert Xs.shape == (50, 64) and set(np.unique(ys)) <= {0, 1} and 0 <= Xs.min() and Xs.max() <= 1
    X2, y2 = D.digits(classes=(0, 1), normalize="standard", n=50, seed=3)
    assert np.array_equal(Xs, X2) and np.array_equal(ys, y2)
    with pytest.raises(ValueError, match="normalize"):
        D.digits(normalize="l2")
    with pytest.raises(ValueError, match="classes"):
        D.digits(classes=(11,))
    with pytest.raises(ValueError, match="n must"):
        D.digits(n=0)


def test_to_sphere_is_centred_and_scaled():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5)) + 3.0
    Z = D.to_sphere(X)
    assert np.allclose(np.linalg.norm(Z, axis=1), np.sqrt(5))
    # the direction of each centred row is kept
    C = X - X.mean(0)
    assert np.allclose(np.sum(Z * C, axis=1), np.sqrt(5) * np.linalg.norm(C, axis=1))


def test_photos_and_textures_are_bundled():
    ims = D.photos(names=("camera", "astronaut"))
    assert ims[0].shape == (512, 512) and ims[1].ndim == 2
    assert all(0 <= im.min() and im.max() <= 1 for im in ims)
    tex = D.textures()
    assert set(tex) == set(D.TEXTURES) and all(t.shape == (512, 512) for t in tex.values())
    with pytest.raises(ValueError, match="no bundled image"):
        D.photos(names=("not_an_image",))


def test_missing_paths_give_one_line(tmp_path):
    for loader, name in ((D.load_cifar10, "CIFAR-10"), (D.load_mnist, "MNIST"), (D.load_cifar100, "CIFAR-100")):
        with pytest.raises(D.DataMissing, match=name) as e:
            loader(None)
        assert "\n" not in str(e.value)
        with pytest.raises(D.DataMissing, match="does not exist"):
            loader(tmp_path / "nowhere")
        with pytest.raises(D.DataMissing, match="not found|no train"):
            loader(tmp_path)


def test_cifar10_round_trip(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(5, 4, 32, 32, 3), dtype=np.uint8)
    for i in range(5):
        data = imgs[i].transpose(0, 3, 1, 2).reshape(4, -1)
        with open(root / f"data_batch_{i + 1}", "wb") as f:
            pickle.dump({"data": data, "labels": [i, 9 - i, 0, 8]}, f)
    X, y = D.load_cifar10(tmp_path)  # the parent folder works too
    assert X.shape == (20, 32, 32, 3) and np.array_equal(X[:4], imgs[0])
    assert y.tolist()[:4] == [0, 9, 0, 8]
    assert D.cifar10_animals_vs_vehicles(np.array([0, 3, 8, 9, 5])).tolist() == [-1, 1, -1, -1, 1]
    with pytest.raises(D.DataMissing, match="test_batch"):
        D.load_cifar10(root, split="test")


def test_mnist_idx_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1], dtype=np.uint8)
    head = bytes([0, 0, 8, 3]) + b"".join(int(s).to_bytes(4, "big") for s in imgs.shape)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(head + imgs.tobytes())
    with open(tmp_path / "train-labels-idx1-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + labels.tobytes())
    X, y = D.load_mnist(tmp_path)
    assert np.array_equal(X, imgs) and y.tolist() == [7, 2, 1]


# --------------------------------------------------------------------------- bad data: one clear line each
def _one_line(err, *names):
    msg = str(err.value)
    assert "\n" not in msg and isinstance(err.value, ValueError), msg
    for nm in names:
        assert nm in msg, msg
    return msg


def _cifar10(root, *, n=4, names=None, **entries):
    """A CIFAR-10 python-version folder ``root`` with ``n`` random images per batch; ``entries`` replace
    the dict's ``data``/``labels`` (``None`` drops the key)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for nm in names or [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        d = {
            "batch_label": nm,
            "data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            "labels": rng.integers(0, 10, n).tolist(),
        }
        d.update(entries)
        with open(root / nm, "wb") as f:
            pickle.dump({k: v for k, v in d.items() if v is not None}, f, protocol=2)
    return root


def _idx(path, arr, *, head=None):
    arr = np.asarray(arr, dtype=np.uint8)
    head = head or bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    path.write_bytes(head + arr.tobytes())


def _mnist(root, n=3, size=28, labels=None):
    root.mkdir(parents=True, exist_ok=True)
    _idx(root / "train-images-idx3-ubyte", np.random.default_rng(n).integers(0, 256, (n, size, size)))
    _idx(root / "train-labels-idx1-ubyte", np.arange(n) % 10 if labels is None else labels)
    return root


def _gz(root, raw):
    """Replace the MNIST training images by ``train-images-idx3-ubyte.gz`` holding ``raw``."""
    (root / "train-images-idx3-ubyte").unlink()
    (root / "train-images-idx3-ubyte.gz").write_bytes(raw)


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize(
    "make, expect",
    [
        (lambda f: f.write_bytes(bytes(range(7, 250))), "not a CIFAR python-version pickle"),
        (lambda f: f.write_bytes(f.read_bytes()[:1000]), "truncated"),
        (lambda f: f.write_bytes(b""), "empty file"),
        (lambda f: f.write_bytes(pickle.dumps([1, 2])), "holds a list, not the dict"),
        (lambda f: f.write_bytes(pickle.dumps({"data": _Evil(), "labels": [1]})), "refers to builtins.print"),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "fine_labels": [1, 2]})),
            "no 'labels' entry (it holds 'data', 'fine_labels'); it looks like CIFAR-100",
        ),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.zeros((2, 100), np.uint8), "labels": [1, 2]})),
            "'data' has shape (2, 100); expected (n, 3072)",
        ),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.zeros((50, 3072), np.uint8), "labels": [1] * 35})),
            "holds 50 images but labels of shape (35,)",
        ),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [3, 12]})),
            "'labels' has values in [3, 12]; expected class indices 0..9",
        ),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.full((2, 3072), 0.5), "labels": [3, 1]})),
            "'data' holds float64 values; expected integers",
        ),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.full((2, 3072), 300), "labels": [3, 1]})),
            "values in [300, 300]; expected pixels 0..255",
        ),
        (lambda f: f.write_bytes(pickle.dumps({"data": np.zeros((0, 3072), np.uint8), "labels": []})), "with n >= 1"),
        (
            lambda f: f.write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": ["a", "b"]})),
            "'labels' holds <U1 values; expected integers",
        ),
    ],
)
def test_cifar10_bad_batch_is_one_line_naming_the_file(tmp_path, make, expect):
    root = _cifar10(tmp_path / "cifar-10-batches-py")
    make(root / "data_batch_3")
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar10(tmp_path)
    _one_line(err, "CIFAR-10: ", str(root / "data_batch_3"), expect)


def test_cifar_pickles_of_python2_and_bytes_keys_still_load(tmp_path):
    """The real batches were pickled by Python 2 (``numpy.core.multiarray._reconstruct``, a latin-1 ``str``
    of pixels); re-pickled ones may have ``bytes`` keys. Both load through the restricted unpickler."""
    from numpy._core.multiarray import _reconstruct

    a = np.arange(6 * 3072, dtype=np.uint8).reshape(6, 3072)

    class Py2Array:
        def __reduce__(self):
            return (
                _reconstruct,
                (np.ndarray, (0,), b"b"),
                (1, a.shape, np.dtype("u1"), False, a.tobytes().decode("latin1")),
            )

    raw = pickle.dumps({"data": Py2Array(), "labels": [0, 1, 2, 3, 4, 5]}, protocol=2)
    raw = raw.replace(b"numpy._core.multiarray\n_reconstruct", b"numpy.core.multiarray\n_reconstruct")
    assert b"numpy.core.multiarray" in raw
    root = _cifar10(tmp_path / "c10", names=["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4"])
    (root / "data_batch_5").write_bytes(raw)
    (root / "test_batch").write_bytes(pickle.dumps({b"data": a, b"labels": [9] * 6}))
    X, y = D.load_cifar10(root)
    assert X.shape == (22, 32, 32, 3) and np.array_equal(X[16:], a.reshape(6, 3, 32, 32).transpose(0, 2, 3, 1))
    assert y[16:].tolist() == [0, 1, 2, 3, 4, 5]
    assert D.load_cifar10(root, split="test")[1].tolist() == [9] * 6


def test_cifar100_bad_files(tmp_path):
    root = tmp_path / "cifar-100-python"
    root.mkdir()
    (root / "train").write_bytes(b"\x80\x02garbage")
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar100(tmp_path)
    _one_line(err, "CIFAR-100: ", str(root / "train"), "not a CIFAR python-version pickle")
    with open(root / "train", "wb") as f:
        pickle.dump({"data": np.zeros((2, 3072), np.uint8), "fine_labels": [5, 99], "coarse_labels": [1, 20]}, f)
    assert D.load_cifar100(tmp_path)[1].tolist() == [5, 99]
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar100(tmp_path, label="coarse")
    _one_line(err, "'coarse_labels' has values in [1, 20]; expected class indices 0..19")
    with open(root / "train", "wb") as f:
        pickle.dump({"data": np.zeros((2, 3072), np.uint8), "labels": [5, 9]}, f)
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar100(tmp_path)
    _one_line(err, "no 'fine_labels' entry", "it looks like CIFAR-10")
    with pytest.raises(ValueError, match="unknown label 'medium'; allowed: fine, coarse"):
        D.load_cifar100(tmp_path, label="medium")


@pytest.mark.parametrize(
    "make, expect",
    [
        (lambda r: _gz(r, b"hello world" * 9), "train-images-idx3-ubyte.gz is named .gz but is not gzip data"),
        (lambda r: _gz(r, gzip.compress(np.arange(3000).tobytes())[:200]), "is a damaged or truncated gzip file"),
        (lambda r: (r / "mnist.npz").write_bytes(bytes(range(256))), "mnist.npz is not a NumPy .npz archive"),
        (lambda r: (r / "mnist.npz").write_bytes(b"PK\x03\x04" + bytes(200)), "mnist.npz is not a readable .npz"),
        (lambda r: np.savez(r / "mnist.npz", a=np.zeros(3)), "mnist.npz has no x_train or y_train (it holds a)"),
        (
            lambda r: np.savez(r / "mnist.npz", x_train=np.array([{}], dtype=object), y_train=np.zeros(1)),
            "mnist.npz is not a readable .npz archive",
        ),
        (
            lambda r: np.savez(r / "mnist.npz", x_train=np.zeros((2, 28, 28)), y_train=np.zeros(2, int)),
            "'x_train' holds float64 values; expected integers",
        ),
        (
            lambda r: np.savez(r / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(3, int)),
            "holds 2 images but labels of shape (3,)",
        ),
        (
            lambda r: _idx(r / "train-images-idx3-ubyte", np.zeros((3, 28, 28)), head=b"\x01\x02\x08\x03"),
            "is not an IDX file",
        ),
        (
            lambda r: _idx(r / "train-images-idx3-ubyte", np.zeros((3, 28, 28)), head=bytes([0, 0, 9, 3]) + bytes(12)),
            "is an IDX file of type 0x09; expected unsigned bytes",
        ),
        (lambda r: _idx(r / "train-images-idx3-ubyte", np.zeros(3)), "holds a 1-dimensional array; expected images"),
        (lambda r: _idx(r / "train-labels-idx1-ubyte", np.zeros((3, 28, 28))), "expected labels (n,)"),
        (
            lambda r: _idx(
                r / "train-images-idx3-ubyte",
                np.zeros((3, 28, 28)),
                head=bytes([0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28]),
            ),
            "is truncated: 2352 data bytes",
        ),
        (
            lambda r: _idx(
                r / "train-images-idx3-ubyte",
                np.zeros((3, 28, 28)),
                head=bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]),
            ),
            "is longer than its header says",
        ),
        (
            lambda r: _idx(r / "train-images-idx3-ubyte", np.zeros(2), head=bytes([0, 0, 8, 3, 0, 0])),
            "truncated inside its IDX header",
        ),
        (lambda r: _idx(r / "train-labels-idx1-ubyte", [1, 2, 200]), "'labels' has values in [1, 200]; expected class"),
        (lambda r: _idx(r / "train-labels-idx1-ubyte", [1, 2]), "holds 3 images but labels of shape (2,)"),
        (
            lambda r: _idx(r / "train-images-idx3-ubyte", np.zeros((3, 32, 32))),
            "has shape (3, 32, 32); expected (n, 28, 28)",
        ),
    ],
)
def test_mnist_bad_files_are_one_line(tmp_path, make, expect):
    _mnist(tmp_path)
    make(tmp_path)
    with pytest.raises(D.DataMissing) as err:
        D.load_mnist(tmp_path)
    _one_line(err, "MNIST: ", str(tmp_path), expect)


def test_mnist_npz_and_gzip_without_the_suffix_load(tmp_path):
    imgs = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28) % 251
    np.savez(
        tmp_path / "mnist.npz", x_train=imgs, y_train=np.array([3, 4], np.uint8), x_test=imgs[:1], y_test=np.array([9])
    )
    X, y = D.load_mnist(tmp_path / "mnist.npz", split="test")  # the file itself works too
    assert np.array_equal(X, imgs[:1]) and y.dtype == np.int64 and y.tolist() == [9]
    assert D.load_mnist(tmp_path)[1].tolist() == [3, 4]
    sub = _mnist(tmp_path / "idx", n=2)
    img = sub / "train-images-idx3-ubyte"
    img.write_bytes(gzip.compress(img.read_bytes()))  # gzip content, name without .gz
    assert D.load_mnist(sub)[0].shape == (2, 28, 28)


def test_bad_paths_and_arguments_are_one_line(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for loader, name in ((D.load_cifar10, "CIFAR-10"), (D.load_mnist, "MNIST"), (D.load_cifar100, "CIFAR-100")):
        with pytest.raises(D.DataMissing) as err:
            loader(afile)
        _one_line(err, f"{name}: {afile} is a file, not a folder; expected ")
        with pytest.raises(D.DataMissing) as err:
            loader("")
        _one_line(err, "data_path is an empty or blank string")
        with pytest.raises(D.DataMissing) as err:
            loader(2024)
        _one_line(err, "data_path must be a folder path (a string), got int 2024 (on the command line write ./2024)")
        with pytest.raises(ValueError, match="unknown split 'val'; allowed: train, test"):
            loader(tmp_path, split="val")
    with pytest.raises(D.DataMissing) as err:  # relative paths are shown absolute
        D.load_cifar10("no/such/folder")
    _one_line(err, str(Path.cwd() / "no/such/folder"), "does not exist")
    root = _cifar10(tmp_path / "part", names=["data_batch_1", "data_batch_2"])
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar10(root)
    _one_line(err, "data_batch_3, data_batch_4, data_batch_5 not found under")
    (root / "test_batch").mkdir()  # a folder where a file should be
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar10(root, split="test")
    _one_line(err, "test_batch not found")
    mn = _mnist(tmp_path / "mn")
    with pytest.raises(D.DataMissing) as err:
        D.load_cifar10(mn)
    _one_line(err, "(it holds MNIST files)")


def test_detect_reads_the_files_not_the_name(tmp_path):
    assert D.detect(_cifar10(tmp_path / "mydata")) == "cifar10"
    assert D.detect(tmp_path / "mydata", ("mnist", "cifar10")) == "cifar10"
    assert D.detect(_mnist(tmp_path / "cifar-looking-name")) == "mnist"
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((1, 28, 28), np.uint8), y_train=[1])
    assert D.detect(tmp_path / "mnist.npz") == "mnist"
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DataMissing) as err:
        D.detect(tmp_path / "empty", ("cifar10", "mnist"))
    _one_line(
        err,
        f"nothing found under {tmp_path / 'empty'}; looked for CIFAR-10 batches (data_batch_1..5, "
        "test_batch) or MNIST IDX files",
    )
    with pytest.raises(D.DataMissing) as err:  # the parent holds both
        D.detect(tmp_path)
    _one_line(err, "holds files of CIFAR-10 and MNIST; point data_path at the folder of one of them")
    with pytest.raises(D.DataMissing) as err:
        D.detect(tmp_path / "mydata" / "data_batch_1")
    _one_line(err, "is a file, not a folder; looked for")
    c100 = tmp_path / "c100" / "cifar-100-python"
    c100.mkdir(parents=True)
    (c100 / "meta").write_bytes(b"")
    with pytest.raises(D.DataMissing) as err:
        D.detect(c100.parent, ("cifar10", "mnist"))
    _one_line(err, "holds CIFAR-100 files, which are not read here; looked for CIFAR-10 batches")
    with pytest.raises(ValueError, match="kinds must be one of"):
        D.detect(tmp_path, ("imagenet",))


def test_check_data_path_checks_everything_at_once(tmp_path):
    assert D.check_data_path(None, "cifar10") is None  # nothing to check: offline fallback
    with pytest.raises(ValueError) as err:  # ... but the dataset name is checked
        D.check_data_path(None, "cifar1000", allowed=("cifar10", "cifar100"))
    _one_line(err, "dataset must be one of 'cifar10', 'cifar100', got 'cifar1000'")
    with pytest.raises(ValueError, match="dataset must be one of 'cifar10', 'cifar100', got 'mnist'"):
        D.check_data_path(None, "mnist", allowed=("cifar10", "cifar100"))
    with pytest.raises(ValueError, match="n_train must be an integer >= 1"):
        D.check_data_path(None, "cifar10", n_train=0)
    root = _cifar10(tmp_path / "c10", n=3)
    assert D.check_data_path(root, "cifar10", n_train=15, n_test=3) == "cifar10"
    assert D.check_data_path(root, ("mnist", "cifar10")) == "cifar10"
    with pytest.raises(D.DataMissing) as err:
        D.check_data_path(root, "cifar10", n_train=16)
    _one_line(err, f"CIFAR-10: {root} holds 15 train images; 16 are asked for")
    with pytest.raises(D.DataMissing) as err:
        D.check_data_path(root, "cifar100")
    _one_line(err, f"CIFAR-100: {root} holds CIFAR-10 files, not CIFAR-100; expected ")
    with pytest.raises(D.DataMissing) as err:  # a bad test batch is found now too
        (root / "test_batch").write_bytes(b"junk")
        D.check_data_path(root, "cifar10")
    _one_line(err, str(root / "test_batch"), "not a CIFAR python-version pickle")


def test_real_data_is_chosen_by_content(tmp_path):
    from lofi_utils import datasets as LW

    data = LW.load_real_data(_cifar10(tmp_path / "my_images", n=4), n=8, seed=0)
    assert data.name == "CIFAR-10" and data.X.shape == (8, 3072)
    assert LW.load_real_data(_mnist(tmp_path / "cifar_named_mnist", n=5), n=4).name == "MNIST"
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DataMissing) as err:
        LW.load_real_data(tmp_path / "empty", n=4)
    _one_line(err, "looked for CIFAR-10 batches", "or MNIST IDX files")


def test_chapter_loaders_check_their_sizes(fake_cifar10):
    from lofi_utils.chapters.amplitude_phase import image_data as AP
    from lofi_utils.chapters.neural_lofi import baselines as E

    with pytest.raises(ValueError) as err:
        AP.load_cifar(fake_cifar10, "cifar10", n_train=31, n_test=2)
    _one_line(err, "asked for 31 train images of cifar10", "hold 30")
    for bad in (2.5, True, 0):
        with pytest.raises(ValueError, match="n_train must be an integer >= 1"):
            AP.load_cifar(fake_cifar10, "cifar10", n_train=bad, n_test=2)
    with pytest.raises(ValueError, match="n_val must be an integer >= 1, got 0"):
        E.cifar_comparison("/nowhere", n_train=4, n_val=0, n_test=2, p=10, k=2)


def test_chapters_check_a_given_data_path_first():
    """Each chapter that reads ``data_path`` checks it in the code cell right after its setup cell."""
    from conftest import ROOT

    for name, call in (
        ("02_layerwise", "datasets.load_real_data(data_path"),
        ("03_neural_lofi", 'datasets.check_data_path(data_path, "cifar10"'),
        ("04_amplitude_phase", "datasets.check_data_path(data_path, dataset"),
    ):
        text = (ROOT / "notebooks" / f"{name}.md").read_text(encoding="utf-8")
        cells = text.split("```{code-cell}")[1:]
        first = next(i for i, c in enumerate(cells) if ":tags: [parameters]" in c)
        assert any(call in c for c in cells[first + 1 : first + 3]), name
