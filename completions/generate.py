"""Regenerate the shell completion scripts in this folder, and the command tree that answers them
without Typer (`statuscli/cli/tree.py`), from the Typer app.

python completions/generate.py          # write them
python completions/generate.py --check  # exit 1 if any is out of date (the tests run this)
"""

from __future__ import annotations

import pprint
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from statuscli.cli.app import app, sync_provider_commands
from statuscli.cli.options import SCRIPT_SHELLS, command_tree, completion_script

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
        for shell in SCRIPT_SHELLS
    }


TREE_FILE = HERE.parent / "statuscli" / "cli" / "tree.py"
TREE_HEADER = '''"""The command tree that answers tab completion (`complete`) and a one-shot (`oneshot`)
without loading Typer.

Generated from the Typer app by `python completions/generate.py`: do not edit. A test checks that it
is the app's tree and that both give the same answers. Each distinct option is written once, in
`_OPTIONS` (one row a line, its fields named in `_FIELDS`), and the commands list theirs from it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` alone would cost a tab completion more than this module
if TYPE_CHECKING:
    from typing import Any

'''


class _Ref:
    """An option written as a reference into `_OPTIONS` (pprint writes its repr)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"_OPTIONS[{self.key!r}]"


def tree() -> dict[str, Any]:
    sync_provider_commands()
    return command_tree(app)


def compact(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The distinct options by key (an option's name; `name_command` for a second meaning of it), and
    the tree with each option replaced by its reference."""
    options: dict[str, Any] = {}
    nodes = {"root": data["root"], **data["commands"]}
    refs: dict[str, list[_Ref]] = {}
    for command, node in nodes.items():
        refs[command] = []
        for option in node["options"]:
            key = next((k for k, o in options.items() if o == option), None)
            if key is None:
                key = option["name"] if option["name"] not in options else f"{option['name']}_{command}"
                options[key] = option
            refs[command].append(_Ref(key))
    tree = dict(data)
    tree["root"] = {**data["root"], "options": refs["root"]}
    tree["commands"] = {name: {**node, "options": refs[name]} for name, node in data["commands"].items()}
    return options, tree


def tree_source(data: dict[str, Any]) -> str:
    """The module's text, formatted as the project formats code (ruff, when it is installed)."""
    options, tree = compact(data)
    fields = tuple(next(iter(options.values())))
    assert all(tuple(o) == fields for o in options.values()), "every option has the same fields"
    rows = "".join(f"    {key!r}: {tuple(o.values())!r},\n" for key, o in options.items())
    text = (
        TREE_HEADER
        + f"_FIELDS = {fields!r}\n"
        + "# One option a line (fmt: off keeps it so).\n# fmt: off\n"
        + "_ROWS: dict[str, tuple[Any, ...]] = {\n"
        + rows
        + "}\n# fmt: on\n"
        + "_OPTIONS: dict[str, dict[str, Any]] = "
        + "{key: dict(zip(_FIELDS, row, strict=True)) for key, row in _ROWS.items()}"
        + "\n\nTREE: dict[str, Any] = "
        + pprint.pformat(tree, width=100, sort_dicts=False)
        + "\n"
    )
    ruff = shutil.which("ruff")
    if ruff is not None:
        text = subprocess.run(
            [ruff, "format", "--stdin-filename", str(TREE_FILE), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return text


def main(argv: list[str]) -> int:
    stale = [path for path, text in expected().items() if not path.exists() or path.read_text() != text]
    from statuscli.cli.tree import TREE

    if tree() != TREE:
        stale.append(TREE_FILE)
    if "--check" in argv:
        for path in stale:
            print(f"out of date: {path.relative_to(HERE.parent)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected().items():
        path.write_text(text, encoding="utf-8")
    TREE_FILE.write_text(tree_source(tree()), encoding="utf-8")
    print(f"wrote {len(expected())} scripts to {HERE} and {TREE_FILE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
