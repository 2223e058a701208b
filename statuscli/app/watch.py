"""The watch use case: `status watch`, its targets from the arguments, a file or streamed input, polled
through the session until each is done; the most serious outcome as the exit code."""

from __future__ import annotations

import sys
from typing import NamedTuple

from statuscli.app.inputs import command_resolver, watch_targets
from statuscli.app.runtime import say, state
from statuscli.app.watching import run_watch
from statuscli.core.console import is_tty
from statuscli.core.errors import ExitCode
from statuscli.engine.options import WatchOptions
from statuscli.providers import split_word
from statuscli.providers.targets import target_grammar
from statuscli.reports.requested import Reports, ci_reports


class WatchRequest(NamedTuple):
    """A watch as the command line gives it: positional words, --file, the engine's options (numbers:
    the command line reads `90s` and `20/s`), and how to show and report it."""

    args: list[str]
    options: WatchOptions = WatchOptions()
    file: str | None = None
    run_id: str | None = None
    json_output: bool = False
    quiet: bool = False
    bell: bool = False
    notify: bool = False
    base_url: str | None = None
    allow_insecure_http: bool = False
    reports: Reports = Reports()


def watch(request: WatchRequest) -> ExitCode:
    """Poll the targets until each is done; the most serious outcome."""

    state.json_output = request.json_output and not request.quiet
    state.json_lines = True
    args = request.args
    from statuscli.app.stream import TargetStream, is_stream
    from statuscli.session import Session  # requests: only once a command runs

    # --file - or a named pipe: followed line by line while the watch runs; a regular file is read whole.
    if request.file == "-" and sys.stdin is not None and is_tty(sys.stdin):
        say(f"reading targets from standard input, one per line ({target_grammar()}); end with Ctrl-D")
    stream = TargetStream.open(request.file, []) if request.file and is_stream(request.file) else None
    targets = watch_targets(args, request.file, request.run_id, request.base_url, stream)
    ci = ci_reports("watch", request.reports, json_output=request.json_output, quiet=request.quiet)
    # --base-url belongs to the provider named on the command line, never to --file's other targets:
    # their keys must not travel to that host.
    base_url = (split_word(args[0])[0], request.base_url) if args and request.base_url else None
    session = Session(command_resolver(base_url, request.allow_insecure_http))
    # Only the providers in use, now: a streamed line of another provider has its settings resolved
    # when it arrives (`Session.admit`).
    session.resolver.settings(sorted({t.provider for t in targets}))
    # The clients are made inside ci.guard (`Session.watch`): a missing key found there gets its report.
    with session, ci.guard(targets):
        return run_watch(
            targets,
            session,
            request.options,
            json_output=request.json_output,
            quiet=request.quiet,
            bell=request.bell,
            notify=request.notify,
            ci=ci,
            stream=stream,
        )
