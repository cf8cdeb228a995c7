"""Chapter 4's texture discrimination: the scan equals single runs, the faster spectrum is read correctly."""

import numpy as np
import pytest

from lofi_utils.chapters.amplitude_phase import discrimination as DS
from lofi_utils.chapters.amplitude_phase import tracking as TR


def _tracking(acc, steps=(0, 10, 100, 1000)):
    return TR.Tracking(
        steps=np.array(steps),
        acc={"test": np.array(acc, dtype=float)},
        follow_amp=np.array([]),
        follow_phase=np.array([]),
        n_classes=3,
    )


def test_discrimination_scan_equals_single_runs_and_faster_spectrum():
    img = np.random.default_rng(5).random((48, 48))
    kw = dict(size=8, n_train=30, n_test=10, rng=2, steps=20, width=8, seed=1)
    disc = DS.discrimination_scan({"noise": img}, [0.0, 0.5], **kw)
    assert list(disc) == [
        "noise, jitter 0.0, natural",
        "noise, jitter 0.0, flat",
        "noise, jitter 0.5, natural",
        "noise, jitter 0.5, flat",
    ]
    one = DS.phase_discrimination(img, jitter=0.5, spectrum="flat", **kw)
    assert np.array_equal(disc["noise, jitter 0.5, flat"].acc["test"], one.acc["test"])
    curves = {
        (0.0, "natural"): [0.5, 0.8, 0.9, 0.9],
        (0.0, "flat"): [0.5, 0.6, 0.8, 0.9],  # natural first
        (0.5, "natural"): [0.5, 0.5, 0.6, 0.7],
        (0.5, "flat"): [0.5, 0.5, 0.8, 0.9],  # flat first
        (1.0, "natural"): [0.5, 0.5, 0.6, 0.7],
        (1.0, "flat"): [0.5, 0.5, 0.6, 0.7],
    }  # neither: tie
    fake = {f"x, jitter {j}, {spec}": _tracking(acc) for (j, spec), acc in curves.items()}
    assert DS.faster_spectrum(fake, ["x"], [0.0, 0.5, 1.0], level=0.75) == {
        ("x", 0.0): "natural",
        ("x", 0.5): "flat",
        ("x", 1.0): "tie",
    }
    with pytest.raises(ValueError):
        DS.discrimination_scan({}, [0.0])


BAD_INPUTS = [
    (
        lambda: DS.phase_discrimination(np.ones((40, 40)), jitter=-0.5),
        r"jitter .* must be a number in \[0, 1\], got -0\.5",
    ),
    (lambda: DS.faster_spectrum({}, [], [], level=2), r"level \(an accuracy\) must be a number in \(0, 1\], got 2"),
]


@pytest.mark.parametrize("call,match", BAD_INPUTS)
def test_bad_input_raises_one_clear_line(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
