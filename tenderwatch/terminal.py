"""Terminal-safe output: everything the CLI prints passes through here.

Scraped titles, buyer names, reject reasons and file names reach the operator's terminal (``sources
test``, ``awards``, ``import``, ``rejects``...). A text carrying ``ESC ]0;...`` would retitle the
window, ``ESC [8m`` hide what follows, a C1 ``CSI`` (U+009B) start a sequence on 8-bit terminals,
``\\r`` overwrite a line, and a bidi override reverse it. So:

- ``SafeConsole``: the rich ``Console`` every command uses (``AppContext.console``/``.err``). It removes
  those characters from the *text* of every segment it writes, whatever built it (a string, a table
  cell, a ``Text``, a progress bar), just before rendering; rich's own colour and cursor codes come
  from styles and control segments and are kept.
- ``shown(value)``: a hostile value to put inside a rich markup string (control characters removed and
  ``[`` escaped, so ``[/]`` or ``[link=...]`` in a title is text, not markup that fails or misleads).
- ``write_data(text)``: data commands (JSON lines, a reject's raw text) write verbatim into a pipe or
  file, and terminal-safe text when standard output is a terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment

TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
"""C0 controls but tab and line feed (``ESC``, ``BEL``, ``CR``, backspace...), DEL, C1 controls (CSI, OSC),
zero-width characters and bidi marks, overrides and isolates."""


def terminal_safe(text: str) -> str:
    """``text`` without anything that a terminal would act on or draw misleadingly."""
    return TERMINAL_UNSAFE.sub("", text)


def shown(value: object) -> str:
    """A value to interpolate into a rich markup string: terminal-safe and with markup escaped."""
    return escape(terminal_safe(str(value)))


class SafeConsole(Console):
    """A rich Console whose written text never carries terminal control sequences from the data it shows."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # The one place all output text passes before it is encoded with the console's own codes: text
        # segments are cleaned; control segments (rich's cursor moves for progress bars) are rich's own.
        return super()._render_buffer(
            seg if seg.control else Segment(terminal_safe(seg.text), seg.style) for seg in buffer)


class _TerminalSafeWriter:
    """A text stream's ``write`` that makes what it writes terminal-safe (for ``csv.writer`` and the like)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_safe(text))


def data_out(stream: TextIO | None = None) -> TextIO | _TerminalSafeWriter:
    """Standard output (or ``stream``) for data: itself when it is a pipe or a file (the data verbatim),
    a terminal-safe writer when it is a terminal."""
    stream = stream or sys.stdout
    return _TerminalSafeWriter(stream) if stream.isatty() else stream


def write_data(text: str, stream: TextIO | None = None) -> None:
    """Write data (a JSON line, a reject's raw text): verbatim to a pipe or file, terminal-safe to a terminal."""
    data_out(stream).write(text)
