"""Named random streams (lofi_utils.streams): independent by key, reproducible, and no seed arithmetic left."""

import re

import numpy as np
import pytest
import torch
from conftest import ROOT

from lofi_utils import streams


def test_a_stream_is_reproducible_and_its_views_agree():
    a = streams.rng(3, "emergence", 32, 4, 0).standard_normal(5)
    assert np.array_equal(a, streams.rng(3, "emergence", 32, 4, 0).standard_normal(5))
    ss = np.random.SeedSequence(3, spawn_key=(streams.key_words("emergence")[0], 32, 4, 0))
    assert np.array_equal(a, np.random.default_rng(ss).standard_normal(5))
    assert streams.int_seed(3, "x") == streams.int_seed(3, "x") < 2**63
    g1, g2 = streams.torch_generator(3, "x"), torch.Generator().manual_seed(streams.int_seed(3, "x"))
    assert torch.equal(torch.randn(4, generator=g1), torch.randn(4, generator=g2))


def test_no_key_is_the_base_seed():
    assert np.array_equal(streams.rng(7).random(4), np.random.default_rng(7).random(4))


def test_the_collisions_of_seed_arithmetic_do_not_happen():
    # seed + 100 s + i: seed 0's (s=1, i=0) stream was seed 100's (s=0, i=0) stream
    assert streams.int_seed(0, "model", 1, 0) != streams.int_seed(100, "model", 0, 0)
    # seed + l for layer l: seed s's layer 1 was seed s+1's layer 0
    assert streams.int_seed(0, "lofi.lift", 1) != streams.int_seed(1, "lofi.lift", 0)
    # entropy lists padded with zeros: [seed, 0] coincides with seed; spawn keys do not
    assert np.array_equal(np.random.default_rng([5, 0]).random(3), np.random.default_rng(5).random(3))
    assert not np.array_equal(streams.rng(5, 0).random(3), streams.rng(5).random(3))
    # distinct names, distinct indices, distinct seeds: 5 x 3 x 4 streams, all different
    seen = {streams.int_seed(s, n, i) for s in range(5) for n in ("data", "model", "lift") for i in range(4)}
    assert len(seen) == 60


def test_streams_are_statistically_independent():
    # correlation of two neighbouring streams over 10^5 draws is at the 1/sqrt(n) level
    a, b = (streams.rng(0, "model", i).standard_normal(100_000) for i in (0, 1))
    assert abs(np.corrcoef(a, b)[0, 1]) < 5e-3 * 3


@pytest.mark.parametrize("bad", [-1, 1.5, "0", None])
def test_bad_seeds_and_keys_end_in_one_line(bad):
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0"):
        streams.rng(bad, "x")
    if bad is not None and not isinstance(bad, str):
        with pytest.raises(ValueError, match=r"a stream key is made of names \(str\) and integers >= 0"):
            streams.rng(0, "x", bad)
    with pytest.raises(ValueError, match="non-empty"):
        streams.rng(0, "")
    with pytest.raises(ValueError, match="count must be an integer >= 1"):
        streams.run_seeds(0, "x", 0)


ARITHMETIC = re.compile(r"\bseed\s*[+*]\s*\w|\w\s*[+*]\s*seed\b|default_rng\(\[seed")


def test_no_stream_comes_from_seed_arithmetic():
    """Every derived stream goes through lofi_utils.streams (issue: one way to make random streams)."""
    files = list((ROOT / "lofi_utils").rglob("*.py")) + list((ROOT / "notebooks").glob("*.md"))
    bad = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in files
        if p.name != "streams.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if ARITHMETIC.search(line)
    ]
    assert not bad, f"seed arithmetic (use lofi_utils.streams / ch.stream / ch.seed_for): {bad}"
