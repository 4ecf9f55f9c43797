"""Tables that fit the terminal on purpose, not by rich squeezing every column alike.

Left to itself, a rich table narrower than its content shrinks all columns evenly, so at 80
columns (and when piped, which rich treats as 80) the ids a person needs for the next
command shrink to nothing. Here each column says what it may lose: ids and times are never
shortened; other cells are cut to one line with an ellipsis (refs from the start, because
their end is the record id); and when even that does not fit, the least needed columns are
left out, and the caller says so.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

ELLIPSIS = "…"


@dataclass(frozen=True)
class Col:
    """One column and what it may give up when the terminal is narrow."""

    header: str
    keep: bool = False        # never shortened: ids another command needs, times, counts
    min_width: int = 10       # the narrowest it may be cut to
    drop_rank: int = 0        # 0: always shown; otherwise left out, highest rank first
    keep_end: bool = False    # cut from the start: a ref's end is the record id
    shrink_rank: int = 0      # columns of a higher rank are cut to their minimum first
    justify: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class FittedTable:
    table: Table
    width: int                  # what it takes: the terminal's, unless kept columns need more
    left_out: tuple[str, ...]   # headers of the columns there was no room for

    def print(self, console: Console) -> None:
        """Print it whole: wider than the terminal only when the kept columns alone are."""
        if self.width > console.width:  # rich would squeeze every column, ids too
            console = Console(file=console.file, width=self.width,
                              color_system=console.color_system,
                              force_terminal=console.is_terminal)
        console.print(self.table)


def fit_table(columns: Sequence[Col], rows: Sequence[Sequence[str]], width: int,
              **table_options: Any) -> FittedTable:
    """A table at most `width` columns wide, whenever the kept columns allow it."""
    shown = list(range(len(columns)))
    natural = [max([cell_len(col.header), *(cell_len(row[i]) for row in rows)])
               for i, col in enumerate(columns)]
    while True:
        budget = width - _overhead(len(shown), table_options)
        widths = _shrink([natural[i] for i in shown], [columns[i] for i in shown], budget)
        droppable = [i for i in shown if columns[i].drop_rank]
        if widths is not None or not droppable:
            break
        shown.remove(max(droppable, key=lambda i: columns[i].drop_rank))
    if widths is None:  # even the kept columns do not fit: cut what may be cut, no further
        widths = [natural[i] if columns[i].keep else min(natural[i], columns[i].min_width)
                  for i in shown]
    needed = sum(widths) + _overhead(len(shown), table_options)
    table = Table(**table_options)
    for i, cut in zip(shown, widths, strict=True):
        col = columns[i]
        table.add_column(col.header, width=cut, no_wrap=True, overflow="ellipsis",
                         justify=col.justify)
    for row in rows:
        table.add_row(*(Text(shorten(row[i], cut, from_start=columns[i].keep_end))
                        for i, cut in zip(shown, widths, strict=True)))
    left_out = tuple(col.header for i, col in enumerate(columns) if i not in shown)
    return FittedTable(table, max(width, needed), left_out)


def shorten(text: str, width: int, *, from_start: bool = False) -> str:
    """`text` on one line within `width` cells, an ellipsis marking what was cut."""
    text = " ".join(text.split())
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if not from_start:
        return set_cell_size(text, width - 1).rstrip() + ELLIPSIS
    parts = text.split("/")
    for start in range(1, len(parts)):  # whole segments first: "…/in_123", not "…nvoice/in_123"
        tail = "/".join(parts[start:])
        if cell_len(tail) + 2 <= width:
            return f"{ELLIPSIS}/{tail}"
    kept = text
    while cell_len(kept) > width - 1:
        kept = kept[1:]
    return ELLIPSIS + kept


def _shrink(natural: list[int], columns: list[Col], budget: int) -> list[int] | None:
    """Natural widths cut down to `budget`: the highest `shrink_rank` first, the widest first
    within a rank; None if that takes cutting a kept column or going below a minimum."""
    widths = list(natural)
    excess = sum(widths) - budget
    floors = [w if col.keep else min(w, col.min_width) for w, col in zip(widths, columns,
                                                                          strict=True)]
    if excess > sum(w - f for w, f in zip(widths, floors, strict=True)):
        return None
    while excess > 0:
        widest = max((i for i in range(len(widths)) if widths[i] > floors[i]),
                     key=lambda i: (columns[i].shrink_rank, widths[i]))
        widths[widest] -= 1
        excess -= 1
    return widths


def _overhead(count: int, table_options: dict[str, Any]) -> int:
    """Cells the table's borders and padding take with `count` columns of width 1."""
    probe = Table(**table_options)
    for _ in range(count):
        probe.add_column(width=1)
    console = Console(width=10_000)
    return Measurement.get(console, console.options, probe).maximum - count


def labelled(label: str, text: str, width: int = 80) -> list[str]:
    """`label` then `text`, wrapped to `width` with later lines under the text's start.

    Detail views (`audit show`, `status`) print one value per labelled line; a long value
    (every field sent, several request ids) wraps under itself instead of past the edge.
    Words longer than a line (an id, a URL) are kept whole rather than broken.
    """
    indent = " " * cell_len(label)
    return textwrap.wrap(text, width=max(width, cell_len(label) + 20), initial_indent=label,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [label.rstrip()]

