"""The command line's building blocks: shared options, completers, and the one-shot command a provider
record generates. Only this module and `cli` import Typer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption

from statuscli.app.runtime import enable_debug
from statuscli.cli.complete import complete_var
from statuscli.providers import Provider, provider_names, providers


def exit_with(code: int) -> NoReturn:
    raise typer.Exit(int(code))


def complete_provider(incomplete: str) -> list[str]:
    return [p for p in provider_names() if p.startswith(incomplete)]


def complete_shell(incomplete: str) -> list[str]:
    return [s for s in SCRIPT_SHELLS if s.startswith(incomplete)]


def recent_ids(provider: str, incomplete: str) -> list[str]:
    from statuscli.app.recent import complete

    return complete(provider, incomplete)


def complete_watch_args(ctx: typer.Context, incomplete: str) -> list[str]:
    """After `watch`: a provider word first (`anchor`, `hyperbrowser/cua`), then that provider's recent
    task ids."""
    words = ctx.params.get("args") or []
    provider = words[0] if words and words[0] in target_words() else None
    if provider is None:
        return [w for w in target_words() if w.startswith(incomplete)]
    return recent_ids(provider.partition("/")[0], incomplete)


def target_words() -> list[str]:
    """Every first word of a watch target: the providers, and `provider/VARIANT` for those with a choice."""
    return [word for p in providers() for word in p.words()]


def either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# ---- shared options -------------------------------------------------------------------------------

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout (errors too).")]
OneShotTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        "-t",
        metavar="DURATION",
        help="Overall limit, retries included: 90, 90s, 5m (default 60s, or the config's timeout). "
        "Exit 6 when it passes.",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL", help="API base URL (overrides env and config)."),
]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--allow-insecure-http", help="Allow sending the key over plain http:// to a non-loopback host."
    ),
]
JunitOption = Annotated[
    str | None,
    typer.Option("--junit-xml", metavar="FILE", help="Also write a JUnit XML report to FILE (for CI)."),
]
NoCiOption = Annotated[
    bool,
    typer.Option(
        "--no-ci-annotations",
        help="In GitHub Actions: no workflow commands, no step summary (also STATUSCLI_CI=0).",
    ),
]
RunIdOption = Annotated[
    str | None,
    typer.Option("--run-id", metavar="RUN_ID", help="A run of the task (default: the latest)."),
]


# ---- watch options ---------------------------------------------------------------------------------

WatchArgs = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PROVIDER TASK_ID",
        help="A provider (anchor or browserable) and its task ids.",
        autocompletion=complete_watch_args,
        show_default=False,
    ),
]
FileOption = Annotated[
    str | None,
    typer.Option(
        "--file",
        "-f",
        metavar="FILE",
        help="Targets, one per line: 'anchor ID' or 'browserable ID [RUN_ID]'; '-' is stdin.",
    ),
]
WatchRunIdOption = Annotated[
    str | None,
    typer.Option("--run-id", metavar="RUN_ID", help="A Browserable run (single task only)."),
]
IntervalOption = Annotated[
    str, typer.Option("--interval", "-i", metavar="DURATION", help="Time between polls.")
]
WatchTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        "-t",
        metavar="DURATION",
        help="Overall deadline: 90, 90s, 5m, 1h. Exit 124 when it passes.",
    ),
]
FailFastOption = Annotated[
    bool, typer.Option("--fail-fast", help="Stop at the first failed or errored task.")
]
MaxFailuresOption = Annotated[
    int,
    typer.Option(
        "--max-failures",
        metavar="N",
        min=1,
        max=100,
        help="Consecutive transient errors (network, 429, 5xx) before a task gives up.",
    ),
]
MaxRateOption = Annotated[
    str | None,
    typer.Option(
        "--max-rate",
        metavar="RATE",
        help="Most requests per provider: 20/s, 600/m, 1000/h (default: adaptive, no fixed cap).",
    ),
]
NdjsonOption = Annotated[
    bool, typer.Option("--json", help="NDJSON on stdout: one object per change, then a summary.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing on stdout; only the exit code speaks.")
]
BellOption = Annotated[bool, typer.Option("--bell", help="Ring the terminal bell at the end.")]
NotifyOption = Annotated[bool, typer.Option("--notify", help="Send a desktop notification at the end.")]


# ---- one-shot commands, one per provider ----------------------------------------------------------


def provider_command(spec: Provider) -> Callable[..., None]:
    """`status NAME TASK_ID...` for one provider: its completer, `--run-id` when it has runs."""

    def complete_id(incomplete: str) -> list[str]:
        return recent_ids(spec.name, incomplete)

    COMPLETER_KINDS[complete_id] = f"recent:{spec.name}"

    def command(**options: Any) -> None:
        from statuscli.cli.oneshot import one_shot_command

        exit_with(one_shot_command(spec.name, options))

    ids = typer.Argument(metavar=spec.id_word, help="One or more task ids.", autocompletion=complete_id)
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("task_ids", keyword, annotation=Annotated[list[str], ids])]
    if spec.supports_run_id:
        params.append(inspect.Parameter("run_id", keyword, annotation=RunIdOption, default=None))
    if spec.choice is not None:
        params.append(inspect.Parameter("variant", keyword, annotation=choice_option(spec), default=None))
    for name, annotation, default in (
        ("json_output", JsonOption, False),
        ("junit_xml", JunitOption, None),
        ("no_ci_annotations", NoCiOption, False),
        ("base_url", BaseUrlOption, None),
        ("allow_insecure_http", InsecureOption, False),
        ("timeout", OneShotTimeoutOption, None),
    ):
        params.append(inspect.Parameter(name, keyword, annotation=annotation, default=default))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = spec.help
    command.__name__ = spec.name
    return command


def choice_option(spec: Provider) -> Any:
    """`--api VERSION`, `--agent AGENT`: how a provider with a choice is told which variant to ask."""
    choice = spec.choice
    assert choice is not None
    names = ", ".join(v.name + (f" ({v.note})" if v.note else "") for v in spec.variants)
    default = (
        f"default: {choice.default}"
        if choice.default
        else f"no default: give it here, or set {choice.option} in the config file's {spec.name} table"
    )
    words = [v.name for v in spec.variants]

    def complete_choice(incomplete: str) -> list[str]:
        return [word for word in words if word.startswith(incomplete)]

    flag = typer.Option(
        f"--{choice.option}",
        metavar=choice.metavar,
        help=f"{choice.help} One of: {names} ({default}).",
        autocompletion=complete_choice,
    )
    return Annotated[str | None, flag]


# ---- the root group, the other commands' options, completion scripts ------------------------------

DEBUG_HELP = "Log each request (method, URL, status, timing, retries) to stderr; keys masked."


def _set_debug(ctx: typer.Context, param: object, value: bool) -> None:
    if value:
        enable_debug()


class Commands(TyperGroup):
    """The root group: every command also takes `--debug`, so it works after the command too."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            if not any(param.name == "debug" for param in command.params):
                command.params.append(
                    TyperOption(
                        param_decls=["--debug"],
                        is_flag=True,
                        default=False,
                        expose_value=False,
                        callback=_set_debug,
                        help=DEBUG_HELP,
                    )
                )


