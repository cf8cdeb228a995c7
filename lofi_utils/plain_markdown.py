"""The chapters' MyST markup as plain Markdown, for the downloadable notebooks (Jupyter, JupyterLab, Colab).

MyST roles and directives mean nothing to Jupyter, which would show them as literal text. In the notebooks
that :mod:`lofi_utils.editions` writes, every markdown cell is converted:

* ``{cite}`key``` (also ``{cite:p}``, ``{cite:t}``, ...) -> "(Rahaman et al., 2019)" / "Rahaman et al. (2019)"
  (surnames; "et al." beyond two authors), from the book's bibliography, and a last cell "References" lists
  every entry cited;
* exercises and solutions (sphinx-exercise's ``{exercise}``, ``{exercise-start}``/``{exercise-end}``,
  ``{solution}``, ``{solution-start}``/``{solution-end}``) -> a bold heading "**Exercise N** (title)",
  numbered within the chapter, and "**Solution to Exercise N**";
* ``{glue:text}`key:fmt``` and ``{glue}`key``` -> the value glued in the executed chapter when it is known,
  else "(value computed when you run the notebook)";
* ``{ref}``, ``{numref}``, ``{eq}``, ``{doc}`` -> the target's title or number as text; ``{math}`` ->
  ``$...$``; any other role -> its text;
* admonitions (``{note}``, ``{admonition}``, ..., backtick or colon fences) -> a block quote with a bold title;
  ``{math}`` and labelled display equations (``$$ ... $$ (label)``) -> ``$$ ... \\tag{N} $$``; ``{figure}`` ->
  an image with its caption; any other directive -> a block quote;
* MyST target lines ``(label)=`` are dropped; the book's MathJax macros (``_config.yml``) are expanded;
* a code cell whose metadata makes its image a numbered figure (myst-nb's ``mystnb: figure: {name, caption}``)
  is followed by a markdown cell "**Figure N.** caption", numbered as in the book.

:func:`convert_notebook` does all of it to an ``nbformat`` notebook; :func:`leftover_markup` finds what a
converted notebook still holds of MyST (the tests scan every download with it).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os

    from nbformat import NotebookNode

#: what a reader sees where the book pastes a value from the run and none is known (no executed chapter)
GLUE_MISSING = "(value computed when you run the notebook)"

ADMONITIONS = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "admonition": "",
    "dropdown": "",
    "margin": "",
    "sidebar": "",
    "topic": "",
}

_ROLE = re.compile(r"\{([A-Za-z][\w:.+-]*)\}`([^`]*)`")
_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|:{3,})\{([^}\s]+)\}[ \t]*(.*?)[ \t]*$")
_TARGET = re.compile(r"^[ \t]{0,3}\(([^()\s]+)\)=[ \t]*$")
_EQ_LABEL = re.compile(r"\$\$[ \t]*\(([^()\s]+)\)[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_OPTION = re.compile(r"^:([\w-]+):[ \t]*(.*)$")
_TITLED = re.compile(r"^(.*?)\s*<([^<>]+)>\s*$", re.DOTALL)

#: what :func:`leftover_markup` looks for: a role, a directive fence, a target line, a labelled equation
LEFTOVERS = {
    "role": re.compile(r"\{[a-z][\w:.+-]*\}`"),
    "directive": re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{", re.MULTILINE),
    "target": re.compile(r"^[ \t]*\([^()\s]+\)=[ \t]*$", re.MULTILINE),
    "equation label": re.compile(r"\$\$[ \t]*\([^()\s]+\)[ \t]*$", re.MULTILINE),
}


# --------------------------------------------------------------------------- the book around a chapter
@dataclass
class Book:
    """What the conversion needs from the book: bibliography entries ``{key: fields}`` (``authors``: surnames,
    ``names``: full names, ``year``, ``title``, ``venue``, ``link``), the titles of labelled headings
    ``{label: title}``, the MathJax macros ``{name: expansion}`` and the book's root folder."""

    bibliography: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    root: Path | None = None


