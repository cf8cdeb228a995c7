"""The explorer of the Neural LoFi chapter (lofi_utils.chapters.neural_lofi.widget)."""

import pytest
from lofi_testing import one_torch_thread

from lofi_utils.chapters.neural_lofi.widget import lofi_explorer


@pytest.fixture(autouse=True, scope="module")
def _threads():
    yield from one_torch_thread()


def test_lofi_explorer_draws_at_once_and_on_a_control_change(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.delenv("LOFI_UNATTENDED", raising=False)  # a person's session
    plt.close("all")
    w = lofi_explorer(p=60, n_test=100, d=16, r=4)
    assert len(plt.get_fignums()) == 1 and len(plt.gcf().axes) == 2
    w.children[0].value = 250
    assert len(plt.get_fignums()) == 2 and len(plt.gcf().axes) == 2
    plt.close("all")
