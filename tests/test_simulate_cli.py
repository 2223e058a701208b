"""`status simulate` from the installed program: what it tells the user to run works as printed."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from statuscli.providers import provider_names
from statuscli.sim import Simulator, default_keys, default_scenario

from .conftest import CliRunner, clean_env
from .test_e2e import BIN

SCENARIO = """
[[task]]
provider = "anchor"
id = "sim-ready"
timeline = "ready"

[[task]]
provider = "browserable"
id = "11111111-1111-4111-8111-000000000001"
timeline = "completed"
"""


def test_simulate_prints_a_watch_command_that_works(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO)
    env = clean_env()
    env.update(STATUSCLI_CONFIG=str(tmp_path / "config.toml"), XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.Popen(
        [str(BIN / "status"), "simulate", "--scenario", str(scenario)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        # An export line for each provider's base URL and key, then the watch command.
        printed = [proc.stdout.readline().rstrip("\n") for _ in range(2 * len(provider_names()) + 1)]
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in printed if line.startswith("export ")
        )
        assert len(exports) == 2 * len(provider_names())  # a base URL and a key each
        [hint] = [line for line in printed if "status watch --file" in line]
        command = shlex.split(hint[hint.index("status watch") :])
        watch_file = Path(command[-1])
        assert watch_file.is_file()
        done = subprocess.run(
            [str(BIN / command[0]), *command[1:]],
            env=dict(env, **exports, TERM="dumb"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "2 tasks in" in done.stdout
        assert "2 succeeded, 0 failed (exit 0)" in done.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert not watch_file.exists(), "the simulator removes the watch file it wrote"


def test_a_browserable_base_url_without_api_v1_is_a_wrong_base_url_not_a_missing_task(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, Troubleshooting: exit 5 means the API said the task does not exist; a base URL whose
    path is wrong gets the web server's HTML 404, which is exit 6 `wrong_base_url`, also against the
    simulator."""
    with Simulator(default_scenario()) as sim:
        monkeypatch.setenv("BROWSERABLE_BASE_URL", sim.base_url)  # without /api/v1
        monkeypatch.setenv("BROWSERABLE_API_KEY", default_keys()["browserable"])
        wrong = cli("browserable", "2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01", "--json")
        monkeypatch.setenv("BROWSERABLE_BASE_URL", sim.base_url + "/api/v1")
        right = cli("browserable", "2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01", "--json")
    assert wrong.exit_code == 6, wrong.stderr
    [task] = json.loads(wrong.stdout)["tasks"]
    assert task["error"]["code"] == "wrong_base_url"
    assert "the base URL looks wrong" in wrong.stderr
    assert right.exit_code in (0, 3), right.stderr
