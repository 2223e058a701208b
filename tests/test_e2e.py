"""The installed `status`, in subprocesses, against the project's own simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from statuscli.providers import get_provider, provider_names
from statuscli.sim import Simulator, default_keys

from .conftest import simulating, simulator_env

BIN = Path(sys.executable).parent

SCENARIO = """
[[task]]
provider = "anchor"
id = "quick"
timeline = "generating 0.6s -> ready"

[[task]]
provider = "anchor"
id = "broken"
timeline = "generating 0.4s -> failed"
error = "login required"

[[task]]
provider = "anchor"
id = "flaky"
timeline = "!503 0.3s -> !reset 0.3s -> !html 0.3s -> generating 0.3s -> ready"

[[task]]
provider = "anchor"
id = "forever"
timeline = "generating"

[[task]]
provider = "browserable"
id = "11111111-1111-4111-8111-000000000001"
timeline = "none 0.4s -> scheduled 0.4s -> running 0.4s -> completed"

[[task]]
provider = "browserable"
id = "11111111-1111-4111-8111-000000000002"
timeline = "running 0.5s -> error"

[[task]]
provider = "browserable"
id = "11111111-1111-4111-8111-000000000003"
timeline = "tool_call"
"""


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    with simulating(SCENARIO, tmp_path) as simulator:
        yield simulator


def run_status(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a shell runs it."""
    return subprocess.run(
        [str(BIN / "status"), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def status(
    sim: Simulator, *args: str, keys: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = simulator_env(sim)
    for provider, key in (keys or {}).items():
        env[get_provider(provider).key_env[0]] = key
    return run_status(list(args), env)


def test_one_shot_states_and_exit_codes(sim: Simulator) -> None:
    done = status(sim, "anchor", "forever", "--json")
    assert done.returncode == 3
    assert json.loads(done.stdout)["tasks"][0]["status"]["state"] == "generating"
    done = status(sim, "browserable", "11111111-1111-4111-8111-000000000003")
    assert done.returncode == 3
    assert "waiting-for-input" in done.stdout  # one word in a pipe, so awk sees the state as one column
    assert "get_user_confirmation" in done.stdout
    done = status(sim, "browserable", "11111111-1111-4111-8111-0000000000ff")
    assert done.returncode == 3
    assert "no-run-yet" in done.stdout


def test_one_shot_errors_from_the_simulator(sim: Simulator) -> None:
    done = status(sim, "anchor", "missing")
    assert (done.returncode, done.stderr.strip()) == (
        5,
        "error: anchor missing: not found (HTTP 404): Task not found",
    )
    done = status(sim, "browserable", "not-a-uuid")
    assert done.returncode == 5  # a bad id, not an outage
    assert "browserable not-a-uuid: not a valid task id for this server" in done.stderr
    assert 'invalid input syntax for type uuid: "not-a-uuid"' in done.stderr
    # A wrong base path gets the server's HTML 404 page: a wrong base URL (6), never "not found" (5).
    wrong_path = dict(os.environ, BROWSERABLE_BASE_URL=sim.base_url + "/api/v2", BROWSERABLE_API_KEY="k" * 16)
    done = run_status(["browserable", "11111111-1111-4111-8111-000000000001", "--json"], wrong_path)
    assert done.returncode == 6
    error = json.loads(done.stdout)["tasks"][0]["error"]
    assert (error["code"], error["exit_code"], error["http_status"]) == ("wrong_base_url", 6, 404)
    assert "the base URL looks wrong" in done.stderr
    wrong = {"anchor": "wrong-key-000000", "browserable": "wrong-key-000000"}
    done = status(sim, "anchor", "quick", keys=wrong)
    assert done.returncode == 4
    assert "API key rejected (HTTP 401)" in done.stderr
    done = status(sim, "browserable", "11111111-1111-4111-8111-000000000001", keys=wrong)
    assert done.returncode == 4
    assert "Invalid API key" in done.stderr
    assert "wrong-key-000000" not in done.stdout + done.stderr


def test_watch_across_providers_with_faults(sim: Simulator, tmp_path: Path) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("anchor quick\nanchor flaky\nbrowserable 11111111-1111-4111-8111-000000000001\n")
    done = status(sim, "watch", "--file", str(targets), "--interval", "0.2", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    summary = events[-1]
    assert summary["event"] == "summary"
    assert {t["task_id"]: t["state"] for t in summary["tasks"]} == {
        "quick": "ready",
        "flaky": "ready",
        "11111111-1111-4111-8111-000000000001": "completed",
    }
    flaky = [e for e in events if e.get("task_id") == "flaky"]
    assert flaky[0]["to"] == "retrying"
    assert flaky[-1]["to"] == "ready"
    browserable = [e["to"] for e in events if e.get("provider") == "browserable"]
    assert browserable == ["no run yet", "scheduled", "running", "completed"]


def test_watch_failure_wins_over_success(sim: Simulator) -> None:
    done = status(sim, "watch", "anchor", "quick", "broken", "--interval", "0.2")
    assert done.returncode == 1
    assert "generating -> failed login required" in done.stdout
    assert "\x1b" not in done.stdout


def test_watch_deadline_with_a_task_waiting_for_input(sim: Simulator) -> None:
    done = status(
        sim,
        "watch",
        "browserable",
        "11111111-1111-4111-8111-000000000003",
        "--interval",
        "0.2",
        "--timeout",
        "1s",
    )
    assert done.returncode == 124
    assert "starting -> waiting-for-input" in done.stdout
    assert "waiting-for-input -> timed-out" in done.stdout


def test_watch_browserable_error(sim: Simulator) -> None:
    done = status(
        sim, "watch", "browserable", "11111111-1111-4111-8111-000000000002", "--interval", "0.2", "-q"
    )
    assert (done.returncode, done.stdout) == (1, "")


def test_demo_runs_without_keys_or_config(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k and "BASE_URL" not in k}
    env["STATUSCLI_CONFIG"] = str(tmp_path / "absent.toml")
    started = time.monotonic()
    done = run_status(["demo", "--interval", "0.5"], env, timeout=90)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr  # the demo scenario has failing tasks
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("10 tasks in ")
    assert "6 succeeded, 3 failed, 1 cancelled (exit 1)" in lines[-1]
    assert any("demo-flaky starting -> retrying" in line for line in lines)
    assert any("-> waiting-for-input" in line for line in lines)
    assert "\x1b" not in done.stdout
    assert done.stderr.startswith("Demo: watching 10 simulated tasks on http://127.0.0.1:")
    assert "it ends with the exit code a real watch gives" in done.stderr.splitlines()[0]
    assert elapsed < 45


def test_simulate_prints_exports_and_serves(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(BIN / "status"), "simulate", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in (proc.stdout.readline().strip() for _ in range(2 * len(provider_names())))
        )
        assert exports["ANCHORBROWSER_API_KEY"] == default_keys()["anchor"]
        assert exports["ANCHORBROWSER_BASE_URL"].startswith("http://127.0.0.1:")
        done = run_status(["anchor", "demo-ready", "--json"], dict(os.environ, **exports))
        assert done.returncode == 3
        assert json.loads(done.stdout)["tasks"][0]["status"]["state"] == "generating"
    finally:
        proc.send_signal(2)
        proc.wait(timeout=10)
    assert proc.returncode == 0


@pytest.mark.parametrize("fmt", [["--json"], []])
def test_watch_into_a_closed_pipe_exits_130_quietly(sim: Simulator, fmt: list[str]) -> None:
    env = dict(
        os.environ,
        ANCHORBROWSER_BASE_URL=sim.base_url_for("anchor"),
        ANCHORBROWSER_API_KEY=default_keys()["anchor"],
    )
    proc = subprocess.Popen(
        [str(BIN / "status"), "watch", "anchor", "forever", "quick", "--interval", "0.1", *fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 130
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr


def test_one_shot_table_into_a_pipe_keeps_long_ids_whole(sim: Simulator) -> None:
    """Without COLUMNS, rich would fold a table at 80 columns; a pipe gets whole lines to grep."""
    long_id = "quick-" + "x" * 70  # unknown to the simulator: a 404 row is enough
    env = dict(
        os.environ,
        ANCHORBROWSER_BASE_URL=sim.base_url_for("anchor"),
        ANCHORBROWSER_API_KEY=default_keys()["anchor"],
    )
    env.pop("COLUMNS", None)
    done = run_status(["anchor", "quick", long_id], env)
    assert done.returncode == 5
    assert any(long_id in line and "not found" in line for line in done.stdout.splitlines()), done.stdout
