"""The built HTML in a real browser: headless Chromium walks every page over a loopback server.

Fails on unrendered math, images whose file is missing, internal links to missing files (the book's PDF,
``book.pdf``, is printed first, as the deploy workflow does, so the landing page's link to it is checked),
JavaScript errors in the console, and a saved progress bar (a ``tqdm`` bar's text, as the page shows it).
With the page laid out at 1280 px (``MEASURE_JS``, injected by the test's server once MathJax has typeset the
page) it also fails on a figure the page shrinks below 90 % of its own size (its text with it), a display
equation or an output block wider than the text column, and a figure in a chapter that is not numbered
(a cell's image outside a captioned, numbered ``figure``); it prints the measurements, also at 500 px (a
phone-like width: Chromium's narrowest window), where they are reported, not enforced. A chapter of the
student edition must show no solution.
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


#: Measures the laid-out page once MathJax has typeset it and appends the result as JSON in ``<pre id="lofi-measure">``:
#: ``column`` (text column width, px); ``images`` ([src, natural width, shown width] of each image in the article);
#: ``unnumbered`` (cell-output images outside a numbered figure, except in a worked solution, whose figures the
#: book does not number, so that both editions number alike); ``wide_math`` ([TeX start, width] of display
#: equations wider than the column); ``wide_output`` ([text start, width] of output blocks wider than their box).
MEASURE_JS = r"""
(function () {
  function measure() {
    var art = document.querySelector("article.bd-article") || document.querySelector("article") || document.body;
    var cs = getComputedStyle(art);
    var column = art.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    var r = {column: Math.round(column), images: [], unnumbered: [], wide_math: [], wide_output: []};
    art.querySelectorAll("img").forEach(function (im) {
      if (!im.naturalWidth) return;
      r.images.push([im.getAttribute("src"), im.naturalWidth, Math.round(im.getBoundingClientRect().width)]);
      var fig = im.closest("figure");
      var numbered = fig && fig.querySelector(".caption-number");
      if (im.closest(".cell_output, .output") && !im.closest(".solution") && !numbered)
        r.unnumbered.push(im.getAttribute("src"));
    });
    art.querySelectorAll('mjx-container[display="true"]').forEach(function (mc) {
      var m = mc.querySelector("mjx-math") || mc;
      var w = m.getBoundingClientRect().width;
      if (w > column + 1) {
        var tex = mc.parentElement ? (mc.parentElement.getAttribute("data-tex") || mc.parentElement.textContent) : "";
        r.wide_math.push([(mc.getAttribute("aria-label") || tex || "").slice(0, 60), Math.round(w)]);
      }
    });
    art.querySelectorAll(".cell_output pre, .output pre, .cell_output table, .output table").forEach(function (el) {
      var w = Math.max(el.scrollWidth, el.getBoundingClientRect().width);
      var box = Math.min(el.clientWidth || column, column);
      if (w > box + 1) r.wide_output.push([el.textContent.trim().slice(0, 60), Math.round(w)]);
    });
    var pre = document.createElement("pre");
    pre.id = "lofi-measure";
    pre.textContent = JSON.stringify(r);
    document.body.appendChild(pre);
  }
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(measure, measure);
    else measure();
  });
})();
"""
MEASURED = re.compile(r'<pre id="lofi-measure"[^>]*>(.*?)</pre>', re.DOTALL)
#: a figure shown below this share of its own width has its text shrunk with it
MIN_IMAGE_SCALE = 0.9


class _Quiet(SimpleHTTPRequestHandler):
    """Serves the build; ``page.html?measure`` comes with :data:`MEASURE_JS` injected before ``</body>``."""

    def do_GET(self):  # noqa: D102
        parts = urlsplit(self.path)
        if parts.query == "measure" and parts.path.endswith(".html"):
            path = Path(self.translate_path(parts.path))
            body = path.read_bytes().replace(b"</body>", f"<script>{MEASURE_JS}</script></body>".encode(), 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):  # noqa: D102
        pass


def _measure(browser: str, url: str, width: int) -> dict | None:
    """:data:`MEASURE_JS`'s result for ``url`` laid out ``width`` px wide (``None`` when the page gave none)."""
    import json

    dom, _ = _run(browser, f"{url}?measure", "--virtual-time-budget=15000", f"--window-size={width},2000", "--dump-dom")
    found = MEASURED.search(dom)
    return json.loads(unescape(found.group(1))) if found else None


