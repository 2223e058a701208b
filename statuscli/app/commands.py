"""The use cases, without any parser: one-shot, watch, demo, simulate, the config report, saving a key.

Each takes resolved inputs (strings as typed, flags) and returns an exit code; the command line
declares options and calls these. Two seams stay lazy for start-up time: `fetch` (requests) and
`render` (rich, only for a terminal); the command line imports this module only once a command runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from statuscli.api import (
    Settings,
    ask,
    follow,
    provider_settings,
    request_progress,
    watch_options,
    with_provider_rates,
)
from statuscli.app.recent import remember as remember_ids
from statuscli.app.runtime import interrupt_code, say, silence_stdout, state
from statuscli.config import ConfigFile, ProviderSettings, config_path, load_config_file, resolve_target
from statuscli.core.console import interactive, is_tty, print_error, print_warning, same_terminal
from statuscli.core.durations import parse_duration
from statuscli.core.errors import ExitCode, Signalled, StatusCliError, UsageError, most_serious
from statuscli.core.models import RequestProgress, Target, TaskStatus
from statuscli.core.outcomes import Throttle, WatchRenderer
from statuscli.engine.watcher import Outcome, Watcher, WatchOptions, WatchSummary
from statuscli.providers import providers, split_word
from statuscli.providers.targets import dedupe, parse_target_lines, target_grammar
from statuscli.render.rows import print_pipe, wants_colour
from statuscli.render.words import summary_line, task_message
from statuscli.reports.json import JsonLinesRenderer, QuietRenderer, results_document, write_json

if TYPE_CHECKING:
    from statuscli.app.stream import StreamFetcher, TargetStream
    from statuscli.reports.ci import CiReports
    from statuscli.session import Fetcher

Result = tuple[Target, TaskStatus | StatusCliError]


class Reports(NamedTuple):
    """The CI reports asked for on the command line (a NamedTuple, like `WatchRequest`: a one-shot
    starts sooner without building a dataclass)."""

    junit_xml: str | None = None
    no_ci_annotations: bool = False


class NoReports:
    """No CI report asked for: nothing to record or write (and the report modules stay unloaded)."""

    def guard(self, targets: Sequence[Target]) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def record(self, renderer: WatchRenderer, started: float) -> WatchRenderer:
        return renderer

    def one_shot_done(self, results: Sequence[Result], exit_code: ExitCode) -> None:
        pass

    def watch_done(self, summary: WatchSummary, *, interrupted: bool) -> None:
        pass


def _ci_reports(
    command: str, reports: Reports, *, json_output: bool, quiet: bool = False
) -> CiReports | NoReports:
    """The CI reports asked for (JUnit file, GitHub Actions output); checks the file's directory now.

    The report modules are imported only where a report may be written, to keep a one-shot's start-up
    fast."""
    junit_path = None
    if reports.junit_xml is not None:
        from statuscli.reports.junit import check_junit_path

        junit_path = check_junit_path(reports.junit_xml)
    github = False
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from statuscli.reports.github import github_enabled

        github = github_enabled(os.environ, flag_off=reports.no_ci_annotations)
    if junit_path is None and not github:
        return NoReports()
    from statuscli.reports.ci import CiReports

    return CiReports(
        command=command, junit_path=junit_path, github=github, commands_to_stderr=json_output or quiet
    )


def load_config() -> ConfigFile:

    config = load_config_file(config_path())
    for warning in config.warnings:
        print_warning(warning)
    return config


def settings_for(
    names: list[str], *, base_url: tuple[str, str] | None, allow_insecure_http: bool, warn: bool = True
) -> dict[str, ProviderSettings]:
    """Each provider's settings; `base_url` is (provider, URL) from --base-url, for that provider only;
    `warn`: print the config file's warnings (once a run)."""
    flags = {
        name: Settings(
            base_url=base_url[1] if base_url and base_url[0] == name else None,
            allow_insecure_http=allow_insecure_http or None,
        )
        for name in names
    }
    return provider_settings(names, flags, source="--base-url", warn=print_warning if warn else None)


def _targets(
    provider: str, task_ids: list[str], run_id: str | None, variant: str | None = None
) -> list[Target]:
    if run_id is not None and len(task_ids) != 1:
        raise UsageError("--run-id goes with a single task id")
    return dedupe(resolve_target(provider, task_id, run_id, variant) for task_id in task_ids)


