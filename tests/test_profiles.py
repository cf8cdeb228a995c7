import re

import pytest
from conftest import ROOT

from lofi_utils import profiles
from lofi_utils.profiles import get_profile, register, resolve_profile_name


def test_default_is_book(monkeypatch):
    monkeypatch.delenv("LOFI_PROFILE", raising=False)
    assert resolve_profile_name() == "book"


def test_env_var_selects(monkeypatch):
    monkeypatch.setenv("LOFI_PROFILE", "smoke")
    assert resolve_profile_name() == "smoke"
    assert resolve_profile_name("paper") == "paper"  # an explicit name wins


def test_unknown_profile_is_one_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="unknown profile 'fast'.*smoke, book, paper"):
        resolve_profile_name("fast")
    monkeypatch.setenv("LOFI_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"\$LOFI_PROFILE"):
        resolve_profile_name()


def test_register_rejects_inconsistent_tables():
    with pytest.raises(ValueError, match="missing"):
        register("x", {"smoke": {"a": 1}, "book": {"a": 2}})
    with pytest.raises(ValueError, match="keys differ"):
        register("x", {"smoke": {"a": 1}, "book": {"a": 2}, "paper": {"b": 3}})
    nested = {"s": {"a": 1, "b": 2}}
    with pytest.raises(ValueError, match=r"keys differ.*missing \['s.b'\]"):
        register("x", {"smoke": nested, "book": nested, "paper": {"s": {"a": 1}}})
    with pytest.raises(ValueError, match="keys differ"):  # a section in one, a size in another
        register("x", {"smoke": nested, "book": nested, "paper": {"s": 3}})


def test_chapter_ids_are_the_notebook_names():
    stems = sorted(p.stem.split("_", 1)[1] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
    assert profiles.chapters() == stems == ["amplitude_phase", "layerwise", "neural_lofi", "spectral_bias"]
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.md"):
        assert f'chapter.start("{nb.stem.split("_", 1)[1]}"' in nb.read_text(), nb.name


def test_every_chapter_table_is_complete_and_nested():
    assert profiles.chapters(), "no chapter registered its profile table"
    for ch in profiles.chapters():
        sizes = [get_profile(ch, p).to_dict() for p in profiles.PROFILE_NAMES]
        assert profiles._shape(sizes[0]) == profiles._shape(sizes[1]) == profiles._shape(sizes[2])
        assert all(isinstance(v, dict) for v in sizes[0].values()), f"{ch}: every size sits in a section"


def test_profile_tables_import_nothing():
    # plain data: no import cycle with lofi_utils.profiles, and reading the sizes needs no torch
    for table in (ROOT / "lofi_utils" / "chapters").glob("*/profile.py"):
        assert not re.search(r"^\s*(import|from) ", table.read_text(), re.MULTILINE), table


def test_overrides_and_attribute_access():
    P = get_profile("spectral_bias", "smoke")
    assert P.sines.width == P["sines"]["width"] == 128 and P.sines.path == "sines"
    assert P.sines.chapter == "spectral_bias" and P.sines.name == "smoke"
    Q = get_profile("spectral_bias", "smoke", sines={"width": 512})
    assert Q.sines.width == 512 and Q.sines.steps == P.sines.steps and P.sines.width == 128
    with pytest.raises(ValueError, match="has no size"):
        get_profile("spectral_bias", "smoke", not_a_size=1)
    with pytest.raises(ValueError, match=r"section 'sines' of chapter 'spectral_bias' has no size\(s\) \['wdth'\]"):
        get_profile("spectral_bias", "smoke", sines={"wdth": 1})
    with pytest.raises(ValueError, match="is a section; override it with a dict"):
        get_profile("spectral_bias", "smoke", sines=3)
    with pytest.raises(AttributeError, match="has no size"):
        _ = P.not_a_size
    with pytest.raises(AttributeError, match="section 'sines' of profile 'smoke' .* has no size 'wdth'; it has: freqs"):
        _ = P.sines.wdth
    with pytest.raises(ValueError, match="unknown chapter"):
        get_profile("no_such_chapter", "smoke")


def test_paper_profile_without_a_gpu_warns_and_book_does_not(monkeypatch):
    import warnings

    from lofi_utils import chapter

    monkeypatch.setenv("LOFI_DEVICE", "cpu")
    with pytest.warns(UserWarning, match="sized for a CUDA GPU"):
        ch = chapter.start("spectral_bias", "paper")
    assert ch.P.name == "paper" and ch.device.type == "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert chapter.start("spectral_bias", "book").P.name == "book"


@pytest.mark.parametrize("name", ["smoke", "book", "paper"])
def test_real_data_sizes_fit_the_datasets(name):
    # CIFAR-10 has 50 000 training and 10 000 test images; the validation split comes out of training
    lofi = get_profile("neural_lofi", name).cifar
    assert lofi.n + lofi.val <= 50_000 and lofi.test <= 10_000
    amp = get_profile("amplitude_phase", name).cifar
    assert amp.n_train <= 50_000 and amp.n_test <= 10_000
