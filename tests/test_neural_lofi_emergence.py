"""Section 1 of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.emergence): the emergence sweep."""

import numpy as np
import pytest
import torch
from lofi_testing import one_torch_thread

from lofi_utils import streams
from lofi_utils.chapters.neural_lofi.emergence import EmergenceSweep, emergence_sweep, gd_overlap, signed_matrix
from lofi_utils.lofi import hidden_overlap, hierarchical_target, top_k_abs


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_emergence_spread_collapses_in_n_over_dr():
    # two pairs whose curves coincide against n/(d r) and are shifted by r against n/d
    sw = EmergenceSweep(
        pairs=[(8, 2), (16, 4)],
        cs=np.array([1.0, 2.0, 4.0]),
        overlap=np.repeat(np.array([[0.1, 0.5, 0.9]])[:, :, None], 2, axis=0).reshape(2, 3, 1),
    )
    assert sw.spread("dr") < 1e-12 and sw.spread("d") > 0.1
    assert np.allclose(sw.at(2.0), [0.5, 0.5])
    with pytest.raises(ValueError, match="not in the sweep's grid"):
        sw.at(3.0)


def test_signed_matrix_is_the_label_weighted_second_moment():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 5)), rng.standard_normal(30)
    w = y - y.mean()
    ref = sum(wi * np.outer(xi, xi) for wi, xi in zip(w, X)) / len(y)
    M = signed_matrix(X, y)
    assert M.dtype == torch.float64 and np.abs(M.numpy() - ref).max() < 1e-14


def test_emergence_sweep_repeats_the_four_step_core():
    # one entry of the sweep is: sample -> signed matrix -> top-r by |lambda| -> overlap with W
    sw = emergence_sweep([(16, 2)], [1.0, 8.0], seeds=2, seed=5)
    assert sw.overlap.shape == (1, 2, 2) and np.all((sw.overlap >= 0) & (sw.overlap <= 1 + 1e-12))
    rng = streams.rng(5, "emergence", 16, 2, 1)  # the stream of (d, r) = (16, 2), repetition 1
    task = hierarchical_target(16, 2, rng=rng)
    task.sample(32, rng)  # c = 1 first
    X, y = task.sample(256, rng)
    top = top_k_abs(signed_matrix(X, y), 2, method="dense")
    assert sw.overlap[0, 1, 1] == hidden_overlap(top.vectors.numpy(), task.W)
    assert sw.mean[0, 1] > sw.mean[0, 0]


def test_gd_overlap_shapes_and_ranges():
    task = hierarchical_target(16, 2, rng=np.random.default_rng(0))
    g = gd_overlap(task, 400, width=64, seeds=2)
    assert g.gd_lofi.shape == g.gd_w.shape == (2,) and g.singular_values.shape == (16,)
    assert np.all((g.gd_lofi >= 0) & (g.gd_lofi <= 1 + 1e-12)) and 0 <= g.lofi_w <= 1 + 1e-12
