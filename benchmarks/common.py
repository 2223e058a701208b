"""Shared helpers for the benchmark scripts: the simulator process, measured runs, /proc stats, tables.

Standard library only (plus `statuscli` itself inside `simserver.py`), so the scripts run with the
Python of the environment where statuscli is installed, e.g. `/tmp/dev/bin/python benchmarks/...`.
Everything talks to 127.0.0.1 only, and every wait here is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SIMSERVER = BENCH_DIR / "simserver.py"
LAUNCHER = BENCH_DIR / "launch.py"
#: The key the simulator accepts for AnchorBrowser (statuscli.sim.default_keys()["anchor"]).
ANCHOR_KEY = "sim-anchor-key"
#: ... and for Browserable (statuscli.sim.DEFAULT_KEYS["browserable"]).
BROWSERABLE_KEY = "sim-browserable-key"
#: Environment variables that would change what statuscli does; the benchmarks start from a clean slate.
SCRUBBED_ENV_PREFIXES = (
    "ANCHORBROWSER_",
    "ANCHOR_",
    "BROWSERABLE_",
    "BROWSER_USE_",
    "HYPERBROWSER_",
    "SKYVERN_",
    "BROWSERACT_",
    "STATUSCLI_",
    "_STATUS",
)
SCRUBBED_ENV = ("FORCE_COLOR", "NO_COLOR", "PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SDK_ENV = "BENCH_SDK_PYTHON"
#: Measured commands run here, so `python -c` does not import statuscli from the current directory.
NEUTRAL_CWD = os.path.abspath(os.sep)


# ---- commands and environments -----------------------------------------------------------------


def status_command() -> list[str]:
    """The installed `status` console script beside this Python, else `python -m statuscli`."""
    script = Path(sys.executable).parent / "status"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "statuscli"]


def status_script_for_python() -> list[str]:
    """What to put after `python [-X ...]` to run the CLI in this interpreter."""
    script = Path(sys.executable).parent / "status"
    if script.is_file():
        return [str(script)]
    return ["-m", "statuscli"]


#: Another statuscli source tree to measure instead of the installed one (`--source`), or None.
_source: Path | None = None


def add_source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        metavar="DIR",
        help="measure the statuscli package in DIR (put first on PYTHONPATH), e.g. a `git archive` "
        "of another commit; default: the installed one",
    )


def use_source(directory: Path | None) -> None:
    """Put `directory` (holding a statuscli/ package) first on the measured commands' PYTHONPATH."""
    global _source
    if directory is not None and not (directory / "statuscli" / "__init__.py").is_file():
        raise SystemExit(f"--source {directory}: no statuscli/__init__.py there")
    _source = directory.resolve() if directory is not None else None


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ without statuscli/provider settings; config and state in `home` (no history)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(SCRUBBED_ENV_PREFIXES) and k not in SCRUBBED_ENV
    }
    if _source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_source), env.get("PYTHONPATH")]))
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_STATE_HOME"] = str(home / "state")
    env["STATUSCLI_NO_HISTORY"] = "1"
    env.update(extra or {})
    return env


