"""The command line: the entry point of `status` and `statuscli` (and `python -m statuscli`).

A tab completion (`complete`) and a plain one-shot command line (`oneshot`) are read from the recorded
command tree (`tree`, generated) without loading Typer, since a person waits on the key and a script on
the answer; every other call runs the Typer app (`app`, with its shared options in `options`).

The top layer and the only package that imports typer: may import every package below it (`app`,
`api`, `session`, `render`, `reports`, `sim`, `engine`, `http`, `config`, `providers`, `core`,
`version`), but never rich or requests itself.
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
    from statuscli.cli.complete import answer, complete_var, registry_recorded

    instruction = os.environ.get(complete_var(prog))
    if instruction:
        answered = answer(instruction, os.environ) if registry_recorded() else None
        if answered is not None:
            code, text = answered
            if text is not None:
                sys.stdout.write(text + "\n")
                sys.stdout.flush()
            sys.exit(code)
    else:
        from statuscli.cli.oneshot import read, run

        one_shot = read(sys.argv[1:] if argv is None else argv)
        if one_shot is not None:
            run(*one_shot, console=argv is None)
    from statuscli.cli.app import run as run_app

    run_app(argv, prog)
