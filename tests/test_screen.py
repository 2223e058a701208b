"""What a person sees, through a terminal emulator (pyte): the live view and the one-shot table at the
sizes people use, for targets with short ids, UUIDs, 100-character ids, long errors, live URLs, a
question waiting for input, failed requests, and more tasks than lines."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pyte
import pytest
from rich.console import Console, Group

from statuscli.core.errors import ApiError, AuthError, ExitCode, NotFoundError, StatusCliError
from statuscli.core.models import Phase, Target, TaskResult, TaskStatus
from statuscli.core.text import cell_width
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary
from statuscli.render.live import LiveRenderer, live_lines
from statuscli.render.rows import (
    end_reason,
    plain,
    result_detail,
    view_detail,
)
from statuscli.render.table import DETAIL_MIN, ID_KEEP, ID_MIN, table_lines
from statuscli.render.words import request_label, shown_label, summary_line

from .test_watch import FakeClock


@pytest.fixture(autouse=True)
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # rich draws no live view on a dumb terminal


SIZES = [(60, 20), (80, 24), (100, 30), (132, 40), (200, 50)]
LONG_ID = "job-" + "abcdefghij" * 9 + "-tail42"  # 101 characters, the tail is what grep looks for
#: The issue's id of 84 characters.
CHECKOUT_ID = "checkout-eu-west-1-3ds-saved-cards-20261123-run-0001-retry-2-attempt-3-of-5-final-x"
UUID = "7f3e2a1b-8c4d-4e5f-a6b7-c8d9e0f1a202"
#: One task, two of its runs: the rows must stay told apart.
TWICE = "5e6f7a8b-1111-4222-8333-444455556666"
RUNS = ("9a1e0c2d-0000-4000-8000-00000000aaaa", "9a1e0c2d-0000-4000-8000-00000000bbbb")
LONG_ERROR = "Could not generate the task: " + "the page requires a login and then some more " * 8
QUESTION = "Buy 2 items for 30 USD?\n\n  (answer in the app)"
ELLIPSIS = "\u2026"


def status(target: Target, label: str, phase: Phase = Phase.PENDING, **fields: object) -> TaskStatus:
    return TaskStatus(target.provider, target.task_id, target.run_id, label, phase, label, **fields)  # type: ignore[arg-type]


def a(task_id: str) -> Target:
    return Target("anchor", task_id)


def b(task_id: str, run_id: str | None = None) -> Target:
    return Target("browserable", task_id, run_id)


def mixed_results() -> list[TaskResult]:
    """One-shot results covering every kind of row: long ids, a long error, two runs of one task, a
    rejected key, failed requests."""
    waiting = b("c0ffee00-1234-4abc-8def-0123456789ab")
    live = b("2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01")
    first, second = b(TWICE, RUNS[0]), b(TWICE, RUNS[1])
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
        (first, status(first, "running")),
        (second, status(second, "error", Phase.FAILURE)),
        (a(CHECKOUT_ID), AuthError("anchor: API key rejected (HTTP 401): Unauthorized")),
    ]


def views_of(results: Sequence[TaskResult], *, since: float = 0.0) -> list[TargetView]:
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
    """48 targets: 30 succeeded, 8 failed, 4 errored (the last a rejected key, at the end of the list),
    5 pending (one of them retrying) and one of an id much longer than the others."""
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
    long = a(CHECKOUT_ID)
    views.append(TargetView(long, "generating", Outcome.WATCHING, status(long, "generating"), None, 0, 2, 0))
    rejected = AuthError("anchor: API key rejected (HTTP 401)")
    views.append(TargetView(a("batch-99"), "error", Outcome.ERROR, None, rejected, 0, 1, 1))
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


def shows_id(line: str, task_id: str) -> bool:
    """The id is on the line, whole, or shortened in the middle: at least four characters of each
    end around `…`."""
    for word in line.split():
        if word == task_id:
            return True
        head, mark, tail = word.partition(ELLIPSIS)
        if mark and len(head) >= 4 and len(tail) >= 4 and task_id.startswith(head) and task_id.endswith(tail):
            return len(head) + len(tail) < len(task_id)
    return False


def row_of(lines: list[str], target: Target) -> str:
    """The one line showing `target` (its run too, when it has one)."""
    holding = [
        line
        for line in lines
        if shows_id(line, target.task_id) and (target.run_id is None or shows_id(line, target.run_id))
    ]
    assert len(holding) == 1, (target, lines)
    return holding[0]


def check_rows(lines: list[str], targets: Sequence[Target], width: int) -> list[Target]:
    """Every line fits; every target on screen is on exactly one line (its id whole, or shortened in
    the middle), and no two targets share a line. Returns those seen."""
    assert all(len(line) <= width for line in lines)
    seen = [t for t in targets if any(shows_id(line, t.task_id) for line in lines)]
    rows = [row_of(lines, t) for t in seen]
    assert len(set(rows)) == len(rows), "two targets on one line, or drawn alike"
    return seen


def squeezed(text: str) -> str:
    """`text` without whitespace: what wrapping and indenting cannot change."""
    return "".join(text.split())


def ending(after: list[str]) -> list[str]:
    """The lines from the list of what did not succeed to the end."""
    return after[max(n for n, line in enumerate(after) if "did not succeed:" in line) :]


def check_ending(after: list[str], views: Sequence[TargetView], width: int) -> None:
    """Every task that did not succeed is named once, in order, with its id whole and its reason
    whole (wrapped, never cut), and the summary line is the last thing on the screen."""
    lines = [line for line in ending(after) if line]
    bad = [v for v in views if v.outcome is not Outcome.SUCCESS]
    assert lines[0] == f"{len(bad)} {'task' if len(bad) == 1 else 'tasks'} did not succeed:"
    assert all(len(line) <= width for line in lines)
    text = squeezed(" ".join(lines))
    at = 0
    for view in bad:
        run = f" run {view.target.run_id}" if view.target.run_id else ""
        head = f"\u2717 {view.target.provider} {view.target.task_id}{run} {shown_label(view)}"
        found = text.find(squeezed(head), at)
        assert found >= at, (head, lines)
        at = found
        why = squeezed(plain(end_reason(view)))
        assert text.startswith(why, found + len(squeezed(head)) + 1), (why, lines)
        assert not why.endswith(ELLIPSIS) or len(plain(end_reason(view))) >= 2000
    summary = [n for n, line in enumerate(lines) if re.match(r"(interrupted: )?\d+ tasks? in ", line)]
    assert summary, lines
    assert squeezed(" ".join(lines[summary[-1] :])).endswith(")")  # the summary ends the output
    assert all("\u2717" not in line for line in lines[summary[-1] :])


# ---- the one-shot table --------------------------------------------------------------------------


def state_of(item: TaskStatus | StatusCliError) -> str:
    return item.label if isinstance(item, TaskStatus) else request_label(item)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=lambda v: str(v))
def test_one_shot_table_is_one_line_per_task_with_its_state_whole(width: int, height: int) -> None:
    results = mixed_results()
    out = console(width, height)
    out.print(Group(*table_lines(results, width, links=True)))
    lines = [line for line in screen_of(out.file.getvalue(), width, height) if line]  # type: ignore[attr-defined]
    assert len(lines) == 1 + len(results), lines  # a header and one line per task: nothing folded
    assert lines[0].split()[:3] in (["PROVIDER", "TASK", "STATE"], ["TASK", "STATE", "RUN"])
    seen = check_rows(lines[1:], [t for t, _ in results], width)
    assert len(seen) == len(results)
    state_at = lines[0].index("STATE")
    for target, item in results:
        line = row_of(lines[1:], target)
        # The state, whole, in its column: never cut, never pushed out by an id.
        assert line[state_at:].startswith(state_of(item)), (line, state_of(item))
        if isinstance(item, NotFoundError):
            assert "error" not in line.split()  # a failed request, never a provider state word
    if width >= 200:
        assert "asks: Buy 2 items" in "\n".join(lines)  # the question, whitespace collapsed


def test_one_shot_table_drops_empty_columns() -> None:
    results = [(a("a1"), status(a("a1"), "ready", Phase.SUCCESS)), (a("a2"), status(a("a2"), "generating"))]
    lines = [line.plain for line in table_lines(results, 80, links=True)]
    assert lines[0].split() == ["PROVIDER", "TASK", "STATE"]  # no detail, run or live column


@pytest.mark.parametrize("width", [60, 80])
def test_one_long_id_leaves_the_state_and_is_shortened_in_the_middle(width: int) -> None:
    """The issue's case: `status anchor demo-failed checkout-…` (one id of 84 characters)."""
    failed = status(a("demo-failed"), "failed", Phase.FAILURE, error="Could not generate the task")
    results: list[TaskResult] = [
        (a("demo-failed"), failed),
        (a(CHECKOUT_ID), status(a(CHECKOUT_ID), "not found")),
    ]
    lines = [line.plain for line in table_lines(results, width, links=True)]
    assert lines[0].split()[:2] == ["TASK", "STATE"]
    long_row = lines[2]
    assert long_row.split()[-2:] == ["not", "found"]
    shortened = long_row.split()[0]
    assert shortened.startswith("checkout-eu")
    assert shortened.endswith("final-x")
    assert ELLIPSIS in shortened
    assert all(len(line) <= width for line in lines)


