"""The whole book builds with warnings as errors at the smoke profile, in both editions."""

import json
import re

import pytest
from conftest import PROGRESS_BAR, ROOT, saved_progress_bars

from lofi_utils import checks
from lofi_utils.plain_markdown import leftover_markup

CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.md"))


@pytest.mark.build
def test_book_builds_strictly_at_smoke(smoke_book):
    pages = ["index.html", "book/preface.html", "book/setup.html", "book/teaching.html", "reproduction/report.html"] + [
        f"notebooks/{c}.html" for c in CHAPTERS
    ]
    for page in pages:
        assert (smoke_book / page).exists(), f"{page} missing from the built book"
    for c in CHAPTERS:
        html = (smoke_book / "notebooks" / f"{c}.html").read_text()
        figures = re.findall(r'<img[^>]+src="\.\./_images/[^"]+\.png"', html)
        assert len(figures) >= 3, f"{c}: the chapter page has {len(figures)} figures"
        assert f'href="{c}.ipynb"' in html, f"{c}: no download link"
        nb = json.loads((smoke_book / "notebooks" / f"{c}.ipynb").read_text())
        assert any("**Solution to Exercise" in "".join(cell["source"]) for cell in nb["cells"])
        assert leftover_markup(nb) == [], f"{c}.ipynb keeps MyST markup that Jupyter shows as text"
        assert "(value computed when you run the notebook)" not in json.dumps(nb), f"{c}: a glued value is missing"
    assert (smoke_book / "_static" / "mathjax" / "tex-chtml.js").exists(), "MathJax is not served locally"
    # no tqdm bar is saved into a page: the executed notebooks and the pages hold none (issue 15, item 5)
    executed = sorted((smoke_book.parent / "jupyter_execute" / "notebooks").glob("*.ipynb"))
    assert len(executed) == len(CHAPTERS), f"executed notebooks: {executed}"
    bars = [f"{p.stem}: {b}" for p in executed for b in saved_progress_bars(json.loads(p.read_text()))]
    bars += [f"{c}.html" for c in CHAPTERS if PROGRESS_BAR.search((smoke_book / "notebooks" / f"{c}.html").read_text())]
    assert not bars, "progress bars saved into the book:\n" + "\n".join(bars)


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
    # one narrow summary table, then the chapters in the book's order (one list of checks each), linked to their
    # pages, and the stored results of the long experiments
    assert report.count("<table") == 1, "the checks are listed, not tabulated (readable on a phone)"
    titles = [re.search(r"^# (.+)$", (ROOT / "notebooks" / f"{c}.md").read_text(), re.M).group(1) for c in CHAPTERS]
    places = [report.find(f"{i}. {t}") for i, t in enumerate(titles, 1)]
    assert -1 not in places and places == sorted(places), f"chapters out of the book's order: {titles}"
    assert all(f'href="../notebooks/{c}.html"' in report for c in CHAPTERS)
    assert "Stored results of the long experiments" in report and "book’s choice" in report
    # the checks come under a link to the section that made them: every numbered section with checks is linked
    for c in CHAPTERS:
        text = (ROOT / "notebooks" / f"{c}.md").read_text()
        with_checks = {sec.anchor for sec, _ in checks.check_sections(text) if sec is not None}
        linked = set(re.findall(rf'href="../notebooks/{c}.html#([^"]+)"', report))
        assert len(with_checks) >= 5 and len(linked) == len(with_checks), f"{c}: sections linked {sorted(linked)}"


@pytest.mark.build
def test_student_edition_hides_solutions(smoke_book, student_book):
    for c in CHAPTERS:
        full = (smoke_book / "notebooks" / f"{c}.html").read_text()
        student = (student_book / "notebooks" / f"{c}.html").read_text()
        assert "solution" in full and "Solution to" in full
        assert "Solution to" not in student and "solution-content" not in student
        assert student.count("exercise admonition") == full.count("exercise admonition") > 0
        nb = json.loads((student_book / "notebooks" / f"{c}.ipynb").read_text())
        assert not any("Solution to" in "".join(cell["source"]) for cell in nb["cells"])
        assert any("**Exercise" in "".join(cell["source"]) for cell in nb["cells"]) and leftover_markup(nb) == []
    assert "student edition" in (student_book / "book" / "preface.html").read_text()


