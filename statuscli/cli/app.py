"""The command line's Typer app: declares the commands and options, and calls the application layer
(`app`).

The one-shot command of each provider is generated from the provider registry. `run()` hands the
parsed command to `runtime.run`, where errors become exit codes and one-line messages. The entry point
is `cli.main`, which answers a tab completion without loading this module (see `cli.complete`).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, NoReturn

import typer

from statuscli.app import runtime
from statuscli.cli import options as opt
from statuscli.cli.complete import complete_var
from statuscli.core.errors import UsageError
from statuscli.providers import provider_names, providers
from statuscli.version import __version__

app = typer.Typer(
    cls=opt.Commands,
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


def _version(value: bool) -> None:
    if value:
        runtime.echo(f"statuscli {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help=opt.DEBUG_HELP)] = False,
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


_generated: set[str] = set()


def sync_provider_commands() -> None:
    """One command per registered provider, ahead of the others (as `status --help` lists them)."""
    if _generated == set(provider_names()):
        return
    others = [info for info in app.registered_commands if info.name not in _generated]
    app.registered_commands = []
    for spec in providers():
        app.command(name=spec.name)(opt.provider_command(spec))
    app.registered_commands += others
    _generated.clear()
    _generated.update(provider_names())


# ---- watch ----------------------------------------------------------------------------------------


@app.command()
def watch(
    args: opt.WatchArgs = None,
    file: opt.FileOption = None,
    run_id: opt.WatchRunIdOption = None,
    interval: opt.IntervalOption = "2s",
    timeout: opt.WatchTimeoutOption = None,
    fail_fast: opt.FailFastOption = False,
    max_failures: opt.MaxFailuresOption = 5,
    max_rate: opt.MaxRateOption = None,
    json_output: opt.NdjsonOption = False,
    quiet: opt.QuietOption = False,
    bell: opt.BellOption = False,
    notify: opt.NotifyOption = False,
    base_url: opt.BaseUrlOption = None,
    allow_insecure_http: opt.InsecureOption = False,
    junit_xml: opt.JunitOption = None,
    no_ci_annotations: opt.NoCiOption = False,
) -> None:
    """Poll tasks until each one is done, with a live table in a terminal.

    Exit code: the most serious outcome (4 auth, 5 not found, 6 API, 1 failed, 124 deadline, 0 ok).

    \b
    Examples:
      status watch anchor T1 T2 --timeout 10m
      status watch browserable TASK --run-id RUN --json
      status watch --file targets.txt --fail-fast && ./deploy.sh
    """
    from statuscli.app.watch import WatchRequest
    from statuscli.app.watch import watch as run
    from statuscli.core.durations import parse_duration, parse_rate
    from statuscli.engine.options import watch_options
    from statuscli.reports.requested import Reports

    runtime.report_as(json_output=json_output and not quiet, lines=True)
    options = watch_options(
        parse_duration(interval, what="--interval"),
        None if timeout is None else parse_duration(timeout, what="--timeout"),
        fail_fast=fail_fast,
        max_failures=max_failures,
        max_rate=None if max_rate is None else parse_rate(max_rate, what="--max-rate"),
    )
    request = WatchRequest(
        args=args or [],
        options=options,
        file=file,
        run_id=run_id,
        json_output=json_output,
        quiet=quiet,
        bell=bell,
        notify=notify,
        base_url=base_url,
        allow_insecure_http=allow_insecure_http,
        reports=Reports(junit_xml, no_ci_annotations),
    )
    opt.exit_with(run(request))


# ---- simulator ------------------------------------------------------------------------------------


@app.command()
def demo(
    interval: opt.DemoIntervalOption = "1s",
    json_output: opt.DemoJsonOption = False,
) -> None:
    """Watch simulated tasks of both providers finish: no account, key or network needed.

    Starts the built-in simulator on a free loopback port and watches its default scenario (7 tasks:
    two fail, one is flaky) for about 15 seconds. Ends with the exit code a real watch would give.

    \b
    Examples:
      status demo
      status demo --json | jq -c 'select(.event == "change") | {task_id, to}'
    """
    from statuscli.app.demo import demo as run

    opt.exit_with(run(interval, json_output=json_output))


@app.command()
def simulate(
    port: opt.PortOption = 0,
    scenario: opt.ScenarioOption = None,
    verbose: opt.VerboseOption = False,
) -> None:
    """Serve both provider APIs on 127.0.0.1 for trying statuscli or testing scripts.

    Prints the export lines to point statuscli at it and the command that watches its tasks (from a
    watch file it writes, removed when it stops), then serves until Ctrl-C (exit 0).

    \b
    Examples:
      status simulate --port 8787
      status simulate --scenario my-scenario.toml
    """
    from statuscli.app.demo import simulate as run

    run(scenario, port=port, verbose=verbose)


# ---- completion -----------------------------------------------------------------------------------


@app.command()
def completion(
    shell: opt.ShellArg,
    prog_name: opt.ProgNameOption = "status",
) -> None:
    """Print the shell completion script for SHELL.

    Completes commands, options, provider names and recently queried task ids.

    \b
    Examples:
      mkdir -p ~/.local/share/bash-completion/completions
      status completion bash > ~/.local/share/bash-completion/completions/status
      statuscli completion fish --prog-name statuscli > ~/.config/fish/completions/statuscli.fish
    """
    if shell not in opt.SCRIPT_SHELLS:
        raise UsageError(f"unknown shell '{shell}' (choose from: {', '.join(opt.SCRIPT_SHELLS)})")
    if prog_name not in ("status", "statuscli"):
        raise UsageError("--prog-name must be status or statuscli")
    runtime.echo(opt.completion_script(shell, prog_name))


# ---- settings -------------------------------------------------------------------------------------


@app.command("config")
def show_config(json_output: opt.JsonOption = False) -> None:
    """Show the resolved settings for each provider, with the key masked.

    Shows each provider's base URL and API key source (env, config file), so a set-up can be
    debugged without ever printing a key.

    \b
    Examples:
      status config
      status config --json
    """
    from statuscli.app.configure import show_config as run

    code = run(json_output=json_output)
    if code:
        opt.exit_with(code)


@app.command()
def auth(
    provider: opt.ProviderArg,
) -> None:
    """Store a provider's API key in the config file (mode 0600).

    Reads the key from a hidden prompt, or from stdin when it is not a terminal. The key is never
    echoed or printed.

    \b
    Examples:
      status auth anchor
      printf '%s' "$KEY" | status auth browserable
    """
    from statuscli.app.configure import save_key

    save_key(provider)


# ---- entry point ----------------------------------------------------------------------------------

sync_provider_commands()


def run(argv: list[str] | None, prog: str) -> NoReturn:
    """Run the CLI as `prog`: parse, call the application layer, exit with its code."""
    if os.environ.get(complete_var(prog)):
        # Typer registers its shell classes only with add_completion=True; we print scripts ourselves.
        from typer.completion import completion_init  # type: ignore[attr-defined]

        completion_init()
    sync_provider_commands()
    args = sys.argv[1:] if argv is None else argv
    code = runtime.run(
        lambda: app(args=argv, prog_name=prog, standalone_mode=False),
        parse_errors=(typer.TyperException,),
        report_parse_error=lambda error: _report_parse_error(error, args, prog),
        end_of_input=(typer.Abort,),
    )
    if argv is None:  # the console script: a run a signal stopped dies by it (see runtime)
        runtime.exit_process(code)
    sys.exit(code)


def _report_parse_error(error: Any, args: list[str], prog: str) -> int:
    """What the parser found, in the one style of every usage error: one `error:` line, with where to
    look (`see 'status watch --help'`); under `--json` also the command's JSON, like any error. Only
    `status` alone shows the help, as most commands with subcommands do."""
    words = args[: args.index("--")] if "--" in args else args
    command = next((word for word in words if not word.startswith("-")), None)
    if type(error).__name__ == "NoArgsIsHelpError":
        error.show()
        return int(error.exit_code)
    from statuscli.core.console import print_error

    message = parse_message(error.format_message())
    runtime.report_usage_json(command, words, message)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        where = ctx.command_path
    else:
        known = {info.name or getattr(info.callback, "__name__", None) for info in app.registered_commands}
        where = f"{prog} {command}" if command in known else prog
    print_error(f"{message}; see '{where} --help'")
    return int(error.exit_code)


def parse_message(text: str) -> str:
    """The parser's sentence as statuscli writes its errors: one line, lower case, no full stop."""
    text = " ".join(text.split()).rstrip(".")
    text = text.replace("(Possible options:", "(possible options:")
    if text[:1].isupper() and text[1:2].islower():
        text = text[0].lower() + text[1:]
    return text
