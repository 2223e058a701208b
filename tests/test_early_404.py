"""Browser Use v4's early 404s (`Variant.early_404_grace`, statuscli.engine.grace): in a watch, a run
that has never answered 200 and answers 404 within 5 s of joining is asked again; a one-shot, a run
seen before and a 404 past the grace end "not found" at once. The engine runs on a fake clock."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import ExitCode, NotFoundError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.outcomes import Outcome, WatchSummary
from statuscli.engine.options import WatchOptions, one_shot_options
from statuscli.engine.watcher import Watcher

from .apis import Api
from .conftest import CliRunner
from .test_engine_outcomes import BoundedClock, drain

RUN = "5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21"
OPTIONS = WatchOptions(interval=1.0, timeout=60.0, jitter=0)


def not_found() -> NotFoundError:
    return NotFoundError("browser-use: not found (HTTP 404): Run not found", http_status=404)


def run(
    answer: Callable[[float], TaskStatus | None], options: WatchOptions = OPTIONS, variant: str = "v4"
) -> tuple[WatchSummary, list[float]]:
    """Watch one Browser Use run whose answer depends on the seconds since the watch began (None:
    404); returns the summary and when each poll was answered."""
    clock = BoundedClock()
    start = clock.now
    asked: list[float] = []
    target = Target("browser-use", RUN, variant=variant)

    def fetch(target: Target) -> TaskStatus:
        asked.append(clock.now - start)
        status = answer(clock.now - start)
        if status is None:
            raise not_found()
        return status

    watcher = Watcher(
        [target], fetch, options, clock=clock, sleep=clock.sleep, rng=random.Random(1), threaded=False
    )
    drain(watcher)
    return watcher.summary(), asked


def state(name: str, phase: Phase) -> TaskStatus:
    return TaskStatus("browser-use", RUN, None, name, phase, name)


def test_a_run_that_appears_within_the_grace_is_watched_to_its_end() -> None:
    summary, asked = run(lambda t: None if t < 3 else state("completed", Phase.SUCCESS))
    assert [v.outcome for v in summary.views] == [Outcome.SUCCESS]
    assert summary.exit_code == ExitCode.SUCCESS
    assert sum(1 for t in asked if t < 3) >= 3  # the early 404s were asked again, an interval apart


def test_a_run_still_missing_after_the_grace_is_not_found() -> None:
    summary, asked = run(lambda t: None)
    [view] = summary.views
    assert (view.outcome, summary.exit_code) == (Outcome.ERROR, ExitCode.NOT_FOUND)
    assert asked[-1] >= 5.0  # the last 404, the one that ended it, came once the grace was over
    assert all(t < 5.0 for t in asked[:-1])


def test_a_run_seen_before_is_not_found_at_its_first_404() -> None:
    summary, asked = run(lambda t: state("running", Phase.PENDING) if t < 0.5 else None)
    assert summary.exit_code == ExitCode.NOT_FOUND
    assert len(asked) == 2  # one 200, then the 404 that ends it, within the grace all the same
    assert asked[-1] < 5.0


def test_a_one_shot_reports_404_at_once() -> None:
    summary, asked = run(lambda t: None, one_shot_options(retries=3, timeout=60.0))
    assert summary.exit_code == ExitCode.NOT_FOUND
    assert asked == [0.0]


def test_v2_has_no_grace() -> None:
    summary, asked = run(lambda t: None, variant="v2")
    assert summary.exit_code == ExitCode.NOT_FOUND
    assert asked == [0.0]


def test_the_installed_one_shot_says_not_found_at_its_first_404(
    cli: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api("browser-use")
    api.point_at(monkeypatch, httpserver.url_for("/"))
    httpserver.expect_request(api.path(RUN)).respond_with_json({"detail": "Run not found"}, status=404)
    result = cli("browser-use", RUN)
    assert result.exit_code == 5, result.stderr
    assert "not found (HTTP 404)" in result.stderr
    assert len(httpserver.log) == 1
