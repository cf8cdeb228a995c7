"""Editions: the student edition loses every solution (prose and code) and keeps everything else."""

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
    assert "{solution-start}" in src_full and "{solution-start}" not in src_student
    assert "find_spec(\"lofi_utils\")" in full.cells[0].source
    # only solution cells were removed: every code cell of the student edition is in the full one
    full_code = [c.source for c in full.cells if c.cell_type == "code"]
    stud_code = [c.source for c in student.cells if c.cell_type == "code"]
    assert set(stud_code) <= set(full_code) and len(stud_code) < len(full_code) - 1
    assert any("parameters" in c.metadata.get("tags", []) for c in student.cells)
    written = editions.write_notebooks([path], tmp_path, edition="student")
    nbformat.validate(nbformat.read(written[0], as_version=4))
    with pytest.raises(ValueError, match="unknown edition"):
        editions.chapter_notebook(path, edition="teacher")
