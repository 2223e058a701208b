"""Outcome decisions: the severity order over every pair of codes, the deadline meeting a retrying task,
fail-fast on each error class and the worker pool's size.

The engine runs on a fake clock that fails the test when read too often, so a loop that never ends
fails with a message instead of hanging the suite.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import threading
import time
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import (
    ApiError,
    AuthError,
    BadResponseError,
    ConfigError,
    ExitCode,
    NotFoundError,
    Signalled,
    StatusCliError,
    UsageError,
    most_serious,
    repeatable,
)
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.engine.options import one_shot_options
from statuscli.engine.watcher import (
    FAIL_FAST_GRACE,
    Outcome,
    Watcher,
    WatchOptions,
    WatchSummary,
)

from .conftest import CliRunner

#: The README's order (Exit codes): "the most serious outcome, in this order: 4, 5, 6, 1, 124, 3, 0".
DOCUMENTED_ORDER = [4, 5, 6, 1, 124, 3, 0]
#: Bounds for a watch on the fake clock: far above what any test here needs.
MAX_CLOCK_READS = 5000
MAX_UPDATES = 500


class BoundedClock:
    """A fake monotonic clock whose sleep advances it; reading it too often fails the test."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        assert self.reads < MAX_CLOCK_READS, "the poll loop does not end: clock read too often"
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds}"
        self.now += max(seconds, 0.001)


def status(target: Target, state: str, phase: Phase) -> TaskStatus:
    return TaskStatus(target.provider, target.task_id, None, state, phase, state)


def answers(script: dict[str, Callable[[Target], TaskStatus]]) -> Callable[[Target], TaskStatus]:
    return lambda target: script[target.task_id](target)


def pending(target: Target) -> TaskStatus:
    return status(target, "generating", Phase.PENDING)


def ready(target: Target) -> TaskStatus:
    return status(target, "ready", Phase.SUCCESS)


def failed(target: Target) -> TaskStatus:
    return status(target, "failed", Phase.FAILURE)


def raising(error: StatusCliError) -> Callable[[Target], TaskStatus]:
    def fetch(target: Target) -> TaskStatus:
        raise error

    return fetch


def watch(
    script: dict[str, Callable[[Target], TaskStatus]], options: WatchOptions
) -> tuple[WatchSummary, BoundedClock, int]:
    """Run the engine inline on a bounded fake clock; returns the summary, the clock and the update count."""
    clock = BoundedClock()
    targets = [Target("anchor", task) for task in script]
    watcher = Watcher(
        targets,
        answers(script),
        options,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(7),
        threaded=False,
    )
    count = drain(watcher)
    return watcher.summary(), clock, count


def drain(watcher: Watcher, limit: float = 10.0) -> int:
    """Run the watch to its end in a helper thread; fail (not hang) if it has not ended in `limit` s.

    The engine blocks on its result queue while it believes a poll is in flight: a broken count would
    block forever, so the bound is real time (generous: the watches here take milliseconds).
    """
    counted: list[int] = []
    failure: list[BaseException] = []

    def consume() -> None:
        count = 0
        try:
            for _update in watcher.run():
                count += 1
                assert count < MAX_UPDATES, "the watch does not end: too many updates"
        except BaseException as exc:
            failure.append(exc)
        counted.append(count)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"the watch did not end within {limit} s (the engine is stuck)"
    if failure:
        raise failure[0]
    return counted[0]


# --- the severity order ---------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(DOCUMENTED_ORDER, 2)))
def test_the_more_serious_of_every_pair_of_codes_wins_in_either_order(first: int, second: int) -> None:
    codes = [ExitCode(first), ExitCode(second)]
    assert most_serious(codes) == first
    assert most_serious(list(reversed(codes))) == first
    assert most_serious([*codes, ExitCode.SUCCESS, ExitCode.PENDING]) == first


@pytest.mark.parametrize("code", DOCUMENTED_ORDER)
def test_a_single_code_is_its_own_outcome(code: int) -> None:
    assert most_serious([ExitCode(code)]) == code
    assert most_serious([ExitCode(code)] * 3) == code


