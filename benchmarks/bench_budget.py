"""The request budget: `status watch` against a rate-limited simulator, with the budget and without it.

    /tmp/dev/bin/python benchmarks/bench_budget.py [--targets 1000] [--duration 120] [--rate 50]
        [--quota-targets 100] [--quota-duration 300] [--skip-quota] [--skip-unbudgeted]

**Budget run.** `--targets` anchor targets watched at `--interval 2s` (`--json`) against the benchmark
simulator (its own process) whose scenario has `[limits.anchor] rate = R, burst = R` (`--rate`,
default 50). Every target stays `generating` except 1 in 20, which turn `ready` at known times spread
over the run. The watch runs for `--duration` seconds from its first request, then gets SIGINT. The same
run is repeated with the budget switched off (`STATUSCLI_BENCH_NO_BUDGET=1`, a benchmark-only switch:
today's per-task backoff, each task honouring only its own `Retry-After`), so both are measured on the
same machine, side by side. Measured, on the server's clock:

- share of answers that are 429, after the first 10 s (target <= 1%);
- requests sent as a share of the server's budget (R x seconds) after the first 10 s (>= 90%);
- the longest gap between two polls of one task, an unfinished task's last poll to SIGINT included
  (<= 1.5 x targets / R);
- detection latency: the NDJSON `time` of the change to `ready` minus the simulator's `terminal_at`,
  p95 (<= targets / R + 2 s);
- client CPU (cores over the run) and peak RSS (VmHWM), as in bench_watch.py.

**Quota run.** `--quota-targets` (100) targets with `--max-rate 3600/h` for `--quota-duration` (300 s)
against a simulator limited to 1 request a second (burst 2) and 3,600 an hour: zero 429s, and never more
than 2 requests in any 1 s window (polls spread evenly).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BROWSERABLE_KEY,
    NEUTRAL_CWD,
    SimServer,
    add_source_option,
    anchor_env,
    exit_status,
    iso_to_epoch,
    kill_child,
    percentile,
    print_header,
    proc_cpu_seconds,
    proc_status_kib,
    shell_status,
    status_command,
    table,
    use_source,
    verdict,
    verdict_at_least,
    wait_measured,
    workdir,
)

#: The benchmark-only switch the engine reads (statuscli.engine.budget.DISABLED_ENV).
NO_BUDGET_ENV = "STATUSCLI_BENCH_NO_BUDGET"
WARMUP = 10.0
TARGET_429_SHARE = 0.01
TARGET_BUDGET_SHARE = 0.90
GAP_FACTOR = 1.5
DETECTION_SLACK = 2.0
QUOTA_MAX_PER_SECOND = 2


@dataclass
class Run:
    label: str
    targets: int
    rate: float
    window: float = 0.0
    requests_after_warmup: int = 0
    too_many_after_warmup: int = 0
    requests: int = 0
    too_many: int = 0
    longest_gap: float = float("nan")
    longest_gap_task: str = ""
    never_polled: int = 0
    detections: list[float] = field(default_factory=list)
    undetected: int = 0
    cpu_window: float = float("nan")
    hwm_kib: int = 0
    returncode: int | None = None
    throttle_events: int = 0
    max_in_one_second: int = 0
    #: Each request's time on the server clock, from the first request.
    times: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def rate_between(self, start: float, end: float) -> float:
        """Requests per second the server saw between `start` and `end` s after the first request."""
        return sum(1 for t in self.times if start <= t < end) / (end - start) if end > start else float("nan")

    @property
    def share_429(self) -> float:
        return (
            self.too_many_after_warmup / self.requests_after_warmup
            if self.requests_after_warmup
            else float("nan")
        )

    @property
    def budget_share(self) -> float:
        span = self.window - WARMUP
        return self.requests_after_warmup / (self.rate * span) if span > 0 else float("nan")


def scenario_text(
    targets: int, duration: float, *, rate: float, burst: float | None, per_hour: int | None
) -> tuple[str, list[str], list[str]]:
    """The scenario, the ids watched (in file order) and the ids that turn ready during the run."""
    ready = [f"ready-{n:03d}" for n in range(max(1, targets // 20))]
    pending_for = max(3600.0, duration * 10)
    lines = []
    # Early enough to be seen before SIGINT: a task's first poll may come a round (targets / rate) late.
    span = max(1.0, duration - WARMUP - 3 * targets / rate)
    for n, task_id in enumerate(ready):
        after = WARMUP + span * (n + 0.5) / len(ready)
        lines += [
            "[[task]]",
            'provider = "anchor"',
            f'id = "{task_id}"',
            f'timeline = "generating {after:.1f}s -> ready"',
            "",
        ]
    lines += ["[defaults]", f'anchor = "generating {pending_for:.0f}s -> ready"', ""]
    if burst is not None:  # else no limit: the rate only says how often the targets ask
        lines += ["[limits.anchor]", f"rate = {rate:g}", f"burst = {burst:g}"]
    if per_hour is not None:
        lines.append(f"per_hour = {per_hour}")
    ids = [f"task-{n:05d}" for n in range(targets - len(ready))]
    for n, task_id in enumerate(ready):
        ids.insert(round((n + 0.5) * targets / len(ready)), task_id)
    return "\n".join(lines) + "\n", ids[:targets], ready


def measure(
    tmp: Path,
    label: str,
    targets: int,
    duration: float,
    *,
    rate: float,
    burst: float | None,
    per_hour: int | None = None,
    extra_args: tuple[str, ...] = (),
    budget: bool = True,
    interval: float = 2.0,
    refuse_share: float = 0.0,
) -> Run:
    text, ids, ready_ids = scenario_text(targets, duration, rate=rate, burst=burst, per_hour=per_hour)
    slug = label.replace(" ", "-")
    scenario = tmp / f"scenario-{slug}.toml"
    scenario.write_text(text, encoding="utf-8")
    watch_file = tmp / f"targets-{slug}.txt"
    watch_file.write_text("".join(f"anchor {i}\n" for i in ids), encoding="utf-8")
    run = Run(label=label, targets=targets, rate=rate)
    ndjson, errors = tmp / f"watch-{slug}.ndjson", tmp / f"watch-{slug}.stderr"
    with SimServer(scenario, max_seconds=duration + 180, refuse_share=refuse_share) as server:
        env = anchor_env(tmp, server.base_url, None if budget else {NO_BUDGET_ENV: "1"})
        cmd = [
            *status_command(),
            "watch",
            "--file",
            str(watch_file),
            "--interval",
            f"{interval:g}s",
            "--json",
            "--timeout",
            f"{duration + 60:.0f}s",
            *extra_args,
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
                    run.returncode = wait_measured(proc, started, 30).returncode
                    run.problems.append(f"the watch made no request (exit {run.returncode})")
                    return run
                t_first = float(first["first"])
                mono0, cpu0 = time.monotonic(), proc_cpu_seconds(proc.pid)
                end = mono0 + duration
                while (now := time.monotonic()) < end and exit_status(proc) is None:
                    time.sleep(min(0.5, end - now))
                if (early := exit_status(proc)) is not None:
                    run.problems.append(f"the watch ended early (exit {early})")
                cpu1 = proc_cpu_seconds(proc.pid)
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
        if cpu0 is not None and cpu1 is not None:
            run.cpu_window = (cpu1 - cpu0) / (mono1 - mono0)
        answers = [a for a in server.get("/_bench/answers") if t_first <= float(a[0]) <= t_int]
        tasks = {t["id"]: t for t in server.tasks()}
    run.window = t_int - t_first
    reported = read_ndjson(ndjson, run)
    run.requests = len(answers)
    run.times = sorted(float(a[0]) - t_first for a in answers)
    run.too_many = sum(1 for a in answers if a[3] == 429)
    late = [a for a in answers if float(a[0]) >= t_first + WARMUP]
    run.requests_after_warmup = len(late)
    run.too_many_after_warmup = sum(1 for a in late if a[3] == 429)
    per_task: dict[str, list[float]] = {}
    for when, task_id, _conn, _status in answers:
        per_task.setdefault(task_id, []).append(float(when))
    longest, longest_task = 0.0, ""
    for task_id in ids:
        times = sorted(per_task.get(task_id, []))
        if not times:
            run.never_polled += 1
            continue
        ends = [] if task_id in reported else [t_int]  # a task still watched: its open gap counts
        for a, b in itertools.pairwise([*times, *ends]):
            if b - a > longest:
                longest, longest_task = b - a, task_id
    run.longest_gap, run.longest_gap_task = longest, longest_task
    if run.never_polled:
        run.longest_gap = max(run.longest_gap, run.window)
    times_sorted = sorted(float(a[0]) for a in answers)
    start = 0
    for stop, when in enumerate(times_sorted):  # the most requests in any 1 s window
        while when - times_sorted[start] >= 1.0:
            start += 1
        run.max_in_one_second = max(run.max_in_one_second, stop - start + 1)
    for task_id in ready_ids:
        terminal_at = tasks.get(task_id, {}).get("terminal_at")
        if terminal_at is None:
            continue
        if task_id in reported:
            run.detections.append(reported[task_id] - float(terminal_at))
        elif float(terminal_at) < t_int - GAP_FACTOR * targets / rate:  # it had its fair turn and more
            run.undetected += 1
    run.returncode = shell_status(run.returncode)  # it dies by the SIGINT: a shell sees 130
    if run.returncode != 130:
        run.problems.append(f"exit status {run.returncode} after SIGINT (expected 130)")
    stderr_lines = [
        line for line in errors.read_text("utf-8", "replace").splitlines() if line.startswith("error:")
    ]
    if stderr_lines:
        run.problems.append(f"{len(stderr_lines)} error lines on stderr, e.g. {stderr_lines[0][:160]}")
    return run


def read_ndjson(path: Path, run: Run) -> dict[str, float]:
    reported: dict[str, float] = {}
    for line in path.read_text("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            run.problems.append(f"stdout line is not JSON: {line[:80]!r}")
            continue
        if event.get("event") == "throttle":
            run.throttle_events += 1
        elif event.get("event") == "change" and event.get("to") == "ready":
            reported[event["task_id"]] = iso_to_epoch(event["time"])
    return reported


def budget_rows(runs: list[Run]) -> list[list[str]]:
    fair = runs[0].targets / runs[0].rate
    main = runs[0]

    def each(fn: Any) -> list[str]:
        return [fn(r) for r in runs]

    p95 = [percentile(r.detections, 95) for r in runs]
    return [
        [
            "429 share after the first 10 s",
            *each(lambda r: f"{r.share_429:.2%} ({r.too_many_after_warmup} of {r.requests_after_warmup})"),
            f"<= {TARGET_429_SHARE:.0%}",
            verdict(main.share_429, TARGET_429_SHARE),
        ],
        [
            "requests / server budget after 10 s",
            *each(lambda r: f"{r.budget_share:.1%}"),
            f">= {TARGET_BUDGET_SHARE:.0%}",
            verdict_at_least(main.budget_share, TARGET_BUDGET_SHARE),
        ],
        [
            "longest gap between polls of one task",
            *each(lambda r: f"{r.longest_gap:.1f} s ({r.never_polled} never polled)"),
            f"<= {GAP_FACTOR * fair:.1f} s",
            verdict(main.longest_gap, GAP_FACTOR * fair),
        ],
        [
            "detection latency p95",
            *[
                f"{v:.2f} s ({len(r.detections)} seen, {r.undetected} missed)"
                for v, r in zip(p95, runs, strict=True)
            ],
            f"<= {fair + DETECTION_SLACK:.1f} s",
            verdict(p95[0], fair + DETECTION_SLACK) if not main.undetected else "MISS",
        ],
        ["client CPU over the run", *each(lambda r: f"{r.cpu_window:.3f} cores"), "-", "-"],
        ["client peak RSS (VmHWM)", *each(lambda r: f"{r.hwm_kib / 1024:.1f} MiB"), "-", "-"],
        ["(context) requests, 429s in all", *each(lambda r: f"{r.requests}, {r.too_many}"), "-", "-"],
        ["(context) throttle events", *each(lambda r: str(r.throttle_events)), "-", "-"],
        ["(context) window, exit code", *each(lambda r: f"{r.window:.1f} s, {r.returncode}"), "-", "-"],
    ]


SHARES = (0.01, 0.03, 0.10)
TARGET_SHARE_RATE = 0.60
AIM_SHARE_RATE = 0.90
LATE = 30.0


def share_rows(runs: list[Run], interval: float) -> list[list[str]]:
    """Figures of the fixed-share runs, one column per share."""
    wanted = runs[0].targets / interval
    span = min(LATE, runs[0].window - WARMUP)
    late = [r.rate_between(r.window - span, r.window) / wanted for r in runs]
    rows = [
        [
            "requests / wanted after 10 s",
            *(f"{r.budget_share:.1%} ({r.budget_share * wanted:.1f}/s)" for r in runs),
            f">= {TARGET_SHARE_RATE:.0%} (aim {AIM_SHARE_RATE:.0%})",
            "PASS" if all(r.budget_share >= TARGET_SHARE_RATE for r in runs) else "MISS",
        ],
        [
            f"requests / wanted in the last {span:.0f} s",
            *(f"{share:.1%}" for share in late),
            f">= {TARGET_SHARE_RATE:.0%}",
            "PASS" if all(share >= TARGET_SHARE_RATE for share in late) else "MISS",
        ],
        ["429 share after 10 s (the server's)", *(f"{r.share_429:.2%}" for r in runs), "-", "-"],
        ["(context) throttle events", *(str(r.throttle_events) for r in runs), "-", "-"],
        ["client CPU over the run", *(f"{r.cpu_window:.3f} cores" for r in runs), "-", "-"],
        ["(context) window, exit status", *(f"{r.window:.1f} s, {r.returncode}" for r in runs), "-", "-"],
    ]
    return rows


@dataclass
class Live:
    """When the watch reported each live task done, in seconds from its start."""

    label: str
    done: dict[str, float] = field(default_factory=dict)
    polls: int = 0
    returncode: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def last(self) -> float:
        return max(self.done.values(), default=float("nan"))


LIVE_TIMELINE = "running 2s -> completed"
SILENT_TIMEOUT = 40.0
TARGET_SILENT_RATIO = 1.25


def measure_live(tmp: Path, label: str, live: int, silent: int, silent_port: int | None) -> Live:
    """`live` Browserable tasks (each done 2 s after its first poll) watched alone (silent = 0) or next to
    `silent` Anchor tasks whose server never answers: when was each live task reported done?"""
    ids = [f"11111111-1111-4111-8111-{n:012d}" for n in range(1, live + 1)]
    scenario = tmp / f"scenario-{label.replace(' ', '-')}.toml"
    task = '[[task]]\nprovider = "browserable"\nid = "{}"\ntimeline = "' + LIVE_TIMELINE + '"\n\n'
    scenario.write_text("".join(task.format(i) for i in ids))
    watch_file = tmp / f"targets-{label.replace(' ', '-')}.txt"
    lines = [f"anchor silent-{n:03d}\n" for n in range(silent)] + [f"browserable {i}\n" for i in ids]
    watch_file.write_text("".join(lines))
    result = Live(label)
    with SimServer(scenario, max_seconds=SILENT_TIMEOUT + 120) as server:
        env = anchor_env(
            tmp,
            f"http://127.0.0.1:{silent_port or 9}",
            {"BROWSERABLE_BASE_URL": server.base_url + "/api/v1", "BROWSERABLE_API_KEY": BROWSERABLE_KEY},
        )
        cmd = [*status_command(), "watch", "--file", str(watch_file), "--interval", "0.5s", "--json"]
        cmd += ["--timeout", f"{SILENT_TIMEOUT:g}s"]
        started = time.time()
        quiet = subprocess.DEVNULL
        pipe = subprocess.PIPE
        proc = subprocess.Popen(cmd, env=env, cwd=NEUTRAL_CWD, stdin=quiet, stdout=pipe, stderr=quiet)
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                event = json.loads(raw)
                if event.get("event") == "change" and event.get("to") == "completed":
                    result.done[event["task_id"]] = iso_to_epoch(event["time"]) - started
                if silent and len(result.done) == live and proc.poll() is None:
                    os.kill(proc.pid, signal.SIGINT)  # the silent tasks would wait for the timeout
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        result.returncode = shell_status(proc.returncode)
        result.polls = server.get("/_bench/counters")["browserable"]["requests"]
    if len(result.done) < live:
        result.problems.append(f"only {len(result.done)} of {live} live tasks reported done")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000, help="targets in the budget run (default 1000)")
    parser.add_argument(
        "--duration", type=float, default=120.0, help="seconds of the budget run (default 120)"
    )
    parser.add_argument(
        "--rate", type=float, default=50.0, help="the simulator's limit, requests/s (burst the same)"
    )
    parser.add_argument("--quota-targets", type=int, default=100)
    parser.add_argument("--quota-duration", type=float, default=300.0)
    parser.add_argument("--skip-quota", action="store_true", help="no quota run")
    parser.add_argument("--share-targets", type=int, default=100, help="targets of the fixed-share runs")
    parser.add_argument("--share-duration", type=float, default=90.0, help="seconds of each fixed-share run")
    parser.add_argument("--skip-share", action="store_true", help="no fixed-share runs")
    parser.add_argument("--silent-targets", type=int, default=100, help="tasks of the silent provider")
    parser.add_argument("--skip-silent", action="store_true", help="no silent-provider run")
    parser.add_argument("--skip-budget", action="store_true", help="no budget run (nor its side-by-side)")
    parser.add_argument(
        "--skip-unbudgeted", action="store_true", help="no side-by-side run without the budget"
    )
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    if (
        not 10 <= args.targets <= 5000
        or not 15 <= args.duration <= 900
        or not 10 <= args.quota_duration <= 3600
    ):
        parser.error("--targets 10..5000, --duration 15..900, --quota-duration 10..3600")
    print_header(
        f"Request budget: {args.targets} targets at 2 s against {args.rate:g}/s for {args.duration:g} s; "
        f"quota run: {args.quota_targets} targets at --max-rate 3600/h for {args.quota_duration:g} s; "
        f"fixed 429 shares {', '.join(f'{x:.0%}' for x in SHARES)}: {args.share_targets} targets at 1 s for "
        f"{args.share_duration:g} s; {args.silent_targets} tasks of a silent provider next to 3 live ones"
    )
    failed = False
    with workdir("bench-budget-") as tmp:
        if not args.skip_budget:
            failed |= budget_section(tmp, args)
        if not args.skip_share:
            failed |= share_section(tmp, args)
        if not args.skip_silent:
            failed |= silent_section(tmp, args)
        if not args.skip_quota:
            failed |= quota_section(tmp, args)
    print("overall: MISS" if failed else "overall: PASS")
    return 1 if failed else 0


def share_section(tmp: Path, args: argparse.Namespace) -> bool:
    interval = 1.0
    wanted = args.share_targets / interval
    runs = [
        measure(
            tmp,
            f"{share:.0%} refused",
            args.share_targets,
            args.share_duration,
            rate=wanted,
            burst=None,
            interval=interval,
            refuse_share=share,
        )
        for share in SHARES
    ]
    print(
        f"## fixed 429 share: {args.share_targets} targets at {interval:g} s ({wanted:g} requests/s wanted), "
        f"a share of the answers 429 at random (Retry-After: 1) whatever the load, {args.share_duration:g} s"
    )
    return print_rows(runs, share_rows(runs, interval), "target")


def silent_section(tmp: Path, args: argparse.Namespace) -> bool:
    with socket.create_server(("127.0.0.1", 0), backlog=1024) as listener:  # accepts, never answers
        port = int(listener.getsockname()[1])
        alone = measure_live(tmp, "alone", 3, 0, None)
        beside = measure_live(tmp, "next to a silent provider", 3, args.silent_targets, port)
    ratio = beside.last / alone.last if alone.last else float("nan")
    print(
        f"## a silent provider: 3 Browserable tasks ({LIVE_TIMELINE}) alone, and next to "
        f"{args.silent_targets} Anchor tasks whose server accepts connections and never answers"
    )
    print()
    rows = [
        [
            "last live task reported done (s from start)",
            f"{alone.last:.2f} s",
            f"{beside.last:.2f} s",
            f"<= {TARGET_SILENT_RATIO:g}x alone",
            verdict(ratio, TARGET_SILENT_RATIO) if len(beside.done) == 3 else "MISS",
        ],
        ["(context) live tasks reported done", str(len(alone.done)), str(len(beside.done)), "-", "-"],
        ["(context) Browserable requests", str(alone.polls), str(beside.polls), "-", "-"],
        ["(context) exit status", str(alone.returncode), str(beside.returncode), "-", "-"],
    ]
    print(table(["figure", "alone", "next to a silent provider", "target", "verdict"], rows))
    for run in (alone, beside):
        for problem in run.problems:
            print(f"problem ({run.label}): {problem}")
    print(flush=True)
    return rows[0][-1] == "MISS"


def budget_section(tmp: Path, args: argparse.Namespace) -> bool:
    runs = [measure(tmp, "budget", args.targets, args.duration, rate=args.rate, burst=args.rate)]
    if not args.skip_unbudgeted:
        runs.append(
            measure(
                tmp,
                "no budget",
                args.targets,
                args.duration,
                rate=args.rate,
                burst=args.rate,
                budget=False,
            )
        )
    print(f"## {args.targets} targets, interval 2 s, server limit {args.rate:g}/s (burst {args.rate:g})")
    return print_rows(runs, budget_rows(runs), "target (budget)")


def print_rows(runs: list[Run], rows: list[list[str]], target: str) -> bool:
    """The table of a section (one column per run) and the runs' problems; whether a figure missed."""
    print()
    print(table(["figure", *(r.label for r in runs), target, "verdict"], rows))
    for run in runs:
        for problem in run.problems:
            print(f"problem ({run.label}): {problem}")
    print(flush=True)
    return any(row[-1] == "MISS" for row in rows)


