import pytest

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


def test_every_chapter_table_is_complete():
    profiles._load_tables()
    assert profiles.chapters(), "no chapter registered its profile table"
    for ch in profiles.chapters():
        sizes = [dict(get_profile(ch, p)) for p in profiles.PROFILE_NAMES]
        assert sizes[0].keys() == sizes[1].keys() == sizes[2].keys()


def test_overrides_and_attribute_access():
    profiles._load_tables()
    ch = profiles.chapters()[0]
    P = get_profile(ch, "smoke")
    key = next(iter(P))
    assert getattr(P, key) == P[key]
    Q = get_profile(ch, "smoke", **{key: "changed"})
    assert Q[key] == "changed" and P[key] != "changed"
    with pytest.raises(ValueError, match="has no size"):
        get_profile(ch, "smoke", not_a_size=1)
    with pytest.raises(AttributeError, match="has no size"):
        P.not_a_size
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
    lofi = get_profile("lofi", name)
    assert lofi.cifar_n + lofi.cifar_val <= 50_000 and lofi.cifar_test <= 10_000
    amp = get_profile("fourier_phase", name)
    assert amp.cifar_n_train <= 50_000 and amp.cifar_n_test <= 10_000
