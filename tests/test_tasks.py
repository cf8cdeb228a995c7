"""tasks.py (the README's two commands): a bad command line ends in one line, before any work."""

import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.parametrize(
    "args,env,message",
    [
        (["build", "--profile"], {}, "--profile needs a value"),
        (["build", "--profile", "huge"], {}, "unknown profile 'huge'; choose one of: smoke, book, paper"),
        (["build"], {"LOFI_PROFILE": "huge"}, "unknown profile 'huge' (from $LOFI_PROFILE)"),
        (["build", "--edition", "teacher"], {}, "unknown edition 'teacher'; choose one of: full, student"),
        (["build", "extra"], {}, "unexpected arguments ['extra']"),
        (["frobnicate"], {}, "unknown command 'frobnicate'"),
        (["pdf", "--profile", "huge"], {}, "unknown profile 'huge'; choose one of: smoke, book, paper"),
        (["pdf", "extra"], {}, "unexpected arguments ['extra']; usage: tasks.py pdf"),
        (["pdf", "--profile", "smoke"], {"LOFI_CHROMIUM": "/no/such/chromium"}, "chromium is not installed"),
        (["setup"], {"LOFI_VENV": "/proc/no-such-dir/venv"}, "cannot create the virtual environment"),
    ],
)
def test_bad_command_lines(args, env, message):
    import os

    proc = subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert err.count("\n") == 0 and message in err, err
