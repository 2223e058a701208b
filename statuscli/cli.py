"""The Typer app: parses, resolves settings, calls the layers below, picks a renderer.

`main()` is the one place where errors become exit codes and one-line messages. Heavy modules (requests,
rich) are imported inside the commands, so `--help` and tab completion stay fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer
from typer.core import TyperGroup, TyperOption

from . import __version__
from .errors import ExitCode, Signalled, StatusCliError, UsageError
from .models import PROVIDER_NAMES, check_provider

if TYPE_CHECKING:
    import logging

    from .config import ConfigFile, ProviderSettings
    from .models import Target
    from .providers import Fetcher
    from .reports import CiReports
    from .watch import WatchOptions, WatchSummary


@dataclass
class RunState:
    """What `main()` needs to know to report a failure the way the user asked."""

    debug: bool = False
    json_output: bool = False
    #: The command speaks NDJSON (watch, demo): an error is an error event and a summary object.
    json_lines: bool = False


state = RunState()

DEBUG_HELP = "Log each request (method, URL, status, timing, retries) to stderr; keys masked."
DEBUG_ENV = "STATUSCLI_DEBUG"


def _set_debug(ctx: typer.Context, param: object, value: bool) -> None:
    if value and not state.debug:
        state.debug = True
        _enable_debug_logging()


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


def _version(value: bool) -> None:
    if value:
        _echo(f"statuscli {__version__}")
        raise typer.Exit(0)


def _complete_provider(incomplete: str) -> list[str]:
    return [p for p in PROVIDER_NAMES if p.startswith(incomplete)]


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
    debug = debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    if debug and not state.debug:
        state.debug = True
        _enable_debug_logging()


# ---- shared options -----------------------------------------------------------------------------

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
        "--allow-insecure-http",
        help="Allow sending the key over plain http:// to a non-loopback host.",
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


def _ci_reports(
    command: str, junit_xml: str | None, no_ci_annotations: bool, *, json_output: bool, quiet: bool = False
) -> CiReports:
    """The CI reports asked for (JUnit file, GitHub Actions output); checks the file's directory now."""
    from .reports import CiReports, check_junit_path, github_enabled

    return CiReports(
        command=command,
        junit_path=check_junit_path(junit_xml) if junit_xml is not None else None,
        github=github_enabled(os.environ, flag_off=no_ci_annotations),
        commands_to_stderr=json_output or quiet,
    )


def _recent_ids(provider: str, incomplete: str) -> list[str]:
    from .recent import complete

    return complete(provider, incomplete)


def _complete_anchor_id(incomplete: str) -> list[str]:
    return _recent_ids("anchor", incomplete)


def _complete_browserable_id(incomplete: str) -> list[str]:
    return _recent_ids("browserable", incomplete)


def _complete_watch_args(ctx: typer.Context, incomplete: str) -> list[str]:
    """After `watch`: a provider name first, then that provider's recent task ids."""
    words = ctx.params.get("args") or []
    provider = words[0] if words and words[0] in PROVIDER_NAMES else None
    if provider is None:
        return _complete_provider(incomplete)
    return _recent_ids(provider, incomplete)


AnchorIds = Annotated[
    list[str],
    typer.Argument(metavar="TASK_ID", help="One or more task ids.", autocompletion=_complete_anchor_id),
]
BrowserableIds = Annotated[
    list[str],
    typer.Argument(metavar="TASK_ID", help="One or more task ids.", autocompletion=_complete_browserable_id),
]


def _load_config() -> ConfigFile:
    from .config import config_path, load_config_file
    from .output import print_warning

    config = load_config_file(config_path())
    for warning in config.warnings:
        print_warning(warning)
    return config


def _settings(
    providers: list[str], *, base_url: tuple[str, str] | None, allow_insecure_http: bool
) -> dict[str, ProviderSettings]:
    """Each provider's settings; `base_url` is (provider, URL) from --base-url, for that provider only."""
    from .config import resolve

    config = _load_config()
    return {
        name: resolve(
            name,
            config=config,
            base_url=base_url[1] if base_url and base_url[0] == name else None,
            allow_insecure_http=allow_insecure_http,
        )
        for name in providers
    }