# ---- one-shot -------------------------------------------------------------------------------------


def one_shot_command(provider: str, options: dict[str, Any]) -> ExitCode:
    """`status PROVIDER TASK_ID... [options]` as parsed (by Typer, or by `cli_oneshot` without it):
    `options` holds each option by its parameter name, and the ids as `task_ids`."""
    options = dict(options)
    reports = Reports(options.pop("junit_xml"), options.pop("no_ci_annotations"))
    task_ids = options.pop("task_ids")
    run_id, variant = options.pop("run_id", None), options.pop("variant", None)
    return one_shot(provider, task_ids, run_id, reports=reports, variant=variant, **options)


def one_shot(
    provider: str,
    task_ids: list[str],
    run_id: str | None,
    *,
    json_output: bool,
    reports: Reports,
    base_url: str | None,
    allow_insecure_http: bool,
    timeout: str | None,
    variant: str | None = None,
) -> ExitCode:
    """Ask once about each task; print a table or one JSON document; the most serious outcome."""
    state.json_output = json_output
    timeout_s = parse_duration(timeout, what="--timeout") if timeout is not None else None
    if timeout_s == 0:
        raise UsageError("--timeout must be more than 0")
    targets = _targets(provider, task_ids, run_id, variant)
    ci = _ci_reports(provider, reports, json_output=json_output)
    settings = settings_for(
        [provider],
        base_url=(provider, base_url) if base_url else None,
        allow_insecure_http=allow_insecure_http,
    )

    conf = settings[provider]
    line = None
    if sys.stderr is not None and interactive(sys.stderr):  # None: started with stderr closed
        from statuscli.render.live import WaitingLine

        line = WaitingLine()

    def waiting(watcher: Watcher) -> None:
        if line is not None:
            line.update(time.monotonic() - watcher.started, _progress(watcher, conf))

    with ci.guard(targets):
        try:
            results = ask(targets, settings, timeout=timeout_s, idle=waiting if line is not None else None)
        except (KeyboardInterrupt, Signalled):  # Ctrl-C, SIGTERM, SIGHUP: said, like a watch says it
            if line is not None:
                line.close()
                line = None
            print_warning(f"interrupted while waiting for {'answers' if len(targets) > 1 else 'an answer'}")
            raise
        finally:
            if line is not None:
                line.close()
    code = most_serious([item.exit_code for _, item in results])
    remember_ids(t for t, item in results if isinstance(item, TaskStatus))
    try:
        if json_output:
            write_json(results_document(results, code))
        elif is_tty() or wants_colour():
            from statuscli.render.table import print_results  # rich, only for the table (or forced colour

            print_results(results)
        else:
            print_pipe(results)
    except BrokenPipeError:
        silence_stdout()
    for target, item in results:
        if isinstance(item, StatusCliError):
            print_error(task_message(target, item))
    ci.one_shot_done(results, code)
    return code


def _progress(watcher: Watcher, settings: ProviderSettings) -> list[RequestProgress]:
    """Where each request still out stands, for the status line of a one-shot that waits."""

    views = watcher.views()
    return [
        request_progress(v, settings) for v in views if v.status is None and v.outcome is Outcome.WATCHING
    ]


# ---- watch ----------------------------------------------------------------------------------------


class WatchRequest(NamedTuple):
    """A watch as typed: positional words, --file, and the options (durations still text)."""

    args: list[str]
    file: str | None = None
    run_id: str | None = None
    interval: str = "2s"
    timeout: str | None = None
    fail_fast: bool = False
    max_failures: int = 5
    json_output: bool = False
    quiet: bool = False
    bell: bool = False
    notify: bool = False
    base_url: str | None = None
    allow_insecure_http: bool = False
    reports: Reports = Reports()
    max_rate: str | None = None


