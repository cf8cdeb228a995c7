"""Shared by chapter 1's test files: a tiny sum-of-sines setting and one torch thread per test."""

import matplotlib.pyplot as plt
import pytest
import torch

#: a sum-of-sines run that trains in well under a second
TINY = dict(
    freqs=(1, 3), n_points=32, width=16, depth=2, lr=1e-2, steps=30, record_every=5, device="cpu", progress=False
)


@pytest.fixture(autouse=True)
def one_thread():
    """Small networks: one torch thread (faster, and the same rounding on every run); close the figures."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
    plt.close("all")
