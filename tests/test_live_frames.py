"""The live view's cost and the link text: what a terminal receives, measured in frames and bytes."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.core.text import safe_url
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary, WatchUpdate
from statuscli.render.live import LiveRenderer

from .test_watch import FakeClock


def view(n: int, label: str) -> TargetView:
    target = Target("anchor", f"t{n}")
    status = TaskStatus("anchor", target.task_id, None, label, Phase.PENDING, label)
    return TargetView(target, label, Outcome.WATCHING, status, None, 0.0, 1, 0)


def test_a_burst_of_changes_costs_a_few_frames_not_one_each() -> None:
    """1,000 targets changing at once must not redraw 1,000 times (it would starve the poll loop)."""
    clock = FakeClock()
    views = [view(n, "starting") for n in range(1000)]
    renders: list[float] = []

    def snapshot() -> list[TargetView]:
        renders.append(clock.now)
        return views

    console = Console(file=io.StringIO(), force_terminal=True, force_interactive=True, width=120, height=40)
    renderer = LiveRenderer(snapshot, clock=clock, console=console)
    renderer.start(None)
    try:
        for second in range(3):
            for n in range(1000):
                views[n] = view(n, f"state-{second}")
                renderer.update(WatchUpdate(views[n], True, "starting", clock.now))
            clock.now += 1.0
    finally:
        renderer.finish(WatchSummary(tuple(views), 3.0, exit_code=3))  # type: ignore[arg-type]
    # One frame per burst at most (plus the start, rich's own once-a-second tick and the final frame).
    assert len(renders) <= 3 + 6, len(renders)
    assert "state-2" in console.file.getvalue()  # type: ignore[attr-defined]


def test_close_gives_the_cursor_back_without_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # rich leaves the cursor alone on a dumb terminal
    console = Console(file=io.StringIO(), force_terminal=True, force_interactive=True, width=80, height=20)
    renderer = LiveRenderer(lambda: [view(1, "generating")], console=console)
    renderer.start(None)
    renderer.close()
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert out.rindex("\x1b[?25h") > out.rindex("\x1b[?25l")
    assert "tasks in" not in out


@pytest.mark.parametrize(
    "url",
    [
        "https://live.example/s/1\u202egnp.exe",  # right-to-left override reorders the visible text
        "https://live.example/s/\u2066x",
        "https://xn--e1a.example/\u0430",  # Cyrillic look-alike letters in the path
        "https://live.example/\x1b]8;;https://evil/\x07",
        "javascript:alert(1)",
        "https://live.example/a b",
        "https://live.example/<x>",
    ],
)
def test_link_targets_are_plain_ascii_http_urls(url: str) -> None:
    assert safe_url(url) is None


def test_ordinary_live_urls_stay_links() -> None:
    url = "https://live.browserable.ai/session/9f2c?token=abc-123&view=1#top"
    assert safe_url(url) == url
