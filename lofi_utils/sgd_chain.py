"""The overlap chain: online SGD with a flat spectrum reduced exactly to a Markov chain for ``m = w.u``.

For ``a = 0`` the law of the phase-only data (:class:`lofi_utils.phase_model.PhaseModel`) is invariant under
rotations that fix the template ``u``, so the law of the next overlap of the SGD of :mod:`lofi_utils.sgd`
depends on ``w`` only through ``m``. With ``w = m u + q e`` (``q = sqrt(1 - m^2)``, ``e`` orthogonal to
``u``), a sample's coordinate ``s`` along ``u``, a standard Gaussian ``t`` along ``e`` and the squared norm
``r ~ chi^2_{N-2}`` of the rest, one step is exactly

    m' = (m - eta g q x_e) / sqrt(1 + eta^2 g^2 (x_e^2 + r)),   h = m s + q t,   x_e = q s - m t,

with ``g = y He_3(h) / 6`` (k = 4) or ``-y h`` (k = 2). The cost per step does not depend on ``N``
(:func:`overlap_chain`). Its ``"parallel"`` method solves a whole chunk of steps at once by Newton's method on
the trajectory (an affine scan per iteration, as in DEER, Lim et al. 2024), exact to rounding once converged.
Also here: the law of the initial overlap of a uniform ``w`` (:func:`uniform_overlap`).

Float64 torch on the chosen device by default; the same code runs on CPU and CUDA.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from .sgd import (
    EscapeResult,
    check_order,
    chunk_escapes,
    drop_ended,
    end_traces,
    per_run_values,
    random_signs,
    spike_projection,
)
from .validation import check_choice, check_in_range, check_int, check_positive

__all__ = ["uniform_overlap", "overlap_chain"]

_MIN_NEWTON_CHUNK = 128  # below this, Newton iterations cost more than stepping


def uniform_overlap(
    N: int | torch.Tensor,
    runs: int,
    *,
    gen: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """Overlap ``m = w.u`` of ``w`` uniform on S^{N-1} with a fixed unit ``u``: ``g / sqrt(g^2 + chi^2_{N-1})``.

    Parameters
    ----------
    N : int or torch.Tensor
        Dimension, or one per run, (runs,).
    runs : int
        Number of overlaps drawn.
    gen : torch.Generator, optional
        The random stream (on ``device``); default torch's global one.
    device : torch.device or str
        Where the result lives.
    dtype : torch.dtype
        Its precision.

    Returns
    -------
    torch.Tensor
        Shape (runs,).
    """
    N = torch.as_tensor(N, dtype=dtype, device=device).expand(runs)
    g = torch.randn(runs, generator=gen, device=device, dtype=dtype)
    chi2 = 2.0 * torch._standard_gamma(((N - 1.0) / 2.0).contiguous(), generator=gen)
    return g / torch.sqrt(g * g + chi2)


# =========================================================================== the chain
def _chain_map(m, s, t, y, r, eta, order: int, derivative: bool = False):
    """One step of the overlap chain, elementwise: ``m' = (m - eta g q x_e) / sqrt(1 + eta^2 g^2 (x_e^2 + r))``.

    With ``w = m u + q e`` (``q = sqrt(1 - m^2)``), the sample's coordinates along ``u`` and along a Gaussian
    direction ``t`` in the plane give ``h = m s + q t`` and ``x_e = q s - m t``; ``r ~ chi^2_{N-2}`` is the
    squared norm of the rest; ``eta g = eta y He_3(h) / 6`` (k = 4) or ``-eta y h`` (k = 2). With
    ``derivative``, also returns ``dm'/dm`` (used by Newton's method). Array operators only: the same code
    runs on torch tensors and NumPy arrays.
    """
    q = (1.0 - m * m).clip(min=1e-30) ** 0.5
    h = m * s + q * t
    xe = q * s - m * t
    h2 = h * h
    ey = eta * y
    eg = ey * h * (h2 - 3.0) / 6.0 if order == 4 else -ey * h
    egq = eg * q
    num = m - egq * xe
    A = xe * xe + r
    inv = (1.0 + eg * eg * A) ** -0.5
    out = num * inv
    if not derivative:
        return out
    dq = -m / q
    dh = s + dq * t
    dxe = dq * s - t
    deg = (ey * (h2 - 1.0) * 0.5 if order == 4 else -ey) * dh
    dnum = 1.0 - (deg * q + eg * dq) * xe - egq * dxe
    ddsq = 2.0 * eg * (deg * A + eg * xe * dxe)
    return out, inv * (dnum - 0.5 * out * ddsq * inv)


def _chain_noise(N, K: int, beta: float, order: int, gen, device, dtype):
    """Noise of ``K`` chain steps for runs of dimensions ``N`` (R,): ``s, t, y, r`` each (R, K)."""
    R = N.shape[0]
    g0 = torch.randn(R, K, generator=gen, device=device, dtype=dtype)
    t = torch.randn(R, K, generator=gen, device=device, dtype=dtype)
    y = random_signs((R, K), gen, device, dtype)
    nu = random_signs((R, K), gen, device, dtype)
    s = spike_projection(g0, y, nu, beta, order)
    r = 2.0 * torch._standard_gamma(((N - 2.0) / 2.0).unsqueeze(1).expand(R, K).contiguous(), generator=gen)
    return s, t, y, r


def _chain_sequential(m0, s, t, y, r, eta, order):
    """Exact chain, one step after the other: returns (R, K + 1) overlaps. On the CPU the loop runs on NumPy
    views of the same tensors (the same code; NumPy's per-call overhead is lower for these small arrays)."""
    cpu = m0.device.type == "cpu"
    arrs = [a.numpy() for a in (m0, s, t, y, r, eta)] if cpu else [m0, s, t, y, r, eta]
    m, s_, t_, y_, r_, e_ = arrs
    out = (
        np.empty((m.shape[0], s_.shape[1] + 1))
        if cpu
        else torch.empty(m.shape[0], s_.shape[1] + 1, dtype=m.dtype, device=m.device)
    )
    out[:, 0] = m
    sT, tT, yT, rT = (a.T.copy() if cpu else a.T.contiguous() for a in (s_, t_, y_, r_))
    for k in range(sT.shape[0]):
        m = _chain_map(m, sT[k], tT[k], yT[k], rT[k], e_, order)
        out[:, k + 1] = m
    return torch.from_numpy(out) if cpu else out


def _chain_newton(m0, s, t, y, r, eta, order, *, tol: float = 1e-9, max_iter: int = 30):
    """The same K steps solved all at once: Newton's method on the trajectory (DEER).

    Iterate: linearise ``m_{k+1} = F_k(m_k)`` about the current guess, ``m_{k+1} = a_k m_k + b_k``, and solve
    this affine recursion by a scan (``m_k = P_k (m_0 + sum_{j<k} b_j / P_{j+1})``, ``P_k = a_0 ... a_{k-1}``).
    Newton converges quadratically, so once an iteration changes the path by less than ``tol`` the next
    solution is exact to rounding. ``tol`` is raised to ``64 eps`` of the dtype (float32 cannot reach 1e-9:
    its iterates stall near 1e-7). Returns (R, K + 1) overlaps and the number of iterations, or ``None``
    when it has not converged (the caller then steps sequentially).
    """
    tol = max(tol, 64 * torch.finfo(s.dtype).eps)
    eta2 = eta.unsqueeze(1)
    m0c = m0.unsqueeze(1)
    mb = m0c.expand_as(s).contiguous()  # guess for m_0 .. m_{K-1}
    for it in range(1, max_iter + 1):
        Fv, a = _chain_map(mb, s, t, y, r, eta2, order, derivative=True)
        b = Fv - a * mb
        P = torch.cumprod(a, dim=1)
        new = P * (m0c + torch.cumsum(b / P, dim=1))  # m_1 .. m_K
        delta = float((new[:, :-1] - mb[:, 1:]).abs().max()) if new.shape[1] > 1 else 0.0
        if not math.isfinite(delta):
            return None
        if delta < tol:
            return torch.cat([m0c, new], dim=1), it
        mb = torch.cat([m0c, new[:, :-1]], dim=1)
    return None


def overlap_chain(
    N: ArrayLike,
    *,
    eta: ArrayLike,
    max_steps: ArrayLike,
    runs: int | None = None,
    beta: float = 5.0,
    order: int = 4,
    threshold: float = 0.5,
    seed: int = 0,
    m0: ArrayLike | None = None,
    method: str = "parallel",
    record_every: int | None = None,
    alpha: float = 1e-3,
    max_chunk: int | None = None,
    chunk_elements: int | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
    progress: bool = False,
) -> EscapeResult:
    """Escape times of online SGD with a flat spectrum, from the exact Markov chain of the overlap ``m = w.u``.

    For ``a = 0`` the law of the data is invariant under rotations that fix ``u``, so the law of the next
    overlap depends on ``w`` only through ``m``: with ``q = sqrt(1 - m^2)``, ``h = m s + q t``,
    ``x_e = q s - m t`` and ``r ~ chi^2_{N-2}``,

        m' = (m - eta g q x_e) / sqrt(1 + eta^2 g^2 (x_e^2 + r)),   g = y He_3(h) / 6  (k = 4),

    where ``s`` is the sample's coordinate along ``u`` (:class:`~lofi_utils.phase_model.PhaseModel`) and ``t`` a
    standard Gaussian. The chain has the law of :func:`lofi_utils.sgd.phase_sgd` with ``lam = 1`` at a cost per
    step that does not depend on ``N``.

    Runs leave the batch at their escape. Both methods cut the steps into the same chunks and draw the same
    noise, so with the same ``seed`` they give the same trajectories (to rounding).

    Chunk size: ``K = min(alpha / max(eta)^2, max_chunk, chunk_elements // R_alive, steps left)``, where
    ``max_chunk`` defaults to ``2^20`` steps on CUDA and ``2^13`` elsewhere and ``chunk_elements`` (the
    elements of one (R, K) array, a memory bound: Newton holds a few dozen such arrays) to ``2^25`` on CUDA
    and ``2^20`` elsewhere; set both to reproduce the chunks of another device (the noise is drawn chunk by
    chunk, so the chunks are part of what a seed means).

    Parameters
    ----------
    N, eta, max_steps : array_like
        Dimensions, step sizes and step caps: scalars or (R,) (runs of several dimensions and step sizes share
        one batch).
    runs : int, optional
        ``R`` when all three are scalars.
    beta : float
        Spike strength, > 0.
    order : {4, 2}
        Information exponent.
    threshold : float
        Escape threshold in (0, 1).
    seed : int
        Seeds the generator on ``device``.
    m0 : array_like, optional
        Initial overlaps, scalar or (R,); default the law of a uniform ``w`` (:func:`uniform_overlap`).
    method : {"parallel", "sequential"}
        ``"sequential"``: one step after the other; ``"parallel"``: Newton on chunks of
        ``K = alpha / max(eta)^2`` steps, falling back to sequential steps for a chunk where Newton does not
        converge, and in chunks of 256 steps when ``alpha / eta^2 < 128``.
    record_every : int, optional
        Keep ``m`` every so many steps (``None``: no traces).
    alpha : float
        The chunk-size constant, > 0.
    max_chunk, chunk_elements : int, optional
        Bounds on the chunk size (see above).
    device : torch.device or str
        Where the state lives.
    dtype : torch.dtype
        The state's precision.
    progress : bool
        Show a progress bar.

    Returns
    -------
    EscapeResult
        Escape times ``times`` (R,), traces (R, S).
    """
    order = check_order(order)
    check_choice(method, "method", ("parallel", "sequential"))
    check_in_range(threshold, "threshold", 0, 1, low_open=True, high_open=True)
    runs = None if runs is None else check_int(runs, "runs", minimum=1)
    record_every = None if record_every is None else check_int(record_every, "record_every", minimum=1)
    beta, alpha = check_positive(beta, "beta"), check_positive(alpha, "alpha")
    seed = check_int(seed, "seed", minimum=0)
    sizes = [np.size(v) for v in (N, eta, max_steps) if np.ndim(v)]
    R = runs if runs is not None else (max(sizes) if sizes else 1)
    N_np = per_run_values(N, R, "N", dtype=np.int64)
    if np.any(N_np < 3):
        raise ValueError(f"N must be an integer >= 3 (scalar or one value per run), got {int(N_np.min())}")
    eta_np = per_run_values(eta, R, "eta")
    cap = per_run_values(max_steps, R, "max_steps", dtype=np.int64)
    if m0 is not None:
        m0_arr = np.asarray(m0, dtype=np.float64)
        if m0_arr.ndim > 1 or (m0_arr.ndim == 1 and m0_arr.shape[0] not in (1, R)):
            raise ValueError(f"m0 must be a scalar or hold one overlap per run ({R}), got shape {m0_arr.shape}")
        ok = np.isfinite(m0_arr) & (np.abs(m0_arr) <= 1)
        if not np.all(ok):
            raise ValueError(f"m0 (initial overlaps) must lie in [-1, 1], got {float(m0_arr[~ok].ravel()[0])!r}")
    dev = torch.device(device)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    Nt = torch.as_tensor(N_np, dtype=dtype, device=dev)
    if m0 is None:
        m = uniform_overlap(Nt, R, gen=gen, device=dev, dtype=dtype)
    else:
        m = torch.as_tensor(np.broadcast_to(np.asarray(m0, dtype=np.float64), (R,)).copy(), dtype=dtype, device=dev)
    m0_np = m.cpu().numpy()
    times = np.full(R, np.inf)
    times[np.abs(m0_np) >= threshold] = 0.0
    n_rec = int(cap.max() // record_every) + 1 if record_every else 0
    traces = np.full((R, n_rec), np.nan)
    if record_every:
        traces[:, 0] = m0_np
    if max_chunk is None:
        max_chunk = 1 << 20 if dev.type == "cuda" else 1 << 13
    if chunk_elements is None:
        chunk_elements = (1 << 25) if dev.type == "cuda" else (1 << 20)
    for v, name in ((max_chunk, "max_chunk"), (chunk_elements, "chunk_elements")):
        check_int(v, name, minimum=1)
    budget = int(chunk_elements)  # elements per (R, K) array
    eta_t = torch.as_tensor(eta_np, dtype=dtype, device=dev)
    alive = np.flatnonzero(~np.isfinite(times))
    idx = torch.as_tensor(alive, device=dev)
    m, Na, eta_a = m[idx], Nt[idx], eta_t[idx]
    t, lane_steps = 0, 0
    import time as _time

    t0 = _time.perf_counter()
    bar = tqdm(
        total=int(cap[alive].max()) if alive.size else 0, disable=not progress, desc="overlap chain", leave=False
    )
    with torch.inference_mode():
        while alive.size:
            Ra = alive.size
            remaining = int(cap[alive].max() - t)
            K = int(alpha / float(eta_np[alive].max()) ** 2)  # the same chunks for both methods
            if K < _MIN_NEWTON_CHUNK:  # steps too large for Newton: plain sequential chunks
                K = 256
            K = max(1, min(K, max_chunk, budget // Ra, remaining))
            s, tt, y, r = _chain_noise(Na, K, beta, order, gen, dev, dtype)
            traj = None
            if method == "parallel" and K >= _MIN_NEWTON_CHUNK:
                res = _chain_newton(m, s, tt, y, r, eta_a, order)
                traj = None if res is None else res[0]
            if traj is None:
                traj = _chain_sequential(m, s, tt, y, r, eta_a, order)
            mk = traj[:, 1:]  # (Ra, K): m after steps t+1..t+K
            m = traj[:, -1]
            ended, work = chunk_escapes(mk, 1, threshold, times, alive, cap, t, traces, record_every)
            lane_steps, t = lane_steps + work, t + K
            bar.update(K)
            alive, (m, Na, eta_a) = drop_ended(ended, alive, m, Na, eta_a)
    bar.close()
    end_traces(traces, times, record_every)
    return EscapeResult(
        times=times,
        max_steps=cap,
        m0=m0_np,
        N=N_np,
        eta=eta_np,
        threshold=threshold,
        record_steps=np.arange(n_rec) * (record_every or 0),
        traces=traces,
        steps_run=t,
        lane_steps=lane_steps,
        seconds=_time.perf_counter() - t0,
    )
