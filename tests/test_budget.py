"""The request budget per provider: pacing, the provider-wide pause on `Retry-After`, the adaptive rate,
fair turns, `--max-rate` / `max_rate`, and throttle events. Engine tests run on a fake clock."""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from statuscli.core.durations import format_rate, parse_rate
from statuscli.core.errors import ApiError, ExitCode, UsageError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.outcomes import Throttle
from statuscli.engine import budget as budgets
from statuscli.engine.budget import Budget
from statuscli.engine.watcher import Outcome, TargetView, Watcher, WatchOptions
from statuscli.render.live import live_lines
from statuscli.render.plain import PlainRenderer
from statuscli.render.words import throttle_text
from statuscli.sim import Counts, Simulator, load_scenario

from .conftest import CliRunner
from .test_watch import FakeClock

# ---- parse_rate and format_rate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("20/s", 20.0), ("600/m", 10.0), ("1000/h", 1000 / 3600), (" 3600 / H ", 1.0), ("0.5/s", 0.5)],
)
def test_parse_rate(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "20", "20/d", "0/s", "-1/s", "/s", "20/ss", "1e3/s", "20 per s"])
def test_parse_rate_refuses_what_is_not_a_rate(text: str) -> None:
    with pytest.raises(UsageError, match="20/s, 600/m, 1000/h"):
        parse_rate(text, what="--max-rate")


@pytest.mark.parametrize(("per_second", "shown"), [(50.0, "50/s"), (1 / 6, "10/m"), (1 / 3600, "1/h")])
def test_format_rate(per_second: float, shown: str) -> None:
    assert format_rate(per_second) == shown


# ---- the budget alone (pure, the time passed in) ---------------------------------------------------


def test_a_capped_budget_spaces_sends_evenly() -> None:
    budget = Budget("anchor", interval=1.0, cap=2.0)
    for index in range(5):
        budget.due(index, None)
    now, sent = 100.0, []
    while budget.waiting():
        turn = budget.next_send(now)
        assert turn is not None
        now = max(now, turn)
        sent.append(now)
        budget.take(now)
    assert [b - a for a, b in itertools.pairwise(sent)] == pytest.approx([0.5] * 4)


def test_least_recently_polled_goes_first_and_never_polled_before_all() -> None:
    budget = Budget("anchor", interval=1.0, cap=1.0)
    budget.due(0, 50.0)
    budget.due(1, 10.0)
    budget.due(2, None)
    budget.due(3, 30.0)
    assert [budget.take(100.0 + n) for n in range(4)] == [2, 1, 3, 0]


def test_a_few_throttles_among_many_answers_change_nothing() -> None:
    budget = Budget("anchor", interval=1.0)
    assert budget.rate is None  # no cap: unlimited until the server says otherwise
    for n in range(400):  # 10 a second, one in a hundred refused with a Retry-After
        budget.due(n, None)
        budget.take(100.0 + n / 10)
        throttled = n % 100 == 99
        budget.answered(
            100.0 + n / 10, 100.0 + n / 10, throttled=throttled, retry_after=7.0 if throttled else None
        )
    assert budget.rate is None
    assert budget.paused_until == float("-inf")  # no provider-wide pause for a 429 here and there


def test_when_most_answers_are_refused_the_provider_pauses_and_the_rate_halves() -> None:
    budget = Budget("anchor", interval=1.0)
    for n in range(5):  # 5 answers served over half a second
        budget.due(n, None)
        budget.take(100.0 + n / 10)
        budget.answered(100.0 + n / 10, 100.0 + n / 10, throttled=False, retry_after=None)
    for n in range(8):  # then 8 refused, with a Retry-After of 7 s: most answers so far
        budget.due(n, None)
        budget.take(100.5 + n / 100)
        budget.answered(100.5 + n / 100, 100.5 + n / 100, throttled=True, retry_after=7.0)
    assert budget.paused_until == pytest.approx(100.57 + 7.0)
    assert budget.rate == pytest.approx(5 / 0.57 / 2)  # half the rate accepted
    budget.due(99, None)
    assert budget.next_send(101.0) == budget.paused_until  # nothing goes to this provider during the pause


def test_the_rate_recovers_step_by_step_up_to_the_cap() -> None:
    budget = Budget("anchor", interval=1.0, cap=8.0)
    for n in range(80):
        budget.due(0, None)
        budget.take(n / 10)
        budget.answered(n / 10, n / 10, throttled=False, retry_after=None)
    for n in range(8):  # refused together: overload
        budget.due(0, None)
        budget.take(8.0 + n / 100)
        budget.answered(8.0 + n / 100, 8.0 + n / 100, throttled=True, retry_after=1.0)
    low = budget.rate
    assert low is not None
    assert low <= 4.0
    budget.due(1, 1e9)  # another poll always waiting: the budget is what limits
    rates, now = [], 9.0
    while now < 40.0:  # the budget in use: every slot taken, every answer served
        budget.due(0, None)
        turn = budget.next_send(now)
        assert turn is not None
        now = max(now, turn)
        budget.take(now)
        budget.answered(now, now, throttled=False, retry_after=None)
        rates.append(budget.rate)
    assert rates == sorted(rates)  # step by step, never down without a throttle
    assert rates[-1] == 8.0  # back up to the cap, never above it


