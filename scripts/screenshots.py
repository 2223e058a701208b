"""Draw the README's pictures of `status demo` with the real renderer: a fixed scenario, a fixed clock.

    python scripts/screenshots.py            # rewrite docs/demo-live.svg and docs/demo-final.svg
    python scripts/screenshots.py --check    # exit 1 when the committed pictures are out of date

The views are what the demo's watch holds 6 seconds in and at its end, built from provider payloads
like the simulator's through the real parsers, so the pictures change when the renderer does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from statuscli.core.errors import ApiError, ExitCode
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary
from statuscli.providers import get_provider, make_target
from statuscli.render.live import end_lines, live_lines, picture_svg

DOCS = Path(__file__).resolve().parent.parent / "docs"
PICTURES = {"live": DOCS / "demo-live.svg", "final": DOCS / "demo-final.svg"}
WIDTH, HEIGHT = 132, 20
LIVE_URL = "http://127.0.0.1:8787/live/"


def anchor(state: str, error: str | None = None) -> dict[str, Any]:
    return {"id": "t", "status": state, "project_state": state, "error": error}


def browserable(state: str | None, detailed: str | None = None, **data: Any) -> dict[str, Any]:
    body = {"status": state, "detailedStatus": detailed or state, "toolCall": None, "liveStatus": None}
    return {"success": True, "data": body | data}


QUESTION = {"tool": {"name": "get_user_confirmation", "parameters": {"question": "Buy 2 items for 30 USD?"}}}
FAILED = "Could not generate the task: the page requires a login"
#: (provider, task id, payload 6 s in or an error, since when (s), polls by then; payload at the end,
#: when it got there (s), polls by then). A task done 6 s in is done at the end at the same time.
SCENARIO: list[tuple[str, str, Any, float, int, Any, float, int]] = [
    ("anchor", "demo-ready", anchor("ready"), 2, 3, anchor("ready"), 2, 3),
    ("anchor", "demo-failed", anchor("failed", FAILED), 3, 4, anchor("failed", FAILED), 3, 4),
    ("anchor", "demo-slow", anchor("waiting-for-session"), 3, 6, anchor("ready"), 10, 10),
    (
        "anchor",
        "demo-flaky",
        ApiError("anchor: HTTP 429 from the API", transient=True),
        4,
        5,
        anchor("ready"),
        8,
        8,
    ),
    (
        "browserable",
        "2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01",
        browserable("running", liveStatus=LIVE_URL + "2d9c6f0e"),
        4,
        6,
        browserable("completed"),
        9,
        9,
    ),
    (
        "browserable",
        "7f3e2a1b-8c4d-4e5f-a6b7-c8d9e0f1a202",
        browserable("running", liveStatus=LIVE_URL + "7f3e2a1b"),
        1,
        6,
        browserable("error"),
        7,
        7,
    ),
    (
        "browserable",
        "c0ffee00-1234-4abc-8def-0123456789ab",
        browserable("running", "tool_call", toolCall=QUESTION, liveStatus="Waiting for user input"),
        5,
        6,
        browserable("completed"),
        12,
        12,
    ),
]
NOW = 6.0
END = 12.0


def views(*, ended: bool) -> list[TargetView]:
    result = []
    for provider, task_id, during, since, polls, final, ended_at, final_polls in SCENARIO:
        target = make_target(provider, task_id)
        item = final if ended else during
        when, count = (ended_at, final_polls) if ended else (since, polls)
        if isinstance(item, ApiError):
            result.append(TargetView(target, "retrying", Outcome.WATCHING, None, item, when, count, 1))
            continue
        status = get_provider(provider).parse(target, item)
        outcome = {"success": Outcome.SUCCESS, "failure": Outcome.FAILURE}.get(
            status.phase.value, Outcome.WATCHING
        )
        result.append(TargetView(target, status.label, outcome, status, None, when, count, 0))
    return result


def draw(name: str) -> str:
    if name == "live":
        lines = live_lines(
            views(ended=False), now=NOW, started=0.0, deadline=60.0, width=WIDTH, height=HEIGHT, links=True
        )
    else:
        final = views(ended=True)
        summary = WatchSummary(tuple(final), END, ExitCode.FAILURE)
        lines = live_lines(
            final, now=END, started=0.0, deadline=None, width=WIDTH, height=HEIGHT, links=True, ended=True
        )
        lines += end_lines(summary, WIDTH)
    return picture_svg(lines, width=WIDTH, height=HEIGHT, title="status demo")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed pictures")
    args = parser.parse_args(argv)
    stale = []
    for name, path in PICTURES.items():
        fresh = draw(name)
        if not args.check:
            path.write_text(fresh, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != fresh:
            stale.append(path.name)
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/screenshots.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
