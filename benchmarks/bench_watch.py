"""Watch at scale: `status watch --file FILE --interval 2 --json` with 10, 100 and 1,000 anchor targets.

    /tmp/dev/bin/python benchmarks/bench_watch.py [--sizes 10,100,1000] [--seconds 60] [--interval 2]

Per size, a fresh benchmark simulator (its own process, 127.0.0.1) serves a scenario where every target
stays `generating` for the whole run except a handful that turn `ready` at known times. The watch runs
as a subprocess for `--seconds` from its first request, then gets SIGINT (it prints its summary and exits
130; `--timeout` is a backstop). Measured:

- polls achieved vs scheduled: achieved = API requests the server saw in the window; scheduled = for
  each target, 1 + (time from its first poll to the end of its watch: its reported `ready`, else SIGINT)
  // interval (a target never polled is owed the whole window);
- lateness: for each target, the gaps between its consecutive polls (server clock) minus the interval;
  the ±10% jitter of the watch alone spreads these over ±0.2 s at 2 s;
- client CPU (/proc/<pid>/stat utime+stime over the window, in cores) and peak RSS (VmHWM);
- TCP connections the client opened (distinct accepted connections that carried its API requests);
- detection latency: the NDJSON `time` of the change to `ready` minus the server's `terminal_at`;
- client CPU per poll, next to the floor: a bare `requests.Session` loop asking the same simulator, in
  a process of its own, measured in the same run.

**Header drip** (`--drip-targets`, 300; `--drip-seconds`, 60; `--skip-drip`, `--drip-only`): a server
(`dripserver.py`, its own process) that sends `HTTP/1.1 200 OK\r\nX-Slow: ` and then a byte every 0.3 s
for as long as the connection stays open. The watch (`[anchor] connect_timeout = 0.2`, `read_timeout =
0.5`, `--interval 0.5`, `--max-failures 100`) cuts each attempt at its 1.2 s deadline. Measured over
the window: the most threads and open descriptors of the client (targets: under 120 and 150), its CPU,
the attempts the server saw, and the connections still open on the server at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    ANCHOR_KEY,
    NEUTRAL_CWD,
    SimServer,
    add_source_option,
    anchor_env,
    clean_env,
    exit_status,
    iso_to_epoch,
    kill_child,
    median,
    percentile,
    print_header,
    proc_cpu_seconds,
    proc_status_kib,
    proc_threads,
    shell_status,
    status_command,
    table,
    use_source,
    verdict,
    verdict_at_least,
    wait_measured,
    workdir,
    write_scenario,
)

POOL_MAX = 32  # statuscli's WatchOptions.workers: the pool is min(32, targets)
TARGET_ACHIEVED = 0.95
TARGET_LATENESS_P95 = 0.5
TARGET_CORES = 1.0
TARGET_RSS_MIB = 120.0
TARGET_DETECTION_SLACK = 0.25


@dataclass
class Run:
    size: int
    interval: float
    ready_ids: list[str]
    window: float = 0.0
    achieved: int = 0
    scheduled: float = 0.0
    naive_scheduled: float = 0.0
    first_poll_spread: float = 0.0
    lateness: list[float] = field(default_factory=list)
    cpu_window: float = float("nan")  # n/a unless measured: a client that died must not PASS
    cpu_total: float = float("nan")
    server_cpu_window: float = float("nan")
    hwm_kib: int = 0
    threads_max: int = 0
    connections: int = 0
    detections: dict[str, float] = field(default_factory=dict)
    undetected: list[str] = field(default_factory=list)
    returncode: int | None = None
    transient_errors: int = 0
    summary: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def ready_plan(size: int, seconds: float) -> list[tuple[int, str, float]]:
    """(position in the file, id, seconds after its first request) for the targets that turn ready."""
    count = max(1, min(5, size // 5))
    return [
        (round((j + 0.5) * size / count), f"ready-{j + 1}", seconds * (j + 1) / (count + 1))
        for j in range(count)
    ]


def build_inputs(tmp: Path, size: int, seconds: float) -> tuple[Path, Path, list[str], list[str]]:
    plan = ready_plan(size, seconds)
    pending_for = max(600.0, seconds * 10)
    scenario = write_scenario(
        tmp / f"scenario-{size}.toml",
        default_anchor=f"generating {pending_for:.0f}s -> ready",
        tasks=[(task_id, f"generating {after:.1f}s -> ready") for _, task_id, after in plan],
    )
    ids = [f"task-{n:05d}" for n in range(size - len(plan))]
    for position, task_id, _ in plan:
        ids.insert(min(position, len(ids)), task_id)
    watch_file = tmp / f"targets-{size}.txt"
    watch_file.write_text("".join(f"anchor {i}\n" for i in ids), encoding="utf-8")
    return scenario, watch_file, [task_id for _, task_id, _ in plan], ids


def measure(tmp: Path, size: int, seconds: float, interval: float) -> Run:
    scenario, watch_file, ready_ids, watched_ids = build_inputs(tmp, size, seconds)
    run = Run(size=size, interval=interval, ready_ids=ready_ids)
    ndjson, errors = tmp / f"watch-{size}.ndjson", tmp / f"watch-{size}.stderr"
    with SimServer(scenario, max_seconds=seconds + 180) as server:
        env = anchor_env(tmp, server.base_url)
        cmd = [
            *status_command(),
            "watch",
            "--file",
            str(watch_file),
            "--interval",
            f"{interval}s",
            "--json",
            "--timeout",
            f"{seconds + 60:.0f}s",
        ]
        with ndjson.open("wb") as out, errors.open("wb") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(
                cmd, env=env, cwd=NEUTRAL_CWD, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
            try:
                first = server.wait_for_requests(1, timeout=30, client=proc)
                if first is None:
                    kill_child(proc)
                    done = wait_measured(proc, started, 30)
                    run.returncode = done.returncode
                    run.problems.append(f"the watch made no request (exit {done.returncode})")
                    text = errors.read_text("utf-8", "replace").strip()
                    if text:
                        run.problems.append("stderr: " + text.splitlines()[-1][:200])
                    return run
                t_first = float(first["first"])
                mono0, cpu0, scpu0 = time.monotonic(), proc_cpu_seconds(proc.pid), server.cpu_seconds()
                end = mono0 + seconds
                while (now := time.monotonic()) < end and exit_status(proc) is None:
                    run.threads_max = max(run.threads_max, proc_threads(proc.pid) or 0)
                    time.sleep(min(0.5, end - now))
                if (early := exit_status(proc)) is not None:
                    run.problems.append(f"the watch ended early (exit {early})")
                cpu1, scpu1 = proc_cpu_seconds(proc.pid), server.cpu_seconds()
                run.hwm_kib = proc_status_kib(proc.pid, "VmHWM") or 0
                mono1, t_int = time.monotonic(), time.time()
                if exit_status(proc) is None:
                    os.kill(proc.pid, signal.SIGINT)
                finished = wait_measured(proc, started, 60)
            except BaseException:
                kill_child(proc)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
                raise
        run.returncode = finished.returncode
        run.cpu_total = finished.cpu
        if cpu0 is not None and cpu1 is not None:
            run.cpu_window = (cpu1 - cpu0) / (mono1 - mono0)
        if scpu0 is not None and scpu1 is not None:
            run.server_cpu_window = (scpu1 - scpu0) / (mono1 - mono0)
        requests = [r for r in server.requests() if t_first <= r[0] <= t_int]
        tasks = {t["id"]: t for t in server.tasks()}

    run.window = t_int - t_first
    reported = read_ndjson(ndjson, run)
    per_task: dict[str, list[float]] = {}
    for when, task_id, _ in requests:
        per_task.setdefault(task_id, []).append(when)
    run.achieved = len(requests)
    run.connections = len({conn for _, _, conn in requests})
    # Scheduled: what a perfect cadence would do from each target's first poll to the end of its
    # watch (its reported `ready`, else SIGINT); a target never polled was owed the whole window.
    for task_id in watched_ids:
        times = sorted(per_task.get(task_id, []))
        end_of_watch = min(reported.get(task_id, t_int), t_int)
        if times:
            run.scheduled += 1 + math.floor((end_of_watch - times[0]) / interval)
            run.first_poll_spread = max(run.first_poll_spread, times[0] - t_first)
            run.lateness += [b - a - interval for a, b in itertools.pairwise(times)]
        else:
            run.scheduled += 1 + math.floor(run.window / interval)
    run.naive_scheduled = size * run.window / interval
    for task_id in ready_ids:
        terminal_at = tasks.get(task_id, {}).get("terminal_at")
        if task_id in reported and terminal_at is not None:
            run.detections[task_id] = reported[task_id] - float(terminal_at)
        elif terminal_at is not None and float(terminal_at) < t_int - interval:
            run.undetected.append(task_id)
    run.returncode = shell_status(run.returncode)  # it dies by the SIGINT: a shell sees 130
    if run.returncode != 130:
        run.problems.append(f"exit status {run.returncode} after SIGINT (expected 130)")
    if run.summary is None:
        run.problems.append("no NDJSON summary object")
    elif not run.summary.get("interrupted"):
        run.problems.append("the summary does not say interrupted")
    stderr_text = errors.read_text("utf-8", "replace").strip()
    if stderr_text:
        run.problems.append("stderr: " + stderr_text.splitlines()[-1][:200])
    return run


def read_ndjson(path: Path, run: Run) -> dict[str, float]:
    """Epoch time at which the watch reported each target `ready`; also the summary and error count."""
    reported: dict[str, float] = {}
    for line in path.read_text("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            run.problems.append(f"stdout line is not JSON: {line[:80]!r}")
            continue
        if event.get("event") == "summary":
            run.summary = event
        elif event.get("event") == "change":
            if event.get("to") == "ready":
                reported[event["task_id"]] = iso_to_epoch(event["time"])
            elif event.get("to") in ("retrying", "error"):
                run.transient_errors += 1
    return reported


def cpu_per_poll(run: Run) -> float:
    """Milliseconds of client CPU per poll over the window."""
    return run.cpu_window * run.window / run.achieved * 1000 if run.achieved else float("nan")


def report(run: Run) -> str:
    pool = min(POOL_MAX, run.size)
    achieved = run.achieved / run.scheduled if run.scheduled else float("nan")
    p50, p95 = percentile(run.lateness, 50), percentile(run.lateness, 95)
    worst_detection = max(run.detections.values(), default=float("nan"))
    rss_mib = run.hwm_kib / 1024 if run.hwm_kib else float("nan")
    connections = run.connections if run.achieved else float("nan")
    detection_target = run.interval + TARGET_DETECTION_SLACK
    rows = [
        [
            "polls achieved / scheduled",
            f"{run.achieved} / {run.scheduled:.0f} = {achieved:.1%} "
            f"(targets x window / interval: {run.naive_scheduled:.0f})",
            f">= {TARGET_ACHIEVED:.0%}",
            verdict_at_least(achieved, TARGET_ACHIEVED),
        ],
        ["lateness p50 (gap - interval)", f"{p50:+.3f} s", "-", "-"],
        [
            "lateness p95",
            f"{p95:+.3f} s (max {max(run.lateness, default=float('nan')):+.3f})",
            f"<= {TARGET_LATENESS_P95} s",
            verdict(p95, TARGET_LATENESS_P95),
        ],
        [
            "client CPU over the window",
            f"{run.cpu_window:.3f} cores ({run.cpu_total:.1f} s CPU in all)",
            f"<= {TARGET_CORES:.0f} core",
            verdict(run.cpu_window, TARGET_CORES),
        ],
        [
            "client peak RSS (VmHWM)",
            f"{rss_mib:.1f} MiB",
            f"<= {TARGET_RSS_MIB:.0f} MiB",
            verdict(rss_mib, TARGET_RSS_MIB),
        ],
        [
            "TCP connections opened",
            f"{run.connections} (pool {pool})",
            f"<= {2 * pool}",
            verdict(connections, 2 * pool),
        ],
        [
            f"detection latency, worst of {len(run.detections)}",
            f"{worst_detection:.3f} s (median {median(list(run.detections.values())):.3f})",
            f"<= {detection_target:.2f} s",
            verdict(worst_detection, detection_target) if not run.undetected else "MISS",
        ],
        ["(context) first polls spread over", f"{run.first_poll_spread:.2f} s", "-", "-"],
        ["(context) server CPU over the window", f"{run.server_cpu_window:.3f} cores", "-", "-"],
        ["(context) client threads, max", str(run.threads_max), "-", "-"],
        ["(context) retrying/error changes", str(run.transient_errors), "-", "-"],
    ]
    out = [
        f"## {run.size} targets, interval {run.interval:g} s, window {run.window:.1f} s "
        f"(first request to SIGINT), exit {run.returncode}",
        "",
        table(["figure", "measured", "target", "verdict"], rows),
    ]
    if run.undetected:
        out.append(f"not reported ready: {', '.join(run.undetected)}")
    for problem in run.problems:
        out.append(f"problem: {problem}")
    return "\n".join(out)


DRIPSERVER = Path(__file__).resolve().parent / "dripserver.py"
TARGET_DRIP_THREADS = 120
TARGET_DRIP_DESCRIPTORS = 150
DRIP_INTERVAL = 0.5


@dataclass
class Drip:
    targets: int
    window: float = 0.0
    threads_max: int = 0
    descriptors_max: int = 0
    cpu_window: float = float("nan")
    attempts: int = 0
    open_at_end: int = 0
    returncode: int | None = None
    problems: list[str] = field(default_factory=list)


def proc_descriptors(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def drip_counts(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_drip/counts", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def measure_drip(tmp: Path, targets: int, seconds: float) -> Drip:
    run = Drip(targets=targets)
    server = subprocess.Popen(
        [sys.executable, str(DRIPSERVER), "--max-seconds", str(seconds + 180)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        config = tmp / "drip-config.toml"
        config.write_text("[anchor]\nconnect_timeout = 0.2\nread_timeout = 0.5\n", encoding="utf-8")
        config.chmod(0o600)
        watch_file = tmp / "drip-targets.txt"
        watch_file.write_text("".join(f"anchor drip-{n:04d}\n" for n in range(targets)), encoding="utf-8")
        env = anchor_env(tmp, f"http://127.0.0.1:{port}", {"STATUSCLI_CONFIG": str(config)})
        cmd = [*status_command(), "watch", "--file", str(watch_file), "--interval", f"{DRIP_INTERVAL:g}s"]
        # Every attempt times out: without --max-failures each task would give up after five.
        cmd += ["--json", "--timeout", f"{seconds + 60:.0f}s", "--max-failures", "100"]
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=NEUTRAL_CWD,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            while drip_counts(port)["requests"] == 0 and exit_status(proc) is None:
                time.sleep(0.05)
            before = drip_counts(port)["requests"]
            mono0, cpu0 = time.monotonic(), proc_cpu_seconds(proc.pid)
            end = mono0 + seconds
            while (now := time.monotonic()) < end and exit_status(proc) is None:
                run.threads_max = max(run.threads_max, proc_threads(proc.pid) or 0)
                run.descriptors_max = max(run.descriptors_max, proc_descriptors(proc.pid) or 0)
                time.sleep(min(0.25, end - now))
            if (early := exit_status(proc)) is not None:
                run.problems.append(f"the watch ended early (exit {early})")
            cpu1, mono1 = proc_cpu_seconds(proc.pid), time.monotonic()
            run.attempts = drip_counts(port)["requests"] - before
            if exit_status(proc) is None:
                os.kill(proc.pid, signal.SIGINT)
            finished = wait_measured(proc, started, 60)
        except BaseException:
            kill_child(proc)
            raise
        run.window = mono1 - mono0
        if cpu0 is not None and cpu1 is not None:
            run.cpu_window = (cpu1 - cpu0) / run.window
        run.returncode = shell_status(finished.returncode)
        time.sleep(1.0)  # what the client closed, the server has seen closed by now
        run.open_at_end = drip_counts(port)["open"] - 1  # less this query's own connection
        if run.returncode != 130:
            run.problems.append(f"exit status {run.returncode} after SIGINT (expected 130)")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    return run


def drip_report(run: Drip) -> str:
    per_attempt = run.cpu_window * run.window / run.attempts * 1000 if run.attempts else float("nan")
    rows = [
        [
            "client threads, most",
            str(run.threads_max),
            f"< {TARGET_DRIP_THREADS}",
            "PASS" if 0 < run.threads_max < TARGET_DRIP_THREADS else "MISS",
        ],
        [
            "client open descriptors, most",
            str(run.descriptors_max),
            f"< {TARGET_DRIP_DESCRIPTORS}",
            "PASS" if 0 < run.descriptors_max < TARGET_DRIP_DESCRIPTORS else "MISS",
        ],
        ["client CPU over the window", f"{run.cpu_window:.3f} cores", "-", "-"],
        [
            "attempts the server saw (each cut at 1.2 s)",
            f"{run.attempts} ({run.attempts / run.window:.1f}/s)" if run.window else "n/a",
            "-",
            "-",
        ],
        ["(context) client CPU per attempt", f"{per_attempt:.2f} ms", "-", "-"],
        ["(context) connections open on the server after the exit", str(run.open_at_end), "-", "-"],
        ["(context) window, exit status", f"{run.window:.1f} s, {run.returncode}", "-", "-"],
    ]
    out = [
        f"## header drip: {run.targets} targets at {DRIP_INTERVAL:g} s against a server that drips its "
        "response head (a byte every 0.3 s), connect 0.2 s, read 0.5 s",
        "",
        table(["figure", "measured", "target", "verdict"], rows),
    ]
    out += [f"problem: {problem}" for problem in run.problems]
    return "\n".join(out)


FLOOR_PROGRAM = """
import resource, sys, requests
url, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
session = requests.Session()
session.get(url, headers={"anchor-api-key": key}).raise_for_status()
before = resource.getrusage(resource.RUSAGE_SELF)
for _ in range(count):
    session.get(url, headers={"anchor-api-key": key}).raise_for_status()
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(cpu / count * 1000)
"""


def requests_floor(tmp: Path, count: int = 3000) -> float:
    """Milliseconds of CPU per request of a bare `requests.Session` loop against the simulator."""
    scenario = write_scenario(tmp / "scenario-floor.toml", default_anchor="generating 3600s -> ready")
    with SimServer(scenario, max_seconds=300) as server:
        url = f"{server.base_url}/v2/tasks/floor-task/generation-status"
        done = subprocess.run(
            [sys.executable, "-c", FLOOR_PROGRAM, url, ANCHOR_KEY, str(count)],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
            env=clean_env(tmp),
        )
    return float(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated target counts")
    parser.add_argument("--seconds", type=float, default=60.0, help="window per size (default 60)")
    parser.add_argument("--interval", type=float, default=2.0, help="watch --interval in seconds")
    parser.add_argument("--drip-targets", type=int, default=300, help="targets of the header-drip run")
    parser.add_argument("--drip-seconds", type=float, default=60.0, help="window of the header-drip run")
    parser.add_argument("--skip-drip", action="store_true", help="no header-drip run")
    parser.add_argument("--drip-only", action="store_true", help="only the header-drip run")
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1 or max(sizes) > 5000 or not 5 <= args.seconds <= 600:
        parser.error("sizes must be 1..5000 and --seconds 5..600")
    title = f"Watch at scale: sizes {sizes}, {args.seconds:g} s each, interval {args.interval:g} s"
    if not args.skip_drip:
        title += f"; header drip: {args.drip_targets} targets for {args.drip_seconds:g} s"
    print_header(title)
    runs = []
    with workdir("bench-watch-") as tmp:
        if not args.drip_only:
            floor = requests_floor(tmp)
            print(
                f"floor: a bare requests.Session loop over the same simulator: {floor:.3f} ms CPU a request"
            )
            print()
            for size in sizes:
                run = measure(tmp, size, args.seconds, args.interval)
                runs.append(run)
                print(report(run))
                per_poll = cpu_per_poll(run)
                print(f"client CPU per poll: {per_poll:.3f} ms ({per_poll / floor:.2f}x the requests floor)")
                print(flush=True)
        if not args.skip_drip:
            print(drip_report(measure_drip(tmp, args.drip_targets, args.drip_seconds)))
            print(flush=True)
    if not runs:
        return 0
    print("## side by side")
    print()
    headers = ["figure", *(f"{r.size} targets" for r in runs)]
    rows = [
        ["achieved / scheduled", *(f"{r.achieved / r.scheduled:.1%}" if r.scheduled else "-" for r in runs)],
        ["lateness p50", *(f"{percentile(r.lateness, 50):+.3f} s" for r in runs)],
        ["lateness p95", *(f"{percentile(r.lateness, 95):+.3f} s" for r in runs)],
        ["client CPU (cores)", *(f"{r.cpu_window:.3f}" for r in runs)],
        [
            "client CPU per poll / floor",
            *(f"{cpu_per_poll(r) / floor:.2f}x" for r in runs),
        ],
        ["server CPU (cores)", *(f"{r.server_cpu_window:.3f}" for r in runs)],
        ["client peak RSS", *(f"{r.hwm_kib / 1024:.1f} MiB" for r in runs)],
        ["client threads, most", *(str(r.threads_max) for r in runs)],
        ["connections (pool)", *(f"{r.connections} ({min(POOL_MAX, r.size)})" for r in runs)],
        ["detection worst", *(f"{max(r.detections.values(), default=float('nan')):.3f} s" for r in runs)],
    ]
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