def test_no_tasks_is_success_and_codes_outside_the_ranking_come_through() -> None:
    assert most_serious([]) == ExitCode.SUCCESS
    assert most_serious([ExitCode.USAGE]) == ExitCode.USAGE
    assert most_serious([ExitCode.USAGE, ExitCode.SUCCESS]) == ExitCode.SUCCESS  # ranked codes first
    assert most_serious([ExitCode.INTERNAL, ExitCode.USAGE]) == ExitCode.INTERNAL


def test_exit_code_numbers_are_the_documented_ones() -> None:
    documented = {
        "SUCCESS": 0,
        "FAILURE": 1,
        "USAGE": 2,
        "PENDING": 3,
        "AUTH": 4,
        "NOT_FOUND": 5,
        "API": 6,
        "INTERNAL": 70,
        "DEADLINE": 124,
        "HANGUP": 129,
        "INTERRUPTED": 130,
        "TERMINATED": 143,
    }
    assert {code.name: int(code) for code in ExitCode} == documented


@pytest.mark.parametrize(
    ("error", "exit_code", "code", "transient"),
    [
        (UsageError("x"), 2, "usage_error", False),
        (ConfigError("x"), 2, "config_error", False),
        (AuthError("x"), 4, "auth_failed", False),
        (NotFoundError("x"), 5, "not_found", False),
        (ApiError("x"), 6, "api_error", False),
        (BadResponseError("x"), 6, "bad_response", True),
        (StatusCliError("x"), 6, "error", False),
    ],
)
def test_each_error_class_carries_its_exit_code_and_code(
    error: StatusCliError, exit_code: int, code: str, transient: bool
) -> None:
    assert (error.exit_code, error.code, error.transient, error.repeatable) == (
        exit_code,
        code,
        transient,
        False,
    )
    assert str(error) == "x"
    assert error.args == ("x",)


def test_repeatable_marks_an_error_and_signals_carry_their_code() -> None:
    error = ApiError("reset", transient=True)
    assert repeatable(error) is error
    assert error.repeatable is True
    assert ApiError("other").repeatable is False
    assert Signalled(ExitCode.TERMINATED).code == ExitCode.TERMINATED
    assert Signalled(ExitCode.HANGUP).code == 129


def test_an_error_keeps_what_it_was_given() -> None:
    error = ApiError("boom", code="rate_limited", transient=True, retry_after=3.0, http_status=429)
    assert (error.code, error.transient, error.retry_after, error.http_status) == (
        "rate_limited",
        True,
        3.0,
        429,
    )
    assert ApiError("boom", transient=False).transient is False
    assert BadResponseError("x", transient=False).transient is False


def test_one_api_error_and_one_failed_task_exit_6(anchor_api: HTTPServer, cli: CliRunner) -> None:
    anchor_api.expect_request("/v2/tasks/T1/generation-status").respond_with_json(
        {"id": "T1", "status": "failed"}
    )
    anchor_api.expect_request("/v2/tasks/T2/generation-status").respond_with_json(
        {"error": "bad"}, status=400
    )
    # A time limit well above what two loopback answers take, so a broken engine fails here, not hangs.
    result = cli("anchor", "T1", "T2", "--json", "--timeout", "10")
    assert result.exit_code == 6, result
    tasks = {t["task_id"]: t for t in json.loads(result.stdout)["tasks"]}
    assert tasks["T1"]["status"]["state"] == "failed"
    assert "400" in tasks["T2"]["error"]["message"]


# --- the deadline meets a retrying task -----------------------------------------------------------


