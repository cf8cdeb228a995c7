"""Chapter 4's escape-time scans as tables (lofi_utils.chapters.amplitude_phase.scan_tables): the same numbers as
the plain-text ``.table()`` of lofi_utils.escape_scans, as rows of a Table."""

import numpy as np
import pytest
from escape_testing import fake_powerlaw_scan, fake_scan

from lofi_utils.chapters.amplitude_phase import scan_tables


def test_escape_table_matches_the_scan():
    scan = fake_scan()
    t = scan_tables.escape_table(scan, scale=scan.values**3, unit="N^3")
    assert t.columns == ("setting", "median", "q25", "q75", "censored") and t.notes == ("(times in units of N^3)",)
    assert [r[0] for r in t.rows] == ["N=8", "N=12"]
    assert t.rows[1][1] == f"{scan.medians[1] / 12.0**3:.3g}" and t.rows[0][4] == f"{scan.censored[0]:.2f}"
    plain = scan.table(scale=scan.values**3).splitlines()[1].split()
    assert plain[1:] == list(t.rows[0][1:])  # the same numbers as the plain-text table
    with pytest.raises(ValueError, match="one entry per setting"):
        scan_tables.escape_table(scan, scale=np.ones(3))


def test_powerlaw_table_matches_the_scan():
    pl = fake_powerlaw_scan()
    t = scan_tables.powerlaw_table(pl)
    assert t.columns[:2] == ("a", "D_eff") and len(t.columns) == 2 + 2 * len(pl.templates)
    assert len(t.rows) == len(pl.a_values)
    plain = pl.table().splitlines()[1].split()
    assert plain == list(t.rows[0])
