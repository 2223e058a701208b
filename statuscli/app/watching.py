"""A watch shown as its output asks (live table, plain lines, NDJSON, nothing), with its CI reports, bell
and notification: what `watch` and `demo` share. Ctrl-C, SIGTERM and SIGHUP stop it cleanly."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING

from statuscli.app.recent import remember as remember_ids
from statuscli.app.runtime import interrupt_code, silence_stdout
from statuscli.core.console import interactive, print_error, same_terminal
from statuscli.core.errors import ExitCode, Signalled, StatusCliError
from statuscli.core.models import Target
from statuscli.core.outcomes import Outcome, Throttle, WatchRenderer, WatchSummary
from statuscli.engine.options import WatchOptions
from statuscli.render.words import summary_line, task_message
from statuscli.reports.json import JsonLinesRenderer, QuietRenderer
from statuscli.session import follow

if TYPE_CHECKING:
    from statuscli.app.stream import TargetStream
    from statuscli.reports.ci import CiReports
    from statuscli.reports.requested import NoReports
    from statuscli.session import Session


def run_watch(
    targets: list[Target],
    session: Session,
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

    with session.watch(
        targets, options, streaming=stream is not None, throttled=throttled, rejected=rejected
    ) as watcher:
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
            from statuscli.render.plain import PlainRenderer

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
                admit = lambda target: session.admit(watcher, target)  # noqa: E731
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
    """One `error:` line per task whose request failed for good; a timed-out or skipped task's last
    transient error is not the cause of the exit code (the renderers show it as the last error seen)."""

    for view in summary.views:
        if view.error is not None and view.outcome is Outcome.ERROR:
            print_error(task_message(view.target, view.error))
