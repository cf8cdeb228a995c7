#!/usr/bin/env python3
"""The book's two commands (and a few helpers), with nothing but Python 3.11 preinstalled.

    python3 tasks.py build            # set up .venv if needed, execute every chapter at the
                                      # `book` profile, write the HTML to _build/html
    python3 tasks.py test             # set up .venv if needed, run the whole test suite
                                      # (unit tests, every chapter at `smoke`, a -W book build)

Other commands: ``setup`` (only create/update the environment), ``build --profile smoke|book|paper``,
``run NOTEBOOK --profile P [-p NAME VALUE ...]`` (one chapter through the runner), ``clean``.

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
        run([sys.executable, "-m", "venv", VENV])
    pip = [py, "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "-q", "-r", ROOT / "requirements.txt"])
    run(pip + ["install", "-q", "--no-deps", "-e", ROOT])
    # A kernel spec inside the environment, so notebooks run with *this* interpreter even when the
    # user has another 'python3' kernel installed elsewhere.
    run([py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
         "--display-name", "Python 3 (lofi book)"], stdout=subprocess.DEVNULL)
    STAMP.write_text(_stamp())
    say(f"environment ready in {time.perf_counter() - t0:.0f} s")
    return py


def output_folder(profile: str) -> Path:
    """Where a build at ``profile`` goes: ``.`` for ``book`` (HTML in _build/html), else _build/<profile>."""
    return ROOT if profile == "book" else ROOT / "_build" / profile


def build(profile: str = "book", *, path_output: Path | None = None, strict: bool = True) -> Path:
    """Execute every chapter at ``profile`` and build the HTML; return the path of index.html."""
    if profile not in PROFILES:
        raise SystemExit(f"error: unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    ensure_env()
    out = Path(path_output) if path_output else output_folder(profile)
    env = dict(os.environ, LOFI_PROFILE=profile)
    cmd = [venv_bin("jupyter-book"), "build", ROOT, "--path-output", out]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    t0 = time.perf_counter()
    run(cmd, env=env)
    index = out / "_build" / "html" / "index.html"
    say(f"built the book at profile {profile!r} in {time.perf_counter() - t0:.0f} s")
    say(f"open {index}")
    return index


def test(extra: list[str]) -> None:
    py = ensure_env()
    t0 = time.perf_counter()
    proc = subprocess.run([str(py), "-m", "pytest", *extra], cwd=ROOT)
    say(f"test suite finished in {time.perf_counter() - t0:.0f} s (exit code {proc.returncode})")
    raise SystemExit(proc.returncode)


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    cmd, rest = argv[0], argv[1:]
    if cmd == "setup":
        ensure_env()
        say(f"python: {venv_python()}")
    elif cmd == "build":
        profile = os.environ.get("LOFI_PROFILE") or "book"
        if rest[:1] == ["--profile"] and len(rest) >= 2:
            profile, rest = rest[1], rest[2:]
        if rest:
            raise SystemExit(f"error: unexpected arguments {rest}; usage: tasks.py build [--profile P]")
        build(profile)
    elif cmd == "test":
        test(rest)
    elif cmd == "run":
        py = ensure_env()
        proc = subprocess.run([str(py), "-m", "lofi_utils", "run", *rest], cwd=ROOT)
        raise SystemExit(proc.returncode)
    elif cmd == "clean":
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
        say("removed _build")
    else:
        raise SystemExit(f"error: unknown command {cmd!r}; use build, test, setup, run or clean")


if __name__ == "__main__":
    main(sys.argv[1:])