#: The shells `status completion` writes a script for.
SCRIPT_SHELLS = ("bash", "zsh", "fish", "powershell")
DemoIntervalOption = Annotated[
    str, typer.Option("--interval", "-i", metavar="DURATION", help="Time between polls.")
]
DemoJsonOption = Annotated[bool, typer.Option("--json", help="NDJSON instead of the table.")]
PortOption = Annotated[
    int,
    typer.Option("--port", "-p", metavar="N", min=0, max=65535, help="Port on 127.0.0.1 (0: a free one)."),
]
ScenarioOption = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        metavar="FILE",
        help="A TOML or JSON scenario (default: the demo scenario).",
        exists=False,
        dir_okay=False,
    ),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", help="Log every request to stderr.")]
ShellArg = Annotated[
    str,
    typer.Argument(
        metavar="SHELL",
        help="bash, zsh, fish or powershell.",
        autocompletion=complete_shell,
    ),
]
ProgNameOption = Annotated[
    str,
    typer.Option("--prog-name", metavar="NAME", help="The command to complete: status or statuscli."),
]
ProviderArg = Annotated[
    str,
    typer.Argument(
        metavar="PROVIDER",
        help=f"{either(provider_names())}.",
        autocompletion=complete_provider,
    ),
]


def completion_script(shell: str, prog_name: str) -> str:
    """The completion script Typer generates for `prog_name` (its `_PROG_COMPLETE` protocol)."""
    # typer.completion is public; it re-exports these two without declaring them (hence the ignores).
    from typer.completion import get_completion_script  # type: ignore[attr-defined]

    return get_completion_script(prog_name=prog_name, complete_var=complete_var(prog_name), shell=shell)


