"""Chapter 1, section 6: learning times of the sum-of-sines networks for several activations."""

import numpy as np
import pytest
from sines_testing import TINY, one_thread  # noqa: F401  (one_thread: an autouse fixture)

from lofi_utils.chapters.spectral_bias.activation_comparison import activation_label, compare_activations
from lofi_utils.spectral1d import summarize_learning_times
from lofi_utils.training1d import train_sum_of_sines


def test_summary_and_activation_comparison():
    kw = {k: v for k, v in TINY.items() if k != "progress"}
    cmp = compare_activations(("plain_relu", "tanh"), run_seeds=(0, 1), progress=False, **kw)
    assert cmp.times.shape == (2, 2, 2)
    s = cmp.summaries["plain_relu"]
    assert s.spearman.shape == (2,) and s.monotone.dtype == bool
    assert "relu" in cmp.table() and "tanh" in cmp.table()
    summ = summarize_learning_times(cmp.runs["tanh"], 0.9)
    np.testing.assert_array_equal(summ.times, cmp.summaries["tanh"].times)
    with pytest.raises(ValueError, match="unknown activation"):
        compare_activations(("plain_relu", "nope"), run_seeds=(0,), progress=False, **kw)


def test_compare_activations_reuses_matching_runs_only():
    kw = {k: v for k, v in TINY.items() if k != "progress"}
    relu = [train_sum_of_sines(seed=s, activation="plain_relu", **TINY) for s in (0, 1)]
    cmp = compare_activations(("plain_relu", "sin"), run_seeds=(0, 1), reuse={"plain_relu": relu}, progress=False, **kw)
    assert cmp.runs["plain_relu"][0] is relu[0]
    fresh = compare_activations(("plain_relu",), run_seeds=(0, 1), progress=False, **kw)
    np.testing.assert_array_equal(fresh.times[0], cmp.times[0])
    with pytest.raises(ValueError, match="does not match"):
        compare_activations(
            ("plain_relu",), run_seeds=(0, 1), reuse={"plain_relu": relu}, progress=False, **dict(kw, steps=40)
        )
    with pytest.raises(ValueError, match="runs for"):
        compare_activations(("plain_relu",), run_seeds=(0, 1, 2), reuse={"plain_relu": relu}, progress=False, **kw)


def test_plain_relu_is_labelled_relu():
    assert activation_label("plain_relu") == "relu" and activation_label("tanh") == "tanh"
    kw = {k: v for k, v in TINY.items() if k != "progress"}
    cmp = compare_activations(("plain_relu", "sin"), run_seeds=(0,), progress=False, **kw)
    assert cmp.labels == {"plain_relu": "relu", "sin": "sin"}
    rows = [line.split()[0] for line in cmp.table().splitlines()[2:4]]
    assert rows == ["relu", "sin"]
    with pytest.raises(ValueError, match="not activation/seed"):
        compare_activations(("tanh",), run_seeds=(0,), activation="tanh", progress=False, **kw)
