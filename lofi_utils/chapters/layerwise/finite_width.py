"""Chapter 2, section 4: finite networks against the per-layer kernels.

* :func:`layer_width_sweep` -- the relative error of each layer's empirical NTK
  (:func:`lofi_utils.ntk.empirical_layer_ntk`) against the analytic ``Theta_l`` at several widths, the loop of
  :func:`lofi_utils.width_sweep.kernel_width_sweep` (:class:`LayerWidthSweep`);
* :func:`measure_probe_shares` -- the shares ``s_k^(l)`` measured on finite networks with zonal-harmonic
  probes (:func:`lofi_utils.layer_spectra.zonal_probes`, :func:`lofi_utils.layer_spectra.probe_shares`),
  with the analytic-kernel and population references (:class:`ProbeShares`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ... import streams
from ...kernels import check_depth, layer_kernels
from ...layer_spectra import layer_spectrum, probe_shares, zonal_probes
from ...ntk import MLP, empirical_layer_ntk
from ...sphere import sample_sphere
from ...stats import fit_power_law
from ...validation import check_int
from ...width_sweep import WidthSweep, kernel_width_sweep

__all__ = ["LayerWidthSweep", "layer_width_sweep", "ProbeShares", "measure_probe_shares"]


def _sphere_tensor(n, d, rng, dtype, device):
    x = sample_sphere(n, d, radius=math.sqrt(d), rng=rng)
    return x, torch.as_tensor(x, dtype=dtype, device=device)


@dataclass
class LayerWidthSweep(WidthSweep):
    """Output of :func:`layer_width_sweep`: ``errors`` (W, S, L) relative Frobenius errors
    ``|Theta_hat_l - Theta_l|_F / |Theta_l|_F`` per width, network seed and layer (``mean_errors``: (W, L));
    ``total_errors`` (W, S) the same for the NTK ``sum_l Theta_hat_l`` (what chapter 1's
    :func:`lofi_utils.chapters.spectral_bias.ntk_width.ntk_width_sweep` records); ``n_points``; ``wall_time``
    in seconds."""

    total_errors: np.ndarray
    n_points: int
    wall_time: float

    def exponents(self) -> np.ndarray:
        """(L,): fitted slope of log(mean error) against log(width), per layer (theory -1/2)."""
        return np.array([fit_power_law(self.widths, self.mean_errors[:, l])[0] for l in range(self.depth)])

    def scaled(self) -> np.ndarray:
        """(W, L): ``mean error x sqrt(width)``, constant under an ``n^(-1/2)`` law."""
        return self.mean_errors * np.sqrt(self.widths)[:, None]


def layer_width_sweep(
    d: int,
    depth: int,
    n_points: int,
    widths: Sequence[int],
    *,
    seeds: int = 2,
    activation: str = "relu",
    bias: float = 0.0,
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> LayerWidthSweep:
    """Per-layer empirical NTK (factorised formula, :func:`lofi_utils.ntk.empirical_layer_ntk`) against the
    analytic ``Theta_l`` at several widths.

    ``n_points`` inputs uniform on the sphere of radius ``sqrt(d)`` and ``seeds`` networks per width, each
    from its own stream of ``seed`` (:mod:`lofi_utils.streams`); error of layer l:
    ``|Theta_hat_l - Theta_l|_F / |Theta_l|_F``. The loop is
    :func:`lofi_utils.width_sweep.kernel_width_sweep`, shared with chapter 1's
    :func:`lofi_utils.chapters.spectral_bias.ntk_width.ntk_width_sweep` (same inputs and networks for the same
    arguments), which records the error of the sum over layers. ``widths``: positive ints; ``seeds``: int >= 1;
    ``n_points``: int >= 2. Returns a :class:`LayerWidthSweep`.
    """
    L = check_depth(depth)
    sw = kernel_width_sweep(
        d, L, n_points, widths, seeds=seeds, bias=bias, activation=activation, seed=seed, device=device, dtype=dtype
    )
    return LayerWidthSweep(
        widths=sw.widths,
        errors=sw.layer_errors,
        d=int(d),
        depth=L,
        bias=float(bias),
        activation=activation,
        total_errors=sw.total_errors,
        n_points=int(n_points),
        wall_time=sw.wall_time,
    )


@dataclass
class ProbeShares:
    """Output of :func:`measure_probe_shares` (arrays indexed by degree, then layer).

    ``network`` (S, K, L): shares measured on finite networks (one row per seed); ``analytic`` (K, L): the
    same estimator on the analytic Gram matrices at the same points (isolates the sampling error);
    ``theory`` (K, L): the population shares ``s_k^(l)`` (:func:`lofi_utils.layer_spectra.layer_spectrum`).
    """

    ks: np.ndarray
    network: np.ndarray
    analytic: np.ndarray
    theory: np.ndarray
    width: int
    n_points: int
    wall_time: float

    @property
    def network_mean(self) -> np.ndarray:
        """(K, L): the network's shares averaged over seeds."""
        return self.network.mean(axis=0)


def measure_probe_shares(
    d: int,
    depth: int,
    width: int,
    n_points: int,
    ks: Sequence[int],
    *,
    seeds: int = 2,
    n_probes: int = 20,
    activation: str = "relu",
    bias: float = 0.0,
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> ProbeShares:
    """Per-layer shares ``s_k^(l)`` measured on finite networks with zonal-harmonic probes.

    For every seed: ``n_points`` fresh inputs on the sphere, the network's per-layer Gram matrices
    (factorised formula), probes from
    :func:`lofi_utils.layer_spectra.zonal_probes`, shares from :func:`lofi_utils.layer_spectra.probe_shares`. Returns a
    :class:`ProbeShares` with the analytic-kernel and population references.
    """
    ks = np.asarray(ks, dtype=int)
    seeds = check_int(seeds, "seeds", minimum=1)
    L = check_depth(depth)
    sp = layer_spectrum(d, int(ks.max()), depth=L, activation=activation, bias=bias)
    net = np.empty((seeds, ks.size, L))
    ana = np.zeros((ks.size, L))
    t0 = time.perf_counter()
    for s in range(seeds):
        rng = streams.rng(seed, "probe_shares.inputs", s)
        x, xt = _sphere_tensor(n_points, d, rng, dtype, device)
        G = (
            empirical_layer_ntk(
                MLP(
                    d,
                    width,
                    L,
                    activation=activation,
                    bias=bias,
                    seed=streams.int_seed(seed, "probe_shares.net", s),
                    dtype=dtype,
                    device=device,
                ),
                xt,
            )
            .double()
            .cpu()
            .numpy()
        )
        A = layer_kernels(np.clip(x @ x.T / d, -1, 1), depth=L, activation=activation, bias=bias).theta_layers
        for i, k in enumerate(ks):
            Y = zonal_probes(x, int(k), n_probes=n_probes, rng=rng)
            net[s, i] = probe_shares(G, Y)
            ana[i] += probe_shares(A, Y) / seeds
    return ProbeShares(
        ks=ks,
        network=net,
        analytic=ana,
        theory=sp.mu[:, ks].T / sp.total[ks][:, None],
        width=int(width),
        n_points=int(n_points),
        wall_time=time.perf_counter() - t0,
    )