def _targets(provider: str, task_ids: list[str], run_id: str | None) -> list[Target]:
    from .providers import make_target
    from .targets import dedupe

    if run_id is not None and len(task_ids) != 1:
        raise UsageError("--run-id goes with a single task id")
    return dedupe(make_target(provider, task_id, run_id) for task_id in task_ids)


def _one_shot(
    provider: str,
    task_ids: list[str],
    run_id: str | None,
    *,
    json_output: bool,
    junit_xml: str | None = None,
    no_ci_annotations: bool = False,
    base_url: str | None,
    allow_insecure_http: bool,
    timeout: str | None = None,
) -> NoReturn:
    from .targets import parse_duration

    state.json_output = json_output
    timeout_s = parse_duration(timeout, what="--timeout") if timeout is not None else None
    if timeout_s == 0:
        raise UsageError("--timeout must be more than 0")
    targets = _targets(provider, task_ids, run_id)
    ci = _ci_reports(provider, junit_xml, no_ci_annotations, json_output=json_output)
    settings = _settings(
        [provider],
        base_url=(provider, base_url) if base_url else None,
        allow_insecure_http=allow_insecure_http,
    )

    from .errors import most_serious
    from .models import TaskStatus
    from .output import interactive, print_error, results_document, task_message, write_json
    from .providers import ONE_SHOT_PARALLEL, Fetcher
    from .recent import remember

    line = None
    if sys.stderr is not None and interactive(sys.stderr):  # None: started with stderr closed
        from .render import WaitingLine

        line = WaitingLine()
    with ci.guard(targets), Fetcher(settings, pool_size=min(ONE_SHOT_PARALLEL, len(targets))) as fetcher:
        try:
            results = fetcher.fetch_many(
                targets,
                timeout=settings[provider].timeout if timeout_s is None else timeout_s,
                waiting=line.update if line is not None else None,
            )
        finally:
            if line is not None:
                line.close()
    code = most_serious([item.exit_code for _, item in results])
    remember(t for t, item in results if isinstance(item, TaskStatus))
    try:
        if json_output:
            write_json(results_document(results, code))
        else:
            from .render import print_results  # rich, only for the table

            print_results(results)
    except BrokenPipeError:
        _silence_stdout()
    for target, item in results:
        if isinstance(item, StatusCliError):
            print_error(task_message(target, item))
    ci.one_shot_done(results, code)
    raise typer.Exit(int(code))


# ---- one-shot commands ----------------------------------------------------------------------------


@app.command()
def anchor(
    task_ids: AnchorIds,
    json_output: JsonOption = False,
    junit_xml: JunitOption = None,
    no_ci_annotations: NoCiOption = False,
    base_url: BaseUrlOption = None,
    allow_insecure_http: InsecureOption = False,
    timeout: OneShotTimeoutOption = None,
) -> None:
    """Show the generation status of AnchorBrowser tasks.

    Calls GET /v2/tasks/{taskId}/generation-status with the anchor-api-key header, once per id.
    Exit code: 0 all ready, 1 one failed, 3 one still generating (see README for the rest).

    \b
    Examples:
      status anchor 3f6c2a...
      status anchor T1 T2 --json | jq '.tasks[].status.state'
    """
    _one_shot(
        "anchor",
        task_ids,
        None,
        json_output=json_output,
        junit_xml=junit_xml,
        no_ci_annotations=no_ci_annotations,
        base_url=base_url,
        allow_insecure_http=allow_insecure_http,
        timeout=timeout,
    )


