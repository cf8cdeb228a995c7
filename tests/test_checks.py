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
