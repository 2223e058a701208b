"""The command line and the Python API are one engine: asked about the same tasks on the same server,
`status PROVIDER ID --json` and `get_status`, `status watch --json` and `wait`, give the same answers
and the same exit code, for every registered provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import statuscli
from statuscli.core.models import Phase
from statuscli.sim import Simulator

from .apis import Api
from .conftest import CliRunner, simulating, simulator_env

TASKS = {"done": Phase.SUCCESS, "broken": Phase.FAILURE, "going": Phase.PENDING}
UUIDS = {name: f"11111111-1111-4111-8111-00000000000{n}" for n, name in enumerate(TASKS, start=1)}


@pytest.fixture
def sim(provider_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    api = Api(provider_name)
    scenario = "".join(
        f'[[task]]\nprovider = "{provider_name}"\nid = "{UUIDS[name]}"\n'
        f'timeline = "{api.pending} 0.3s -> {api.state(phase)}"\n'
        for name, phase in TASKS.items()
    )
    with simulating(scenario, tmp_path) as simulator:
        for name, value in simulator_env(simulator).items():
            monkeypatch.setenv(name, value)
        yield simulator


def test_one_shot_and_get_status_agree(cli: CliRunner, sim: Simulator, provider_name: str) -> None:
    api = Api(provider_name)
    for task_id in UUIDS.values():
        shown = json.loads(cli(*api.args(task_id), "--json").stdout)["tasks"][0]["status"]
        status = statuscli.get_status(provider_name, task_id, variant=api.variant)
        assert (shown["state"], shown["phase"], shown["label"], shown["detail"], shown["error"]) == (
            status.state,
            status.phase.value,
            status.label,
            status.detail,
            status.error,
        )


#: The watch's deadline: the pending task is still pending then, while the others end within a second.
#: Long enough that a loaded machine sees the others end first; short, since each watch waits it out.
DEADLINE = 3.0


def test_watch_and_wait_agree(cli: CliRunner, sim: Simulator, provider_name: str) -> None:
    ids = list(UUIDS.values())
    api = Api(provider_name)
    result = cli("watch", api.word, *ids, "--json", "--interval", "0.1s", "--timeout", f"{DEADLINE}s")
    summary = json.loads(result.stdout.splitlines()[-1])
    targets = [statuscli.Target(provider_name, i, variant=api.variant) for i in ids]
    waited = statuscli.wait(targets, interval=0.1, timeout=DEADLINE)
    assert result.exit_code == summary["exit_code"] == int(waited.exit_code) == 1
    assert [(t["task_id"], t["outcome"], t["state"]) for t in summary["tasks"]] == [
        (v.target.task_id, v.outcome.value, v.label) for v in waited.views
    ]
    # Each outcome is there: a success, a failure, and the pending task past the deadline.
    assert sorted(v.outcome.value for v in waited.views) == ["failure", "success", "timed out"]