@pytest.mark.parametrize("others", [{}, {"T2": ready}, {"T2": pending}])
def test_a_task_retrying_at_the_deadline_times_out_with_124(
    others: dict[str, Callable[..., TaskStatus]],
) -> None:
    flaky = raising(ApiError("503 Service Unavailable", transient=True, http_status=503))
    summary, clock, _ = watch(
        {"T1": flaky, **others}, WatchOptions(interval=1.0, timeout=10.0, max_failures=1000, jitter=0)
    )
    view = summary.views[0]
    assert view.outcome is Outcome.TIMED_OUT
    assert view.error is not None  # it was retrying: the error is kept, yet the code is the deadline's
    assert view.exit_code == ExitCode.DEADLINE
    assert summary.exit_code == ExitCode.DEADLINE
    assert clock.now == pytest.approx(1010.0, abs=0.01), "the watch ends at its deadline"


def test_a_retrying_task_that_gives_up_before_the_deadline_is_an_error() -> None:
    flaky = raising(ApiError("503", transient=True, http_status=503))
    summary, _, _ = watch({"T1": flaky}, WatchOptions(interval=1.0, timeout=1000.0, max_failures=3, jitter=0))
    assert summary.views[0].outcome is Outcome.ERROR
    assert summary.views[0].failures == 3
    assert summary.exit_code == ExitCode.API


def test_a_watch_ends_at_its_last_answer_not_at_its_deadline() -> None:
    summary, clock, _ = watch(
        {"T1": ready, "T2": failed}, WatchOptions(interval=1.0, timeout=100.0, jitter=0)
    )
    assert summary.exit_code == ExitCode.FAILURE
    assert clock.now < 1002.0, "the watch waited for its deadline after every task had ended"
    assert summary.elapsed < 2.0


def test_a_pending_task_at_the_deadline_times_out() -> None:
    summary, _, _ = watch({"T1": pending}, WatchOptions(interval=1.0, timeout=5.0, jitter=0))
    assert [v.outcome for v in summary.views] == [Outcome.TIMED_OUT]
    assert summary.exit_code == ExitCode.DEADLINE


def test_a_one_shot_retrying_at_its_time_limit_does_not_exit_0() -> None:
    flaky = raising(ApiError("503", transient=True, http_status=503))
    summary, _, _ = watch({"T1": flaky}, one_shot_options(retries=50, timeout=5.0))
    assert summary.exit_code not in (ExitCode.SUCCESS, ExitCode.PENDING)
    assert summary.views[0].outcome is Outcome.TIMED_OUT


def test_a_one_shot_takes_the_first_answer_even_when_pending() -> None:
    summary, _, updates = watch({"T1": pending}, one_shot_options(retries=3, timeout=60.0))
    assert summary.views[0].outcome is Outcome.WATCHING
    assert summary.views[0].polls == 1
    assert updates == 1
    assert summary.exit_code == ExitCode.PENDING


def test_a_one_shot_retries_a_transient_status_at_once_then_backs_off() -> None:
    calls: list[float] = []
    clock_box: list[BoundedClock] = []

    def flaky(target: Target) -> TaskStatus:
        calls.append(clock_box[0].now)
        if len(calls) < 4:
            raise ApiError("503", transient=True, http_status=503)
        return ready(target)

    clock = BoundedClock()
    clock_box.append(clock)
    watcher = Watcher(
        [Target("anchor", "T1")],
        flaky,
        one_shot_options(retries=3, timeout=60.0),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(3),
        threaded=False,
    )
    drain(watcher)
    assert watcher.summary().exit_code == ExitCode.SUCCESS
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] == pytest.approx(0.0, abs=0.01)  # the first retry at once
    assert 0.8 <= gaps[1] <= 1.2 + 0.01  # then 1 s (0.5 * 2), jittered
    assert 1.6 <= gaps[2] <= 2.4 + 0.01  # then 2 s


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (ApiError("503", transient=True, http_status=503), True),
        (ApiError("429", transient=True, http_status=429), True),
        (ApiError("reset", transient=True), False),  # neither a transient status nor repeatable
        (BadResponseError("truncated"), False),
        (AuthError("401"), False),
    ],
)
def test_what_a_one_shot_asks_again(error: StatusCliError, retried: bool) -> None:
    summary, _, _ = watch({"T1": raising(error)}, one_shot_options(retries=2, timeout=60.0))
    assert summary.views[0].polls == (3 if retried else 1)
    assert summary.views[0].outcome is Outcome.ERROR
    assert summary.exit_code == error.exit_code


