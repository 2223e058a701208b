"""The engine on a bad network: servers that drip their answer or never answer.

Threads and descriptors of a watch stay bounded by its pool whatever the servers do; a provider that
does not answer cannot starve another's tasks (the bulkhead); the Python API leaves no thread behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from statuscli import ApiError, Settings, get_status
from statuscli.errors import ExitCode
from statuscli.pool import Lanes
from statuscli.sim import DEFAULT_KEYS, Simulator, load_scenario

from . import rawhttp
from .conftest import CliRunner

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
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", DEFAULT_KEYS["anchor"])
        monkeypatch.setenv("BROWSERABLE_BASE_URL", sim.browserable_base_url)
        monkeypatch.setenv("BROWSERABLE_API_KEY", DEFAULT_KEYS["browserable"])
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


@pytest.mark.skipif(not LINUX_PROC, reason="reads a process's threads and descriptors from /proc")
def test_a_watch_of_dripping_servers_keeps_threads_and_descriptors_bounded(tmp_path: Path) -> None:
    """60 targets whose server drips its response head a byte every 0.2 s, polled every 0.5 s with a
    1.2 s deadline per attempt, for 8 s (hundreds of polls): the installed `status watch` never runs
    more threads than its pool (32) and a few of its own, nor holds more sockets than the pool may."""
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"anchor t{n}\n" for n in range(60)))
    config = tmp_path / "config.toml"
    config.write_text("[anchor]\nconnect_timeout = 0.2\nread_timeout = 0.5\n")
    config.chmod(0o600)
    with rawhttp.RawServer(rawhttp.drip_headers, backlog=256) as server:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("ANCHOR", "BROWSERABLE", "STATUSCLI"))
        }
        env.update(
            ANCHORBROWSER_BASE_URL=server.url,
            ANCHORBROWSER_API_KEY="k" * 24,
            STATUSCLI_CONFIG=str(config),
            XDG_STATE_HOME=str(tmp_path / "state"),
            NO_PROXY="*",
        )
        proc = subprocess.Popen(
            [
                str(BIN / "status"),
                "watch",
                "--file",
                str(targets),
                "--interval",
                "0.5",
                "--timeout",
                "8s",
                "--json",
            ],
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
