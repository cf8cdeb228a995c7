"""Every code-cell line of the chapters fits the HTML code column, so readers get no horizontal scroll bar.

Where the limits come from (measured, not chosen): in the smoke build (Jupyter Book 1.0.4,
sphinx-book-theme 1.3.0, pydata-sphinx-theme 0.17.1), the headless Chromium of ``test_browser.py`` loaded
a chapter page and filled a ``div.cell_input pre`` with N characters until ``scrollWidth`` exceeded
``clientWidth``. The code font resolves to DejaVu Sans Mono at 14 px (8.43 px a character, 0.602 em: as wide
as any font of the theme's monospace stack), with 16 px of padding on each side of the block. A 1280 px
wide window is the narrowest desktop layout (both sidebars shown): the block is 672 px wide and holds 75
characters; inside a solution dropdown it is 650 px and holds 73. (At 1440 px: 89 and 86; at 1024 px,
where the left sidebar folds away: 83 and 81.) Code cells inside exercise or solution blocks get the
narrower limit.
"""

import re

from conftest import ROOT

WIDTH = 75  # characters of a code-cell line in the main column (1280 px window)
WIDTH_NESTED = 73  # inside a {solution-start}/{exercise-start} block (an admonition)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))

_GATE = re.compile(r"^`{3,}\{(solution|exercise)-(start|end)\}")


def too_wide(text: str, *, width: int = WIDTH, nested: int = WIDTH_NESTED) -> list[tuple[int, int, int]]:
    """(line number, length, limit) of every code-cell line of a MyST notebook longer than its limit.

    Code cells are the ```` ```{code-cell} ```` fences; their option lines (``:tags: ...``) are not
    shown in the HTML and are skipped.
    """
    out, in_cell, depth = [], False, 0
    options = False
    for no, line in enumerate(text.splitlines(), start=1):
        if in_cell:
            if line.startswith("```"):
                in_cell = False
                continue
            if options and line.startswith(":"):
                continue
            options = False
            limit = nested if depth else width
            if len(line) > limit:
                out.append((no, len(line), limit))
            continue
        if line.startswith("```{code-cell}"):
            in_cell, options = True, True
        elif m := _GATE.match(line):
            depth += 1 if m.group(2) == "start" else -1
    return out


def test_code_cells_fit_the_html_column():
    assert NOTEBOOKS, "no chapter notebooks found"
    problems = [
        f"notebooks/{p.name}:{no}: {n} characters (the HTML code column holds {limit})"
        for p in NOTEBOOKS
        for no, n, limit in too_wide(p.read_text(encoding="utf-8"))
    ]
    assert not problems, "code-cell lines too long for the book's HTML:\n" + "\n".join(problems)


def test_the_width_scan_finds_what_it_should():
    long, short = "x" * (WIDTH + 1), "y" * WIDTH
    nested = "z" * (WIDTH_NESTED + 1)
    text = "\n".join(
        [
            "prose " + long,  # prose: ignored
            "```{code-cell} ipython3",
            ":tags: [parameters, " + long + "]",
            short,
            long,
            "```",
            "````{solution-start} ex-a",
            "````",
            "```{code-cell} ipython3",
            nested,
            "```",
            "````{solution-end}",
            "````",
            "```{code-cell} ipython3",
            nested,
            "```",  # back in the main column: fits
        ]
    )
    assert too_wide(text) == [(5, WIDTH + 1, WIDTH), (10, WIDTH_NESTED + 1, WIDTH_NESTED)]
