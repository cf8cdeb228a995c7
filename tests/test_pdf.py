"""The book as one PDF (``python3 tasks.py pdf``, published next to the HTML; issue 15, item 9).

The smoke builds of both editions are printed by headless Chromium as the deploy workflow prints the
published ones (about 45 s an edition here). Needs Debian's ``chromium``: without it the build tests
are skipped, unless ``LOFI_REQUIRE_BROWSER=1`` (as in CI), when they fail.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pytest
from conftest import ROOT

from lofi_utils import book_pdf

CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.md"))


def _key(text: str) -> str:
    """Letters and digits only, ligatures (ﬁ) spelt out: PDF text extraction breaks lines and drops spaces."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


@functools.cache
def _read(path):
    """``(reader, the text of each page)`` of a PDF, read once per session."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return reader, [page.extract_text() or "" for page in reader.pages]


def _bookmarks(reader) -> list[tuple[int, str, int]]:
    """``(depth, title, page index)`` of every bookmark, in order."""
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


@pytest.mark.build
def test_pdf_of_the_book(smoke_book, smoke_pdf):
    reader, texts = _read(smoke_pdf)
    pages = book_pdf.toc_pages(ROOT / "_toc.yml")
    assert len(reader.pages) >= 100, f"the smoke PDF has only {len(reader.pages)} pages"
    assert reader.metadata.title == "Spectral Bias & Feature Learning"
    assert reader.pages[0].mediabox.width < 600, "not A4 (the print stylesheet _static/print.css is not applied)"

    # one bookmark per part of _toc.yml and per page, in the book's order, on the page that shows its title
    marks = _bookmarks(reader)
    top = [(t, p) for d, t, p in marks if d == 0]
    parts = list(dict.fromkeys(p.part for p in pages if p.part))
    assert [t for t, _ in top] == [book_pdf.page_title(smoke_book / pages[0].html), *parts], top
    firsts = []
    for page in pages:
        title = book_pdf.page_title(smoke_book / page.html)
        hits = [p for d, t, p in marks if t == title and d == (1 if page.part else 0)]
        assert hits, f"no bookmark for {page.docname} ({title!r})"
        assert _key(title) in _key(texts[hits[0]]), f"{title!r} is not on page {hits[0] + 1}, its bookmark's"
        firsts.append(hits[0])
    assert firsts == sorted(firsts), "the pages are not in the order of _toc.yml"
    # under each chapter, a bookmark per numbered section with its full title (math as TeX, no doubled words)
    for c in CHAPTERS:
        md = (ROOT / "notebooks" / f"{c}.md").read_text(encoding="utf-8")
        title = re.search(r"^# (.+)$", md, re.M).group(1)
        assert _key(title) in _key("".join(texts)), f"{c}: the chapter's title is not in the PDF's text"
        sections = [re.sub(r"\$([^$]*)\$", r"\1", s).strip() for s in re.findall(r"^## (\d+\..+)$", md, re.M)]
        start = next(i for i, (d, t, _) in enumerate(marks) if t == title)
        end = next((i for i in range(start + 1, len(marks)) if marks[i][0] < 2), len(marks))
        below = [t for d, t, _ in marks[start + 1 : end] if d == 2]
        missing = [s for s in sections if s not in below]
        assert sections and not missing, f"{c}: sections without a bookmark: {missing}; bookmarks: {below}"

    # math rendered (no TeX source left), links inside the book kept inside the PDF, none to the print server
    text = "\n".join(texts)
    assert not re.search(r"\\\(|\\\[|\\begin\{|\$\$", text), "unrendered math in the PDF"
    inside, to_localhost = 0, []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            inside += "/Dest" in annot
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if "127.0.0.1" in uri or "localhost" in uri:
                to_localhost.append(uri)
    assert not to_localhost, f"links to the print server: {to_localhost[:5]}"
    assert inside >= 4 * len(CHAPTERS), f"only {inside} links within the PDF"
    # a cross-reference to a section of another page leads to that section's page ({ref}`math-gaussian`)
    gaussian = next(p for d, t, p in marks if t.startswith("Gaussian integrals"))
    math_start = next(p for d, t, p in marks if t == book_pdf.page_title(smoke_book / "book" / "math.html"))
    dests = {
        reader.get_page_number(dest[0].get_object())
        for page in reader.pages[:math_start]
        for annot in page.get("/Annots") or []
        if isinstance(dest := annot.get_object().get("/Dest"), list)  # not the names of Chromium's in-page links
    }
    assert gaussian in dests and gaussian != math_start, (gaussian, math_start, sorted(dests))

    # the landing page links the PDF where it is published, next to the pages
    preface = (smoke_book / "book" / "preface.html").read_text(encoding="utf-8")
    assert re.search(r'<a href="\.\./book\.pdf"[^>]*>Download the book as PDF</a>', preface)
    assert (smoke_book / "book.pdf").is_file()


@pytest.mark.build
def test_student_pdf_has_no_solution(smoke_book, smoke_pdf, student_book, student_pdf):
    """Every worked solution is in the full edition's PDF (so the detector works on PDF text), and none in
    the student edition's."""
    from lofi_utils.editions import SolutionFingerprints

    fp = SolutionFingerprints.from_book(
        ROOT, smoke_book.parent / "jupyter_execute", cache=smoke_book.parents[2] / "jupyter_cache"
    )
    full = fp.find("\n".join(_read(smoke_pdf)[1]))
    assert set(full) == set(fp.names), f"solutions not found in the full PDF: {sorted(set(fp.names) - set(full))}"
    reader, texts = _read(student_pdf)
    assert reader.metadata.title.endswith("student edition")
    leaks = fp.find("\n".join(texts))
    assert not leaks, f"the student PDF holds {len(leaks)} solution(s): {leaks}"
    assert (student_book / "book.pdf").is_file()


