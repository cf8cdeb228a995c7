"""The downloadable notebooks hold plain Markdown: no MyST role or directive that Jupyter or Colab would show as
literal text (issue 15, item 8); the student edition's hold no solution."""

import re

import jupytext
import nbformat
import pytest
from conftest import ROOT

from lofi_utils import editions
from lofi_utils.plain_markdown import (
    GLUE_MISSING,
    book_for,
    convert_markdown,
    convert_notebook,
    glue_file_values,
    glue_values,
    leftover_markup,
)

CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))
#: what Jupyter would show as literal MyST (the issue's test): a role, or a directive's opening fence
ROLE = re.compile(r"\{[a-z:-]+\}`")
DIRECTIVE = re.compile(r"^(```+|:::+)\{", re.MULTILINE)

BIB = r"""
@article{solo2001,
  title = {One Author},
  author = {Solo, Han},
  journal = {J. Tests},
  year = {2001},
  doi = {10.1/x}
}
@inproceedings{smith2002,
  title = {Two {Authors}},
  author = {Smith, Ann and Jones, Bob},
  booktitle = {Proc. Tests},
  year = {2002}
}
@misc{alpha2003,
  title = {Three Authors},
  author = {Alpha, Al and M{\"u}ller, J{\"o}rg and Gamma, Gil},
  year = {2003},
  eprint = {2003.00001},
  archiveprefix = {arXiv}
}
"""

CONFIG = """bibtex_bibfiles:
  - book/references.bib
sphinx:
  config:
    mathjax3_config:
      tex:
        macros:
          R: "\\\\mathbb{R}"
"""

SAMPLE = """---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
---

(ch-sample)=
# A sample chapter

As {cite}`solo2001` shows and {cite:t}`smith2002` prove {cite:p}`alpha2003,solo2001`; see {doc}`../book/other`,
{ref}`other-page` and {ref}`the second exercise <ex-b>`. The ratio is {glue:text}`ratio:.2f`, the count
{glue}`count` and the width {glue:text}`width`. By {eq}`eq-main`, $x \\in \\R$ and {math}`a^2`.

$$
x = 1
$$ (eq-main)

:::{note}
Read {cite}`smith2002` first.
:::

```{admonition} What comes from the paper
:class: important
Only the abstract.
```

```{code-cell} ipython3
x = 1
```

## Exercises

````{exercise-start} Fit a line
:label: ex-a
````
Fit it.
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

```{exercise}
:label: ex-b
Do {numref}`ex-a` again.
```
"""


@pytest.fixture
def sample_book(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_config.yml").write_text(CONFIG)
    (tmp_path / "book" / "references.bib").write_text(BIB)
    (tmp_path / "book" / "other.md").write_text("(other-page)=\n# Other page\n\nText.\n")
    chapter = tmp_path / "notebooks" / "sample.md"
    chapter.write_text(SAMPLE)
    return chapter


def _markdown(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_a_myst_sample_becomes_plain_markdown(sample_book):
    nb = jupytext.reads(sample_book.read_text(), fmt="md:myst")
    convert_notebook(nb, source=sample_book, glue={"ratio": "3.14159", "count": "7"})
    md = _markdown(nb)
    assert leftover_markup(nb) == [] and not ROLE.search(md) and not DIRECTIVE.search(md)
    assert md.startswith("# A sample chapter") and "(ch-sample)=" not in md
    # citations as text, surnames, "et al." beyond two authors; a closing list of the entries cited
    assert "As (Solo, 2001) shows and Smith and Jones (2002) prove (Alpha et al., 2003; Solo, 2001)" in md
    refs = nb.cells[-1].source
    assert refs.startswith("## References")
    assert refs.splitlines()[2:] == [
        "- Al Alpha, Jörg Müller, Gil Gamma (2003). Three Authors. <https://arxiv.org/abs/2003.00001>",
        "- Ann Smith, Bob Jones (2002). Two Authors. *Proc. Tests*.",
        "- Han Solo (2001). One Author. *J. Tests*. <https://doi.org/10.1/x>",
    ]
    # cross-references and math as text; glued values pasted, or said to come with a run
    assert "see “Other page”,\n“Other page” and the second exercise." in md
    assert f"The ratio is 3.14, the count\n7 and the width {GLUE_MISSING}." in md
    assert "By (1), $x \\in \\mathbb{R}$ and $a^2$." in md
    assert "$$\nx = 1\n\\tag{1} $$" in md
    # admonitions as block quotes with a bold title
    assert "> **Note**\n>\n> Read (Smith and Jones, 2002) first." in md
    assert "> **What comes from the paper**\n>\n> Only the abstract." in md
    # exercises and solutions as headed blocks, numbered within the chapter
    assert "**Exercise 1** (Fit a line)\n\nFit it." in md
    assert "**Solution to Exercise 1**\n\nThe answer is 42." in md
    assert "**Exercise 2**\n\nDo Exercise 1 again." in md
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["x = 1", "print(42)"]


def test_the_student_sample_keeps_the_exercises_only(sample_book):
    nb = editions.chapter_notebook(sample_book, edition="student")
    md = _markdown(nb)
    assert "**Exercise 1** (Fit a line)" in md and "**Exercise 2**" in md and "Solution" not in md
    assert "42" not in md + str([c.source for c in nb.cells]) and editions.SOLUTION_PLACEHOLDER in md
    assert leftover_markup(nb) == []


def test_one_text_converts_without_a_book():
    assert convert_markdown("see {cite:t}`k` and {ref}`sec <s>`") == "see k and sec"
    assert convert_markdown("{glue:text}`v:.1%`", glue={"v": "0.25"}) == "25.0%"
    assert convert_markdown("```{warning}\nMind {math}`x`.\n```") == "\n> **Warning**\n>\n> Mind $x$.\n"
    assert convert_markdown("```python\nx = 1\n```") == "```python\nx = 1\n```"  # code is left alone


def test_glued_values_are_read_from_a_run(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue('a', 0.5, display=False)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "0.5"},
            metadata={"scrapbook": {"name": "a", "mime_prefix": "application/papermill.record/"}},
        ),
        nbformat.v4.new_output("display_data", data={"text/plain": "'x'"}, metadata={"scrapbook": {"name": "b"}}),
        nbformat.v4.new_output("stream", name="stdout", text="not glued"),
    ]
    nb.cells = [cell]
    assert glue_values(nb) == {"a": "0.5", "b": "'x'"} and glue_values(None) == {}
    (tmp_path / "ch.glue.json").write_text('{"n": {"output_type": "display_data", "data": {"text/plain": "12"}}}')
    assert glue_file_values(tmp_path / "ch.glue.json") == {"n": "12"} and glue_file_values(tmp_path / "no") == {}


