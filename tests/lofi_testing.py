"""Shared pieces of the Neural LoFi unit tests (``tests/test_lofi_*.py``, ``tests/test_neural_lofi_*.py``)."""

import os

import numpy as np
import torch

from lofi_utils.lofi import RandomLift


def one_torch_thread():
    """Generator for a module-scoped autouse fixture: small linear algebra on one torch thread (``LOFI_THREADS``)
    avoids oversubscription on a shared machine; the old setting is restored afterwards."""
    old = torch.get_num_threads()
    torch.set_num_threads(int(os.environ.get("LOFI_THREADS", "1") or 1))
    yield
    torch.set_num_threads(old)


def data(n=200, d=8, seed=0):
    """``(X (n, d), y (n,))``: Gaussian inputs, ``y = tanh(x_0^2 - x_1^2)`` plus 0.1 noise (a degree-2 label)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.tanh(X[:, 0] ** 2 - X[:, 1] ** 2) + 0.1 * rng.standard_normal(n)
    return X, y


def features(X, p, *, seed=1, center=False, activation="relu"):
    """A fitted :class:`RandomLift` of width ``p`` on ``X`` (centred when ``center``) and its features ``Z``."""
    H = torch.as_tensor(X)
    lift = RandomLift(X.shape[1], p, seed=seed, activation=activation).fit_scale(H)
    if center:
        lift.fit_mean(H)
    return lift, lift(H)
