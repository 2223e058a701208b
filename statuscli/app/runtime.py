"""Process policy, decided once: how a run reports errors, stops on signals and survives a closed stdout.

`run()` is the one place where exceptions become exit codes and one-line messages; the command line
calls it with the parsed command. Nothing here knows Typer.

Signals, the Unix way: while a command runs, SIGINT (Ctrl-C), SIGTERM and SIGHUP stop it through its
normal cleanup (terminal restored, summary and reports written) and it ends with 130, 143 or 129.
`run()` remembers which signal stopped it, and the console entry (`exit_process`) then restores the
default action and sends the process that signal again, so that it *dies by the signal*: a shell
running `for t in a b c; do status watch anchor "$t"; done` stops the loop at Ctrl-C (a process that
exits normally with 130 tells the shell it handled the Ctrl-C itself, and the loop would go on), and a
supervisor sees a death by SIGTERM. The status a shell shows stays 130, 143 or 129 (128 + the
signal). Only the console entry does this: the in-process test runner gets `SystemExit(code)`, and the
Python API never installs a handler (it raises `KeyboardInterrupt` as Python does).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from statuscli.core.errors import ExitCode, Signalled, StatusCliError, UsageError

if TYPE_CHECKING:
    import logging


@dataclass
class RunState:
    """What `run()` needs to know to report a failure the way the user asked."""

    debug: bool = False
    json_output: bool = False
    #: The command speaks NDJSON (watch, demo): an error is an error event and a summary object.
    json_lines: bool = False
    #: The signal that stopped the run (SIGINT, SIGTERM, SIGHUP), if one did.
    stopped_by: int | None = None


state = RunState()

DEBUG_ENV = "STATUSCLI_DEBUG"
_DEBUG_LOGGERS = ("statuscli", "urllib3")
_debug_handlers: list[logging.Handler] = []


def enable_debug() -> None:
    """Log each request to stderr (control sequences stripped; keys are never logged)."""
    if state.debug:
        return
    state.debug = True
    import logging

    from statuscli.core.text import clean

    class _CleanFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return "debug: " + clean(super().format(record), limit=1000)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_CleanFormatter("%(name)s: %(message)s"))
    _debug_handlers.append(handler)
    for name in _DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)


def _disable_debug() -> None:
    if not _debug_handlers:
        return
    import logging

    while _debug_handlers:
        handler = _debug_handlers.pop()
        for name in _DEBUG_LOGGERS:
            logging.getLogger(name).removeHandler(handler)
    for name in _DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def run(
    invoke: Callable[[], Any],
    *,
    parse_errors: tuple[type[BaseException], ...] = (),
    report_parse_error: Callable[[Any], int] | None = None,
    end_of_input: tuple[type[BaseException], ...] = (),
) -> int:
    """Run one command; the exit code of any outcome, after its one-line message.

    `parse_errors` are the parser's own exceptions, reported by `report_parse_error` (which returns
    their exit code); `end_of_input` are the parser's words for end of input at a prompt (exit 130).
    """
    state.debug = False
    state.json_output = False
    state.json_lines = False
    state.stopped_by = None
    if sys.stdout is None:  # started with stdout closed: the same as a reader that went away
        sys.stdout = _ClosedStdout()
    if sys.stderr is None:  # started with stderr closed (`2>&-`): messages are dropped, codes stay
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    try:
        with signals_interrupt():
            code = invoke()
    except StatusCliError as error:
        report(error)
        return int(error.exit_code)
    except parse_errors as error:
        assert report_parse_error is not None
        return report_parse_error(error)
    except end_of_input:
        return int(ExitCode.INTERRUPTED)
    except (StdoutClosed, BrokenPipeError):
        # The reader of stdout went away (`status config | head -1`): stop quietly, like Ctrl-C.
        silence_stdout()
        return int(ExitCode.INTERRUPTED)
    except (KeyboardInterrupt, Signalled) as exc:
        return int(interrupt_code(exc))
    except SystemExit:
        raise
    except Exception:
        if state.debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(
            "status: internal error (a bug in statuscli); please report this with the output of --debug\n"
        )
        return int(ExitCode.INTERNAL)
    finally:
        _disable_debug()
    return code if isinstance(code, int) else 0


def report(error: StatusCliError) -> None:
    """An error as the command's JSON (when asked) and as one `error:` line on stderr."""
    from statuscli.core.console import print_error

    if state.json_output:
        write_error_json(error)
    print_error(error.message)


