"""The book's two editions and its downloadable notebooks.

* The **full** edition shows every exercise with its worked solution (a collapsed dropdown).
* The **student** edition leaves the solutions out of every page and of every file a reader can
  download from it (the notebooks, the sources behind the page header's download menu).

Where each edition is published (:data:`PUBLISHED_AT`) and its Colab links (:func:`colab_url`) follow
``.github/workflows/deploy-book.yml``. :class:`SolutionFingerprints` finds solution text in built files
(the build checks the student edition with it, and so do the tests).

Chapters are jupytext MyST Markdown; a solution is the block between a ``{solution-start}`` fence and
its ``{solution-end}`` fence (the gated syntax of sphinx-exercise), code cells included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import os

    from nbformat import NotebookNode

EDITIONS = ("full", "student")

#: Folder of each edition on the published site (the ``gh-pages`` branch): the deploy workflow copies the
#: student edition's HTML into ``student/``.
PUBLISHED_AT = {"full": "", "student": "student/"}

#: Replaces a removed solution in the student notebooks.
SOLUTION_PLACEHOLDER = "*(The worked solution is in the instructor's edition of the book.)*"

_SOLUTION = re.compile(
    r"^(`{3,})\{solution-start\}[^\n]*\n.*?^`{3,}\{solution-end\}[^\n]*\n`{3,}[ \t]*$",
    re.MULTILINE | re.DOTALL,
)

#: First cell of every downloaded notebook: installs the book's code where it is missing (Colab).
SETUP_CELL = """# Run this first on Colab or another fresh machine; it does nothing where lofi_utils is installed.
import importlib.util, subprocess, sys
if importlib.util.find_spec("lofi_utils") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "{requirement}"])"""


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


def chapter_notebook(
    path: str | os.PathLike[str],
    *,
    edition: str = "full",
    requirement: str | None = None,
    executed: Mapping[str, Any] | None = None,
    glue: Mapping[str, str] | None = None,
    first_figure: int = 1,
    first_equation: int = 1,
) -> NotebookNode:
    """The chapter at ``path`` (jupytext MyST ``.md``) as an ``nbformat`` notebook without outputs, its markdown
    in plain Markdown that Jupyter and Colab show as the book does (:func:`lofi_utils.plain_markdown.convert_notebook`:
    citations as text with a closing list of references, exercises as headed blocks, glued values pasted).

    ``edition="student"`` removes the solutions. ``requirement``: a pip requirement for the book's
    package (e.g. ``"lofi_utils @ git+https://github.com/ORG/REPO"``); when given, a first code cell
    installs it where ``lofi_utils`` is missing. ``executed``: the chapter's executed notebook (full edition),
    whose glued values replace the ``{glue}`` roles (in the student edition, only values glued outside the
    solutions); ``glue``: more ``{key: text/plain}`` values (:func:`lofi_utils.plain_markdown.glue_file_values`
    of the ``.glue.json`` that myst-nb writes); a value known to neither reads "(value computed when you run
    the notebook)". ``first_figure``, ``first_equation``: the numbers the book gives the chapter's first figure
    and labelled equation (see :func:`write_notebooks`).
    """
    import jupytext
    import nbformat

    from .plain_markdown import convert_notebook, glue_values

    check_edition(edition)
    text = Path(path).read_text(encoding="utf-8")
    if edition == "student":
        text = strip_solutions(text)
    nb = jupytext.reads(text, fmt="md:myst")
    if executed is not None and edition == "student":
        executed = {"cells": split_code_cells(executed)[1]}
    convert_notebook(
        nb,
        source=path,
        glue={**glue_values(executed), **(glue or {})},
        first_figure=first_figure,
        first_equation=first_equation,
    )
    if requirement:
        nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP_CELL.format(requirement=requirement)))
    return nb


def write_notebooks(
    sources: Iterable[str | os.PathLike[str]],
    outdir: str | os.PathLike[str],
    *,
    edition: str = "full",
    requirement: str | None = None,
    executed: Mapping[str, Mapping[str, Any] | None] | None = None,
    glue: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Path]:
    """Write :func:`chapter_notebook` of each source ``.md`` as ``outdir/<stem>.ipynb``; return the paths.

    ``executed``: ``{stem: executed notebook}``, ``glue``: ``{stem: {key: value}}``: the glued values pasted into
    the prose (see :func:`chapter_notebook`). ``sources`` come in the book's order: figures and labelled
    equations are numbered across them, as the book numbers them across its pages (counted in the full
    edition; a solution's figure carries no number, so both editions number alike)."""
    import jupytext
    import nbformat

    from .plain_markdown import count_numbered

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    fig, eq = 1, 1
    for src in sources:
        ran = (executed or {}).get(Path(src).stem)
        values = (glue or {}).get(Path(src).stem)
        nb = chapter_notebook(
            src,
            edition=edition,
            requirement=requirement,
            executed=ran,
            glue=values,
            first_figure=fig,
            first_equation=eq,
        )
        n_fig, n_eq = count_numbered(jupytext.reads(Path(src).read_text(encoding="utf-8"), fmt="md:myst"))
        fig, eq = fig + n_fig, eq + n_eq
        dest = outdir / f"{Path(src).stem}.ipynb"
        nbformat.write(nb, dest)
        written.append(dest)
    return written


_GITHUB = re.compile(r"https://github\.com/([^/\s]+/[^/\s]+?)(?:\.git)?/?$")


def colab_url(repository_url: str | None, stem: str, *, edition: str = "full") -> str | None:
    """Colab address of chapter ``stem``'s downloadable notebook in ``edition``, as published on the
    ``gh-pages`` branch (``<PUBLISHED_AT[edition]>notebooks/<stem>.ipynb``); ``None`` unless
    ``repository_url`` is a GitHub repository (``https://github.com/OWNER/REPO``)."""
    check_edition(edition)
    m = _GITHUB.match(repository_url or "")
    if not m:
        return None
    return (
        f"https://colab.research.google.com/github/{m.group(1)}/blob/gh-pages/"
        f"{PUBLISHED_AT[edition]}notebooks/{stem}.ipynb"
    )


_START = re.compile(r"^`{3,}\{solution-start\}[ \t]*(\S*)")
_END = re.compile(r"^`{3,}\{solution-end\}")
_FENCE_ONLY = re.compile(r"`{3,}[ \t]*")


def solutions(text: str) -> list[tuple[str, str]]:
    """``(exercise label, body)`` of every solution block of a chapter's MyST source, in order; the body is
    the block's prose and code cells, without its fences and directive options.

    Raises ``ValueError`` if a ``{solution-start}`` has no matching ``{solution-end}``.
    """
    strip_solutions(text)
    found = []
    for m in _SOLUTION.finditer(text):
        lines = m.group(0).splitlines()
        label = _START.match(lines[0]).group(1) or f"solution-{len(found) + 1}"
        i = 1
        if i < len(lines) and lines[i].strip() == "---":  # YAML options
            i = next((j + 1 for j in range(i + 1, len(lines)) if lines[j].strip() == "---"), i)
        while i < len(lines) and lines[i].startswith(":"):  # :option: lines
            i += 1
        if i < len(lines) and _FENCE_ONLY.fullmatch(lines[i]):  # closes the solution-start fence
            i += 1
        end = next(j for j in range(len(lines) - 1, 0, -1) if _END.match(lines[j]))
        found.append((label, "\n".join(lines[i:end])))
    return found


_MARK = re.compile(r"\{solution-(start|end)\}[ \t]*(\S*)")


def split_code_cells(nb: Mapping[str, Any]) -> tuple[dict[str, list], list]:
    """The code cells of a full-edition notebook (e.g. the executed one), split into the cells inside
    solution blocks (by exercise label) and all the others, in order."""
    inside, others, label, n = {}, [], None, 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            (inside.setdefault(label, []) if label else others).append(cell)
            continue
        for m in _MARK.finditer(_join(cell["source"])):
            if m.group(1) == "start":
                n += 1
                label = m.group(2) or f"solution-{n}"
            else:
                label = None
    return inside, others


def student_notebook(
    path: str | os.PathLike[str],
    executed: Mapping[str, Any] | None = None,
    *,
    requirement: str | None = None,
    glue: Mapping[str, str] | None = None,
) -> NotebookNode:
    """:func:`chapter_notebook` of the student edition; with ``executed`` (the chapter's executed
    notebook, full edition), each code cell gets the outputs that the same cell has there. Outputs
    are only ever taken from cells outside the solutions. ``glue``: as for :func:`chapter_notebook`."""
    import copy

    nb = chapter_notebook(path, edition="student", requirement=requirement, executed=executed, glue=glue)
    if executed is None:
        return nb
    _, pool = split_code_cells(executed)
    j = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source.strip()
        k = next((k for k in range(j, len(pool)) if _join(pool[k]["source"]).strip() == src), None)
        if k is not None:
            cell.outputs = copy.deepcopy(pool[k].get("outputs", []))
            cell.execution_count = pool[k].get("execution_count")
            j = k + 1
    return nb


def executed_notebook(path: str | os.PathLike[str], cache: str | os.PathLike[str] | None = None) -> NotebookNode | None:
    """The executed notebook that myst-nb wrote (``<build>/jupyter_execute/<docname>.ipynb``), with its
    outputs; ``None`` if there is none. Where the page came from the execution cache, myst-nb 1.4 writes
    the notebook without outputs: they are then merged in from ``cache`` (the jupyter-cache folder)."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    if cache and not any(c.get("outputs") for c in nb.cells if c.cell_type == "code") and Path(cache).is_dir():
        from jupyter_cache import get_cache

        try:
            _, nb = get_cache(str(cache)).merge_match_into_notebook(nb)
        except KeyError:  # not in the cache: keep the notebook without outputs
            pass
    return nb


# --- finding solutions in built files --------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_IMAGE_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".ico",
    ".pdf",
    ".woff",
    ".woff2",
    ".ttf",
    ".eot",
    ".otf",
    ".zip",
    ".gz",
}
_TAG = re.compile(r"<[^>]*>")
_B64 = re.compile(r"[A-Za-z0-9+/=\s]{200,}")


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _output_texts_and_images(cells) -> tuple[list[str], list[bytes]]:
    texts, images = [], []
    for cell in cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                texts.append(_join(out["text"]))
            for mime, value in (out.get("data") or {}).items():
                value = _join(value) if isinstance(value, (str, list)) else json.dumps(value)
                if mime.startswith("image/") and mime != "image/svg+xml":
                    try:
                        images.append(base64.b64decode(value))
                    except (binascii.Error, ValueError):
                        pass
                else:
                    texts.append(value)
                    if mime == "image/svg+xml":
                        images.append(value.encode())
    return texts, images


def _join(value) -> str:
    return value if isinstance(value, str) else "".join(value)


class SolutionFingerprints:
    """What only the worked solutions contain, to find them in built files.

    * word ``n``-grams (lower-case letters and digits; punctuation, markup and syntax highlighting do not
      matter) of each solution's prose, code and outputs that occur nowhere in ``others`` (everything a
      student may see: the chapters without their solutions, the other pages, the outputs of the cells
      outside the solutions);
    * the bytes of every figure a solution draws;
    * for Sphinx's search index, which keeps single (stemmed) words: the words of the solutions that
      occur nowhere in ``others``.

    ``solutions``: ``{name: [text, ...]}``, ``images``: ``{name: [bytes, ...]}`` (``name`` says whose
    solution it is in every finding).
    """

    def __init__(
        self,
        solutions: Mapping[str, Iterable[str]],
        others: Iterable[str] = (),
        *,
        images: Mapping[str, Iterable[bytes]] | None = None,
        other_images: Iterable[bytes] = (),
        n: int = 8,
    ) -> None:
        """Index the solutions' n-grams, words and figures that ``others`` do not contain (see the class
        docstring)."""
        if n < 3:
            raise ValueError(f"n-grams of {n} words are not distinctive; use n >= 3")
        self.n = n
        seen, seen_words = set(), set()
        for text in others:
            toks = _tokens(text)
            seen.update(zip(*(toks[i:] for i in range(n))))
            seen_words |= _index_words(text)
        self.ngrams: dict[tuple[str, ...], str] = {}
        self.words: dict[str, str] = {}
        self.names: list[str] = []
        for name, texts in solutions.items():
            self.names.append(name)
            for text in texts:
                toks = _tokens(text)
                for g in zip(*(toks[i:] for i in range(n))):
                    if g not in seen:
                        self.ngrams.setdefault(g, name)
                for w in _index_words(text, 4) - seen_words:
                    self.words.setdefault(w, name)
        skip = {hashlib.sha256(b).hexdigest() for b in other_images}
        self.images: dict[str, str] = {}
        for name, blobs in (images or {}).items():
            for b in blobs:
                h = hashlib.sha256(b).hexdigest()
                if h not in skip:
                    self.images.setdefault(h, name)

    @classmethod
    def from_chapters(
        cls, chapters: Mapping[str, str], *, executed: Mapping | None = None, others: Iterable[str] = (), n: int = 8
    ) -> SolutionFingerprints:
        """From the chapters' MyST sources ``{name: text}`` and, where given, their executed notebooks
        ``{name: notebook}`` (full edition: the solutions' outputs and figures). ``others``: the text of
        the book's other pages. Each solution is named ``"<chapter>: <exercise label>"``."""
        sols, imgs, rest, rest_imgs = {}, {}, list(others), []
        for chapter, text in chapters.items():
            for label, body in solutions(text):
                sols[f"{chapter}: {label}"] = [body]
            rest.append(strip_solutions(text, placeholder=""))
            nb = (executed or {}).get(chapter)
            if nb is None:
                continue
            inside, outside = split_code_cells(nb)
            for label, cells in inside.items():
                texts, blobs = _output_texts_and_images(cells)
                sols.setdefault(f"{chapter}: {label}", []).extend(texts)
                imgs.setdefault(f"{chapter}: {label}", []).extend(blobs)
            texts, blobs = _output_texts_and_images(outside)
            rest += texts
            rest_imgs += blobs
        return cls(sols, rest, images=imgs, other_images=rest_imgs, n=n)

    def find(self, text: str) -> dict[str, str]:
        """``{solution name: the first of its n-grams found}`` in ``text``."""
        found, n, first = {}, self.n, {g[0] for g in self.ngrams}
        toks = _tokens(text)
        for i in range(len(toks) - n + 1):
            if toks[i] in first:
                g = tuple(toks[i : i + n])
                name = self.ngrams.get(g)
                if name and name not in found:
                    found[name] = " ".join(g)
        return found

    @classmethod
    def from_book(
        cls,
        srcdir: str | os.PathLike[str],
        executed_dir: str | os.PathLike[str] | None = None,
        *,
        cache: str | os.PathLike[str] | None = None,
        n: int = 8,
    ) -> SolutionFingerprints:
        """:meth:`from_chapters` for the book at ``srcdir``: the chapters ``notebooks/*.md``, their executed
        notebooks (:func:`executed_notebook` of ``<executed_dir>/notebooks/<name>.ipynb``, myst-nb's
        ``jupyter_execute`` folder, with outputs from the jupyter-cache folder ``cache``) where present,
        and as ``others`` every other ``.md`` and ``.bib`` file of the book (folders whose name starts
        with ``.`` or ``_`` are skipped)."""
        import os

        srcdir = Path(srcdir)
        chapters = {p.stem: p.read_text(encoding="utf-8") for p in sorted((srcdir / "notebooks").glob("*.md"))}
        executed = {}
        for name in chapters:
            nb = executed_notebook(Path(executed_dir) / "notebooks" / f"{name}.ipynb", cache) if executed_dir else None
            if nb is not None:
                executed[name] = nb
        others = []
        for folder, dirs, files in os.walk(srcdir):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for f in sorted(files):
                p = Path(folder) / f
                if p.suffix in (".md", ".bib") and p.parent != srcdir / "notebooks":
                    others.append(p.read_text(encoding="utf-8", errors="replace"))
        return cls.from_chapters(chapters, executed=executed, others=others, n=n)

    def find_file(self, path: str | os.PathLike[str]) -> dict[str, str]:
        """``{solution name: what was found}`` in one file: its text (as written, unescaped, without HTML
        tags, the strings of a notebook) and its bytes or embedded images (the solutions' figures)."""
        path = Path(path)
        data = path.read_bytes()
        found, blobs = {}, [data]
        if path.suffix.lower() not in _IMAGE_SUFFIXES:
            texts, more = _file_texts(path, data)
            blobs += more
            for text in texts:
                for name, what in self.find(text).items():
                    found.setdefault(name, f"text '{what}'")
        for b in blobs:
            name = self.images.get(hashlib.sha256(b).hexdigest())
            if name:
                found.setdefault(name, "a figure of the solution")
        return found

    def scan(self, root: str | os.PathLike[str]) -> list[str]:
        """Every solution found in any file under ``root`` (a built site), one line each:
        ``"<file>: <solution name> (<what was found>)"``; empty when there is none. The search index
        ``searchindex.js`` is checked for the solutions' words that no page of the site shows."""
        root = Path(root)
        files = sorted(p for p in root.rglob("*") if p.is_file())
        hits, page_words = [], set()
        for p in files:
            rel = p.relative_to(root).as_posix()
            hits += [f"{rel}: {name} ({what})" for name, what in self.find_file(p).items()]
            if p.suffix.lower() in (".html", ".htm"):
                page_words |= _index_words(
                    html.unescape(_TAG.sub(" ", p.read_text(encoding="utf-8", errors="replace")))
                )
        for p in files:
            if p.name == "searchindex.js":
                terms = _search_terms(p.read_text(encoding="utf-8", errors="replace"))
                leaked = sorted(t for t in terms if t in self.words and t not in page_words)
                hits += [f"{p.relative_to(root).as_posix()}: {self.words[t]} (search term '{t}')" for t in leaked]
        return hits


def _file_texts(path: Path, data: bytes) -> tuple[list[str], list[bytes]]:
    """The texts to search in a file (raw, unescaped, without tags; JSON strings joined) and the images
    embedded in it (base64 in notebooks)."""
    if path.name == "objects.inv":
        head, _, rest = data.partition(b"zlib.\n")
        try:
            data = head + b"\n" + zlib.decompress(rest)
        except zlib.error:
            pass
    raw = data.decode("utf-8", errors="replace")
    texts, blobs = [raw], []
    suffix = path.suffix.lower()
    if suffix in (".ipynb", ".json"):
        try:
            strings = list(_json_strings(json.loads(raw)))
        except ValueError:
            strings = []
        texts.append("\n".join(strings))
        for s in strings:
            if _B64.fullmatch(s):
                try:
                    blobs.append(base64.b64decode(s))
                except (binascii.Error, ValueError):
                    pass
    if suffix not in (".js", ".css", ".map"):
        texts += [html.unescape(raw), html.unescape(_TAG.sub("", raw)), html.unescape(_TAG.sub(" ", raw))]
    return texts, blobs


def _json_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list) and obj and all(isinstance(x, str) for x in obj):
        yield "".join(obj)
    elif isinstance(obj, list):
        for x in obj:
            yield from _json_strings(x)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _json_strings(v)


def _search_terms(js: str) -> set[str]:
    """The terms of a Sphinx ``searchindex.js`` (``Search.setIndex({...})``)."""
    start, end = js.find("{"), js.rfind("}")
    try:
        index = json.loads(js[start : end + 1])
    except ValueError:
        return set()
    return set(index.get("terms", {})) | set(index.get("titleterms", {}))


_INDEX_WORD = re.compile(r"\w+")
_STEM = None


def _stemmer():
    global _STEM
    if _STEM is None:
        try:
            from sphinx.search.en import SearchEnglish

            _STEM = SearchEnglish({}).stem
        except Exception:  # noqa: BLE001 -- no Sphinx: compare unstemmed words only
            _STEM = str.lower
    return _STEM


def _index_words(text: str, min_len: int = 1) -> set[str]:
    """The words (as written and stemmed, lower case) that Sphinx's search index could hold for ``text``:
    those of ``min_len`` or more characters with a letter."""
    stem = _stemmer()
    out = set()
    for w in _INDEX_WORD.findall(text):
        if len(w) >= min_len and not w.isdigit():
            lw = w.lower()
            out.add(lw)
            out.add(stem(lw))
    return out
