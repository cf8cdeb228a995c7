"""Editions: the student edition loses every solution (prose and code) and keeps everything else."""

import base64
import html
import json

import nbformat
import pytest
from conftest import ROOT

from lofi_utils import editions

CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))

DEMO = """Intro.

````{exercise-start}
:label: ex-a
````
Do it.
````{exercise-end}
````

````{solution-start} ex-a
:class: dropdown
````
The answer is 42.

```{code-cell} ipython3
print(42)
```
````{solution-end}
````

After.
"""


def test_strip_solutions_removes_prose_and_code():
    out = editions.strip_solutions(DEMO)
    assert "42" not in out and "solution-start" not in out and "solution-end" not in out
    assert "exercise-start" in out and "Do it." in out and out.endswith("After.\n")
    assert editions.SOLUTION_PLACEHOLDER in out
    assert editions.count_solutions(DEMO) == 1 and editions.count_solutions(out) == 0
    with pytest.raises(ValueError, match="no matching"):
        editions.strip_solutions(DEMO.replace("````{solution-end}", "````{not-the-end}"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_notebooks_per_edition(path, tmp_path):
    text = path.read_text()
    n_sol = editions.count_solutions(text)
    assert n_sol == text.count("{solution-start}") and n_sol >= 2, "every chapter has worked solutions"
    full = editions.chapter_notebook(path, requirement="lofi_utils @ git+https://example.org/repo")
    student = editions.chapter_notebook(path, edition="student")
    src_full = "\n".join(c.source for c in full.cells)
    src_student = "\n".join(c.source for c in student.cells)
    # MyST's exercise fences become headed blocks (lofi_utils.plain_markdown); the student edition has no solution
    n_ex = text.count("{exercise-start}") + text.count("{exercise}")
    assert src_full.count("**Exercise ") == src_student.count("**Exercise ") == n_ex
    assert src_full.count("**Solution to Exercise ") == n_sol and "**Solution" not in src_student
    assert "{solution-start}" not in src_full + src_student and "{exercise-start}" not in src_full + src_student
    assert 'find_spec("lofi_utils")' in full.cells[0].source
    # only solution cells were removed: every code cell of the student edition is in the full one
    full_code = [c.source for c in full.cells if c.cell_type == "code"]
    stud_code = [c.source for c in student.cells if c.cell_type == "code"]
    assert set(stud_code) <= set(full_code) and len(stud_code) < len(full_code) - 1
    assert any("parameters" in c.metadata.get("tags", []) for c in student.cells)
    written = editions.write_notebooks([path], tmp_path, edition="student")
    nbformat.validate(nbformat.read(written[0], as_version=4))
    with pytest.raises(ValueError, match="unknown edition"):
        editions.chapter_notebook(path, edition="teacher")


REPO = "https://github.com/ORG/REPO"


@pytest.mark.parametrize("edition, folder", [("full", ""), ("student", "student/")])
def test_colab_url_per_edition(edition, folder):
    url = editions.colab_url(REPO, "01_spectral_bias", edition=edition)
    assert url == (
        f"https://colab.research.google.com/github/ORG/REPO/blob/gh-pages/{folder}notebooks/01_spectral_bias.ipynb"
    )
    assert editions.colab_url(REPO + ".git/", "x", edition=edition).endswith(
        f"/ORG/REPO/blob/gh-pages/{folder}notebooks/x.ipynb"
    )
    assert editions.colab_url("https://gitlab.com/ORG/REPO", "x", edition=edition) is None
    assert editions.colab_url(None, "x", edition=edition) is None


def test_colab_url_rejects_unknown_edition():
    with pytest.raises(ValueError, match="unknown edition 'teacher'; choose one of: full, student"):
        editions.colab_url(REPO, "x", edition="teacher")


def test_deploy_publishes_each_edition_where_its_colab_links_point():
    workflow = (ROOT / ".github" / "workflows" / "deploy-book.yml").read_text()
    assert "publish_dir: ./_build/html" in workflow
    student = editions.PUBLISHED_AT["student"].rstrip("/")
    assert f"cp -r _build/student/_build/html _build/html/{student}" in workflow
    assert editions.PUBLISHED_AT["full"] == ""


def test_solutions_and_code_cells_by_label():
    ((label, body),) = editions.solutions(DEMO)
    assert label == "ex-a" and body.startswith("The answer is 42.") and body.endswith("print(42)\n```")
    assert "solution" not in body and "dropdown" not in body
    import jupytext

    nb = jupytext.reads(DEMO.replace("Intro.", "Intro.\n\n```{code-cell} ipython3\nx = 1\n```"), fmt="md:myst")
    inside, outside = editions.split_code_cells(nb)
    assert [c.source for c in inside["ex-a"]] == ["print(42)"] and [c.source for c in outside] == ["x = 1"]


def _site(tmp_path, files: dict):
    root = tmp_path / "site"
    for name, content in files.items():
        f = root / name
        f.parent.mkdir(parents=True, exist_ok=True)
        (f.write_bytes if isinstance(content, bytes) else f.write_text)(content)
    return root


SOLUTION_CODE = "spread_over_seeds = np.ptp(learning_times_thr, axis=0)  # per frequency"
FIGURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _demo_fingerprints():
    chapter = DEMO.replace("print(42)", SOLUTION_CODE).replace(
        "The answer is 42.", "The answer is forty-two, because the aliased modes fold back below Nyquist."
    )
    executed = {
        "cells": [
            {"cell_type": "markdown", "source": "Intro.\n````{solution-start} ex-a\n````\nThe answer is"},
            {
                "cell_type": "code",
                "source": SOLUTION_CODE,
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["spread over seeds 0.125 0.25 0.5 1.0\n"]},
                    {"output_type": "display_data", "data": {"image/png": base64.b64encode(FIGURE).decode()}},
                ],
            },
            {"cell_type": "markdown", "source": "````{solution-end}\n````\nAfter."},
            {
                "cell_type": "code",
                "source": "x = 1",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "a figure of the chapter itself\n"}],
            },
        ]
    }
    return editions.SolutionFingerprints.from_chapters(
        {"ch": chapter}, executed={"ch": executed}, others=["The answer is in the book."], n=5
    )


