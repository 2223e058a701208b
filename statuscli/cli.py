"""The command line: declares the commands and options, and calls the application layer (`app`).

The one-shot command of each provider is generated from the provider registry. `main()` hands the
parsed command to `runtime.run`, where errors become exit codes and one-line messages.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup, TyperOption

from . import __version__, runtime
from .errors import UsageError
from .providers import Provider, provider_names, providers

DEBUG_HELP = "Log each request (method, URL, status, timing, retries) to stderr; keys masked."


def _set_debug(ctx: typer.Context, param: object, value: bool) -> None:
    if value:
        runtime.enable_debug()


class _Commands(TyperGroup):
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


app = typer.Typer(
    cls=_Commands,
    name="status",
    epilog="Exit codes: 0 success, 1 task failed, 2 usage, 3 pending, 4 auth, 5 not found, "
    "6 API/network, 70 internal error, 124 watch deadline, 130 interrupted (129 SIGHUP, 143 SIGTERM). "
    "See README.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _exit(code: int) -> NoReturn:
    raise typer.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        runtime.echo(f"statuscli {__version__}")
        raise typer.Exit(0)


def _complete_provider(incomplete: str) -> list[str]:
    return [p for p in provider_names() if p.startswith(incomplete)]


def _recent_ids(provider: str, incomplete: str) -> list[str]:
    from .recent import complete

    return complete(provider, incomplete)


def _complete_watch_args(ctx: typer.Context, incomplete: str) -> list[str]:
    """After `watch`: a provider name first, then that provider's recent task ids."""
    words = ctx.params.get("args") or []
    provider = words[0] if words and words[0] in provider_names() else None
    if provider is None:
        return _complete_provider(incomplete)
    return _recent_ids(provider, incomplete)


def _either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
) -> None:
    """Ask AnchorBrowser and Browserable where a task stands, once or until it is done.

    \b
    Examples:
      status anchor 3f6c...                  # one task, a table
      status browserable TASK --run-id RUN   # one Browserable run
      status watch anchor T1 T2 --timeout 10m && deploy
    """
    if debug or os.environ.get(runtime.DEBUG_ENV, "") not in ("", "0"):
        runtime.enable_debug()


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


# ---- one-shot commands, one per provider ----------------------------------------------------------


def _one_shot_command(spec: Provider) -> Callable[..., None]:
    """`status NAME TASK_ID...` for one provider: its completer, `--run-id` when it has runs."""

    def complete_id(incomplete: str) -> list[str]:
        return _recent_ids(spec.name, incomplete)

    def command(**options: Any) -> None:
        from .app import Reports, one_shot

        reports = Reports(options.pop("junit_xml"), options.pop("no_ci_annotations"))
        _exit(
            one_shot(
                spec.name, options.pop("task_ids"), options.pop("run_id", None), reports=reports, **options
            )
        )

    ids = typer.Argument(metavar="TASK_ID", help="One or more task ids.", autocompletion=complete_id)
    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("task_ids", keyword, annotation=Annotated[list[str], ids])]
    if spec.supports_run_id:
        params.append(inspect.Parameter("run_id", keyword, annotation=RunIdOption, default=None))
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


_generated: set[str] = set()


def sync_provider_commands() -> None:
    """One command per registered provider, ahead of the others (as `status --help` lists them)."""
    if _generated == set(provider_names()):
        return
    others = [info for info in app.registered_commands if info.name not in _generated]
    app.registered_commands = []
    for spec in providers():
        app.command(name=spec.name)(_one_shot_command(spec))
    app.registered_commands += others
    _generated.clear()
    _generated.update(provider_names())


# ---- watch ----------------------------------------------------------------------------------------