def test_a_watch_polls_again_after_a_transient_bad_response() -> None:
    summary, _, _ = watch(
        {"T1": raising(BadResponseError("html"))}, WatchOptions(interval=1.0, max_failures=4, jitter=0)
    )
    assert summary.views[0].polls == 4
    assert summary.views[0].label == "error"


# --- fail-fast on each error class ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "code"),
    [
        (raising(AuthError("401 Unauthorized")), ExitCode.AUTH),
        (raising(NotFoundError("404 Task not found")), ExitCode.NOT_FOUND),
        (raising(ApiError("400 Bad Request")), ExitCode.API),
        (failed, ExitCode.FAILURE),
    ],
    ids=["auth", "not-found", "api", "failed"],
)
def test_fail_fast_stops_on_each_error_class(first: Callable[[Target], TaskStatus], code: ExitCode) -> None:
    summary, _, _ = watch({"T1": first, "T2": pending}, WatchOptions(interval=1.0, fail_fast=True, jitter=0))
    assert [v.outcome for v in summary.views][1] is Outcome.SKIPPED
    assert summary.views[0].outcome in (Outcome.ERROR, Outcome.FAILURE)
    assert summary.exit_code == code


@pytest.mark.parametrize("fail_fast", [False, True])
def test_without_fail_fast_an_error_does_not_stop_the_others(fail_fast: bool) -> None:
    script = {"T1": raising(AuthError("401")), "T2": pending}
    summary, _, _ = watch(script, WatchOptions(interval=1.0, timeout=20.0, fail_fast=fail_fast, jitter=0))
    assert summary.views[1].outcome is (Outcome.SKIPPED if fail_fast else Outcome.TIMED_OUT)
    assert summary.views[1].polls <= 1 if fail_fast else summary.views[1].polls >= 18
    assert summary.exit_code == ExitCode.AUTH


def test_fail_fast_does_not_stop_on_success() -> None:
    polls = {"T2": 0}

    def later(target: Target) -> TaskStatus:
        polls["T2"] += 1
        return ready(target) if polls["T2"] >= 3 else pending(target)

    summary, _, _ = watch({"T1": ready, "T2": later}, WatchOptions(interval=1.0, fail_fast=True, jitter=0))
    assert [v.outcome for v in summary.views] == [Outcome.SUCCESS, Outcome.SUCCESS]
    assert summary.exit_code == ExitCode.SUCCESS


# --- the worker pool ------------------------------------------------------------------------------


def pool_size(options: WatchOptions, targets: int, wait: float = 10.0) -> tuple[int, bool]:
    """How many polls the engine runs at once (up to `targets`), and whether all answered in time.

    Each fetch waits (bounded) until `targets` fetches are under way together; with fewer workers the
    barrier breaks after `wait` seconds (a short wait where breaking is the expected result).
    """
    held = threading.Barrier(targets, timeout=wait)
    lock = threading.Lock()
    active = 0
    peak = 0
    complete = True

    def fetch(target: Target) -> TaskStatus:
        nonlocal active, peak, complete
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            held.wait()
        except threading.BrokenBarrierError:
            complete = False
        finally:
            with lock:
                active -= 1
        return ready(target)

    # A deadline, so a pool that never runs a job ends the watch (timed out) instead of hanging it.
    options = dataclasses.replace(options, timeout=15.0)
    watcher = Watcher([Target("anchor", f"T{n}") for n in range(targets)], fetch, options)
    drain(watcher, 30.0)
    assert watcher.summary().exit_code == ExitCode.SUCCESS
    return peak, complete


def test_a_watch_polls_32_targets_at_once() -> None:
    peak, complete = pool_size(WatchOptions(interval=1.0), 32)
    assert complete, "a watch's pool runs 32 polls at once"
    assert peak == 32


