"""The contract of lofi_utils.validation: what each check accepts, what it rejects, and its one-line message."""

import ast
import math
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from lofi_utils.validation import (
    check_choice,
    check_in_range,
    check_int,
    check_nonnegative,
    check_positive,
    check_rng,
    is_int,
)

NOT_INTEGERS = [
    True,
    False,
    np.bool_(True),
    2.0,
    2.5,
    np.float64(3.0),
    "3",
    b"3",
    None,
    float("nan"),
    float("inf"),
    [3],
    np.array([3]),
    3 + 0j,
]
NOT_NUMBERS = [True, False, np.bool_(False), "1.0", b"1", None, [1.0, 2.0], np.ones(2), object(), 1 + 1j]


def _raises(call, match: str) -> str:
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "\n" not in str(err.value)
    return str(err.value)


# --------------------------------------------------------------------------- is_int / check_int
@pytest.mark.parametrize("v", [0, 7, -3, 2**70, np.int8(5), np.int64(5), np.uint64(5), np.intp(0)])
def test_is_int_accepts_python_and_numpy_integers(v):
    assert is_int(v)


@pytest.mark.parametrize("v", NOT_INTEGERS)
def test_is_int_rejects_bools_floats_strings_and_arrays(v):
    assert not is_int(v)


@pytest.mark.parametrize("v", [1, 5, np.int32(1), np.int64(5), np.uint8(3)])
def test_check_int_returns_a_python_int(v):
    out = check_int(v, "n", minimum=1)
    assert out == v and type(out) is int


@pytest.mark.parametrize("v", NOT_INTEGERS)
def test_check_int_rejects_non_integers_whatever_the_bounds(v):
    _raises(lambda: check_int(v, "n"), r"^n must be an integer, got ")
    _raises(lambda: check_int(v, "n", minimum=0), r"^n must be an integer >= 0, got ")


def test_check_int_bounds_are_inclusive_and_exact():
    assert check_int(4, "N", minimum=4) == 4
    assert check_int(8, "D", minimum=1, maximum=8) == 8
    assert check_int(-5, "k", maximum=-5) == -5
    assert check_int(-(2**80), "x") == -(2**80)  # no bound: any integer
    assert check_int(2**32 - 1, "seed", minimum=0, maximum=2**32 - 1) == 2**32 - 1
    assert _raises(lambda: check_int(3, "N", minimum=4), "N") == "N must be an integer >= 4, got 3"
    assert _raises(lambda: check_int(9, "D", minimum=1, maximum=8), "D") == "D must be an integer in [1, 8], got 9"
    assert _raises(lambda: check_int(0, "D", minimum=1, maximum=8), "D") == "D must be an integer in [1, 8], got 0"
    assert _raises(lambda: check_int(-4, "k", maximum=-5), "k") == "k must be an integer <= -5, got -4"
    assert (
        _raises(lambda: check_int(2**32, "seed", minimum=0, maximum=2**32 - 1), "seed")
        == "seed must be an integer in [0, 4294967295], got 4294967296"
    )


def test_check_int_message_shows_the_value_as_given():
    assert _raises(lambda: check_int(True, "steps", minimum=1), "steps") == "steps must be an integer >= 1, got True"
    assert _raises(lambda: check_int(2.5, "steps", minimum=1), "steps") == "steps must be an integer >= 1, got 2.5"
    assert _raises(lambda: check_int("3", "steps", minimum=1), "steps") == "steps must be an integer >= 1, got '3'"
    assert (
        _raises(lambda: check_int(np.int64(0), "n", minimum=1), "n")
        == f"n must be an integer >= 1, got {np.int64(0)!r}"
    )
    msg = _raises(lambda: check_int(0, "depth (number of weight layers L)", minimum=1), "depth")
    assert msg == "depth (number of weight layers L) must be an integer >= 1, got 0"


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("v", [1, 0.5, 1e-300, 1e300, np.float32(0.25), np.float64(2.0), np.int64(3), np.array(0.5)])
def test_check_positive_accepts_finite_positive_numbers_and_returns_a_float(v):
    out = check_positive(v, "lr")
    assert type(out) is float and out == float(v)


@pytest.mark.parametrize(
    "v", [0, 0.0, -0.0, -1, -1e-300, float("nan"), float("inf"), -float("inf"), np.float64("nan"), *NOT_NUMBERS]
)
def test_check_positive_rejects(v):
    _raises(lambda: check_positive(v, "lr"), r"^lr must be a finite number > 0, got ")


def test_check_positive_message():
    assert _raises(lambda: check_positive(float("nan"), "lr"), "lr") == "lr must be a finite number > 0, got nan"
    assert _raises(lambda: check_positive(True, "lr"), "lr") == "lr must be a finite number > 0, got True"
    assert _raises(lambda: check_positive("0.1", "lr"), "lr") == "lr must be a finite number > 0, got '0.1'"
    assert (
        _raises(lambda: check_positive(-1, "C (the inverse regularisation)"), "C")
        == "C (the inverse regularisation) must be a finite number > 0, got -1"
    )


