"""The poll loop, driven by a fake clock and sleep: no test here depends on how long anything takes."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable

from statuscli.core.errors import ApiError, AuthError, ExitCode, NotFoundError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.engine.watcher import Outcome, Watcher, WatchOptions, WatchUpdate

Step = str | Exception | None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


PHASES = {"ready": Phase.SUCCESS, "completed": Phase.SUCCESS, "failed": Phase.FAILURE, "error": Phase.FAILURE}


def scripted(
    script: dict[str, list[Step]], clock: FakeClock
) -> tuple[Callable[[Target], TaskStatus], list[tuple[float, str]]]:
    """A fetch that answers each task from its script, one step per poll (the last step repeats)."""
    calls: list[tuple[float, str]] = []

    def fetch(target: Target) -> TaskStatus:
        calls.append((clock.now, target.task_id))
        steps = script[target.task_id]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, Exception):
            raise step
        return TaskStatus(
            provider=target.provider,
            task_id=target.task_id,
            run_id=None,
            state=step,
            phase=PHASES.get(step or "", Phase.PENDING),
            label=step or "no run yet",
        )

    return fetch, calls


def run(
    script: dict[str, list[Step]], options: WatchOptions | None = None, provider: str = "anchor"
) -> tuple[Watcher, list[WatchUpdate], FakeClock, list[tuple[float, str]]]:
    clock = FakeClock()
    fetch, calls = scripted(script, clock)
    targets = [Target(provider, task_id) for task_id in script]
    watcher = Watcher(
        targets,
        fetch,
        options or WatchOptions(jitter=0),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
        threaded=False,
    )
    updates = list(watcher.run())
    return watcher, updates, clock, calls


def changes(updates: list[WatchUpdate]) -> list[tuple[str, str | None, str]]:
    return [(u.view.target.task_id, u.previous, u.view.label) for u in updates if u.changed]


def test_success_polls_at_the_interval_until_terminal() -> None:
    watcher, updates, _clock, calls = run({"t1": ["generating", "generating", "ready"]})
    assert changes(updates) == [("t1", "starting", "generating"), ("t1", "generating", "ready")]
    assert [t for t, _ in calls] == [1000.0, 1002.0, 1004.0]
    summary = watcher.summary()
    assert summary.exit_code == ExitCode.SUCCESS
    assert summary.views[0].polls == 3


def test_failure_across_providers() -> None:
    _, updates, _, _ = run({"t1": ["running", "error"]}, provider="browserable")
    assert updates[-1].view.outcome is Outcome.FAILURE


def test_mixed_targets_end_with_the_most_serious_code() -> None:
    watcher, _, _, _ = run(
        {"ok": ["ready"], "bad": ["generating", "failed"], "slow": ["generating"] * 3 + ["ready"]}
    )
    assert watcher.summary().exit_code == ExitCode.FAILURE
    assert {v.target.task_id: v.outcome for v in watcher.summary().views} == {
        "ok": Outcome.SUCCESS,
        "bad": Outcome.FAILURE,
        "slow": Outcome.SUCCESS,
    }


def test_fail_fast_stops_the_others() -> None:
    watcher, _updates, _, calls = run(
        {"bad": ["generating", "failed"], "slow": ["generating"]},
        WatchOptions(jitter=0, fail_fast=True),
    )
    views = {v.target.task_id: v for v in watcher.summary().views}
    assert views["bad"].outcome is Outcome.FAILURE
    assert views["slow"].outcome is Outcome.SKIPPED
    assert watcher.summary().exit_code == ExitCode.FAILURE
    assert len(calls) <= 4


def test_deadline_marks_unfinished_targets_timed_out() -> None:
    watcher, updates, clock, _calls = run(
        {"done": ["ready"], "stuck": ["running"]}, WatchOptions(jitter=0, timeout=7)
    )
    views = {v.target.task_id: v for v in watcher.summary().views}
    assert views["done"].outcome is Outcome.SUCCESS
    assert views["stuck"].outcome is Outcome.TIMED_OUT
    assert watcher.summary().exit_code == ExitCode.DEADLINE
    assert clock.now == 1007.0  # stopped at the deadline, not a poll later
    assert ("stuck", "running", "timed out") in changes(updates)


def test_transient_errors_then_success_back_off_and_recover() -> None:
    err = ApiError("anchor: HTTP 503", transient=True)
    limited = ApiError("anchor: HTTP 429", transient=True, retry_after=30)
    watcher, updates, _clock, calls = run({"t1": [err, err, limited, "ready"]})
    assert watcher.summary().exit_code == ExitCode.SUCCESS
    times = [t for t, _ in calls]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 1.6 <= gaps[0] <= 2.4  # interval * 2**0, jittered
    assert 3.2 <= gaps[1] <= 4.8  # doubled
    assert gaps[2] >= 30  # Retry-After honoured
    assert ("t1", "starting", "retrying") in changes(updates)


def test_persistent_transient_errors_give_up_with_6() -> None:
    err = ApiError("anchor: connection refused", transient=True)
    watcher, _, _, calls = run({"t1": [err]}, WatchOptions(jitter=0, max_failures=3))
    assert len(calls) == 3
    view = watcher.summary().views[0]
    assert view.outcome is Outcome.ERROR
    assert watcher.summary().exit_code == ExitCode.API


def test_permanent_errors_end_at_once_with_their_class() -> None:
    watcher, _, _, calls = run(
        {"a": [AuthError("anchor: key rejected")], "n": [NotFoundError("anchor: nope")]}
    )
    assert len(calls) == 2
    assert watcher.summary().exit_code == ExitCode.AUTH
    watcher, _, _, _ = run({"n": [NotFoundError("anchor: nope")], "ok": ["ready"]})
    assert watcher.summary().exit_code == ExitCode.NOT_FOUND


def test_no_run_yet_keeps_polling_until_a_run_appears() -> None:
    _, updates, _, calls = run(
        {"t1": [None, None, "scheduled", "running", "completed"]}, provider="browserable"
    )
    assert changes(updates) == [
        ("t1", "starting", "no run yet"),
        ("t1", "no run yet", "scheduled"),
        ("t1", "scheduled", "running"),
        ("t1", "running", "completed"),
    ]
    assert len(calls) == 5


def test_unknown_states_are_pending_and_shown_verbatim() -> None:
    _, updates, _, _ = run({"t1": ["queued-for-gpu", "ready"]})
    assert changes(updates)[0] == ("t1", "starting", "queued-for-gpu")
    assert updates[0].view.outcome is Outcome.WATCHING


def test_polls_without_a_change_are_updates_but_not_changes() -> None:
    _, updates, _, _ = run({"t1": ["generating", "generating", "generating", "ready"]})
    assert len(updates) == 4
    assert sum(u.changed for u in updates) == 2


def test_time_in_state_resets_on_change() -> None:
    watcher, _, _, _ = run({"t1": ["generating", "generating", "ready"]})
    assert watcher.summary().views[0].since == 1004.0


def test_threaded_executor_polls_many_targets() -> None:
    fetch_count = 0

    def fetch(target: Target) -> TaskStatus:
        nonlocal fetch_count
        fetch_count += 1
        return TaskStatus(target.provider, target.task_id, None, "ready", Phase.SUCCESS, "ready")

    targets = [Target("anchor", f"t{i}") for i in range(50)]
    watcher = Watcher(targets, fetch, WatchOptions(interval=0.1, workers=8))
    updates = list(watcher.run())
    assert fetch_count == 50
    assert len(updates) == 50
    assert watcher.summary().exit_code == ExitCode.SUCCESS


def test_an_answer_that_arrived_before_the_deadline_counts() -> None:
    """The poll answers `ready` just as the deadline passes: the task succeeded, it did not time out."""
    clock = FakeClock()
    fetch, _calls = scripted({"t1": ["generating", "ready"], "t2": ["ready"]}, clock)

    def slow_fetch(target: Target) -> TaskStatus:
        status = fetch(target)
        if target.task_id == "t2":
            return status
        time.sleep(0.05)  # real time, so the loop is surely waiting for the worker (never a timing check)
        clock.now += 1.5  # polls at 1000 and 1001.6 answer at 1001.5 and 1003.1; the deadline is 1003
        return status

    watcher = Watcher(
        [Target("anchor", "t1"), Target("anchor", "t2")],
        slow_fetch,
        WatchOptions(interval=1, jitter=0, timeout=3),
        clock=clock,
        sleep=clock.sleep,
        threaded=True,  # the answer comes from a worker while the loop waits for it
    )
    updates = list(watcher.run())
    assert clock.now > 1003.0  # the second answer came in after the deadline
    assert ("t1", "generating", "ready") in changes(updates)
    assert watcher.summary().exit_code == ExitCode.SUCCESS


def test_a_slow_answer_does_not_stretch_the_cadence() -> None:
    """Answers take 0.5 s: polls still start every 2 s (1000, 1002, 1004), not every 2.5 s."""
    clock = FakeClock()
    fetch, calls = scripted({"t1": ["generating", "generating", "ready"]}, clock)

    def slow_fetch(target: Target) -> TaskStatus:
        status = fetch(target)
        clock.now += 0.5
        return status

    watcher = Watcher(
        [Target("anchor", "t1")],
        slow_fetch,
        WatchOptions(jitter=0),
        clock=clock,
        sleep=clock.sleep,
        threaded=False,
    )
    list(watcher.run())
    assert [t for t, _ in calls] == [1000.0, 1002.0, 1004.0]
    assert watcher.summary().exit_code == ExitCode.SUCCESS
