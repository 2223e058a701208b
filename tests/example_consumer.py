"""A small program built on statuscli's Python API, as the README shows it.

It uses only the names in `statuscli.__all__`; a test type-checks it with `mypy --strict` against the
installed package and runs it against the simulator.
"""

from __future__ import annotations

import sys

import statuscli
from statuscli import Outcome, Settings, Target, WatchUpdate


def report(update: WatchUpdate) -> None:
    """Called with each change of a task's state."""
    target = update.view.target
    print(f"{target.provider} {target.task_id}: {update.previous} -> {update.view.label}", file=sys.stderr)


def wait_for_both(
    anchor_task: str, browserable_task: str, settings: dict[str, Settings] | None = None
) -> int:
    """Wait up to ten minutes for two tasks; 0 if both succeeded, else the CLI's exit code."""
    try:
        summary = statuscli.wait(
            [Target("anchor", anchor_task), Target("browserable", browserable_task)],
            interval=2.0,
            timeout="10m",
            on_change=report,
            settings=settings,
        )
    except statuscli.StatusCliError as exc:  # bad arguments, config or a missing key: nothing was polled
        print(f"cannot wait: {exc} ({exc.code})", file=sys.stderr)
        return int(exc.exit_code)
    for view in summary.views:
        if view.outcome is Outcome.SUCCESS and view.status is not None:
            print(f"{view.target.task_id}: done ({view.status.label})")
        elif view.outcome is Outcome.FAILURE and view.status is not None:
            print(f"{view.target.task_id}: failed: {view.status.error or view.status.label}")
        elif view.outcome is Outcome.TIMED_OUT:
            print(f"{view.target.task_id}: still {view.label} after {summary.elapsed:.0f} s")
        elif view.error is not None:
            print(f"{view.target.task_id}: {view.error.code}: {view.error}")
    return int(summary.exit_code)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: example_consumer.py ANCHOR_TASK_ID BROWSERABLE_TASK_ID", file=sys.stderr)
        return 2
    return wait_for_both(argv[0], argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
