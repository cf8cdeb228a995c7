"""The code of chapter 2 (lofi_utils.chapters.layerwise): the surveys of the shares, the finite-width sweeps, the
training experiments on degree-k targets and on real data, the figures and the widget; and section 6's data
loader (lofi_utils.datasets.load_real_data).

(The maths they use is pinned in tests/test_hermite.py, test_kernels.py, test_ntk.py, test_layer_series.py,
test_layer_spectra.py and test_attribution.py.)"""

import math

import numpy as np
import pytest
import torch

from lofi_utils import attribution as AT
from lofi_utils import datasets as D
from lofi_utils import kernels as K
from lofi_utils import layer_spectra as SP
from lofi_utils import sphere as S
from lofi_utils import streams
from lofi_utils.chapters.layerwise import figures, finite_width, training_runs, widget
from lofi_utils.chapters.layerwise import share_surveys as surveys
from lofi_utils.ntk import MLP, empirical_ntk

torch.set_num_threads(1)


# --------------------------------------------------------------------------- sections 2-3: surveys
def test_share_ordering_sums_the_pairwise_tests_and_honours_the_caps():
    survey = surveys.share_ordering([3, 10], [3], 10, activations=("relu", "tanh"), caps={"tanh": 6})
    assert set(survey.spectra) == {(a, d, 3) for a in ("relu", "tanh") for d in (3, 10)}
    assert survey.violations["relu"] == 0 and survey.first_violations["relu"] == 0
    expected = sum(SP.ratio_monotonicity(survey.spectra["tanh", d, 3], kmin=0, kmax=6)["comparisons"] for d in (3, 10))
    assert survey.comparisons["tanh"] == expected > 0
    uncapped = surveys.share_ordering([3, 10], [3], 10, activations=("tanh",))
    assert uncapped.comparisons["tanh"] > survey.comparisons["tanh"]
    assert survey.first_share_increasing() and survey.readout_share_decreasing()
    with pytest.raises(ValueError, match="depths"):
        surveys.share_ordering([3], [1], 10)


def test_high_dim_limit_closed_form_and_one_over_d():
    # two-layer ReLU, k = 1: b_{1+2j} = 0 for j >= 1 and m(1, 1, d) N(d, 1) = (1/d) d = 1, so mu_1 N(d,1) = b_1 exactly
    exact = surveys.high_dim_limit(2, 1, [5, 20, 80])
    assert exact.gap.max() < 1e-10
    hd = surveys.high_dim_limit(3, 2, [20, 80, 320])
    assert np.all(np.diff(hd.gap) < 0) and hd.exponent == pytest.approx(-1.0, abs=0.15)
    assert hd.share_gap[-1] < hd.share_gap[0]
    with pytest.raises(ValueError, match="ds"):
        surveys.high_dim_limit(3, 2, [10])


# --------------------------------------------------------------------------- section 4: finite networks
def test_total_and_per_layer_width_sweeps_share_one_loop():
    # chapter 1's sweep of the total NTK
    from lofi_utils.chapters.spectral_bias.ntk_width import ntk_width_sweep

    total = ntk_width_sweep(3, 3, 40, [32, 128], seeds=2, seed=4, dtype=torch.float32)
    layers = finite_width.layer_width_sweep(3, 3, 40, [32, 128], seeds=2, seed=4)
    assert np.array_equal(total.errors, layers.total_errors)  # same inputs, same networks
    x = S.sample_sphere(40, 3, radius=math.sqrt(3), rng=streams.rng(4, "width_sweep.inputs"))
    x = torch.as_tensor(x, dtype=torch.float32)
    widest = MLP(3, 128, 3, seed=streams.int_seed(4, "width_sweep.net", 128, 0), dtype=torch.float32)  # theta_hat
    assert np.array_equal(total.theta_hat, empirical_ntk(widest, x).double().numpy())
    # |sum_l (Theta_hat_l - Theta_l)| <= sum_l |Theta_hat_l - Theta_l| (triangle inequality, Frobenius norms)
    norms = np.linalg.norm(K.layer_kernels(total.cosines, depth=3).theta_layers.reshape(3, -1), axis=1)
    assert np.all(total.errors * np.linalg.norm(total.theta) <= (layers.errors * norms).sum(-1) * (1 + 1e-6))
    assert layers.errors.shape == (2, 2, 3) and layers.mean_errors.shape == (2, 3)
    with pytest.raises(ValueError, match="widths"):
        finite_width.layer_width_sweep(3, 3, 40, [], seeds=1)


def test_probe_shares_of_finite_networks_follow_the_population():
    ps = finite_width.measure_probe_shares(3, 3, 256, 300, [1, 2], seeds=2, n_probes=6, seed=1)
    assert ps.network.shape == (2, 2, 3) and ps.analytic.shape == ps.theory.shape == (2, 3)
    assert np.allclose(ps.theory.sum(1), 1) and np.allclose(ps.network.sum(2), 1)
    assert np.abs(ps.analytic - ps.theory).max() < 0.05 and np.abs(ps.network_mean - ps.theory).max() < 0.1