def _book_root(path: Path) -> Path | None:
    for folder in [path.parent, *path.parent.parents]:
        if (folder / "_config.yml").is_file():
            return folder
    return None


def _plain_latex(text: str) -> str:
    """BibTeX text without LaTeX: accents decoded, braces and ``--`` tidied."""
    import codecs

    try:
        import latexcodec  # noqa: F401 -- registers the codec

        text = codecs.decode(text, "ulatex")
    except (ImportError, LookupError, ValueError):  # pragma: no cover
        pass
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "").replace("--", "–")).strip()


def read_bibliography(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The entries of a BibTeX file: ``{key: {"authors": [surnames], "names": [full names], "year", "title",
    "venue", "link"}}`` (``venue``: journal, book title or publisher; ``link``: DOI, URL or arXiv address)."""
    from pybtex.database import parse_file

    out = {}
    for key, entry in parse_file(str(path)).entries.items():
        f = entry.fields
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        surnames = [_plain_latex(" ".join(p.prelast_names + p.last_names)) for p in people]
        names = [
            _plain_latex(" ".join(p.first_names + p.middle_names + p.prelast_names + p.last_names)) for p in people
        ]
        if f.get("doi"):
            link = f"https://doi.org/{f['doi']}"
        elif f.get("url"):
            link = f["url"]
        elif f.get("eprint") and f.get("archiveprefix", "arXiv").lower() == "arxiv":
            link = f"https://arxiv.org/abs/{f['eprint']}"
        else:
            link = ""
        venue = f.get("journal") or f.get("booktitle") or f.get("publisher") or f.get("school") or ""
        out[key] = {
            "authors": surnames,
            "names": names,
            "year": _plain_latex(f.get("year", "") or f.get("date", "")[:4]) or "n.d.",
            "title": _plain_latex(f.get("title", "")),
            "venue": _plain_latex(venue),
            "link": link,
        }
    return out


def _heading_labels(text: str) -> dict[str, str]:
    """``{label: heading text}`` of the ``(label)=`` lines of a MyST page that stand before a heading."""
    found, lines = {}, text.splitlines()
    for i, line in enumerate(lines):
        m = _TARGET.match(line)
        if not m:
            continue
        nxt = next((x for x in lines[i + 1 :] if x.strip()), "")
        if nxt.lstrip().startswith("#"):
            found[m.group(1)] = nxt.lstrip("# ").strip()
    return found


def book_for(path: str | os.PathLike[str]) -> Book:
    """The :class:`Book` of the chapter at ``path``: the bibliography files and the MathJax macros named in the
    ``_config.yml`` of the first folder above it that has one, and the labelled headings of its pages."""
    import yaml

    root = _book_root(Path(path).resolve())
    if root is None:
        return Book()
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    bib = {}
    for name in config.get("bibtex_bibfiles") or []:
        if (root / name).is_file():
            bib.update(read_bibliography(root / name))
    tex = ((config.get("sphinx") or {}).get("config") or {}).get("mathjax3_config", {}).get("tex", {})
    macros = {k: v for k, v in (tex.get("macros") or {}).items() if isinstance(v, str)}
    labels = {}
    for page in sorted(root.glob("*/*.md")) + sorted(root.glob("*/*/*.md")):
        if not any(part.startswith((".", "_")) for part in page.relative_to(root).parts):
            labels.update(_heading_labels(page.read_text(encoding="utf-8", errors="replace")))
    return Book(bibliography=bib, labels=labels, macros=macros, root=root)


# --------------------------------------------------------------------------- glued values
def glue_values(nb: Mapping[str, Any] | None) -> dict[str, str]:
    """``{key: text/plain}`` of every value a chapter glued (myst-nb's ``glue``, as its executed notebook keeps
    them: outputs whose metadata carries ``scrapbook``)."""
    found = {}
    for cell in (nb or {}).get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            meta = (out.get("metadata") or {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            text = (out.get("data") or {}).get(prefix + "text/plain")
            if text is not None:
                found[meta["name"]] = text if isinstance(text, str) else "".join(text)
    return found


def glue_file_values(path: str | os.PathLike[str]) -> dict[str, str]:
    """``{key: text/plain}`` of a ``<docname>.glue.json`` that myst-nb writes next to the executed notebook
    (``jupyter_execute/``; that notebook no longer holds the glued outputs); ``{}`` when there is none."""
    import json

    path = Path(path)
    if not path.is_file():
        return {}
    found = {}
    for key, out in json.loads(path.read_text(encoding="utf-8")).items():
        text = ((out or {}).get("data") or {}).get("text/plain")
        if text is not None:
            found[key] = text if isinstance(text, str) else "".join(text)
    return found


def _format_glued(text: str, spec: str) -> str:
    """myst-nb's formatting of a glued ``text/plain`` (``myst_nb.core.variables.format_plain_text``)."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if not spec:
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


# --------------------------------------------------------------------------- the conversion
@dataclass
class _State:
    book: Book
    glue: Mapping[str, str]
    folder: Path | None
    exercises: dict[str, int] = field(default_factory=dict)
    equations: dict[str, int] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)
    cited: list[str] = field(default_factory=list)
    numbers: list = field(default_factory=list)  # the exercises' numbers in order (None: unnumbered)
    seen: int = 0  # exercises converted so far
    n_figure: int = 0
    first_equation: int = 1  # the number of the chapter's first labelled equation (the book numbers across pages)


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's options (``:key: value`` lines or a ``---`` YAML block at the top) and the rest."""
    opts, i = {}, 0
    if body and body[0].strip() == "---":
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), None)
        if end is not None:
            for line in body[1:end]:
                k, _, v = line.partition(":")
                opts[k.strip()] = v.strip()
            i = end + 1
    while i < len(body) and (m := _OPTION.match(body[i].strip())):
        opts[m.group(1)] = m.group(2).strip()
        i += 1
    return opts, body[i:]