def test_a_budget_not_in_use_does_not_grow() -> None:
    budget = Budget("anchor", interval=1.0)
    for n in range(8):
        budget.due(0, None)
        budget.take(n / 100)
        budget.answered(n / 100, n / 100, throttled=True, retry_after=1.0)
    start = budget.rate
    assert start is not None
    for n in range(2, 30):  # answers while no poll waits: nothing learned about a higher rate
        budget.answered(float(n), float(n), throttled=False, retry_after=None)
    assert budget.rate == start


def test_the_effective_interval_and_what_is_announced() -> None:
    budget = Budget("anchor", interval=2.0, cap=50.0)
    budget.active = 1000
    assert budget.effective_interval() == 20.0
    first = budget.announce(0.0)
    assert first == Throttle("anchor", 50.0, 20.0, budgets.MAX_RATE, 0.0)
    budget.active = 990  # 1% change: not worth a line
    assert budget.announce(1.0) is None
    budget.active = 50  # the cap no longer limits the cadence
    assert budget.announce(2.0) == Throttle("anchor", 50.0, 2.0, budgets.NONE, 2.0)


def test_the_benchmark_switch() -> None:
    assert budgets.disabled({budgets.DISABLED_ENV: "1"})
    assert not budgets.disabled({budgets.DISABLED_ENV: "0"})
    assert not budgets.disabled({})


# ---- the engine with budgets, on a fake clock --------------------------------------------------------


def limited_fetch(
    clock: FakeClock, throttle_at: dict[int, float] | None = None
) -> tuple[Callable[[Target], TaskStatus], list[tuple[float, str]]]:
    """Every task stays pending; the poll number n in `throttle_at` gets a 429 with that Retry-After."""
    calls: list[tuple[float, str]] = []
    throttle_at = throttle_at or {}

    def fetch(target: Target) -> TaskStatus:
        calls.append((clock.now, target.task_id))
        if len(calls) in throttle_at:
            raise ApiError(
                "anchor: HTTP 429", code="rate_limited", transient=True,
                retry_after=throttle_at[len(calls)], http_status=429,
            )  # fmt: skip
        return TaskStatus(target.provider, target.task_id, None, "generating", Phase.PENDING, "generating")

    return fetch, calls


def watch(
    count: int, options: WatchOptions, throttle_at: dict[int, float] | None = None
) -> tuple[list[tuple[float, str]], list[Throttle]]:
    clock = FakeClock()
    fetch, calls = limited_fetch(clock, throttle_at)
    events: list[Throttle] = []
    watcher = Watcher(
        [Target("anchor", f"t{n}") for n in range(count)],
        fetch,
        options,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(3),
        threaded=False,
        throttled=events.append,
    )
    for _ in watcher.run():
        pass
    return calls, events


