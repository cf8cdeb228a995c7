import numpy as np
import pytest
import torch

from lofi_utils.runtime import lapack_one_thread, pick_device, seed_everything, set_threads, setup, torch_threads


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
    for bad in (-1, 1.5, "3", True, 2**32, 99999999999999999999999):
        with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
            seed_everything(bad)
    seed_everything(2**32 - 1)  # the largest allowed seed works in every library


def test_device_from_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("LOFI_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"unknown device 'tpu' \(from \$LOFI_DEVICE\)"):
        pick_device()


def test_threads_from_the_environment(monkeypatch):
    old = torch.get_num_threads()
    try:
        for bad in ("abc", "-2", "1.5"):
            monkeypatch.setenv("LOFI_THREADS", bad)
            with pytest.raises(ValueError, match=r"\$LOFI_THREADS must be a whole number >= 0"):
                set_threads()
        monkeypatch.setenv("LOFI_THREADS", " 1 ")
        assert set_threads() == 1
        monkeypatch.setenv("LOFI_THREADS", "")
        assert set_threads() == 1  # empty: leave unchanged
        for bad in (-1, 1.5, True):
            with pytest.raises(ValueError, match=r"threads \(0 = leave unchanged\) must be an integer >= 0"):
                set_threads(bad)
    finally:
        torch.set_num_threads(old)


def test_setup_reports():
    rt = setup(11, device="cpu", threads=1)
    assert rt.device.type == "cpu" and rt.seed == 11 and rt.threads == 1
    assert "device=cpu" in str(rt)


def test_chapter_start_rejects_a_seed_out_of_range():
    from lofi_utils import chapter

    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\], got 99999999999999999999999"):
        chapter.start("spectral_bias", "smoke", seed=99999999999999999999999)


def test_thread_context_managers_restore_the_setting():
    old = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == old
    with torch_threads(None):  # None: leave alone
        assert torch.get_num_threads() == old
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        with torch_threads(0):
            pass
    a = np.random.default_rng(0).standard_normal((40, 40))
    with lapack_one_thread():
        lam = np.linalg.eigvalsh(a + a.T)
    assert np.allclose(lam, np.linalg.eigvalsh(a + a.T))
