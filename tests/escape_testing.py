"""Fake escape-time results shared by the tests of lofi_utils.escape_scans and of chapter 4's figures."""

import numpy as np

from lofi_utils import escape_scans as ES
from lofi_utils import sgd


def fake_result(times, N):
    R = times.size
    return sgd.EscapeResult(
        times=times.ravel(),
        max_steps=np.full(R, 10**9),
        m0=np.zeros(R),
        N=np.repeat(N, R // len(N)),
        eta=np.ones(R),
        threshold=0.5,
        record_steps=np.array([]),
        traces=np.zeros((R, 0)),
        steps_run=0,
        lane_steps=R,
        seconds=0.0,
    )


def fake_powerlaw_scan(a_values=(0.0, 1.0, 1.5)):
    A, S = len(a_values), 5  # 2 templates
    times = (
        np.arange(1, A + 1)[::-1, None, None]
        * np.array([1.0, 3.0])[None, :, None]
        * np.linspace(0.8, 1.2, S)[None, None, :]
    ) * 1000
    return ES.PowerLawScan(
        a_values=np.array(a_values),
        templates=["pl", "flat"],
        times=times,
        m0=np.zeros_like(times),
        m0_typical=np.array([[0.1, 0.1], [0.2, 0.1], [0.3, 0.1]])[:A],
        d_eff=np.arange(A) + 1.0,
        N=16,
        c=2.0,
        result=fake_result(times, np.array([16])),
    )


def fake_scan():
    times = np.array([[1.0, 2.0, np.inf], [3.0, 4.0, 5.0]])
    return ES.EscapeScan(
        labels=["N=8", "N=12"], values=np.array([8.0, 12.0]), times=times, result=fake_result(times, np.array([8, 12]))
    )
