"""The engine on a bad network: servers that drip their answer or never answer.

Threads and descriptors of a watch stay bounded by its pool whatever the servers do; a provider that
does not answer cannot starve another's tasks (the bulkhead); the Python API leaves no thread behind.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from statuscli import ApiError, Settings, get_status
from statuscli.core.errors import ExitCode
from statuscli.engine.pool import Lanes
from statuscli.sim import Simulator, default_keys, load_scenario
from tests import rawhttp
from tests.conftest import CliRunner

BIN = Path(sys.executable).parent
LINUX_PROC = Path("/proc/self/status").exists()


def client_threads() -> list[str]:
    """The names of the threads statuscli runs in this process (the servers' own are left out)."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("statuscli"))


# ---- the bulkhead ---------------------------------------------------------------------------------


def test_one_provider_holds_at_most_the_pool_less_a_reserve_for_each_other() -> None:
    lanes = Lanes(32)
    lanes.watched("anchor", 100)
    assert lanes.limit("anchor") == 32  # alone: the whole pool
    lanes.watched("browserable", 3)
    assert lanes.limit("anchor") == 24  # 8 kept for browserable
    assert lanes.limit("browserable") == 24
    for _ in range(24):
        assert lanes.room("anchor")
        lanes.sent("anchor")
    assert not lanes.room("anchor")  # anchor's lane is full...
    assert lanes.room("browserable")  # ... browserable's polls still go out
    lanes.watched("browserable", -3)  # browserable is done: anchor may use the whole pool again
    assert lanes.room("anchor")
    small = Lanes(2)
    small.watched("anchor", 1)
    small.watched("browserable", 1)
    assert (small.limit("anchor"), small.limit("browserable")) == (1, 1)
    assert Lanes(None).room("anchor")  # inline (tests): no limit


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts connections and never answers (the kernel's backlog holds them)."""
    with socket.create_server(("127.0.0.1", 0), backlog=512) as listener:
        yield int(listener.getsockname()[1])


BROWSERABLE = [f"11111111-1111-4111-8111-00000000000{n}" for n in range(1, 4)]


def test_a_silent_provider_does_not_starve_a_live_one(
    cli: CliRunner,
    tmp_path: Path,
    silent: int,
    monkeypatch: pytest.MonkeyPatch,
    config_file: Callable[[str], Path],
) -> None:
    """100 Anchor tasks whose server never answers (each poll holds a worker for 10 s) and 3 Browserable
    tasks whose server answers at once: the Browserable tasks are followed to their end while every
    Anchor poll still hangs."""
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        "".join(
            f'[[task]]\nprovider = "browserable"\nid = "{task}"\ntimeline = "running 0.5s -> completed"\n\n'
            for task in BROWSERABLE
        )
    )
    targets = tmp_path / "targets.txt"
    targets.write_text(
        "".join(f"anchor t{n}\n" for n in range(100)) + "".join(f"browserable {t}\n" for t in BROWSERABLE)
    )
    config_file("[anchor]\nconnect_timeout = 5\nread_timeout = 5\n")
    with Simulator(load_scenario(scenario)) as sim:
        monkeypatch.setenv("ANCHORBROWSER_BASE_URL", f"http://127.0.0.1:{silent}")
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", default_keys()["anchor"])
        monkeypatch.setenv("BROWSERABLE_BASE_URL", sim.base_url_for("browserable"))
        monkeypatch.setenv("BROWSERABLE_API_KEY", default_keys()["browserable"])
        result = cli("watch", "--file", str(targets), "--interval", "0.2", "--timeout", "5s", "--json")
    assert result.exit_code == ExitCode.DEADLINE
    summary = json.loads(result.stdout.splitlines()[-1])
    outcomes = {t["task_id"]: t["outcome"] for t in summary["tasks"]}
    assert {outcomes[t] for t in BROWSERABLE} == {"success"}
    assert {outcomes[f"t{n}"] for n in range(100)} == {"timed out"}


# ---- threads and descriptors ----------------------------------------------------------------------


def test_the_api_leaves_no_thread_behind() -> None:
    """Ten `get_status` calls that each end with a timeout (the server drips its headers forever): once
    each call has returned, no thread of statuscli is left running."""
    with rawhttp.RawServer(rawhttp.drip_headers, backlog=64) as server:
        settings = {
            "anchor": Settings(
                api_key="k" * 24, base_url=server.url, connect_timeout=0.2, read_timeout=0.2, retries=0
            )
        }
        for _ in range(10):
            with pytest.raises(ApiError) as caught:
                get_status("anchor", "t1", settings=settings)
            assert caught.value.code == "timeout"
            assert client_threads() == []


def proc_figures(pid: int) -> tuple[int, int] | None:
    """(threads, open descriptors) of a process, from /proc; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, ValueError):
        return None
    threads = int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])
    return threads, descriptors


def drip_watch(tmp_path: Path, url: str, count: int) -> tuple[Path, dict[str, str]]:
    """A watch file of `count` anchor targets, and the environment that points them at `url` with an
    attempt deadline of 1.2 s (connect 0.2 s, read 0.5 s)."""
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"anchor t{n}\n" for n in range(count)))
    config = tmp_path / "config.toml"
    config.write_text("[anchor]\nconnect_timeout = 0.2\nread_timeout = 0.5\n")
    config.chmod(0o600)
    mine = ("ANCHOR", "BROWSERABLE", "STATUSCLI")
    env = {k: v for k, v in os.environ.items() if not k.startswith(mine)}
    env.update(
        ANCHORBROWSER_BASE_URL=url,
        ANCHORBROWSER_API_KEY="k" * 24,
        STATUSCLI_CONFIG=str(config),
        XDG_STATE_HOME=str(tmp_path / "state"),
        NO_PROXY="*",
    )
    return targets, env


@pytest.mark.skipif(not LINUX_PROC, reason="reads a process's threads and descriptors from /proc")
def test_a_watch_of_dripping_servers_keeps_threads_and_descriptors_bounded(tmp_path: Path) -> None:
    """60 targets whose server drips its response head a byte every 0.2 s, polled every 0.5 s with a
    1.2 s deadline per attempt, for 8 s (hundreds of polls): the installed `status watch` never runs
    more threads than its pool (32) and a few of its own, nor holds more sockets than the pool may."""
    with rawhttp.RawServer(rawhttp.drip_headers, backlog=256) as server:
        targets, env = drip_watch(tmp_path, server.url, 60)
        proc = subprocess.Popen(
            [str(BIN / "status"), "watch", "--file", str(targets), "-i", "0.5", "--timeout", "8s", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak = (0, 0)
        while proc.poll() is None:
            figures = proc_figures(proc.pid)
            if figures is not None:
                peak = (max(peak[0], figures[0]), max(peak[1], figures[1]))
            time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
        polls = len(server.requests)
    assert proc.returncode == ExitCode.DEADLINE, err
    assert polls >= 150  # hundreds of attempts, each cut at its deadline
    threads, descriptors = peak
    assert threads <= 32 + 8, f"{threads} threads"
    assert descriptors <= 2 * 32 + 16, f"{descriptors} descriptors"
    summary = json.loads(out.splitlines()[-1])
    assert {t["outcome"] for t in summary["tasks"]} == {"timed out"}


# ---- limits of the system ---------------------------------------------------------------------------


def test_a_thread_the_system_refuses_is_a_clear_error_not_an_internal_one(
    anchor_api: HTTPServer, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`can't start new thread` (a memory or thread limit) ends the command with exit 6 and a line that
    says so, never as an internal error (exit 70)."""
    start = threading.Thread.start

    def refuse(self: threading.Thread) -> None:
        if self.name.startswith("statuscli"):
            raise RuntimeError("can't start new thread")
        start(self)

    monkeypatch.setattr(threading.Thread, "start", refuse)
    result = cli("anchor", "T1")
    assert result.exit_code == ExitCode.API
    assert result.stderr.startswith("error: cannot start a thread to poll: can't start new thread")
    assert "internal error" not in result.stderr


def test_a_pool_smaller_than_asked_still_polls_every_target(
    anchor_api: HTTPServer, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the system refuses some of the workers, the watch goes on with those it got."""
    anchor_api.expect_request(re.compile(r"/v2/tasks/T\d/generation-status")).respond_with_json(
        {"id": "T", "status": "ready"}
    )
    start = threading.Thread.start
    started: list[str] = []

    def refuse_after_two(self: threading.Thread) -> None:
        if self.name.startswith("statuscli-poll-") and len(started) >= 2:
            raise RuntimeError("can't start new thread")
        started.append(self.name)
        start(self)

    monkeypatch.setattr(threading.Thread, "start", refuse_after_two)
    result = cli("watch", "anchor", "T1", "T2", "T3", "T4", "T5", "--interval", "0.1", "--json")
    assert result.exit_code == ExitCode.SUCCESS, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["counts"]["success"] == 5


@pytest.mark.skipif(not LINUX_PROC, reason="runs the installed command under bash's ulimit")
def test_a_low_descriptor_limit_ends_the_watch_normally(tmp_path: Path) -> None:
    """Under `ulimit -n 40` a watch of 60 dripping targets has fewer descriptors than its pool could
    use: the attempts that cannot get a socket fail as network errors and are asked again; the watch
    ends at its deadline (124), never with a crash (134) or an internal error (70)."""
    with rawhttp.RawServer(rawhttp.drip_headers, backlog=256) as server:
        targets, env = drip_watch(tmp_path, server.url, 60)
        watch = f'"{BIN / "status"}" watch --file "{targets}" -i 0.5 --timeout 5s --json --max-failures 100'
        done = subprocess.run(
            ["bash", "-c", f"ulimit -n 40 && exec {watch}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == ExitCode.DEADLINE, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert {t["outcome"] for t in summary["tasks"]} == {"timed out"}
