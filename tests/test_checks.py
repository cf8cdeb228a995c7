import json

import numpy as np
import pytest

from lofi_utils import checks
from lofi_utils.checks import CheckFailed, check


def test_relations_pass_and_fail():
    check("close", 1.05, 1.0, tol=0.1, claim="c", quiet=True)
    with pytest.raises(CheckFailed, match="close2"):
        check("close2", 1.2, 1.0, tol=0.1, claim="c", quiet=True)
    check("rel", 105.0, 100.0, tol=0.06, relation="rel", claim="c", quiet=True)
    with pytest.raises(CheckFailed):
        check("rel2", 110.0, 100.0, tol=0.05, relation="rel", claim="c", quiet=True)
    check("ge", [3, 4], 3, relation=">=", claim="c", quiet=True)
    with pytest.raises(CheckFailed):
        check("gt", [3, 4], 3, relation=">", claim="c", quiet=True)
    check("true", np.all(np.diff([1, 2, 3]) > 0), relation="true", claim="c", quiet=True)
    with pytest.raises(CheckFailed):
        check("true2", False, relation="true", claim="c", quiet=True)


def test_nan_never_passes():
    with pytest.raises(CheckFailed):
        check("nan", float("nan"), 0.0, tol=1e9, claim="c", quiet=True)
    with pytest.raises(CheckFailed):
        check("nan<=", float("nan"), 1.0, relation="<=", claim="c", quiet=True)


def test_malformed_calls():
    with pytest.raises(ValueError, match="relation"):
        check("x", 1, 1, relation="~", claim="c")
    with pytest.raises(ValueError, match="tolerance"):
        check("x", 1, 1, claim="c")
    with pytest.raises(ValueError, match="claim"):
        check("x", 1, 1, tol=1, claim="")