def write_error_json(error: StatusCliError) -> None:
    from statuscli.reports.json import error_document, write_json, write_watch_error

    try:
        write_watch_error(error) if state.json_lines else write_json(error_document(error))
    except BrokenPipeError:
        silence_stdout()


def report_usage_json(command: str | None, words: list[str], message: str) -> None:
    """Under `--json`, a parse error is also the command's JSON, like any error."""
    from statuscli.providers import provider_names

    if command not in (*provider_names(), "config", "watch", "demo") or "--json" not in words:
        return
    state.json_lines = command in ("watch", "demo")
    state.json_output = not (state.json_lines and ("--quiet" in words or "-q" in words))
    if state.json_output:
        write_error_json(UsageError(message))


def interrupt_code(exc: BaseException) -> ExitCode:
    return exc.code if isinstance(exc, Signalled) else ExitCode.INTERRUPTED


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """For the duration, in the main thread: SIGINT raises `KeyboardInterrupt` (as Python's own
    handler does) and SIGTERM and SIGHUP raise `Signalled`; each remembers that it stopped the run
    (`state.stopped_by`). The previous handlers are put back at the end.

    A signal inherited as ignored (`nohup`, `trap '' TERM`, a background job's SIGINT) stays ignored."""
    import signal

    codes = {"SIGTERM": ExitCode.TERMINATED, "SIGHUP": ExitCode.HANGUP}  # no SIGHUP on Windows

    def handler(signum: int, frame: object) -> None:
        state.stopped_by = signum
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Signalled(codes[signal.Signals(signum).name])

    previous: dict[signal.Signals, Any] = {}
    for name in ("SIGINT", *codes):
        signum = getattr(signal, name, None)
        if signum is None or signal.getsignal(signum) is signal.SIG_IGN:
            continue
        try:
            previous[signum] = signal.signal(signum, handler)
        except ValueError:  # not the main thread (an embedding program): leave its handlers alone
            break
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def exit_process(code: int) -> NoReturn:
    """End the process (the console entry only): exit with `code`, or, when a signal stopped the run
    and `code` says so (128 + the signal), die by that signal after flushing the output."""
    signum = state.stopped_by
    if signum is not None and code == 128 + signum and os.name == "posix":
        import signal

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a reader that went away, a closed stream
                stream.flush()
        signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
        os.kill(os.getpid(), signum)
        # Not reached: the default action of these signals ends the process.
    sys.exit(code)


class StdoutClosed(Exception):
    """stdout's reader went away. Not an OSError, so the parser does not turn it into exit 1."""


@contextlib.contextmanager
def stdout_guard() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise StdoutClosed from None


def report_as(*, json_output: bool, lines: bool = False) -> None:
    """How the command reports an error from here on: also as its JSON document, or as an NDJSON
    error event (`lines`). The command line says it before it reads its options' values."""
    state.json_output = json_output
    state.json_lines = lines


def echo(text: str) -> None:
    """A line on stdout, flushed; a closed stdout ends the command quietly (see `run`)."""
    with stdout_guard():
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def say(text: str) -> None:
    """A line for the person on stderr."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone, so later writes and the exit flush are quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no descriptor behind it (started with stdout closed)
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    finally:
        os.close(devnull)


class _ClosedStdout(io.TextIOBase):
    """Stands in for a stdout closed before start (`>&-`): every write meets a reader that has gone."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        # No errno: the parser turns an EPIPE it sees (printing --help) into exit 1; this one reaches
        # `run`, which makes it 130 as for any reader that went away.
        raise BrokenPipeError("stdout is closed")

    def isatty(self) -> bool:
        return False


def stdin() -> TextIO:
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        raise UsageError("stdin is closed; nothing to read")
    return sys.stdin


def decode_input(data: bytes, source: str) -> str:
    """UTF-8 text from a file or stdin (a leading BOM, as Windows editors write, is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source} is not UTF-8 text (byte {exc.start + 1})") from None