def anchor_env(home: Path, base_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return clean_env(
        home, {"ANCHORBROWSER_BASE_URL": base_url, "ANCHORBROWSER_API_KEY": ANCHOR_KEY, **(extra or {})}
    )


def sdk_python(option: str | None, distribution: str = "anchorbrowser") -> tuple[str | None, str]:
    """The Python that has the SDK `distribution` installed (option, else $BENCH_SDK_PYTHON); else a
    reason. The note names the SDK's version."""
    candidate = option or os.environ.get(SDK_ENV)
    if not candidate:
        return None, f"SDK column skipped: pass --sdk-python PATH or set {SDK_ENV}"
    if not Path(candidate).exists():
        return None, f"SDK column skipped: {candidate} does not exist"
    probe = subprocess.run(
        [candidate, "-c", f"from importlib.metadata import version; print(version({distribution!r}))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if probe.returncode != 0:
        return None, f"SDK column skipped: {candidate} has no {distribution} installed"
    return candidate, f"{distribution} {probe.stdout.strip()} ({candidate})"


def unexpected_result(name: str, done: Finished, expect_rc: int, needle: str) -> str | None:
    """None when a command exited `expect_rc` and printed `needle`, else what went wrong."""
    if done.returncode != expect_rc or needle not in done.stdout:
        tail = (done.stdout + done.stderr).strip()[-600:]
        wanted = f"expected {expect_rc}" + (f" and {needle!r}" if needle else "")
        return f"{name}: unexpected result (exit {done.returncode}, {wanted}):\n{tail}"
    return None


# ---- statistics and formatting -------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank-interpolated percentile, q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def verdict(value: float, target: float) -> str:
    """PASS when value <= target (NaN: n/a)."""
    if value != value:  # NaN
        return "n/a"
    return "PASS" if value <= target else "MISS"


def verdict_at_least(value: float, target: float) -> str:
    if value != value:
        return "n/a"
    return "PASS" if value >= target else "MISS"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown pipe table, aligned for the terminal and pasteable into RESULTS.md."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


# ---- machine description -----------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def statuscli_location() -> str:
    """Where the measured commands import statuscli from (the installed package or --source)."""
    env = clean_env(Path(tempfile.gettempdir()))
    done = subprocess.run(
        [sys.executable, "-c", "import statuscli; print(statuscli.__file__, statuscli.__version__)"],
        env=env,
        cwd=NEUTRAL_CWD,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout.strip() or "cannot import statuscli: " + done.stderr.strip()[-200:]


def git_state() -> str:
    """HEAD and whether statuscli/ has uncommitted changes (read-only: --no-optional-locks, so the
    index is never rewritten under someone else working in the same tree)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(ROOT), "status", "--porcelain", "--", "statuscli"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    changed = [p for p in dirty if p.startswith("statuscli")]
    return f"{head or 'unknown'}" + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def machine_lines(sdk: str | None = None) -> list[str]:
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("statuscli", "requests", "urllib3", "typer", "rich", "click")
    )
    lines = [
        f"date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: nproc {os.cpu_count()}, {cpu_model()}, {platform.platform()}",
        f"python: {platform.python_version()} ({sys.executable})",
        "load average at start (1/5/15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"packages: {versions}",
        f"statuscli measured: {statuscli_location()}",
        f"work tree: {git_state()}",
    ]
    if sdk is not None:
        lines.append(f"sdk: {sdk}")
    return lines


def print_header(title: str, sdk: str | None = None) -> None:
    print(f"# {title}")
    print(f"command: {shlex.join([Path(sys.executable).as_posix(), *sys.argv])}")
    for line in machine_lines(sdk):
        print(line)
    print(flush=True)


# ---- /proc --------------------------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process, in seconds (None once it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kib(pid: int, key: str) -> int | None:
    """A `kB` line of /proc/<pid>/status, e.g. VmHWM (peak RSS) or VmRSS."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def proc_threads(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


# ---- measured child processes ------------------------------------------------------------------------


@dataclass
class Finished:
    """How a child process ended, from wait4: wall time, exit code, CPU and peak RSS."""

    wall: float
    returncode: int
    cpu: float
    maxrss_kib: int
    stdout: str = ""
    stderr: str = ""


def exit_status(proc: subprocess.Popen[Any]) -> int | None:
    """The child's exit code once it has ended (negative: killed by that signal), else None.

    Unlike `Popen.poll()` this does not reap the child (waitid with WNOWAIT), so `wait_measured` can
    still collect its rusage with wait4. Use this, not `poll()`/`kill()`, on a child measured that way.
    """
    if proc.returncode is not None:
        return proc.returncode
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped elsewhere
        return proc.returncode
    if info is None:
        return None
    return -info.si_status if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else info.si_status


def shell_status(returncode: int | None) -> int | None:
    """The status a shell shows for a child that ended with `returncode` (negative: killed by that
    signal, as statuscli dies by the SIGINT that stopped it): 128 + the signal, or the exit code."""
    if returncode is None:
        return None
    return 128 - returncode if returncode < 0 else returncode


def kill_child(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL a child that is not reaped yet (a zombie keeps its pid, so this cannot hit another)."""
    if proc.returncode is None:
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGKILL)


def wait_measured(proc: subprocess.Popen[Any], started: float, timeout: float) -> Finished:
    """wait4 the child (killing it after `timeout` s); its own rusage, not the sum of all children."""
    if proc.returncode is not None:  # already reaped (Popen.poll/wait): no rusage left to collect
        return Finished(wall=float("nan"), returncode=proc.returncode, cpu=float("nan"), maxrss_kib=0)
    timer = threading.Timer(timeout, kill_child, (proc,))
    timer.daemon = True
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(
        wall=wall,
        returncode=proc.returncode,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_kib=usage.ru_maxrss,
    )


def run_measured(
    cmd: Sequence[str], env: Mapping[str, str], *, timeout: float = 60.0, capture: bool = False
) -> Finished:
    """Run `cmd` once through `launch.py`: its own wall time (fork to reaped exit), CPU and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        result = Path(tmp) / "result.json"
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(LAUNCHER), str(result), *cmd],
                env=dict(env),
                cwd=NEUTRAL_CWD,
                stdin=subprocess.DEVNULL,
                stdout=out if capture else subprocess.DEVNULL,
                stderr=err if capture else subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                raise RuntimeError(f"timed out after {timeout} s: {shlex.join(cmd)}") from None
        data = json.loads(result.read_text())
        done = Finished(
            wall=float(data["wall"]),
            returncode=int(data["returncode"]),
            cpu=float(data["cpu"]),
            maxrss_kib=int(data["maxrss_kib"]),
        )
        if capture:
            done.stdout = out_path.read_text("utf-8", "replace")
            done.stderr = err_path.read_text("utf-8", "replace")
    return done


def repeat_interleaved(
    commands: Mapping[str, tuple[Sequence[str], Mapping[str, str]]],
    runs: int,
    warmup: int,
    *,
    timeout: float = 60.0,
) -> dict[str, list[Finished]]:
    """Run every command `warmup` + `runs` times, round-robin, so machine noise hits all alike."""
    results: dict[str, list[Finished]] = {name: [] for name in commands}
    for round_no in range(warmup + runs):
        for name, (cmd, env) in commands.items():
            done = run_measured(cmd, env, timeout=timeout)
            if round_no >= warmup:
                results[name].append(done)
    return results


def hyperfine_medians(
    commands: Mapping[str, tuple[Sequence[str], Mapping[str, str]]], runs: int
) -> dict[str, float] | None:
    """Medians from hyperfine (-N, no shell) when it is installed; None otherwise. Optional cross-check."""
    if shutil.which("hyperfine") is None:
        return None
    medians: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (cmd, env) in commands.items():
            export = Path(tmp) / "out.json"
            subprocess.run(
                [
                    "hyperfine",
                    "-N",
                    "--warmup",
                    "2",
                    "--runs",
                    str(runs),
                    "-i",
                    "--style",
                    "none",
                    "--export-json",
                    str(export),
                    shlex.join(cmd),
                ],
                env=dict(env),
                cwd=NEUTRAL_CWD,  # as run_measured: `python -c` must not import from the current dir
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=300,
                check=False,
            )
            with contextlib.suppress(OSError, ValueError, KeyError, IndexError):
                medians[name] = float(json.loads(export.read_text())["results"][0]["median"])
    return medians


# ---- the simulator process --------------------------------------------------------------------


class SimServer:
    """`benchmarks/simserver.py` in its own process: statuscli's Simulator plus request accounting.

    Runs apart from the measured client so the client's CPU and memory are its own. Stops itself after
    `max_seconds` whatever happens to this process.
    """

    def __init__(
        self,
        scenario: Path,
        *,
        max_seconds: float = 900.0,
        ready_timeout: float = 20.0,
        refuse_share: float = 0.0,
    ) -> None:
        command = [
            sys.executable,
            str(SIMSERVER),
            "--scenario",
            str(scenario),
            "--max-seconds",
            str(max_seconds),
        ]
        if refuse_share:
            command += ["--refuse-share", str(refuse_share)]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.port = self._read_port(ready_timeout)
        self.base_url = f"http://127.0.0.1:{self.port}"

    def _read_port(self, timeout: float) -> int:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("PORT "):
                    return int(line.split()[1])
                if not line:
                    break
        self.stop()
        raise RuntimeError("the benchmark simulator did not start (run benchmarks/simserver.py by hand)")

    def get(self, path: str, timeout: float = 30.0) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())

    def reset(self) -> None:
        self.get("/_bench/reset")

    def counts(self) -> dict[str, Any]:
        """Cheap: API requests and connections so far, and the time of the first request."""
        return dict(self.get("/_bench/counts"))

    def requests(self) -> list[tuple[float, str, int]]:
        """Every API request since the last reset: (server epoch time, task id, connection number)."""
        return [(float(t), str(task), int(conn)) for t, task, conn in self.get("/_bench/requests")]

    def tasks(self) -> list[dict[str, Any]]:
        return list(self.get("/_sim/tasks"))

    def wait_for_requests(
        self, count: int, timeout: float, client: subprocess.Popen[Any] | None = None
    ) -> dict[str, Any] | None:
        """The counts once `count` API requests were seen; None after `timeout` or once `client` ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.counts()
            if seen["requests"] >= count:
                return seen
            if client is not None and exit_status(client) is not None:
                return None
            time.sleep(0.05)
        return None

    def cpu_seconds(self) -> float | None:
        return proc_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_scenario(path: Path, *, default_anchor: str, tasks: Sequence[tuple[str, str]] = ()) -> Path:
    """A TOML scenario: unknown anchor ids follow `default_anchor`; `tasks` are (id, timeline)."""
    lines = []
    for task_id, timeline in tasks:
        lines += ["[[task]]", 'provider = "anchor"', f"id = {json.dumps(task_id)}"]
        lines += [f"timeline = {json.dumps(timeline)}", ""]
    lines += ["[defaults]", f"anchor = {json.dumps(default_anchor)}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def iso_to_epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# ---- python -X importtime ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportEntry:
    name: str
    self_us: int
    cumulative_us: int
    depth: int


def importtime(args: Sequence[str], env: Mapping[str, str], *, timeout: float = 60.0) -> list[ImportEntry]:
    """`python -X importtime ARGS`: every import of that run, in the order Python reports them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=dict(env),
        cwd=NEUTRAL_CWD,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    entries = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        raw_self, raw_cumulative, name = line[len("import time:") :].split("|", 2)
        entries.append(
            ImportEntry(
                name=name.strip(),
                self_us=int(raw_self),
                cumulative_us=int(raw_cumulative),
                depth=(len(name) - len(name.lstrip()) - 1) // 2,
            )
        )
    return entries


def imported(entries: Sequence[ImportEntry], module: str) -> bool:
    return any(e.name == module or e.name.startswith(module + ".") for e in entries)


def top_cumulative(entries: Sequence[ImportEntry], count: int) -> list[ImportEntry]:
    return sorted(entries, key=lambda e: e.cumulative_us, reverse=True)[:count]


def by_package(entries: Sequence[ImportEntry]) -> list[tuple[str, int, int]]:
    """(top-level package, sum of self times in us, modules), largest first: where import time goes."""
    totals: dict[str, list[int]] = {}
    for e in entries:
        top = e.name.split(".")[0]
        slot = totals.setdefault(top, [0, 0])
        slot[0] += e.self_us
        slot[1] += 1
    return sorted(((k, v[0], v[1]) for k, v in totals.items()), key=lambda t: t[1], reverse=True)
