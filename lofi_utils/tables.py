"""Tables of results that print as aligned text and display as HTML tables.

A chapter shows a result table by leaving ``result.table()`` as the last line of a cell: Jupyter and the
built book display it as an HTML table (:meth:`Table._repr_html_`), which the page styles, wraps and
scrolls like any table; ``print(result.table())`` and ``str`` give the same rows as aligned plain text
(for a terminal or a log). A :class:`Table` is a ``str`` (its text), so code that searched or split the
old plain-text tables keeps working.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["Table"]


class Table(str):
    """A table of ``columns`` (names) and ``rows`` (one sequence of cells per row, as strings or numbers,
    formatted with ``str``), with an optional ``title`` above and ``notes`` below.

    The first column is left-aligned (row labels), the others right-aligned (numbers). ``ValueError`` when a
    row's length differs from the number of columns.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str
    notes: tuple[str, ...]

    def __new__(
        cls,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        title: str = "",
        notes: Sequence[str] | str = (),
    ) -> Table:
        cols = tuple(str(c) for c in columns)
        if not cols:
            raise ValueError("a table needs at least one column")
        body = tuple(tuple(str(v) for v in row) for row in rows)
        for i, row in enumerate(body):
            if len(row) != len(cols):
                raise ValueError(f"row {i} has {len(row)} cells for {len(cols)} columns {list(cols)}")
        notes = (notes,) if isinstance(notes, str) else tuple(notes)
        widths = [max([len(c)] + [len(r[j]) for r in body]) for j, c in enumerate(cols)]

        def line(cells):
            return "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(cells, widths)))

        text = "\n".join(([title] if title else []) + [line(cols)] + [line(r) for r in body] + list(notes))
        obj = super().__new__(cls, text)
        obj.columns, obj.rows, obj.title, obj.notes = cols, body, str(title), notes
        return obj

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(f'<td style="text-align:{"left" if j == 0 else "right"}">{esc(c)}</td>' for j, c in enumerate(r))
            + "</tr>"
            for r in self.rows
        )
        caption = f"<caption>{esc(self.title)}</caption>" if self.title else ""
        notes = "".join(f'<p style="margin:0.2em 0;font-size:0.9em">{esc(n)}</p>' for n in self.notes)
        return (
            f'<div class="lofi-table" style="overflow-x:auto"><table class="table">{caption}<thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>{notes}</div>"
        )