# --------------------------------------------------------------------------- sections 5-6: who reduces the error
def test_zonal_task_is_a_unit_variance_harmonic_of_degree_k():
    x, y = training_runs.zonal_task(5, 4000, 1, seed=3, rep=1)
    assert x.shape == (4000, 5) and np.allclose((x**2).sum(1), 5)
    coef, res, *_ = np.linalg.lstsq(x, y, rcond=None)  # degree 1: a linear function of x
    assert res[0] < 1e-20 * (y**2).sum()
    assert abs(np.mean(y**2) - 1) < 0.1  # E y^2 = 1; the standard error is 0.017
    # one stream per (seed, k, rep)
    assert np.array_equal(training_runs.zonal_task(5, 50, 1, seed=3, rep=1)[0], x[:50])
    assert not np.array_equal(training_runs.zonal_task(5, 50, 1, seed=3, rep=2)[0], x[:50])
    assert np.allclose(training_runs.zonal_task(5, 20, 0)[1], 1.0)
    with pytest.raises(ValueError, match="n_points"):
        training_runs.zonal_task(5, 1, 1)


def test_zonal_attribution_and_single_layer_rates_share_the_task():
    d, L, width, n = 3, 2, 128, 100
    kw = dict(eta=0.2, steps=40, seed=2, threads=1)  # a small step: the rate fit sees one clean decay
    runs = training_runs.zonal_attribution(d, L, width, n, [1], reps=2, **kw)
    assert set(runs.runs) == {(1, 0), (1, 1)} and runs[1, 0].label == "k = 1"
    assert AT.closure_error(runs.values()) < 0.02
    net_gap, ana_gap = runs.theory_gaps(SP.layer_spectrum(d, 1, depth=L).shares)
    assert ana_gap < 0.1 and net_gap < 0.1  # finite sample and width
    one = training_runs.single_layer_rates(d, L, width, n, 1, **kw)
    for l in (1, 2):  # a frozen layer contributes nothing
        other = 2 - l
        assert np.all(one.runs[l].network.contrib[:, other] == 0) and np.all(one.runs[l].initial.contrib[:, other] == 0)
    # same task and initial network as runs[1, 0]: single-layer kernel rates add up to the full kernel rate
    full = AT.residual_rate(runs[1, 0].initial.train_loss)
    assert one.initial.sum() / full == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="theory"):
        runs.theory_gaps(np.ones((L, 1)))


def test_attribution_runs_kernel_models_are_linear_in_the_target():
    rng = np.random.default_rng(5)
    X = S.sample_sphere(60, 4, radius=2.0, rng=rng)
    y = rng.standard_normal(60)
    a, b = training_runs.attribution_runs(X, {"y": y, "2y": 2 * y}, 40, width=32, depth=2, eta=0.5, steps=5, threads=1)
    assert (a.label, b.label) == ("y", "2y")
    for kind in ("initial", "analytic"):  # C_l is quadratic in the target
        assert np.allclose(getattr(b, kind).contrib, 4 * getattr(a, kind).contrib, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="target"):
        training_runs.attribution_runs(X, {}, 40, width=32, depth=2, eta=0.5, steps=5)


# --------------------------------------------------------------------------- section 6: real data
def test_digits_are_loaded_on_the_sphere():
    data = D.load_real_data(None, n=200, seed=0)
    assert data.X.shape == (200, 64) and data.name == "digits" and "no data_path" in data.note
    assert np.allclose((data.X**2).sum(1), 64) and set(np.unique(data.y)) == {-1.0, 1.0}
    assert np.array_equal(D.load_real_data(None, n=200, seed=0).X, data.X)  # the subset is seeded


def _write_idx(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    path.write_bytes(header + arr.tobytes())


def test_mnist_from_a_path(tmp_path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, size=(30, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(30) % 10)
    data = D.load_real_data(tmp_path, n=20, seed=0)
    assert data.name == "MNIST" and data.X.shape == (20, 784) and np.allclose((data.X**2).sum(1), 784)
    assert np.all(data.y == np.where(data.labels <= 4, 1.0, -1.0))


def test_bad_data_path_is_one_clear_line(tmp_path):
    from lofi_utils.datasets import DataMissing

    for path, name in ((tmp_path / "nowhere", "MNIST"), (tmp_path / "cifar-10-batches-py", "CIFAR-10")):
        with pytest.raises(DataMissing, match=name) as err:
            D.load_real_data(path, n=10)
        assert "\n" not in str(err.value)
        assert isinstance(err.value, ValueError)


# --------------------------------------------------------------------------- figures and widget
def test_figures_and_widget_build(monkeypatch):
    monkeypatch.delenv("LOFI_UNATTENDED", raising=False)  # a person's session
    import matplotlib.pyplot as plt

    sp = SP.layer_spectrum(5, 6, depth=3)
    for ax in (
        figures.plot_layer_kernels(3),
        figures.plot_layer_shares(5, depth=3, kmax=6, spectrum=sp),
        figures.plot_high_dim(3, [1, 2], [10, 50]),
    ):
        assert ax.has_data()
    plt.close("all")
    w = widget.share_explorer(kmax=6)
    assert {c.description for c in w.children if hasattr(c, "description")} >= {"activation", "depth L", "dimension d"}
    assert len(plt.get_fignums()) == 1  # building the widget draws the starting figure (a person's session)
    w.children[1].value = 3  # a control change draws one more
    assert len(plt.get_fignums()) == 2
    plt.close("all")
    from lofi_utils.plotting import control_panel

    with pytest.raises(ValueError, match="control"):
        control_panel([], lambda ax: ax)
