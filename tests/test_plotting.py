"""The book's figure style and its live panels (issue 15, items 2 and 4).

Figures are at most the page column wide (``plotting.COLUMN_WIDTH``), so the browser never shrinks them and
their text. A panel (``plotting.control_panel``) draws at once in a person's Jupyter session, and in an
unattended execution (the book build, ``python -m lofi_utils run``: ``$LOFI_UNATTENDED=1``) it saves no controls
that would do nothing: it returns a note that names its controls and says how to run it live."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from lofi_utils import plotting, runtime
from lofi_utils.chapters.amplitude_phase import widget as ap_widget
from lofi_utils.chapters.layerwise import widget as lw_widget
from lofi_utils.chapters.neural_lofi import widget as lofi_widget
from lofi_utils.chapters.spectral_bias import widget as sb_widget

EXPLORERS = {
    "spectral_bias": lambda: sb_widget.spectrum_explorer(kmax=8, n_nodes=200),
    "layerwise": lambda: lw_widget.share_explorer(kmax=6),
    "neural_lofi": lambda: lofi_widget.lofi_explorer(),
    "amplitude_phase": lambda: ap_widget.spectrum_template_explorer(),
}


@pytest.mark.parametrize("ncols,width", [(1, 6.4), (2, 3.4), (3, 3.6), (4, 3.0), (1, 12.0)])
def test_subplots_never_exceed_the_column(ncols, width):
    fig, axs = plotting.subplots(2, ncols, width=width, height=2.0)
    w, h = fig.get_size_inches()
    assert w == pytest.approx(min(width * ncols, plotting.COLUMN_WIDTH)) and h == pytest.approx(4.0)
    assert axs.shape == (2, ncols)
    plt.close(fig)


def test_subplots_reject_a_bad_shape():
    with pytest.raises(ValueError, match="ncols"):
        plotting.subplots(1, 0)


def test_the_unattended_switch_reads_its_variable(monkeypatch):
    monkeypatch.delenv(runtime.UNATTENDED_ENV_VAR, raising=False)
    assert runtime.unattended() is False  # a person's session
    for on in ("1", "true", " YES "):
        monkeypatch.setenv(runtime.UNATTENDED_ENV_VAR, on)
        assert runtime.unattended() is True
    for off in ("0", "off", ""):
        monkeypatch.setenv(runtime.UNATTENDED_ENV_VAR, off)
        assert runtime.unattended() is False
    monkeypatch.setenv(runtime.UNATTENDED_ENV_VAR, "maybe")
    with pytest.raises(ValueError, match=r"\$LOFI_UNATTENDED must be 0 or 1 .*got 'maybe'"):
        runtime.unattended()


def test_a_panel_draws_at_once_for_a_person(monkeypatch):
    monkeypatch.delenv(runtime.UNATTENDED_ENV_VAR, raising=False)
    calls = []
    slider = widgets.IntSlider(value=3, min=1, max=5, description="k")
    panel = plotting.control_panel([slider], lambda ax, k: calls.append(k), figsize=(9.0, 3.0))
    assert isinstance(panel, widgets.VBox) and calls == [3], "the panel must draw when it is created"
    slider.value = 4
    assert calls == [3, 4]
    plt.close("all")


def test_an_unattended_panel_is_a_note_that_names_its_controls(monkeypatch):
    monkeypatch.setenv(runtime.UNATTENDED_ENV_VAR, "1")
    calls = []
    controls = [
        widgets.IntSlider(value=2, min=1, max=8, step=1, description="depth L"),
        widgets.Dropdown(options=["relu", "tanh"], value="relu", description="activation"),
    ]
    note = plotting.control_panel(controls, lambda ax, *v: calls.append(v))
    assert isinstance(note, plotting.LivePanelNote) and calls == [], "nothing may be drawn in the build"
    html = note._repr_html_()
    assert "depth L (1 to 8, step 1)" in html and "activation (relu, tanh)" in html
    assert "open it in Colab" in html and ".venv/bin/jupyter lab" in html and "<input" not in html
    assert "depth L (1 to 8, step 1)" in repr(note)


@pytest.mark.parametrize("chapter", sorted(EXPLORERS))
def test_every_chapter_explorer_is_a_note_in_the_build(chapter, monkeypatch):
    monkeypatch.setenv(runtime.UNATTENDED_ENV_VAR, "1")
    note = EXPLORERS[chapter]()
    assert isinstance(note, plotting.LivePanelNote) and len(note.controls) >= 3


def test_integer_ticks_label_the_values_themselves():
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    plotting.integer_ticks(ax, [128, 256, 512, 1024, 2048, 4096, 8192])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["128", "512", "1024", "2048", "8192"]
    plotting.integer_ticks(ax, [16, 32])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["16", "32"]
    plt.close(fig)
