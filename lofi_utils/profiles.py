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

# One table per chapter: profile -> {section: {name: value}}. Every profile of a chapter must define
# the same sections and names (checked when the table is registered), so a notebook never meets a
# missing size. The tables live in lofi_utils/chapters/<chapter>/profile.py as plain data (TABLE);
# they import nothing, so this module and the chapters never import each other in a cycle.
_TABLES: dict[str, dict[str, dict[str, Any]]] = {}
_LOADED = False


def _shape(tree: Mapping[str, Any]) -> dict:
    """The names of a (possibly nested) table, with the names of its sections: ``{name: shape or None}``."""
    return {k: (_shape(v) if isinstance(v, Mapping) else None) for k, v in tree.items()}


def _paths(shape: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in shape.items():
        out |= _paths(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
    return out


def register(chapter: str, table: Mapping[str, Mapping[str, Any]]) -> None:
    """Register the profile table of ``chapter`` (``{profile: {section: {name: value}}}``).

    Sections nest (a value that is a mapping is a section); a flat ``{profile: {name: value}}``
    table is allowed too. Raises ``ValueError`` if a profile is missing or the profiles disagree on
    their sections and names.
    """
    missing = [p for p in PROFILE_NAMES if p not in table]
    if missing:
        raise ValueError(f"chapter {chapter!r}: profiles {missing} are missing; need all of {PROFILE_NAMES}")
    extra = [p for p in table if p not in PROFILE_NAMES]
    if extra:
        raise ValueError(f"chapter {chapter!r}: unknown profiles {extra}; allowed: {PROFILE_NAMES}")
    ref = _paths(_shape(table[PROFILE_NAMES[0]]))
    for p in PROFILE_NAMES[1:]:
        k = _paths(_shape(table[p]))
        if k != ref:
            raise ValueError(
                f"chapter {chapter!r}: profile {p!r} keys differ from {PROFILE_NAMES[0]!r}: "
                f"missing {sorted(ref - k)}, extra {sorted(k - ref)}"
            )
    _TABLES[chapter] = {p: dict(v) for p, v in table.items()}


def chapters() -> list[str]:
    """Names of the chapters that have a profile table."""
    _load_tables()
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
    """Read-only sizes of one chapter at one profile, by section; values by key or attribute.

    >>> P = get_profile("spectral_bias", "smoke")   # doctest: +SKIP
    >>> P.name, P.sines.width == P["sines"]["width"]   # doctest: +SKIP

    A section is itself a :class:`Profile` (its ``path`` names it, e.g. ``"sines"``).
    """

    def __init__(self, chapter: str, name: str, values: Mapping[str, Any], path: str = "") -> None:
        """A read-only view of ``values`` (nested mappings become sections) for ``chapter`` at profile ``name``."""
        self._chapter = chapter
        self._name = name
        self._path = path
        self._values = MappingProxyType(
            {k: Profile(chapter, name, v, f"{path}{k}.") if isinstance(v, Mapping) else v for k, v in values.items()}
        )

    @property
    def name(self) -> str:
        """The profile's name (``"smoke"``, ``"book"``, ...)."""
        return self._name

    @property
    def chapter(self) -> str:
        """The chapter the sizes belong to."""
        return self._chapter

    @property
    def path(self) -> str:
        """The section's dotted name (``""`` for the chapter's whole table)."""
        return self._path.rstrip(".")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            where = f"section {self.path!r} of " if self._path else ""
            raise AttributeError(
                f"{where}profile {self._name!r} of chapter {self._chapter!r} has no size {key!r}; "
                f"it has: {', '.join(self._values)}"
            ) from None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def to_dict(self) -> dict[str, Any]:
        """The sizes as plain nested dicts."""
        return {k: v.to_dict() if isinstance(v, Profile) else v for k, v in self._values.items()}

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        if self._path:
            return f"{self.path}({items})"
        return f"Profile({self._chapter!r}, {self._name!r}: {items})"


def get_profile(chapter: str, name: str | None = None, **overrides: Any) -> Profile:
    """Sizes of ``chapter`` at profile ``name`` (see :func:`resolve_profile_name`).

    Keyword ``overrides`` replace single sizes: ``section={"width": 512}`` changes one size of a
    section and keeps the others (a top-level size takes its value directly). A name that the
    chapter does not define raises ``ValueError`` listing the names it does define.
    """
    _load_tables()
    if chapter not in _TABLES:
        raise ValueError(f"unknown chapter {chapter!r}; known chapters: {', '.join(chapters())}")
    pname = resolve_profile_name(name)
    values = {k: dict(v) if isinstance(v, Mapping) else v for k, v in _TABLES[chapter][pname].items()}
    bad = [k for k in overrides if k not in values]
    if bad:
        raise ValueError(f"chapter {chapter!r} has no size(s) {bad}; it has: {', '.join(values)}")
    for k, v in overrides.items():
        if isinstance(values[k], dict):
            if not isinstance(v, Mapping):
                raise ValueError(
                    f"{k!r} of chapter {chapter!r} is a section; override it with a dict of its "
                    f"sizes ({', '.join(values[k])}), got {v!r}"
                )
            unknown = [n for n in v if n not in values[k]]
            if unknown:
                raise ValueError(
                    f"section {k!r} of chapter {chapter!r} has no size(s) {unknown}; it has: {', '.join(values[k])}"
                )
            values[k].update(v)
        else:
            values[k] = v
    return Profile(chapter, pname, values)


def _load_tables() -> None:
    """Register the table of every chapter package under :mod:`lofi_utils.chapters` (once)."""
    global _LOADED
    if _LOADED:
        return
    import importlib
    import pkgutil

    from . import chapters as _chapters

    for info in pkgutil.iter_modules(_chapters.__path__):
        if info.ispkg:
            module = importlib.import_module(f"{_chapters.__name__}.{info.name}.profile")
            register(info.name, module.TABLE)
    _LOADED = True
