"""Chapter 1's widget: the spectrum explorer draws only when a control changes."""

import matplotlib.pyplot as plt

from lofi_utils.chapters.spectral_bias.widget import spectrum_explorer


def test_widget_has_controls_and_redraws():
    w = spectrum_explorer(kmax=20, n_nodes=200)
    names = {c.description for c in w.children if hasattr(c, "description")}
    assert {"activation", "depth L", "bias β", "dimension d"} <= names
    n_figs = len(plt.get_fignums())
    w.children[3].value = 4  # a control change redraws the figure
    assert len(plt.get_fignums()) == n_figs + 1
    plt.close("all")
