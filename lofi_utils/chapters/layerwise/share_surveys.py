"""Chapter 2, sections 2-3: surveys of the per-layer shares over dimensions, depths and activations.

* :func:`share_ordering` -- does ``mu_k^(l) / mu_k^(l')`` grow with k for every pair ``l < l'`` (the claim
  "earlier layers, higher frequencies" in pairwise form), over a grid of networks (:class:`ShareOrdering`);
* :func:`high_dim_limit` -- how fast ``mu_k^(l) N(d, k)`` reaches the Maclaurin coefficient ``b_k^(l)`` as d
  grows (:class:`HighDimLimit`).

The spectra, shares and limits themselves are :mod:`lofi_utils.layer_spectra`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...kernels import ACTIVATIONS, check_depth
from ...layer_series import layer_series
from ...layer_spectra import layer_spectrum, maclaurin_shares, monotone_in_parity, ratio_monotonicity
from ...sphere import harmonic_dimension
from ...stats import fit_power_law
from ...validation import check_int

__all__ = ["ShareOrdering", "share_ordering", "HighDimLimit", "high_dim_limit"]


@dataclass
class ShareOrdering:
    """Output of :func:`share_ordering`: the pairwise ordering of the layers over a set of networks.

    ``spectra``: ``{(activation, d, depth): LayerSpectrum}``; ``kmax``; ``caps``: ``{activation: highest degree tested
    for all pairs}``; per activation (summed over d and depth): ``violations`` and ``comparisons`` of
    :func:`lofi_utils.layer_spectra.ratio_monotonicity` over all pairs ``l < l'`` up to the cap, ``first_violations``
    over the pairs ``(1, l')`` up to ``kmax``.
    """

    spectra: dict
    kmax: int
    caps: dict
    violations: dict
    comparisons: dict
    first_violations: dict

    def first_share_increasing(self) -> bool:
        """Whether the first layer's share increases with k within each parity (k >= 1), for every spectrum."""
        return all(monotone_in_parity(sp.shares[0], increasing=True) for sp in self.spectra.values())

    def readout_share_decreasing(self) -> bool:
        """Whether the readout's share decreases with k within each parity (k >= 1), for every spectrum."""
        return all(monotone_in_parity(sp.shares[-1], increasing=False) for sp in self.spectra.values())


def share_ordering(
    ds: Sequence[int],
    depths: Sequence[int],
    kmax: int,
    *,
    activations: Sequence[str] = ACTIVATIONS,
    caps: dict | None = None,
) -> ShareOrdering:
    """Survey of the claim "earlier layers, higher frequencies" over dimensions, depths and activations.

    For every activation, d in ``ds`` and L in ``depths`` (no bias): the per-layer spectrum up to ``kmax``
    (:func:`lofi_utils.layer_spectra.layer_spectrum`), then :func:`lofi_utils.layer_spectra.ratio_monotonicity`
    from k = 0: all pairs ``l < l'`` up to ``caps.get(activation, kmax)``, and the pairs with the first layer up to
    ``kmax``. A violation is a step ``k -> k+2`` where ``mu_k^(l) / mu_k^(l')`` does not increase.

    ``ds``: dimensions >= 2; ``depths``: depths >= 2; ``kmax``: int >= 2; ``caps``: optional
    ``{activation: kmax for all pairs}``. Returns a :class:`ShareOrdering`.
    """
    kmax = check_int(kmax, "kmax", minimum=2)
    if len(ds) == 0 or len(depths) == 0 or len(activations) == 0:
        raise ValueError("need at least one dimension, one depth and one activation")
    if any(int(L) < 2 for L in depths):
        raise ValueError(f"the ordering of layers needs depths >= 2, got {list(depths)}")
    caps = {act: (caps or {}).get(act, kmax) for act in activations}
    spectra = {
        (act, d, L): layer_spectrum(d, kmax, depth=L, activation=act) for act in activations for d in ds for L in depths
    }
    viol = dict.fromkeys(activations, 0)
    comps = dict.fromkeys(activations, 0)
    first = dict.fromkeys(activations, 0)
    for (act, _, _), sp in spectra.items():
        every = ratio_monotonicity(sp, kmin=0, kmax=caps[act])
        viol[act] += every["violations"]
        comps[act] += every["comparisons"]
        first[act] += ratio_monotonicity(sp, kmin=0, kmax=kmax, first=1)["violations"]
    return ShareOrdering(
        spectra=spectra, kmax=kmax, caps=caps, violations=viol, comparisons=comps, first_violations=first
    )


@dataclass
class HighDimLimit:
    """Output of :func:`high_dim_limit` (arrays indexed like ``ds``).

    ``ds`` (D,); ``ks`` (K,) the degrees 1..kmax; ``gap`` (D,): ``max_{l,k} |mu_k^(l) N(d,k) / b_k^(l) - 1|``;
    ``share_gap`` (D,): ``max_{l,k} |s_k^(l) - b_k^(l) / sum_l' b_k^(l')|``; ``exponent``: fitted slope of
    ``log gap`` against ``log d`` (theory -1).
    """

    ds: np.ndarray
    ks: np.ndarray
    gap: np.ndarray
    share_gap: np.ndarray
    exponent: float


def high_dim_limit(
    depth: int, kmax: int, ds: Sequence[int], *, activation: str = "relu", bias: float = 0.0
) -> HighDimLimit:
    """How fast the per-layer spectra reach their high-dimensional limit, the Maclaurin coefficients.

    ``mu_k^(l) N(d, k) = sum_j b_{k+2j}^(l) m(k+2j, k, d) N(d, k) = b_k^(l) + O(1/d)`` at fixed k
    (:func:`lofi_utils.layer_spectra.maclaurin_shares`), so the relative gap should fall like ``1/d``. Degrees
    ``k = 1..kmax``; a degree where some ``b_k^(l) = 0`` (odd ``k >= 3`` for the two-layer ReLU) makes the gap NaN.

    ``depth``: L >= 1; ``kmax``: int >= 1; ``ds``: at least two dimensions >= 2, increasing.
    Returns a :class:`HighDimLimit`.
    """
    L = check_depth(depth)
    kmax = check_int(kmax, "kmax", minimum=1)
    ds = np.asarray(ds, dtype=int)
    if ds.ndim != 1 or ds.size < 2 or np.any(ds < 2) or np.any(np.diff(ds) <= 0):
        raise ValueError(f"ds must hold at least two increasing dimensions >= 2, got {ds!r}")
    ks = np.arange(1, kmax + 1)
    b = layer_series(L, activation=activation, bias=bias, nmax=kmax + 2).theta
    mac = maclaurin_shares(L, kmax, activation=activation, bias=bias)
    gap, share_gap = [], []
    for d in ds:
        sp = layer_spectrum(int(d), kmax, depth=L, activation=activation, bias=bias)
        with np.errstate(divide="ignore", invalid="ignore"):
            gap.append(np.abs(sp.mu[:, ks] * harmonic_dimension(int(d), ks) / b[:, ks] - 1).max())
        share_gap.append(np.abs(sp.shares[:, ks] - mac[:, ks]).max())
    gap = np.array(gap)
    exponent = fit_power_law(ds, gap)[0] if np.all(np.isfinite(gap) & (gap > 0)) else np.nan
    return HighDimLimit(ds=ds, ks=ks, gap=gap, share_gap=np.array(share_gap), exponent=float(exponent))
