"""The book's two editions and its downloadable notebooks.

* The **full** edition shows every exercise with its worked solution (a collapsed dropdown).
* The **student** edition hides the solutions (sphinx-exercise's ``hide_solutions``) and its
  downloadable notebooks do not contain them.

Chapters are jupytext MyST Markdown; a solution is the block between a ``{solution-start}`` fence and
its ``{solution-end}`` fence (the gated syntax of sphinx-exercise), code cells included.
"""

from __future__ import annotations

import re
from pathlib import Path

EDITIONS = ("full", "student")

#: Replaces a removed solution in the student notebooks.
SOLUTION_PLACEHOLDER = "*(The worked solution is in the instructor's edition of the book.)*"

_SOLUTION = re.compile(
    r"^(`{3,})\{solution-start\}[^\n]*\n.*?^`{3,}\{solution-end\}[^\n]*\n`{3,}[ \t]*$",
    re.MULTILINE | re.DOTALL,
)

#: First cell of every downloaded notebook: installs the book's code where it is missing (Colab).
SETUP_CELL = '''# Run this first on Colab or another fresh machine; it does nothing where lofi_utils is installed.
import importlib.util, subprocess, sys
if importlib.util.find_spec("lofi_utils") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "{requirement}"])'''


def check_edition(edition: str) -> str:
    """Return ``edition`` if it is one of :data:`EDITIONS`, else raise ``ValueError``."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}; choose one of: {', '.join(EDITIONS)}")
    return edition


def count_solutions(text: str) -> int:
    """Number of complete solution blocks in a chapter's source."""
    return len(_SOLUTION.findall(text))


def strip_solutions(text: str, *, placeholder: str = SOLUTION_PLACEHOLDER) -> str:
    """Remove every solution block (prose and code cells) from a chapter's MyST source.

    Exercises stay. Raises ``ValueError`` if a ``{solution-start}`` is left unmatched (a malformed
    block that would otherwise leak into the student edition).
    """
    out = _SOLUTION.sub(placeholder, text)
    if "{solution-start}" in out:
        raise ValueError("a {solution-start} block has no matching {solution-end}")
    return out


def chapter_notebook(path, *, edition: str = "full", requirement: str | None = None):
    """The chapter at ``path`` (jupytext MyST ``.md``) as an ``nbformat`` notebook without outputs.

    ``edition="student"`` removes the solutions. ``requirement``: a pip requirement for the book's
    package (e.g. ``"lofi_utils @ git+https://github.com/ORG/REPO"``); when given, a first code cell
    installs it where ``lofi_utils`` is missing.
    """
    import jupytext
    import nbformat

    check_edition(edition)
    text = Path(path).read_text(encoding="utf-8")
    if edition == "student":
        text = strip_solutions(text)
    nb = jupytext.reads(text, fmt="md:myst")
    if requirement:
        nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP_CELL.format(requirement=requirement)))
    return nb


def write_notebooks(sources, outdir, *, edition: str = "full", requirement: str | None = None) -> list[Path]:
    """Write :func:`chapter_notebook` of each source ``.md`` as ``outdir/<stem>.ipynb``; return the paths."""
    import nbformat

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        nb = chapter_notebook(src, edition=edition, requirement=requirement)
        dest = outdir / f"{Path(src).stem}.ipynb"
        nbformat.write(nb, dest)
        written.append(dest)
    return written
