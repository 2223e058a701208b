"""What a person sees, through a terminal emulator (pyte): the live view and the one-shot table at the
sizes people use, for targets with short ids, UUIDs, 100-character ids, long errors, live URLs, a
question waiting for input, failed requests, and more tasks than lines."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import replace

import pyte
import pytest
from rich.console import Console, Group

from statuscli.errors import ApiError, NotFoundError, StatusCliError
from statuscli.models import Phase, Target, TaskStatus
from statuscli.output import Result
from statuscli.render.live import LiveRenderer, live_lines
from statuscli.render.table import table_lines
from statuscli.watch import Outcome, TargetView, WatchSummary

from .test_watch import FakeClock


@pytest.fixture(autouse=True)
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # rich draws no live view on a dumb terminal


SIZES = [(60, 20), (80, 24), (100, 30), (132, 40), (200, 50)]
LONG_ID = "job-" + "abcdefghij" * 9 + "-tail42"  # 101 characters, the tail is what grep looks for
UUID = "7f3e2a1b-8c4d-4e5f-a6b7-c8d9e0f1a202"
LONG_ERROR = "Could not generate the task: " + "the page requires a login and then some more " * 8
QUESTION = "Buy 2 items for 30 USD?\n\n  (answer in the app)"


def status(target: Target, label: str, phase: Phase = Phase.PENDING, **fields: object) -> TaskStatus:
    return TaskStatus(target.provider, target.task_id, target.run_id, label, phase, label, **fields)  # type: ignore[arg-type]


def a(task_id: str) -> Target:
    return Target("anchor", task_id)


def b(task_id: str, run_id: str | None = None) -> Target:
    return Target("browserable", task_id, run_id)


def mixed_results() -> list[Result]:
    """One-shot results covering every kind of row."""
    waiting = b("c0ffee00-1234-4abc-8def-0123456789ab")
    live = b("2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01")
    return [
        (a("a1"), status(a("a1"), "ready", Phase.SUCCESS)),
        (a("demo-failed"), status(a("demo-failed"), "failed", Phase.FAILURE, error=LONG_ERROR)),
        (a(LONG_ID), status(a(LONG_ID), "generating")),
        (b(UUID), status(b(UUID), "error", Phase.FAILURE)),
        (live, status(live, "running", live_url="https://live.example/session/" + "x" * 80)),
        (
            waiting,
            status(
                waiting,
                "waiting for input",
                detail=f"asks: {QUESTION} (tool: get_user_confirmation)",
                waiting_for_input=True,
            ),
        ),
        (a("missing"), NotFoundError("anchor: not found (HTTP 404): Task not found")),
        (b("11111111-1111-4111-8111-000000000009"), ApiError("browserable: HTTP 503 from the API")),
    ]


def views_of(results: Sequence[Result], *, since: float = 0.0) -> list[TargetView]:
    views = []
    for target, item in results:
        if isinstance(item, StatusCliError):
            views.append(TargetView(target, "error", Outcome.ERROR, None, item, since, 3, 1))
        else:
            outcome = {Phase.SUCCESS: Outcome.SUCCESS, Phase.FAILURE: Outcome.FAILURE}.get(
                item.phase, Outcome.WATCHING
            )
            views.append(TargetView(target, item.label, outcome, item, None, since, 4, 0))
    return views


def many_views() -> list[TargetView]:
    """46 targets: 30 succeeded, 8 failed, 3 errored, 5 pending (one of them retrying)."""
    views = []
    for n in range(46):
        target = a(f"batch-{n:02d}") if n % 2 else b(f"{n:08d}-1234-4abc-8def-0123456789ab")
        if n < 30:
            views.append(
                TargetView(
                    target, "ready", Outcome.SUCCESS, status(target, "ready", Phase.SUCCESS), None, 0, 3, 0
                )
            )
        elif n < 38:
            failed = status(target, "failed", Phase.FAILURE, error=f"reason {n}")
            views.append(TargetView(target, "failed", Outcome.FAILURE, failed, None, 0, 3, 0))
        elif n < 41:
            views.append(
                TargetView(
                    target, "error", Outcome.ERROR, None, NotFoundError("not found (HTTP 404)"), 0, 1, 1
                )
            )
        elif n == 41:
            error = ApiError("anchor: HTTP 500 from the API", transient=True)
            views.append(TargetView(target, "retrying", Outcome.WATCHING, None, error, 0, 2, 1))
        else:
            views.append(
                TargetView(
                    target, "generating", Outcome.WATCHING, status(target, "generating"), None, 0, 2, 0
                )
            )
    return views  # fmt: skip


def screen_of(output: str, width: int, height: int) -> list[str]:
    """The lines a terminal of that size shows after `output`, with what scrolled off above."""
    screen = pyte.HistoryScreen(width, height, history=10_000)
    screen.set_mode(pyte.modes.LNM)  # a terminal's tty turns \n into \r\n
    pyte.Stream(screen).feed(output)
    above = ["".join(char.data for char in line.values()) for line in screen.history.top]
    return [line.rstrip() for line in [*above, *screen.display]]


def console(width: int, height: int) -> Console:
    return Console(
        file=io.StringIO(),
        force_terminal=True,
        force_interactive=True,
        width=width,
        height=height,
        color_system="truecolor",
        highlight=False,
    )


def has_id(line: str, task_id: str) -> bool:
    return re.search(rf"(^|\s){re.escape(task_id)}(\s|$)", line) is not None


def cut_at_edge(line: str, task_id: str, width: int) -> bool:
    """The id runs to the terminal's edge (only when it is wider than what the line has left)."""
    pos = line.find(task_id[:20])
    return pos >= 0 and len(line) == width and line[pos:] == task_id[: width - pos]


