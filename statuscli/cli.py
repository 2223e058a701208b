"""The entry point of `status` and `statuscli` (and `python -m statuscli`).

A tab completion is answered from the recorded command tree without loading Typer (`cli_complete`),
since a person is waiting on the key; every other call runs the Typer app (`cli_app`).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # `typing` alone would cost a tab completion more than this module
if TYPE_CHECKING:
    from typing import NoReturn


def program_name() -> str:
    """`status` or `statuscli`, as called (`python -m statuscli` is `status`)."""
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "status"
    return "status" if prog in ("__main__.py", "-c", "-m", "") else prog


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its code."""
    prog = program_name()
    from .cli_complete import answer, complete_var

    instruction = os.environ.get(complete_var(prog))
    # A provider registered in this process (a program embedding statuscli) is only in the Typer app.
    if instruction and "statuscli.providers" not in sys.modules:
        answered = answer(instruction, os.environ)
        if answered is not None:
            code, text = answered
            if text is not None:
                sys.stdout.write(text + "\n")
                sys.stdout.flush()
            sys.exit(code)
    from .cli_app import run

    run(argv, prog)
