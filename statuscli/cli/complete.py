"""Tab completion without Typer: the shell's `_STATUS_COMPLETE=complete_SHELL` call answered from the
command tree in `cli.tree`, which is generated from the Typer app (`cli.options.command_tree`; a test
checks that the file is current and that both give the same answers).

A person waits on the TAB key, and importing Typer alone costs more than the whole answer may take, so
`cli.main` asks here first. Whatever this module cannot answer exactly as the app would (a word it
does not know, `--opt=value`, `--`, a script to print rather than an answer) it leaves to the app:
`answer` then returns None. It imports no more than the standard library needs to split the words and
read the recent ids.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` alone would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    Item = tuple[str, str | None]  # a value and its help

#: The shells whose completion calls are answered here (Typer's names; pwsh is PowerShell).
ANSWERED_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def registry_recorded() -> bool:
    """Whether the providers are those recorded in the tree: a program embedding statuscli may have
    registered another in this process (then only the app, generated from the registry, knows it)."""
    import sys

    if "statuscli.providers" not in sys.modules:
        return True  # nothing could have changed it
    from statuscli.cli.tree import TREE
    from statuscli.providers import provider_names

    return bool(list(provider_names()) == TREE["providers"])


def complete_var(prog_name: str) -> str:
    """The environment variable the completion script sets: `_STATUS_COMPLETE`, `_STATUSCLI_COMPLETE`."""
    return f"_{prog_name}_COMPLETE".replace("-", "_").upper()


def answer(instruction: str, env: Mapping[str, str]) -> tuple[int, str | None] | None:
    """The exit code and the text (None: nothing) that answer a completion call, or None when the Typer
    app must answer it."""
    action, _, shell = instruction.partition("_")
    if action != "complete" or shell not in ANSWERED_SHELLS:
        return None
    args, incomplete = _words(shell, env)
    items = completions(args, incomplete)
    if items is None:
        return None
    return _formatted(shell, items, env)


def _split(text: str) -> list[str]:
    """The words of a command line as the shell would split them, a word left open kept as it is."""
    import shlex

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    try:
        words.extend(lexer)
    except ValueError:  # an open quote or a trailing backslash: the partial word as it is
        words.append(lexer.token)
    return words


def _words(shell: str, env: Mapping[str, str]) -> tuple[list[str], str]:
    """The complete words after the program name, and the word being completed."""
    if shell == "bash":
        words = _split(env.get("COMP_WORDS", ""))
        cword = int(env.get("COMP_CWORD", "0") or 0)
        return words[1:cword], words[cword] if cword < len(words) else ""
    line = env.get("_TYPER_COMPLETE_ARGS", "")
    words = _split(line)[1:]
    if shell in ("powershell", "pwsh"):
        incomplete = env.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
        return (words[:-1] if incomplete else words), incomplete
    if words and not line.endswith(" "):
        return words[:-1], words[-1]
    return words, ""


def _formatted(shell: str, items: list[Item], env: Mapping[str, str]) -> tuple[int, str | None]:
    """The answer in the form each shell's script reads (as Typer's completion classes write it)."""
    if shell == "bash":
        return 0, "\n".join(value for value, _ in items)
    if shell == "zsh":
        if not items:
            return 0, "_files"

        def quoted(text: str) -> str:
            for old, new in (('"', '""'), ("'", "''"), ("$", "\\$"), ("`", "\\`"), (":", r"\\:")):
                text = text.replace(old, new)
            return text

        lines = [f'"{quoted(v)}":"{quoted(h)}"' if h else f'"{quoted(v)}"' for v, h in items]
        return 0, "_arguments '*: :((" + "\n".join(lines) + "))'"
    if shell == "fish":
        action = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":  # whether to complete arguments (else files): the exit code says
            return (0 if items else 1), None
        lines = [f"{v}\t{''.join(' ' if c.isspace() else c for c in h)}" if h else v for v, h in items]
        return 0, ("\n".join(lines) if action == "get-args" and items else "")
    return 0, "\n".join(f"{v}:::{h or ' '}" for v, h in items)


# ---- the command line as Click reads it while completing ----------------------------------------


def completions(args: Sequence[str], incomplete: str) -> list[Item] | None:
    """What the Typer app offers for `incomplete` after `args`, or None when unsure."""
    from statuscli.cli.tree import TREE

    root: dict[str, Any] = TREE["root"]
    given: set[str] = set()
    at = 0
    while at < len(args) and args[at].startswith("-"):  # the group's own options come first
        option = option_of(root, args[at])
        if option is None or option["eager"] or option["value"]:
            return None
        given.add(option["name"])
        at += 1
    if at == len(args):
        return _resolve(root, args, [], given, incomplete)
    command = TREE["commands"].get(args[at])
    if command is None:
        return None
    given = set()
    positional: list[str] = []
    rest = args[at + 1 :]
    n = 0
    while n < len(rest):
        word = rest[n]
        if word == "--" or (word.startswith("-") and "=" in word):
            return None
        if word.startswith("-") and word != "-":
            option = option_of(command, word)
            if option is None or option["eager"]:
                return None
            if option["value"]:
                if n + 1 < len(rest) and rest[n + 1].startswith("-"):
                    return None
                if n + 1 < len(rest):  # without its value (the word being completed) it is not given
                    given.add(option["name"])
                n += 2
                continue
            given.add(option["name"])
        else:
            positional.append(word)
        n += 1
    return _resolve(command, rest, positional, given, incomplete)


def option_of(command: Mapping[str, Any], word: str) -> dict[str, Any] | None:
    return next((o for o in command["options"] if word in o["opts"]), None)


def _resolve(
    command: Mapping[str, Any],
    args: Sequence[str],
    positional: list[str],
    given: set[str],
    incomplete: str,
) -> list[Item] | None:
    """Click's `_resolve_incomplete`: an option's name, an option's value, an argument, or a command."""
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete.startswith("-"):
        return None
    if incomplete.startswith("-"):
        return _names(command, given, incomplete)
    if args and (option := option_of(command, args[-1])) is not None and option["value"]:
        return [(value, None) for value in option["values"] or () if value.startswith(incomplete)]
    for number, argument in enumerate(command.get("arguments", ())):
        if argument["nargs"] == -1 or len(positional) <= number:
            return _argument(argument["complete"], positional, incomplete)
    return _names(command, given, incomplete)


def _names(command: Mapping[str, Any], given: set[str], incomplete: str) -> list[Item]:
    """The commands of a group, then the options not given yet (when the word is not alphanumeric)."""
    items: list[Item] = [
        (name, help) for name, help in command.get("commands", ()) if name.startswith(incomplete)
    ]
    if incomplete and not incomplete[0].isalnum():
        for option in command["options"]:
            if option["name"] not in given:
                items += [(name, option["help"]) for name in option["opts"] if name.startswith(incomplete)]
    return items


def _argument(kind: str | None, positional: list[str], incomplete: str) -> list[Item]:
    from statuscli.cli.tree import TREE

    providers: list[str] = TREE["providers"]
    if kind == "watch":  # a provider word first, then that provider's recent task ids
        words: list[str] = TREE["words"]
        if not positional or positional[0] not in words:
            return [(value, None) for value in words if value.startswith(incomplete)]
        kind = f"recent:{positional[0].partition('/')[0]}"
    if kind == "providers":
        values = providers
    elif kind == "shells":
        values = TREE["shells"]
    elif kind is not None and kind.startswith("recent:"):
        from statuscli.app.recent import load

        values = load().get(kind.removeprefix("recent:"), [])
    else:
        values = []
    return [(value, None) for value in values if value.startswith(incomplete)]
