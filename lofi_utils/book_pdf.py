"""The book as one PDF, printed from its built HTML by headless Chromium (``python3 tasks.py pdf``).

Each page of ``_toc.yml`` is printed in the book's order (the landing page, the mathematical background,
the four chapters, the appendices, the pages on running and teaching the book) from a loopback server,
with MathJax rendered and the print layout of the book's theme (no sidebars, no header; the page's own
table of contents first). The pages are then merged with ``pypdf`` into one file whose bookmarks follow
the book: one per part of ``_toc.yml``, under it the page, under that its sections (Chromium's outline of
the page's headings). Links between the book's pages become links inside the PDF (to the section they name,
or to the top of the page); links within a page are kept by Chromium; links to the site's other files
(notebooks, this PDF) point to the published site; links elsewhere are left as they are.

Needs Debian's ``chromium`` (or ``chromium-browser``/``google-chrome`` on the ``PATH``, or ``$LOFI_CHROMIUM``).
"""

from __future__ import annotations

import functools
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

#: Flags for headless Chromium on a machine with no display, no sandbox for root and no network
#: (the same as the real-browser test's).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: Printing: no date/URL header and footer, the headings as the PDF's outline, and time for MathJax.
PRINT_FLAGS = ("--no-pdf-header-footer", "--generate-pdf-document-outline", "--virtual-time-budget=20000")


class PdfError(RuntimeError):
    """What is missing to make the PDF (one line)."""


@dataclass(frozen=True)
class Page:
    """One page of the book: its document name (``notebooks/01_spectral_bias``) and the caption of its part
    in ``_toc.yml`` (``None`` for the landing page)."""

    docname: str
    part: str | None

    @property
    def html(self) -> str:
        """The page's file in the built site, relative to its ``_build/html`` folder."""
        return f"{self.docname}.html"