@app.command()
def browserable(
    task_ids: BrowserableIds,
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", metavar="RUN_ID", help="A run of the task (default: the latest)."),
    ] = None,
    json_output: JsonOption = False,
    junit_xml: JunitOption = None,
    no_ci_annotations: NoCiOption = False,
    base_url: BaseUrlOption = None,
    allow_insecure_http: InsecureOption = False,
    timeout: OneShotTimeoutOption = None,
) -> None:
    """Show the run status of Browserable tasks (cloud or self-hosted).

    Calls GET /task/{taskId}/run/status[?runId=...] with the x-api-key header, once per id.
    Exit code: 0 all completed, 1 one errored, 3 one scheduled/running/no run yet.

    \b
    Examples:
      status browserable 0b7c... --run-id 9a1e...
      BROWSERABLE_BASE_URL=http://localhost:2003/api/v1 status browserable 0b7c...
    """
    _one_shot(
        "browserable",
        task_ids,
        run_id,
        json_output=json_output,
        junit_xml=junit_xml,
        no_ci_annotations=no_ci_annotations,
        base_url=base_url,
        allow_insecure_http=allow_insecure_http,
        timeout=timeout,
    )


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
        bool,
        typer.Option("--json", help="NDJSON on stdout: one object per change, then a summary."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing on stdout; only the exit code speaks."),
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
    from .targets import parse_duration

    state.json_output = json_output and not quiet
    state.json_lines = True
    interval_s = parse_duration(interval, what="--interval")
    if interval_s < 0.1:
        raise UsageError("--interval must be at least 0.1 s")
    timeout_s = parse_duration(timeout, what="--timeout") if timeout is not None else None
    if timeout_s == 0:
        raise UsageError("--timeout must be more than 0 (leave it out to wait without a deadline)")
    targets = _watch_targets(args or [], file, run_id, base_url)
    ci = _ci_reports("watch", junit_xml, no_ci_annotations, json_output=json_output, quiet=quiet)
    providers = sorted({t.provider for t in targets})
    # --base-url belongs to the provider named on the command line, never to --file's other targets:
    # their keys must not travel to that host.
    settings = _settings(
        providers,
        base_url=(args[0], base_url) if args and base_url else None,
        allow_insecure_http=allow_insecure_http,
    )

    from .providers import Fetcher
    from .watch import WatchOptions

    options = WatchOptions(
        interval=interval_s, timeout=timeout_s, fail_fast=fail_fast, max_failures=max_failures
    )
    pool = min(options.workers, len(targets))
    with ci.guard(targets), Fetcher(settings, retries=0, pool_size=pool) as fetcher:
        code = _run_watch(targets, fetcher, options, json_output, quiet, bell, notify, ci=ci)
    raise typer.Exit(int(code))


def _watch_targets(
    args: list[str], file: str | None, run_id: str | None, base_url: str | None
) -> list[Target]:
    from .providers import make_target
    from .targets import dedupe, parse_target_lines

    targets: list[Target] = []
    if args:
        provider, *task_ids = args
        check_provider(provider)
        if not task_ids:
            raise UsageError(f"give at least one task id after '{provider}'")
        targets += _targets(provider, task_ids, run_id)
    elif run_id is not None:
        raise UsageError("--run-id goes with 'watch browserable TASK_ID'")
    if file is not None:
        if base_url is not None and not args:
            raise UsageError(
                "--base-url needs a provider argument; with --file, set ANCHORBROWSER_BASE_URL "
                "or BROWSERABLE_BASE_URL"
            )
        lines = _read_lines(file)
        source = "stdin" if file == "-" else file
        targets += [make_target(*triple) for triple in parse_target_lines(lines, source=source)]
    if not targets:
        raise UsageError("nothing to watch: give a provider and task ids, or --file FILE")
    return dedupe(targets)


def _read_lines(file: str) -> list[str]:
    try:
        data = _stdin().buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --file {file}: {exc.strerror or exc}") from exc
    return _decode_input(data, "stdin" if file == "-" else file).splitlines()


def _stdin() -> TextIO:
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        raise UsageError("stdin is closed; nothing to read")
    return sys.stdin


def _decode_input(data: bytes, source: str) -> str:
    """UTF-8 text from a file or stdin (a leading BOM, as Windows editors write, is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source} is not UTF-8 text (byte {exc.start + 1})") from None


def _run_watch(
    targets: list[Target],
    fetcher: Fetcher,
    options: WatchOptions,
    json_output: bool,
    quiet: bool,
    bell: bool,
    notify: bool,
    *,
    remember: bool = True,
    ci: CiReports | None = None,
) -> ExitCode:
    from .output import (
        JsonLinesRenderer,
        QuietRenderer,
        WatchRenderer,
        interactive,
        ring_bell,
        summary_line,
    )
    from .output import notify as send_notification
    from .recent import remember as remember_ids
    from .watch import Watcher

    watcher = Watcher(targets, fetcher.fetch, options)
    renderer: WatchRenderer
    if quiet:
        renderer = QuietRenderer()
    elif json_output:
        renderer = JsonLinesRenderer(started=watcher.started)
    elif interactive():
        from .render import LiveRenderer

        renderer = LiveRenderer(watcher.views)
    else:
        from .render import PlainRenderer

        renderer = PlainRenderer()
    if ci is not None:
        renderer = ci.record(renderer, watcher.started)
    deadline = None if options.timeout is None else watcher.started + options.timeout
    interrupted = False
    interrupt_code = ExitCode.INTERRUPTED
    try:
        renderer.start(deadline)
        for update in watcher.run():
            renderer.update(update)
    except (KeyboardInterrupt, Signalled) as exc:  # Ctrl-C, SIGTERM, SIGHUP: one way to stop
        interrupted = True
        interrupt_code = _interrupt_code(exc)
    except BrokenPipeError:  # the reader went away (`| head -1`): like Ctrl-C, without the noise
        _silence_stdout()
        interrupted = True
    except BaseException:
        renderer.close()  # an internal error: give the terminal back (cursor shown) before the report
        raise
    summary = watcher.summary()
    if interrupted:
        summary = dataclasses.replace(summary, exit_code=interrupt_code)
    try:
        renderer.finish(summary, interrupted=interrupted)
    except OSError:  # stdout gone: its reader left (EPIPE), or the terminal hung up (EIO)
        _silence_stdout()
    if ci is not None:
        ci.watch_done(summary, interrupted=interrupted)
    if remember:
        remember_ids(v.target for v in summary.views if v.status is not None)
    _report_errors(summary)
    if bell:
        ring_bell()
    if notify:
        send_notification("statuscli watch finished", summary_line(summary))
    return summary.exit_code


def _interrupt_code(exc: BaseException) -> ExitCode:
    return exc.code if isinstance(exc, Signalled) else ExitCode.INTERRUPTED


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into `Signalled` in the main thread for the duration, then put back."""
    import signal

    codes = {"SIGTERM": ExitCode.TERMINATED, "SIGHUP": ExitCode.HANGUP}  # no SIGHUP on Windows

    def handler(signum: int, frame: object) -> None:
        raise Signalled(codes[signal.Signals(signum).name])

    previous: dict[signal.Signals, Any] = {}
    for name in codes:
        signum = getattr(signal, name, None)
        if signum is None:
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


class _StdoutClosed(Exception):
    """stdout's reader went away. Not an OSError, so Click does not turn it into exit 1."""


@contextlib.contextmanager
def _stdout_guard() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise _StdoutClosed from None


def _echo(text: str) -> None:
    """A line on stdout, flushed; a closed stdout ends the command quietly (see `main`)."""
    with _stdout_guard():
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def _silence_stdout() -> None:
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
        raise BrokenPipeError(errno.EPIPE, "stdout is closed")

    def isatty(self) -> bool:
        return False


def _report_errors(summary: WatchSummary) -> None:
    """One `error:` line per task whose request failed for good; a timed-out or stopped task's last
    transient error is not the cause of the exit code (the renderers show it as the last error seen)."""
    from .output import print_error, task_message
    from .watch import Outcome

    for view in summary.views:
        if view.error is not None and view.outcome is Outcome.ERROR:
            print_error(task_message(view.target, view.error))


# ---- simulator --------------------------------------------------------------------------------------


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
    from .config import ProviderSettings
    from .providers import Fetcher, make_target
    from .sim import DEFAULT_KEYS, Simulator, default_scenario
    from .targets import parse_duration
    from .watch import WatchOptions

    state.json_output = json_output
    state.json_lines = True
    interval_s = parse_duration(interval, what="--interval")
    with Simulator(default_scenario()) as sim:
        urls = {"anchor": sim.anchor_base_url, "browserable": sim.browserable_base_url}
        settings = {
            name: ProviderSettings(
                provider=name,
                base_url=url,
                base_url_source="demo simulator",
                api_key=DEFAULT_KEYS[name],
                key_source="demo simulator",
            )
            for name, url in urls.items()
        }
        targets = [make_target(provider, task_id) for provider, task_id in sim.targets()]
        if not json_output:
            typer.echo(f"Demo: watching {len(targets)} simulated tasks on {sim.base_url}", err=True)
        options = WatchOptions(interval=max(0.1, interval_s), timeout=60.0)
        with Fetcher(settings, retries=0, pool_size=len(targets)) as fetcher:
            code = _run_watch(targets, fetcher, options, json_output, False, False, False, remember=False)
    if not json_output:
        typer.echo(
            f"Demo: exit code {int(code)} ({_EXIT_MEANINGS.get(code, '')}); "
            "in a script: status watch ... && next-step",
            err=True,
        )
    raise typer.Exit(int(code))


_EXIT_MEANINGS = {
    ExitCode.SUCCESS: "every task succeeded",
    ExitCode.FAILURE: "a task failed",
    ExitCode.PENDING: "a task is still pending",
    ExitCode.AUTH: "authentication problem",
    ExitCode.NOT_FOUND: "not found",
    ExitCode.API: "API or network failure",
    ExitCode.DEADLINE: "the deadline passed",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.HANGUP: "hung up",
    ExitCode.TERMINATED: "terminated",
}


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
    from .sim import DEFAULT_KEYS, ScenarioError, Simulator, default_scenario, load_scenario

    try:
        loaded = load_scenario(scenario) if scenario is not None else default_scenario()
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    try:
        sim = Simulator(loaded, port=port, verbose=verbose)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    keys = loaded.keys or DEFAULT_KEYS
    try:
        targets_file = _write_watch_file(sim.targets(), sim.base_url)
        lines = [
            f"export ANCHORBROWSER_BASE_URL={sim.anchor_base_url}",
            f"export BROWSERABLE_BASE_URL={sim.browserable_base_url}",
            f"export ANCHORBROWSER_API_KEY={keys.get('anchor', DEFAULT_KEYS['anchor'])}",
            f"export BROWSERABLE_API_KEY={keys.get('browserable', DEFAULT_KEYS['browserable'])}",
            f"# watch every task of the scenario: status watch --file {targets_file}",
        ]
        _echo("\n".join(lines))
        typer.echo(f"Simulator serving on {sim.base_url}; press Ctrl-C to stop.", err=True)
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            sim.stop()
    finally:
        import shutil

        shutil.rmtree(targets_file.parent, ignore_errors=True)


def _write_watch_file(targets: list[tuple[str, str]], base_url: str) -> Path:
    """The simulator's tasks as a watch file in a private temporary directory (removed at the end)."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="statuscli-simulate-"))
    path = directory / "targets.txt"
    text = "".join(f"{provider} {task_id}\n" for provider, task_id in targets)
    path.write_text(f"# the tasks of the statuscli simulator on {base_url}\n{text}", encoding="utf-8")
    return path


# ---- completion -------------------------------------------------------------------------------------

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
    _echo(completion_script(shell, prog_name))


def completion_script(shell: str, prog_name: str) -> str:
    """The completion script Typer generates for `prog_name` (its `_PROG_COMPLETE` protocol)."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=prog_name, complete_var=complete_var(prog_name), shell=shell)


def complete_var(prog_name: str) -> str:
    return f"_{prog_name}_COMPLETE".replace("-", "_").upper()


# ---- settings -------------------------------------------------------------------------------------


#: The fields of each provider in `status config --json` (all present, null when unknown).
CONFIG_ROW_KEYS = (
    "provider",
    "base_url",
    "base_url_source",
    "api_key",
    "api_key_source",
    "api_key_problem",
    "connect_timeout",
    "read_timeout",
    "retries",
    "allow_insecure_http",
    "error",
)


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
    from .config import PROVIDER_DEFAULTS, key_problem, mask_key, resolve
    from .output import RESULT_VERSION, print_error, write_json
    from .text import clean

    state.json_output = json_output
    config = _load_config()
    rows: list[dict[str, Any]] = []
    for name in PROVIDER_DEFAULTS:
        try:
            item = resolve(name, config=config)
        except UsageError as exc:  # one bad setting must not hide the other provider's
            print_error(f"{name}: {exc.message}")
            rows.append(dict.fromkeys(CONFIG_ROW_KEYS) | {"provider": name, "error": exc.message})
            continue
        rows.append(
            {
                "provider": name,
                "base_url": item.base_url,
                "base_url_source": item.base_url_source,
                "api_key": mask_key(item.api_key),
                "api_key_source": item.key_source,
                "api_key_problem": key_problem(item.api_key) if item.api_key else None,
                "connect_timeout": item.connect_timeout,
                "read_timeout": item.read_timeout,
                "retries": item.retries,
                "allow_insecure_http": item.allow_insecure_http,
                "error": None,
            }
        )
    failed = any(row["error"] for row in rows)
    if json_output:
        with _stdout_guard():
            write_json(
                {
                    "statuscli_result_version": RESULT_VERSION,
                    "exit_code": int(ExitCode.USAGE if failed else ExitCode.SUCCESS),
                    "config_file": str(config.path),
                    "config_file_exists": config.exists,
                    "providers": rows,
                }
            )
    else:
        lines = [f"config file: {config.path}{'' if config.exists else ' (not found)'}"]
        for row in rows:
            lines += ["", f"[{row['provider']}]"]
            if row["error"]:
                lines.append(f"  error        {clean(row['error'])}")
                continue
            source = row["api_key_source"] or (
                "not set: " + " or ".join(PROVIDER_DEFAULTS[row["provider"]].key_env)
            )
            problem = f"; unusable: contains {row['api_key_problem']}" if row["api_key_problem"] else ""
            lines += [
                f"  base_url     {clean(row['base_url'])}  ({clean(row['base_url_source'])})",
                f"  api_key      {row['api_key']}  ({clean(source)}{problem})",
                f"  timeouts     connect {row['connect_timeout']:g}s, read {row['read_timeout']:g}s",
                f"  retries      {row['retries']}",
                f"  insecure     {'allowed' if row['allow_insecure_http'] else 'refused'} "
                "(plain http to non-loopback hosts)",
            ]
        _echo("\n".join(lines))
    if failed:
        raise typer.Exit(int(ExitCode.USAGE))


@app.command()
def auth(
    provider: Annotated[
        str,
        typer.Argument(
            metavar="PROVIDER",
            help="anchor or browserable.",
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
    from .config import PROVIDER_DEFAULTS, config_path, key_problem, write_key
    from .output import print_warning

    check_provider(provider)
    at_terminal = sys.stdin is not None and sys.stdin.isatty()
    stdin = None if at_terminal else _stdin()  # a closed stdin is a usage error before anything else
    for var in PROVIDER_DEFAULTS[provider].key_env:  # said before the key is typed, not after
        if os.environ.get(var, "").strip():
            print_warning(f"warning: {var} is set in the environment and takes precedence")
            break
    if stdin is None:
        key = _prompt_key(f"{provider} API key: ")
    else:
        key = _decode_input(stdin.buffer.readline(), "stdin")
    key = key.strip()
    if not key:
        raise UsageError("no key given (empty input)")
    problem = key_problem(key)
    if problem:
        raise UsageError(f"the key contains {problem}; it was not saved")
    path = config_path()
    write_key(path, provider, key)
    typer.echo(f"Saved the {provider} API key to {path} (mode 0600).", err=True)


def _prompt_key(prompt: str) -> str:
    """A hidden prompt on the terminal. Ctrl-C ends the command (130); Ctrl-D is no key (usage, 2)."""
    import getpass

    try:
        return getpass.getpass(prompt, stream=sys.stderr)
    except EOFError:
        sys.stderr.write("\n")
        raise UsageError("no key given (end of input)") from None
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise


# ---- entry point ----------------------------------------------------------------------------------


def _enable_debug_logging() -> None:
    import logging

    from .text import clean

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


_DEBUG_LOGGERS = ("statuscli", "urllib3")
_debug_handlers: list[logging.Handler] = []


def _disable_debug_logging() -> None:
    if not _debug_handlers:
        return
    import logging

    while _debug_handlers:
        handler = _debug_handlers.pop()
        for name in _DEBUG_LOGGERS:
            logging.getLogger(name).removeHandler(handler)
    for name in _DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; the one place where exceptions become exit codes and one-line messages."""
    state.debug = False
    state.json_output = False
    state.json_lines = False
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "status"
    if prog in ("__main__.py", "-c", "-m") or not prog:
        prog = "status"
    if os.environ.get(complete_var(prog)):
        # Typer registers its shell classes only with add_completion=True; we print scripts ourselves.
        from typer._completion_classes import completion_init

        completion_init()
    if sys.stdout is None:  # started with stdout closed: the same as a reader that went away
        sys.stdout = _ClosedStdout()
    try:
        with _signals_interrupt():
            code = app(args=argv, prog_name=prog, standalone_mode=False)
    except StatusCliError as error:
        _report(error)
        sys.exit(int(error.exit_code))
    except typer.TyperException as error:  # the parser's own: a missing argument, an unknown option
        _report_parse_error(error, sys.argv[1:] if argv is None else argv)
        sys.exit(error.exit_code)
    except typer.Abort:  # Typer's word for end of input at a prompt; statuscli prompts do not raise it
        sys.exit(int(ExitCode.INTERRUPTED))
    except (_StdoutClosed, BrokenPipeError):
        # The reader of stdout went away (`status config | head -1`): stop quietly, like Ctrl-C.
        _silence_stdout()
        sys.exit(int(ExitCode.INTERRUPTED))
    except (KeyboardInterrupt, Signalled) as exc:
        sys.exit(int(_interrupt_code(exc)))
    except SystemExit:
        raise
    except Exception:
        if state.debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(
            "status: internal error (a bug in statuscli); please report this with the output of --debug\n"
        )
        sys.exit(int(ExitCode.INTERNAL))
    finally:
        _disable_debug_logging()
    sys.exit(code if isinstance(code, int) else 0)


def _report(error: StatusCliError) -> None:
    from .output import error_document, print_error, write_json, write_watch_error

    if state.json_output:
        try:
            if state.json_lines:
                write_watch_error(error)
            else:
                write_json(error_document(error))
        except BrokenPipeError:
            _silence_stdout()
    print_error(error.message)


def _report_parse_error(error: typer.TyperException, args: list[str]) -> None:
    """The parser's message as Click shows it; under `--json` also the command's JSON, like any error."""
    words = args[: args.index("--")] if "--" in args else args
    command = next((word for word in words if not word.startswith("-")), None)
    if command in ("anchor", "browserable", "config", "watch", "demo") and "--json" in words:
        state.json_lines = command in ("watch", "demo")
        state.json_output = not (state.json_lines and ("--quiet" in words or "-q" in words))
        if state.json_output:
            from .output import error_document, write_json, write_watch_error

            usage = UsageError(" ".join(error.format_message().split()))
            try:
                write_watch_error(usage) if state.json_lines else write_json(error_document(usage))
            except BrokenPipeError:
                _silence_stdout()
    show = getattr(error, "show", None)
    if show is not None:
        show()
    else:
        sys.stderr.write(f"Error: {error.format_message()}\n")
