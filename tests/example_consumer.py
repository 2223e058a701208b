"""A small program built on statuscli's Python API, as the README shows it.

It uses only the names in `statuscli.__all__`; a test type-checks it with `mypy --strict` against the
installed package and runs it against the simulator.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from datetime import timedelta

import statuscli
from statuscli import Outcome, Settings, Target, WatchSummary, WatchUpdate


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


def check_all(
    anchor_tasks: list[str], settings: Settings | Mapping[str, Settings] | None = None
) -> tuple[list[str], int]:
    """With one client: ask each task once, follow them with `watch`, wait for them in asyncio, and
    raise if one did not succeed. The lines it would print, and 0 or the exit code of `status watch`."""
    lines: list[str] = []
    targets: list[tuple[str, str]] = []  # those that answered, followed below
    with statuscli.Client(settings) as client:
        for task in anchor_tasks:
            try:
                status: statuscli.TaskStatus = client.get_status("anchor", task)
            except TimeoutError:  # statuscli.ApiTimeoutError: no answer in time
                lines.append(f"{task}: no answer")
            except ValueError as exc:  # statuscli.UsageError: a bad id
                lines.append(f"{task}: {exc}")
            except statuscli.StatusCliError as exc:
                lines.append(f"{task}: {exc.code}")
            else:
                lines.append(f"{task}: {status.label}")
                targets.append(("anchor", task))
        end: WatchSummary | None = None
        for item in client.watch(targets, interval=timedelta(milliseconds=100), timeout="1m"):
            if isinstance(item, WatchSummary):
                end = item
            elif item.changed:
                lines.append(f"{item.view.target.task_id} -> {item.view.label}")
        assert end is not None

        async def in_asyncio() -> WatchSummary:
            async with asyncio.timeout(60):
                return await client.wait_async(targets, interval=0.1, timeout=timedelta(minutes=1))

        try:
            asyncio.run(in_asyncio()).raise_for_outcome()
        except statuscli.WaitError as exc:
            lines.append(str(exc))
            return lines, int(exc.exit_code)
    return lines, 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: example_consumer.py ANCHOR_TASK_ID BROWSERABLE_TASK_ID", file=sys.stderr)
        return 2
    return wait_for_both(argv[0], argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
