"""Section 3 of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.baselines)."""

import numpy as np
import pytest
from lofi_testing import one_torch_thread

from lofi_utils import streams
from lofi_utils.chapters.neural_lofi.baselines import (
    RealComparison,
    baseline_specs,
    cifar_binary,
    compare_models,
    digits_comparison,
    digits_pm1,
)
from lofi_utils.lofi import hierarchical_target
from lofi_utils.lofi.model import NeuralLoFi


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_real_comparison_records_and_digits_entry_equals_a_direct_fit():
    rc = RealComparison({}, {})
    rc.add("m", [0.5, -2.0, 1.0], [1.0, -1.0, -1.0])
    assert rc.mse["m"] == [pytest.approx((0.25 + 1 + 4) / 3)] and rc.err["m"] == [pytest.approx(1 / 3)]
    dig = digits_comparison(n_train=300, p=200, k=10, seeds=1, seed=4)
    split, model = streams.int_seed(4, "digits_comparison.split", 0), streams.int_seed(4, "digits_comparison.model", 0)
    X, y, Xt, yt = digits_pm1(n_train=300, seed=split)
    m = NeuralLoFi([200, 200], [10, None], seed=model).fit(X, y)
    assert dig.mse["LoFi"][0] == pytest.approx(m.mse(Xt, yt), rel=1e-12)
    assert set(dig.mse) == {"RF(p)", "RF(2p)", "LoFi", "NNGP (depth 2)", "NTK (depth 2)", "kernel LoFi"}


def test_cifar_binary_normalises_per_channel_and_says_what_is_missing(fake_cifar10, tmp_path_factory):
    from lofi_utils.datasets import DataMissing

    with pytest.raises(DataMissing):
        cifar_binary(tmp_path_factory.mktemp("empty"), n_train=4, n_val=2, n_test=2)
    tmp_path = fake_cifar10
    X, y, Xv, yv, Xt, yt = cifar_binary(tmp_path, n_train=20, n_val=5, n_test=4)
    ch = X.reshape(20, 32, 32, 3).reshape(-1, 3)
    assert X.shape == (20, 3072) and Xv.shape == (5, 3072) and Xt.shape == (4, 3072)
    assert np.abs(ch.mean(0)).max() < 1e-12 and np.abs(ch.std(0) - 1).max() < 1e-12
    assert set(np.unique(np.r_[y, yv, yt])) <= {-1.0, 1.0}
    with pytest.raises(ValueError, match="asked for"):
        cifar_binary(tmp_path, n_train=30, n_val=5, n_test=4)


def test_compare_models_runs_every_model_and_the_kernels_only_up_to_their_n():
    task = hierarchical_target(12, 2, rng=np.random.default_rng(0))
    cmp = compare_models(task, [200, 400], p=30, k=4, n_test=150, seeds=1, kernel_n_max=200)
    assert set(cmp.mse) == set(baseline_specs(30, 4)) | {"NNGP (depth 2)", "NTK (depth 2)", "kernel LoFi"}
    assert np.isfinite(cmp.mse["kernel LoFi"][0, 0]) and np.isnan(cmp.mse["kernel LoFi"][1, 0])
    assert np.isfinite(cmp.overlap).all() and "Var y" in cmp.table()
