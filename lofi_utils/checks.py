"""Quantitative checks: assert a claim of the theory or the paper, and record it.

Every section of a chapter ends with calls such as::

    check("NTK slope, d=3", slope, -3.0, tol=0.1, claim="mu_k ~ k^-d (Bietti-Bach)")
    check("t6 / t1", ratio, 10, relation=">=", claim="high frequencies are learned last")

A failed check raises :class:`CheckFailed` (an ``AssertionError``), so a notebook -- and the book
build -- fails when the science is wrong. Every call is also appended to :data:`RECORDS` and, when
``$LOFI_CHECKS_DIR`` is set, written as one JSON line to ``$LOFI_CHECKS_DIR/<chapter>.jsonl`` so
that a report page can list what the book reproduces and how closely.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .validation import check_choice

RELATIONS = ("close", "rel", "<=", ">=", "<", ">", "==", "true")


class CheckFailed(AssertionError):
    """A quantitative claim of the book did not hold."""


@dataclass
class CheckRecord:
    """One comparison between a measurement and the theory or paper value."""

    chapter: str
    name: str
    claim: str
    measured: Any
    expected: Any
    relation: str
    tol: float | None
    passed: bool
    profile: str
    source: str = ""
    extra: dict = field(default_factory=dict)

    def describe(self) -> str:
        """One line: the check's name, measured against expected, and pass or fail."""
        m = _fmt(self.measured)
        if self.relation == "true":
            shown = "" if m == "True" else " measured " + m
            return f"{self.name}: {'holds' if self.passed else 'FAILS'} ({self.claim}){shown}"
        e = _fmt(self.expected)
        if self.relation == "close":
            rel = f"{m} vs {e} ± {_fmt(self.tol)}"
        elif self.relation == "rel":
            rel = f"{m} vs {e} (rel. tol {_fmt(self.tol)})"
        else:
            rel = f"{m} {self.relation} {e}"
        return f"{self.name}: {rel} -> {'pass' if self.passed else 'FAIL'}  [{self.claim}]"


RECORDS: list[CheckRecord] = []
_CONTEXT: dict[str, str] = {"chapter": "", "profile": ""}


def set_context(*, chapter: str, profile: str, fresh: bool = False) -> None:
    """Name the chapter and profile that following checks belong to.

    ``fresh=True`` (a chapter starting to execute) forgets that chapter's earlier records, in this
    process and in ``$LOFI_CHECKS_DIR/<chapter>.jsonl``, so the record file always describes one
    complete execution.
    """
    _CONTEXT["chapter"] = chapter
    _CONTEXT["profile"] = profile
    if fresh:
        RECORDS[:] = [r for r in RECORDS if r.chapter != chapter]
        out = os.environ.get("LOFI_CHECKS_DIR")
        if out:
            (Path(out) / f"{chapter or 'unnamed'}.jsonl").unlink(missing_ok=True)


