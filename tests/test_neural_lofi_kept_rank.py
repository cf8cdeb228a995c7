"""Section 4 of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.kept_rank): error against the kept rank."""

import numpy as np
import pytest
from lofi_testing import one_torch_thread

from lofi_utils.chapters.neural_lofi.kept_rank import k_sweep
from lofi_utils.lofi import hierarchical_target


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_k_sweep_shapes_and_ranks():
    task = hierarchical_target(16, 2, rng=np.random.default_rng(0))
    sw = k_sweep(task, [8, 2, 40, 2], n=600, p=40, n_test=300, seeds=1)
    assert sw.ks.tolist() == [2, 8, 40] and sw.mse.shape == (3, 1) and sw.mse_rf.shape == (1,)
    assert sw.k_best in (2, 8, 40) and sw.r == 2 and sw.p == 40 and sw.var_y > 0
    with pytest.raises(ValueError, match="ranks must lie in"):
        k_sweep(task, [41], n=100, p=40, n_test=50, seeds=1)
