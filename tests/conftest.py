import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("LOFI_THREADS", "1")

#: the text of a ``tqdm`` bar: ``12%|##  | 3/25 [00:01<00:07, 2.9it/s]`` (also its notebook widget's labels)
PROGRESS_BAR = re.compile(r"\d%\||\[\d+:\d\d<(?:\d+:\d\d|\?)|(?:\d|\?)(?:it|s|cell)/(?:s|it|cell)\]")


def saved_progress_bars(nb: dict) -> list[str]:
    """The outputs of an executed notebook (as JSON) that hold a ``tqdm`` bar: ``"cell N: <text>"`` each."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items() if k.startswith("text/")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else str(text)
                if m := PROGRESS_BAR.search(text):
                    found.append(f"cell {i}: {text[max(0, m.start() - 40) : m.end() + 20].strip()!r}")
    return found


def build_book(out: Path, *, edition: str = "full", cache: Path | None = None) -> subprocess.CompletedProcess:
    """``jupyter-book build`` of the repository at the smoke profile, warnings as errors, into ``out``."""
    jb = Path(sys.executable).parent / "jupyter-book"
    exe = str(jb) if jb.exists() else shutil.which("jupyter-book")
    assert exe, "jupyter-book is not installed in this environment"
    env = dict(os.environ, LOFI_PROFILE="smoke", LOFI_EDITION=edition, LOFI_CHECKS_DIR=str(out.parent / "checks"))
    env.pop("MPLBACKEND", None)  # the kernels must use the inline backend, or figures are not kept
    env.pop("LOFI_PROGRESS", None)  # the build itself must keep tqdm bars out of the pages
    if cache is not None:
        env["LOFI_JUPYTER_CACHE"] = str(cache)
    return subprocess.run(
        [exe, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture
def fake_cifar10(tmp_path):
    """A CIFAR-10 python-version folder ``tmp_path/cifar-10-batches-py`` with 6 random images per batch file
    (five training batches and the test batch); returns ``tmp_path`` (the loaders accept the parent)."""
    import pickle

    import numpy as np

    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(root / name, "wb") as f:
            pickle.dump(
                {
                    "data": rng.integers(0, 256, size=(6, 3072), dtype=np.uint8),
                    "labels": rng.integers(0, 10, 6).tolist(),
                },
                f,
            )
    return tmp_path


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory):
    """The full edition built once per test session at the smoke profile: its ``_build/html`` folder."""
    base = tmp_path_factory.mktemp("book")
    proc = build_book(base / "full", cache=base / "jupyter_cache")
    log = proc.stdout[-6000:] + proc.stderr[-6000:]
    assert proc.returncode == 0, f"book build failed:\n{log}"
    return base / "full" / "_build" / "html"


@pytest.fixture(scope="session")
def student_book(smoke_book):
    """The student edition, built from the same execution cache as :func:`smoke_book`."""
    base = smoke_book.parents[2]
    proc = build_book(base / "student", edition="student", cache=base / "jupyter_cache")
    assert proc.returncode == 0, f"student build failed:\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
    return base / "student" / "_build" / "html"


def print_book(site: Path, edition: str = "full") -> Path:
    """``tasks.py pdf`` for the built ``site`` (an edition's ``_build/html``): the PDF printed by headless Chromium
    into ``_build/pdf/book.pdf``, copied to ``site/book.pdf``, where the landing page links it (as published).
    Skips without Chromium, unless ``LOFI_REQUIRE_BROWSER=1`` (CI), when it fails."""
    import time

    from lofi_utils import book_pdf

    if book_pdf.find_chromium() is None:
        if os.environ.get("LOFI_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (LOFI_REQUIRE_BROWSER=1); apt-get install chromium")
        pytest.skip("chromium is not installed; the PDF is printed and tested in CI")
    t0 = time.perf_counter()
    out = book_pdf.book_pdf(site, site.parent / "pdf" / "book.pdf", root=ROOT, edition=edition)
    shutil.copyfile(out, site / "book.pdf")
    print(f"{edition} PDF printed in {time.perf_counter() - t0:.0f} s")
    return site / "book.pdf"


@pytest.fixture(scope="session")
def smoke_pdf(smoke_book):
    """The smoke build of the full edition as one PDF: ``smoke_book / "book.pdf"``."""
    return print_book(smoke_book)


@pytest.fixture(scope="session")
def student_pdf(student_book):
    """The smoke build of the student edition as one PDF: ``student_book / "book.pdf"``."""
    return print_book(student_book, "student")