@app.command()
def watch(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PROVIDER TASK_ID",
            help="A provider (anchor or browserable) and its task ids.",
            autocompletion=_complete_watch_args,
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            help="Targets, one per line: 'anchor ID' or 'browserable ID [RUN_ID]'; '-' is stdin.",
        ),
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", metavar="RUN_ID", help="A Browserable run (single task only)."),
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", "-i", metavar="DURATION", help="Time between polls.")
    ] = "2s",
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            "-t",
            metavar="DURATION",
            help="Overall deadline: 90, 90s, 5m, 1h. Exit 124 when it passes.",
        ),
    ] = None,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", help="Stop at the first failed or errored task.")
    ] = False,
    max_failures: Annotated[
        int,
        typer.Option(
            "--max-failures",
            metavar="N",
            min=1,
            max=100,
            help="Consecutive transient errors (network, 429, 5xx) before a task gives up.",
        ),
    ] = 5,
    json_output: Annotated[
        bool, typer.Option("--json", help="NDJSON on stdout: one object per change, then a summary.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing on stdout; only the exit code speaks.")
    ] = False,
    bell: Annotated[bool, typer.Option("--bell", help="Ring the terminal bell at the end.")] = False,
    notify: Annotated[bool, typer.Option("--notify", help="Send a desktop notification at the end.")] = False,
    base_url: BaseUrlOption = None,
    allow_insecure_http: InsecureOption = False,
    junit_xml: JunitOption = None,
    no_ci_annotations: NoCiOption = False,
) -> None:
    """Poll tasks until each one is done, with a live table in a terminal.

    Exit code: the most serious outcome (4 auth, 5 not found, 6 API, 1 failed, 124 deadline, 0 ok).

    \b
    Examples:
      status watch anchor T1 T2 --timeout 10m
      status watch browserable TASK --run-id RUN --json
      status watch --file targets.txt --fail-fast && ./deploy.sh
    """
    from .app import Reports, WatchRequest
    from .app import watch as run

    request = WatchRequest(
        args=args or [],
        file=file,
        run_id=run_id,
        interval=interval,
        timeout=timeout,
        fail_fast=fail_fast,
        max_failures=max_failures,
        json_output=json_output,
        quiet=quiet,
        bell=bell,
        notify=notify,
        base_url=base_url,
        allow_insecure_http=allow_insecure_http,
        reports=Reports(junit_xml, no_ci_annotations),
    )
    _exit(run(request))


# ---- simulator ------------------------------------------------------------------------------------


@app.command()
def demo(
    interval: Annotated[
        str, typer.Option("--interval", "-i", metavar="DURATION", help="Time between polls.")
    ] = "1s",
    json_output: Annotated[bool, typer.Option("--json", help="NDJSON instead of the table.")] = False,
) -> None:
    """Watch simulated tasks of both providers finish: no account, key or network needed.

    Starts the built-in simulator on a free loopback port and watches its default scenario (7 tasks,
    one failing, one flaky) for about 15 seconds. Ends with the exit code a real watch would give.

    \b
    Examples:
      status demo
      status demo --json | jq -c '{task_id, to}'
    """
    from .demo import demo as run

    _exit(run(interval, json_output=json_output))


@app.command()
def simulate(
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", metavar="N", min=0, max=65535, help="Port on 127.0.0.1 (0: a free one)."
        ),
    ] = 0,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="A TOML or JSON scenario (default: the demo scenario).",
            exists=False,
            dir_okay=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log every request to stderr.")] = False,
) -> None:
    """Serve both provider APIs on 127.0.0.1 for trying statuscli or testing scripts.

    Prints the export lines to point statuscli at it and the command that watches its tasks (from a
    watch file it writes, removed when it stops), then serves until Ctrl-C (exit 0).

    \b
    Examples:
      status simulate --port 8787
      status simulate --scenario my-scenario.toml
    """
    from .demo import simulate as run

    run(scenario, port=port, verbose=verbose)


# ---- completion -----------------------------------------------------------------------------------

SHELLS = ("bash", "zsh", "fish", "powershell")


