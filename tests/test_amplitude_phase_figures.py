"""Chapter 4's figures: each draws what its caption says on small inputs, and bad input ends in one line."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from escape_testing import fake_powerlaw_scan as _fake_powerlaw_scan
from escape_testing import fake_scan as _fake_scan

from lofi_utils import escape_scans as ES
from lofi_utils import sgd_chain
from lofi_utils.chapters.amplitude_phase import figures as FG
from lofi_utils.chapters.amplitude_phase import tracking as TR


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_powerlaw_scan_draws_each_template_and_the_baseline():
    ax = FG.plot_powerlaw_scan(_fake_powerlaw_scan(), baseline=2500.0)
    assert len(ax.get_lines()) == 3 and np.allclose(ax.get_lines()[2].get_ydata(), 2500.0 / 16**3)


def test_image_figures():
    imgs = [np.random.default_rng(i).random((16, 16)) for i in range(3)]
    axs = FG.plot_image_decomposition(imgs, names=["a", "b", "c"], rng=0)
    assert np.shape(axs) == (3, 4) and axs[2][0].get_ylabel() == "c"
    ax = FG.plot_radial_spectra({"a": imgs[0], "b": imgs[1]}, kmin=2)
    assert len(ax.get_lines()) == 3  # two spectra and the k^-2 guide


def test_training_figures():
    steps = np.array([0, 10, 100])
    tr = TR.Tracking(
        steps=steps,
        acc={"real": np.array([0.3, 0.5, 0.7]), "amp": np.array([0.3, 0.4, 0.6]), "phase": np.array([0.3, 0.3, 0.4])},
        follow_amp=np.array([0.3, 0.5, 0.6]),
        follow_phase=np.array([0.3, 0.2, 0.2]),
        n_classes=3,
    )
    ax = FG.plot_tracking(tr)
    assert len(ax.get_lines()) == 6  # three probes, two hybrid shares, chance
    test = TR.Tracking(
        steps=steps,
        acc={"test": np.array([0.3, 0.5, 0.7])},
        follow_amp=np.array([]),
        follow_phase=np.array([]),
        n_classes=3,
    )
    ax = FG.plot_speed({"amp": [test, test], "phase": [test]})
    assert len(ax.get_lines()) == 4 and ax.get_lines()[-1].get_ydata()[0] == pytest.approx(1 / 3)
    ax = FG.plot_discrimination({"x, jitter 0.0, natural": test, "x, jitter 0.0, flat": test})
    assert [ln.get_linestyle() for ln in ax.get_lines()[:2]] == ["-", "--"]


def test_ensemble_figures_draw_the_mean_and_the_range():
    steps = np.array([0, 10, 100])
    runs = [
        TR.Tracking(
            steps=steps,
            acc={"real": np.array([0.3, 0.5, v]), "amp": np.array([0.3, 0.4, v]), "phase": np.array([0.3, 0.3, v])},
            follow_amp=np.array([0.3, 0.5, v]),
            follow_phase=np.array([0.3, 0.2, v]),
            n_classes=3,
        )
        for v in (0.5, 0.7)
    ]
    ax = FG.plot_ensemble_tracking(runs)
    assert len(ax.get_lines()) == 6 and len(ax.collections) == 5  # five means and bands, chance
    assert ax.get_lines()[0].get_ydata()[-1] == pytest.approx(0.6)  # the mean of 0.5 and 0.7
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.3) and band.max() == pytest.approx(0.7)  # min to max
    test = [TR.Tracking(steps=steps, acc={"test": r.acc["real"]}, follow_amp=np.array([]),
                        follow_phase=np.array([]), n_classes=3) for r in runs]  # fmt: skip
    ax = FG.plot_ensemble_speed({"amp": test, "phase": test[:1]})
    assert len(ax.get_lines()) == 3 and len(ax.collections) == 2
    with pytest.raises(ValueError, match="all recorded at the same steps"):
        FG.plot_ensemble_tracking([runs[0], TR.Tracking(steps=steps[:2], acc={}, follow_amp=np.array([]),
                                                        follow_phase=np.array([]), n_classes=3)])  # fmt: skip


def test_phase_model_and_spectrum_figures():
    assert len(FG.plot_phase_model(16, 1.0, "pl", n=400)) == 3
    axs = FG.plot_spectrum_template(16, 1.5, "top", n_w=200, D=4)
    assert len(axs) == 2 and len(axs[1].get_lines()) == 2  # N^-1/2 and D_eff^-1/2


def test_escape_figures():
    res = sgd_chain.overlap_chain(8, eta=2 / 64, max_steps=2000, runs=4, seed=0, record_every=20)
    ax = FG.plot_escape_traces(res, N=8)
    assert len(ax.get_lines()) == 4 + 2  # the runs, the drift solution, the threshold
    scan = _fake_scan()
    finite = ES.EscapeScan(
        labels=scan.labels,
        values=scan.values,
        times=np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]),
        result=scan.result,
        exponent=1.0,
    )
    assert len(FG.plot_escape_scaling(finite).get_lines()) >= 2  # drift prediction and N^3 log^2 N guide
    for scale in ("N3", "N3log2N"):
        assert len(FG.plot_escape_fraction(scan, scale=scale).get_lines()) == 2


def test_bad_scale_raises_one_clear_line():
    with pytest.raises(ValueError, match="unknown scale 'n3'; allowed: N3, N3log2N") as err:
        FG.plot_escape_fraction(_fake_scan(), scale="n3")
    assert "\n" not in str(err.value)