def check_rows(lines: list[str], targets: Sequence[Target], width: int) -> list[Target]:
    """Every line fits; every target on screen is on exactly one line, its id whole (or, when the id
    is wider than the terminal, running to the edge and never continued below). Returns those seen."""
    assert all(len(line) <= width for line in lines)
    seen = []
    for target in targets:
        holding = [
            n
            for n, line in enumerate(lines)
            if has_id(line, target.task_id) or cut_at_edge(line, target.task_id, width)
        ]
        for n in holding:
            rest = target.task_id[-8:]
            assert n + 1 == len(lines) or not lines[n + 1].startswith(rest)  # never folded
        assert len(holding) <= 1, (target, lines)
        if holding:
            seen.append(target)
    return seen


# ---- the one-shot table --------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), SIZES, ids=lambda v: str(v))
def test_one_shot_table_is_one_line_per_task_with_whole_ids(width: int, height: int) -> None:
    results = mixed_results()
    out = console(width, height)
    out.print(Group(*table_lines(results, width, links=True)))
    lines = [line for line in screen_of(out.file.getvalue(), width, height) if line]  # type: ignore[attr-defined]
    assert len(lines) == 1 + len(results), lines  # a header and one line per task: nothing folded
    assert lines[0].split()[:2] in (["PROVIDER", "TASK"], ["TASK", "STATE"])
    seen = check_rows(lines[1:], [t for t, _ in results], width)
    assert len(seen) == len(results)
    for target, item in results:  # each task's line is the one with its id
        line = next(
            line
            for line in lines[1:]
            if cut_at_edge(line, target.task_id, width) or has_id(line, target.task_id)
        )
        if isinstance(item, TaskStatus) and len(target.task_id) + 8 < width:
            assert item.label[:5] in line
        if isinstance(item, NotFoundError) and len(target.task_id) + 12 < width:
            assert "not found" in line  # a failed request, never a provider state word
            assert "error" not in line.split()  # fmt: skip
    if width >= 100:
        assert "asks: Buy 2 items" in "\n".join(lines)  # the question, whitespace collapsed


def test_one_shot_table_drops_empty_columns() -> None:
    results = [(a("a1"), status(a("a1"), "ready", Phase.SUCCESS)), (a("a2"), status(a("a2"), "generating"))]
    lines = [line.plain for line in table_lines(results, 80, links=True)]
    assert lines[0].split() == ["PROVIDER", "TASK", "STATE"]  # no detail, run or live column


# ---- the live view -------------------------------------------------------------------------------


def run_live(
    views: list[TargetView], width: int, height: int, *, final: list[TargetView] | None = None
) -> tuple[list[str], list[str], str]:
    """The screen while live (the last frame), the transcript after the end, and the raw output."""
    clock = FakeClock()
    current = list(views)
    out = console(width, height)
    renderer = LiveRenderer(lambda: current, clock=clock, console=out)
    renderer.start(clock.now + 60)
    clock.now += 5
    renderer._live.refresh()  # type: ignore[union-attr]
    during = screen_of(out.file.getvalue(), width, height)[-height:]  # type: ignore[attr-defined]
    current[:] = final if final is not None else views
    code = max((v.exit_code for v in current), default=0)
    renderer.finish(WatchSummary(tuple(current), 5.0, exit_code=code))
    raw = out.file.getvalue()  # type: ignore[attr-defined]
    return during, screen_of(raw, width, height), raw


def frame_lines(screen: list[str]) -> list[str]:
    start = max(n for n, line in enumerate(screen) if "pending," in line)
    return [line for line in screen[start:] if line]


