"""The whole book builds with warnings as errors at the smoke profile, in both editions."""

import json
import re

import pytest

from conftest import ROOT

CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.md"))


@pytest.mark.build
def test_book_builds_strictly_at_smoke(smoke_book):
    pages = ["index.html", "book/preface.html", "book/setup.html", "book/teaching.html",
             "reproduction/report.html"] + [f"notebooks/{c}.html" for c in CHAPTERS]
    for page in pages:
        assert (smoke_book / page).exists(), f"{page} missing from the built book"
    for c in CHAPTERS:
        html = (smoke_book / "notebooks" / f"{c}.html").read_text()
        figures = re.findall(r'<img[^>]+src="\.\./_images/[^"]+\.png"', html)
        assert len(figures) >= 3, f"{c}: the chapter page has {len(figures)} figures"
        assert f'href="{c}.ipynb"' in html, f"{c}: no download link"
        nb = json.loads((smoke_book / "notebooks" / f"{c}.ipynb").read_text())
        assert any("{solution-start}" in "".join(cell["source"]) for cell in nb["cells"])
    assert (smoke_book / "_static" / "mathjax" / "tex-chtml.js").exists(), "MathJax is not served locally"


@pytest.mark.build
def test_reproduction_report_lists_every_check(smoke_book):
    records = {}
    for f in (smoke_book.parents[2] / "checks").glob("*.jsonl"):
        records[f.stem] = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    assert len(records) == len(CHAPTERS), f"check records for {sorted(records)}, chapters {CHAPTERS}"
    total = sum(len(v) for v in records.values())
    assert total >= 10 * len(CHAPTERS)
    assert all(r["passed"] and r["profile"] == "smoke" for v in records.values() for r in v)
    report = (smoke_book / "reproduction" / "report.html").read_text()
    assert f"{total} of {total} checks pass" in report
    assert report.count("<table") == len(CHAPTERS)


@pytest.mark.build
def test_student_edition_hides_solutions(smoke_book, student_book):
    for c in CHAPTERS:
        full = (smoke_book / "notebooks" / f"{c}.html").read_text()
        student = (student_book / "notebooks" / f"{c}.html").read_text()
        assert "solution" in full and "Solution to" in full
        assert "Solution to" not in student and "solution-content" not in student
        assert student.count("exercise admonition") == full.count("exercise admonition") > 0
        nb = json.loads((student_book / "notebooks" / f"{c}.ipynb").read_text())
        assert not any("{solution-start}" in "".join(cell["source"]) for cell in nb["cells"])
    assert "student edition" in (student_book / "book" / "preface.html").read_text()