def test_one_long_id_does_not_cost_the_other_rows_their_columns() -> None:
    """48 UUIDs and one id of 84 characters at 132 columns: the other rows keep every column they
    would have without it, and the detail is not starved by a wide task column."""
    uuids = [b(f"{n:08d}-4b1a-4c3e-9f5d-7a8b6c5d4e01") for n in range(47)]
    views = [
        TargetView(t, "running", Outcome.WATCHING, status(t, "running", detail="x" * 60), None, 0, 3, 0)
        for t in uuids
    ]
    frames = {}
    for extra in ([], [b(CHECKOUT_ID)]):
        shown = views + [
            TargetView(t, "running", Outcome.WATCHING, status(t, "running"), None, 0, 3, 0) for t in extra
        ]
        for width in (100, 132):
            lines = live_lines(shown, now=3, started=0, deadline=None, width=width, height=60, links=False)
            frames[(width, bool(extra))] = lines[1].plain
    assert frames[(100, True)] == frames[(100, False)]
    assert frames[(132, True)] == frames[(132, False)]
    assert "ELAPSED" in frames[(100, True)]
    assert "POLLS" in frames[(100, True)]
    assert "POLLS" in frames[(132, True)]
    assert "IN STATE" in frames[(132, True)]


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
    start = max(n for n, line in enumerate(screen) if re.match(r"(statuscli watch: )?\d+ pending,", line))
    return [line for line in screen[start:] if line]