def test_a_watch_polls_at_most_32_at_once() -> None:
    _peak, complete = pool_size(WatchOptions(interval=1.0), 33, wait=1.0)
    assert not complete, "33 polls ran at once"


def test_a_one_shot_asks_8_at_once_and_no_more() -> None:
    peak, complete = pool_size(one_shot_options(3, 60.0, targets=8), 8)
    assert complete
    assert peak == 8
    _peak, complete = pool_size(one_shot_options(3, 60.0, targets=9), 9, wait=1.0)
    assert not complete, "9 requests ran at once"


# --- the engine's small contracts -----------------------------------------------------------------


def test_outcome_words_are_the_documented_ones() -> None:
    # The NDJSON summary's "counts" keys and the labels of ended tasks.
    assert [o.value for o in Outcome] == [
        "watching",
        "success",
        "failure",
        "cancelled",
        "error",
        "timed out",
        "skipped",
    ]


def test_stopped_is_kept_as_an_alias_of_skipped() -> None:
    # Python code written against the earlier name still works (README, "Python API").
    assert Outcome.STOPPED is Outcome.SKIPPED
    assert Outcome("skipped") is Outcome.SKIPPED


def test_the_summary_counts_outcomes() -> None:
    script = {"T1": ready, "T2": failed, "T3": raising(AuthError("401")), "T4": ready}
    summary, _, _ = watch(script, WatchOptions(interval=1.0, jitter=0))
    assert summary.count(Outcome.SUCCESS) == 2
    assert summary.count(Outcome.FAILURE, Outcome.ERROR) == 2
    assert summary.count(Outcome.TIMED_OUT) == 0
    assert summary.exit_code == ExitCode.AUTH


def test_one_shot_options() -> None:
    options = one_shot_options(3, 45.0)
    assert (options.backoff, options.timeout, options.max_failures, options.workers) == (0.5, 45.0, 4, 1)
    assert options.single_round is True
    assert options.tick is None
    assert one_shot_options(0, 1.0, targets=20, waiting=True).tick == 0.1
    assert one_shot_options(0, 1.0, targets=20).workers == 8
    assert one_shot_options(0, 1.0, targets=3).max_failures == 1


def test_watch_defaults() -> None:
    options = WatchOptions()
    assert (options.interval, options.timeout, options.fail_fast, options.max_failures) == (
        2.0,
        None,
        False,
        5,
    )
    assert (options.jitter, options.workers, options.single_round, options.tick) == (0.1, 32, False, None)


def test_a_fail_fast_stop_waits_a_second_at_most_for_polls_in_flight() -> None:
    # README: "those of polls already sent that arrive within a second, still count".
    assert FAIL_FAST_GRACE == 1.0


def test_a_retry_is_logged_with_the_task_and_its_run(caplog: pytest.LogCaptureFixture) -> None:
    clock = BoundedClock()
    flaky = raising(ApiError("503 Service Unavailable", transient=True, http_status=503))
    targets = [Target("browserable", "B1", "R1"), Target("anchor", "A1")]
    watcher = Watcher(
        targets,
        flaky,
        WatchOptions(interval=1.0, max_failures=2, jitter=0),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
        threaded=False,
    )
    with caplog.at_level("DEBUG", logger="statuscli.engine.watcher"):
        drain(watcher)
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("browserable B1 run R1: retry 1 in ") for line in lines), lines
    assert any(line.startswith("anchor A1: retry 1 in ") for line in lines), lines
    assert all("503 Service Unavailable" in line for line in lines)


