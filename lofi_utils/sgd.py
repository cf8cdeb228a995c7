"""Online SGD of a spherical neuron on the phase-only model: the update, batches of runs, the full simulator.

The learning problem (Ben Arous, Gheissari & Jagannath 2021, in the setting of the *Fourier phase* chapter):
a unit vector ``w`` in R^N sees one fresh sample ``(x, y)`` of :class:`lofi_utils.phase_model.PhaseModel` per
step and follows the correlation loss of information exponent ``k``

    L(w; x, y) = -s_k y He_k(w.x) / k!,     s_4 = sign(kappa_4) = -1,   s_2 = +1,

by projected, normalised SGD

    w <- (w - eta g (x - h w)) / |.|,    h = w.x,    g = -s_k y He_{k-1}(h) / (k-1)!.

Since ``x - h w`` is orthogonal to ``w``, the normalisation is ``sqrt(1 + eta^2 g^2 (|x|^2 - h^2))``. The run
has *escaped* at the first step ``t`` with ``|m_t| >= threshold``, where ``m`` is the overlap with the
template (``m_eff = (C^(1/2) w).u / |C^(1/2) w|`` for a coloured spectrum).

``order=4`` is the phase-only model (whitened spike: equal spectra, first difference in the 4th cumulant);
``order=2`` is the *amplitude* control: the same spike without whitening, so the structured class has
variance ``1 + beta`` along ``u`` (a covariance spike, information exponent 2).

Simulators, one convention (:class:`EscapeResult`; batches of runs that leave at their escape):

* :func:`phase_sgd` (here) -- the full N-dimensional SGD in real Fourier coordinates (diagonal covariance, any
  spectrum and template), batched over runs: ``(R, N)`` state on the device, noise drawn in chunks of ``K``
  steps at once, and one short sequential update per step;
* :func:`lofi_utils.sgd_chain.overlap_chain` -- for a flat spectrum, the *exact* reduction of that SGD to a
  Markov chain for the scalar overlap ``m``, whose cost per step does not depend on ``N``, with Newton-parallel
  chunks;
* :func:`pixel_sgd_reference` (here) -- a plain NumPy loop in pixel space with FFT colouring, the reference
  that the Fourier-coordinate simulator reproduces to 1e-8 (:func:`fourier_pixel_gap`).

Also here: the drift prediction of the escape time (:func:`drift_escape_time`) and the batch bookkeeping both
simulators share (:func:`per_run_values`, :func:`chunk_escapes`, :func:`drop_ended`, :func:`end_traces`).
Escape-time scans and fits are :mod:`lofi_utils.escape_scans`.

All state is torch on the chosen device; the same code runs on CPU and CUDA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, DTypeLike
from tqdm.auto import tqdm

from .phase_model import PhaseModel, colour, kappa4_spike, to_fourier_coords
from .validation import check_choice, check_in_range, check_int, check_positive

__all__ = [
    "ORDERS",
    "check_order",
    "spike_projection",
    "random_signs",
    "drift_escape_time",
    "EscapeResult",
    "per_run_values",
    "chunk_escapes",
    "drop_ended",
    "end_traces",
    "phase_sgd",
    "sgd_from_noise",
    "pixel_sgd_reference",
    "fourier_pixel_gap",
]

#: Information exponents simulated: 4 (phase-only, whitened spike) and 2 (covariance spike).
ORDERS = (2, 4)


# =========================================================================== small helpers
def check_order(order: int) -> int:
    """The information exponent ``order`` as an ``int`` if it is one of :data:`ORDERS` (2 or 4), else a one-line
    ``ValueError``."""
    return int(check_choice(order, "order (information exponent)", ORDERS))


def spike_projection(g0: torch.Tensor, y: torch.Tensor, nu: torch.Tensor, beta: float, order: int) -> torch.Tensor:
    """The sample's coordinate along ``u``: ``(g0 + sqrt(beta) nu) / sqrt(1 + beta)`` (k = 4, whitened) or
    ``g0 + sqrt(beta) nu`` (k = 2) for ``y = +1``; ``g0`` for ``y = -1``.

    Parameters
    ----------
    g0 : torch.Tensor
        Standard Gaussian coordinates along ``u`` (any shape).
    y, nu : torch.Tensor
        Labels and spike signs in {-1, +1}, the shape of ``g0``.
    beta : float
        Spike strength.
    order : int
        Information exponent, 4 (whitened spike) or 2 (covariance spike).

    Returns
    -------
    torch.Tensor
        The coordinates, the shape of ``g0``.
    """
    spike = g0 + math.sqrt(beta) * nu
    if order == 4:
        spike = spike / math.sqrt(1.0 + beta)
    return torch.where(y > 0, spike, g0)


def random_signs(
    shape: tuple[int, ...], gen: torch.Generator | None, device: torch.device | str | None, dtype: torch.dtype
) -> torch.Tensor:
    """Independent uniform signs in {-1, +1} of the given ``shape``, drawn with ``torch.randint`` from ``gen``."""
    return torch.randint(0, 2, shape, generator=gen, device=device).to(dtype) * 2.0 - 1.0


def drift_escape_time(N: ArrayLike, *, beta: float = 5.0, c: float = 1.0, order: int = 4) -> np.ndarray:
    """Escape time predicted by the population drift alone, started at ``m_0^2 = 1/N``.

    k = 4: ``dm/dt = eta |kappa_4| m^3 / 12`` with ``eta = c / N^2`` gives ``T = 6 N / (|kappa_4| eta) =
    6 N^3 / (|kappa_4| c)``. k = 2: ``dm/dt = eta beta m / 2`` with ``eta = c / N`` gives ``T = N ln(N/4) / (beta c)``
    to reach ``m = 1/2`` from ``m_0 = N^(-1/2)`` (so k = 2 needs ``N > 4``: a start at ``m_0 >= 1/2`` has escaped
    already). (The noise and the normalisation are neglected.)

    Parameters
    ----------
    N : array_like
        Dimensions, scalar or any shape (> 4 for k = 2).
    beta, c : float
        Spike strength and step-size constant, > 0.
    order : {4, 2}
        The information exponent k.

    Returns
    -------
    np.ndarray
        Float64 of ``N``'s shape.
    """
    order = check_order(order)
    beta, c = check_positive(beta, "beta"), check_positive(c, "c")
    try:
        N = np.asarray(N, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"N must be a positive dimension (scalar or array), got {N!r}") from None
    low = 4.0 if order == 2 else 0.0
    bad = ~np.isfinite(N) | (N <= low)
    if bad.any():
        what = "> 4 (k = 2 starts below m = 1/2 only there)" if order == 2 else "finite and > 0"
        raise ValueError(f"N must be {what}, got {float(N[bad].ravel()[0])!r}")
    if order == 4:
        return 6.0 * N**3 / (abs(kappa4_spike(beta)) * c)
    return N * np.log(N / 4.0) / (beta * c)


@dataclass
class EscapeResult:
    """Escape times of a batch of runs (any simulator).

    ``times`` (R,): first step with ``|m| >= threshold`` (``inf`` when the run was stopped at ``max_steps``
    first); ``max_steps`` (R,); ``m0`` (R,) initial overlaps; ``N`` (R,), ``eta`` (R,); ``threshold``;
    ``record_steps`` (S,) and ``traces`` (R, S) the overlap every ``record_every`` steps (NaN after the
    escape), or empty arrays; ``steps_run``: total sequential steps simulated; ``lane_steps``: the sum of the
    steps of all runs (the work); ``seconds``: wall time.
    """

    times: np.ndarray
    max_steps: np.ndarray
    m0: np.ndarray
    N: np.ndarray
    eta: np.ndarray
    threshold: float
    record_steps: np.ndarray
    traces: np.ndarray
    steps_run: int
    lane_steps: int
    seconds: float

    @property
    def escaped(self) -> np.ndarray:
        """Which runs escaped before their cap, (R,) bool."""
        return np.isfinite(self.times)


def per_run_values(value: ArrayLike, R: int, name: str, *, dtype: DTypeLike = float) -> np.ndarray:
    """``value`` (scalar or (R,)) as an (R,) array of ``dtype``, every entry positive and finite (and an integer
    when ``dtype`` is an integer type; integral floats such as ``1e5`` are accepted, ``1.5`` and bools are not).

    Parameters
    ----------
    value : scalar or array_like, (R,) or (1,)
        One value for every run, or one per run.
    R : int
        Number of runs.
    name : str
        The argument's name in the one-line ``ValueError``.
    dtype : numpy dtype
        ``float`` (positive and finite) or an integer type (positive integers).

    Returns
    -------
    numpy.ndarray
        Shape (R,), of ``dtype``.
    """
    integer = np.issubdtype(dtype, np.integer)
    kind = "a positive integer" if integer else "positive and finite"
    raw = np.asarray(value)
    if raw.dtype == bool or raw.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be {kind} (scalar or one value per run), got {value!r}")
    if raw.ndim > 1 or (raw.ndim == 1 and raw.shape[0] not in (1, R)):
        raise ValueError(f"{name} must be a scalar or hold one value per run ({R}), got shape {raw.shape}")
    vals = np.broadcast_to(raw, (R,))
    f = vals.astype(float)
    bad = ~np.isfinite(f) | (f <= 0)
    if integer:
        bad |= f != np.round(f)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f" (run {i})" if raw.ndim else ""
        raise ValueError(f"{name} must be {kind} (scalar or one value per run), got {vals[i].item()!r}{where}")
    return vals.astype(dtype)


# =========================================================================== batch bookkeeping
def chunk_escapes(
    m: torch.Tensor,
    dim: int,
    threshold: float,
    times: np.ndarray,
    alive: np.ndarray,
    cap: np.ndarray,
    t: int,
    traces: np.ndarray,
    record_every: int | None,
) -> tuple[np.ndarray, int]:
    """Bookkeeping after a chunk of ``K`` steps of the runs still in the batch: record the traces, set the escape
    times of the runs that crossed, and say which runs end (escaped or capped) and how much work was done.

    A run escapes at the first step ``s`` of the chunk with ``|m_s| >= threshold``, if ``s <= cap`` of that run.

    Parameters
    ----------
    m : torch.Tensor
        Overlaps after steps ``t+1 .. t+K`` of the ``Ra`` alive runs: (Ra, K) when ``dim = 1``, (K, Ra) when
        ``dim = 0``.
    dim : int
        The step axis of ``m``.
    threshold : float
        The escape threshold.
    times : numpy.ndarray, (R,)
        Escape times of the whole batch, updated in place.
    alive : numpy.ndarray, (Ra,)
        Indices of the alive runs in the batch.
    cap : numpy.ndarray, (R,)
        ``max_steps`` of every run.
    t : int
        Steps simulated before this chunk.
    traces : numpy.ndarray, (R, S)
        Recorded overlaps, updated in place at the multiples of ``record_every``.
    record_every : int or None
        Recording interval (``None``: no traces).

    Returns
    -------
    ended : numpy.ndarray of bool, (Ra,)
        Which alive runs end with this chunk (escaped or at their cap).
    work : int
        Run-steps simulated in this chunk (each run up to its escape or its cap).
    """
    K = m.shape[dim]
    steps = t + 1 + np.arange(K)
    if record_every:
        _record(traces, alive, m, steps, record_every, dim)
    first = _first_hits(m, threshold, dim)
    ended = np.zeros(alive.size, dtype=bool)
    for j in np.flatnonzero(first < K):
        if steps[first[j]] <= cap[alive[j]]:
            times[alive[j]] = steps[first[j]]
            ended[j] = True
    work = int(np.minimum(np.where(first < K, first + 1, K), cap[alive] - t).clip(0).sum())
    return ended | (cap[alive] <= t + K), work


def drop_ended(
    ended: np.ndarray, alive: np.ndarray, *state: torch.Tensor
) -> tuple[np.ndarray, tuple[torch.Tensor, ...]]:
    """Drop the runs that ended from the index array ``alive`` and from every state tensor (first axis).

    Parameters
    ----------
    ended : numpy.ndarray of bool, (Ra,)
        Which alive runs ended (:func:`chunk_escapes`).
    alive : numpy.ndarray, (Ra,)
        Indices of the alive runs in the batch.
    *state : torch.Tensor
        Per-run state, each with first axis Ra.

    Returns
    -------
    tuple
        ``(alive, state)``: the indices and the tensors of the runs that go on.
    """
    if not ended.any():
        return alive, state
    keep = torch.as_tensor(np.flatnonzero(~ended), device=state[0].device)
    return alive[~ended], tuple(x[keep] for x in state)


def end_traces(traces: np.ndarray, times: np.ndarray, record_every: int | None) -> None:
    """NaN after each escape: a trace stops where its run stopped.

    ``traces`` (R, S) is changed in place; ``times`` (R,) escape times (``inf``: censored, untouched);
    ``record_every`` the recording interval (``None`` or 0: nothing to do).
    """
    if record_every:
        for r in np.flatnonzero(np.isfinite(times)):
            traces[r, int(times[r] // record_every) + 1 :] = np.nan


def _first_hits(m, threshold: float, dim: int):
    """Index of the first ``|m| >= threshold`` along ``dim`` (the length of that axis when there is none),
    computed on the device; returns a NumPy int array."""
    hit = (m.abs() >= threshold).to(torch.int32)
    idx = hit.argmax(dim)  # the first maximum
    return torch.where(hit.amax(dim) > 0, idx, torch.full_like(idx, m.shape[dim])).cpu().numpy()


def _record(traces, alive, m, steps, record_every, dim: int):
    """Copy the overlaps at the recorded steps (multiples of ``record_every``) of a chunk into ``traces``."""
    sel = np.flatnonzero(steps % record_every == 0)
    if sel.size:
        vals = m.index_select(dim, torch.as_tensor(sel, device=m.device)).cpu().numpy()
        traces[np.ix_(alive, steps[sel] // record_every)] = vals if dim == 1 else vals.T


# =========================================================================== full SGD in Fourier coordinates
def _sgd_chunk(w, x, xx, ceta, order: int, hist=None):
    """``K`` sequential SGD steps for ``R`` runs. ``w`` (R, N); ``x`` (K, R, N) inputs; ``xx`` (K, R) their
    squared norms; ``ceta`` (K, R) the per-step factor (``eta y / 6`` for k = 4, ``-eta y`` for k = 2, so that
    ``eta g = ceta He_3(h)`` or ``ceta h``); ``hist`` (K, R, N) receives ``w`` after each step. Returns the new
    ``w``. Each step is one dot product, a few (R,) operations and one rank-one update.

    Written with array operators only, so the same code runs on torch tensors (any device) and on NumPy
    arrays (which :func:`phase_sgd` uses on the CPU, where NumPy's per-call overhead is about half torch's).
    """
    for k in range(x.shape[0]):
        xk = x[k]
        h = (w * xk).sum(-1)
        h2 = h * h
        eg = ceta[k] * h * (h2 - 3.0) if order == 4 else ceta[k] * h
        inv = (1.0 + eg * eg * (xx[k] - h2)) ** -0.5
        w = w * ((1.0 + eg * h) * inv)[:, None] - xk * (eg * inv)[:, None]
        if hist is not None:
            hist[k] = w
    return w


def _step_factor(y, eta, order: int):
    """``ceta`` of :func:`_sgd_chunk` from labels ``y`` (K, R) and step sizes ``eta`` (R,)."""
    return y * (eta / 6.0) if order == 4 else -y * eta


def _effective_overlap(w, sqrt_lam, u):
    """``m_eff = (sqrt(lam) w).u / |sqrt(lam) w|`` for ``w`` (K, R, N) (or (R, N)), ``sqrt_lam``, ``u`` (R, N)."""
    if w.ndim == 2:
        v = w * sqrt_lam
        return (v * u).sum(-1) / torch.sqrt((v * v).sum(-1))
    num = torch.einsum("krn,rn->kr", w, sqrt_lam * u)
    den = torch.einsum("krn,rn->kr", w * w, sqrt_lam * sqrt_lam)
    return num / torch.sqrt(den)


def _fourier_inputs(z, y, nu, sqrt_lam, u, beta: float, order: int):
    """Inputs ``x = sqrt(lam) x~`` in Fourier coordinates from white noise ``z`` (K, R, N), labels and signs (K, R)."""
    proj = torch.einsum("krn,rn->kr", z, u)
    coef = spike_projection(proj, y, nu, beta, order) - proj
    return sqrt_lam * torch.addcmul(z, coef.unsqueeze(-1), u)


def phase_sgd(
    lam: ArrayLike,
    u: ArrayLike,
    *,
    eta: ArrayLike,
    max_steps: ArrayLike,
    runs: int | None = None,
    beta: float = 5.0,
    order: int = 4,
    threshold: float = 0.5,
    seed: int = 0,
    w0: ArrayLike | None = None,
    chunk: int = 256,
    record_every: int | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    noise_dtype: torch.dtype = torch.float32,
    progress: bool = False,
) -> EscapeResult:
    """Online SGD of ``R`` independent spherical neurons in real Fourier coordinates, until each escapes.

    Model (see :class:`lofi_utils.phase_model.PhaseModel`): ``x = sqrt(lam) * x~`` with ``x~`` white noise plus,
    for ``y = +1``, the (whitened, if ``order == 4``) spike ``sqrt(beta) nu u``. Update as in the module
    docstring. Runs stop at their escape (``|m_eff| >= threshold``) or at ``max_steps``; escaped runs leave the
    batch.

    Parameters
    ----------
    lam : array_like
        Coordinate eigenvalues (``PhaseModel.lam``), (N,) or (R, N), positive.
    u : array_like
        Templates in Fourier coordinates (``PhaseModel.u_fourier``), (N,) or (R, N); normalised here.
    eta, max_steps : array_like
        Step sizes and step caps (positive integers), scalars or (R,).
    runs : int, optional
        ``R`` when ``lam`` and ``u`` are shared.
    beta : float
        Spike strength, > 0.
    order : {4, 2}
        Information exponent: whitened (phase) or covariance spike.
    threshold : float
        Escape threshold in (0, 1).
    seed : int
        Seeds the generator on ``device`` (initial weights, noise, labels, signs).
    w0 : array_like, optional
        Initial weights, (R, N); default uniform on the sphere.
    chunk : int
        Steps whose noise is drawn at once.
    record_every : int, optional
        Keep ``m_eff`` every so many steps (``None``: no traces).
    device : torch.device or str
        Where the state lives.
    dtype, noise_dtype : torch.dtype
        The state's precision (float32 by default: rounding is far below the SGD noise) and the drawn Gaussians'.
    progress : bool
        Show a progress bar.

    Returns
    -------
    EscapeResult
        Exact escape steps ``times`` (R,), traces (R, S).
    """
    order = check_order(order)
    runs = None if runs is None else check_int(runs, "runs", minimum=1)
    chunk = check_int(chunk, "chunk", minimum=1)
    record_every = None if record_every is None else check_int(record_every, "record_every", minimum=1)
    beta = check_positive(beta, "beta")
    seed = check_int(seed, "seed", minimum=0)
    check_in_range(threshold, "threshold", 0, 1, low_open=True, high_open=True)
    lam_np, u_np = np.asarray(lam, dtype=np.float64), np.asarray(u, dtype=np.float64)
    if lam_np.ndim not in (1, 2) or u_np.ndim not in (1, 2) or 0 in lam_np.shape or 0 in u_np.shape:
        raise ValueError(f"lam and u must be (N,) or (R, N), got shapes {lam_np.shape} and {u_np.shape}")
    if not np.all(np.isfinite(lam_np) & (lam_np > 0)):
        bad = lam_np[~(np.isfinite(lam_np) & (lam_np > 0))][0]
        raise ValueError(f"lam (the coordinate eigenvalues) must be positive and finite, got {float(bad)!r}")
    norms = np.linalg.norm(u_np, axis=-1)
    if not np.all(np.isfinite(u_np)) or np.any(norms == 0):
        what = "a non-finite entry" if not np.all(np.isfinite(u_np)) else "a row of norm 0"
        raise ValueError(f"u (the template) must be finite and nonzero in every row, got {what}")
    dev = torch.device(device)
    lam = torch.as_tensor(lam_np, dtype=dtype, device=dev)
    u = torch.as_tensor(u_np, dtype=dtype, device=dev)
    if lam.ndim == 1:
        lam = lam.unsqueeze(0)
    if u.ndim == 1:
        u = u.unsqueeze(0)
    R = runs if runs is not None else max(lam.shape[0], u.shape[0])
    N = lam.shape[-1]
    if u.shape[-1] != N or lam.shape[0] not in (1, R) or u.shape[0] not in (1, R):
        raise ValueError(f"lam {tuple(lam.shape)} and u {tuple(u.shape)} must be (N,) or (R, N) with R = {R}")
    lam, u = lam.expand(R, N).contiguous(), u.expand(R, N).contiguous()
    u = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
    eta_np = per_run_values(eta, R, "eta")
    cap = per_run_values(max_steps, R, "max_steps", dtype=np.int64)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    if w0 is None:
        w = torch.randn(R, N, generator=gen, device=dev, dtype=dtype)
    else:
        w0 = np.asarray(w0, dtype=np.float64)
        if w0.size != R * N:
            raise ValueError(f"w0 must hold R x N = {R} x {N} initial weights, got shape {w0.shape}")
        w0 = w0.reshape(R, N)
        if not np.all(np.isfinite(w0)) or np.any(np.linalg.norm(w0, axis=1) == 0):
            raise ValueError(
                "w0 must be finite and nonzero in every row (a direction on the sphere), got "
                + ("a non-finite entry" if not np.all(np.isfinite(w0)) else "a row of norm 0")
            )
        w = torch.as_tensor(w0, dtype=dtype, device=dev).clone()
    w = w / torch.linalg.vector_norm(w, dim=-1, keepdim=True)
    sl = torch.sqrt(lam)
    m0 = _effective_overlap(w, sl, u)
    times = np.full(R, np.inf)
    m0_np = m0.cpu().numpy()
    times[np.abs(m0_np) >= threshold] = 0.0
    n_rec = int(cap.max() // record_every) + 1 if record_every else 0
    traces = np.full((R, n_rec), np.nan)
    if record_every:
        traces[:, 0] = m0_np
    alive = np.flatnonzero(~np.isfinite(times))
    eta_t = torch.as_tensor(eta_np, dtype=dtype, device=dev)
    t, lane_steps = 0, 0
    import time as _time

    t0 = _time.perf_counter()
    bar = tqdm(total=int(cap[alive].max()) if alive.size else 0, disable=not progress, desc="online SGD", leave=False)
    with torch.inference_mode():
        idx = torch.as_tensor(alive, device=dev)
        w, sl_a, u_a, eta_a = w[idx], sl[idx], u[idx], eta_t[idx]
        while alive.size:
            K = int(min(chunk, cap[alive].max() - t))
            Ra = alive.size
            z = torch.randn(K, Ra, N, generator=gen, device=dev, dtype=noise_dtype).to(dtype)
            y = random_signs((K, Ra), gen, dev, dtype)
            nu = random_signs((K, Ra), gen, dev, dtype)
            x = _fourier_inputs(z, y, nu, sl_a, u_a, beta, order)
            xx = torch.einsum("krn,krn->kr", x, x)
            hist = torch.empty(K, Ra, N, device=dev, dtype=dtype)
            ceta = _step_factor(y, eta_a, order)
            if dev.type == "cpu":  # the same loop on NumPy views of the same memory
                w = torch.from_numpy(_sgd_chunk(w.numpy(), x.numpy(), xx.numpy(), ceta.numpy(), order, hist.numpy()))
            else:
                w = _sgd_chunk(w, x, xx, ceta, order, hist)
            w = w / torch.linalg.vector_norm(w, dim=-1, keepdim=True)
            m = _effective_overlap(hist, sl_a, u_a)  # (K, Ra): m after steps t+1..t+K
            ended, work = chunk_escapes(m, 0, threshold, times, alive, cap, t, traces, record_every)
            lane_steps, t = lane_steps + work, t + K
            bar.update(K)
            alive, (w, sl_a, u_a, eta_a) = drop_ended(ended, alive, w, sl_a, u_a, eta_a)
    bar.close()
    end_traces(traces, times, record_every)
    return EscapeResult(
        times=times,
        max_steps=cap,
        m0=m0_np,
        N=np.full(R, N),
        eta=eta_np,
        threshold=threshold,
        record_steps=np.arange(n_rec) * (record_every or 0),
        traces=traces,
        steps_run=t,
        lane_steps=lane_steps,
        seconds=_time.perf_counter() - t0,
    )


def sgd_from_noise(
    model: PhaseModel, z: ArrayLike, y: ArrayLike, nu: ArrayLike, w0: ArrayLike, eta: float, *, order: int = 4
) -> np.ndarray:
    """The Fourier-coordinate SGD of :func:`phase_sgd` (same update code) driven by given pixel-space noise.

    ``z`` (T, N) white noise, ``y`` and ``nu`` (T,), ``w0`` (N,) pixel-space initial weights. The noise and
    the weights are mapped to Fourier coordinates by the orthogonal :func:`lofi_utils.phase_model.to_fourier_coords`.
    Returns the overlaps ``m_eff`` (T + 1,) (float64), for comparison with :func:`pixel_sgd_reference`.
    """
    order = check_order(order)
    dt = torch.float64
    zf = torch.as_tensor(to_fourier_coords(z), dtype=dt).unsqueeze(1)
    yt = torch.as_tensor(np.asarray(y, dtype=np.float64), dtype=dt).reshape(-1, 1)
    nut = torch.as_tensor(np.asarray(nu, dtype=np.float64), dtype=dt).reshape(-1, 1)
    sl = torch.as_tensor(np.sqrt(model.lam), dtype=dt).unsqueeze(0)
    u = torch.as_tensor(model.u_fourier, dtype=dt).unsqueeze(0)
    w = torch.as_tensor(to_fourier_coords(np.asarray(w0, dtype=np.float64)), dtype=dt).reshape(1, -1)
    w = w / torch.linalg.vector_norm(w)
    x = _fourier_inputs(zf, yt, nut, sl, u, model.beta, order)
    hist = torch.empty_like(x)
    _sgd_chunk(w, x, (x * x).sum(-1), _step_factor(yt, torch.full((1,), float(eta), dtype=dt), order), order, hist)
    m = torch.cat([_effective_overlap(w, sl, u), _effective_overlap(hist, sl, u)[:, 0]])
    return m.numpy()


def pixel_sgd_reference(
    model: PhaseModel, z: ArrayLike, y: ArrayLike, nu: ArrayLike, w0: ArrayLike, eta: float, *, order: int = 4
) -> np.ndarray:
    """Reference: the same online SGD written naively in pixel space, one FFT colouring per sample.

    ``x = irfft(sqrt(lambda) rfft(x~))`` with ``x~`` built from ``z[t]``, ``y[t]``, ``nu[t]``
    (:meth:`PhaseModel.whitened` for k = 4, the unwhitened spike for k = 2); ``w <- (w - eta g (x - h w)) / |.|``.

    Parameters
    ----------
    model : PhaseModel
        The data model.
    z : array_like
        White noise, (T, N).
    y, nu : array_like
        Labels and spike signs in {-1, +1}, (T,).
    w0 : array_like
        Pixel-space initial weights, (N,).
    eta : float
        Step size.
    order : {4, 2}
        Information exponent.

    Returns
    -------
    np.ndarray
        The overlaps ``m_eff``, (T + 1,), float64.
    """
    order = check_order(order)
    w = np.asarray(w0, dtype=np.float64).copy()
    w /= np.linalg.norm(w)
    out = [float(model.overlap(w))]
    for zt, yt, nt in zip(np.asarray(z, dtype=np.float64), np.asarray(y), np.asarray(nu)):
        if order == 4:
            xt = model.whitened(zt[None], np.array([yt]), np.array([nt]))[0]
        else:
            xt = zt + (math.sqrt(model.beta) * nt * model.u if yt > 0 else 0.0)
        x = colour(xt, model.a)
        h = float(w @ x)
        g = yt * h * (h * h - 3.0) / 6.0 if order == 4 else -yt * h
        w = w - eta * g * (x - h * w)
        w /= np.linalg.norm(w)
        out.append(float(model.overlap(w)))
    return np.array(out)


def fourier_pixel_gap(
    model: PhaseModel, steps: int, rng: np.random.Generator | int, *, eta: float, order: int = 4
) -> float:
    """Largest difference of the overlaps of :func:`pixel_sgd_reference` and :func:`sgd_from_noise` on the same noise.

    Draws, in this order, white noise ``z`` (steps, N), labels ``y`` (steps,) in {-1, +1}, signs ``nu`` (steps,)
    and initial weights ``w0`` (N,) from ``rng`` (a ``numpy.random.Generator``, advanced in place, or a seed),
    and runs both simulators with step ``eta``. The change to real Fourier coordinates is orthogonal, so the
    two trajectories agree up to rounding: returns ``max_t |m_pixel(t) - m_fourier(t)|``.
    """
    check_int(steps, "steps", minimum=1)
    check_positive(eta, "eta")
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    N = model.N
    z = rng.standard_normal((steps, N))
    y = rng.choice([-1, 1], steps)
    nu = rng.choice([-1.0, 1.0], steps)
    w0 = rng.standard_normal(N)
    ref = pixel_sgd_reference(model, z, y, nu, w0, eta, order=order)
    return float(np.max(np.abs(ref - sgd_from_noise(model, z, y, nu, w0, eta, order=order))))
