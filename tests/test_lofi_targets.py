"""The hierarchical target and the overlap measures (lofi_utils.lofi.targets)."""

import numpy as np
import pytest
from lofi_testing import one_torch_thread

from lofi_utils.lofi.targets import HierarchicalTarget, hidden_overlap, hierarchical_target, span_r2


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_balanced_signs_put_the_degree_two_part_of_y_along_h_star():
    # E[y He2(u_j)] = c a_j (no constant part) and E[y T] = 0 for balanced signs; random signs break E[y T] = 0
    n = 400_000
    task = hierarchical_target(12, 6, gain=4.0, balanced=True, rng=np.random.default_rng(1))
    assert task.a.sum() == 0
    X, y = task.sample(n, np.random.default_rng(2))
    He2 = task.hidden(X) ** 2 - 1
    coef = (y[:, None] * He2).mean(0)
    se = (y[:, None] * He2).std(0) / np.sqrt(n)
    c = (coef * task.a).mean()
    assert c > 20 * se.max() and np.all(np.abs(coef - c * task.a) < 4.5 * se)
    T = He2.sum(1)
    assert abs((y * T).mean()) < 4.5 * (y * T).std() / np.sqrt(n)
    unb = HierarchicalTarget(W=task.W, a=np.array([1.0, 1, 1, 1, 1, -1]), gain=4.0)
    yu = unb.label(X)
    assert abs((yu * T).mean()) > 10 * (yu * T).std() / np.sqrt(n)
    assert np.abs(task.feature(X).var() - 1) < 0.02
    with pytest.raises(ValueError, match="even"):
        hierarchical_target(12, 5, balanced=True, rng=np.random.default_rng(0))


def test_hidden_overlap_span_r2_and_the_label_formula():
    rng = np.random.default_rng(0)
    task = hierarchical_target(12, 3, rng=rng)
    assert abs(hidden_overlap(task.W, task.W) - 1.0) < 1e-12
    assert abs(hidden_overlap(np.eye(12)[:, :12], task.W) - 1.0) < 1e-12
    X, y = task.sample(50, rng)
    assert abs(np.mean(y) - np.mean(np.tanh(2 * (((X @ task.W) ** 2 - 1) * task.a).sum(1) / np.sqrt(6)))) < 1e-12
    assert np.allclose(span_r2(X[:, :3], X[:, :2]), 1.0)


def test_hidden_overlap_of_an_orthogonal_subspace_is_zero_and_a_random_one_is_k_over_d():
    task = hierarchical_target(40, 4, rng=np.random.default_rng(3))
    Q, _ = np.linalg.qr(np.c_[task.W, np.random.default_rng(4).standard_normal((40, 10))])
    assert hidden_overlap(Q[:, 4:], task.W) < 1e-24
    ov = [hidden_overlap(np.random.default_rng(s).standard_normal((40, 10)), task.W) for s in range(200)]
    assert abs(np.mean(ov) - 10 / 40) < 0.02  # E overlap of a random k-dim subspace = k/d