def find_chromium() -> str | None:
    """``$LOFI_CHROMIUM``, else the first of chromium, chromium-browser, google-chrome on the ``PATH``."""
    if os.environ.get("LOFI_CHROMIUM"):
        return os.environ["LOFI_CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def toc_pages(toc: str | os.PathLike[str]) -> list[Page]:
    """The pages of a ``jb-book`` table of contents in reading order, each with the caption of its part."""
    import yaml

    data = yaml.safe_load(Path(toc).read_text(encoding="utf-8"))
    pages = [Page(_docname(data["root"]), None)]

    def walk(entries, part):
        for entry in entries or []:
            if "file" in entry:
                pages.append(Page(_docname(entry["file"]), part))
            walk(entry.get("sections"), part)

    for part in data.get("parts", []):
        walk(part.get("chapters"), part.get("caption"))
    walk(data.get("chapters"), None)
    return pages


def _docname(file: str) -> str:
    return re.sub(r"\.(md|ipynb|rst)$", "", file)


def page_title(html_file: Path) -> str:
    """The page's title as the browser tab shows it, without the book's title after the dash."""
    text = html_file.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<title>(.*?)</title>", text, re.S)
    title = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else html_file.stem
    return re.split(r"\s+[—–]\s+", title)[0].strip() or html_file.stem


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port for as long as the ``with`` block runs; yields its URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def print_page(browser: str, url: str, out: Path, *, timeout: float = 180) -> None:
    """Print ``url`` to ``out`` with headless Chromium (a new empty profile each time)."""
    with tempfile.TemporaryDirectory(prefix="lofi-chromium-") as profile:
        proc = subprocess.run(
            [browser, *CHROMIUM_FLAGS, *PRINT_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}", url],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if not out.is_file() or out.stat().st_size == 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise PdfError(f"chromium printed nothing for {url} (exit code {proc.returncode}): {tail}")


def build_pdf(
    html_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    toc: str | os.PathLike[str],
    site: str | None = None,
    title: str | None = None,
    author: str | None = None,
    browser: str | None = None,
    log: Callable[[str], None] = lambda msg: None,
) -> Path:
    """Print every page of ``toc`` from the built site ``html_dir`` and merge them into ``out``; returns ``out``.
    ``site``: the URL where the site is published, for links to its files that are not pages (see :func:`merge`).

    Raises :class:`PdfError` (one line) when the site, a page of it, Chromium or ``pypdf`` is missing."""
    html_dir, out = Path(html_dir), Path(out)
    if not (html_dir / "index.html").is_file():
        raise PdfError(f"no built book at {html_dir} (index.html is missing); build the HTML first")
    pages = toc_pages(toc)
    missing = [p.html for p in pages if not (html_dir / p.html).is_file()]
    if missing:
        raise PdfError(f"the build at {html_dir} lacks {', '.join(missing)}; build the HTML again")
    browser = browser or find_chromium()
    if browser is None:
        raise PdfError("chromium is not installed (apt-get install chromium), or set $LOFI_CHROMIUM")
    try:
        import pypdf  # noqa: F401
    except ImportError:
        raise PdfError("pypdf is not installed; run: python3 tasks.py setup") from None

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lofi-pdf-") as tmp, serve(html_dir) as url:
        parts = []
        for i, page in enumerate(pages):
            t0 = time.perf_counter()
            pdf = Path(tmp) / f"{i:02d}.pdf"
            print_page(browser, f"{url}/{page.html}", pdf)
            parts.append(pdf)
            log(f"printed {page.html} in {time.perf_counter() - t0:.0f} s")
        merge(pages, parts, out, html_dir=html_dir, base_url=url, site_url=site, title=title, author=author)
    return out


def merge(
    pages: list[Page],
    pdfs: list[Path],
    out: Path,
    *,
    html_dir: Path,
    base_url: str,
    site_url: str | None = None,
    title: str | None = None,
    author: str | None = None,
) -> None:
    """Merge the printed pages into ``out``: bookmarks per part and page (with the page's own outline
    below); links to the book's pages (printed from ``base_url``) become links inside the PDF, links to
    its other files (notebooks, sources, this PDF) point to ``site_url``, the published site, or are
    dropped without one."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    first_page: dict[str, int] = {}
    anchors: dict[tuple[str, str], tuple[int, float | None]] = {}
    parents: dict[str, object] = {}
    for page, pdf in zip(pages, pdfs, strict=True):
        start = len(writer.pages)
        first_page[page.docname] = start
        writer.append(str(pdf), import_outline=False)
        name = page_title(html_dir / page.html)
        parent = None
        if page.part:
            if page.part not in parents:
                parents[page.part] = writer.add_outline_item(title=page.part, page_number=start)
            parent = parents[page.part]
        # the page's bookmark, with Chromium's outline of its headings below it
        item = writer.add_outline_item(title=name, page_number=start, parent=parent)
        headings = html_headings((html_dir / page.html).read_text(encoding="utf-8", errors="replace"))
        targets = _copy_outline(writer, pdf, item, start, headings, skip=name)
        anchors.update({(page.docname, target): where for target, where in targets.items()})

    _relink(writer, first_page, anchors, base_url, site_url, root=pages[0].docname)
    writer.page_mode = "/UseOutlines"
    meta = {"/Producer": "pypdf, from the HTML printed by Chromium"}
    if title:
        meta["/Title"] = title
    if author:
        meta["/Author"] = author
    writer.add_metadata(meta)
    with open(out, "wb") as f:
        writer.write(f)


def _relink(
    writer, first_page: dict[str, int], anchors: dict, base_url: str, site_url: str | None, *, root: str
) -> None:
    """Rewrite the links that point to the loopback server the pages were printed from (see :func:`merge`): to a
    section of another page where its heading is known (``anchors``: ``{(docname, id): (page, height)}``), else
    to the top of that page."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NullObject, TextStringObject

    prefix = base_url.rstrip("/") + "/"
    for page in writer.pages:
        annots = page.get("/Annots")
        if annots is None:
            continue
        annots = annots.get_object()
        for ref in list(annots):
            annot = ref.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if not uri.startswith(prefix):
                continue
            rel = uri[len(prefix) :]
            path = unquote(urlsplit(rel).path)
            docname = re.sub(r"\.html$", "", path) if path.endswith(".html") else None
            if docname in ("index", ""):
                docname = root
            if docname in first_page:
                number, top = anchors.get((docname, urlsplit(rel).fragment), (first_page[docname], None))
                del annot[NameObject("/A")]
                target = writer.pages[number].indirect_reference
                height = NullObject() if top is None else FloatObject(top)
                annot[NameObject("/Dest")] = ArrayObject(
                    [target, NameObject("/XYZ"), NullObject(), height, FloatObject(0)]
                )
            elif site_url:
                action.get_object()[NameObject("/URI")] = TextStringObject(site_url.rstrip("/") + "/" + rel)
            else:
                annots.remove(ref)


def site_url(repository_url: str | None, edition: str = "full") -> str | None:
    """Where GitHub Pages publishes ``edition`` of the book of ``repository_url`` (https://github.com/OWNER/NAME):
    ``https://OWNER.github.io/NAME/`` plus the edition's folder (:data:`lofi_utils.editions.PUBLISHED_AT`)."""
    from .editions import PUBLISHED_AT

    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", repository_url or "")
    if not m:
        return None
    return f"https://{m.group(1).lower()}.github.io/{m.group(2)}/{PUBLISHED_AT[edition]}"


def _copy_outline(
    writer, pdf: Path, parent, offset: int, headings: list[Heading], skip: str = ""
) -> dict[str, tuple[int, float | None]]:
    """Add the outline of ``pdf`` (Chromium's, of the page's headings) below ``parent``, its pages shifted by
    ``offset``. The page's top heading (its title, already ``parent``) and the printed table of contents are
    left out, and so is a heading that repeats the page's title ``skip``. Each title is taken from the page's
    ``headings`` (see :func:`html_headings`) where one matches: Chromium's titles drop the math, lose the space
    at a line break and are partly doubled at a page break. Returns where each heading's ``ids`` lead:
    ``{id: (page index in the merged PDF, height on the page)}``."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    cursor = 0
    targets: dict[str, tuple[int, float | None]] = {}

    def heading_of(item) -> Heading | None:
        nonlocal cursor
        key = _key(item.title)
        half = len(key) // 2
        if key and len(key) % 2 == 0 and key[:half] == key[half:]:
            key = key[:half]
        if key == "contents":
            return None
        # the next heading with this key; else one whose key the title holds, with a part of it doubled
        for match in (lambda h: h == key, lambda h: h and h in key and len(key) < 2 * len(h)):
            for i in range(cursor, len(headings)):
                if match(headings[i].key):
                    cursor = i + 1
                    return headings[i]
        text = " ".join(item.title.split())
        half = len(text) // 2
        return Heading(text[:half] if len(text) % 2 == 0 and text[:half] == text[half:] else text, key, ())

    def add(items, under):
        last = None
        for item in items:
            if isinstance(item, list):
                if last is not None:
                    add(item, last)
                continue
            heading = heading_of(item)
            number = offset + (reader.get_destination_page_number(item) or 0)
            for target in heading.ids if heading else ():
                targets.setdefault(target, (number, item.get("/Top")))
            if heading is None or heading.title == skip:
                last = None
                continue
            last = writer.add_outline_item(title=heading.title, page_number=number, parent=under)

    outline = reader.outline
    # Chromium's outline of a page: its one <h1> with the sections below; put the sections under our bookmark
    if len(outline) == 2 and not isinstance(outline[0], list) and isinstance(outline[1], list):
        outline = outline[1]
    add(outline, parent)
    return targets


_MATH = re.compile(r'<span class="math[^"]*">(.*?)</span>', re.S)
_TARGETS = re.compile(r'(?:<(?:section|span|div)\b[^>]*\bid="[^"]+"[^>]*>\s*(?:</span>\s*)?)+$')


class Heading(NamedTuple):
    """A heading of a built page: ``title`` as plain text with any math as its TeX source, ``key`` its letters
    and digits without the math (what Chromium's outline keeps), ``ids`` the link targets that lead to it."""

    title: str
    key: str
    ids: tuple[str, ...]


def html_headings(text: str) -> list[Heading]:
    """The headings of a built page's article, in order (see :class:`Heading`); a heading's ``ids`` are those
    of the ``<section>`` it opens and of the labels (``<span id=...>``) right before it."""
    body = text.split('<article class="bd-article"', 1)[-1]
    found, last = [], 0
    for m in re.finditer(r"<h([1-6])\b[^>]*>(.*?)</h\1>", body, re.S):
        inner = re.sub(r'<a class="headerlink".*?</a>', "", m.group(2), flags=re.S)
        shown = _MATH.sub(lambda mm: re.sub(r"^\\[(\[]|\\[)\]]$", "", mm.group(1).strip()), inner)
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", shown)).split())
        key = _key(html.unescape(re.sub(r"<[^>]+>", "", _MATH.sub("", inner))))
        before = _TARGETS.search(body[last : m.start()].rstrip())
        ids = tuple(re.findall(r'\bid="([^"]+)"', before.group(0))) if before else ()
        found.append(Heading(title, key, ids))
        last = m.end()
    return found


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def book_pdf(
    html_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] = ".",
    edition: str = "full",
    log: Callable[[str], None] = lambda msg: None,
) -> Path:
    """:func:`build_pdf` for the book at ``root``: its ``_toc.yml``, and from its ``_config.yml`` the title,
    the author and (from the repository's URL) where ``edition`` is published."""
    import yaml

    from .editions import check_edition

    root = Path(root)
    check_edition(edition)
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    title = (config.get("title") or "") + (" — student edition" if edition == "student" else "")
    return build_pdf(
        html_dir,
        out,
        toc=root / "_toc.yml",
        site=site_url((config.get("repository") or {}).get("url"), edition),
        title=title or None,
        author=config.get("author"),
        log=log,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m lofi_utils.book_pdf HTML_DIR OUT [--root BOOK] [--edition full|student]``; one line on error."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m lofi_utils.book_pdf", description=__doc__.splitlines()[0])
    ap.add_argument("html_dir", help="the built site (its _build/html folder)")
    ap.add_argument("out", help="the PDF to write")
    ap.add_argument("--root", default=".", help="the book's sources (_toc.yml, _config.yml); default: .")
    ap.add_argument("--edition", default="full", choices=("full", "student"), help="where it is published")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        out = book_pdf(
            args.html_dir, args.out, root=args.root, edition=args.edition, log=lambda m: print(f"[pdf] {m}", flush=True)
        )
    except PdfError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 1
    from pypdf import PdfReader

    n = len(PdfReader(str(out)).pages)
    size = out.stat().st_size / 2**20
    print(f"[pdf] wrote {out} ({n} pages, {size:.1f} MiB) in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
