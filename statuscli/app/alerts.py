"""The terminal's signals at the end of a watch: the bell, and a desktop notification."""

from __future__ import annotations

import shutil
import subprocess
import sys

from statuscli.core.console import interactive, print_warning
from statuscli.core.text import clean


def ring_bell() -> None:
    """BEL on whichever of stderr and stdout is a terminal (never into a pipe, a file or NDJSON)."""
    for stream in (sys.stderr, sys.stdout):
        if interactive(stream):
            stream.write("\a")
            stream.flush()
            return


def notifier() -> str | None:
    """The notify-send program; None, after a one-line warning, where there is none (said when the
    watch starts, so the summary stays the last line at its end)."""
    program = shutil.which("notify-send")
    if program is None:
        print_warning("warning: --notify needs notify-send, which is not installed; skipped")
    return program


def notify(program: str, title: str, body: str) -> None:
    """A desktop notification through `program` (notify-send)."""
    try:
        subprocess.run(
            [program, "--app-name=statuscli", clean(title), clean(body)],
            check=False,
            timeout=5,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print_warning(f"warning: notify-send failed: {exc}")
