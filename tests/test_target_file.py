"""A bad id in a watch file is named by its file and line, task id or run id, before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CliRunner


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("anchor ..", "task id must not be '..'"),
        ("browserable t1 ..", "run id must not be '..'"),
        ("browserable .. r1", "task id must not be '..'"),
    ],
)
def test_a_bad_id_in_a_watch_file_names_its_line(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, problem: str
) -> None:
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", "k" * 20)
    monkeypatch.setenv("BROWSERABLE_API_KEY", "k" * 20)
    targets = tmp_path / "targets.txt"
    targets.write_text(f"# the tasks\nanchor t1\n{line}\n", encoding="utf-8")
    result = cli("watch", "--file", str(targets))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {targets}, line 3: {problem}"]