def _blocks(lines: list[str]):
    """Split lines into ``("text", lines)``, ``("code", lines)`` (plain fenced code, left alone) and
    ``("directive", (name, argument, body lines))``."""
    i, text = 0, []
    while i < len(lines):
        line = lines[i]
        m = _OPEN.match(line)
        fence = _FENCE.match(line)
        if m or fence:
            if text:
                yield "text", text
                text = []
            mark = (m or fence).group(1)
            close = re.compile(rf"^[ \t]{{0,3}}{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
            j = next((k for k in range(i + 1, len(lines)) if close.match(lines[k])), len(lines))
            if m:
                yield "directive", (m.group(2), m.group(3), lines[i + 1 : j])
            else:
                yield "code", lines[i : j + 1]
            i = j + 1
            continue
        text.append(line)
        i += 1
    if text:
        yield "text", text


def _scan(text: str, st: _State) -> None:
    """First pass over a chapter's markdown: number its exercises, labelled equations and figures."""
    for kind, block in _blocks(text.splitlines()):
        if kind == "text":
            for line in block:
                if m := _EQ_LABEL.search(line):
                    st.equations.setdefault(m.group(1), st.first_equation + len(st.equations))
            continue
        if kind != "directive":
            continue
        name, arg, body = block
        opts, rest = _options(body)
        if name in ("exercise", "exercise-start"):
            n = None if "nonumber" in opts else sum(x is not None for x in st.numbers) + 1
            st.numbers.append(n)
            if opts.get("label") and n is not None:
                st.exercises[opts["label"]] = n
        elif name in ("figure", "glue:figure", "table", "list-table") and opts.get("name"):
            st.n_figure += 1
            st.figures[opts["name"]] = st.n_figure
        elif name == "math" and opts.get("label"):
            st.equations.setdefault(opts["label"], st.first_equation + len(st.equations))
        _scan("\n".join(rest), st)


def _author_text(entry: Mapping[str, Any]) -> str:
    a = entry["authors"]
    if not a:
        return entry["title"] or "?"
    return a[0] if len(a) == 1 else f"{a[0]} and {a[1]}" if len(a) == 2 else f"{a[0]} et al."


def _cite(role: str, content: str, st: _State) -> str:
    keys = [k.strip() for k in content.split(",") if k.strip()]
    parts = []
    for k in keys:
        if k not in st.cited:
            st.cited.append(k)
        e = st.book.bibliography.get(k)
        parts.append((_author_text(e), e["year"]) if e else (k, ""))
    kind = role.split(":", 1)[1] if ":" in role else "p"
    if kind.startswith("t"):
        return ", ".join(f"{a} ({y})" if y else a for a, y in parts)
    if kind == "year":
        return ", ".join(y or a for a, y in parts)
    if kind.startswith("author"):
        return ", ".join(a for a, _ in parts)
    return "(" + "; ".join(f"{a}, {y}" if y else a for a, y in parts) + ")"


def _split_title(content: str) -> tuple[str | None, str]:
    m = _TITLED.match(content)
    return (m.group(1).strip() or None, m.group(2).strip()) if m else (None, content.strip())


def _doc_title(target: str, st: _State) -> str:
    """``“Title”`` of the page ``target`` (a ``{doc}`` target: relative to the chapter, or ``/``-rooted)."""
    bases = [st.book.root] if target.startswith("/") else [st.folder, st.book.root]
    for base in (b for b in bases if b is not None):
        p = base / target.lstrip("/")
        for q in (p, p.with_name(p.name + ".md")):
            if q.is_file() and q.suffix == ".md":
                head = re.search(r"^# (.+)$", q.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
                if head:
                    return f"“{head.group(1).strip()}”"
    return f"“{Path(target).name}”"


def _role(m: re.Match, st: _State) -> str:
    role, content = m.group(1), m.group(2)
    if role == "cite" or role.startswith("cite:"):
        return _cite(role, content, st)
    if role in ("glue", "glue:", "glue:any", "glue:text", "glue:md"):
        key = content.split("::")[-1].strip()
        key, _, spec = key.partition(":") if role == "glue:text" else (key, "", "")
        if key not in st.glue:
            return GLUE_MISSING
        try:
            return _format_glued(st.glue[key], spec)
        except (TypeError, ValueError):
            return st.glue[key]
    if role == "math":
        return f"${content}$"
    text, target = _split_title(content)
    if role == "eq":
        return f"({st.equations[target]})" if target in st.equations else f"({target})"
    if role == "numref":
        if target in st.exercises:
            n, what = st.exercises[target], "Exercise"
        elif target in st.equations:
            n, what = st.equations[target], "Equation"
        else:
            n, what = st.figures.get(target, "?"), "Figure"
        return (text or f"{what} %s").replace("%s", str(n)).replace("{number}", str(n))
    if role == "ref":
        if text:
            return text
        if target in st.exercises:
            return f"Exercise {st.exercises[target]}"
        return f"“{st.book.labels[target]}”" if target in st.book.labels else target
    if role == "doc":
        return text or _doc_title(target, st)
    if role in ("download",):
        return f"[{text or Path(target).name}]({target})"
    return text or target


def _expand_macros(text: str, macros: Mapping[str, str]) -> str:
    for name, body in macros.items():
        text = re.sub(rf"\\{re.escape(name)}(?![A-Za-z])", lambda _m, b=body: b, text)
    return text


def _inline(text: str, st: _State) -> str:
    """Roles, target lines and equation labels of plain text (outside directives and code)."""
    out = []
    for line in text.split("\n"):
        if _TARGET.match(line):
            continue
        if m := _EQ_LABEL.search(line):
            n = st.equations.get(m.group(1))
            line = line[: m.start()] + (f"\\tag{{{n}}} $$" if n else "$$")
        out.append(line)
    return _ROLE.sub(lambda m: _role(m, st), "\n".join(out))


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip("\n").split("\n"))


def _directive(name: str, arg: str, body: list[str], st: _State) -> str:
    opts, rest = _options(body)
    content = _convert("\n".join(rest), st)
    title = _inline(arg, st) if arg else ""
    if name in ("exercise", "exercise-start"):
        n = st.numbers[st.seen] if st.seen < len(st.numbers) else None
        st.seen += 1
        head = "**Exercise" + (f" {n}**" if n else "**") + (f" ({title})" if title else "")
        return head + ("\n\n" + content if content.strip() else "")
    if name in ("exercise-end", "solution-end"):
        return content
    if name in ("solution", "solution-start"):
        n = st.exercises.get(arg.strip())
        head = f"**Solution to Exercise {n}**" if n else "**Solution**"
        return head + ("\n\n" + content if content.strip() else "")
    if name == "math":
        n = st.equations.get(opts.get("label", ""))
        return "$$\n" + content.strip() + (f"\n\\tag{{{n}}}" if n else "") + "\n$$"
    if name in ("figure", "image"):
        alt = opts.get("alt") or (content.strip().split("\n")[0] if content.strip() else "figure")
        image = f"![{alt}]({arg.strip()})"
        if name == "image" or not content.strip():
            return image
        n = st.figures.get(opts.get("name", ""))
        return f"{image}\n\n*Figure{f' {n}' if n else ''}: {content.strip()}*"
    if name == "glue:figure":
        n = st.figures.get(opts.get("name", ""))
        caption = content.strip() or "drawn by the code above"
        return f"*Figure{f' {n}' if n else ''}: {caption}*"
    if name in ("glue", "glue:", "glue:any", "glue:md", "glue:math"):
        key = arg.split("::")[-1].strip()
        value = st.glue.get(key)
        if value is None:
            return GLUE_MISSING
        return f"$$\n{_format_glued(value, '')}\n$$" if name == "glue:math" else _format_glued(value, "")
    if name in ("bibliography", "tableofcontents", "toctree", "raw", "code-cell"):
        return ""
    if name in ADMONITIONS or name.startswith("admonition"):
        head = title or ADMONITIONS.get(name, "") or name.capitalize()
        return _quote(f"**{head}**\n\n{content}" if content.strip() else f"**{head}**")
    if name in ("table", "list-table"):
        return (f"**{title}**\n\n" if title else "") + content
    head = f"**{title or name.replace('-', ' ').capitalize()}**"
    return _quote(f"{head}\n\n{content}" if content.strip() else head)


def _convert(text: str, st: _State) -> str:
    parts = []
    for kind, block in _blocks(text.split("\n")):
        if kind == "text":
            parts.append(_inline("\n".join(block), st))
        elif kind == "code":
            parts.append("\n".join(block))
        else:
            parts.append("\n" + _directive(*block, st) + "\n")
    out = "\n".join(parts)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return _expand_macros(out, st.book.macros)


def reference_list(keys: list[str], bibliography: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown for a "References" section of the entries ``keys`` (sorted by author and year; unknown keys
    are listed as they are)."""
    rows = []
    for k in keys:
        e = bibliography.get(k)
        if e is None:
            rows.append(((k.lower(), ""), f"- {k}"))
            continue
        names = ", ".join(e["names"]) or "?"
        title = f" {e['title']}." if e["title"] else ""
        venue = f" *{e['venue']}*." if e["venue"] else ""
        link = f" <{e['link']}>" if e["link"] else ""
        rows.append((((e["authors"] or [k])[0].lower(), e["year"]), f"- {names} ({e['year']}).{title}{venue}{link}"))
    return "## References\n\n" + "\n".join(r for _, r in sorted(rows))


def convert_markdown(text: str, *, book: Book | None = None, glue: Mapping[str, str] | None = None) -> str:
    """One MyST text (e.g. one markdown cell) as plain Markdown (see the module docstring); citations are not
    followed by a reference list (:func:`convert_notebook` adds one)."""
    st = _State(book=book or Book(), glue=glue or {}, folder=None)
    _scan(text, st)
    return _convert(text, st)


def convert_notebook(
    nb: NotebookNode,
    *,
    source: str | os.PathLike[str] | None = None,
    book: Book | None = None,
    glue: Mapping[str, str] | None = None,
    first_figure: int = 1,
    first_equation: int = 1,
) -> NotebookNode:
    """Convert every markdown cell of ``nb`` (in place; also returned) to plain Markdown and append a
    "References" cell listing the entries cited. ``source``: the chapter's path (its folder resolves ``{doc}``
    targets; without ``book``, the book around it is read with :func:`book_for`). ``glue``: the values the
    executed chapter glued (:func:`glue_values`). ``first_figure``, ``first_equation``: the numbers of the
    chapter's first figure and labelled equation (the book numbers both across its pages: see
    :func:`count_numbered`)."""
    import nbformat

    if book is None:
        book = book_for(source) if source is not None else Book()
    st = _State(book=book, glue=glue or {}, folder=Path(source).resolve().parent if source else None)
    st.n_figure, st.first_equation = int(first_figure) - 1, int(first_equation)
    captions = {}  # id(code cell) -> its figure's (number, caption)
    for c in nb.cells:  # in page order, as Sphinx numbers figures
        if c.cell_type == "markdown":
            _scan(c.source, st)
        elif c.cell_type == "code" and (fig := figure_options(c)) is not None:
            st.n_figure += 1
            if fig.get("name"):
                st.figures[str(fig["name"])] = st.n_figure
            captions[id(c)] = (st.n_figure, str(fig.get("caption") or "").strip())
    cells = []
    for c in nb.cells:
        if c.cell_type == "markdown":
            c.source = _convert(c.source, st).strip("\n")
        cells.append(c)
        if id(c) in captions:
            n, caption = captions[id(c)]
            text = _convert(caption, st).strip("\n")
            cells.append(nbformat.v4.new_markdown_cell(f"**Figure {n}.** {text}".rstrip()))
    nb.cells = [c for c in cells if c.cell_type != "markdown" or c.source.strip()]
    if st.cited:
        nb.cells.append(nbformat.v4.new_markdown_cell(reference_list(st.cited, book.bibliography)))
    return nb


def count_numbered(nb: NotebookNode) -> tuple[int, int]:
    """``(figures, labelled equations)`` of a chapter notebook (before conversion): what it adds to the book's
    numbering, which runs across pages (Sphinx's ``numfig`` without numbered sections), so that the next
    chapter's downloads start where the book does."""
    st = _State(book=Book(), glue={}, folder=None)
    n = 0
    for c in nb.cells:
        if c.cell_type == "markdown":
            _scan(c.source, st)
        elif c.cell_type == "code" and figure_options(c) is not None:
            n += 1
    return st.n_figure + n, len(st.equations)


def figure_options(cell: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The figure options a code cell's metadata gives its image (``mystnb: figure:``), or ``None``."""
    fig = ((cell.get("metadata") or {}).get("mystnb") or {}).get("figure")
    return fig if isinstance(fig, Mapping) else None


def leftover_markup(nb: Mapping[str, Any]) -> list[str]:
    """What the markdown cells of a notebook still hold of MyST: ``"cell N: <kind> '<text>'"`` each (none
    after :func:`convert_notebook`)."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for kind, pattern in LEFTOVERS.items():
            for m in pattern.finditer(src):
                found.append(f"cell {i}: {kind} {src[m.start() : m.end() + 30].strip()!r}")
    return found
