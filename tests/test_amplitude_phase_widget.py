"""Chapter 4's widget: the spectrum/template explorer draws at once and again when a control changes."""

from lofi_utils.chapters.amplitude_phase import widget as W


def test_spectrum_template_explorer_draws_at_once_and_on_each_change(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.delenv("LOFI_UNATTENDED", raising=False)  # a person's session
    plt.close("all")
    w = W.spectrum_template_explorer()
    assert len(plt.get_fignums()) == 1  # creating the panel draws the starting figure
    controls = w.children[0].children
    assert [c.description for c in controls] == ["exponent a", "template", "N"]
    controls[2].value = 16
    assert len(plt.get_fignums()) == 2  # one change, one more figure of plot_spectrum_template
    plt.close("all")