def watch(request: WatchRequest) -> ExitCode:
    """Poll the targets until each is done; the most serious outcome."""

    state.json_output = request.json_output and not request.quiet
    state.json_lines = True
    options = watch_options(
        request.interval,
        request.timeout,
        fail_fast=request.fail_fast,
        max_failures=request.max_failures,
        max_rate=request.max_rate,
    )
    args = request.args
    from statuscli.app.stream import StreamFetcher, TargetStream, is_stream

    # --file - or a named pipe: followed line by line while the watch runs; a regular file is read whole.
    if request.file == "-" and sys.stdin is not None and is_tty(sys.stdin):
        say(f"reading targets from standard input, one per line ({target_grammar()}); end with Ctrl-D")
    stream = TargetStream.open(request.file, []) if request.file and is_stream(request.file) else None
    targets = watch_targets(args, request.file, request.run_id, request.base_url, stream)
    ci = _ci_reports("watch", request.reports, json_output=request.json_output, quiet=request.quiet)
    names = sorted({t.provider for t in targets})
    # --base-url belongs to the provider named on the command line, never to --file's other targets:
    # their keys must not travel to that host.
    base_url = (split_word(args[0])[0], request.base_url) if args and request.base_url else None
    # Only the providers in use: a streamed line of another provider has its settings resolved when it
    # arrives (stream.StreamFetcher.admit).
    settings = settings_for(names, base_url=base_url, allow_insecure_http=request.allow_insecure_http)
    from statuscli.session import Fetcher

    def resolve(name: str) -> ProviderSettings:
        insecure = request.allow_insecure_http
        return settings_for([name], base_url=base_url, allow_insecure_http=insecure, warn=False)[name]

    cap = options.max_rate if isinstance(options.max_rate, (int, float)) else None
    options = with_provider_rates(options, settings)
    pool = min(options.workers, len(targets)) if stream is None else options.workers
    # The fetcher is made inside ci.guard: a missing key found there still gets its report.
    with (
        ci.guard(targets),
        (
            Fetcher(settings, pool_size=pool)
            if stream is None
            else StreamFetcher(settings, resolve, pool_size=pool, max_rate=cap)
        ) as fetcher,
    ):
        return run_watch(
            targets,
            fetcher,
            options,
            json_output=request.json_output,
            quiet=request.quiet,
            bell=request.bell,
            notify=request.notify,
            ci=ci,
            stream=stream,
        )


def watch_targets(
    args: list[str],
    file: str | None,
    run_id: str | None,
    base_url: str | None,
    stream: TargetStream | None = None,
) -> list[Target]:
    targets: list[Target] = []
    if args:
        word, *task_ids = args
        provider, variant = split_word(word)
        if not task_ids:
            raise UsageError(f"give at least one task id after '{word}'")
        targets += _targets(provider, task_ids, run_id, variant)
    elif run_id is not None:
        with_runs = next((p.name for p in providers() if p.supports_run_id), "PROVIDER")
        raise UsageError(f"--run-id goes with 'watch {with_runs} TASK_ID'")
    if file is not None:
        if base_url is not None and not args:
            envs = " or ".join(p.base_url_env for p in providers())
            raise UsageError(f"--base-url needs a provider argument; with --file, set {envs}")
        if stream is not None:  # the watch starts with the first target; the others join later
            stream.remember(targets)
            targets += stream.first()
        else:
            lines = _read_lines(file)
            source = "stdin" if file == "-" else file
            targets += [resolve_target(*line) for line in parse_target_lines(lines, source=source)]
    if not targets and file is not None:
        source = "stdin" if file == "-" else file
        raise UsageError(f"nothing to watch: {source} held no target (one per line: {target_grammar()})")
    if not targets:
        raise UsageError("nothing to watch: give a provider and task ids, or --file FILE")
    return dedupe(targets)


def _read_lines(file: str) -> list[str]:
    try:
        data = stdin().buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --file {file}: {exc.strerror or exc}") from exc
    return decode_input(data, "stdin" if file == "-" else file).splitlines()


def stdin() -> TextIO:
    if sys.stdin is None:  # started with stdin closed (`<&-`)
        raise UsageError("stdin is closed; nothing to read")
    return sys.stdin


