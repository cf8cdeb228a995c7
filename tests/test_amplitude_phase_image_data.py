"""Chapter 4's image data: standardised CIFAR arrays and subsets, texture patches."""

import numpy as np
import pytest

from lofi_utils.chapters.amplitude_phase import image_data as ID


def test_cifar_arrays():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(20, 32, 32, 3), dtype=np.uint8)
    Xs, y = ID.cifar_arrays(X, np.arange(20) % 10, n=12)
    assert Xs.shape == (12, 3, 32, 32) and y.shape == (12,)
    assert np.allclose(Xs.mean(axis=(1, 2, 3)), 0, atol=1e-12)
    with pytest.raises(ValueError):
        ID.cifar_arrays(X[..., 0], np.zeros(20))


def test_texture_patches_split_the_rows_and_label_by_image():
    tex = {"a": np.random.default_rng(1).random((40, 24)), "b": np.random.default_rng(2).random((40, 24))}
    Xtr, ytr, Xte, yte, names = ID.texture_patches(tex, 8, 5, 3, rng=0)
    assert names == ["a", "b"] and Xtr.shape == (10, 1, 8, 8) and Xte.shape == (6, 1, 8, 8)
    assert ytr.tolist() == [0] * 5 + [1] * 5 and yte.tolist() == [0] * 3 + [1] * 3
    assert np.allclose(Xtr.mean(axis=(-2, -1)), 0.0, atol=1e-12) and np.allclose(Xtr.std(axis=(-2, -1)), 1.0)
    again = ID.texture_patches(tex, 8, 5, 3, rng=0)
    assert np.array_equal(again[0], Xtr) and np.array_equal(again[2], Xte)


def test_load_cifar_equals_cifar_arrays_of_the_loader(fake_cifar10):
    from lofi_utils import datasets

    tmp_path = fake_cifar10
    Xtr, ytr, Xte, yte = ID.load_cifar(tmp_path, "cifar10", n_train=12, n_test=4, rng=3)
    rng = np.random.default_rng(3)  # one stream: the training subset, then the test subset
    ref_tr = ID.cifar_arrays(*datasets.load_cifar10(tmp_path, split="train"), n=12, rng=rng)
    ref_te = ID.cifar_arrays(*datasets.load_cifar10(tmp_path, split="test"), n=4, rng=rng)
    assert np.array_equal(Xtr, ref_tr[0]) and np.array_equal(ytr, ref_tr[1])
    assert np.array_equal(Xte, ref_te[0]) and np.array_equal(yte, ref_te[1])
    assert Xtr.shape == (12, 3, 32, 32) and np.allclose(Xtr.std(axis=(1, 2, 3)), 1.0)
    with pytest.raises(datasets.DataMissing):
        ID.load_cifar(None, "cifar100", n_train=2, n_test=2)
    with pytest.raises(ValueError, match="dataset"):
        ID.load_cifar(tmp_path, "cifar1000", n_train=2, n_test=2)


_X = np.zeros((30, 1, 8, 8))

BAD_INPUTS = [
    (lambda: ID.texture_patches({"a": np.ones((40, 40)), "b": np.ones((40, 40))}, 8, 0, 3), "n_train must be an"),
    (lambda: ID.cifar_arrays(np.zeros((5, 32, 32, 3), np.uint8), np.arange(5), n=0), "n must be an integer >= 1"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