# ---- the command tree that completion reads without Typer (cli.complete, cli.tree) ----------------

#: What each completer offers, as `cli.complete` names it (a one-shot's is added as it is made).
COMPLETER_KINDS: dict[Callable[..., list[str]], str] = {
    complete_provider: "providers",
    complete_watch_args: "watch",
    complete_shell: "shells",
}


def command_tree(app: typer.Typer) -> dict[str, Any]:
    """The app's commands, options and arguments as `cli.complete` reads them (`statuscli/cli/tree.py`
    is this, written by `completions/generate.py`). Refuses what `cli.complete` cannot answer for."""
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    with root.make_context(root.name or "status", [], resilient_parsing=True) as ctx:
        tree: dict[str, Any] = {
            "providers": list(provider_names()),
            "words": target_words(),
            "shells": list(SCRIPT_SHELLS),
            "root": _node(root, ctx),
            "commands": {},
        }
        tree["root"]["commands"] = []
        for name in root.list_commands(ctx):
            command = root.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            tree["root"]["commands"].append([name, command.get_short_help_str()])
            with command.make_context(name, [], parent=ctx, resilient_parsing=True) as sub:
                tree["commands"][name] = _node(command, sub)
    return tree


def _node(command: Any, ctx: Any) -> dict[str, Any]:
    options: list[dict[str, Any]] = []
    arguments: list[dict[str, Any]] = []
    for param in command.get_params(ctx):
        plain_type = param.type.shell_complete(ctx, param, "") == []
        if isinstance(param, TyperOption):
            # An option's values complete only from a fixed list (`values`, asked of its completer once).
            values = (
                [item.value for item in param.shell_complete(ctx, "")]
                if param._custom_shell_complete
                else None
            )
            if param.hidden or param.multiple or param.count or param.nargs != 1:
                raise ValueError(f"cli.complete cannot complete option {param.opts} of {command.name}")
            if (not param.is_flag and not plain_type) or param.secondary_opts:
                raise ValueError(f"cli.complete cannot complete the values of {param.opts}")
            opts = [*param.opts, *param.secondary_opts]
            if param.name == "help":  # Click makes these from a set: their order changes per process
                opts.sort(key=lambda name: (not name.startswith("--"), name))
            options.append(
                {
                    "name": param.name,
                    "opts": opts,
                    "value": not param.is_flag,
                    "eager": param.is_eager,
                    "help": param.help,
                    "type": param.type.name,
                    "default": param.default if isinstance(param.default, str | bool | int) else None,
                    "values": values,
                }
            )
        elif isinstance(param, TyperArgument) and param.nargs in (1, -1):
            kind = _completer_kind(param) if param._custom_shell_complete else None
            if kind is None and not plain_type:
                raise ValueError(f"cli.complete cannot complete argument {param.name} of {command.name}")
            arguments.append({"name": param.name, "nargs": param.nargs, "complete": kind})
        else:
            raise ValueError(f"cli.complete cannot complete {param!r} of {command.name}")
    return {"options": options, "arguments": arguments}


def _completer_kind(param: Any) -> str:
    """The kind of the function given as `autocompletion=` (Typer wraps it in a closure)."""
    import inspect

    function = inspect.getclosurevars(param._custom_shell_complete).nonlocals.get("autocompletion")
    function = inspect.unwrap(function) if function is not None else None  # Typer's wrapper, too
    kind = COMPLETER_KINDS.get(function) if function is not None else None
    if kind is None:
        raise ValueError(f"cli.complete does not know the completer of {param.name}: {function!r}")
    return kind
