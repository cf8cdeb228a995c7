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


def test_report_tables_list_every_check(tmp_path, monkeypatch):
    monkeypatch.setenv("LOFI_CHECKS_DIR", str(tmp_path))
    checks.set_context(chapter="ch_a", profile="smoke", fresh=True)
    check("slope | d=3", -2.98, -3.0, tol=0.1, claim="mu_k ~ k^-d", source="bietti2021deep", quiet=True)
    check("order", True, relation="true", claim="low first", quiet=True)
    with pytest.raises(CheckFailed):
        check("ratio", 3.0, 10.0, relation=">=", claim="t6/t1 large", quiet=True)
    md = checks.report_markdown(checks.load_records(tmp_path), titles={"ch_a": "Chapter A"})
    assert md.startswith("**2 of 3 checks pass**")
    assert "## Chapter A" in md and "2 of 3 checks pass (profile smoke)" in md
    assert "| slope \\| d=3 | mu_k ~ k^-d | -3 ± 0.1 | -2.98 | pass | {cite}`bietti2021deep` |" in md
    assert "| ratio | t6/t1 large | >= 10 | 3 | **FAIL** |  |" in md
    assert checks.load_records(tmp_path / "missing") == {}


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
