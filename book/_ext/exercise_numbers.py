"""Number the exercises within each chapter: Exercise 1, 2, ... on every page.

sphinx-exercise numbers its exercises with Sphinx's ``numfig`` counters, which restart only at a
section number; the book's table of contents is not numbered, so the counter ran across the whole book
(chapter 2's exercises were 4-6). After Sphinx has assigned the numbers (``env-get-updated``, the
toctree collector's handler runs first), each page's exercises are renumbered 1, 2, ... in page order.
Cross-references, the HTML titles and the LaTeX titles all read these numbers, and so do the
downloadable notebooks (``lofi_utils.plain_markdown`` numbers them within the chapter too). Numbers that
carry a section number (a numbered table of contents, e.g. ``(2, 1)``) are left as Sphinx made them.
"""

from __future__ import annotations


def _number_per_page(app, env):
    for figtypes in env.toc_fignumbers.values():
        numbers = figtypes.get("exercise")
        if not numbers or any(len(n) != 1 for n in numbers.values()):
            continue
        in_order = sorted(numbers, key=numbers.get)
        figtypes["exercise"] = {node_id: (i + 1,) for i, node_id in enumerate(in_order)}
    return []


def setup(app):
    app.connect("env-get-updated", _number_per_page, priority=900)  # after Sphinx's own numbering (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