@pytest.mark.parametrize("v", [0, 0.0, -0.0, 1e-300, 7, np.float32(2.5), np.int64(0)])
def test_check_nonnegative_accepts_zero_and_positive_numbers(v):
    out = check_nonnegative(v, "tol")
    assert type(out) is float and out == float(v)


@pytest.mark.parametrize("v", [-1e-300, -1, float("nan"), float("inf"), *NOT_NUMBERS])
def test_check_nonnegative_rejects(v):
    _raises(lambda: check_nonnegative(v, "tol"), r"^tol must be a finite number >= 0, got ")


def test_check_nonnegative_message():
    assert _raises(lambda: check_nonnegative(-1.0, "tol"), "tol") == "tol must be a finite number >= 0, got -1.0"


def test_check_in_range_ends_closed_or_open_exactly():
    assert check_in_range(0, "jitter", 0, 1) == 0.0 and check_in_range(1, "jitter", 0, 1) == 1.0
    assert check_in_range(1, "level", 0, 1, low_open=True) == 1.0
    assert check_in_range(0.5, "frac", 0, 1, low_open=True, high_open=True) == 0.5
    assert type(check_in_range(np.float32(0.5), "frac", 0, 1)) is float
    assert check_in_range(1e4, "bias", 0, 1e4) == 1e4
    for v, kw, shown in (
        (0, {"low_open": True}, "(0, 1]"),
        (1, {"high_open": True}, "[0, 1)"),
        (math.nextafter(0, -1), {}, "[0, 1]"),
        (math.nextafter(1, 2), {}, "[0, 1]"),
        (1.0, {"low_open": True, "high_open": True}, "(0, 1)"),
    ):
        assert (
            _raises(lambda v=v, kw=kw: check_in_range(v, "x", 0, 1, **kw), "x")
            == f"x must be a number in {shown}, got {v!r}"
        )


@pytest.mark.parametrize("v", [float("nan"), float("inf"), -float("inf"), *NOT_NUMBERS])
def test_check_in_range_rejects_nan_infinities_and_non_numbers(v):
    _raises(lambda: check_in_range(v, "x", -1e300, 1e300), r"^x must be a number in \[-1e\+300, 1e\+300\], got ")


def test_check_in_range_message_formats_the_bounds_with_g():
    msg = _raises(lambda: check_in_range(2e4, "bias (the scale beta of the biases)", 0, 1e4), "bias")
    assert msg == "bias (the scale beta of the biases) must be a number in [0, 10000], got 20000.0"


# --------------------------------------------------------------------------- choices
def test_check_choice_returns_the_value_and_names_the_allowed_ones():
    assert check_choice("flat", "spectrum", ("natural", "flat")) == "flat"
    assert check_choice(None, "normalize", ("sphere", None)) is None
    assert check_choice(4, "order", (2, 4)) == 4
    assert check_choice("adam", "optimizer", {"adam": 1, "gd": 2}) == "adam"  # a mapping's keys
    assert (
        _raises(lambda: check_choice("Flat", "spectrum", ("natural", "flat")), "spectrum")
        == "unknown spectrum 'Flat'; allowed: natural, flat"
    )
    assert (
        _raises(lambda: check_choice(3, "order (information exponent)", (2, 4)), "order")
        == "unknown order (information exponent) 3; allowed: 2, 4"
    )
    assert _raises(lambda: check_choice(True, "order", (2, 4)), "order") == "unknown order True; allowed: 2, 4"
    _raises(lambda: check_choice(np.array(["a", "b"]), "kind", ("a", "b")), "^unknown kind ")  # no ambiguity error
    _raises(lambda: check_choice(["a"], "kind", ("a", "b")), "^unknown kind ")


def test_check_choice_casefold_lower_cases_strings_only():
    assert check_choice("ReLU", "activation", ("relu", "erf"), casefold=True) == "relu"
    for bad in ("gelu", 3, None, b"relu"):
        _raises(
            lambda bad=bad: check_choice(bad, "activation", ("relu", "erf"), casefold=True),
            "^" + re.escape(f"unknown activation {bad!r}; allowed: relu, erf") + "$",
        )


# --------------------------------------------------------------------------- random generators
def test_check_rng_passes_a_generator_through_and_seeds_from_integers():
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    for seed in (0, 5, np.int64(5), 2**40):
        assert np.array_equal(check_rng(seed).random(3), np.random.default_rng(int(seed)).random(3))
    for bad in (None, -1, True, 1.5, "3", np.random.RandomState(0)):
        msg = _raises(
            lambda bad=bad: check_rng(bad), "^rng must be a numpy Generator or a non-negative integer seed, got "
        )
        assert msg.endswith(repr(bad))
    _raises(lambda: check_rng(-2, "seed"), "^seed must be")


# --------------------------------------------------------------------------- the module's place in the package
def test_validation_does_not_import_torch():
    code = "import sys, lofi_utils.validation; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_no_module_imports_a_private_check_from_another():
    """Checks used by several modules live in validation.py (or are public in their home module)."""
    bad = []
    for path in sorted((ROOT / "lofi_utils").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                bad += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_check")]
            elif (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_check")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                bad.append(f"{path.name}: .{node.attr}")
    assert not bad, bad
