"""Chapter 4's widget: the spectrum/template explorer draws only when a control changes."""

from lofi_utils.chapters.amplitude_phase import widget as W


def test_spectrum_template_explorer_draws_only_when_a_control_changes():
    import matplotlib.pyplot as plt

    plt.close("all")
    w = W.spectrum_template_explorer()
    assert plt.get_fignums() == []  # creating the widget draws nothing (headless builds stay cheap)
    controls = w.children[0].children
    assert [c.description for c in controls] == ["exponent a", "template", "N"]
    controls[2].value = 16
    assert len(plt.get_fignums()) == 1  # one change, one figure of plot_spectrum_template
    plt.close("all")