def decode_input(data: bytes, source: str) -> str:
    """UTF-8 text from a file or stdin (a leading BOM, as Windows editors write, is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source} is not UTF-8 text (byte {exc.start + 1})") from None


def run_watch(
    targets: list[Target],
    fetcher: Fetcher | StreamFetcher,
    options: WatchOptions,
    *,
    json_output: bool,
    quiet: bool = False,
    bell: bool = False,
    notify: bool = False,
    remember: bool = True,
    ci: CiReports | NoReports | None = None,
    stream: TargetStream | None = None,
) -> ExitCode:
    """Run the poll loop into the renderer the output asks for; Ctrl-C, SIGTERM and SIGHUP stop it."""

    shown: list[WatchRenderer] = []  # the renderer, once made: it hears of budgets and bad input
    bad_input: list[StatusCliError] = []

    def throttled(event: Throttle) -> None:
        for view in shown:
            view.throttle(event)

    def rejected(error: StatusCliError) -> None:  # a bad line of streamed input: said at once
        bad_input.append(error)
        for view in shown:
            view.input_error(error)

    watcher = Watcher(
        targets,
        fetcher.fetch,
        options,
        throttled=throttled,
        streaming=stream is not None,
        rejected=rejected,
        cancel=fetcher.cancel,
    )
    renderer: WatchRenderer
    listed = False  # whether the end of the view lists each task that did not succeed, with why
    if quiet:
        renderer = QuietRenderer()
    elif json_output:
        renderer = JsonLinesRenderer(started=watcher.started)
    elif interactive():
        from statuscli.render.live import LiveRenderer

        renderer = LiveRenderer(watcher.views)
        listed = True
    else:
        from statuscli.render.live import PlainRenderer

        renderer = PlainRenderer()
    shown.append(renderer)
    if ci is not None:
        renderer = ci.record(renderer, watcher.started)
    program = None
    if notify:
        from statuscli.app.alerts import notifier

        program = notifier()
    deadline = None if options.timeout is None else watcher.started + options.timeout
    interrupted = False
    stop_code = ExitCode.INTERRUPTED
    try:
        renderer.start(deadline)
        if stream is not None:
            from statuscli.app.stream import StreamFetcher as Streamed

            admit = None
            if isinstance(fetcher, Streamed):
                streamed = fetcher
                admit = lambda target: streamed.admit(target, watcher.set_cap)  # noqa: E731
            stream.follow(watcher.add, lambda error: watcher.add([error]), watcher.close_input, admit)
        follow(watcher, renderer.update)
    except (KeyboardInterrupt, Signalled) as exc:  # Ctrl-C, SIGTERM, SIGHUP: one way to stop
        interrupted = True
        stop_code = interrupt_code(exc)
    except BrokenPipeError:  # the reader went away (`| head -1`): like Ctrl-C, without the noise
        silence_stdout()
        interrupted = True
    except BaseException:
        renderer.close()  # an internal error: give the terminal back (cursor shown) before the report
        raise
    summary = watcher.summary()
    if interrupted:
        summary = dataclasses.replace(summary, exit_code=stop_code)
    elif bad_input:  # the input was bad: 2, unless a task's outcome outranks it (4, 5, 6, 1)
        from statuscli.app.stream import with_bad_input

        summary = dataclasses.replace(summary, exit_code=with_bad_input(summary.exit_code))
    # The `error:` lines come before the summary, which is the last line; on the terminal that shows
    # the list of what did not succeed they would only repeat it.
    if not (listed and same_terminal(sys.stdout, sys.stderr)):
        _report_errors(summary)
    try:
        renderer.finish(summary, interrupted=interrupted)
    except OSError:  # stdout gone: its reader left (EPIPE), or the terminal hung up (EIO)
        silence_stdout()
    if ci is not None:
        ci.watch_done(summary, interrupted=interrupted)
    if remember:
        remember_ids(v.target for v in summary.views if v.status is not None)
    if bell:
        from statuscli.app.alerts import ring_bell

        ring_bell()
    if program is not None:
        from statuscli.app.alerts import notify as send_notification

        send_notification(program, "statuscli watch finished", summary_line(summary))
    return summary.exit_code


def _report_errors(summary: WatchSummary) -> None:
    """One `error:` line per task whose request failed for good; a timed-out or stopped task's last
    transient error is not the cause of the exit code (the renderers show it as the last error seen)."""

    for view in summary.views:
        if view.error is not None and view.outcome is Outcome.ERROR:
            print_error(task_message(view.target, view.error))