def quota_section(tmp: Path, args: argparse.Namespace) -> bool:
    quota = measure(
        tmp,
        "quota",
        args.quota_targets,
        args.quota_duration,
        rate=1.0,
        burst=2.0,
        per_hour=3600,
        extra_args=("--max-rate", "3600/h"),
    )
    print(f"## quota: {args.quota_targets} targets, --max-rate 3600/h, {args.quota_duration:g} s")
    print()
    quota_rows = [
        ["429 answers", str(quota.too_many), "0", "PASS" if quota.too_many == 0 else "MISS"],
        [
            "most requests in any 1 s window",
            str(quota.max_in_one_second),
            f"<= {QUOTA_MAX_PER_SECOND}",
            verdict(quota.max_in_one_second, QUOTA_MAX_PER_SECOND),
        ],
        [
            "(context) requests, rate achieved",
            f"{quota.requests}, {quota.requests / max(quota.window, 1):.3f}/s",
            "-",
            "-",
        ],
        [
            "(context) longest gap of one task",
            f"{quota.longest_gap:.1f} s (fair: {quota.targets:.0f} s)",
            "-",
            "-",
        ],
        ["(context) window, exit code", f"{quota.window:.1f} s, {quota.returncode}", "-", "-"],
    ]
    print(table(["figure", "measured", "target", "verdict"], quota_rows))
    for problem in quota.problems:
        print(f"problem (quota): {problem}")
    print()
    return any(row[-1] == "MISS" for row in quota_rows)


if __name__ == "__main__":
    sys.exit(main())