@pytest.mark.parametrize(("tick", "with_idle"), [(None, True), (0.1, False), (0.1, True)])
def test_the_idle_hook_runs_only_with_both_a_tick_and_a_hook(tick: float | None, with_idle: bool) -> None:
    clock = BoundedClock()
    calls: list[float] = []
    polls = {"n": 0}

    def slow(target: Target) -> TaskStatus:
        polls["n"] += 1
        return ready(target) if polls["n"] >= 3 else pending(target)

    watcher = Watcher(
        [Target("anchor", "T1")],
        slow,
        WatchOptions(interval=1.0, jitter=0, tick=tick),
        clock=clock,
        sleep=clock.sleep,
        threaded=False,
        idle=(lambda: calls.append(clock.now)) if with_idle else None,
    )
    drain(watcher)
    assert watcher.summary().exit_code == ExitCode.SUCCESS
    if tick is not None and with_idle:
        assert calls, "the idle hook never ran"
        assert all(b - a <= 0.1 + 1e-9 for a, b in itertools.pairwise(calls))
    else:
        assert calls == []


def test_watch_options_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        WatchOptions().interval = 1.0  # type: ignore[misc]


def first_poll_offsets(options: WatchOptions, targets: int) -> list[float]:
    clock = BoundedClock()
    first: dict[str, float] = {}

    def fetch(target: Target) -> TaskStatus:
        first.setdefault(target.task_id, clock.now - 1000.0)
        return ready(target)

    watcher = Watcher(
        [Target("anchor", f"T{n}") for n in range(targets)],
        fetch,
        options,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(5),
        threaded=False,
    )
    drain(watcher)
    return [first[f"T{n}"] for n in range(targets)]


def test_first_polls_are_spread_over_a_twentieth_of_a_second_per_target_at_most_an_interval() -> None:
    offsets = first_poll_offsets(WatchOptions(interval=2.0), 20)  # spread over min(2.0, 20 * 0.05) = 1 s
    assert offsets[0] == 0.0
    assert max(offsets) <= 1.0
    assert max(offsets) > 0.5  # 19 draws: the spread is used, not squeezed to a sliver
    offsets = first_poll_offsets(WatchOptions(interval=0.2), 20)  # the interval is the smaller one
    assert max(offsets) <= 0.2
    assert max(offsets) > 0.1
    assert first_poll_offsets(one_shot_options(0, 60.0, targets=20), 20) == [0.0] * 20


def test_a_slow_server_gets_half_an_interval_of_rest() -> None:
    clock = BoundedClock()
    polls: list[float] = []
    answers_left = [pending, pending, ready]

    def slow(target: Target) -> TaskStatus:
        polls.append(clock.now)
        clock.now += 5.0  # the answer takes longer than the 4 s interval
        return answers_left.pop(0)(target)

    watcher = Watcher(
        [Target("anchor", "T1")],
        slow,
        WatchOptions(interval=4.0, jitter=0),
        clock=clock,
        sleep=clock.sleep,
        threaded=False,
    )
    drain(watcher)
    assert [b - a for a, b in itertools.pairwise(polls)] == [7.0, 7.0]  # 5 s answer + 2 s rest


def test_polls_keep_their_interval_when_the_idle_tick_is_longer() -> None:
    clock = BoundedClock()
    polls: list[float] = []
    answers_left = [pending, pending, pending, ready]

    def fetch(target: Target) -> TaskStatus:
        polls.append(clock.now)
        return answers_left.pop(0)(target)

    watcher = Watcher(
        [Target("anchor", "T1")],
        fetch,
        WatchOptions(interval=0.25, jitter=0, tick=1.0),
        clock=clock,
        sleep=clock.sleep,
        threaded=False,
        idle=lambda: None,
    )
    drain(watcher)
    assert [round(b - a, 6) for a, b in itertools.pairwise(polls)] == [0.25, 0.25, 0.25]


def test_an_answer_resets_the_count_of_failures_in_a_row() -> None:
    steps: list[Callable[[Target], TaskStatus]] = [
        raising(ApiError("503", transient=True, http_status=503)),
        raising(ApiError("503", transient=True, http_status=503)),
        pending,
        raising(ApiError("503", transient=True, http_status=503)),
        raising(ApiError("503", transient=True, http_status=503)),
        ready,
    ]
    seen: list[int] = []

    def fetch(target: Target) -> TaskStatus:
        return steps.pop(0)(target)

    clock = BoundedClock()
    watcher = Watcher(
        [Target("anchor", "T1")],
        fetch,
        WatchOptions(interval=1.0, jitter=0, max_failures=3),
        clock=clock,
        sleep=clock.sleep,
        threaded=False,
    )
    for update in watcher.run():
        seen.append(update.view.failures)
    assert seen == [1, 2, 0, 1, 2, 0]
    assert watcher.summary().exit_code == ExitCode.SUCCESS