@pytest.mark.parametrize(("width", "height"), SIZES, ids=lambda v: str(v))
@pytest.mark.parametrize("scenario", ["mixed", "many"])
def test_live_view_fits_the_terminal(scenario: str, width: int, height: int) -> None:
    views = views_of(mixed_results()) if scenario == "mixed" else many_views()
    during, after, _ = run_live(views, width, height)
    frame = frame_lines(during)
    assert len(frame) <= height - 1  # the header, the table and the footer fit the screen
    # The header: the counts, then the deadline whole or not at all (never a number cut).
    assert re.fullmatch(
        r"(statuscli watch: )?\d+ pending, \d+ succeeded, \d+ failed(, \d+ [a-z ]+)*",
        frame[0].split(", deadline in")[0],
    )
    assert frame[0].endswith(", deadline in 55s") or "deadline" not in frame[0]
    assert ELLIPSIS not in frame[0]
    assert frame[1].split()[0] in ("PROVIDER", "TASK")  # column headers on one line, not folded
    targets = [v.target for v in views]
    footer = frame[-1] if frame[-1].startswith(ELLIPSIS) else None
    rows = frame[2 : -1 if footer else None]
    seen = check_rows(rows, targets, width)
    assert len(rows) == len(seen)  # one line per task shown, nothing else
    state_at = frame[1].index("STATE")
    for view in views:
        if view.target in seen:  # its state, whole, in its column
            assert row_of(rows, view.target)[state_at:].startswith(shown_label(view))
    hidden = [v for v in views if v.target not in seen]
    if hidden:
        assert footer is not None
        assert footer.startswith(f"{ELLIPSIS} {len(hidden)} more: ")
        succeeded = sum(v.outcome is Outcome.SUCCESS for v in hidden)
        assert f"{succeeded} succeeded" in footer or succeeded == 0
        # Failed and errored tasks are shown before pending ones, and pending before successes.
        rank = {Outcome.FAILURE: 0, Outcome.ERROR: 0, Outcome.WATCHING: 1, Outcome.SUCCESS: 2}
        assert max(rank[v.outcome] for v in views if v.target in seen) <= min(rank[v.outcome] for v in hidden)
    else:
        assert footer is None
    # Shown rows keep the user's order.
    order = [targets.index(t) for t in seen]
    assert order == sorted(order)
    # After the end: every task that did not succeed is named, with its id and its reason whole, and
    # the summary is last.
    check_ending(after, views, width)
    assert all(len(line) <= width for line in after)
    assert "deadline" not in frame_lines(after)[0]


def test_the_header_counts_what_the_summary_counts() -> None:
    views = many_views()
    lines = live_lines(views, now=3, started=0, deadline=None, width=200, height=60, links=False)
    assert lines[0].plain == "statuscli watch: 6 pending, 30 succeeded, 8 failed, 4 errored"
    summary = summary_line(WatchSummary(tuple(views), 3.0, exit_code=ExitCode.AUTH))
    assert summary == "48 tasks in 3s: 30 succeeded, 8 failed, 4 errored, 6 still pending (exit 4)"
    timed_out = [replace(v, outcome=Outcome.TIMED_OUT) if not v.done else v for v in views]
    lines = live_lines(timed_out, now=3, started=0, deadline=None, width=200, height=60, links=False)
    assert lines[0].plain == "statuscli watch: 0 pending, 30 succeeded, 8 failed, 4 errored, 6 timed out"


