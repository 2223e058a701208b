"""Regenerate the shell completion scripts in this folder from the Typer app.

python completions/generate.py          # write them
python completions/generate.py --check  # exit 1 if any is out of date (the tests run this)
"""

from __future__ import annotations

import sys
from pathlib import Path

from statuscli.cli_options import SHELLS, completion_script

HERE = Path(__file__).resolve().parent
PROGRAMS = ("status", "statuscli")
FILENAMES = {
    "bash": "{prog}.bash",
    "zsh": "_{prog}",
    "fish": "{prog}.fish",
    "powershell": "{prog}.ps1",
}


def expected() -> dict[Path, str]:
    return {
        HERE / FILENAMES[shell].format(prog=prog): completion_script(shell, prog) + "\n"
        for prog in PROGRAMS
        for shell in SHELLS
    }


def main(argv: list[str]) -> int:
    stale = [path for path, text in expected().items() if not path.exists() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"out of date: {path.relative_to(HERE.parent)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(expected())} scripts to {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