def gaps(calls: list[tuple[float, str]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for when, task in calls:
        times.setdefault(task, []).append(when)
    return {task: [b - a for a, b in itertools.pairwise(ts)] for task, ts in times.items()}


def test_a_short_budget_gives_every_task_the_same_interval() -> None:
    # 20 tasks at 1 s ask for 20 polls a second; the cap allows 4: each task every 5 s, none starved.
    calls, events = watch(20, WatchOptions(interval=1.0, timeout=60, max_rate=4.0))
    fair = 20 / 4.0
    all_gaps = [g for task_gaps in gaps(calls).values() for g in task_gaps]
    assert len(gaps(calls)) == 20
    assert max(all_gaps) <= 1.5 * fair
    assert min(all_gaps) >= 0.5 * fair  # nobody polled twice while another waits
    per_second = [sum(1 for t, _ in calls if s <= t - 1000 < s + 1) for s in range(59)]
    assert max(per_second) <= 4 + 1
    assert events[0].reason == budgets.MAX_RATE
    assert events[0].interval == pytest.approx(fair)


def test_a_retry_after_delays_that_task_alone() -> None:
    """One 429 among many successes: its task waits its Retry-After; the other tasks keep their cadence."""
    options = WatchOptions(interval=1.0, timeout=40, jitter=0)
    calls, events = watch(10, options, throttle_at={25: 6.0})
    throttled_at, task = calls[24]
    mine = [t for t, name in calls if name == task and t > throttled_at]
    assert min(mine) >= throttled_at + 6.0
    others = gaps([(t, name) for t, name in calls if name != task])
    assert max(g for task_gaps in others.values() for g in task_gaps) <= 1.05
    assert events == []  # the provider's cadence never changed


def test_when_every_answer_is_a_429_every_task_of_the_provider_pauses() -> None:
    options = WatchOptions(interval=1.0, timeout=60, jitter=0, max_failures=1000)
    refused = {n: 6.0 for n in range(21, 200)}  # the provider refuses everything from the 21st poll on
    calls, events = watch(10, options, throttle_at=refused)
    first = calls[20][0]
    times = sorted(t for t, _ in calls if t >= first)
    assert max(b - a for a, b in itertools.pairwise(times)) >= 6.0  # every task waited, not just one
    assert len(calls) < 20 + 60  # ten tasks at 1 s would have asked 400 times
    assert any(e.reason == budgets.SERVER for e in events)


def test_a_task_error_backs_off_that_task_alone() -> None:
    clock = FakeClock()
    calls: list[tuple[float, str]] = []

    def fetch(target: Target) -> TaskStatus:
        calls.append((clock.now, target.task_id))
        if target.task_id == "bad":
            raise ApiError("anchor: bad body", code="bad_response", transient=True)
        return TaskStatus(target.provider, target.task_id, None, "generating", Phase.PENDING, "generating")

    watcher = Watcher(
        [Target("anchor", "bad"), Target("anchor", "ok")],
        fetch,
        WatchOptions(interval=1.0, timeout=20, jitter=0, max_failures=100),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
        threaded=False,
    )
    list(watcher.run())
    ok_gaps = gaps(calls)["ok"]
    assert max(ok_gaps) <= 1.1  # the other task keeps its cadence
    assert max(gaps(calls)["bad"]) >= 4  # the bad one backs off exponentially


def test_the_budget_switched_off_keeps_the_per_task_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budgets.DISABLED_ENV, "1")
    calls, events = watch(10, WatchOptions(interval=1.0, timeout=30, jitter=0), throttle_at={25: 6.0})
    throttled_at = calls[24][0]
    assert any(throttled_at < t < throttled_at + 6.0 for t, _ in calls)  # the others kept asking
    assert events == []


# ---- the command line ---------------------------------------------------------------------------------


def test_max_rate_bad_value_is_a_usage_error(cli: CliRunner) -> None:
    result = cli("watch", "anchor", "T1", "--max-rate", "fast", "--json")
    assert result.exit_code == ExitCode.USAGE
    event = json.loads(result.stdout.splitlines()[0])
    assert event["code"] == "usage_error"
    assert "--max-rate" in event["message"]


def test_config_max_rate_is_shown_and_checked(cli: CliRunner, config_file: Callable[[str], Path]) -> None:
    config_file('[anchor]\nmax_rate = "600/m"\n')
    result = cli("config", "--json")
    assert result.exit_code == 0
    rows = {row["provider"]: row for row in json.loads(result.stdout)["providers"]}
    assert rows["anchor"]["max_rate"] == 10.0
    assert rows["browserable"]["max_rate"] is None
    assert "max_rate     10/s" in cli("config").stdout
    config_file('[anchor]\nmax_rate = "lots"\n')
    bad = cli("config")
    assert bad.exit_code == ExitCode.USAGE
    assert "anchor.max_rate" in bad.stderr


# ---- what a person and a script see --------------------------------------------------------------


def test_throttle_text() -> None:
    assert throttle_text(Throttle("anchor", 50.0, 20.0, budgets.SERVER, 0.0)) == (
        "anchor every 20s: limited to 50/s by the server"
    )
    assert throttle_text(Throttle("anchor", 1 / 60, 100.0, budgets.MAX_RATE, 0.0)) == (
        "anchor every 1m40s: limited to 1/m by the max rate"
    )
    assert (
        throttle_text(Throttle("anchor", 50.0, 2.0, budgets.NONE, 0.0))
        == "anchor every 2s: no longer limited"
    )


def test_the_live_header_shows_the_effective_interval() -> None:
    view = TargetView(Target("anchor", "t1"), "generating", Outcome.WATCHING, None, None, 0.0, 1, 0)
    event = Throttle("anchor", 50.0, 20.0, budgets.SERVER, 0.0)
    lines = live_lines(
        [view], now=1, started=0, deadline=None, width=200, height=20, links=False, throttles=[event]
    )
    assert lines[0].plain.endswith("; anchor every 20s: limited to 50/s by the server")
    quiet = live_lines([view], now=1, started=0, deadline=None, width=200, height=20, links=False)
    assert "limited" not in quiet[0].plain


def test_plain_output_says_it_once_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    PlainRenderer().throttle(Throttle("anchor", 50.0, 20.0, budgets.SERVER, 0.0))
    out, err = capsys.readouterr()
    assert out == ""
    assert err.rstrip("\n").endswith(" anchor every 20s: limited to 50/s by the server")
    assert err.count("\n") == 1


LIMITED = """
[defaults]
anchor = "generating 600s -> ready"

[limits.anchor]
rate = 5
burst = 5
"""


def limited_watch(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[list[dict[str, object]], int, Counts]:
    scenario = tmp_path / "limited.toml"
    scenario.write_text(LIMITED, encoding="utf-8")
    with Simulator(load_scenario(scenario)) as sim:
        monkeypatch.setenv("ANCHORBROWSER_BASE_URL", sim.base_url_for("anchor"))
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", sim.key("anchor"))
        ids = [f"t{n}" for n in range(10)]
        result = cli("watch", "anchor", *ids, "--interval", "0.5s", "--timeout", "3s", "--json", *args)
        counts = sim.counters()["anchor"]
    return [json.loads(line) for line in result.stdout.splitlines()], result.exit_code, counts


def test_a_rate_limited_server_slows_the_whole_provider_over_loopback(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10 tasks every 0.5 s ask 20 requests a second of a server that allows 5 (burst 5).
    events, code, counts = limited_watch(cli, tmp_path, monkeypatch)
    assert code == ExitCode.DEADLINE  # nothing gave up on 429s
    throttles = [e for e in events if e["event"] == "throttle"]
    assert throttles
    assert throttles[0]["provider"] == "anchor"
    assert throttles[0]["reason"] == "server"
    assert set(throttles[0]) == {"event", "time", "elapsed", "provider", "rate", "interval", "reason"}
    # A few 429s tell nothing; a run of them (LEARN_THROTTLES) slows every task down: no storm.
    assert counts.too_many <= budgets.LEARN_THROTTLES + 2
    assert counts.requests >= 10  # still polite, not silent: every task was asked
    # The same watch without the budget keeps hammering (the benchmark-only switch).
    monkeypatch.setenv(budgets.DISABLED_ENV, "1")
    events, _code, unbudgeted = limited_watch(cli, tmp_path, monkeypatch)
    assert unbudgeted.too_many > 2 * max(1, counts.too_many)
    assert not [e for e in events if e["event"] == "throttle"]


def test_max_rate_caps_the_requests_over_loopback(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events, code, counts = limited_watch(cli, tmp_path, monkeypatch, "--max-rate", "120/m")
    assert code == ExitCode.DEADLINE
    assert counts.too_many == 0
    assert counts.requests <= 2 * 3 + 2  # 2 a second for 3 s
    throttle = next(e for e in events if e["event"] == "throttle")
    assert throttle["reason"] == "max_rate"
    assert throttle["rate"] == 2.0
    assert throttle["interval"] == 5.0  # 10 tasks at 2 a second


def test_a_one_shot_of_many_ids_respects_max_rate(
    cli: CliRunner, anchor_api: HTTPServer, config_file: Callable[[str], Path]
) -> None:
    config_file('[anchor]\nmax_rate = "5/s"\n')
    seen: list[float] = []

    def answer(request: Request) -> Response:
        seen.append(time.monotonic())
        task_id = request.path.split("/")[3]
        return Response(json.dumps({"id": task_id, "status": "generating"}), content_type="application/json")

    anchor_api.expect_request(re.compile(r"/v2/tasks/[^/]+/generation-status")).respond_with_handler(answer)
    result = cli("anchor", "a1", "a2", "a3", "a4", "a5")
    assert result.exit_code == ExitCode.PENDING
    assert len(seen) == 5
    assert seen[-1] - seen[0] >= 0.6  # 5 a second: 0.2 s apart, not all at once


def test_a_target_that_joins_is_not_starved_by_the_old_ones() -> None:
    clock = FakeClock()
    fetch, calls = limited_fetch(clock)
    watcher = Watcher(
        [Target("anchor", f"old{n}") for n in range(10)],
        fetch,
        WatchOptions(interval=1.0, timeout=40, max_rate=2.0),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(5),
        threaded=False,
        streaming=True,
    )
    joined_at = None
    for update in watcher.run():
        if joined_at is None and update.at >= 1020:
            joined_at = clock.now
            watcher.add([Target("anchor", "new")])
            watcher.close_input()
    assert joined_at is not None
    first_new = next(t for t, task in calls if task == "new")
    assert first_new - joined_at <= 1 / 2.0 + 1e-9  # the next free slot: never-polled goes first
    assert max(g for task_gaps in gaps(calls).values() for g in task_gaps) <= 1.5 * 11 / 2.0
    assert {v.target.task_id for v in watcher.views()} == {*(f"old{n}" for n in range(10)), "new"}
