"""Argument checks shared by every module of :mod:`lofi_utils`.

Each ``check_*`` returns the value (converted to ``int`` or ``float`` where it says so) or raises a
``ValueError`` with one line that names the argument, says what is allowed and shows what was given::

    steps must be an integer >= 1, got 0
    lr must be a finite number > 0, got nan
    level (an accuracy) must be a number in (0, 1], got 2
    unknown activation 'swish'; allowed: relu, erf, tanh

``name`` starts the message; it may carry a short gloss, e.g. ``"depth (number of weight layers L)"``.

What counts as what:

* an **integer** is a Python or NumPy integer, never a ``bool`` (``True`` is not a count), never a float
  (not even an integral one such as ``2.0``) and never a string;
* a **number** is a real scalar that ``float()`` converts (Python and NumPy ints and floats, 0-d arrays),
  never a ``bool`` and never a string.

Only NumPy is imported here (no torch), so every module can use these checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["is_int", "check_int", "check_positive", "check_nonnegative", "check_in_range", "check_choice", "check_rng"]


def is_int(value: object) -> bool:
    """``True`` for a Python or NumPy integer that is not a ``bool`` (for checks that add a condition of
    their own, e.g. "an even integer >= 4"); :func:`check_int` is the usual way to check one."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _int_range(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def check_int(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer (see the module docstring) with
    ``minimum <= value <= maximum`` (either bound may be ``None``: no bound).

    Raises ``ValueError``: ``"{name} must be an integer >= {minimum}, got {value!r}"`` (or ``"... an integer
    in [{minimum}, {maximum}] ..."``, ``"... an integer <= {maximum} ..."``, ``"... an integer ..."``).
    """
    if not is_int(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {_int_range(minimum, maximum)}, got {value!r}")
    return int(value)


def _as_float(value, name: str, what: str) -> float:
    """``float(value)`` for a number (see the module docstring); ``ValueError`` ``"{name} must be {what}"``
    for a ``bool``, a string or anything ``float()`` refuses. Finiteness is the caller's test."""
    if not isinstance(value, (bool, np.bool_, str, bytes)):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{name} must be {what}, got {value!r}")


def check_positive(value: object, name: str) -> float:
    """``value`` as a ``float`` if it is a finite number ``> 0``.

    Raises ``ValueError``: ``"{name} must be a finite number > 0, got {value!r}"``.
    """
    what = "a finite number > 0"
    f = _as_float(value, name, what)
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return f


def check_nonnegative(value: object, name: str) -> float:
    """``value`` as a ``float`` if it is a finite number ``>= 0``.

    Raises ``ValueError``: ``"{name} must be a finite number >= 0, got {value!r}"``.
    """
    what = "a finite number >= 0"
    f = _as_float(value, name, what)
    if not (math.isfinite(f) and f >= 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return f


def check_in_range(
    value: object, name: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float:
    """``value`` as a ``float`` if it is a number in the interval from ``low`` to ``high`` (finite bounds),
    each end included unless ``low_open`` / ``high_open``. NaN is never in range.

    Raises ``ValueError``: ``"{name} must be a number in [low, high], got {value!r}"`` (with ``(`` or ``)``
    for an open end).
    """
    what = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    f = _as_float(value, name, what)
    above = f > low if low_open else f >= low
    below = f < high if high_open else f <= high
    if not (above and below):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return f


def check_choice(value: object, name: str, allowed: Iterable, *, casefold: bool = False) -> Any:
    """``value`` if it is one of ``allowed`` (compared with ``==``); with ``casefold=True`` ``value`` must be a
    string, is compared lower-cased and is returned lower-cased (``allowed`` then holds lower-case strings).

    Raises ``ValueError``: ``"unknown {name} {value!r}; allowed: a, b, c"``.
    """
    allowed = tuple(allowed)
    if casefold:
        key = value.lower() if isinstance(value, str) else None
        ok = key is not None and key in allowed
    else:
        key = value
        try:
            ok = bool(value in allowed)
        except (TypeError, ValueError):  # e.g. an array, whose == is elementwise
            ok = False
    if not ok:
        raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(map(str, allowed))}")
    return key


def check_rng(rng: np.random.Generator | int, name: str = "rng") -> np.random.Generator:
    """``rng`` itself if it is a ``numpy.random.Generator``, ``np.random.default_rng(rng)`` if it is an
    integer seed ``>= 0``.

    Raises ``ValueError``: ``"{name} must be a numpy Generator or a non-negative integer seed, got {rng!r}"``
    (also for ``None``: a seed is never drawn from the operating system here).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if not is_int(rng) or rng < 0:
        raise ValueError(f"{name} must be a numpy Generator or a non-negative integer seed, got {rng!r}")
    return np.random.default_rng(int(rng))