def layout_problems(rel: str, m: dict, *, chapter: bool) -> list[str]:
    """What the measurements ``m`` of page ``rel`` (at 1280 px) show wrong: shrunk figures, wide maths or outputs,
    and, in a chapter, unnumbered figures."""
    out = []
    for src, natural, shown in m["images"]:
        if shown < MIN_IMAGE_SCALE * natural:
            out.append(f"{rel}: figure {src} shown at {shown}/{natural} px ({shown / natural:.0%}; its text shrinks)")
    out += [f"{rel}: display equation {w} px wide in a {m['column']} px column: {t!r}" for t, w in m["wide_math"]]
    out += [f"{rel}: output block {w} px wide in a {m['column']} px column: {t!r}" for t, w in m["wide_output"]]
    if chapter:
        out += [f"{rel}: figure {src} has no number and caption" for src in m["unnumbered"]]
    return out


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
        for width in (1280, 500) if "<article" in static else ():  # not the landing redirect (index.html)
            m = _measure(browser, f"{server}/{rel}", width)
            if m is None:
                problems.append(f"{rel}: the layout measurement gave no result at {width} px")
                continue
            shrunk = [s / n for _, n, s in m["images"] if s < n]
            print(
                f"{rel} @ {width} px: column {m['column']} px, {len(m['images'])} images (smallest scale "
                f"{min(shrunk, default=1.0):.2f}), {len(m['unnumbered'])} unnumbered, {len(m['wide_math'])} wide "
                f"equations, {len(m['wide_output'])} wide outputs"
            )
            if width == 1280:
                problems += layout_problems(rel, m, chapter=rel.startswith("notebooks/"))
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


@pytest.mark.build
def test_student_chapters_show_no_solution_in_chromium(student_book):
    """Each chapter page of the student edition, as Chromium renders it, shows its exercises and no solution."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("LOFI_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (LOFI_REQUIRE_BROWSER=1); apt-get install chromium")
        pytest.skip("chromium is not installed; the browser test runs in CI")
    pages = sorted((student_book / "notebooks").glob("*.html"))
    assert len(pages) == 4
    for page in pages:
        dom, _ = _run(browser, page.as_uri(), "--virtual-time-budget=5000", "--dump-dom")
        text = unescape(re.sub(r"<[^>]+>", " ", dom))
        assert "Exercise" in text, f"{page.name}: no exercise shown"
        assert "Solution to" not in text and "solution-content" not in dom, f"{page.name} shows a solution"


def test_the_layout_measurement_finds_what_it_should(tmp_path):
    """:data:`MEASURE_JS` on a made-up page: a shrunk figure, an unnumbered output image, a numbered one, a wide
    output block, and a page without them."""
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed; the layout measurement is tested in CI")
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def png(width_in):
        fig = plt.figure(figsize=(width_in, 1.0), dpi=100)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()

    style = "<style>article{width:688px;padding:0} img{max-width:100%} pre{overflow-x:auto}</style>"
    page = (
        f"<html><head>{style}</head><body><article class='bd-article'>"
        f"<div class='cell_output'><img src='{png(10.0)}'></div>"
        f"<figure><div class='cell_output'><img src='{png(5.0)}'></div>"
        "<figcaption><span class='caption-number'>Fig. 1 </span>ok</figcaption></figure>"
        f"<div class='cell_output'><pre>{'x' * 400}</pre></div>"
        f"<script>{MEASURE_JS}</script></article></body></html>"
    )
    (tmp_path / "m.html").write_text(page)
    dom, _ = _run(browser, (tmp_path / "m.html").as_uri(), "--virtual-time-budget=5000", "--dump-dom")
    import json

    m = json.loads(unescape(MEASURED.search(dom).group(1)))
    assert m["column"] == 688 and len(m["images"]) == 2
    problems = layout_problems("p.html", m, chapter=True)
    assert len(problems) == 3, problems
    assert "shown at 688/1000 px" in problems[0] and "output block" in problems[1] and "no number" in problems[2]
    assert layout_problems("p.html", m, chapter=False)[:2] == problems[:2]
