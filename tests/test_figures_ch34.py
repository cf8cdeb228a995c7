"""The figures of chapters 3 and 4 fit the page column and read at its width: no figure wider than
``plotting.COLUMN_WIDTH``, ticks at the plotted sizes with plain labels, legends that do not sit on the curves,
and the helpers that let a caption quote what a figure draws."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from escape_testing import fake_scan

from lofi_utils import escape_scans as ES
from lofi_utils import phase_model
from lofi_utils.chapters.amplitude_phase import at_scale as AS4
from lofi_utils.chapters.amplitude_phase import figures as FG
from lofi_utils.chapters.amplitude_phase import tracking as TR
from lofi_utils.chapters.neural_lofi import at_scale as AS3
from lofi_utils.chapters.neural_lofi import baselines, depth
from lofi_utils.plotting import COLUMN_WIDTH


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _width(ax) -> float:
    return float(ax.figure.get_size_inches()[0])


def _tick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def _below(legend) -> bool:
    """The legend is anchored under its axes (bbox_to_anchor with a negative y in axes coordinates)."""
    box = legend.get_bbox_to_anchor().transformed(legend.axes.transAxes.inverted())
    return box.y1 < 0


# ----------------------------------------------------------------------------------------------- chapter 3
def test_n_text_is_a_short_tick_label():
    assert [AS3.n_text(n) for n in (500, 1000, 2500, 32000)] == ["500", "1k", "2.5k", "32k"]


def test_stored_emergence_fits_the_column_with_one_legend_below():
    rows = [{"d": d, "r": r, "excess_overlap": [0.1, 0.5, 0.9]} for d, r in ((32, 4), (64, 2), (64, 4), (64, 8))]
    summary = {"cs": [0.5, 2.0, 8.0], "rows": rows, "spread": {"n/(d r)": 0.1, "n/d^2": 0.8, "n/d": 0.5}}
    axs = AS3.plot_stored_emergence(summary)
    assert len(axs) == 3 and _width(axs[0]) <= COLUMN_WIDTH
    assert [ax.get_title() for ax in axs] == ["spread 0.10", "spread 0.80", "spread 0.50"]
    assert all(ax.get_legend() is None for ax in axs)
    (legend,) = axs[0].figure.legends
    assert len(legend.get_texts()) == len(rows)


def test_stored_lofi_kernels_ticks_at_the_sizes_and_legends_below():
    models = ["RF(2p)", "LoFi", "NNGP (depth 2)", "kernel LoFi"]
    rows = [
        {
            "n": n,
            "mean": dict.fromkeys(models, 0.5),
            "lofi_minus": {m: [0.1, 0.0, 0.2] for m in models if m != "LoFi"},
        }
        for n in (1000, 2000, 4000)
    ]
    axs = AS3.plot_stored_lofi_kernels({"rows": rows, "models": models})
    assert _width(axs[0]) <= COLUMN_WIDTH
    for ax in axs:
        assert _tick_labels(ax) == ["1k", "2k", "4k"] and _below(ax.get_legend())


def test_comparison_is_column_wide_with_the_legend_outside():
    ns = np.array([1000, 4000])
    mse = {
        "RF(2p)": np.full((2, 2), 0.5),
        "LoFi": np.full((2, 2), 0.4),
        "kernel LoFi": np.array([[0.3, 0.3], [np.nan] * 2]),
    }
    ax = baselines.plot_comparison(baselines.Comparison(ns=ns, mse=mse, var_y=0.6))
    assert _width(ax) == pytest.approx(COLUMN_WIDTH) and _tick_labels(ax) == ["1k", "4k"]
    box = ax.get_legend().get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert box.x0 > 1  # to the right of the axes, not over the curves
    assert len(ax.get_legend().get_texts()) == 4  # three models and Var y


def test_depth_study_ticks_at_the_sizes_and_legends_below():
    ns = np.array([1000, 2000])
    names = ["LoFi, 2 filters", "LoFi, 1 filter", "RF(30)", "RF on u (oracle)"]
    r2 = {k: np.full((2, 1), 0.5) for k in ("layer 1 ~ u", "layer 1 ~ h*", "layer 2 ~ h*")}
    st = depth.DepthStudy(ns=ns, mse={nm: np.full((2, 1), 0.3) for nm in names}, var_y=1.0, r2=r2)
    axs = depth.plot_depth_study(st)
    assert _width(axs[0]) <= COLUMN_WIDTH
    for ax in axs:
        assert _tick_labels(ax) == ["1k", "2k"] and _below(ax.get_legend())


# ----------------------------------------------------------------------------------------------- chapter 4
def test_new_chapter4_figures_are_at_most_the_column_wide():
    imgs = [np.random.default_rng(i).random((16, 16)) for i in range(3)]
    assert _width(FG.plot_image_decomposition(imgs)[0][0]) <= COLUMN_WIDTH
    assert _width(FG.plot_phase_model(16, 1.0, "pl", n=400)[0]) <= COLUMN_WIDTH
    assert _width(FG.plot_spectrum_template(16, 1.5, "top", n_w=200, D=4)[0]) <= COLUMN_WIDTH
    test = TR.Tracking(
        steps=np.array([0, 10]),
        acc={"test": np.array([0.5, 0.7])},
        follow_amp=np.array([]),
        follow_phase=np.array([]),
        n_classes=2,
    )
    runs = {f"{t}, jitter 0.0, {s}": test for t in ("a", "b") for s in ("natural", "flat")}
    ax = FG.plot_discrimination(runs)
    assert _width(ax) <= COLUMN_WIDTH
    colours = [ln.get_color() for ln in ax.get_lines()[:4]]
    assert colours[0] == colours[1] != colours[2] == colours[3]  # one colour per texture and jitter


def test_phase_model_panels_and_the_sample_a_caption_quotes():
    axs = FG.plot_phase_model(16, 1.0, "pl", n=400, seed=3)
    assert axs[0].get_xlabel() == "1 + frequency f" and axs[1].get_xlabel() == "position j"
    model, X, y = FG.phase_model_sample(16, 1.0, "pl", n=400, seed=3)
    k = phase_model.excess_kurtosis(phase_model.whitened_projection(model, X[y > 0]))
    assert f"{k:.2f} ({model.kappa4:.2f})" in axs[2].get_title()  # the histogram is of this very sample
    assert axs[1].get_lines()[0].get_ydata() == pytest.approx(X[y < 0][0])


def test_template_overlaps_are_the_ones_drawn():
    axs = FG.plot_spectrum_template(16, 1.5, "pl", n_w=300, seed=2)
    model, m0 = FG.template_overlaps(16, 1.5, "pl", n_w=300, seed=2)
    assert m0.shape == (300,) and axs[1].get_title() == f"median |m_eff(0)| = {np.median(m0):.3f}"
    assert axs[1].get_lines()[1].get_xdata()[0] == pytest.approx(model.d_eff**-0.5)


def test_plain_log_ticks_and_labels():
    _, ax = plt.subplots()
    ax.loglog([12, 16, 24], [1.0, 3.0, 9.0])
    FG.plain_log_ticks(ax, [24, 12, 16, 16])
    assert _tick_labels(ax) == ["12", "16", "24"] and len(ax.xaxis.get_minor_ticks()) == 0
    FG.plain_log_labels(ax, "y")
    fmt_major, fmt_minor = ax.yaxis.get_major_formatter(), ax.yaxis.get_minor_formatter()
    assert fmt_major(1.0, 0) == "1" and fmt_major(0.1, 0) == "0.1"
    ax.set_ylim(0.1, 1000)  # four decades: minor labels at 2 and 5 only
    assert [fmt_minor(v, 0) for v in (0.2, 0.3, 5.0, 7.0)] == ["0.2", "", "5", ""]
    ax.set_ylim(0.5, 4)  # less than a decade: more of them
    assert [fmt_minor(v, 0) for v in (0.6, 0.7, 3.0, 4.0)] == ["0.6", "", "3", "4"]
    with pytest.raises(ValueError, match="unknown axis 'z'"):
        FG.plain_log_ticks(ax, [1, 2], axis="z")


def test_escape_scaling_ticks_at_the_scanned_N():
    scan = fake_scan()
    finite = ES.EscapeScan(
        labels=scan.labels, values=scan.values, times=np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]), result=scan.result
    )
    ax = FG.plot_escape_scaling(finite)
    assert _tick_labels(ax) == ["8", "12"] and _below(ax.get_legend())


def test_stored_chapter4_scans_tick_at_their_values():
    rows = [{"N": N, "median_over_N3": 1.0, "ci_over_N3": [0.8, 1.2], "runs": 8} for N in (16, 32, 64)]
    ax = AS4.plot_stored_n_scan({"rows": rows, "exponent": {"exponent": 3.0, "lo": 2.8, "hi": 3.2}})
    assert _tick_labels(ax) == ["16", "32", "64"]
    cz = {"cs": [1.0, 2.0, 4.0], "Ns": [16, 32], "median_over_N3": [[2.0, 1.0, 0.5], [3.0, 2.0, 1.5]]}
    ax = AS4.plot_stored_c_scan(cz)
    assert _tick_labels(ax) == ["1", "2", "4"]


def test_stored_lofi_kernels_table_has_one_row_per_n_and_a_dash_where_a_model_did_not_run():
    from lofi_utils.chapters.neural_lofi import at_scale as AS

    summary = {
        "models": ["LoFi", "NTK (depth 2)"],
        "rows": [
            {"n": 1000, "reps": 4, "mean": {"LoFi": 0.8671, "NTK (depth 2)": 0.84}},
            {"n": 32000, "reps": 2, "mean": {"LoFi": 0.4}},
        ],
    }
    t = AS.lofi_kernels_table(summary)
    assert t.columns == ("model", "n = 1000 (4)", "n = 32000 (2)")
    assert t.rows == (("LoFi", "0.867", "0.400"), ("NTK (depth 2)", "0.840", "–"))
    assert "<table" in t._repr_html_()