def test_records_are_written(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_CHECKS_DIR", str(tmp_path))
    checks.set_context(chapter="demo", profile="smoke")
    check("slope", -2.98, -3.0, tol=0.1, claim="mu_k ~ k^-d", quiet=True)
    line = (tmp_path / "demo.jsonl").read_text().strip().splitlines()[-1]
    rec = json.loads(line)
    assert rec["name"] == "slope" and rec["passed"] and rec["profile"] == "smoke"
    text = checks.summary("demo")
    assert text.startswith(f"{len([r for r in checks.RECORDS if r.chapter == 'demo'])}/") and "slope" in text


def test_fresh_context_replaces_a_chapters_records(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_CHECKS_DIR", str(tmp_path))
    checks.set_context(chapter="again", profile="smoke", fresh=True)
    check("a", 1.0, 1.0, tol=0.0, claim="c", quiet=True)
    check("b", 2.0, 1.0, relation=">", claim="c", quiet=True)
    checks.set_context(chapter="again", profile="book", fresh=True)
    check("a", 1.0, 1.0, tol=0.0, claim="c", quiet=True)
    recs = checks.load_records(tmp_path)["again"]
    assert [r.name for r in recs] == ["a"] and recs[0].profile == "book"
    assert [r.name for r in checks.RECORDS if r.chapter == "again"] == ["a"]


def _stored(chapter, name, *, stale=False):
    from lofi_utils.reproduce.core import ROOT, StoredResult

    prov = {
        "commits": ["abc123"],
        "devices": ["AMD EPYC (2 cores, torch AVX512)"],
        "cells": 14,
        "wall_s_total": 1351.7,
        "last": "2026-12-04T15:04:25+00:00",
    }
    data = {"experiment": name, "chapter": chapter, "description": "escape time against N", "profile": "book"}
    data.update(provenance=prov, code_hash="h0", depends=["lofi_utils.sgd"])
    return StoredResult(data=data, stale=stale, current_hash="h1" if stale else "h0", path=ROOT / "r.json")


def test_report_lists_every_check_in_book_order(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_CHECKS_DIR", str(tmp_path))
    checks.set_context(chapter="zz_last", profile="smoke", fresh=True)
    check("slope | d=3", -2.98, -3.0, tol=0.1, claim="mu_k ~ k^-d", source="bietti2021deep", quiet=True)
    check("order", True, relation="true", claim="low first.", quiet=True)
    with pytest.raises(CheckFailed):
        check("ratio", 3.0, 10.0, relation=">=", claim="t6/t1 large", source="rahaman2019spectral", quiet=True)
    checks.set_context(chapter="aa_first", profile="book", fresh=True)
    check("identity", 0.0, 1e-12, relation="<", claim="exact", quiet=True)
    checks.set_context(chapter="extra", profile="smoke", fresh=True)
    check("x", 1.0, 1.0, tol=0.0, claim="c", quiet=True)
    records = checks.load_records(tmp_path)
    assert list(records) == ["aa_first", "extra", "zz_last"]  # sorted by name on disk
    titles = {"zz_last": "Chapter One: the first", "aa_first": "Chapter Two: the second"}  # the book's order
    pages = {"zz_last": "../notebooks/01_one.md", "aa_first": "../notebooks/02_two.md"}
    md = checks.report_markdown(records, titles=titles, pages=pages)
    assert md.startswith("**4 of 5 checks pass** across 3 chapter(s), listed in the book's order.")
    # the summary: one narrow row per chapter, in the book's order, linked to the chapter's page
    assert "| chapter | passed | scale |" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "chapter" not in line]
    assert rows == [
        "| [1. Chapter One](../notebooks/01_one.md) | 2 of 3 (**1 failed**) | smoke |",
        "| [2. Chapter Two](../notebooks/02_two.md) | 1 of 1 | book |",
        "| extra | 1 of 1 | smoke |",
    ]
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == ["## 1. Chapter One: the first", "## 2. Chapter Two: the second", "## extra"]
    assert "2 of 3 checks pass (profile `smoke`). [Read the chapter](../notebooks/01_one.md)." in md
    # one line per check (no wide table); the source says paper or theorem, or the book's choice
    assert (
        "- ✓ **slope \\| d=3**: measured -2.98, expected -3 ± 0.1 — mu_k ~ k^-d. "
        "*Source:* {cite:t}`bietti2021deep` (the value); the tolerance is the book’s." in md
    )
    assert "- ✓ **order**: holds — low first. *Source:* the book’s choice (no paper or theorem cited)." in md
    assert (
        "- ✗ **FAIL** **ratio**: measured 3, required >= 10 — t6/t1 large. "
        "*Source:* {cite:t}`rahaman2019spectral` (the claim); the bound 10 is the book’s." in md
    )
    assert "required < 1e-12 — exact. *Source:* the book’s choice" in md
    assert md.count("\n|---") == 1 and md.count("\n| ") == 4  # one table (the summary): a header, three rows
    plain = checks.report_markdown(records, cite=False)
    assert "*Source:* bietti2021deep (the value)" in plain and "{cite" not in plain
    assert checks.load_records(tmp_path / "missing") == {}


def test_report_lists_the_stored_results(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_CHECKS_DIR", str(tmp_path))
    checks.set_context(chapter="ch4", profile="smoke", fresh=True)
    check("a", 1.0, 1.0, tol=0.0, claim="c", quiet=True)
    stored = [_stored("ch4", "escape_n_scan"), _stored("ch4", "escape_c_scan", stale=True), _stored("ch3", "grid")]
    titles = {"ch3": "Three", "ch4": "Four: amplitudes"}
    md = checks.report_markdown(
        checks.load_records(tmp_path), titles=titles, pages={"ch4": "../notebooks/04.md"}, stored=stored
    )
    assert "| 1. Three | 0 of 0 | no checks; 1 stored (book) |" in md
    assert "| [2. Four](../notebooks/04.md) | 1 of 1 | smoke; 2 stored (book) |" in md
    assert "`book` is the published book's size" in md and "`smoke` is the CI size" in md
    section = md.split("## Stored results of the long experiments", 1)[1].split("\n## ", 1)[0]
    items = [line for line in section.splitlines() if line.startswith("- ")]
    assert [i.split("**")[1] for i in items] == ["grid", "escape_n_scan", "escape_c_scan"]  # book order
    assert items[1] == (
        "- **escape_n_scan** ([chapter 2](../notebooks/04.md)): escape time against N. Profile `book`, 14 cells, "
        "23 min on AMD EPYC (2 cores, torch AVX512) (a CPU, so at reduced size); 2026-12-04, commit `abc123`; "
        "current: the code it depends on is unchanged."
    )
    assert "**stale**: the code it depends on changed since (rerun `python3 tasks.py reproduce escape_c_scan " in md
    assert "## 1. Three" not in md and "## 2. Four: amplitudes" in md  # a chapter section only with checks


def test_stored_results_are_read_with_their_staleness(tmp_path):
    import shutil

    from lofi_utils.reproduce.core import DEFAULT_RESULTS, stored_results

    real = stored_results()
    assert {r.data["experiment"] for r in real} >= {"escape_n_scan", "emergence_grid", "layer_width_sweep"}
    src = DEFAULT_RESULTS / "layerwise" / "layer_width_sweep.json"
    (tmp_path / "layerwise").mkdir()
    data = json.loads(src.read_text())
    data["code_hash"] = "0000"
    (tmp_path / "layerwise" / src.name).write_text(json.dumps(data))
    shutil.copy(DEFAULT_RESULTS / "neural_lofi" / "emergence_grid.json", tmp_path / "emergence_grid.json")  # misplaced
    (one,) = stored_results(tmp_path)  # no warning: the report states the staleness itself
    assert one.stale and one.data["experiment"] == "layer_width_sweep"


# --------------------------------------------------------------------------- bad input: one clear line
BAD_CALLS = [
    (dict(measured=[], expected=1.0, relation="<="), "must not be empty .*vacuously"),
    (dict(measured=1.0, expected=[], relation=">"), "must not be empty"),
    (dict(measured=float("nan"), relation="true"), r"relation 'true' needs a boolean measurement .*got nan"),
    (dict(measured=0.5, relation="true"), r"relation 'true' needs a boolean measurement .*got 0\.5"),
    (dict(measured=[], relation="true"), "relation 'true' needs a boolean measurement"),
    (dict(measured=1.0, expected=1.0, tol=float("nan")), r"needs a tolerance tol >= 0 \(a finite number\), got nan"),
    (dict(measured=1e9, expected=1.0, tol=float("inf")), r"needs a tolerance .*got inf"),
    (dict(measured=1.0, expected=1.0, tol="0.1", relation="rel"), r"relation 'rel' needs a tolerance .*got '0\.1'"),
    (dict(measured="abc", expected=1.0, tol=0.1), "measured and expected must be numbers or arrays of matching shapes"),
    (dict(measured=[1, 2, 3], expected=[1, 2], tol=0.1), r"matching shapes, got \[1, 2, 3\] and \[1, 2\]"),
    (dict(name="", measured=1.0, expected=1.0, tol=0.1), "name must be a non-empty string"),
]


@pytest.mark.parametrize("kw,match", BAD_CALLS)
def test_malformed_checks_raise_one_clear_line_and_record_nothing(kw, match):
    n = len(checks.RECORDS)
    with pytest.raises(ValueError, match=match) as err:
        check(**{"name": "bad", "claim": "c", "quiet": True, **kw})
    assert "\n" not in str(err.value) and len(checks.RECORDS) == n


# --------------------------------------------------------------------------- the relations at their boundaries
@pytest.mark.parametrize(
    "relation,measured,expected,tol,passes",
    [
        ("<", 1.0, 1.0, None, False),
        ("<", 0.999, 1.0, None, True),
        ("<=", 1.0, 1.0, None, True),
        ("<=", 1.001, 1.0, None, False),
        (">", 1.0, 1.0, None, False),
        (">", 1.001, 1.0, None, True),
        (">=", 1.0, 1.0, None, True),
        (">=", 0.999, 1.0, None, False),
        ("==", [2, 3], [2, 3], None, True),
        ("==", [2, 3], [2, 4], None, False),
        ("close", 1.5, 1.0, 0.5, True),
        ("close", 0.5, 1.0, 0.5, True),
        ("close", 1.5 + 1e-12, 1.0, 0.5, False),
        ("rel", 12.0, 8.0, 0.5, True),
        ("rel", 4.0, 8.0, 0.5, True),
        ("rel", 12.0 + 1e-12, 8.0, 0.5, False),
        ("rel", -12.0, -8.0, 0.5, True),  # the tolerance scales with |expected|
        ("<", [0.5, 1.0], 1.0, None, False),
        (">=", [1.0, 2.0], [1.0, 1.0], None, True),  # every element must hold
    ],
)
def test_relations_hold_exactly_at_their_boundaries(relation, measured, expected, tol, passes):
    """Strict relations fail at equality, non-strict ones and the tolerance bands (|m - e| <= tol, <= tol |e|)
    include it: the values are exact in binary, so a '<' evaluated as '<=' (or a band made strict) fails here."""
    if passes:
        assert check("boundary", measured, expected, tol=tol, relation=relation, claim="c", quiet=True).passed
    else:
        with pytest.raises(CheckFailed):
            check("boundary", measured, expected, tol=tol, relation=relation, claim="c", quiet=True)


def test_compare_records_finds_changes_flips_and_missing_checks(tmp_path):
    from lofi_utils.checks import CheckRecord, compare_records

    def rec(name, measured, passed=True):
        return CheckRecord(
            chapter="c",
            name=name,
            claim="",
            measured=measured,
            expected=0,
            relation="<=",
            tol=None,
            passed=passed,
            profile="smoke",
        )

    a = {"c": [rec("x", 1.0), rec("y", [1, 2]), rec("y", 3), rec("z", float("nan")), rec("gone", 1)]}
    same = compare_records(a, a)
    assert len(same) == 1 and same[0].identical and "all identical" in same[0].describe()
    b = {
        "c": [rec("x", 1.0 + 1e-12), rec("y", [1, 2]), rec("y", 3, passed=False), rec("z", float("nan")), rec("new", 1)]
    }
    (d,) = compare_records(a, b)
    assert not d.identical
    assert [c[0] for c in d.changed] == ["x"] and d.changed[0][3] == pytest.approx(1e-12, rel=1e-3)
    assert d.flipped == ["y"] and d.only_a == ["gone"] and d.only_b == ["new"]
    assert "FLIPPED: y" in d.describe()
    (e,) = compare_records({"c": [rec("s", "abc")]}, {"c": [rec("s", "abd")]})
    assert e.changed[0][3] == float("inf")


def test_records_command(tmp_path):
    import json
    import subprocess
    import sys

    from conftest import ROOT

    rec = dict(
        chapter="c", name="x", claim="", measured=1.0, expected=0, relation="<=", tol=None, passed=True, profile="smoke"
    )
    for name, value in (("a", 1.0), ("b", 1.0), ("c", 2.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "c.jsonl").write_text(json.dumps(dict(rec, measured=value)) + "\n")

    def run(x, y):
        return subprocess.run(
            [sys.executable, "-m", "lofi_utils", "records", str(tmp_path / x), str(tmp_path / y)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    assert run("a", "b").returncode == 0 and "all identical" in run("a", "b").stdout
    diff = run("a", "c")
    assert diff.returncode == 1 and "x: 1 -> 2" in diff.stdout
    (tmp_path / "empty").mkdir()
    bad = run("a", "empty")
    assert bad.returncode == 2 and "no check records" in bad.stderr and bad.stderr.count("\n") == 1


CHAPTER_PAGE = """# A chapter

```{code-cell} ipython3
check("setup", 1, 1, tol=0, claim="c")
```

## 1. First: $k^{-d}$ decay

```{code-cell} ipython3
---
mystnb:
  figure:
    name: fig-x
tags: [hide-input]
---
check("slope", s, -3, tol=0.1, claim="c")
for d in (2, 3):
    check(f"order at d={d}", True, relation="true", claim="c")
```

### Exercise

```{code-cell} ipython3
:tags: [hide-input]
check("in an exercise", 1, 1, tol=0, claim="c")
```

## 2. Second – the end

### At scale

```{code-cell} ipython3
check(name_from_a_loop, 1, 1, tol=0, claim="c")
check("slope", t, -3, tol=0.1, claim="c")
```

## Exercise
"""


def test_each_check_is_placed_in_its_section():
    secs = [(s.anchor if s else None, len(p)) for s, p in checks.check_sections(CHAPTER_PAGE)]
    assert secs == [(None, 1), ("1-first--decay", 2), ("1-first--decay", 1), ("at-scale", 2)]
    rec = lambda name: checks.CheckRecord("ch", name, "c", 1, 1, "close", 0.0, True, "smoke")  # noqa: E731
    names = ["setup", "slope", "order at d=2", "order at d=3", "in an exercise", "computed", "slope", "stray"]
    got = checks.assign_sections([rec(n) for n in names], CHAPTER_PAGE)
    anchors = [s.anchor if s else None for s in got]
    # the second "slope" is the one after the first (page order); a computed name falls to the wildcard
    assert anchors == [
        None,
        "1-first--decay",
        "1-first--decay",
        "1-first--decay",
        "1-first--decay",
        "at-scale",
        "at-scale",
        "at-scale",
    ]
    assert got[1].title == "1. First: $k^{-d}$ decay" and got[-1].level == 3
    md = checks.report_markdown(
        {"ch": [rec(n) for n in names[:3]]},
        titles={"ch": "Ch"},
        pages={"ch": "../notebooks/ch.md"},
        sections={"ch": got[:3]},
    )
    body = md.split("## 1. Ch", 1)[1]
    assert body.count("**[1. First: $k^{-d}$ decay](../notebooks/ch.md#1-first--decay)**") == 1
    assert body.index("**setup**") < body.index("1-first--decay") < body.index("**slope**")
    with pytest.raises(ValueError, match="2 sections for 3 records"):
        checks.report_markdown({"ch": [rec(n) for n in names[:3]]}, sections={"ch": got[:2]})
