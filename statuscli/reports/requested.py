"""The CI reports a run asks for (`Reports`: a JUnit file, GitHub Actions output) and what records them:
`ci.CiReports`, or `NoReports` when none is asked for. Kept apart from `ci` so that a one-shot that
writes no report loads none of the report modules at start-up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from statuscli.core.errors import ExitCode
from statuscli.core.models import Target, TaskResult
from statuscli.core.outcomes import WatchRenderer, WatchSummary

if TYPE_CHECKING:
    from statuscli.reports.ci import CiReports


class Reports(NamedTuple):
    """The CI reports asked for on the command line (a NamedTuple: a one-shot starts sooner without
    building a dataclass)."""

    junit_xml: str | None = None
    no_ci_annotations: bool = False


class NoReports:
    """No CI report asked for: nothing to record or write (and the report modules stay unloaded)."""

    def guard(self, targets: Sequence[Target]) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def record(self, renderer: WatchRenderer, started: float) -> WatchRenderer:
        return renderer

    def one_shot_done(self, results: Sequence[TaskResult], exit_code: ExitCode) -> None:
        pass

    def watch_done(self, summary: WatchSummary, *, interrupted: bool) -> None:
        pass


def ci_reports(
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
