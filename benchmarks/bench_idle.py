"""Idle cost: one target watched in a pseudo-terminal (live table on) for 60 s; client CPU per core.

    /tmp/dev/bin/python benchmarks/bench_idle.py [--seconds 60] [--interval 2] [--also-pipe]

`status watch anchor ID --interval 2` runs on the slave side of a pty (TERM=xterm-256color, 40x120), so
rich's live table redraws as it would for a person; the harness drains the master side. The target stays
`generating` throughout. CPU is utime+stime from /proc/<pid>/stat over the window that starts at the first
request; the watch then gets SIGINT. `--also-pipe` adds the same watch with `--json` into a pipe, which
separates the cost of the live table from the cost of polling.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field

from common import (
    NEUTRAL_CWD,
    SimServer,
    add_source_option,
    anchor_env,
    exit_status,
    kill_child,
    print_header,
    proc_cpu_seconds,
    proc_status_kib,
    shell_status,
    status_command,
    table,
    use_source,
    verdict,
    wait_measured,
    workdir,
    write_scenario,
)

TARGET_CORE_SHARE = 0.01
ROWS, COLS = 40, 120


@dataclass
class Idle:
    mode: str
    window: float = 0.0
    cpu: float = float("nan")  # n/a unless measured: a client that died must not PASS
    cpu_total: float = 0.0
    requests: int = 0
    output_bytes: int = 0
    hwm_kib: int = 0
    returncode: int | None = None
    live_table: bool = False
    problems: list[str] = field(default_factory=list)


def drain(fd: int | None, sink: bytearray, until: float) -> None:
    """Read whatever the child writes until `until` (monotonic), so it never blocks on a full pty."""
    while (left := until - time.monotonic()) > 0:
        if fd is None:
            time.sleep(left)
            return
        ready, _, _ = select.select([fd], [], [], min(left, 0.25))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the slave side closed
                chunk = b""
            if not chunk:
                time.sleep(min(left, 0.05))
                continue
            sink.extend(chunk)


def measure(server: SimServer, env: dict[str, str], seconds: float, interval: float, tty: bool) -> Idle:
    idle = Idle(mode="pty, live table" if tty else "pipe, --json")
    cmd = [*status_command(), "watch", "anchor", "idle-1", "--interval", f"{interval}s"]
    cmd += ["--timeout", f"{seconds + 60:.0f}s"]
    server.reset()
    output = bytearray()
    master: int | None = None
    if tty:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)},
            cwd=NEUTRAL_CWD,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
    else:
        cmd.append("--json")
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, cwd=NEUTRAL_CWD, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
        )
        assert proc.stdout is not None
        master = proc.stdout.fileno()
    try:
        deadline = time.monotonic() + 30
        while (
            (requests0 := server.counts()["requests"]) == 0
            and time.monotonic() < deadline
            and exit_status(proc) is None
        ):
            drain(master, output, time.monotonic() + 0.05)
        if requests0 == 0:
            idle.problems.append("no request within 30 s")
        mono0, cpu0, bytes0 = time.monotonic(), proc_cpu_seconds(proc.pid), len(output)
        drain(master, output, mono0 + seconds)
        mono1, cpu1, bytes1 = time.monotonic(), proc_cpu_seconds(proc.pid), len(output)
        idle.hwm_kib = proc_status_kib(proc.pid, "VmHWM") or 0
        # Requests in the window: the first one (which opened it) is not counted, as for polls.
        idle.requests = server.counts()["requests"] - requests0
        if (early := exit_status(proc)) is None:
            os.kill(proc.pid, signal.SIGINT)
        else:
            idle.problems.append(f"the watch ended early (exit {early})")
        drain(master, output, time.monotonic() + 1.0)
        finished = wait_measured(proc, started, 30)
    finally:
        if proc.returncode is None:
            kill_child(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        if tty and master is not None:
            with contextlib.suppress(OSError):
                os.close(master)
        elif proc.stdout is not None:
            proc.stdout.close()
    idle.returncode = finished.returncode
    idle.cpu_total = finished.cpu
    idle.window = mono1 - mono0
    if cpu0 is not None and cpu1 is not None:
        idle.cpu = (cpu1 - cpu0) / idle.window
    idle.output_bytes = bytes1 - bytes0
    idle.live_table = b"statuscli watch:" in output and b"\x1b[" in output
    if tty and not idle.live_table:
        idle.problems.append("no live table in the pty output")
    idle.returncode = shell_status(idle.returncode)  # it dies by the SIGINT: a shell sees 130
    if idle.returncode != 130:
        idle.problems.append(f"exit status {idle.returncode} after SIGINT (expected 130)")
    return idle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="window (default 60)")
    parser.add_argument("--interval", type=float, default=2.0, help="watch --interval in seconds")
    parser.add_argument("--also-pipe", action="store_true", help="also measure --json into a pipe")
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    if not 5 <= args.seconds <= 600:
        parser.error("--seconds must be 5..600")
    print_header(f"Idle cost: one target, {args.seconds:g} s, interval {args.interval:g} s")
    results = []
    with (
        workdir("bench-idle-") as tmp,
        SimServer(
            write_scenario(tmp / "scenario.toml", default_anchor="generating 3600s -> ready"),
            max_seconds=3 * args.seconds + 180,
        ) as server,
    ):
        env = anchor_env(tmp, server.base_url)
        results.append(measure(server, env, args.seconds, args.interval, tty=True))
        if args.also_pipe:
            results.append(measure(server, env, args.seconds, args.interval, tty=False))
    rows = []
    for r in results:
        rows.append(
            [
                r.mode,
                f"{r.window:.1f} s",
                f"{r.cpu * r.window:.3f} s",
                f"{r.cpu:.2%}",
                f"<= {TARGET_CORE_SHARE:.0%}",
                verdict(r.cpu, TARGET_CORE_SHARE),
                str(r.requests),
                f"{r.output_bytes / r.window:.0f} B/s",
                f"{r.hwm_kib / 1024:.1f} MiB",
                f"{r.cpu_total:.2f} s",
            ]
        )
    headers = ["mode", "window", "CPU in window", "of one core", "target", "verdict", "requests in window"]
    headers += ["output in window", "peak RSS", "CPU incl. start/exit"]
    print(table(headers, rows))
    for r in results:
        for problem in r.problems:
            print(f"problem ({r.mode}): {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