def test_headings_and_links_helpers(tmp_path):
    """The parts that need no browser: the book's order, headings as bookmark titles, the published address."""
    pages = book_pdf.toc_pages(ROOT / "_toc.yml")
    names = [p.docname for p in pages]
    assert names[0] == "book/preface" and pages[0].part is None
    chapters = [n for n in names if n.startswith("notebooks/")]
    assert chapters == [f"notebooks/{c}" for c in CHAPTERS], "the chapters are not in _toc.yml in their order"
    assert names.index("book/math") < names.index(chapters[0]) < names.index("reproduction/report")

    html = (
        '<div id="jb-print-docs-body"><h1>Printed title</h1></div><article class="bd-article">'
        '<section class="x" id="the-page"><h1>The page<a class="headerlink" href="#p">#</a></h1>'
        '<p id="para">text</p><span id="label-d"></span><section id="decay">'
        '<h2>4. Decay: <span class="math notranslate nohighlight">\\(k^{-d}\\)</span>, and odd &amp; even'
        '<a class="headerlink" href="#d">#</a></h2></section></section></article>'
    )
    assert book_pdf.html_headings(html) == [
        ("The page", "thepage", ("the-page",)),
        ("4. Decay: k^{-d}, and odd & even", "4decayandoddeven", ("label-d", "decay")),
    ]
    (tmp_path / "p.html").write_text("<title>Setup: running it &#8212; Book &#8212; student edition</title>")
    assert book_pdf.page_title(tmp_path / "p.html") == "Setup: running it"

    assert book_pdf.site_url("https://github.com/Owner/my-book") == "https://owner.github.io/my-book/"
    assert book_pdf.site_url("https://github.com/o/b/", "student") == "https://o.github.io/b/student/"
    assert book_pdf.site_url("https://gitlab.com/o/b") is None

    with pytest.raises(book_pdf.PdfError, match="no built book at"):
        book_pdf.build_pdf(tmp_path, tmp_path / "book.pdf", toc=ROOT / "_toc.yml")


def test_deploy_publishes_each_edition_with_its_pdf():
    """The deploy workflow prints each edition after building it and before publishing it: the PDF lies at
    ``book.pdf`` (``student/book.pdf``) next to the pages, where the landing page's link points."""
    workflow = (ROOT / ".github" / "workflows" / "deploy-book.yml").read_text()
    steps = [
        "python3 tasks.py build\n",
        "python3 tasks.py pdf\n",
        "python3 tasks.py build --edition student\n",
        "python3 tasks.py pdf --edition student\n",
        "cp -r _build/student/_build/html _build/html/student",
        "publish_dir: ./_build/html",
    ]
    places = [workflow.find(s) for s in steps]
    assert -1 not in places and places == sorted(places), dict(zip(steps, places, strict=True))
    assert '<a href="../book.pdf"' in (ROOT / "book" / "preface.md").read_text()
