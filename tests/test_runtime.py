import numpy as np
import pytest
import torch

from lofi_utils.runtime import pick_device, seed_everything, setup


def test_cpu_device_and_forced_choice(monkeypatch):
    monkeypatch.delenv("LOFI_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device().type == expected
    assert pick_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


def test_seeding_is_deterministic():
    seed_everything(7)
    a = (torch.randn(5), np.random.rand(3))
    seed_everything(7)
    b = (torch.randn(5), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    r1, r2 = seed_everything(3).normal(size=4), seed_everything(3).normal(size=4)
    assert np.array_equal(r1, r2)


def test_bad_seed():
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ValueError, match="seed"):
            seed_everything(bad)


def test_setup_reports():
    rt = setup(11, device="cpu", threads=1)
    assert rt.device.type == "cpu" and rt.seed == 11 and rt.threads == 1
    assert "device=cpu" in str(rt)
