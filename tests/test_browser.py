"""The built HTML in a real browser: headless Chromium walks every page over a loopback server.

Fails on unrendered math, images whose file is missing, internal links to missing files (the book's PDF,
``book.pdf``, is printed first, as the deploy workflow does, so the landing page's link to it is checked),
JavaScript errors in the console, and a saved progress bar (a ``tqdm`` bar's text, as the page shows it).
Saves screenshots of the preface and of each chapter to
``_build/test-artifacts/``. Needs Debian's ``chromium`` (``.ci/run`` installs it); without it the test
is skipped, unless ``LOFI_REQUIRE_BROWSER=1`` (as in CI), when it fails.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from html import unescape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import PROGRESS_BAR, ROOT

from lofi_utils.book_pdf import CHROMIUM_FLAGS

ARTIFACTS = ROOT / "_build" / "test-artifacts"
FLAGS = [*CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=0"]  # the PDF printer's flags, plus the console log
CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(.*)\", source: (\S*)")
JS_ERROR = re.compile(r"Uncaught|TypeError|ReferenceError|SyntaxError|RangeError|Failed to load")
UNRENDERED = re.compile(r'class="math notranslate nohighlight">(?!\s*<mjx-container)')


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102
        pass


@pytest.fixture(scope="module")
def server(smoke_book):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(smoke_book)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _run(browser: str, url: str, *extra: str) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *extra, url], capture_output=True, text=True, timeout=120
        )
    return proc.stdout, proc.stderr


def _local_targets(html: str, page: Path, root: Path, pattern: str) -> list[str]:
    """Targets of ``pattern`` (href/src attributes) that are local files missing from the build."""
    missing = []
    for ref in re.findall(pattern, html):
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or ref.startswith(("#", "mailto:", "javascript:", "data:")):
            continue
        path = unquote(parts.path)
        if not path:
            continue
        target = (page.parent / path).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists() or root.resolve() not in target.parents:
            missing.append(ref)
    return missing


def _progress_bar(dom: str) -> str | None:
    """The text of a ``tqdm`` bar that the page shows (its stderr text, or its widget's labels), if any."""
    found = PROGRESS_BAR.search(unescape(re.sub(r"<[^>]+>", " ", dom)))
    return found.group(0) if found else None


@pytest.mark.build
def test_every_page_renders_in_chromium(smoke_book, server, request):
    browser = _chromium()
    if browser is None:
        if os.environ.get("LOFI_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (LOFI_REQUIRE_BROWSER=1); apt-get install chromium")
        pytest.skip("chromium is not installed; the browser test runs in CI")
    # the PDF lies next to the pages, as published, so that the landing page's link to it is checked too
    request.getfixturevalue("smoke_pdf")
    t0 = time.perf_counter()
    pages = sorted(
        p
        for p in smoke_book.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(smoke_book).parts)
    )
    problems: list[str] = []
    math_pages = 0
    for page in pages:
        rel = page.relative_to(smoke_book).as_posix()
        static = page.read_text(encoding="utf-8")
        dom, log = _run(browser, f"{server}/{rel}", "--virtual-time-budget=15000", "--dump-dom")
        if not dom.strip():
            problems.append(f"{rel}: the browser returned an empty page")
            continue
        for msg, src in CONSOLE.findall(log):
            if JS_ERROR.search(msg):
                problems.append(f"{rel}: JavaScript console error: {msg} ({src})")
        if 'class="math notranslate nohighlight"' in static:
            math_pages += 1
            n_bad = len(UNRENDERED.findall(dom))
            if n_bad or "<mjx-container" not in dom:
                problems.append(f"{rel}: {n_bad} formula(s) not rendered by MathJax")
        if bar := _progress_bar(dom):
            problems.append(f"{rel}: a saved progress bar ({bar!r})")
        for ref in _local_targets(dom, page, smoke_book, r'<img[^>]+src="([^"]+)"'):
            problems.append(f"{rel}: missing image {ref}")
        for ref in _local_targets(static, page, smoke_book, r'<a[^>]+href="([^"]+)"'):
            problems.append(f"{rel}: broken internal link {ref}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {"preface": "book/preface.html"}
    shots.update({p.stem: f"notebooks/{p.name}" for p in sorted((smoke_book / "notebooks").glob("*.html"))})
    for name, rel in shots.items():
        _run(
            browser,
            f"{server}/{rel}",
            "--virtual-time-budget=15000",
            "--window-size=1280,2400",
            f"--screenshot={ARTIFACTS / f'{name}.png'}",
        )
        if not (ARTIFACTS / f"{name}.png").exists():
            problems.append(f"{rel}: no screenshot was written")
    print(
        f"browser test: {len(pages)} pages ({math_pages} with math) in {time.perf_counter() - t0:.0f} s; "
        f"screenshots in {ARTIFACTS}"
    )
    assert len(pages) >= 8 and math_pages >= 2
    assert not problems, "\n".join(problems)


def test_detectors_catch_what_they_should(tmp_path):
    rendered = '<span class="math notranslate nohighlight"><mjx-container class="MathJax">'
    raw = '<span class="math notranslate nohighlight">\\(k^{-d}\\)</span>'
    assert not UNRENDERED.findall(rendered) and len(UNRENDERED.findall(raw)) == 1
    (tmp_path / "a.html").write_text("x")
    (tmp_path / "img.png").write_bytes(b"x")
    page = tmp_path / "a.html"
    html = (
        '<a href="a.html#s"></a><a href="gone.html"></a><a href="https://x.org"></a>'
        '<img src="img.png"><img src="no.png">'
    )
    assert _local_targets(html, page, tmp_path, r'<a[^>]+href="([^"]+)"') == ["gone.html"]
    assert _local_targets(html, page, tmp_path, r'<img[^>]+src="([^"]+)"') == ["no.png"]
    log = '[1:1:INFO:CONSOLE:1] "Uncaught ReferenceError: f is not defined", source: http://h/p.html (1)'
    msgs = [m for m, _ in CONSOLE.findall(log)]
    assert msgs and JS_ERROR.search(msgs[0])
    widget = '<div class="widget-label">98%</div><div class="widget-html">2940/3000 [00:10&lt;00:00, 280it/s]</div>'
    assert _progress_bar(widget) and _progress_bar("<pre>depth study:  50%|#####     | 1/2</pre>")
    assert _progress_bar("<p>98% of the runs [see the table]</p>") is None