def test_fingerprints_find_solutions_however_they_are_rendered(tmp_path):
    fp = _demo_fingerprints()
    assert fp.names == ["ch: ex-a"] and fp.images and "nyquist" in fp.words
    highlighted = "".join(f'<span class="n">{html.escape(tok)}</span>' for tok in SOLUTION_CODE.split(" "))
    png = base64.b64encode(FIGURE).decode()
    site = _site(
        tmp_path,
        {
            "clean.html": "<p>Intro.</p><p>Do it.</p><p>After.</p><pre>x = 1\na figure of the chapter itself</pre>",
            "code.html": f"<pre>{highlighted}</pre>",
            "prose.html": "<p>The answer is <em>forty-two</em>, because the\naliased modes fold back.</p>",
            "_sources/ch.md": DEMO.replace("print(42)", SOLUTION_CODE),
            "nb.ipynb": json.dumps({"cells": [{"source": [SOLUTION_CODE[:20], SOLUTION_CODE[20:]]}]}),
            "out.ipynb": json.dumps({"cells": [{"outputs": [{"text": "spread over seeds 0.125 0.25 0.5 1.0"}]}]}),
            "img.ipynb": json.dumps({"cells": [{"outputs": [{"data": {"image/png": png}}]}]}),
            "_images/abc.png": FIGURE,
            "searchindex.js": 'Search.setIndex({"docnames": ["a"], "terms": {"nyquist": 0, "intro": 0}})',
        },
    )
    found = {line.split(":")[0]: line for line in fp.scan(site)}
    assert set(found) == {
        "code.html",
        "prose.html",
        "_sources/ch.md",
        "nb.ipynb",
        "out.ipynb",
        "img.ipynb",
        "_images/abc.png",
        "searchindex.js",
    }, found
    assert "ch: ex-a" in found["code.html"] and "search term 'nyquist'" in found["searchindex.js"]
    assert "a figure of the solution" in found["_images/abc.png"]
    # a word of the solution that a page shows is not a leak of the search index (the page is)
    (site / "clean.html").write_text("<p>below Nyquist</p>")
    assert not [h for h in fp.scan(site) if h.startswith("searchindex.js")]


def test_fingerprints_pass_the_student_material(tmp_path):
    fp = _demo_fingerprints()
    student = editions.strip_solutions(DEMO.replace("print(42)", SOLUTION_CODE))
    site = _site(
        tmp_path,
        {
            "ch.html": "<p>Intro.</p><p>Do it.</p><p>After.</p>",
            "_sources/ch.md": student,
            "searchindex.js": 'Search.setIndex({"terms": {"intro": 0}})',
        },
    )
    assert fp.scan(site) == []
    with pytest.raises(ValueError, match="use n >= 3"):
        editions.SolutionFingerprints({"a": ["x"]}, n=2)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_student_notebook_keeps_outputs_of_kept_cells_only(path):
    import jupytext

    full = jupytext.reads(path.read_text(), fmt="md:myst")
    inside, outside = editions.split_code_cells(full)
    assert sum(len(v) for v in inside.values()) >= 2 and set(inside) == {
        lab for lab, _ in editions.solutions(path.read_text())
    }
    for i, cell in enumerate(full.cells):  # a fake execution: every cell prints its own index
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"cell {i}\n")]
    solution_outputs = {c.outputs[0]["text"] for v in inside.values() for c in v}
    nb = editions.student_notebook(path, full, requirement="lofi_utils @ git+https://example.org/repo")
    nbformat.validate(nb)
    texts = [o["text"] for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert len(texts) == len(outside) and not solution_outputs & set(texts)
    assert 'find_spec("lofi_utils")' in nb.cells[0].source and not nb.cells[0].outputs