def _fmt(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return f"{x:.4g}"
    if isinstance(x, (list, tuple, np.ndarray)):
        arr = np.asarray(x).ravel()
        body = ", ".join(_fmt(v) for v in arr[:8])
        return f"[{body}{', ...' if arr.size > 8 else ''}]"
    return str(x)


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else str(x)
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item"):
        return _jsonable(x.item())
    return x


def check(
    name: str,
    measured: Any,
    expected: Any = None,
    *,
    tol: float | None = None,
    relation: str = "close",
    claim: str,
    source: str = "",
    quiet: bool = False,
) -> CheckRecord:
    """Assert that ``measured`` stands in ``relation`` to ``expected``; record and print the result.

    Relations: ``"close"`` (``|m - e| <= tol``, elementwise), ``"rel"`` (``|m - e| <= tol * |e|``),
    ``"<="``, ``">="``, ``"<"``, ``">"``, ``"=="`` (elementwise, all must hold), and ``"true"``
    (``measured`` is a boolean that must be true; ``expected`` unused). Raises ``CheckFailed`` with a
    one-line description when the claim fails, ``ValueError`` for a malformed call.
    """
    check_choice(relation, "relation", RELATIONS)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"every check has a name: name must be a non-empty string, got {name!r}")
    if not claim:
        raise ValueError("every check states its claim (claim='...')")
    if relation in ("close", "rel"):
        number = isinstance(tol, (int, float, np.integer, np.floating)) and not isinstance(tol, (bool, np.bool_))
        if not (number and math.isfinite(tol) and tol >= 0):
            raise ValueError(f"relation {relation!r} needs a tolerance tol >= 0 (a finite number), got {tol!r}")
    if relation != "true" and expected is None:
        raise ValueError(f"relation {relation!r} needs an expected value")
    if relation == "true":
        b = np.asarray(measured)
        if b.dtype != bool or b.size == 0:
            raise ValueError(
                f"relation 'true' needs a boolean measurement (True, False or a non-empty array of "
                f"them), got {_fmt(measured)}"
            )
        passed = bool(np.all(b))
    else:
        try:
            m, e = np.asarray(measured, dtype=float), np.asarray(expected, dtype=float)
            size = int(np.prod(np.broadcast_shapes(m.shape, e.shape)))
        except (TypeError, ValueError):
            raise ValueError(
                f"measured and expected must be numbers or arrays of matching shapes, got "
                f"{_fmt(measured)} and {_fmt(expected)}"
            ) from None
        if size == 0:
            raise ValueError(
                f"measured and expected must not be empty (an empty comparison would pass vacuously), "
                f"got {_fmt(measured)} and {_fmt(expected)}"
            )
        if not np.all(np.isfinite(m)):
            passed = False
        elif relation == "close":
            passed = bool(np.all(np.abs(m - e) <= tol))
        elif relation == "rel":
            passed = bool(np.all(np.abs(m - e) <= tol * np.abs(e)))
        elif relation == "<=":
            passed = bool(np.all(m <= e))
        elif relation == ">=":
            passed = bool(np.all(m >= e))
        elif relation == "<":
            passed = bool(np.all(m < e))
        elif relation == ">":
            passed = bool(np.all(m > e))
        else:
            passed = bool(np.all(m == e))
    rec = CheckRecord(
        chapter=_CONTEXT["chapter"],
        name=name,
        claim=claim,
        measured=_jsonable(measured),
        expected=_jsonable(expected),
        relation=relation,
        tol=tol,
        passed=passed,
        profile=_CONTEXT["profile"],
        source=source,
    )
    RECORDS.append(rec)
    _write(rec)
    if not quiet:
        print(("✓ " if passed else "✗ ") + rec.describe())
    if not passed:
        raise CheckFailed(rec.describe())
    return rec


def _write(rec: CheckRecord) -> None:
    out = os.environ.get("LOFI_CHECKS_DIR")
    if not out:
        return
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / f"{rec.chapter or 'unnamed'}.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(rec)) + "\n")


