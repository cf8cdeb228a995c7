"""Shared by chapter 1's test files: a tiny sum-of-sines setting and one torch thread per test."""

import matplotlib.pyplot as plt
import pytest
import torch

#: a sum-of-sines run that trains in well under a second
TINY = dict(
    freqs=(1, 3), n_points=32, width=16, depth=2, lr=1e-2, steps=30, record_every=5, device="cpu", progress=False
)

#: a Fourier-feature comparison (chapter 1, section 7) that trains in well under a second
TINY_FOURIER_FEATURES = dict(
    p_values=(None, 1.0),
    n_train=16,
    subsample=4,
    max_freq=8,
    n_features=8,
    width=16,
    depth=2,
    steps=20,
    record_every=10,
    residual_freqs=(1, 5),
    seed=0,
    device="cpu",
    progress=False,
)


@pytest.fixture(autouse=True)
def one_thread():
    """Small networks: one torch thread (faster, and the same rounding on every run); close the figures."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
    plt.close("all")
