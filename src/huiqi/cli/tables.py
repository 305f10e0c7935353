"""Tables that stay readable at 80 columns and in pipes.

Money, ids and counts are never wrapped or cut: their columns are as wide as their widest value.
Descriptions share the width left and wrap — at spaces and between Chinese characters, never
inside a number or an id. When even the narrowest descriptions do not fit, every row is printed
as a block of ``header: value`` lines instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

# A description column narrower than this reads worse than blocks; it also holds any amount whole.
NARROWEST = 16
# What a line may break between: spaces; a run of ASCII (a number, an id, a word) or one other
# character, each with the opening punctuation that must not end a line before it and the closing
# punctuation that must not start one after it.
_OPEN, _CLOSE = "（《「『“", "，。、；：！？）》」』”"
_TOKEN = re.compile(rf"\s+|[{_OPEN}]*(?:[\x21-\x7e]+|.)[{_CLOSE}]*")
# A token too long for the line is parted from its punctuation before anything is cut.
_PARTS = re.compile(rf"([{_OPEN}]*)(.*?)([{_CLOSE}]*)", re.DOTALL)


Cell = str | Text


@dataclass(frozen=True)
class Column:
    header: str  # "\n" splits a header over lines, keeping a column of amounts narrow
    wrap: bool = False  # a description; every other column is printed whole
    right: bool = False


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text.from_markup(cell)


def _natural(cells: Sequence[Text]) -> int:
    return max((cell_len(line) for c in cells for line in c.plain.split("\n")), default=0)


def _pieces(line: str, width: int) -> Iterator[tuple[int, str]]:
    """(offset, piece) of what may start a line: tokens, and the parts of one wider than ``width``."""
    for m in _TOKEN.finditer(line):
        if cell_len(m.group()) <= width:
            yield m.start(), m.group()
            continue
        parts = _PARTS.fullmatch(m.group())
        assert parts is not None  # the pattern matches any text
        for i in (1, 2, 3):
            if parts.group(i):
                yield m.start() + parts.start(i), parts.group(i)


def wrap(text: Text, width: int) -> Text:
    """Break ``text`` into lines of at most ``width`` cells without splitting a number or an id
    (one longer than the whole width is the only thing ever cut)."""
    lines: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        breaks: list[int] = []
        used = 0
        for start, piece in _pieces(line.plain, width):
            size = cell_len(piece)
            if piece.isspace():
                used += size
                continue
            if used + size > width and used:
                breaks.append(start)
                used = 0
            if size > width:  # unavoidable: cut the piece at the width
                for offset, char in enumerate(piece, start=start):
                    w = cell_len(char)
                    if used + w > width:
                        breaks.append(offset)
                        used = 0
                    used += w
                continue
            used += size
        for part in line.divide(breaks):
            part.rstrip()  # a break falls before a token, so only the end holds spaces
            lines.append(part)
    return Text("\n").join(lines)


def _share(free: int, naturals: list[int]) -> list[int]:
    """Give each description column its natural width or an equal share of what is left."""
    widths = [0] * len(naturals)
    left = free
    order = sorted(range(len(naturals)), key=naturals.__getitem__)
    for k, i in enumerate(order):
        widths[i] = min(naturals[i], left // (len(order) - k))
        left -= widths[i]
    return widths


def show(console: Console, title: str | None, columns: Sequence[Column],
         rows: Sequence[Sequence[Cell]], *, styles: Sequence[str | None] | None = None) -> None:
    """Print a table fitted to the console's width, or one block per row when it cannot fit."""
    body = [[_text(c) for c in row] for row in rows]
    heads = [Text(c.header) for c in columns]
    naturals = [_natural([heads[i], *(row[i] for row in body)]) for i in range(len(columns))]
    fixed = sum(n for n, c in zip(naturals, columns, strict=True) if not c.wrap)
    wrapping = [i for i, c in enumerate(columns) if c.wrap]
    free = console.width - fixed - (3 * len(columns) + 1)  # padding 1 + 1 and a border per column
    if free < NARROWEST * len(wrapping) or free < 0:
        _blocks(console, title, heads, body)
        return
    widths = list(naturals)
    for i, w in zip(wrapping, _share(free, [naturals[i] for i in wrapping]), strict=True):
        widths[i] = w
    table = Table(title=title)
    for head, column, width in zip(heads, columns, widths, strict=True):
        table.add_column(wrap(head, width) if column.wrap else head, width=width, no_wrap=True,
                         justify="right" if column.right else "left")
    for n, row in enumerate(body):
        table.add_row(*(wrap(c, widths[i]) if columns[i].wrap else c for i, c in enumerate(row)),
                      style=styles[n] if styles else None)
    console.print(table)


def _blocks(console: Console, title: str | None, heads: list[Text], body: list[list[Text]]) -> None:
    """One record per block: a ``header: value`` line per filled cell, never wrapped by us."""
    if title:
        console.print(Text(title, style="bold"), soft_wrap=True)
    labels = [h.plain.replace("\n", " ") for h in heads]
    for row in body:
        console.print()
        for label, cell in zip(labels, row, strict=True):
            if not cell.plain:
                continue
            first, *more = cell.split("\n")
            console.print(Text(f"{label}: ", style="bold") + first, soft_wrap=True)
            for line in more:
                console.print(Text("  ") + line, soft_wrap=True)