def _hrefs(html: str) -> list[str]:
    import html as _html

    return [_html.unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


@pytest.mark.build
def test_student_edition_leaks_no_solution(smoke_book, student_book):
    """No file a reader can reach from the student edition holds any part of a worked solution: not a
    page, not a file under ``_sources`` (the header's download menu), not a notebook, not a figure,
    not the search index; the Colab link opens the student notebook as published on gh-pages."""
    import yaml

    from lofi_utils import editions

    fp = editions.SolutionFingerprints.from_book(
        ROOT, smoke_book.parent / "jupyter_execute", cache=smoke_book.parents[2] / "jupyter_cache"
    )
    # the detector sees every solution where the full edition shows it: text, code, outputs, figures
    for c in CHAPTERS:
        names = {n for n in fp.names if n.startswith(f"{c}: ")}
        assert len(names) >= 2, f"{c}: {sorted(names)}"
        assert all(sum(v == n for v in fp.ngrams.values()) >= 20 for n in names), f"{c}: too little to find"
        page = fp.find_file(smoke_book / "notebooks" / f"{c}.html")
        assert names <= set(page), f"{c}: the full edition's page shows only {sorted(page)}"
        nb = fp.find_file(smoke_book / "notebooks" / f"{c}.ipynb")
        assert names <= set(nb), f"{c}: the full edition's notebook has only {sorted(nb)}"
    assert fp.images, "no solution draws a figure: the figure check would test nothing"
    assert any("a figure of the solution" in h for h in fp.scan(smoke_book / "_images"))

    leaks = fp.scan(student_book)
    assert not leaks, f"the student edition leaks {len(leaks)} solution(s):\n" + "\n".join(leaks[:25])

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    for c in CHAPTERS:
        page = (student_book / "notebooks" / f"{c}.html").read_text()
        hrefs = _hrefs(page)
        colab = editions.colab_url(repo, c, edition="student")
        assert colab in hrefs, f"{c}: no link to {colab}"
        published = colab.split("/blob/gh-pages/", 1)[1]
        prefix = editions.PUBLISHED_AT["student"]
        assert published.startswith(prefix), published
        target = student_book / published[len(prefix) :]
        assert target.is_file(), f"{c}: the Colab link's notebook {published} is not in the student edition"
        # every download offered by the page exists (and was scanned above)
        local = [h for h in hrefs if h.endswith((".ipynb", ".md")) and "://" not in h]
        assert f"{c}.ipynb" in local and f"../_sources/notebooks/{c}.md" in local, local
        assert f"../_sources/notebooks/{c}.ipynb" in local, f"{c}: the header offers no .ipynb"
        for h in local:
            assert (student_book / "notebooks" / h).resolve().is_file(), f"{c}: {h} is missing"
        src_nb = json.loads((student_book / "_sources" / "notebooks" / f"{c}.ipynb").read_text())
        assert any(cell.get("outputs") for cell in src_nb["cells"]), f"{c}: the header's .ipynb has no outputs"
        # no link into the repository's sources with the solutions (Binder, the repository button)
        assert not [h for h in hrefs if "mybinder.org" in h], f"{c}: links to Binder"
        assert not [h for h in hrefs if h.rstrip("/") == repo or h.startswith(repo + "/blob")], (
            f"{c}: links to the repository"
        )


@pytest.mark.build
def test_student_edition_built_over_the_full_one(smoke_book, student_book, tmp_path):
    """Building the student edition into a folder that holds the full edition reads every page again
    (the edition is a Sphinx "env" config value), so no solution survives from the full edition's doctrees."""
    import shutil

    from conftest import build_book

    from lofi_utils import editions

    base = smoke_book.parents[2]
    shutil.copytree(base / "full", tmp_path / "out", symlinks=True)
    proc = build_book(tmp_path / "out", edition="student", cache=base / "jupyter_cache")
    assert proc.returncode == 0, f"student build over the full one failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    html = tmp_path / "out" / "_build" / "html"
    fp = editions.SolutionFingerprints.from_book(
        ROOT, smoke_book.parent / "jupyter_execute", cache=base / "jupyter_cache"
    )
    assert fp.scan(html) == []
    assert "student edition" in (html / "book" / "preface.html").read_text()
