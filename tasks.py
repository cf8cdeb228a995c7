#!/usr/bin/env python3
"""The book's two commands (and a few helpers), with nothing but Python 3.11 preinstalled.

    python3 tasks.py build            # set up .venv if needed, execute every chapter at the
                                      # `book` profile, write the HTML to _build/html
    python3 tasks.py test             # set up .venv if needed, run the whole test suite
                                      # (unit tests, every chapter at `smoke`, a -W book build)

    python3 tasks.py build --edition student   # the student edition (solutions hidden)
                                               # -> _build/student/_build/html

    python3 tasks.py pdf              # the book as one PDF, printed from its HTML by headless Chromium
                                      # -> _build/pdf/book.pdf, also copied to _build/html/book.pdf

Other commands: ``setup`` (only create/update the environment),
``build [--profile smoke|book|paper] [--edition full|student]``,
``pdf [--profile smoke|book|paper] [--edition full|student]`` (builds the HTML first if it is missing),
``run NOTEBOOK --profile P [-p NAME VALUE ...]`` (one chapter through the runner), ``clean``,
``kernels`` (the unit tests under every CPU kernel family torch can be forced to, with 1 and 2
threads: ``ATEN_CPU_CAPABILITY=default``/``avx2``/native; prints one line per combination),
``reproduce [EXPERIMENT|CHAPTER ...] [--profile book|paper] [--engine local|slurm|submitit-local|serial]
[--jobs N] [--list]`` (paper-scale grids of cells, summarised into ``results/``; see book/setup.md).

Both editions of a profile share one execution cache and one folder of check records
(``_build/cache/<profile>/``), so building the second edition does not run the chapters again.

The environment lives in ``.venv`` (or ``$LOFI_VENV``); it is re-installed whenever
``requirements.txt`` or ``pyproject.toml`` change. Only the standard library is used here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LOFI_VENV", ROOT / ".venv"))
STAMP = VENV / ".lofi-stamp"
PROFILES = ("smoke", "book", "paper")
EDITIONS = ("full", "student")


def say(msg: str) -> None:
    print(f"[tasks] {msg}", flush=True)


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def venv_bin(name: str) -> Path:
    return venv_python().parent / name


def _stamp() -> str:
    h = hashlib.sha256()
    for f in ("requirements.txt", "pyproject.toml"):
        h.update((ROOT / f).read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()


def run(cmd: list, **kw) -> None:
    say("$ " + " ".join(str(c) for c in cmd))
    proc = subprocess.run([str(c) for c in cmd], cwd=kw.pop("cwd", ROOT), **kw)
    if proc.returncode != 0:
        raise SystemExit(proc.returncode)


def ensure_env() -> Path:
    """Create ``.venv`` and install the pinned environment plus ``lofi_utils`` (editable) if needed."""
    if sys.version_info[:2] not in ((3, 11), (3, 12)):
        raise SystemExit(f"error: Python 3.11 or 3.12 is required, this is {sys.version.split()[0]}")
    py = venv_python()
    if py.exists() and STAMP.exists() and STAMP.read_text() == _stamp():
        return py
    t0 = time.perf_counter()
    if not py.exists():
        say(f"creating the virtual environment {VENV}")
        try:
            VENV.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SystemExit(
                f"error: cannot create the virtual environment at {VENV} "
                f"(set by $LOFI_VENV or the default .venv): {err.strerror or err}"
            ) from None
        run([sys.executable, "-m", "venv", VENV])
    pip = [py, "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "-q", "-r", ROOT / "requirements.txt"])
    run(pip + ["install", "-q", "--no-deps", "-e", ROOT])
    # A kernel spec inside the environment, so notebooks run with *this* interpreter even when the
    # user has another 'python3' kernel installed elsewhere.
    run(
        [
            py,
            "-m",
            "ipykernel",
            "install",
            "--sys-prefix",
            "--name",
            "python3",
            "--display-name",
            "Python 3 (lofi book)",
        ],
        stdout=subprocess.DEVNULL,
    )
    STAMP.write_text(_stamp())
    say(f"environment ready in {time.perf_counter() - t0:.0f} s")
    return py


def output_folder(profile: str, edition: str = "full") -> Path:
    """Where a build goes: ``.`` for the full ``book`` build (HTML in _build/html), else
    ``_build/<profile>`` / ``_build/student`` / ``_build/<profile>-student``."""
    if edition == "full":
        return ROOT if profile == "book" else ROOT / "_build" / profile
    return ROOT / "_build" / ("student" if profile == "book" else f"{profile}-student")


def build(
    profile: str = "book", *, edition: str = "full", path_output: Path | None = None, strict: bool = True
) -> Path:
    """Execute every chapter at ``profile`` and build the HTML of ``edition``; return index.html."""
    if profile not in PROFILES:
        raise SystemExit(f"error: unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    if edition not in EDITIONS:
        raise SystemExit(f"error: unknown edition {edition!r}; choose one of: {', '.join(EDITIONS)}")
    ensure_env()
    out = Path(path_output) if path_output else output_folder(profile, edition)
    shared = ROOT / "_build" / "cache" / profile
    env = dict(
        os.environ,
        LOFI_PROFILE=profile,
        LOFI_EDITION=edition,
        LOFI_JUPYTER_CACHE=str(shared / "jupyter"),
        LOFI_CHECKS_DIR=str(shared / "checks"),
    )
    env.pop("MPLBACKEND", None)  # chapters need the inline backend for their figures to be kept
    cmd = [venv_bin("jupyter-book"), "build", ROOT, "--path-output", out]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    t0 = time.perf_counter()
    run(cmd, env=env)
    index = out / "_build" / "html" / "index.html"
    say(f"built the {edition} edition at profile {profile!r} in {time.perf_counter() - t0:.0f} s")
    say(f"open {index}")
    return index


def _chromium() -> str | None:
    """``$LOFI_CHROMIUM`` if it is a file, else chromium, chromium-browser or google-chrome on the PATH."""
    if os.environ.get("LOFI_CHROMIUM"):
        return os.environ["LOFI_CHROMIUM"] if Path(os.environ["LOFI_CHROMIUM"]).is_file() else None
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def pdf(profile: str = "book", *, edition: str = "full") -> Path:
    """Print the built HTML of ``edition`` at ``profile`` into one PDF (building the HTML first if it is
    missing): ``<build>/_build/pdf/book.pdf``, copied to ``<build>/_build/html/book.pdf``, where the
    landing page's download link points. Needs Chromium and pypdf (in the environment)."""
    if profile not in PROFILES:
        raise SystemExit(f"error: unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    if edition not in EDITIONS:
        raise SystemExit(f"error: unknown edition {edition!r}; choose one of: {', '.join(EDITIONS)}")
    browser = _chromium()
    if browser is None:
        raise SystemExit(
            "error: chromium is not installed (apt-get install chromium), or $LOFI_CHROMIUM is not a file; "
            "the PDF is printed from the HTML by headless Chromium"
        )
    out = output_folder(profile, edition) / "_build"
    if not (out / "html" / "index.html").is_file():
        say(f"no HTML build at {out / 'html'}; building it first")
        build(profile, edition=edition)
    py = ensure_env()
    book = out / "pdf" / "book.pdf"
    cmd = [py, "-m", "lofi_utils.book_pdf", out / "html", book, "--root", ROOT, "--edition", edition]
    proc = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=dict(os.environ, LOFI_CHROMIUM=browser))
    if proc.returncode != 0:
        raise SystemExit(proc.returncode)
    shutil.copyfile(book, out / "html" / "book.pdf")
    say(f"copied to {out / 'html' / 'book.pdf'} (the landing page links it)")
    return book