def test_the_student_edition_pastes_no_value_glued_in_a_solution(sample_book):
    text = sample_book.read_text().replace("The answer is 42.", "The answer is {glue:text}`secret`.")
    text = text.replace("and the width {glue:text}`width`", "and the secret {glue:text}`secret`")
    sample_book.write_text(text)
    executed = jupytext.reads(text, fmt="md:myst")
    for cell in executed.cells:
        if cell.cell_type == "code":
            key, value = ("secret", "'4242'") if "42" in cell.source else ("ratio", "2.0")
            meta = {"scrapbook": {"name": key, "mime_prefix": ""}}
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": value}, metadata=meta)]
    full = _markdown(editions.chapter_notebook(sample_book, executed=executed))
    student = _markdown(editions.chapter_notebook(sample_book, edition="student", executed=executed))
    assert "the secret 4242" in full and "The answer is 4242" in full and "The ratio is 2.00" in full
    assert f"the secret {GLUE_MISSING}" in student and "4242" not in student and "The ratio is 2.00" in student


@pytest.mark.parametrize("edition", ["full", "student"])
def test_every_download_is_plain_markdown(edition, tmp_path):
    written = editions.write_notebooks(CHAPTERS, tmp_path, edition=edition, requirement="lofi_utils")
    assert [p.stem for p in written] == [p.stem for p in CHAPTERS]
    fingerprints = editions.SolutionFingerprints.from_book(ROOT)
    book = book_for(CHAPTERS[0])
    for path, src in zip(written, CHAPTERS):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        md = _markdown(nb)
        assert not ROLE.search(md) and not DIRECTIVE.search(md), f"{path.name}: {leftover_markup(nb)[:3]}"
        assert leftover_markup(nb) == []
        text = src.read_text()
        n_ex = text.count("{exercise-start}") + text.count("{exercise}")
        assert md.count("**Exercise ") == n_ex >= 2, path.name
        cited = {k.strip() for m in re.finditer(r"\{cite(?::\w+)?\}`([^`]*)`", text) for k in m.group(1).split(",")}
        if edition == "full":
            assert md.count("**Solution to Exercise ") == editions.count_solutions(text), path.name
            assert cited <= set(book.bibliography) and nb.cells[-1].source.startswith("## References")
            assert all(book.bibliography[k]["title"] in nb.cells[-1].source for k in cited)
            mine = {n for n in fingerprints.names if n.startswith(f"{src.stem}: ")}
            assert mine and mine <= set(fingerprints.find_file(path)), path.name  # the detector sees them
        else:
            assert "Solution to" not in md and fingerprints.find_file(path) == {}, path.name


def test_a_numbered_figure_cell_is_followed_by_its_caption():
    text = (
        "# Ch\n\nSee {numref}`fig-b`.\n\n"
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    name: fig-a\n"
        "    caption: First, ratio {glue:text}`r:.1f`.\n  image:\n    alt: A line.\n---\nplot()\n```\n\n"
        "```{code-cell} ipython3\nprint(1)\n```\n\n"
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    name: fig-b\n"
        "    caption: |\n      Second {cite:t}`k`.\n---\nplot()\n```\n"
    )
    nb = convert_notebook(jupytext.reads(text, fmt="md:myst"), glue={"r": "2.345"})
    kinds = [(c.cell_type, c.source.splitlines()[0]) for c in nb.cells[:-1]]  # the last: References
    assert kinds == [
        ("markdown", "# Ch"),
        ("code", "plot()"),
        ("markdown", "**Figure 1.** First, ratio 2.3."),
        ("code", "print(1)"),
        ("code", "plot()"),
        ("markdown", "**Figure 2.** Second k."),
    ]
    assert "See Figure 2." in nb.cells[0].source and leftover_markup(nb) == []


def test_numbers_continue_across_chapters_as_in_the_book():
    from lofi_utils.plain_markdown import count_numbered

    text = (
        "# Ch\n\nBy {eq}`eq-a`, see {numref}`fig-a`.\n\n$$\nx = 1\n$$ (eq-a)\n\n"
        "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    name: fig-a\n    caption: One.\n---\nplot()\n```\n"
    )
    assert count_numbered(jupytext.reads(text, fmt="md:myst")) == (1, 1)
    nb = convert_notebook(jupytext.reads(text, fmt="md:myst"), first_figure=12, first_equation=22)
    md = _markdown(nb)
    assert "By (22), see Figure 12." in md and "\\tag{22}" in md and "**Figure 12.** One." in md
