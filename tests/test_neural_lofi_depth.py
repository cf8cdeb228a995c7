"""Section 5 of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.depth)."""

import numpy as np
import pytest
from lofi_testing import one_torch_thread

from lofi_utils.chapters.neural_lofi.depth import depth_specs, depth_study
from lofi_utils.lofi.targets import hierarchical_target


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_depth_study_shapes_and_what_the_layers_carry():
    task = hierarchical_target(16, 4, gain=4.0, balanced=True, rng=np.random.default_rng(0))
    st = depth_study(task, [1500], p1=600, p2=400, p_out=100, n_test=600, seeds=1)
    assert set(st.mse) == {"LoFi, 2 filters", "LoFi, 1 filter", "RF(1000)", "RF on u (oracle)"}
    assert all(v.shape == (1, 1) for v in list(st.mse.values()) + list(st.r2.values()))
    # layer 1 carries u linearly but not h* (quadratic in u); the layer-2 feature carries h*
    assert st.r2["layer 1 ~ u"][0, 0] > 0.7 and st.r2["layer 1 ~ h*"][0, 0] < 0.1
    assert st.r2["layer 2 ~ h*"][0, 0] > 0.5
    with pytest.raises(ValueError, match="sample sizes"):
        depth_study(task, [], p1=10, p2=10, p_out=10, n_test=10)


def test_depth_specs_build_the_two_filter_network():
    specs = depth_specs(4, p1=30, p2=20, p_out=10)
    assert list(specs) == ["LoFi, 2 filters", "LoFi, 1 filter", "RF(50)"]
    two = specs["LoFi, 2 filters"]
    assert two["ranks"] == [4, 1, None] and two["activation"] == ["relu", "quadratic", "relu"]
    assert two["prepend_linear"] == [False, True, False]
    with pytest.raises(ValueError, match="p1 must be an integer >= 1"):
        depth_specs(4, p1=0, p2=20, p_out=10)


def test_depth_variant_sign_sum_and_bad_input():
    """The unbalanced variant flips |sign_sum|/2 signs of a balanced draw; bad sums end in one line."""
    from lofi_utils.chapters.neural_lofi.depth import depth_variant

    r2, rel = depth_variant(8, 4, 300, sign_sum=2, p=60, p_out=20, n_test=100)
    assert isinstance(r2, float) and isinstance(rel, float) and rel > 0
    for bad in (1, 6, -6):
        with pytest.raises(ValueError, match="sign_sum must be an even number"):
            depth_variant(8, 4, 300, sign_sum=bad)


def test_variant_drops_pairs_each_variant_with_the_base():
    """Drops are base minus variant per run, with an interval; the base itself has no drop."""
    from lofi_utils.chapters.neural_lofi.depth import variant_drops

    vs = {"base": {}, "relu": dict(activation2="relu", bias2=1.0)}
    vd = variant_drops(8, 4, 300, [0, 1], variants=vs)
    assert set(vd.drops) == {"relu"} and vd.r2["base"].shape == (2,)
    assert vd.drops["relu"][0] == pytest.approx(float((vd.r2["base"] - vd.r2["relu"]).mean()))
    assert "relu" in vd.table()
    with pytest.raises(ValueError, match="at least 2 run seeds"):
        variant_drops(8, 4, 300, [0])