def test_no_request_starts_after_the_watch_has_ended() -> None:
    """One worker, three targets, the first answer held past the deadline: the queued polls never go out."""
    release = threading.Event()
    asked: list[str] = []
    daemons: list[bool] = []

    def fetch(target: Target) -> TaskStatus:
        asked.append(target.task_id)
        daemons.append(threading.current_thread().daemon)  # an interrupted watch must not wait on it
        if target.task_id == "T0":
            release.wait(10)
        return pending(target)

    watcher = Watcher(
        [Target("anchor", f"T{n}") for n in range(3)],
        fetch,
        WatchOptions(interval=0.05, timeout=0.5, workers=1),
    )
    drain(watcher)
    assert watcher.summary().exit_code == ExitCode.DEADLINE
    release.set()
    for thread in poll_threads():
        thread.join(10)
        assert not thread.is_alive(), "a worker did not stop"
    assert asked == ["T0"]
    assert daemons == [True]


class ScriptedRandom(random.Random):
    """`uniform(a, b)` returns a + (b - a) * the next of `fractions` (then the midpoint)."""

    def __init__(self, fractions: list[float]) -> None:
        super().__init__(0)
        self.fractions = list(fractions)

    def uniform(self, a: float, b: float) -> float:
        fraction = self.fractions.pop(0) if self.fractions else 0.5
        return a + (b - a) * fraction


def test_each_first_poll_goes_out_when_it_is_due_whatever_the_order() -> None:
    # Due times out of the targets' order: the queue must hand them out by due time, not by position.
    fractions = [0.5, 0.9, 0.1, 0.7, 0.3]
    clock = BoundedClock()
    first: dict[str, float] = {}

    def fetch(target: Target) -> TaskStatus:
        first.setdefault(target.task_id, round(clock.now - 1000.0, 6))
        return ready(target)

    watcher = Watcher(
        [Target("anchor", f"T{n}") for n in range(6)],
        fetch,
        WatchOptions(interval=2.0),
        clock=clock,
        sleep=clock.sleep,
        rng=ScriptedRandom(fractions),
        threaded=False,
    )
    drain(watcher)
    spread = 6 * 0.05  # less than the interval
    assert sorted(first.values()) == [0.0, *sorted(round(f * spread, 6) for f in fractions)]


def poll_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("statuscli-poll-")]


def test_the_workers_stop_when_a_watch_ends() -> None:
    before = set(poll_threads())
    watcher = Watcher([Target("anchor", f"T{n}") for n in range(3)], ready, WatchOptions(interval=0.05))
    drain(watcher)
    assert watcher.summary().exit_code == ExitCode.SUCCESS
    for thread in set(poll_threads()) - before:
        thread.join(10)
        assert not thread.is_alive(), "a worker thread outlived its watch"


