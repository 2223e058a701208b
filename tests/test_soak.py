"""Soak: 200 targets watched for about a minute through the simulator with 10% random faults.

Every target must end in the final state of its timeline, the summary must list all of them, and the
process' peak memory must stay bounded. Deselect with `-m "not soak"`.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

TASKS = 200
#: Generous for a CPython process with requests and rich loaded (about 45-60 MiB in practice).
MAX_RSS_KIB = 150 * 1024


def timelines(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(provider, id, timeline, final state) for half Anchor, half Browserable tasks, about 1 in 5 failing."""
    tasks: list[tuple[str, str, str, str]] = []
    for n in range(TASKS // 2):
        final = "failed" if rng.random() < 0.2 else "ready"
        first, second = rng.uniform(0.5, 45), rng.uniform(0.2, 10)
        steps = f"generating {first:.1f}s -> waiting-for-session {second:.1f}s -> {final}"
        tasks.append(("anchor", f"soak-anchor-{n:03d}", steps, final))
    for _ in range(TASKS // 2):
        final = "error" if rng.random() < 0.2 else "completed"
        wait, run = rng.uniform(0.2, 10), rng.uniform(0.5, 45)
        steps = f"none {wait:.1f}s -> scheduled 0.5s -> running {run:.1f}s -> {final}"
        tasks.append(("browserable", str(uuid.UUID(int=rng.getrandbits(128), version=4)), steps, final))
    return tasks


def _proc_status_kib(pid: int, field: str) -> int:
    """A memory field of /proc/PID/status in KiB (0 once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def peak_rss_kib(pid: int) -> int:
    """VmHWM: the kernel's high-water mark of the resident set."""
    return _proc_status_kib(pid, "VmHWM")


def rss_kib(pid: int) -> int:
    return _proc_status_kib(pid, "VmRSS")


@pytest.mark.soak
def test_soak_200_targets_with_random_faults(tmp_path: Path) -> None:
    simulator: Any = pytest.importorskip("statuscli.sim")
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the peak RSS")
    rng = random.Random(20261123)
    tasks = timelines(rng)
    scenario = simulator.Scenario(
        tasks=tuple(
            simulator.SimTask(provider, task_id, simulator.parse_timeline(steps, provider=provider))
            for provider, task_id, steps, _ in tasks
        ),
        fault_rate=0.1,
        fault_seed=7,
        # Server errors, resets and 429s (2% of all answers, whatever the load: a background share
        # the request budget must ride out without slowing the provider down), which each task
        # rides out alone.
        random_faults=("!500", "!502", "!504", "!reset", "!429"),
    )
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"{provider} {task_id}\n" for provider, task_id, _, _ in tasks))
    sim = simulator.Simulator(scenario, port=0)
    sim.start()
    try:
        env = dict(os.environ)
        env.update(
            ANCHORBROWSER_BASE_URL=sim.base_url_for("anchor"),
            BROWSERABLE_BASE_URL=sim.base_url_for("browserable"),
            ANCHORBROWSER_API_KEY=simulator.default_keys()["anchor"],
            BROWSERABLE_API_KEY=simulator.default_keys()["browserable"],
            STATUSCLI_CONFIG=str(tmp_path / "config.toml"),
        )
        command = [sys.executable, "-m", "statuscli", "watch", "--file", str(targets), "--json"]
        # 10 failures in a row at a 10% fault rate: about 1e-10 per poll, never in practice.
        command += ["--interval", "0.5", "--timeout", "75", "--max-failures", "10"]
        out_path, err_path = tmp_path / "stdout.ndjson", tmp_path / "stderr.txt"
        started = time.monotonic()
        # Output goes to files, not pipes: a full pipe would block the watch and fake a hang.
        with out_path.open("w") as out, err_path.open("w") as err:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
            peak = 0
            rss: list[tuple[float, int]] = []  # (seconds since start, VmRSS KiB) once warmed up
            try:
                # Sample while it runs; VmHWM is the kernel's own high-water mark, so no peak is missed.
                while process.poll() is None and time.monotonic() - started < 140:
                    peak = max(peak, peak_rss_kib(process.pid))
                    now = time.monotonic() - started
                    if now > 10:
                        rss.append((now, rss_kib(process.pid)))
                    time.sleep(0.2)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait(timeout=30)
        stdout, stderr = out_path.read_text(), err_path.read_text()
        elapsed = time.monotonic() - started
    finally:
        sim.stop()

    assert "Traceback" not in stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    summary = events[-1]
    assert summary["event"] == "summary", stderr
    expected_code = 1 if any(final in ("failed", "error") for *_, final in tasks) else 0
    assert process.returncode == expected_code, stderr
    assert summary["exit_code"] == expected_code
    assert not summary["interrupted"]
    assert 45 < elapsed < 80  # about a minute of watching

    by_target = {(t["provider"], t["task_id"]): t for t in summary["tasks"]}
    assert len(summary["tasks"]) == TASKS
    assert len(by_target) == TASKS  # nothing lost, nothing doubled
    wrong = []
    for provider, task_id, _, final in tasks:
        outcome = "failure" if final in ("failed", "error") else "success"
        seen = by_target[(provider, task_id)]
        # A failed task's error carries the provider's reason (code task_failed); a success has none.
        reason = "task_failed" if outcome == "failure" else None
        if (seen["state"], seen["outcome"], (seen["error"] or {}).get("code")) != (final, outcome, reason):
            wrong.append((provider, task_id, final, seen))
    assert wrong == []
    # Random faults happened and were ridden out (a transient error shows as "retrying" first).
    assert any(e.get("to") == "retrying" for e in events[:-1])
    assert stderr == ""
    print(f"soak: {TASKS} targets in {elapsed:.1f} s, {len(events) - 1} changes, peak RSS {peak} KiB")
    assert 0 < peak < MAX_RSS_KIB, f"peak RSS {peak} KiB"
    # Flat memory: after warm-up, the resident set grows by less than 10 MiB over the rest of the run.
    samples = [kib for _, kib in rss if kib]
    assert len(samples) > 50
    assert max(samples[len(samples) // 2 :]) - samples[0] < 10 * 1024, samples[:: max(1, len(samples) // 20)]
