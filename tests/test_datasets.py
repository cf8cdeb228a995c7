"""Real-data helpers: bundled data, and loaders that fail with one clear line."""

import gzip
import pickle

import numpy as np
import pytest

from lofi_utils import datasets as D


def test_digits_on_the_sphere():
    X, y = D.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    assert np.allclose(np.linalg.norm(X, axis=1), 8.0)          # radius sqrt(64)
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
    X, y = D.load_cifar10(tmp_path)                         # the parent folder works too
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
