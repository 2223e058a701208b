"""GitHub Actions output: workflow commands (annotations) and the job's step summary (Markdown)."""

from __future__ import annotations

from collections.abc import Mapping

from statuscli.core.durations import duration
from statuscli.reports.model import Kind, RunReport, one_line

#: Rows in the step summary's table before "… and N more" (GitHub allows 1 MiB per step).
SUMMARY_ROWS = 100
_OFF = frozenset({"0", "false", "no", "off"})
#: Most serious first: the order of the step summary's table.
_ORDER = {kind: n for n, kind in enumerate(Kind)}
_COUNT_WORDS = {
    Kind.ERROR: "errored",
    Kind.FAILED: "failed",
    Kind.CANCELLED: "cancelled",
    Kind.TIMED_OUT: "timed out",
    Kind.INTERRUPTED: "interrupted",
    Kind.PENDING: "still pending",
    Kind.SKIPPED: "skipped",
    Kind.SUCCESS: "succeeded",
}
_WORDS = {
    Kind.ERROR: "\u26d4 error",
    Kind.FAILED: "\u274c failed",
    Kind.CANCELLED: "\U0001f6ab cancelled",
    Kind.TIMED_OUT: "\u23f1\ufe0f timed out",
    Kind.INTERRUPTED: "\u26a0\ufe0f interrupted",
    Kind.PENDING: "\u23f3 pending",
    Kind.SKIPPED: "\u23ed\ufe0f skipped",
    Kind.SUCCESS: "\u2705 succeeded",
}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub documents: it cannot end the line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also no ':' or ',' that could end the property list."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: RunReport) -> list[str]:
    """One `::error` or `::warning` line per task that did not succeed."""
    lines = []
    for task in report.tasks:
        if task.kind is Kind.SUCCESS:
            continue
        command = "error" if task.kind in (Kind.ERROR, Kind.FAILED) else "warning"
        title = one_line(f"{task.target.word} {task.name}", 200)
        reason = one_line(task.message, 1000)
        if task.kind is Kind.ERROR and task.error_code:
            reason = f"{task.error_code}: {reason}"
        lines.append(f"::{command} title={escape_property(title)}::{escape_data(reason)}")
    return lines


_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|~&!#")


def markdown_text(text: str, limit: int = 200) -> str:
    """One line of inert Markdown: no HTML, links, emphasis or table breaks from server text."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in one_line(text, limit))


def _took(value: float) -> str:
    return f"{value:.1f}s" if value < 60 else duration(value)


def step_summary(report: RunReport) -> str:
    """The Markdown appended to $GITHUB_STEP_SUMMARY: a heading, the counts, a table failed-first."""
    total = len(report.tasks)
    bad = total - report.count(Kind.SUCCESS)
    if bad:
        heading = f"### \u274c statuscli {report.command}: {bad} of {total} tasks did not succeed"
    else:
        heading = f"### \u2705 statuscli {report.command}: all {total} tasks succeeded"
    counts = [f"{report.count(kind)} {_COUNT_WORDS[kind]}" for kind in Kind if report.count(kind)]
    lines = [
        heading,
        "",
        f"{total} tasks in {_took(report.seconds)}: {', '.join(counts) or 'none'} "
        f"(exit code {int(report.exit_code)})",
        "",
        "| Provider | Task | Run | Outcome | Detail | Time |",
        "|---|---|---|---|---|---|",
    ]
    ordered = sorted(report.tasks, key=lambda t: _ORDER[t.kind])
    for task in ordered[:SUMMARY_ROWS]:
        outcome = _WORDS[task.kind]
        if task.kind is Kind.ERROR and task.error_code:
            outcome += f" ({markdown_text(task.error_code, 40)})"
        cells = [
            markdown_text(task.target.word, 40),
            markdown_text(task.target.task_id, 120),
            markdown_text(task.target.run_id or "", 120),
            outcome,
            markdown_text(task.message),
            _took(task.seconds),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(ordered) > SUMMARY_ROWS:
        lines.append(f"| \u2026 and {len(ordered) - SUMMARY_ROWS} more | | | | | |")
    return "\n".join(lines) + "\n\n"


def github_enabled(env: Mapping[str, str], *, flag_off: bool) -> bool:
    """On in GitHub Actions unless --no-ci-annotations or STATUSCLI_CI=0 (or false/no/off)."""
    if flag_off or env.get("GITHUB_ACTIONS") != "true":
        return False
    return env.get("STATUSCLI_CI", "").strip().lower() not in _OFF
