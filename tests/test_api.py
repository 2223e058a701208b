"""The Python API as a program uses it: only the names in `statuscli.__all__` (and the simulator).

get_status and wait against the simulator on loopback: explicit settings and their precedence, every
error type, callbacks, deadlines and fail-fast; that the CLI's JSON is built from the same values; that
`import statuscli` stays cheap; and that the example consumer type-checks against the installed package.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import statuscli
from statuscli import (
    ApiError,
    ApiTimeoutError,
    AuthError,
    BadResponseError,
    ConfigError,
    ExitCode,
    NotFoundError,
    Outcome,
    Phase,
    Settings,
    StatusCliError,
    Target,
    TaskStatus,
    UsageError,
    WatchUpdate,
    get_status,
    wait,
    wait_async,
)
from statuscli.sim import Scenario, SimTask, Simulator, parse_timeline
from tests.example_consumer import check_all, wait_for_both

REPO = Path(__file__).resolve().parent.parent
B_DONE = "2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01"
B_STEPS = "7f3e2a1b-8c4d-4e5f-a6b7-c8d9e0f1a202"
SECRET = "sekrit-key-that-must-never-show-0123"

TASKS = [
    ("anchor", "done", "ready"),
    ("anchor", "steps", "generating 300ms -> ready"),
    ("anchor", "failed", "failed"),
    ("anchor", "pending", "generating"),
    ("anchor", "broken", "!500"),
    ("anchor", "html", "!html"),
    ("anchor", "stall", "!stall"),
    ("browserable", B_DONE, "completed"),
    ("browserable", B_STEPS, "scheduled 200ms -> running 200ms -> completed"),
]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    scenario = Scenario(
        tasks=tuple(
            SimTask(provider, task_id, parse_timeline(timeline, provider=provider))
            for provider, task_id, timeline in TASKS
        )
    )
    with Simulator(scenario, stall_seconds=10) as simulator:
        yield simulator


def settings_for(sim: Simulator, **extra: float | int | str) -> dict[str, Settings]:
    """Everything given in code: no environment, no config file needed."""
    return {
        "anchor": Settings(
            api_key=sim.key("anchor"),
            base_url=sim.base_url_for("anchor"),
            **extra,  # type: ignore[arg-type]
        ),
        "browserable": Settings(
            api_key=sim.key("browserable"),
            base_url=sim.base_url_for("browserable"),
            **extra,  # type: ignore[arg-type]
        ),
    }


# ---- the package --------------------------------------------------------------------------------


def test_import_statuscli_imports_neither_requests_nor_rich() -> None:
    code = (
        "import sys, statuscli\n"
        "from statuscli import Target, TaskStatus, Phase, Outcome, WatchSummary, Settings, get_status, wait\n"
        "heavy = ('requests', 'rich', 'urllib3', 'typer')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_every_public_name_resolves_and_errors_carry_their_codes() -> None:
    for name in statuscli.__all__:
        assert getattr(statuscli, name) is not None
        assert name in dir(statuscli)
    assert isinstance(statuscli.__version__, str)
    with pytest.raises(AttributeError):
        _ = statuscli.not_a_name  # type: ignore[attr-defined]
    expected = {
        StatusCliError: (ExitCode.API, "error"),
        UsageError: (ExitCode.USAGE, "usage_error"),
        ConfigError: (ExitCode.USAGE, "config_error"),
        AuthError: (ExitCode.AUTH, "auth_failed"),
        NotFoundError: (ExitCode.NOT_FOUND, "not_found"),
        ApiError: (ExitCode.API, "api_error"),
        BadResponseError: (ExitCode.API, "bad_response"),
    }
    for error, (exit_code, code) in expected.items():
        assert issubclass(error, StatusCliError)
        assert (error.exit_code, error.code) == (exit_code, code)


def test_value_types_are_frozen() -> None:
    target = Target("anchor", "t1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.task_id = "t2"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().api_key = "x"  # type: ignore[misc]
    assert {Phase.SUCCESS.value, Outcome.TIMED_OUT.value} == {"success", "timed out"}


# ---- get_status ---------------------------------------------------------------------------------


def test_get_status_with_explicit_settings(sim: Simulator) -> None:
    status = get_status("anchor", "done", settings=settings_for(sim))
    assert isinstance(status, TaskStatus)
    assert (status.provider, status.task_id, status.state, status.phase) == (
        "anchor",
        "done",
        "ready",
        Phase.SUCCESS,
    )
    assert status.exit_code is ExitCode.SUCCESS
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.state = "failed"  # type: ignore[misc]

    run = get_status("browserable", B_DONE, settings=settings_for(sim))
    assert (run.state, run.phase) == ("completed", Phase.SUCCESS)
    again = get_status("browserable", B_DONE, run_id="run-1", settings=settings_for(sim))
    assert (again.run_id, again.phase) == ("run-1", Phase.SUCCESS)


def test_settings_win_over_the_environment(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", "wrong-key-from-env-000000")
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", "http://127.0.0.1:9")
    status = get_status("anchor", "done", settings=settings_for(sim))
    assert status.phase is Phase.SUCCESS


def test_fields_left_out_fall_back_to_environment_then_config_file(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, config_file: Callable[[str], Path]
) -> None:
    # Key from the environment, base URL from the config file, timeouts from the settings.
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", sim.key("anchor"))
    config_file(f'[anchor]\nbase_url = "{sim.base_url_for("anchor")}"\napi_key = "wrong-key-from-file-00"\n')
    assert get_status("anchor", "done", settings={"anchor": Settings(read_timeout=5)}).phase is Phase.SUCCESS
    assert get_status("anchor", "done").phase is Phase.SUCCESS
    monkeypatch.delenv("ANCHORBROWSER_API_KEY")
    with pytest.raises(AuthError) as caught:  # the file's key is the next in line, and wrong
        get_status("anchor", "done")
    assert caught.value.code == "auth_failed"


def test_a_key_never_shows_in_repr_or_errors(sim: Simulator) -> None:
    given = Settings(api_key=SECRET, base_url=sim.base_url_for("anchor"), retries=0)
    assert SECRET not in repr(given)
    assert SECRET not in str(given)
    with pytest.raises(AuthError) as rejected:
        get_status("anchor", "done", settings={"anchor": given})
    with pytest.raises(AuthError) as unsendable:
        get_status(
            "anchor",
            "done",
            settings={"anchor": Settings(api_key=SECRET + " x", base_url=sim.base_url_for("anchor"))},
        )
    assert unsendable.value.code == "bad_key"
    for exc in (rejected.value, unsendable.value):
        assert exc.exit_code is ExitCode.AUTH
        for text in (str(exc), repr(exc), repr(exc.args), repr(exc.__cause__), repr(exc.__context__)):
            assert "sekrit" not in text


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("provider", "task_id", "run_id", "given", "error", "code"),
    [
        ("nosuch", "t1", None, {}, UsageError, "usage_error"),
        ("anchor", "", None, {}, UsageError, "usage_error"),
        ("anchor", "done", "r1", {}, UsageError, "usage_error"),
        ("anchor", "done", None, {"base_url": "ftp://example.com"}, ConfigError, "config_error"),
        ("anchor", "done", None, {"api_key": None}, AuthError, "missing_key"),
        ("anchor", "done", None, {"api_key": "not-the-key-0000000000"}, AuthError, "auth_failed"),
        ("anchor", "nope", None, {}, NotFoundError, "not_found"),
        ("anchor", "broken", None, {}, ApiError, "http_error"),
        ("anchor", "stall", None, {"timeout": 0.5}, ApiTimeoutError, "timeout"),
        ("anchor", "done", None, {"base_url": "closed"}, ApiError, "network_error"),
        ("anchor", "html", None, {}, BadResponseError, "bad_response"),
    ],
)
def test_get_status_raises_each_error_type(
    sim: Simulator,
    provider: str,
    task_id: str,
    run_id: str | None,
    given: dict[str, object],
    error: type[StatusCliError],
    code: str,
) -> None:
    fields: dict[str, object] = {
        "api_key": sim.key("anchor"),
        "base_url": sim.base_url_for("anchor"),
        "retries": 0,
    }
    fields |= given
    if fields["base_url"] == "closed":
        fields["base_url"] = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(error) as caught:
        get_status(provider, task_id, run_id=run_id, settings={"anchor": Settings(**fields)})  # type: ignore[arg-type]
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.exit_code == error.exit_code
    if code == "timeout":
        assert "Settings.timeout" in str(caught.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"retries": 11},
        {"retries": -1},
        {"connect_timeout": 0},
        {"read_timeout": 601},
        {"timeout": float("nan")},
    ],
)
def test_bad_settings_are_usage_errors(fields: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        Settings(**fields)  # type: ignore[arg-type]


def test_the_cli_json_is_built_from_the_same_status(sim: Simulator, tmp_path: Path) -> None:
    status = get_status("anchor", "done", settings=settings_for(sim))
    exe = shutil.which("status", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = dict(
        os.environ, ANCHORBROWSER_API_KEY=sim.key("anchor"), ANCHORBROWSER_BASE_URL=sim.base_url_for("anchor")
    )
    out = subprocess.run(
        [exe, "anchor", "done", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    task = json.loads(out.stdout)["tasks"][0]
    assert task["status"] == {
        "state": status.state,
        "phase": status.phase.value,
        "label": status.label,
        "detail": status.detail,
        "error": status.error,
        "live_url": status.live_url,
        "waiting_for_input": status.waiting_for_input,
    }
    assert task["raw"] == status.raw


# ---- wait ---------------------------------------------------------------------------------------


def test_wait_calls_back_on_each_change_in_the_calling_thread(sim: Simulator) -> None:
    seen: list[WatchUpdate] = []
    threads: set[int] = set()

    def on_change(update: WatchUpdate) -> None:
        seen.append(update)
        threads.add(threading.get_ident())

    summary = wait(
        [Target("anchor", "steps"), Target("browserable", B_STEPS)],
        interval=0.1,
        timeout=30,
        on_change=on_change,
        settings=settings_for(sim),
    )
    assert summary.exit_code is ExitCode.SUCCESS
    assert [v.outcome for v in summary.views] == [Outcome.SUCCESS, Outcome.SUCCESS]
    assert [v.target for v in summary.views] == [Target("anchor", "steps"), Target("browserable", B_STEPS)]
    assert threads == {threading.get_ident()}
    assert all(u.changed and u.previous != u.view.label for u in seen)
    anchor = [u.view.label for u in seen if u.view.target.provider == "anchor"]
    assert anchor == ["generating", "ready"]
    browserable = [
        u.view.status.state for u in seen if u.view.target.provider == "browserable" and u.view.status
    ]
    assert browserable[-1] == "completed"
    assert "running" in browserable
    assert seen[0].previous == "starting"


def test_wait_reports_a_deadline_in_the_summary(sim: Simulator) -> None:
    seen: list[WatchUpdate] = []
    summary = wait(
        [Target("anchor", "done"), Target("anchor", "pending")],
        interval="100ms",
        timeout="1s",
        on_change=seen.append,
        settings=settings_for(sim),
    )
    assert (seen[-1].view.target.task_id, seen[-1].previous, seen[-1].view.outcome) == (
        "pending",
        "generating",
        Outcome.TIMED_OUT,
    )
    assert [v.outcome for v in summary.views] == [Outcome.SUCCESS, Outcome.TIMED_OUT]
    assert summary.exit_code is ExitCode.DEADLINE
    assert summary.count(Outcome.TIMED_OUT) == 1
    assert 0.9 <= summary.elapsed < 10


def test_wait_fail_fast_stops_the_rest(sim: Simulator) -> None:
    summary = wait(
        [Target("anchor", "failed"), Target("anchor", "pending")],
        interval=0.1,
        timeout=30,
        fail_fast=True,
        settings=settings_for(sim),
    )
    assert [v.outcome for v in summary.views] == [Outcome.FAILURE, Outcome.SKIPPED]
    assert summary.exit_code is ExitCode.FAILURE
    assert summary.elapsed < 10


def test_wait_puts_a_task_error_in_the_summary(sim: Simulator) -> None:
    summary = wait(
        [Target("anchor", "nope"), Target("anchor", "done")],
        interval=0.1,
        timeout=30,
        settings=settings_for(sim),
    )
    missing, done = summary.views
    assert (missing.outcome, done.outcome) == (Outcome.ERROR, Outcome.SUCCESS)
    assert isinstance(missing.error, NotFoundError)
    assert summary.exit_code is ExitCode.NOT_FOUND


def test_wait_accepts_a_rate(sim: Simulator) -> None:
    for rate in (20, 2.5, "20/s", "600/m", "1000/h"):
        summary = wait([Target("anchor", "done")], max_rate=rate, settings=settings_for(sim))
        assert summary.exit_code is ExitCode.SUCCESS


@pytest.mark.parametrize(
    "options",
    [
        {"interval": 0.05},
        {"interval": "soon"},
        {"timeout": 0},
        {"timeout": -1},
        {"max_rate": "fast"},
        {"max_rate": 0},
    ],
)
def test_wait_raises_bad_options_before_polling(sim: Simulator, options: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        wait([Target("anchor", "done")], settings=settings_for(sim), **options)  # type: ignore[arg-type]
    assert sim.counters()["anchor"].requests == 0


def test_wait_raises_what_stops_it_starting(sim: Simulator) -> None:
    with pytest.raises(UsageError):
        wait([], settings=settings_for(sim))
    with pytest.raises(UsageError):
        wait([Target("nosuch", "t1")], settings=settings_for(sim))
    with pytest.raises(AuthError) as caught:
        wait([Target("anchor", "done")], settings={"anchor": Settings(base_url=sim.base_url_for("anchor"))})
    assert caught.value.code == "missing_key"
    with pytest.raises(UsageError):
        wait([Target("anchor", "done")], settings={"nosuch": Settings()})
    assert sim.counters()["anchor"].requests == 0


def test_an_error_in_the_callback_ends_the_wait(sim: Simulator) -> None:
    def on_change(update: WatchUpdate) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        wait([Target("anchor", "pending")], interval=0.1, on_change=on_change, settings=settings_for(sim))


def test_waits_in_parallel_threads_do_not_mix(sim: Simulator) -> None:
    results: dict[str, ExitCode] = {}

    def run(task_id: str) -> None:
        summary = wait([Target("anchor", task_id)], interval=0.1, timeout=30, settings=settings_for(sim))
        results[task_id] = summary.exit_code

    threads = [threading.Thread(target=run, args=(task_id,)) for task_id in ("done", "failed", "steps")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"done": ExitCode.SUCCESS, "failed": ExitCode.FAILURE, "steps": ExitCode.SUCCESS}


def test_wait_async_runs_off_the_event_loop(sim: Simulator) -> None:
    seen: list[tuple[str, int]] = []

    async def main() -> tuple[ExitCode, list[str]]:
        ticks = 0

        async def ticker() -> None:  # the loop stays free while the engine waits
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        summary = await wait_async(
            [Target("anchor", "steps"), Target("anchor", "done")],
            interval=0.1,
            timeout=30,
            on_change=lambda update: seen.append((update.view.label, threading.get_ident())),
            settings=settings_for(sim),
        )
        ticking.cancel()
        assert ticks > 5
        return summary.exit_code, [v.label for v in summary.views]

    assert asyncio.run(main()) == (ExitCode.SUCCESS, ["ready", "ready"])
    assert {thread for _, thread in seen} == {threading.get_ident()}
    assert [label for label, _ in seen].count("ready") == 2


def test_wait_async_raises_what_wait_raises(sim: Simulator) -> None:
    with pytest.raises(UsageError):
        asyncio.run(wait_async([Target("anchor", "done")], interval=0, settings=settings_for(sim)))
    with pytest.raises(AuthError):
        asyncio.run(
            wait_async(
                [Target("anchor", "done")], settings={"anchor": Settings(base_url=sim.base_url_for("anchor"))}
            )
        )

    def on_change(update: WatchUpdate) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        asyncio.run(
            wait_async(
                [Target("anchor", "pending")], interval=0.1, on_change=on_change, settings=settings_for(sim)
            )
        )


def test_cancelling_wait_async_stops_the_watch(sim: Simulator) -> None:
    async def main() -> None:
        first = asyncio.Event()
        task = asyncio.create_task(
            wait_async(
                [Target("anchor", "pending")],
                interval=0.1,
                on_change=lambda _u: first.set(),
                settings=settings_for(sim),
            )
        )
        await asyncio.wait_for(first.wait(), timeout=30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    ends = time.monotonic() + 30
    while any(t.name == "statuscli-wait" for t in threading.enumerate()) and time.monotonic() < ends:
        time.sleep(0.05)
    assert not any(t.name == "statuscli-wait" for t in threading.enumerate())
    polls = sim.counters()["anchor"].requests
    time.sleep(0.5)  # a watch still running would poll again within 0.1 s
    assert sim.counters()["anchor"].requests == polls


# ---- the example consumer -----------------------------------------------------------------------


def test_the_example_consumer_runs(sim: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert wait_for_both("done", B_DONE, settings_for(sim)) == 0
    out = capsys.readouterr()
    assert f"done: done (ready)\n{B_DONE}: done (completed)\n" == out.out
    assert "anchor done: starting -> ready" in out.err


def test_the_example_consumer_uses_a_client(sim: Simulator) -> None:
    lines, code = check_all(["done", "steps"], settings_for(sim))
    assert code == 0
    assert lines[:2] == ["done: ready", "steps: generating"]
    assert "steps -> ready" in lines
    lines, code = check_all(
        ["done", "failed", "", "nope", "stall"], settings_for(sim, timeout=0.5, retries=0)
    )
    assert code == 1
    assert lines[1:5] == [
        "failed: failed",
        ": task id must not be empty",
        "nope: not_found",
        "stall: no answer",
    ]
    assert lines[-1] == "1 of 2 tasks did not succeed: anchor failed: failure (failed)"


def readme_examples() -> list[str]:
    """The programs in the README's "Python API" section."""
    section = (
        (REPO / "README.md").read_text(encoding="utf-8").split("## Python API", 1)[1].split("\n## ", 1)[0]
    )
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_the_example_consumer_type_checks_against_the_installed_package(tmp_path: Path) -> None:
    """mypy --strict from outside the source tree, so `statuscli` is the installed package; the
    README's examples too."""
    examples = readme_examples()
    assert len(examples) >= 3
    names = []
    for number, example in enumerate(examples):
        names.append(f"readme_example_{number}.py")
        (tmp_path / names[-1]).write_text(example, encoding="utf-8")
    mypy = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    out = subprocess.run(
        [*mypy, str(REPO / "tests" / "example_consumer.py"), *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Success: no issues found in {len(names) + 1} source files" in out.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_in_get_status_raises_keyboard_interrupt_as_python_does(sim: Simulator) -> None:
    """The library installs no signal handler and never ends the process itself: Ctrl-C during a call
    raises KeyboardInterrupt in the caller, who may go on (here: exit 5), and no thread is left."""
    program = (
        "import sys, threading, statuscli\n"
        f"settings = {{'anchor': statuscli.Settings(api_key={sim.key('anchor')!r}, "
        f"base_url={sim.base_url_for('anchor')!r}, timeout=60)}}\n"
        "print('asking', flush=True)\n"
        "try:\n"
        "    statuscli.get_status('anchor', 'stall', settings=settings)\n"
        "except KeyboardInterrupt:\n"
        "    left = [t.name for t in threading.enumerate() if t.name.startswith('statuscli')]\n"
        "    print('interrupted', left, flush=True)\n"
        "    sys.exit(5)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "asking\n"
    ends = time.monotonic() + 30
    while sim.counters()["anchor"].requests == 0 and time.monotonic() < ends:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (5, "interrupted []\n"), err
