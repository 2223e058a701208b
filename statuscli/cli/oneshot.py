"""A one-shot command line (`status anchor ID... [options]`) read from the recorded command tree
(`cli.tree`) without loading Typer, which would cost a script that asks once about a task more than
all of statuscli's own work.

Only a plain line is read here: known options given as separate words (`--timeout 30s`), flags, task
ids. Anything else (`--help`, `--opt=value`, `--`, an unknown word, a missing id) goes to the Typer
app, which reads it or says what is wrong in the one style of every usage error. A test checks that
both read every line alike.
"""

from __future__ import annotations

import os
import sys

from statuscli.cli.complete import option_of, registry_recorded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

#: The option types read here: text as given, flags as True.
_READ_TYPES = ("str", "boolean")


def read(argv: Sequence[str]) -> tuple[str, dict[str, Any], bool] | None:
    """(provider, options by parameter name with the ids as `task_ids`, --debug given), or None when
    the Typer app must read the line."""
    from statuscli.cli.tree import TREE

    at = 0
    debug = False
    while at < len(argv) and argv[at] == "--debug":
        debug, at = True, at + 1
    if at == len(argv) or argv[at] not in TREE["providers"] or not registry_recorded():
        return None
    name = argv[at]
    command = TREE["commands"][name]
    [argument] = command["arguments"]
    options: dict[str, Any] = {o["name"]: o["default"] for o in command["options"] if not o["eager"]}
    ids: list[str] = []
    n = at + 1
    while n < len(argv):
        word = argv[n]
        if not word.startswith("-") or word == "-":
            ids.append(word)
            n += 1
            continue
        option = option_of(command, word)
        if option is None or option["eager"] or option["type"] not in _READ_TYPES:
            return None
        if option["value"]:
            if n + 1 == len(argv) or argv[n + 1].startswith("-"):
                return None
            options[option["name"]] = argv[n + 1]
            n += 2
            continue
        options[option["name"]] = True
        n += 1
    if not ids or argument["nargs"] != -1:
        return None
    debug = bool(options.pop("debug", False)) or debug
    options[argument["name"]] = ids
    return name, options, debug


def run(provider: str, options: dict[str, Any], debug: bool, *, console: bool) -> NoReturn:
    """Run the one-shot as the app would: errors to exit codes and one-line messages (`runtime.run`);
    `console`: this is the console script, so a run a signal stopped dies by it (see runtime)."""
    from statuscli.app import runtime

    def invoke() -> int:
        if debug or os.environ.get(runtime.DEBUG_ENV, "") not in ("", "0"):
            runtime.enable_debug()
        return one_shot_command(provider, options)

    code = runtime.run(invoke)
    if console:
        runtime.exit_process(code)
    sys.exit(code)


def one_shot_command(provider: str, options: dict[str, Any]) -> int:
    """`status PROVIDER TASK_ID... [options]` as read (by Typer, or by `read` without it): `options`
    holds each option by its parameter name, text as typed, and the ids as `task_ids`. The text is read
    here (`--timeout 90s`), after the command has said how it reports an error (`--json`)."""
    from statuscli.app import runtime
    from statuscli.app.oneshot import one_shot
    from statuscli.core.durations import parse_duration
    from statuscli.reports.requested import Reports

    options = dict(options)
    runtime.report_as(json_output=options["json_output"])
    timeout = options.pop("timeout")
    code = one_shot(
        provider,
        options.pop("task_ids"),
        options.pop("run_id", None),
        reports=Reports(options.pop("junit_xml"), options.pop("no_ci_annotations")),
        timeout=None if timeout is None else parse_duration(timeout, what="--timeout"),
        **options,
    )
    return int(code)
