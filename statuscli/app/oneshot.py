"""The one-shot use case: `status PROVIDER TASK_ID...`, asked once through the session; a table, plain
lines or one JSON document, and the most serious outcome as the exit code."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from statuscli.app.inputs import command_resolver, command_targets
from statuscli.app.recent import remember as remember_ids
from statuscli.app.runtime import silence_stdout, state
from statuscli.core.console import interactive, is_tty, print_error, print_warning
from statuscli.core.errors import ExitCode, Signalled, StatusCliError, UsageError, most_serious
from statuscli.core.models import RequestProgress, Target, TaskStatus
from statuscli.core.outcomes import Outcome
from statuscli.core.settings import ProviderSettings
from statuscli.render.rows import print_pipe, wants_colour
from statuscli.render.words import task_message
from statuscli.reports.json import results_document, write_json
from statuscli.reports.requested import NoReports, Reports, ci_reports
from statuscli.session import Session, request_progress

if TYPE_CHECKING:
    from statuscli.engine.watcher import Watcher
    from statuscli.reports.ci import CiReports


def one_shot(
    provider: str,
    task_ids: list[str],
    run_id: str | None,
    *,
    json_output: bool,
    reports: Reports,
    base_url: str | None,
    allow_insecure_http: bool,
    timeout: float | None,
    variant: str | None = None,
) -> ExitCode:
    """Ask once about each task; print a table or one JSON document; the most serious outcome.
    `timeout` overrides the settings' time limit (seconds, read from text by the command line)."""
    state.json_output = json_output
    if timeout == 0:
        raise UsageError("--timeout must be more than 0")
    targets = command_targets(provider, task_ids, run_id, variant)
    ci = ci_reports(provider, reports, json_output=json_output)
    session = Session(command_resolver((provider, base_url) if base_url else None, allow_insecure_http))
    with session:
        return _ask(session, targets, ci, json_output=json_output, timeout=timeout)


def _ask(
    session: Session,
    targets: list[Target],
    ci: CiReports | NoReports,
    *,
    json_output: bool,
    timeout: float | None,
) -> ExitCode:
    conf = session.resolver(targets[0].provider)
    line = None
    if sys.stderr is not None and interactive(sys.stderr):  # None: started with stderr closed
        from statuscli.render.waiting import WaitingLine

        line = WaitingLine()

    def waiting(watcher: Watcher) -> None:
        if line is not None:
            line.update(time.monotonic() - watcher.started, _progress(watcher, conf))

    with ci.guard(targets):
        try:
            results = session.ask(targets, timeout=timeout, idle=waiting if line is not None else None)
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
