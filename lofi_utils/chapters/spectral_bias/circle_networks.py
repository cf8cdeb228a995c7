"""Section 5: real networks on the circle, trained on each frequency, timed against the linearised model.

:func:`train_circle_modes` trains the NTK-parametrised :class:`lofi_utils.ntk.MLP` on ``n`` equispaced points
of S^1 (inputs of norm ``sqrt(2)``, the convention of :mod:`lofi_utils.kernels`) with full-batch GD on
``1/2 mean (f - f_0 - y)^2``, one run per target ``cos(k theta)``, and compares the decay of the residual's
``cos(k theta)`` component with the kernel prediction ``(1 - eta lambda_k)^t``
(:func:`lofi_utils.dynamics.circle_kernel_eigenvalues`; ``lambda_k`` is the grid's aliased eigenvalue,
``mu_k`` the Funk--Hecke one; both are reported).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.typing import ArrayLike

from ...dynamics import circle_kernel_eigenvalues, fit_decay_rate, time_to_fraction
from ...kernels import check_activation, check_bias, check_depth, ntk
from ...ntk import MLP
from ...sphere import circle_points, funk_hecke
from ...validation import check_in_range, check_int

__all__ = ["CircleModesResult", "train_circle_modes"]


@dataclass
class CircleModesResult:
    """Output of :func:`train_circle_modes` (arrays indexed like ``ks``).

    ``amplitude[i, t]``: ``cos(k theta)`` coefficient of the residual ``f_t - f_0 - y`` after t steps,
    divided by its initial value (-1); ``loss[i, t]``: the training loss; ``rate``: fitted per-step
    decay rate (:func:`lofi_utils.dynamics.fit_decay_rate`, first ``floor = frac``); ``t_frac``: first step with
    ``|amplitude| <= frac`` (``inf`` if not reached); ``mu``: analytic Funk--Hecke eigenvalues on S^1;
    ``lam``: eigenvalues of the analytic kernel matrix on the grid; ``rate_pred = eta * lam`` and
    ``t_pred``: the linearised model's rate and time.
    """

    ks: np.ndarray
    width: int
    depth: int
    bias: float
    activation: str
    eta: float
    steps: int
    n_points: int
    frac: float
    amplitude: np.ndarray
    loss: np.ndarray
    rate: np.ndarray
    t_frac: np.ndarray
    mu: np.ndarray
    lam: np.ndarray
    rate_pred: np.ndarray
    t_pred: np.ndarray
    wall_time: float
    extra: dict = field(default_factory=dict)

    @property
    def rate_ratio(self) -> np.ndarray:
        """Measured over predicted rate per k (1 in the kernel regime; < 1 means slower learning)."""
        return self.rate / self.rate_pred


def train_circle_modes(
    width: int,
    ks: ArrayLike,
    *,
    depth: int = 2,
    bias: float = 1.0,
    eta: float,
    steps: int,
    n_points: int,
    seed: int = 0,
    device: str | torch.device | None = None,
    activation: str = "relu",
    frac: float = 0.1,
    dtype: torch.dtype = torch.float32,
) -> CircleModesResult:
    """Train an NTK-parametrised MLP on each target ``cos(k theta)`` on S^1 and time each frequency.

    Design: one run per k, every run from the *same* initialisation (``seed``); inputs
    ``x = sqrt(2) (cos theta, sin theta)`` on ``n_points`` equispaced angles; full-batch GD with step
    ``eta`` on ``1/2 mean (f(x) - f_0(x) - cos(k theta))^2`` (``f_0`` the initial function, so the model
    starts at 0). The residual's ``cos(k theta)`` coefficient is recorded every step. Prediction: the
    analytic NTK of the same ``depth``, ``bias`` and ``activation``, for which the coefficient decays
    as ``(1 - eta lambda_k)^t`` (:func:`lofi_utils.dynamics.circle_kernel_eigenvalues`; ``lambda_k ~ mu_k``).

    Parameters
    ----------
    width : hidden width. ks : K integer frequencies in ``[1, n_points/2)``.
    depth, bias, activation : the network and its analytic kernel (``activation`` a name of
        :data:`lofi_utils.kernels.ACTIVATIONS`).
    eta : step size; must satisfy ``eta * lambda_max < 2`` (else ``ValueError``: the constant mode would
        diverge).
    steps : GD steps per k. n_points : grid size. seed : the (shared) initialisation.
    frac : threshold for ``t_frac``. device, dtype : where and in which precision the network trains.

    Returns
    -------
    :class:`CircleModesResult` (arrays indexed like ``ks``).
    """
    check_depth(depth)
    check_bias(bias)
    check_activation(activation)
    steps = check_int(steps, "steps", minimum=0)
    check_int(n_points, "n_points", minimum=4)
    ks = np.atleast_1d(np.asarray(ks))
    if ks.dtype.kind not in "iu" or np.any(ks < 1) or np.any(2 * ks >= n_points):
        raise ValueError(f"ks must be integers in [1, n_points/2) = [1, {n_points / 2}), got {ks}")
    check_in_range(frac, "frac", 0, 1, low_open=True, high_open=True)
    theta, x_np = circle_points(n_points, radius=math.sqrt(2.0))
    kern = lambda t: ntk(t, depth=depth, activation=activation, bias=bias)  # noqa: E731
    lam_all = circle_kernel_eigenvalues(kern(np.cos(theta)))
    eta = float(eta)
    if not eta * lam_all.max() < 2:
        raise ValueError(
            f"eta = {eta} is unstable for this kernel: need eta * lambda_max < 2, i.e. "
            f"eta < {2 / lam_all.max():.4g} (lambda_max = {lam_all.max():.4g})"
        )
    mu = funk_hecke(kern, 2, int(ks.max()))[ks]
    lam = lam_all[ks]
    dev = torch.device(device) if device is not None else torch.device("cpu")
    x = torch.as_tensor(x_np, dtype=dtype, device=dev)
    targets = torch.as_tensor(np.cos(np.outer(ks, theta)), dtype=dtype, device=dev)  # (K, n)
    K = ks.size
    amp = np.empty((K, steps + 1))
    loss = np.empty((K, steps + 1))
    t0 = time.perf_counter()
    for i, k in enumerate(ks):
        model = MLP(2, width, depth, activation=activation, bias=bias, seed=seed, dtype=dtype, device=dev)
        with torch.no_grad():
            f0 = model(x)
        y = targets[i]
        basis = torch.as_tensor(2.0 * np.cos(k * theta) / n_points, dtype=dtype, device=dev)
        amps = torch.empty(steps + 1, dtype=dtype, device=dev)
        losses = torch.empty(steps + 1, dtype=dtype, device=dev)
        params = list(model.parameters())
        for s in range(steps + 1):
            r = model(x) - f0 - y
            L = 0.5 * (r * r).mean()
            amps[s] = r.detach() @ basis
            losses[s] = L.detach()
            if s == steps:
                break
            grads = torch.autograd.grad(L, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.sub_(eta * g)
        a = amps.cpu().double().numpy()
        amp[i] = a / a[0]
        loss[i] = losses.cpu().double().numpy()
    wall = time.perf_counter() - t0
    rate = np.array([fit_decay_rate(a, floor=frac) for a in amp])
    below = np.abs(amp) <= frac
    t_frac = np.where(below.any(axis=1), below.argmax(axis=1), np.inf).astype(float)
    return CircleModesResult(
        ks=ks,
        width=int(width),
        depth=int(depth),
        bias=float(bias),
        activation=activation,
        eta=eta,
        steps=steps,
        n_points=int(n_points),
        frac=float(frac),
        amplitude=amp,
        loss=loss,
        rate=rate,
        t_frac=t_frac,
        mu=mu,
        lam=lam,
        rate_pred=eta * lam,
        t_pred=time_to_fraction(lam, eta, frac=frac),
        wall_time=wall,
    )
