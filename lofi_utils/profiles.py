"""Problem sizes per chapter and profile.

Every chapter runs at one of three *profiles*:

``smoke``
    the CI size: each notebook finishes in at most about 60 s on 2 CPU cores;
``book``
    the default, used for the published HTML: a few minutes on a laptop CPU;
``paper``
    the scale of the paper the chapter reproduces, meant for a GPU.

The profile is chosen, in this order, by an explicit argument (the notebook's papermill
``profile`` parameter), by the environment variable ``LOFI_PROFILE``, or defaults to ``book``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

PROFILE_NAMES: tuple[str, ...] = ("smoke", "book", "paper")
DEFAULT_PROFILE = "book"
ENV_VAR = "LOFI_PROFILE"

# One table per chapter: profile -> {parameter: value}. Every profile of a chapter must
# define the same keys (a test enforces it), so a notebook never meets a missing size.
_TABLES: dict[str, dict[str, dict[str, Any]]] = {}


def register(chapter: str, table: Mapping[str, Mapping[str, Any]]) -> None:
    """Register the profile table of ``chapter`` (``{profile: {name: value}}``).

    Raises ``ValueError`` if a profile is missing or the profiles disagree on their keys.
    """
    missing = [p for p in PROFILE_NAMES if p not in table]
    if missing:
        raise ValueError(f"chapter {chapter!r}: profiles {missing} are missing; need all of {PROFILE_NAMES}")
    extra = [p for p in table if p not in PROFILE_NAMES]
    if extra:
        raise ValueError(f"chapter {chapter!r}: unknown profiles {extra}; allowed: {PROFILE_NAMES}")
    keys = {p: set(v) for p, v in table.items()}
    ref = keys[PROFILE_NAMES[0]]
    for p, k in keys.items():
        if k != ref:
            raise ValueError(
                f"chapter {chapter!r}: profile {p!r} keys differ from {PROFILE_NAMES[0]!r}: "
                f"missing {sorted(ref - k)}, extra {sorted(k - ref)}"
            )
    _TABLES[chapter] = {p: dict(v) for p, v in table.items()}


def chapters() -> list[str]:
    """Names of the chapters that have a profile table."""
    return sorted(_TABLES)


def resolve_profile_name(name: str | None = None) -> str:
    """Return the profile to use: ``name`` if given, else ``$LOFI_PROFILE``, else ``book``.

    Raises ``ValueError`` naming the allowed profiles when the name is unknown.
    """
    source = "argument"
    if name is None or name == "":
        name = os.environ.get(ENV_VAR, "") or DEFAULT_PROFILE
        source = f"${ENV_VAR}" if os.environ.get(ENV_VAR) else "default"
    name = str(name).strip().lower()
    if name not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {name!r} (from {source}); choose one of: {', '.join(PROFILE_NAMES)}")
    return name


class Profile(Mapping):
    """Read-only sizes of one chapter at one profile; values by key or attribute.

    >>> P = get_profile("spectral_bias", "smoke")   # doctest: +SKIP
    >>> P.name, P["width"] == P.width                # doctest: +SKIP
    """

    def __init__(self, chapter: str, name: str, values: Mapping[str, Any]):
        self._chapter = chapter
        self._name = name
        self._values = MappingProxyType(dict(values))

    @property
    def name(self) -> str:
        return self._name

    @property
    def chapter(self) -> str:
        return self._chapter

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(
                f"profile {self._name!r} of chapter {self._chapter!r} has no size {key!r}; "
                f"it has: {', '.join(self._values)}"
            ) from None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Profile({self._chapter!r}, {self._name!r}: {items})"


def get_profile(chapter: str, name: str | None = None, **overrides: Any) -> Profile:
    """Sizes of ``chapter`` at profile ``name`` (see :func:`resolve_profile_name`).

    Keyword ``overrides`` replace single sizes (e.g. ``width=512``); a name that the chapter
    does not define raises ``ValueError`` listing the names it does define.
    """
    _load_tables()
    if chapter not in _TABLES:
        raise ValueError(f"unknown chapter {chapter!r}; known chapters: {', '.join(chapters())}")
    pname = resolve_profile_name(name)
    values = dict(_TABLES[chapter][pname])
    bad = [k for k in overrides if k not in values]
    if bad:
        raise ValueError(
            f"chapter {chapter!r} has no size(s) {bad}; it has: {', '.join(values)}"
        )
    values.update(overrides)
    return Profile(chapter, pname, values)


def _load_tables() -> None:
    # Chapter tables live in lofi_utils.profile_tables so that this module stays generic.
    from . import profile_tables  # noqa: F401  (registers on import)