def test_a_rejected_key_is_shown_before_pending_rows_when_rows_do_not_fit() -> None:
    """The issue's case: a 401 stayed hidden in "… 28 more" while pending rows were shown."""
    pending = [
        TargetView(a(f"p{n:02d}"), "generating", Outcome.WATCHING, None, None, 0, 1, 0) for n in range(40)
    ]
    rejected = TargetView(
        a("z-401"), "error", Outcome.ERROR, None, AuthError("anchor: API key rejected"), 0, 1, 1
    )
    lines = live_lines(
        [*pending, rejected], now=3, started=0, deadline=None, width=80, height=24, links=False
    )
    text = [line.plain for line in lines]
    assert any(re.search(r"\bz-401 +auth failed", line) for line in text), text
    assert "check ANCHORBROWSER_API_KEY, or run 'status auth anchor'" in plain(
        view_detail(rejected, limit=1000)
    )
    assert text[-1] == f"{ELLIPSIS} 21 more: 21 pending"


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


@pytest.mark.parametrize(("width", "height"), SIZES[:4], ids=lambda v: str(v))
def test_the_end_list_wraps_a_long_reason_whole_and_says_when_the_api_gave_none(
    width: int, height: int
) -> None:
    _, after, _ = run_live(views_of(mixed_results()), width, height)
    lines = ending(after)
    text = squeezed(" ".join(lines))
    assert squeezed(f"\u2717 anchor demo-failed failed: {LONG_ERROR}") in text  # whole: never cut
    assert ELLIPSIS not in " ".join(lines)
    failed_at = next(n for n, line in enumerate(lines) if "\u2717 anchor demo-failed failed:" in line)
    assert lines[failed_at + 1].startswith(" " * 6 + "the page") or lines[failed_at + 1].startswith(" " * 6)
    assert all(not line[:6].strip() for line in lines[failed_at + 1 : failed_at + 4])  # indented under it
    no_reason = f"\u2717 browserable {UUID} error: ended in state error; the API gave no reason"
    assert squeezed(no_reason) in text
    assert (
        squeezed(
            f"\u2717 anchor {CHECKOUT_ID} auth failed: API key rejected (HTTP 401): Unauthorized; "
            "check ANCHORBROWSER_API_KEY, or run 'status auth anchor'"
        )
        in text
    )
    # Words are never cut: every wrapped line ends at a word's end.
    words = set(" ".join(line.strip() for line in lines).split())
    assert all(line.split()[-1] in words for line in lines if line.strip())


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("width", range(60, 201, 7))
def test_the_rules_of_the_table_in_the_readme_hold(width: int) -> None:
    """README, The table: the detail down to 12 columns before anything else gives way, an odd long
    id not below 24, a column that tells two rows apart never dropped, the state never shortened."""
    assert f"down to {DETAIL_MIN} columns;" in README
    assert f"not below {ID_KEEP} columns" in README
    results = mixed_results()
    lines = [line.plain for line in table_lines(results, width, links=True)]
    header = lines[0]
    assert "RUN" in header  # the two runs of one task stay two different rows
    if "DETAIL" in header:
        longest = max(cell_width(plain(result_detail(t, item))) for t, item in results)
        assert width - header.index("DETAIL") >= min(DETAIL_MIN, longest)
    elif "PROVIDER" in header:
        pytest.fail(f"the provider stayed while the detail went: {header}")
    state_at = header.index("STATE")
    for target, item in results:
        assert row_of(lines[1:], target)[state_at:].startswith(state_of(item))
    for target, _ in results:
        shown = next(word for word in row_of(lines[1:], target).split() if shows_id(word, target.task_id))
        if shown != target.task_id:  # shortened: only when it had to be
            assert len(shown) >= ID_MIN
            assert (
                len(target.task_id) > width - header.index("STATE")
                or len(shown) >= ID_KEEP
                or ("PROVIDER" not in header and "DETAIL" not in header)
            )


def test_the_header_gives_way_whole_words_first_never_a_cut_number() -> None:
    from statuscli.core.outcomes import SERVER, Throttle
    from statuscli.render.live import counts_header

    views = many_views()
    throttle = Throttle("anchor", 50.0, 20.0, SERVER, 0.0)
    shown = {width: counts_header(views, 0.0, 26.0, [throttle], width).plain for width in (60, 64, 80, 140)}
    assert shown[140] == (
        "statuscli watch: 6 pending, 30 succeeded, 8 failed, 4 errored, deadline in 26s; "
        "anchor every 20s: limited to 50/s by the server"
    )
    assert shown[80] == "statuscli watch: 6 pending, 30 succeeded, 8 failed, 4 errored, deadline in 26s"
    assert shown[64] == "6 pending, 30 succeeded, 8 failed, 4 errored, deadline in 26s"
    assert shown[60] == "6 pending, 30 succeeded, 8 failed, 4 errored"
