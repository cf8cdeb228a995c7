"""The whole book builds with warnings as errors at the smoke profile, into a fresh folder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.build
def test_book_builds_strictly_at_smoke(tmp_path):
    jb = Path(sys.executable).parent / "jupyter-book"
    exe = str(jb) if jb.exists() else shutil.which("jupyter-book")
    assert exe, "jupyter-book is not installed in this environment"
    out = tmp_path / "book"
    env = dict(os.environ, LOFI_PROFILE="smoke", MPLBACKEND="Agg")
    proc = subprocess.run(
        [exe, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    log = proc.stdout[-6000:] + proc.stderr[-6000:]
    assert proc.returncode == 0, f"book build failed:\n{log}"
    html = out / "_build" / "html"
    for page in ("index.html", "book/preface.html", "notebooks/01_spectral_bias.html", "book/setup.html"):
        assert (html / page).exists(), f"{page} missing from the built book"
    chapter = (html / "notebooks" / "01_spectral_bias.html").read_text()
    assert "<img" in chapter, "the chapter page has no figures"
