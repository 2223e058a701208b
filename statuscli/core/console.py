"""The process's two streams for people: whether one is a terminal, and one-line messages on stderr.

Server text in a message is cleaned first. No rich: an error path never loads it.
"""

from __future__ import annotations

import os
import sys
from typing import IO

from statuscli.core.text import clean


def is_tty(stream: IO[str] | None = None) -> bool:
    """Whether `stream` (default stdout) is a terminal; a closed or missing stream is not."""
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def interactive(stream: IO[str] | None = None) -> bool:
    """Live redraws only on a real terminal; FORCE_COLOR forces colour, never cursor movement."""
    return is_tty(stream) and os.environ.get("TERM", "") != "dumb"


def same_terminal(one: IO[str] | None, other: IO[str] | None) -> bool:
    """Whether both streams write to one terminal (stdout and stderr of a person's shell)."""
    if one is None or other is None or not (is_tty(one) and is_tty(other)):
        return False
    try:
        return os.fstat(one.fileno()).st_rdev == os.fstat(other.fileno()).st_rdev
    except (AttributeError, OSError, ValueError):
        return False


def print_error(message: str, *, prefix: str = "error") -> None:
    """One line on stderr; the message may hold server text, so it is cleaned first."""
    _stderr_line(f"{prefix}: {clean(message, limit=500)}")


def print_warning(message: str) -> None:
    _stderr_line(clean(message, limit=500))


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: nowhere left to complain
        pass
