"""Targets that stream in: `--file -` and named pipes read line by line while the watch runs.

`generate-tasks | status watch --file -` starts with the first target; each further line joins the
running watch as it arrives, and the watch ends once the input is closed and every target is done (or
at `--timeout`). A bad line after the start is reported at once and skipped: the watch goes on, and
its exit code says the input was bad (`with_bad_input`). A regular file is read whole, as before.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import BinaryIO

from .config import ProviderSettings
from .errors import ExitCode, UsageError
from .fetch import Fetcher
from .models import Target, TaskStatus
from .providers import make_target
from .targets import parse_target_lines
from .transport import Watchdog
from .workers import leave_signals_to_main_thread

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
        bad: Callable[[UsageError], None],
        closed: Callable[[], None],
    ) -> None:
        """Read the rest in a daemon thread: each line's target to `add`, each bad line to `bad`, then
        `closed` at the end of the input."""

        def read() -> None:
            leave_signals_to_main_thread()
            try:
                for number, raw in self._lines:
                    try:
                        found = self._parse(number, raw)
                    except UsageError as exc:
                        bad(exc)
                        continue
                    if found:
                        add(found)
            except (OSError, ValueError) as exc:  # the input broke (EIO) or was closed under us
                bad(UsageError(f"cannot read {self.name} any further: {exc}"))
            finally:
                closed()

        threading.Thread(target=read, name="statuscli-input", daemon=True).start()

    def _parse(self, number: int, raw: bytes) -> list[Target]:
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{self.name}, line {number}: not UTF-8 text (byte {exc.start + 1})") from None
        found = []
        for triple in parse_target_lines([line], source=self.name, first_line=number):
            target = make_target(*triple)  # parsing checked the line's provider and ids, naming the line
            if target not in self._seen:
                self._seen.add(target)
                found.append(target)
        return found


class StreamFetcher:
    """Fetches for a watch whose targets stream in: the providers of the first targets are set up at
    once (a missing key is exit 4 before the start, as always); another provider's client is made
    when its first target arrives, and if it cannot be (no key: 4), that target ends with the error.
    One watchdog serves every provider's attempts."""

    def __init__(self, settings: Mapping[str, ProviderSettings], first: set[str], *, pool_size: int) -> None:
        self._settings = settings
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self.watchdog = Watchdog()
        self._fetchers: dict[str, Fetcher] = {}
        try:
            for name in first:
                self._fetchers[name] = Fetcher(
                    {name: settings[name]}, pool_size=pool_size, watchdog=self.watchdog
                )
        except BaseException:
            self.close()
            raise

    def fetch(self, target: Target) -> TaskStatus:
        with self._lock:
            fetcher = self._fetchers.get(target.provider)
            if fetcher is None:
                fetcher = Fetcher(
                    {target.provider: self._settings[target.provider]},
                    pool_size=self._pool_size,
                    watchdog=self.watchdog,
                )
                self._fetchers[target.provider] = fetcher
        return fetcher.fetch(target)

    def cancel(self) -> None:
        self.watchdog.close(join=0)

    def close(self) -> None:
        self.watchdog.close()
        for fetcher in self._fetchers.values():
            fetcher.close()

    def __enter__(self) -> StreamFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