@app.command()
def completion(
    shell: Annotated[
        str,
        typer.Argument(
            metavar="SHELL",
            help="bash, zsh, fish or powershell.",
            autocompletion=lambda incomplete: [s for s in SHELLS if s.startswith(incomplete)],
        ),
    ],
    prog_name: Annotated[
        str,
        typer.Option("--prog-name", metavar="NAME", help="The command to complete: status or statuscli."),
    ] = "status",
) -> None:
    """Print the shell completion script for SHELL.

    Completes commands, options, provider names and recently queried task ids.

    \b
    Examples:
      status completion bash > ~/.local/share/bash-completion/completions/status
      statuscli completion fish --prog-name statuscli > ~/.config/fish/completions/statuscli.fish
    """
    if shell not in SHELLS:
        raise UsageError(f"unknown shell '{shell}' (choose from: {', '.join(SHELLS)})")
    if prog_name not in ("status", "statuscli"):
        raise UsageError("--prog-name must be status or statuscli")
    runtime.echo(completion_script(shell, prog_name))


def completion_script(shell: str, prog_name: str) -> str:
    """The completion script Typer generates for `prog_name` (its `_PROG_COMPLETE` protocol)."""
    # typer.completion is public; it re-exports these two without declaring them (hence the ignores).
    from typer.completion import get_completion_script  # type: ignore[attr-defined]

    return get_completion_script(prog_name=prog_name, complete_var=complete_var(prog_name), shell=shell)


def complete_var(prog_name: str) -> str:
    return f"_{prog_name}_COMPLETE".replace("-", "_").upper()


# ---- settings -------------------------------------------------------------------------------------


@app.command("config")
def show_config(json_output: JsonOption = False) -> None:
    """Show the resolved settings for each provider, with the key masked.

    Shows each provider's base URL and API key source (env, config file), so a set-up can be
    debugged without ever printing a key.

    \b
    Examples:
      status config
      status config --json
    """
    from .configure import show_config as run

    code = run(json_output=json_output)
    if code:
        _exit(code)


@app.command()
def auth(
    provider: Annotated[
        str,
        typer.Argument(
            metavar="PROVIDER",
            help=f"{_either(provider_names())}.",
            autocompletion=_complete_provider,
        ),
    ],
) -> None:
    """Store a provider's API key in the config file (mode 0600).

    Reads the key from a hidden prompt, or from stdin when it is not a terminal. The key is never
    echoed or printed.

    \b
    Examples:
      status auth anchor
      printf '%s' "$KEY" | status auth browserable
    """
    from .configure import save_key

    save_key(provider)


# ---- entry point ----------------------------------------------------------------------------------

sync_provider_commands()


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI: parse, call the application layer, exit with its code."""
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "status"
    if prog in ("__main__.py", "-c", "-m") or not prog:
        prog = "status"
    if os.environ.get(complete_var(prog)):
        # Typer registers its shell classes only with add_completion=True; we print scripts ourselves.
        from typer.completion import completion_init  # type: ignore[attr-defined]

        completion_init()
    sync_provider_commands()
    args = sys.argv[1:] if argv is None else argv
    code = runtime.run(
        lambda: app(args=argv, prog_name=prog, standalone_mode=False),
        parse_errors=(typer.TyperException,),
        report_parse_error=lambda error: _report_parse_error(error, args),
        end_of_input=(typer.Abort,),
    )
    sys.exit(code)


def _report_parse_error(error: Any, args: list[str]) -> int:
    """The parser's message as Click shows it; under `--json` also the command's JSON, like any error."""
    words = args[: args.index("--")] if "--" in args else args
    command = next((word for word in words if not word.startswith("-")), None)
    runtime.report_usage_json(command, words, " ".join(error.format_message().split()))
    show = getattr(error, "show", None)
    if show is not None:
        show()
    else:
        sys.stderr.write(f"Error: {error.format_message()}\n")
    return int(error.exit_code)
