"""What the user sees of text measured and counted: columns that line up when a cell holds wide
(East Asian) characters, and `1 task` / `2 tasks` in a watch's summary. Over loopback HTTP."""

from __future__ import annotations

import re
import unicodedata

from pytest_httpserver import HTTPServer

from .apis import Api
from .conftest import CliRunner

ANCHOR = Api("anchor")
#: Two wide (W) characters, a fullwidth (F) one, and an e with a combining accent: 7 cells, 5 characters.
WIDE = "任务\uff21e\u0301"


def cells(text: str) -> int:
    """Terminal cells, counted here independently of the code under test: a combining mark takes none."""
    widths = {"W": 2, "F": 2}
    return sum(
        0 if unicodedata.combining(ch) else widths.get(unicodedata.east_asian_width(ch), 1) for ch in text
    )


def test_pipe_columns_line_up_after_a_wide_task_id(cli: CliRunner, anchor_api: HTTPServer) -> None:
    # (Any task's path: the server's path matching and the percent-encoded id are not the point here.)
    anchor_api.expect_request(re.compile(r"/v2/tasks/.+/generation-status")).respond_with_json(
        ANCHOR.body("ready")
    )
    result = cli("anchor", WIDE, "t2")
    assert result.exit_code == 0, result.stderr
    header, wide, narrow = result.stdout.splitlines()
    # The STATE column starts at the same terminal column on every line: a wide character takes two.
    starts = [
        cells(line[: line.index(word)])
        for line, word in ((header, "STATE"), (wide, "ready"), (narrow, "ready"))
    ]
    assert starts[0] == starts[1] == starts[2], result.stdout
    assert starts[0] == cells("PROVIDER   " + WIDE + "   ")  # the widest cell of each column, then 3 spaces


def test_a_watch_summary_counts_tasks_in_words(cli: CliRunner, anchor_api: HTTPServer) -> None:
    for task in ("a1", "a2"):
        anchor_api.expect_request(ANCHOR.path(task)).respond_with_json(ANCHOR.body("ready", task))
    one = cli("watch", "anchor", "a1", "--interval", "0.1")
    assert one.exit_code == 0, one.stderr
    assert one.stdout.splitlines()[-1].startswith("1 task in ")
    two = cli("watch", "anchor", "a1", "a2", "--interval", "0.1")
    assert two.exit_code == 0, two.stderr
    assert two.stdout.splitlines()[-1].startswith("2 tasks in ")