def test_the_snapshots_are_frozen() -> None:
    summary, _, _ = watch({"T1": ready}, WatchOptions(interval=1.0))
    view = summary.views[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.label = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.exit_code = ExitCode.FAILURE  # type: ignore[misc]
    clock = BoundedClock()
    update = next(
        Watcher([Target("anchor", "T1")], ready, clock=clock, sleep=clock.sleep, threaded=False).run()
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        update.changed = False  # type: ignore[misc]


def test_a_fail_fast_stop_does_not_wait_once_every_answer_is_in(monkeypatch: pytest.MonkeyPatch) -> None:
    # With a grace far longer than the bound of `drain`, waiting it out would fail the test.
    monkeypatch.setattr("statuscli.engine.watcher.FAIL_FAST_GRACE", 60.0)
    clock = BoundedClock()
    watcher = Watcher(
        [Target("anchor", "T1"), Target("anchor", "T2")],
        answers({"T1": failed, "T2": pending}),
        WatchOptions(interval=1.0, fail_fast=True),
        clock=clock,
        sleep=clock.sleep,
        rng=ScriptedRandom([0.0]),  # both first polls due at once: T2's answer is in when T1 fails
        threaded=False,
    )
    drain(watcher)
    assert [v.outcome for v in watcher.summary().views] == [Outcome.FAILURE, Outcome.SKIPPED]
    assert watcher.summary().views[1].polls == 1


def test_a_bug_in_a_fetch_propagates_as_itself() -> None:
    def broken(target: Target) -> TaskStatus:
        raise RuntimeError("a bug, not an API error")

    clock = BoundedClock()
    watcher = Watcher([Target("anchor", "T1")], broken, clock=clock, sleep=clock.sleep, threaded=False)
    with pytest.raises(RuntimeError, match="a bug, not an API error"):
        drain(watcher)


def test_polls_are_never_closer_than_a_twentieth_of_a_second() -> None:
    clock = BoundedClock()
    polls: list[float] = []
    answers_left = [pending, pending, ready]

    def fetch(target: Target) -> TaskStatus:
        polls.append(clock.now)
        return answers_left.pop(0)(target)

    watcher = Watcher(
        [Target("anchor", "T1")],
        fetch,
        WatchOptions(interval=0.01, jitter=0),
        clock=clock,
        sleep=clock.sleep,
        threaded=False,
    )
    drain(watcher)
    assert [round(b - a, 6) for a, b in itertools.pairwise(polls)] == [0.05, 0.05]


def test_fail_fast_counts_every_answer_already_in() -> None:
    clock = BoundedClock()
    watcher = Watcher(
        [Target("anchor", "T1"), Target("anchor", "T2"), Target("anchor", "T3")],
        answers({"T1": failed, "T2": pending, "T3": raising(AuthError("401"))}),
        WatchOptions(interval=1.0, fail_fast=True),
        clock=clock,
        sleep=clock.sleep,
        rng=ScriptedRandom([0.0, 0.0]),  # all three first polls due at once
        threaded=False,
    )
    drain(watcher)
    assert watcher.summary().exit_code == ExitCode.AUTH  # T3's answer came in with T1's


def test_two_targets_are_spread_too() -> None:
    clock = BoundedClock()
    first: dict[str, float] = {}

    def fetch(target: Target) -> TaskStatus:
        first.setdefault(target.task_id, round(clock.now - 1000.0, 6))
        return ready(target)

    watcher = Watcher(
        [Target("anchor", "T0"), Target("anchor", "T1")],
        fetch,
        WatchOptions(interval=2.0),
        clock=clock,
        sleep=clock.sleep,
        rng=ScriptedRandom([0.5]),
        threaded=False,
    )
    drain(watcher)
    assert first == {"T0": 0.0, "T1": 0.05}  # half of min(2.0, 2 * 0.05)


def test_a_fail_fast_stop_waits_no_longer_than_its_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A poll that never answers holds a fail-fast stop up by the grace at most (here none at all).

    The one bound on real time in this file: the hung poll would answer after 60 s; the stop must come
    long before (a bound a loaded machine keeps), while the watch itself takes milliseconds.
    """
    monkeypatch.setattr("statuscli.engine.watcher.FAIL_FAST_GRACE", 0.0)
    hang = threading.Event()

    def fetch(target: Target) -> TaskStatus:
        if target.task_id == "T2":
            hang.wait(60)
            return pending(target)
        return failed(target)

    watcher = Watcher(
        [Target("anchor", "T1"), Target("anchor", "T2")],
        fetch,
        WatchOptions(interval=1.0, fail_fast=True),
        rng=ScriptedRandom([0.0]),
    )
    started = time.monotonic()
    try:
        drain(watcher)
    finally:
        hang.set()
    assert time.monotonic() - started < 30
    assert watcher.summary().exit_code == ExitCode.FAILURE