def summary(chapter: str | None = None) -> str:
    """A plain-text table of the checks recorded so far in this process (optionally one chapter)."""
    rows = [r for r in RECORDS if chapter is None or r.chapter == chapter]
    n_pass = sum(r.passed for r in rows)
    lines = [f"{n_pass}/{len(rows)} checks passed" + (f" in {chapter}" if chapter else "")]
    lines += [("  ✓ " if r.passed else "  ✗ ") + r.describe() for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the reproduction report
def load_records(directory: str | os.PathLike[str]) -> dict[str, list[CheckRecord]]:
    """Read every ``<chapter>.jsonl`` in ``directory``: ``{chapter: [CheckRecord, ...]}`` (sorted by chapter)."""
    d = Path(directory)
    out: dict[str, list[CheckRecord]] = {}
    if not d.is_dir():
        return out
    for f in sorted(d.glob("*.jsonl")):
        recs = []
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                recs.append(CheckRecord(**json.loads(line)))
        out[f.stem] = recs
    return out


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _comparison(r: CheckRecord) -> tuple[str, str]:
    """(theory or paper value with its tolerance, the measured value) as table cells."""
    m = _fmt(r.measured)
    if r.relation == "true":
        return "holds", m
    e = _fmt(r.expected)
    if r.relation == "close":
        return f"{e} ± {_fmt(r.tol)}", m
    if r.relation == "rel":
        return f"{e} (rel. tol. {_fmt(r.tol)})", m
    return f"{r.relation} {e}", m


#: what the profiles of the report's "scale" column mean (lofi_utils.profiles)
PROFILE_MEANING = {
    "smoke": "the CI size (each chapter in about a minute)",
    "book": "the published book's size (minutes on a laptop CPU)",
    "paper": "the scale of the paper the chapter reproduces (meant for a GPU)",
}


def _short_title(title: str) -> str:
    """``"Spectral bias: why networks ..."`` -> ``"Spectral bias"`` (the summary table stays narrow)."""
    return title.split(":", 1)[0].strip() or title


def _link(text: str, target: str | None) -> str:
    return f"[{text}]({target})" if target else text


def _check_line(r: CheckRecord, cite: bool) -> str:
    """One check as one list item: result, name, measured against expected, the claim, and where the expected
    value comes from (a paper or theorem, with the tolerance or bound the book chose, or the book alone)."""
    expected, measured = _comparison(r)
    if r.relation == "true":
        values = "holds" if measured == "True" else f"measured {measured}"
    elif r.relation in ("close", "rel"):
        values = f"measured {measured}, expected {expected}"
    else:
        values = f"measured {measured}, required {expected}"
    if not r.source:
        origin = "the book’s choice (no paper or theorem cited)"
    else:
        ref = f"{{cite:t}}`{r.source}`" if cite else _cell(r.source)
        if r.relation in ("close", "rel"):
            origin = f"{ref} (the value); the tolerance is the book’s"
        elif r.relation in ("true", "=="):
            origin = f"{ref}"
        else:
            origin = f"{ref} (the claim); the bound {_fmt(r.expected)} is the book’s"
    mark = "✓" if r.passed else "✗ **FAIL**"
    return f"- {mark} **{_cell(r.name)}**: {_cell(values)} — {_cell(r.claim).rstrip('.')}. *Source:* {origin}."


def _stored_line(res: Any, page: str | None, number: str) -> str:
    """One stored result (a :class:`lofi_utils.reproduce.core.StoredResult`) as one list item."""
    d, p = res.data, res.data["provenance"]
    minutes = p["wall_s_total"] / 60
    cost = f"{minutes / 60:.1f} h" if minutes >= 60 else f"{max(minutes, 1):.0f} min"
    where = "; ".join(p["devices"])
    scale = " (a CPU, so at reduced size)" if all("cores" in x for x in p["devices"]) else ""
    state = (
        f"**stale**: the code it depends on changed since (rerun `python3 tasks.py reproduce {d['experiment']} "
        f"--profile {d['profile']}`)"
        if res.stale
        else "current: the code it depends on is unchanged"
    )
    chapter = _link(f"chapter {number}" if number else d["chapter"], page)
    return (
        f"- **{d['experiment']}** ({chapter}): {_cell(d.get('description', ''))}. Profile `{d['profile']}`, "
        f"{p['cells']} cells, {cost} on {where}{scale}; {p['last'][:10]}, commit `{', '.join(p['commits'])}`; "
        f"{state}."
    )


@dataclass(frozen=True)
class Section:
    """A heading of a chapter page: its ``title`` (as written), its ``anchor`` (the id that MyST's heading
    anchors give it, ``myst_heading_anchors``) and its ``level`` (2 for ``##``)."""

    title: str
    anchor: str
    level: int


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MATH_SPAN = re.compile(r"\$[^$]*\$")
#: headings that are not sections of the text (their checks belong to the section above)
_NOT_SECTIONS = re.compile(r"^(Exercises?|Solutions?)\b", re.IGNORECASE)


def _slug(title: str) -> str:
    """MyST's heading anchor for ``title``: its text without inline maths, GitHub style (myst-parser's
    ``default_slugify``)."""
    text = _MATH_SPAN.sub("", title)
    text = re.sub(r"[*`]", "", text)
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


def _name_pattern(node: Any) -> tuple[re.Pattern, bool] | None:
    """The names a ``check(...)`` call's first argument can take: ``(pattern, exact)``; an f-string's fields
    match anything; a name computed otherwise matches any name, as a last resort (``exact`` False)."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.compile(re.escape(node.value) + r"\Z"), True
    if isinstance(node, ast.JoinedStr):
        parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".*?" for v in node.values]
        return re.compile("".join(parts) + r"\Z", re.DOTALL), True
    return re.compile(".*", re.DOTALL), False


def check_sections(md_text: str) -> list[tuple[Section | None, list[tuple[re.Pattern, bool]]]]:
    """The ``check(...)`` calls of a chapter (a jupytext MyST page), cell by cell in page order: for each code
    cell that calls ``check``, the section it stands in (the nearest heading of level 2 or 3 above it that is
    not an exercise; ``None`` before the first) and the patterns of the check names it can record."""
    import ast

    out: list[tuple[Section | None, list]] = []
    section: Section | None = None
    slugs: set[str] = set()
    in_code = False
    cell: list[str] = []
    fence = ""
    for line in md_text.splitlines():
        if in_code:
            if line.strip() == fence:
                in_code = False
                src = "\n".join(x for x in cell if not x.lstrip().startswith(("%", "!")))
                src = re.sub(r"\A---\n.*?\n---\n", "", src, flags=re.DOTALL)  # the cell's metadata block
                src = re.sub(r"\A(?::[\w-]+:.*\n)+", "", src)  # or its option lines (:tags: [hide-input])
                try:
                    tree = ast.parse(src)
                except SyntaxError:
                    continue
                pats = [
                    _name_pattern(n.args[0])
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Call)
                    and n.args
                    and (getattr(n.func, "id", None) == "check" or getattr(n.func, "attr", None) == "check")
                ]
                if pats:
                    out.append((section, pats))
            else:
                cell.append(line)
            continue
        m = re.match(r"^(`{3,})\{code-cell\}", line)
        if m:
            in_code, fence, cell = True, m.group(1), []
            continue
        h = _HEADING.match(line)
        if h:
            level, title = len(h.group(1)), h.group(2)
            slug, base, i = _slug(title), _slug(title), 1
            while slug in slugs:
                slug, i = f"{base}-{i}", i + 1
            slugs.add(slug)
            if level in (2, 3) and not _NOT_SECTIONS.match(title):
                section = Section(title, slug, level)
    return out


def assign_sections(records: Sequence[CheckRecord], md_text: str) -> list[Section | None]:
    """The section of each record of one chapter (``records`` in execution order): the first cell at or after
    the previous record's cell whose ``check`` calls can give that name (a literal or f-string name before a
    computed one); ``None`` when no cell can."""
    cells = check_sections(md_text)
    out: list[Section | None] = []
    at = 0
    for r in records:
        found = None
        for exact in (True, False):
            found = next(
                (i for i in range(at, len(cells)) if any(e == exact and p.match(r.name) for p, e in cells[i][1])),
                None,
            )
            if found is not None:
                break
        if found is None:
            out.append(None)
            continue
        at = found
        out.append(cells[found][0])
    return out


def report_markdown(
    records: dict[str, list[CheckRecord]],
    *,
    titles: dict[str, str] | None = None,
    cite: bool = True,
    pages: dict[str, str] | None = None,
    stored: Sequence[Any] | None = None,
    sections: dict[str, Sequence[Section | None]] | None = None,
) -> str:
    """MyST Markdown for the reproduction report, readable on a phone.

    Chapters come in the order of ``titles`` (the book's order; chapters it lacks follow, sorted). First a
    summary: the count of passing checks, then one narrow table (per chapter: checks passed of all, the failed
    ones, and the scale: the profile the checks ran at and the stored results of its long experiments); then ``stored``
    (:class:`lofi_utils.reproduce.core.StoredResult` of :func:`lofi_utils.reproduce.core.stored_results`), one
    line each with its experiment, profile, device, date, commit and whether its code changed since; then one
    list per chapter, one line per check: pass or fail, the measured value against the expected one, the claim,
    and where the expected value comes from: a paper or theorem (its ``source``, a ``{cite:t}`` role when
    ``cite``) or "the book's choice" when the check names none. ``pages`` maps a chapter to its page (a link
    target relative to the report), linked from the table, the headings and the stored results. ``sections``
    gives each chapter's records their sections (:func:`assign_sections`, one per record): the list then
    comes in groups under a line that names the section and links it (``page#anchor``).
    """
    titles, pages, stored, sections = titles or {}, pages or {}, list(stored or []), sections or {}
    by_chapter: dict[str, list] = {}
    for res in stored:
        by_chapter.setdefault(res.data["chapter"], []).append(res)
    present = set(records) | set(by_chapter)
    order = [c for c in titles if c in present] + sorted(present - set(titles))
    number = {c: str(list(titles).index(c) + 1) if c in titles else "" for c in order}
    total = sum(len(v) for v in records.values())
    passed = sum(r.passed for v in records.values() for r in v)
    lines = [
        f"**{passed} of {total} checks pass** across {len(records)} chapter(s)"
        + (", listed in the book's order." if titles else "."),
        "",
        "| chapter | passed | scale |",
        "|---|---|---|",
    ]
    for c in order:
        recs = records.get(c, [])
        ok = sum(r.passed for r in recs)
        result = f"{ok} of {len(recs)}" + (f" (**{len(recs) - ok} failed**)" if ok < len(recs) else "")
        scale = ", ".join(sorted({r.profile for r in recs})) or "no checks"
        if by_chapter.get(c):
            profs = ", ".join(sorted({res.data["profile"] for res in by_chapter[c]}))
            scale += f"; {len(by_chapter[c])} stored ({profs})"
        name = _cell(_short_title(titles.get(c, c)))
        title = _link(f"{number[c]}. {name}" if number[c] else name, pages.get(c))
        lines.append(f"| {title} | {result} | {scale} |")
    used = sorted({r.profile for v in records.values() for r in v} | {res.data["profile"] for res in stored})
    lines += [
        "",
        "Scale: "
        + "; ".join(f"`{p}` is {PROFILE_MEANING[p]}" for p in used if p in PROFILE_MEANING)
        + (". " if used else "")
        + "Each check says where its expected value comes from: a paper or a theorem (cited), or the book's "
        "choice (a bound or tolerance the book sets).",
        "",
    ]
    if stored:
        lines += [
            "## Stored results of the long experiments",
            "",
            "Computed once by `python3 tasks.py reproduce` and kept in `results/`; the chapters read them and "
            "check them. A result is stale when the code it depends on has changed since.",
            "",
        ]
        for c in order:
            lines += [_stored_line(res, pages.get(c), number[c]) for res in by_chapter.get(c, [])]
        lines.append("")
    for c in order:
        recs = records.get(c, [])
        if not recs:
            continue
        ok = sum(r.passed for r in recs)
        profiles = ", ".join(f"`{p}`" for p in sorted({r.profile for r in recs})) or "?"
        head = f"{number[c]}. {titles.get(c, c)}" if number[c] else titles.get(c, c)
        read = f" {_link('Read the chapter', pages[c])}." if c in pages else ""
        lines += [f"## {head}", "", f"{ok} of {len(recs)} checks pass (profile {profiles}).{read}", ""]
        secs = list(sections.get(c, [])) or [None] * len(recs)
        if len(secs) != len(recs):
            raise ValueError(f"{c}: {len(secs)} sections for {len(recs)} records")
        current: Any = False
        for r, sec in zip(recs, secs):
            if sec != current and sec is not None:
                target = f"{pages[c]}#{sec.anchor}" if c in pages else None
                lines += ["", f"**{_link(sec.title, target)}**", ""]
            current = sec
            lines.append(_check_line(r, cite))
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- comparing two executions
@dataclass
class RecordDiff:
    """How the check records of one chapter differ between two executions ``a`` and ``b``.

    ``changed``: ``(name, measured in a, measured in b, largest relative change)`` of every check whose
    measured value differs; ``flipped``: names of checks that pass in one execution and fail in the
    other; ``only_a`` / ``only_b``: names present in one execution only. Checks are matched by name
    (the n-th check of a name in ``a`` with the n-th of that name in ``b``).
    """

    chapter: str
    n_a: int
    n_b: int
    changed: list
    flipped: list
    only_a: list
    only_b: list

    @property
    def identical(self) -> bool:
        """Whether nothing differs between the two executions."""
        return not (self.changed or self.flipped or self.only_a or self.only_b)

    def describe(self) -> str:
        """A summary line, then one line per changed, flipped or unmatched check."""
        if self.identical:
            return f"{self.chapter}: {self.n_a} checks, all identical"
        worst = max((c[3] for c in self.changed), default=0.0)
        head = (
            f"{self.chapter}: {self.n_a} vs {self.n_b} checks; {len(self.changed)} measured value(s) "
            f"differ (largest relative change {worst:.2g}); {len(self.flipped)} pass/fail flip(s)"
        )
        lines = [head]
        lines += [f"  {n}: {_fmt(x)} -> {_fmt(y)} (rel. {r:.2g})" for n, x, y, r in self.changed]
        lines += [f"  FLIPPED: {n}" for n in self.flipped]
        lines += [f"  only in a: {n}" for n in self.only_a] + [f"  only in b: {n}" for n in self.only_b]
        return "\n".join(lines)


def _relative_change(x: Any, y: Any) -> float:
    try:
        a = np.asarray(x, dtype=np.float64).ravel()
        b = np.asarray(y, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return 0.0 if x == y else math.inf
    if a.shape != b.shape:
        return math.inf
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    if np.all(same):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.where(same, 0.0, np.nan_to_num(rel, nan=math.inf))))


def compare_records(a: dict[str, list[CheckRecord]], b: dict[str, list[CheckRecord]]) -> list[RecordDiff]:
    """Chapter by chapter, how two executions' check records (see :func:`load_records`) differ.

    Used to prove that a change of code left the science alone (every record identical), or to
    measure how far a change of CPU kernels or threads moves each measured value.
    """
    out = []
    for chapter in sorted(set(a) | set(b)):
        ra, rb = a.get(chapter, []), b.get(chapter, [])

        def keyed(recs):
            seen: dict[str, int] = {}
            keys = {}
            for r in recs:
                seen[r.name] = seen.get(r.name, 0) + 1
                keys[(r.name, seen[r.name])] = r
            return keys

        ka, kb = keyed(ra), keyed(rb)
        changed, flipped = [], []
        for key in [k for k in ka if k in kb]:
            x, y = ka[key], kb[key]
            rel = _relative_change(x.measured, y.measured)
            if rel > 0:
                changed.append((key[0], x.measured, y.measured, rel))
            if x.passed != y.passed:
                flipped.append(key[0])
        out.append(
            RecordDiff(
                chapter,
                len(ra),
                len(rb),
                changed,
                flipped,
                [k[0] for k in ka if k not in kb],
                [k[0] for k in kb if k not in ka],
            )
        )
    return out