def test(extra: list[str]) -> None:
    py = ensure_env()
    t0 = time.perf_counter()
    proc = subprocess.run([str(py), "-m", "pytest", *extra], cwd=ROOT)
    say(f"test suite finished in {time.perf_counter() - t0:.0f} s (exit code {proc.returncode})")
    raise SystemExit(proc.returncode)


def kernels(extra: list[str]) -> None:
    """The unit tests under each CPU kernel family and thread count; one summary line each."""
    py = ensure_env()
    unit = [
        "-m",
        "not notebook and not build and not kernels",
        "--ignore=tests/test_browser.py",
        "-p",
        "no:cacheprovider",
        "-q",
        *extra,
    ]
    failed = 0
    for cap in ("default", "avx2", "native"):
        for threads in (1, 2):
            env = dict(os.environ, LOFI_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            env.pop("ATEN_CPU_CAPABILITY", None)
            if cap != "native":
                env["ATEN_CPU_CAPABILITY"] = cap
            probe = "import torch; print(torch.backends.cpu.get_cpu_capability())"
            used = subprocess.run([str(py), "-c", probe], env=env, capture_output=True, text=True).stdout.strip()
            t0 = time.perf_counter()
            proc = subprocess.run([str(py), "-m", "pytest", *unit], cwd=ROOT, env=env, capture_output=True, text=True)
            last = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
            failed += proc.returncode != 0
            say(f"{cap:>7} (torch: {used}), {threads} thread(s): {last} [{time.perf_counter() - t0:.0f} s]")
            if proc.returncode != 0:
                print("\n".join(line for line in proc.stdout.splitlines() if line.startswith("FAILED")))
    raise SystemExit(1 if failed else 0)


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    cmd, rest = argv[0], argv[1:]
    if cmd == "setup":
        ensure_env()
        say(f"python: {venv_python()}")
    elif cmd in ("build", "pdf"):
        opts = {"--profile": os.environ.get("LOFI_PROFILE") or "book", "--edition": "full"}
        while rest[:1] and rest[0] in opts and len(rest) >= 2:
            opts[rest[0]], rest = rest[1], rest[2:]
        if rest:
            what = f"{rest[0]} needs a value" if rest[0] in opts else f"unexpected arguments {rest}"
            raise SystemExit(
                f"error: {what}; usage: tasks.py {cmd} [--profile smoke|book|paper] [--edition full|student]"
            )
        if opts["--profile"] not in PROFILES and "--profile" not in argv and os.environ.get("LOFI_PROFILE"):
            raise SystemExit(
                f"error: unknown profile {opts['--profile']!r} (from $LOFI_PROFILE); "
                f"choose one of: {', '.join(PROFILES)}"
            )
        (build if cmd == "build" else pdf)(opts["--profile"], edition=opts["--edition"])
    elif cmd == "test":
        test(rest)
    elif cmd == "run":
        py = ensure_env()
        proc = subprocess.run([str(py), "-m", "lofi_utils", "run", *rest], cwd=ROOT)
        raise SystemExit(proc.returncode)
    elif cmd == "kernels":
        kernels(rest)
    elif cmd == "reproduce":
        py = ensure_env()
        proc = subprocess.run([str(py), "-m", "lofi_utils", "reproduce", *rest], cwd=ROOT)
        raise SystemExit(proc.returncode)
    elif cmd == "clean":
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
        say("removed _build")
    else:
        raise SystemExit(
            f"error: unknown command {cmd!r}; use build, pdf, test, setup, run, reproduce, kernels or clean"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
