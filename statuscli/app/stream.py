"""Targets that stream in: `--file -` and named pipes read line by line while the watch runs.

`generate-tasks | status watch --file -` starts with the first target; each further line joins the
running watch as it arrives, and the watch ends once the input is closed and every target is done (or
at `--timeout`). A bad line after the start is reported at once and skipped: the watch goes on, and
its exit code says the input was bad (`with_bad_input`). A regular file is read whole, as before.

Settings are resolved for the providers in use only: those of the targets before the start at once (a
bad setting is a usage error before anything is watched), another provider's when its first target
arrives (`session.Session.admit`): a bad setting of it is reported like a bad line, naming the line,
and its targets are skipped while the rest of the watch goes on.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

from statuscli.config import read_once, resolve_lines
from statuscli.core.errors import ExitCode, StatusCliError, UsageError
from statuscli.core.models import Target
from statuscli.core.threads import leave_signals_to_main_thread, start_thread

#: The exit codes a bad line of input does not override: a task that failed or could not be asked.
OUTRANKS_BAD_INPUT = (ExitCode.AUTH, ExitCode.NOT_FOUND, ExitCode.API, ExitCode.FAILURE)


def with_bad_input(code: ExitCode) -> ExitCode:
    """The exit code of a watch whose streamed input had a bad line: usage (2), ranked after 4, 5, 6
    and 1 and before 124, 3 and 0."""
    return code if code in OUTRANKS_BAD_INPUT else ExitCode.USAGE


def is_stream(file: str) -> bool:
    """Whether `--file` names input to follow line by line: stdin or a named pipe, not a regular file."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode if file == "-" else os.stat(file).st_mode
    except (OSError, ValueError, AttributeError):  # no real descriptor (a test's stdin), or missing
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _raw_lines(source: BinaryIO) -> Iterator[bytes]:
    """The lines of an unbuffered stream as they arrive. Unbuffered on purpose: the reader thread
    blocks here when the watch ends, and a thread blocked in a buffered stream (`sys.stdin.buffer`)
    holds its lock, which makes the interpreter abort (SIGABRT) on its way out."""
    pending = b""
    while chunk := source.read(65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from (line + b"\n" for line in lines)
    if pending:
        yield pending


class TargetStream:
    """The lines of a pipe, parsed into targets as they arrive (each target once)."""

    def __init__(self, source: BinaryIO, name: str, seen: list[Target]) -> None:
        self._source = source
        self.name = name
        self._lines: Iterator[tuple[int, bytes]] = enumerate(_raw_lines(source), start=1)
        self._seen = set(seen)
        #: The config file, read once for all the stream's lines (the variants they leave to it).
        self._config = read_once()

    @classmethod
    def open(cls, file: str, seen: list[Target]) -> TargetStream:
        if file == "-":
            if sys.stdin is None:  # started with stdin closed (`<&-`)
                raise UsageError("stdin is closed; nothing to read")
            return cls(os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0), "stdin", seen)
        try:
            return cls(open(file, "rb", buffering=0), file, seen)
        except OSError as exc:
            raise UsageError(f"cannot read --file {file}: {exc.strerror or exc}") from exc

    def remember(self, targets: list[Target]) -> None:
        """Targets already watched (the positional ones): a line naming one again adds nothing."""
        self._seen.update(targets)

    def first(self) -> list[Target]:
        """Read up to the first line with a target; a bad line before it is a usage error, as in a file."""
        for number, raw in self._lines:
            if found := self._parse(number, raw):
                return found
        return []

    def follow(
        self,
        add: Callable[[list[Target]], None],
        bad: Callable[[StatusCliError], None],
        closed: Callable[[], None],
        admit: Callable[[Target], None] | None = None,
    ) -> None:
        """Read the rest in a daemon thread: each line's target to `add`, each bad line to `bad`, then
        `closed` at the end of the input. `admit` may refuse a target (a `UsageError`: its provider's
        settings are bad), which is then reported like a bad line."""

        def read() -> None:
            leave_signals_to_main_thread()
            try:
                for number, raw in self._lines:
                    try:
                        found = self._parse(number, raw)
                        for target in found:
                            if admit is not None:
                                self._admit(admit, number, target)
                    except UsageError as exc:
                        bad(exc)
                        continue
                    if found:
                        add(found)
            except (OSError, ValueError) as exc:  # the input broke (EIO) or was closed under us
                bad(UsageError(f"cannot read {self.name} any further: {exc}"))
            finally:
                closed()

        start_thread(threading.Thread(target=read, name="statuscli-input", daemon=True), "to read the input")

    def _admit(self, admit: Callable[[Target], None], number: int, target: Target) -> None:
        try:
            admit(target)
        except UsageError as exc:
            raise type(exc)(f"{self.name}, line {number}: {exc.message}", code=exc.code) from None

    def _parse(self, number: int, raw: bytes) -> list[Target]:
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{self.name}, line {number}: not UTF-8 text (byte {exc.start + 1})") from None
        found = []
        for target in resolve_lines([line], source=self.name, first_line=number, config=self._config):
            if target not in self._seen:
                self._seen.add(target)
                found.append(target)
        return found
