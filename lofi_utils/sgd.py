"""Online SGD of a spherical neuron on the phase-only model: batched simulators of the escape from ``m ~ N^(-1/2)``.

The learning problem (Ben Arous, Gheissari & Jagannath 2021, in the setting of the *Fourier phase* chapter):
a unit vector ``w`` in R^N sees one fresh sample ``(x, y)`` of :class:`lofi_utils.fourier.PhaseModel` per step
and follows the correlation loss of information exponent ``k``

    L(w; x, y) = -s_k y He_k(w.x) / k!,     s_4 = sign(kappa_4) = -1,   s_2 = +1,

by projected, normalised SGD

    w <- (w - eta g (x - h w)) / |.|,    h = w.x,    g = -s_k y He_{k-1}(h) / (k-1)!.

Since ``x - h w`` is orthogonal to ``w``, the normalisation is ``sqrt(1 + eta^2 g^2 (|x|^2 - h^2))``. The run
has *escaped* at the first step ``t`` with ``|m_t| >= threshold``, where ``m`` is the overlap with the
template (``m_eff = (C^(1/2) w).u / |C^(1/2) w|`` for a coloured spectrum).

``order=4`` is the phase-only model (whitened spike: equal spectra, first difference in the 4th cumulant);
``order=2`` is the *amplitude* control: the same spike without whitening, so the structured class has
variance ``1 + beta`` along ``u`` (a covariance spike, information exponent 2).

Three simulators, one convention:

* :func:`phase_sgd` -- the full N-dimensional SGD in real Fourier coordinates (diagonal covariance, any
  spectrum and template), batched over runs: ``(R, N)`` state on the device, noise drawn in chunks of ``K``
  steps at once, and one short sequential update per step;
* :func:`overlap_chain` -- for a flat spectrum, the *exact* reduction of that SGD to a Markov chain for the
  scalar overlap ``m`` (rotation invariance about ``u``), whose cost per step does not depend on ``N``; its
  ``"parallel"`` method solves a whole chunk of steps at once by Newton's method on the trajectory (an
  affine scan per iteration, as in DEER, Lim et al. 2024), exact to rounding once converged;
* :func:`pixel_sgd_reference` -- a plain NumPy loop in pixel space with FFT colouring, the reference that the
  Fourier-coordinate simulator reproduces to 1e-8.

All state is float64 torch on the chosen device; the same code runs on CPU and CUDA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import ks_2samp
from tqdm.auto import tqdm

from .fourier import PhaseModel, check_N, colour, kappa4_spike, to_fourier_coords
from .plotting import PALETTE, get_ax, label, sequential_colors
from .stats import fit_power_law
from .validation import check_choice, check_in_range, check_int, check_positive

__all__ = [
    "ORDERS", "EscapeResult", "phase_sgd", "overlap_chain", "pixel_sgd_reference", "sgd_from_noise",
    "uniform_overlap", "drift_escape_time", "escape_fraction", "median_escape", "EscapeScan",
    "escape_time_scan", "PowerLawScan", "powerlaw_scan", "plot_escape_traces", "plot_escape_scaling", "plot_escape_fraction",
    "fourier_pixel_gap", "chain_vs_full", "EscapeFit", "fit_escape_scan", "plot_powerlaw_scan",
]

#: Information exponents simulated: 4 (phase-only, whitened spike) and 2 (covariance spike).
ORDERS = (2, 4)
_MIN_NEWTON_CHUNK = 128  # below this, Newton iterations cost more than stepping


# =========================================================================== small helpers
def _order(order) -> int:
    return int(check_choice(order, "order (information exponent)", ORDERS))


def _grad_factor(h: torch.Tensor, y: torch.Tensor, order: int) -> torch.Tensor:
    """``g = -s_k y He_{k-1}(h) / (k-1)!``: ``y He_3(h) / 6`` for k = 4, ``-y h`` for k = 2."""
    if order == 4:
        return y * h * (h * h - 3.0) / 6.0
    return -y * h


def _spike_projection(g0: torch.Tensor, y: torch.Tensor, nu: torch.Tensor, beta: float, order: int):
    """The sample's coordinate along ``u``: ``(g0 + sqrt(beta) nu) / sqrt(1 + beta)`` (k = 4, whitened) or
    ``g0 + sqrt(beta) nu`` (k = 2) for ``y = +1``; ``g0`` for ``y = -1``."""
    spike = g0 + math.sqrt(beta) * nu
    if order == 4:
        spike = spike / math.sqrt(1.0 + beta)
    return torch.where(y > 0, spike, g0)


def _signs(shape, gen, device, dtype):
    return torch.randint(0, 2, shape, generator=gen, device=device).to(dtype) * 2.0 - 1.0


def uniform_overlap(N, runs: int, *, gen: torch.Generator | None = None, device="cpu",
                    dtype=torch.float64) -> torch.Tensor:
    """Overlap ``m = w.u`` of ``w`` uniform on S^{N-1} with a fixed unit ``u``: ``g / sqrt(g^2 + chi^2_{N-1})``.

    ``N``: int or (runs,) tensor of dimensions. Returns a (runs,) tensor.
    """
    N = torch.as_tensor(N, dtype=dtype, device=device).expand(runs)
    g = torch.randn(runs, generator=gen, device=device, dtype=dtype)
    chi2 = 2.0 * torch._standard_gamma(((N - 1.0) / 2.0).contiguous(), generator=gen)
    return g / torch.sqrt(g * g + chi2)


def drift_escape_time(N, *, beta: float = 5.0, c: float = 1.0, order: int = 4) -> np.ndarray:
    """Escape time predicted by the population drift alone, started at ``m_0^2 = 1/N``.

    k = 4: ``dm/dt = eta |kappa_4| m^3 / 12`` with ``eta = c / N^2`` gives ``T = 6 N / (|kappa_4| eta) =
    6 N^3 / (|kappa_4| c)``. k = 2: ``dm/dt = eta beta m / 2`` with ``eta = c / N`` gives ``T = N ln(N/4) / (beta c)``
    to reach ``m = 1/2`` from ``m_0 = N^(-1/2)`` (so k = 2 needs ``N > 4``: a start at ``m_0 >= 1/2`` has escaped
    already). (The noise and the normalisation are neglected.) ``beta``, ``c`` > 0.
    """
    order = _order(order)
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
        return np.isfinite(self.times)


def _per_run(value, R: int, name: str, *, dtype=float) -> np.ndarray:
    """``value`` (scalar or (R,)) as an (R,) array of ``dtype``, every entry positive and finite (and an integer
    when ``dtype`` is an integer type; integral floats such as ``1e5`` are accepted, ``1.5`` and bools are not)."""
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


# =========================================================================== full SGD in Fourier coordinates
def _chunk_escapes(m, dim: int, threshold: float, times, alive, cap, t: int, traces, record_every):
    """Bookkeeping after a chunk of ``K`` steps (``m``: overlaps after steps t+1..t+K along ``dim``): record the
    traces, set the escape times of the runs that crossed, and return which runs end (escaped or capped) and
    the number of run-steps simulated."""
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


def _compact(ended, alive, *state):
    """Drop the runs that ended from the index array ``alive`` and from every state tensor (first axis)."""
    if not ended.any():
        return alive, state
    keep = torch.as_tensor(np.flatnonzero(~ended), device=state[0].device)
    return alive[~ended], tuple(x[keep] for x in state)


def _end_traces(traces, times, record_every) -> None:
    """NaN after each escape: a trace stops where its run stopped."""
    if record_every:
        for r in np.flatnonzero(np.isfinite(times)):
            traces[r, int(times[r] // record_every) + 1:] = np.nan


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
    coef = _spike_projection(proj, y, nu, beta, order) - proj
    return sqrt_lam * torch.addcmul(z, coef.unsqueeze(-1), u)


def phase_sgd(lam, u, *, eta, max_steps, runs: int | None = None, beta: float = 5.0, order: int = 4,
              threshold: float = 0.5, seed: int = 0, w0=None, chunk: int = 256, record_every: int | None = None,
              device="cpu", dtype=torch.float32, noise_dtype=torch.float32, progress: bool = False) -> EscapeResult:
    """Online SGD of ``R`` independent spherical neurons in real Fourier coordinates, until each escapes.

    Model (see :class:`lofi_utils.fourier.PhaseModel`): ``x = sqrt(lam) * x~`` with ``x~`` white noise plus,
    for ``y = +1``, the (whitened, if ``order == 4``) spike ``sqrt(beta) nu u``. Update as in the module
    docstring. ``lam`` (N,) or (R, N) coordinate eigenvalues (``PhaseModel.lam``); ``u`` (N,) or (R, N) unit
    templates in Fourier coordinates (``PhaseModel.u_fourier``); ``eta`` and ``max_steps``: scalars or (R,);
    ``runs``: R when ``lam`` and ``u`` are shared; ``w0`` (R, N) initial weights (default: uniform on the
    sphere); ``chunk``: steps whose noise is drawn at once; ``record_every``: keep ``m_eff`` every so many
    steps. Runs stop at their escape (``|m_eff| >= threshold``) or at ``max_steps``; escaped runs leave the
    batch. ``dtype``: the state's precision (float32 by default: rounding is far below the SGD noise);
    ``noise_dtype``: precision of the drawn Gaussians. Returns an :class:`EscapeResult` with exact escape steps.
    """
    order = _order(order)
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
    eta_np = _per_run(eta, R, "eta")
    cap = _per_run(max_steps, R, "max_steps", dtype=np.int64)
    gen = torch.Generator(device=dev).manual_seed(int(seed))
    if w0 is None:
        w = torch.randn(R, N, generator=gen, device=dev, dtype=dtype)
    else:
        w0 = np.asarray(w0, dtype=np.float64)
        if w0.size != R * N:
            raise ValueError(f"w0 must hold R x N = {R} x {N} initial weights, got shape {w0.shape}")
        w0 = w0.reshape(R, N)
        if not np.all(np.isfinite(w0)) or np.any(np.linalg.norm(w0, axis=1) == 0):
            raise ValueError("w0 must be finite and nonzero in every row (a direction on the sphere), got "
                             + ("a non-finite entry" if not np.all(np.isfinite(w0)) else "a row of norm 0"))
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
            y = _signs((K, Ra), gen, dev, dtype)
            nu = _signs((K, Ra), gen, dev, dtype)
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
            ended, work = _chunk_escapes(m, 0, threshold, times, alive, cap, t, traces, record_every)
            lane_steps, t = lane_steps + work, t + K
            bar.update(K)
            alive, (w, sl_a, u_a, eta_a) = _compact(ended, alive, w, sl_a, u_a, eta_a)
    bar.close()
    _end_traces(traces, times, record_every)
    return EscapeResult(times=times, max_steps=cap, m0=m0_np, N=np.full(R, N), eta=eta_np, threshold=threshold,
                        record_steps=np.arange(n_rec) * (record_every or 0), traces=traces, steps_run=t,
                        lane_steps=lane_steps, seconds=_time.perf_counter() - t0)


def sgd_from_noise(model: PhaseModel, z, y, nu, w0, eta: float, *, order: int = 4) -> np.ndarray:
    """The Fourier-coordinate SGD of :func:`phase_sgd` (same update code) driven by given pixel-space noise.

    ``z`` (T, N) white noise, ``y`` and ``nu`` (T,), ``w0`` (N,) pixel-space initial weights. The noise and
    the weights are mapped to Fourier coordinates by the orthogonal :func:`lofi_utils.fourier.to_fourier_coords`.
    Returns the overlaps ``m_eff`` (T + 1,) (float64), for comparison with :func:`pixel_sgd_reference`.
    """
    order = _order(order)
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


def pixel_sgd_reference(model: PhaseModel, z, y, nu, w0, eta: float, *, order: int = 4) -> np.ndarray:
    """Reference: the same online SGD written naively in pixel space, one FFT colouring per sample.

    ``x = irfft(sqrt(lambda) rfft(x~))`` with ``x~`` built from ``z[t]``, ``y[t]``, ``nu[t]`` (:meth:`PhaseModel.whitened`
    for k = 4, the unwhitened spike for k = 2); ``w <- (w - eta g (x - h w)) / |.|``. Returns ``m_eff`` (T + 1,).
    """
    order = _order(order)
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


def fourier_pixel_gap(model: PhaseModel, steps: int, rng, *, eta: float, order: int = 4) -> float:
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


# =========================================================================== the overlap chain (flat spectrum)
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
    y = _signs((R, K), gen, device, dtype)
    nu = _signs((R, K), gen, device, dtype)
    s = _spike_projection(g0, y, nu, beta, order)
    r = 2.0 * torch._standard_gamma(((N - 2.0) / 2.0).unsqueeze(1).expand(R, K).contiguous(), generator=gen)
    return s, t, y, r


def _chain_sequential(m0, s, t, y, r, eta, order):
    """Exact chain, one step after the other: returns (R, K + 1) overlaps. On the CPU the loop runs on NumPy
    views of the same tensors (the same code; NumPy's per-call overhead is lower for these small arrays)."""
    cpu = m0.device.type == "cpu"
    arrs = [a.numpy() for a in (m0, s, t, y, r, eta)] if cpu else [m0, s, t, y, r, eta]
    m, s_, t_, y_, r_, e_ = arrs
    out = np.empty((m.shape[0], s_.shape[1] + 1)) if cpu else torch.empty(m.shape[0], s_.shape[1] + 1,
                                                                          dtype=m.dtype, device=m.device)
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


def overlap_chain(N, *, eta, max_steps, runs: int | None = None, beta: float = 5.0, order: int = 4,
                  threshold: float = 0.5, seed: int = 0, m0=None, method: str = "parallel",
                  record_every: int | None = None, alpha: float = 1e-3, max_chunk: int | None = None,
                  chunk_elements: int | None = None, device="cpu", dtype=torch.float64,
                  progress: bool = False) -> EscapeResult:
    """Escape times of online SGD with a flat spectrum, from the exact Markov chain of the overlap ``m = w.u``.

    For ``a = 0`` the law of the data is invariant under rotations that fix ``u``, so the law of the next
    overlap depends on ``w`` only through ``m``: with ``q = sqrt(1 - m^2)``, ``h = m s + q t``,
    ``x_e = q s - m t`` and ``r ~ chi^2_{N-2}``,

        m' = (m - eta g q x_e) / sqrt(1 + eta^2 g^2 (x_e^2 + r)),   g = y He_3(h) / 6  (k = 4),

    where ``s`` is the sample's coordinate along ``u`` (:class:`~lofi_utils.fourier.PhaseModel`) and ``t`` a
    standard Gaussian. The chain has the law of :func:`phase_sgd` with ``lam = 1`` at a cost per step that
    does not depend on ``N``.

    ``N``, ``eta``, ``max_steps``: scalars or (R,) arrays (runs of several dimensions and step sizes share
    one batch); ``m0``: initial overlaps (default: the law of a uniform ``w``, :func:`uniform_overlap`);
    ``method``: ``"sequential"`` (one step after the other) or ``"parallel"`` (Newton on chunks of
    ``K = alpha / max(eta)^2`` steps, capped by ``max_chunk``; falls back to sequential steps for a chunk
    where Newton does not converge, and in chunks of 256 steps when ``alpha / eta^2 < 128``). Runs leave the
    batch at their escape. Both methods cut the steps into the same chunks and draw the same noise, so with
    the same ``seed`` they give the same trajectories (to rounding).

    Chunk size: ``K = min(alpha / max(eta)^2, max_chunk, chunk_elements // R_alive, steps left)``, where
    ``max_chunk`` defaults to ``2^20`` steps on CUDA and ``2^13`` elsewhere and ``chunk_elements`` (the
    elements of one (R, K) array, a memory bound: Newton holds a few dozen such arrays) to ``2^25`` on CUDA
    and ``2^20`` elsewhere; set both to reproduce the chunks of another device (the noise is drawn chunk by
    chunk, so the chunks are part of what a seed means).
    """
    order = _order(order)
    check_choice(method, "method", ("parallel", "sequential"))
    check_in_range(threshold, "threshold", 0, 1, low_open=True, high_open=True)
    runs = None if runs is None else check_int(runs, "runs", minimum=1)
    record_every = None if record_every is None else check_int(record_every, "record_every", minimum=1)
    beta, alpha = check_positive(beta, "beta"), check_positive(alpha, "alpha")
    seed = check_int(seed, "seed", minimum=0)
    sizes = [np.size(v) for v in (N, eta, max_steps) if np.ndim(v)]
    R = runs if runs is not None else (max(sizes) if sizes else 1)
    N_np = _per_run(N, R, "N", dtype=np.int64)
    if np.any(N_np < 3):
        raise ValueError(f"N must be an integer >= 3 (scalar or one value per run), got {int(N_np.min())}")
    eta_np = _per_run(eta, R, "eta")
    cap = _per_run(max_steps, R, "max_steps", dtype=np.int64)
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
    bar = tqdm(total=int(cap[alive].max()) if alive.size else 0, disable=not progress, desc="overlap chain", leave=False)
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
            ended, work = _chunk_escapes(mk, 1, threshold, times, alive, cap, t, traces, record_every)
            lane_steps, t = lane_steps + work, t + K
            bar.update(K)
            alive, (m, Na, eta_a) = _compact(ended, alive, m, Na, eta_a)
    bar.close()
    _end_traces(traces, times, record_every)
    return EscapeResult(times=times, max_steps=cap, m0=m0_np, N=N_np, eta=eta_np, threshold=threshold,
                        record_steps=np.arange(n_rec) * (record_every or 0), traces=traces, steps_run=t,
                        lane_steps=lane_steps, seconds=_time.perf_counter() - t0)


def chain_vs_full(N: int, runs: int, *, c: float = 2.0, cap: float = 30.0, seed: int = 0, device="cpu"):
    """Escape times of the full SGD and of the overlap chain for the isotropic model, and their KS test.

    Both simulators run ``runs`` neurons with ``eta = c / N^2`` for at most ``int(cap N^3 / c)`` steps:
    :func:`phase_sgd` on ``PhaseModel.make(N, 0, rng=seed)`` with seed ``seed``, :func:`overlap_chain` with
    seed ``seed + 1``. For a flat spectrum the chain has the law of the SGD, so the two-sample
    Kolmogorov-Smirnov test should not reject. Returns ``(full, chain, ks)``: two :class:`EscapeResult` and
    ``scipy.stats.ks_2samp(full.times, chain.times)``.
    """
    check_int(runs, "runs", minimum=2)
    check_positive(c, "c")
    check_positive(cap, "cap")
    model = PhaseModel.make(N, 0.0, rng=seed)
    kw = dict(eta=c / N**2, max_steps=int(cap * N**3 / c), runs=runs, device=device)
    full = phase_sgd(model.lam, model.u_fourier, seed=seed, **kw)
    chain = overlap_chain(N, seed=seed + 1, **kw)
    return full, chain, ks_2samp(full.times, chain.times)


# =========================================================================== summaries of escape times
def _check_times(times) -> np.ndarray:
    """Escape times of a batch: a non-empty 1-D array of steps ``>= 0``, ``inf`` for a censored run."""
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array of escape steps, got shape {t.shape}")
    bad = np.isnan(t) | (t < 0)
    if bad.any():
        raise ValueError(f"times must be escape steps >= 0 (inf for a censored run), got {float(t[bad][0])!r}")
    return t


def escape_fraction(times, n) -> np.ndarray:
    """Fraction of runs with escape time ``<= n`` for each ``n`` (censored runs never count)."""
    times = _check_times(times)
    n = np.asarray(n, dtype=float)
    if n.ndim > 1 or np.any(np.isnan(n)):
        raise ValueError(f"n must be a number or a 1-D array of step counts without NaN, got shape {n.shape}")
    return np.mean(times[None, :] <= n.reshape(-1)[:, None], axis=1)


def median_escape(times) -> float:
    """Median escape time, censored runs counted as ``inf`` (so the median is finite while > half escaped)."""
    return float(np.median(_check_times(times)))


@dataclass
class EscapeScan:
    """Escape times on a grid of settings: ``labels`` (G,) names, ``values`` (G,) the scanned quantity,
    ``times`` (G, S) per seed, ``result`` the batch :class:`EscapeResult`, and the fitted exponent of the
    medians in ``values`` (``exponent``, ``intercept``; NaN when not fitted)."""

    labels: list
    values: np.ndarray
    times: np.ndarray
    result: EscapeResult
    exponent: float = float("nan")
    intercept: float = float("nan")

    @property
    def medians(self) -> np.ndarray:
        return np.array([median_escape(t) for t in self.times])

    @property
    def censored(self) -> np.ndarray:
        return np.mean(~np.isfinite(self.times), axis=1)

    def exponent_se(self, *, n_boot: int = 300, log_correction: bool = False, seed: int = 0) -> float:
        """Bootstrap standard error of the fitted exponent (runs resampled within each setting; ``log_correction``
        fits ``median / ln(value)^2`` instead). NaN when a resampled median is not finite."""
        rng = np.random.default_rng(seed)
        G, S = self.times.shape
        corr = np.log(self.values) ** 2 if log_correction else np.ones(G)
        fits = []
        for _ in range(n_boot):
            med = np.array([np.median(t[rng.integers(0, S, S)]) for t in self.times]) / corr
            if not np.all(np.isfinite(med)) or np.any(med <= 0):
                return float("nan")
            fits.append(fit_power_law(self.values, med)[0])
        return float(np.std(fits))

    def quantiles(self, qs=(0.25, 0.75)) -> np.ndarray:
        """Quantiles of the escape times per setting (G, len(qs)), censored runs as ``inf``."""
        return np.quantile(self.times, qs, axis=1).T

    def table(self, scale=None) -> str:
        """One line per setting: median, quartiles and censored share; ``scale`` (G,) divides the times."""
        sc = np.ones(len(self.values)) if scale is None else np.asarray(scale, dtype=float)
        q = self.quantiles()
        rows = [f"{'setting':>14} {'median':>10} {'q25':>10} {'q75':>10} {'censored':>9}"]
        for i, lab in enumerate(self.labels):
            rows.append(f"{str(lab):>14} {self.medians[i] / sc[i]:10.3g} {q[i, 0] / sc[i]:10.3g} "
                        f"{q[i, 1] / sc[i]:10.3g} {self.censored[i]:9.2f}")
        return "\n".join(rows)


def escape_time_scan(Ns, *, seeds: int, c: float | list = 1.0, beta: float = 5.0, order: int = 4,
                     cap: float = 60.0, threshold: float = 0.5, seed: int = 0, method: str = "parallel",
                     record_every: int | None = None, device="cpu", progress: bool = False) -> EscapeScan:
    """Escape times of the flat-spectrum model for each N in ``Ns`` (or each step-size constant in ``c``), with
    ``seeds`` runs each, all in one batch of :func:`overlap_chain`.

    Step size ``eta = c / N^2`` (k = 4) or ``c / N`` (k = 2); runs are stopped after ``cap * T_scale`` steps with
    ``T_scale = N^3 / c`` (k = 4) or ``N log N / c`` (k = 2). When ``c`` is a list the scan is over ``c`` and
    ``Ns`` must hold one N. The exponent of the medians in N (or in c) is fitted when all medians are finite.
    """
    order = _order(order)
    seeds = check_int(seeds, "seeds", minimum=1)
    Ns = [check_int(n, "every N in Ns", minimum=3) for n in np.atleast_1d(np.asarray(Ns, dtype=object))]
    cs = [check_positive(v, "c") for v in np.atleast_1d(np.asarray(c, dtype=object))]
    if not Ns or not cs:
        raise ValueError(f"Ns and c must each hold at least one value, got {Ns!r} and {cs!r}")
    cap = check_positive(cap, "cap")
    if len(cs) > 1 and len(Ns) > 1:
        raise ValueError("scan either N (several Ns, one c) or c (several cs, one N)")
    grid = [(n, cc) for n in Ns for cc in cs]
    Nr = np.repeat([g[0] for g in grid], seeds)
    cr = np.repeat([g[1] for g in grid], seeds)
    eta = cr / Nr**2 if order == 4 else cr / Nr
    scale = Nr**3 / cr if order == 4 else Nr * np.log(Nr) / cr
    res = overlap_chain(Nr, eta=eta, max_steps=np.ceil(cap * scale).astype(np.int64), beta=beta, order=order,
                        threshold=threshold, seed=seed, method=method, record_every=record_every, device=device,
                        progress=progress)
    times = res.times.reshape(len(grid), seeds)
    values = np.array([g[0] for g in grid] if len(cs) == 1 else [g[1] for g in grid], dtype=float)
    labels = [f"N={n}" if len(cs) == 1 else f"c={cc:g}" for n, cc in grid]
    scan = EscapeScan(labels=labels, values=values, times=times, result=res)
    med = scan.medians
    if len(grid) >= 2 and np.all(np.isfinite(med)) and np.all(med > 0):
        scan.exponent, scan.intercept = fit_power_law(values, med)
    return scan


@dataclass
class EscapeFit:
    """What the N-scan of :func:`escape_time_scan` says about the scaling (:func:`fit_escape_scan`).

    ``exponent`` of the median escape time in N and its bootstrap ``exponent_se``; ``log_exponent`` of
    ``median / ln(N)^2`` and ``log_exponent_se``; ``drift_ratio`` (G,) median over the drift prediction
    :func:`drift_escape_time`; ``early_N`` and ``early_fraction``: the fraction of runs escaped by
    ``n = early N^3 / c`` at each ``N >= N_min``; ``early``; ``seconds`` and ``lane_steps`` of the batch.
    """

    exponent: float
    exponent_se: float
    log_exponent: float
    log_exponent_se: float
    drift_ratio: np.ndarray
    early_N: np.ndarray
    early_fraction: np.ndarray
    early: float
    seconds: float
    lane_steps: int

    def __str__(self) -> str:
        return "\n".join([
            f"fitted exponent of the median: {self.exponent:.2f} ± {self.exponent_se:.2f} (bootstrap); "
            f"of median / ln(N)^2: {self.log_exponent:.2f} ± {self.log_exponent_se:.2f}",
            f"median / drift prediction: {np.round(self.drift_ratio, 2)}",
            f"escaped by n = {self.early:g} N^3 / c, N >= {int(self.early_N.min()) if self.early_N.size else 0}: "
            f"{np.round(self.early_fraction, 3)}  ({self.seconds:.1f} s for {self.lane_steps:.3g} run-steps)"])


def fit_escape_scan(scan: EscapeScan, *, c: float = 1.0, beta: float = 5.0, seed: int = 0, early: float = 0.5,
                    N_min: int = 16) -> EscapeFit:
    """Exponents, drift ratios and early-escape fractions of an N-scan (k = 4) of :func:`escape_time_scan`.

    Fits ``median T ~ N^p`` (``scan.exponent``) and ``median T / ln(N)^2 ~ N^p'`` by least squares in log-log
    (:func:`lofi_utils.stats.fit_power_law`), with bootstrap standard errors (:meth:`EscapeScan.exponent_se`,
    ``seed``); divides the medians by ``6 N^3 / (|kappa_4| c)``; counts the runs escaped by ``early N^3 / c``
    steps (censored runs never count) at every ``N >= N_min``. Returns an :class:`EscapeFit`.
    """
    if not (c > 0 and early > 0):
        raise ValueError(f"need c > 0 and early > 0, got {c!r}, {early!r}")
    Ns = scan.values
    if len(Ns) < 2 or np.any(Ns < 2):
        raise ValueError("fit_escape_scan needs an N-scan with at least two dimensions N >= 2")
    sel = Ns >= N_min
    frac = [escape_fraction(t, [early * n**3 / c])[0] for n, t in zip(Ns[sel], scan.times[sel])]
    return EscapeFit(exponent=scan.exponent, exponent_se=scan.exponent_se(seed=seed),
                     log_exponent=fit_power_law(Ns, scan.medians / np.log(Ns) ** 2)[0],
                     log_exponent_se=scan.exponent_se(log_correction=True, seed=seed),
                     drift_ratio=scan.medians / drift_escape_time(Ns, beta=beta, c=c), early_N=Ns[sel],
                     early_fraction=np.array(frac), early=early, seconds=scan.result.seconds,
                     lane_steps=scan.result.lane_steps)


@dataclass
class PowerLawScan:
    """Escape times of the full SGD over spectral exponents and templates (:func:`powerlaw_scan`).

    ``a_values`` (A,), ``templates`` (T,), ``times`` (A, T, S) per run (S = spikes x seeds), ``m0`` (A, T, S)
    initial effective overlaps of the runs, ``m0_typical`` (A, T) the median ``|m_eff(0)|`` of 2000 random ``w``
    per template draw (averaged over the draws), ``d_eff`` (A,) participation ratios, ``N``, ``c``, and the
    batch ``result``.
    """

    a_values: np.ndarray
    templates: list
    times: np.ndarray
    m0: np.ndarray
    m0_typical: np.ndarray
    d_eff: np.ndarray
    N: int
    c: float
    result: EscapeResult

    @property
    def medians(self) -> np.ndarray:
        """(A, T) median escape times (censored runs as ``inf``)."""
        return np.median(self.times, axis=-1)

    @property
    def capped_medians(self) -> np.ndarray:
        """(A, T) medians with a censored one replaced by the cap (``max_steps``), a lower bound on it."""
        return np.where(np.isfinite(self.medians), self.medians, float(self.result.max_steps.max()))

    def censored(self, template: str) -> np.ndarray:
        """(A,) bool: whether the median escape time of ``template`` is censored (over half its runs reached the
        cap without escaping)."""
        return ~np.isfinite(self.medians[:, self.templates.index(template)])

    def speedup(self, template: str, *, baseline: float | None = None) -> np.ndarray:
        """``T(a=0) / T(a)`` of the medians for one template (A,); ``baseline``: the isotropic ``T(a=0)`` from
        elsewhere (e.g. the overlap chain with more seeds) instead of this scan's own first row.

        Where ``T(a)`` is censored (see :meth:`censored`) the true median is at least the cap, so the value
        returned there is ``T(a=0) / cap``, an upper bound on the speed-up (not 0)."""
        j = self.templates.index(template)
        return (self.medians[0, j] if baseline is None else baseline) / self.capped_medians[:, j]

    def overlap_gain(self, template: str) -> np.ndarray:
        """Typical initial effective overlap relative to the isotropic one, ``m0_typical[:, j] / m0_typical[0, j]``
        (A,), for one template (the first spectral exponent must be 0)."""
        self._check_isotropic_first()
        j = self.templates.index(template)
        return self.m0_typical[:, j] / self.m0_typical[0, j]

    def ks_to_baseline(self, times):
        """Two-sample KS test of this scan's escape times at ``a = 0`` (all templates and runs pooled) against
        other isotropic escape times ``times`` (e.g. ``escape_time_scan(...).times[0]``); censored runs of both
        samples are dropped. Returns the ``scipy.stats.ks_2samp`` result."""
        self._check_isotropic_first()
        a0 = self.times[0].ravel()
        b = np.asarray(times, dtype=float).ravel()
        return ks_2samp(a0[np.isfinite(a0)], b[np.isfinite(b)])

    def _check_isotropic_first(self):
        if self.a_values[0] != 0:
            raise ValueError(f"the first spectral exponent must be 0 (the isotropic case), got {self.a_values[0]}")

    def table(self) -> str:
        rows = [f"{'a':>5} {'D_eff':>6} " + " ".join(f"{'T/N^3 ' + t:>12} {'|m0| ' + t:>9}" for t in self.templates)]
        for i, a in enumerate(self.a_values):
            cells = " ".join(f"{self.medians[i, j] / self.N**3:12.3g} {self.m0_typical[i, j]:9.3f}"
                             for j in range(len(self.templates)))
            rows.append(f"{a:5.2f} {self.d_eff[i]:6.1f} {cells}")
        return "\n".join(rows)


def powerlaw_scan(N: int, a_values, templates=("pl", "flat"), *, spikes: int = 3, seeds: int = 8, c: float = 1.0,
                  beta: float = 5.0, cap: float = 30.0, threshold: float = 0.5, D: int = 8, seed: int = 0,
                  device="cpu", progress: bool = False) -> PowerLawScan:
    """Escape times of :func:`phase_sgd` for every spectral exponent in ``a_values`` and template kind, with
    ``spikes`` template draws x ``seeds`` runs each, all in one batch.

    Step size ``eta = c / N^2``; runs stop after ``cap N^3 / c`` steps. The escape is measured on the effective
    overlap ``m_eff = cos(C^(1/2) w, u)`` (threshold 0.5), the overlap that the loss sees.
    """
    a_values = np.atleast_1d(np.asarray(a_values, dtype=float))
    templates = [templates] if isinstance(templates, str) else list(templates)
    if a_values.ndim != 1 or a_values.size == 0 or not templates:
        raise ValueError(f"a_values and templates must each hold at least one entry, got {a_values.tolist()!r} "
                         f"and {templates!r}")
    N = check_N(N)
    spikes, seeds = check_int(spikes, "spikes", minimum=1), check_int(seeds, "seeds", minimum=1)
    c, cap, beta = check_positive(c, "c"), check_positive(cap, "cap"), check_positive(beta, "beta")
    lam, u, d_eff, m0_typ = [], [], [], []
    w_rand = np.random.default_rng(seed + 17).standard_normal((2000, N))
    for a in a_values:
        lam_a = PhaseModel.make(N, a, beta=beta, rng=0).lam
        d_eff.append(float(lam_a.sum() ** 2 / np.sum(lam_a**2)))
        for tk in templates:
            for sp in range(spikes):
                mdl = PhaseModel.make(N, a, beta=beta, template=tk, rng=1000 * seed + sp, D=D)
                lam += [mdl.lam] * seeds
                u += [mdl.u_fourier] * seeds
                m0_typ.append(np.median(np.abs(mdl.overlap(w_rand))))
    res = phase_sgd(np.array(lam), np.array(u), eta=c / N**2, max_steps=int(math.ceil(cap * N**3 / c)), beta=beta,
                    threshold=threshold, seed=seed, device=device, progress=progress)
    shape = (len(a_values), len(templates), spikes * seeds)
    return PowerLawScan(a_values=a_values, templates=templates, times=res.times.reshape(shape),
                        m0=res.m0.reshape(shape), m0_typical=np.reshape(m0_typ, shape[:2] + (spikes,)).mean(-1),
                        d_eff=np.array(d_eff), N=N, c=c, result=res)


# =========================================================================== figures
def plot_escape_traces(res: EscapeResult, *, n_show: int = 12, N: int | None = None, beta: float = 5.0, ax=None):
    """``|m_t|`` against ``t`` for a few runs (recorded traces), with the escape threshold and the drift solution
    ``m_t^2 = 1 / (N - eta |kappa_4| t / 6)`` from ``m_0^2 = 1/N`` (first run of that N)."""
    ax = get_ax(ax)
    sel = np.flatnonzero(res.N == (N if N is not None else res.N[0]))[:n_show]
    cols = sequential_colors(len(sel))
    for i, r in enumerate(sel):
        ax.plot(res.record_steps, np.abs(res.traces[r]), color=cols[i], lw=0.9, alpha=0.85)
    n0, e0 = float(res.N[sel[0]]), float(res.eta[sel[0]])
    k4 = abs(kappa4_spike(beta))
    tt = np.linspace(0, 6 * n0 / (e0 * k4) * 0.999, 400)
    ax.plot(tt, 1.0 / np.sqrt(n0 - e0 * k4 * tt / 6), "k--", lw=1.2, label="population drift from $m_0^2 = 1/N$")
    ax.axhline(res.threshold, color="0.4", ls=":", lw=1, label=f"threshold {res.threshold:g}")
    ax.set_ylim(0, 1)
    label(ax, "SGD steps t (= samples)", "|m_t|", f"search phase, N = {int(n0)}")
    ax.legend(fontsize=7, loc="upper left")
    return ax


def plot_escape_scaling(scan: EscapeScan, *, beta: float = 5.0, c: float = 1.0, ax=None):
    """Median escape time against N (log-log) with quartile bars, the fitted power law, the drift prediction
    ``6 N^3 / (|kappa_4| c)`` and an ``N^3 log^2 N`` guide."""
    ax = get_ax(ax)
    N = scan.values
    med = scan.medians
    q = scan.quantiles()
    ax.errorbar(N, med, yerr=[med - q[:, 0], np.where(np.isfinite(q[:, 1]), q[:, 1], med) - med], fmt="o",
                color=PALETTE[0], capsize=3, label=f"median (quartiles), fit N^{scan.exponent:.2f}")
    nn = np.linspace(N.min() * 0.9, N.max() * 1.1, 50)
    ax.plot(nn, drift_escape_time(nn, beta=beta, c=c), "--", color=PALETTE[1], label=r"drift: $6N^3/(|\kappa_4| c)$")
    g = med[0] / (N[0] ** 3 * np.log(N[0]) ** 2)
    ax.plot(nn, g * nn**3 * np.log(nn) ** 2, ":", color="0.3", label=r"$\propto N^3\log^2 N$")
    ax.set_xscale("log"), ax.set_yscale("log")
    label(ax, "dimension N", "escape time T (steps)", "escape time against N")
    ax.legend(fontsize=7)
    return ax


def plot_escape_fraction(scan: EscapeScan, *, scale: str = "N3", ax=None):
    """Fraction of runs escaped by ``n`` steps against ``n / N^3`` (``scale="N3"``) or ``n / (N^3 log^2 N)``
    (``scale="N3log2N"``), one curve per N: the curves collapse when the scaling is right."""
    check_choice(scale, "scale", ("N3", "N3log2N"))
    ax = get_ax(ax)
    cols = sequential_colors(len(scan.values))
    for i, (N, t) in enumerate(zip(scan.values, scan.times)):
        s = N**3 if scale == "N3" else N**3 * np.log(N) ** 2
        grid = np.logspace(-2, np.log10(np.nanmax(scan.result.max_steps) / s), 200)
        ax.plot(grid, escape_fraction(t, grid * s), color=cols[i], label=f"N = {int(N)}")
    ax.set_xscale("log")
    label(ax, "n / N³" if scale == "N3" else "n / (N³ log² N)", "fraction escaped", "escape fraction")
    ax.legend(fontsize=7)
    return ax


def plot_powerlaw_scan(pl: PowerLawScan, *, baseline: float | None = None, ax=None):
    """Median escape time / N^3 against the spectral exponent, one line per template (a censored median drawn
    at the cap), the isotropic ``baseline`` (dotted; a time in steps) and ``D_eff`` on a twin axis (dashed).

    Returns the main axes.
    """
    ax = get_ax(ax, figsize=(5.6, 3.6))
    N3 = pl.N**3
    for j, t in enumerate(pl.templates):
        lab = f"template '{t}'" + (" (censored: cap)" if pl.censored(t).any() else "")
        ax.semilogy(pl.a_values, pl.capped_medians[:, j] / N3, "o-", label=lab)
    if baseline is not None:
        ax.axhline(baseline / N3, color="0.4", ls=":", label="isotropic baseline")
    ax.set(xlabel="spectral exponent a", ylabel="median escape time / N³", title=f"N = {pl.N}, c = {pl.c:g}")
    ax2 = ax.twinx()
    ax2.plot(pl.a_values, pl.d_eff, "k--", lw=1)
    ax2.set_ylabel("D_eff (dashed)")
    ax2.grid(False)
    ax.legend(fontsize=7)
    return ax