@pytest.mark.parametrize(("width", "height"), SIZES, ids=lambda v: str(v))
@pytest.mark.parametrize("scenario", ["mixed", "many"])
def test_live_view_fits_the_terminal(scenario: str, width: int, height: int) -> None:
    views = views_of(mixed_results()) if scenario == "mixed" else many_views()
    during, after, _ = run_live(views, width, height)
    frame = frame_lines(during)
    assert len(frame) <= height - 1  # the header, the table and the footer fit the screen
    assert "deadline in 55s" in frame[0]
    assert frame[1].split()[0] in ("PROVIDER", "TASK")  # column headers on one line, not folded
    targets = [v.target for v in views]
    footer = frame[-1] if frame[-1].startswith("\u2026") else None
    rows = frame[2 : -1 if footer else None]
    seen = check_rows(rows, targets, width)
    assert len(rows) == len(seen)  # one line per task shown, nothing else
    hidden = [v for v in views if v.target not in seen]
    if hidden:
        assert footer is not None
        assert footer.startswith(f"\u2026 {len(hidden)} more: ")
        succeeded = sum(v.outcome is Outcome.SUCCESS for v in hidden)
        assert f"{succeeded} succeeded" in footer or succeeded == 0
        # Pending and unsuccessful tasks are shown before any success is.
        assert all(v.outcome is Outcome.SUCCESS for v in hidden) or not any(
            v.outcome is Outcome.SUCCESS for v in views if v.target in seen
        )
    else:
        assert footer is None
    # Shown rows keep the user's order.
    order = [targets.index(t) for t in seen]
    assert order == sorted(order)
    # After the end: every task that did not succeed is named, each on one line with its id whole.
    ending = after[max(n for n, line in enumerate(after) if "did not succeed:" in line) :]
    bad = [v for v in views if v.outcome is not Outcome.SUCCESS]
    assert ending[0].startswith(f"{len(bad)} tasks did not succeed:")
    for view in bad:
        named = [line for line in ending if view.target.task_id[: width - 20] in line]
        assert len(named) == 1, (view.target, ending)
    assert f"{len(views)} tasks in 5s: " in "".join(ending)
    assert all(len(line) <= width for line in after)
    assert "deadline" not in after[max(n for n, line in enumerate(after) if "pending," in line)]


def test_live_columns_do_not_move_while_states_change() -> None:
    targets = [a("a1"), b(UUID), a("demo-slow"), b("c0ffee00-1234-4abc-8def-0123456789ab", "run-1")]
    frames = []
    for labels in (
        ["starting"] * 4,
        ["generating", "scheduled", "generating", "running"],
        ["waiting-for-session", "waiting for input", "ready", "running"],
        ["ready", "running", "ready", "completed"],
    ):
        views = [
            TargetView(t, label, Outcome.WATCHING, status(t, label, detail="x" * (9 * n)), None, 0, n, 0)
            for n, (t, label) in enumerate(zip(targets, labels, strict=True))
        ]
        for width in (80, 132):
            lines = live_lines(views, now=3, started=0, deadline=None, width=width, height=24, links=True)
            frames.append(
                (
                    width,
                    lines[1].plain,
                    [line.plain.index(label) for line, label in zip(lines[2:], labels, strict=True)],
                )
            )
    for width in (80, 132):
        layouts = {(header, tuple(starts)) for w, header, starts in frames if w == width}
        assert len(layouts) == 1, layouts


def test_timed_out_tasks_show_their_last_error_in_their_line_not_as_an_error_line() -> None:
    target = a("demo-flaky")
    error = ApiError("anchor: HTTP 500 from the API: Failed to reach the database", transient=True)
    views = [TargetView(target, "timed out", Outcome.TIMED_OUT, None, error, 0, 5, 2)]
    _, after, _ = run_live(views, 80, 24)
    line = next(line for line in after if "\u2717 anchor demo-flaky" in line)
    assert "timed out: last error seen: HTTP 500 from the API" in line


def test_an_interrupted_watch_lists_what_was_still_pending() -> None:
    target = a("a1")
    views = [TargetView(target, "generating", Outcome.WATCHING, status(target, "generating"), None, 0, 5, 0)]
    _, after, _ = run_live(views, 80, 24)
    assert "1 task did not succeed:" in after
    assert any("\u2717 anchor a1 generating" in line for line in after)


def test_live_urls_are_short_links_in_the_live_view() -> None:
    target = b(UUID)
    url = "https://live.example/session/" + "y" * 120
    views = [
        TargetView(
            target, "running", Outcome.WATCHING, status(target, "running", live_url=url), None, 0, 1, 0
        )
    ]
    during, _, raw = run_live(
        views, 132, 40, final=[replace(views[0], outcome=Outcome.SUCCESS, label="completed")]
    )
    assert any("open \u2197" in line for line in during)
    assert "\x1b]8;id=" in raw
    assert f";{url}\x1b\\" in raw  # the whole URL is the link's target
    assert not any(url[:40] in line for line in during)  # fmt: skip
