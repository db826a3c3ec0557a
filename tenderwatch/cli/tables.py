"""Tables that stay readable in an 80-column terminal: codes never wrap, text does.

A ``CODE`` column (a source name, a job id, a date, a status, a reference) is as wide as its widest
value and never wraps or is cut, because half a code is a wrong code; a ``NUM`` column likewise,
aligned right. A ``TEXT`` column (a title, a reason, an error) takes the room that is left and
wraps between words. A header never breaks inside a word. When the codes leave a text column less
than ``TEXT_MIN`` characters, each row's text goes on the lines under its codes instead. Cells are
rich markup (pass data through ``tenderwatch.terminal.shown``); a cell may hold several lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

CODE, NUM, TEXT = "code", "num", "text"
TEXT_MIN = 24
"""The least width of a text column: narrower, a title becomes a column of syllables."""
GAP = 2


def _widest_line(markup: str) -> int:
    return max((len(line) for line in Text.from_markup(markup).plain.splitlines()), default=0)


class FittedTable:
    """A table of ``columns`` (header, ``CODE``/``NUM``/``TEXT``) holding ``rows`` of markup cells, laid
    out for the width it is printed in."""

    def __init__(self, title: str | None, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> None:
        self.title, self.columns, self.rows = title, list(columns), [list(row) for row in rows]
        self.widths = [max([len(header), *(_widest_line(row[i]) for row in self.rows)]) if kind != TEXT else 0
                       for i, (header, kind) in enumerate(self.columns)]  # code headers are kept short

    def _codes(self) -> list[int]:
        return [i for i, (_, kind) in enumerate(self.columns) if kind != TEXT]

    def _texts(self) -> list[int]:
        return [i for i, (_, kind) in enumerate(self.columns) if kind == TEXT]

    def fits(self, width: int) -> bool:
        return sum(self.widths[i] + GAP for i in self._codes()) + (TEXT_MIN + GAP) * len(self._texts()) <= width

    def table(self) -> Table:
        table = Table(title=self.title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                      collapse_padding=True)
        for i, (header, kind) in enumerate(self.columns):
            if kind == TEXT:
                header_word = max((len(word) for word in header.split()), default=1)
                table.add_column(header, overflow="fold", ratio=1, min_width=max(header_word, TEXT_MIN))
            else:
                table.add_column(header, no_wrap=True, min_width=self.widths[i],
                                 justify="right" if kind == NUM else "left")
        for row in self.rows:
            table.add_row(*row)
        return table

    def _line(self, cells: Sequence[str | Text]) -> list[Text]:
        """The code cells of one row side by side, each padded to its column's width (a cell may hold
        several lines)."""
        parts = [(cell if isinstance(cell, Text) else Text.from_markup(cell)).split("\n") for cell in cells]
        out = []
        for k in range(max(len(p) for p in parts)):
            line = Text(" ")
            for j, (i, part) in enumerate(zip(self._codes(), parts, strict=True)):
                piece = part[k].copy() if k < len(part) else Text("")
                piece.align("right" if self.columns[i][1] == NUM else "left", self.widths[i])
                line.append(" " * GAP if j else "")
                line.append_text(piece)
            out.append(line)
        return out

    def stacked(self) -> Iterator[Text | Padding]:
        """Codes on lines of their own, each row's text on the lines under them (indented)."""
        codes = self._codes()
        if self.title:
            yield Text(self.title, style="italic")
        yield from self._line([Text(self.columns[i][0], style="bold") for i in codes])
        for i in self._texts():
            yield Padding(Text(self.columns[i][0], style="bold"), (0, 0, 0, 5))
        yield Text(" " + "─" * (sum(self.widths[i] for i in codes) + GAP * (len(codes) - 1)))
        for row in self.rows:
            yield from self._line([row[i] for i in codes])
            for i in self._texts():
                if Text.from_markup(row[i]).plain.strip():
                    yield Padding(Text.from_markup(row[i], overflow="fold"), (0, 0, 0, 5))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.fits(options.max_width) or not self._texts():
            yield self.table()
        else:
            yield from self.stacked()


def fitted_table(title: str | None, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> FittedTable:
    """See ``FittedTable``."""
    return FittedTable(title, columns, rows)
