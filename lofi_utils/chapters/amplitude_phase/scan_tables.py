"""The escape-time scans of chapter 4 as tables (:class:`lofi_utils.tables.Table`: text when printed, an HTML table
when displayed).

:mod:`lofi_utils.escape_scans` keeps its plain-text ``.table()`` methods unchanged: that module's code keys the
stored results of the ``powerlaw_exponent`` experiment, so a change of its formatting would mark them stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...tables import Table

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ...escape_scans import EscapeScan, PowerLawScan

__all__ = ["escape_table", "powerlaw_table"]


def escape_table(scan: EscapeScan, scale: ArrayLike | None = None, *, unit: str = "") -> Table:
    """One row per setting of ``scan``: median escape time, quartiles and the censored share; ``scale`` (G,)
    divides the times (e.g. ``N**3``), ``unit`` names it in a note ("times in units of N^3")."""
    sc = np.ones(len(scan.values)) if scale is None else np.asarray(scale, dtype=float)
    if sc.shape != (len(scan.values),):
        raise ValueError(f"scale must have one entry per setting ({len(scan.values)}), got shape {sc.shape}")
    q = scan.quantiles()
    rows = [
        [str(lab), f"{scan.medians[i] / sc[i]:.3g}", f"{q[i, 0] / sc[i]:.3g}", f"{q[i, 1] / sc[i]:.3g}",
         f"{scan.censored[i]:.2f}"]
        for i, lab in enumerate(scan.labels)
    ]  # fmt: skip
    notes = f"(times in units of {unit})" if unit else ()
    return Table(["setting", "median", "q25", "q75", "censored"], rows, notes=notes)


def powerlaw_table(scan: PowerLawScan) -> Table:
    """One row per spectral exponent of ``scan``: ``D_eff``, then per template the median ``T / N^3`` and ``|m0|``."""
    cols = ["a", "D_eff"] + [c for t in scan.templates for c in (f"T/N^3 {t}", f"|m0| {t}")]
    rows = [
        [f"{a:.2f}", f"{scan.d_eff[i]:.1f}"]
        + [
            c
            for j in range(len(scan.templates))
            for c in (f"{scan.medians[i, j] / scan.N**3:.3g}", f"{scan.m0_typical[i, j]:.3f}")
        ]
        for i, a in enumerate(scan.a_values)
    ]
    return Table(cols, rows)
