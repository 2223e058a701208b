"""`statuscli.Client` as a Python programmer uses it, through the public names only, against the simulator
(and a server that never answers) on loopback: connections kept between calls, tuples as targets,
durations as `timedelta`, one `Settings` for every provider, the exceptions Python code expects,
`raise_for_outcome`, the `watch` generator, cancelling `wait_async`, and nothing left once closed."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

import statuscli
from statuscli import (
    ApiError,
    ApiTimeoutError,
    Client,
    ExitCode,
    Outcome,
    Phase,
    Settings,
    StatusCliError,
    Target,
    UsageError,
    WaitError,
    WatchSummary,
    WatchUpdate,
)
from statuscli.sim import Scenario, SimTask, Simulator, parse_timeline

B_DONE = "2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01"
TASKS = [
    ("anchor", "done", "ready"),
    ("anchor", "steps", "generating 300ms -> ready"),
    ("anchor", "failed", "failed"),
    ("anchor", "pending", "generating"),
    ("anchor", "stall", "!stall"),
    ("browserable", B_DONE, "completed"),
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


def settings_for(sim: Simulator, **extra: object) -> dict[str, Settings]:
    return {
        name: Settings(api_key=sim.key(name), base_url=sim.base_url_for(name), **extra)  # type: ignore[arg-type]
        for name in ("anchor", "browserable")
    }


def counting_connections(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> list[socket.socket]:
    """The connections the simulator accepts from now on, counted at the server."""
    opened: list[socket.socket] = []
    real = sim.opened

    def opened_one(connection: socket.socket) -> None:
        opened.append(connection)
        real(connection)

    monkeypatch.setattr(sim, "opened", opened_one)
    return opened


def statuscli_threads() -> list[str]:
    """The client's threads alive now (the engine's workers, the watchdog, a `wait_async` thread)."""
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith("statuscli") and not t.name.startswith("statuscli-simulator")
    ]


def no_threads_left(before: set[threading.Thread]) -> list[str]:
    """The threads started since `before` still alive after a generous wait (not a speed bound)."""
    ends = time.monotonic() + 10
    while (left := [t.name for t in threading.enumerate() if t not in before]) and time.monotonic() < ends:
        time.sleep(0.05)
    return left


# ---- one client, its connections kept ------------------------------------------------------------


def test_a_client_opens_one_connection_per_provider_for_sequential_calls(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = counting_connections(sim, monkeypatch)
    before = set(threading.enumerate())
    with Client(settings_for(sim)) as client:
        for _ in range(5):
            assert client.get_status("anchor", "done").phase is Phase.SUCCESS
            assert client.get_status("browserable", B_DONE).phase is Phase.SUCCESS
        summary = client.wait([("anchor", "steps"), ("browserable", B_DONE)], interval=0.1, timeout=30)
        assert summary.exit_code is ExitCode.SUCCESS
        assert len(opened) == 2
    assert sim.counters()["anchor"].requests >= 7
    assert no_threads_left(before) == []


def test_the_shortcuts_open_a_connection_per_call(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = counting_connections(sim, monkeypatch)
    for _ in range(3):
        assert statuscli.get_status("anchor", "done", settings=settings_for(sim)).phase is Phase.SUCCESS
    assert len(opened) == 3


def test_one_client_shared_between_threads(sim: Simulator) -> None:
    results: dict[str, object] = {}
    with Client(settings_for(sim)) as client:

        def run(task_id: str) -> None:
            if task_id == "done":
                results[task_id] = client.get_status("anchor", task_id).phase
            else:
                results[task_id] = client.wait([("anchor", task_id)], interval=0.1, timeout=30).exit_code

        threads = [threading.Thread(target=run, args=(t,)) for t in ("done", "failed", "steps")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert results == {"done": Phase.SUCCESS, "failed": ExitCode.FAILURE, "steps": ExitCode.SUCCESS}


def test_a_closed_client_refuses_calls(sim: Simulator) -> None:
    client = Client(settings_for(sim))
    client.close()
    client.close()
    with pytest.raises(UsageError, match="closed"):
        client.get_status("anchor", "done")
    with pytest.raises(UsageError, match="closed"):
        client.wait([("anchor", "done")])
    assert sim.counters()["anchor"].requests == 0


# ---- arguments -----------------------------------------------------------------------------------


def test_targets_may_be_plain_tuples(sim: Simulator) -> None:
    with Client(settings_for(sim)) as client:
        summary = client.wait(
            [
                ("anchor", "done"),
                ("browserable", B_DONE, None),
                ("browserable", B_DONE, "run-1"),
                Target("anchor", "done"),
            ]
        )
    assert [v.target for v in summary.views] == [
        Target("anchor", "done"),
        Target("browserable", B_DONE),
        Target("browserable", B_DONE, "run-1"),
    ]
    assert summary.exit_code is ExitCode.SUCCESS
    summary = statuscli.wait([("anchor", "done"), ("anchor", "done")], settings=settings_for(sim))
    assert len(summary.views) == 1


@pytest.mark.parametrize(
    ("targets", "named"),
    [
        ([["anchor", "done"]], "['anchor', 'done']"),
        ([("anchor",)], "('anchor',)"),
        ([("anchor", "done", "r", "x")], "('anchor', 'done', 'r', 'x')"),
        ([("anchor", 7)], "('anchor', 7)"),
        (["anchor done"], "'anchor done'"),
        ([{"provider": "anchor"}], "{'provider': 'anchor'}"),
        (("anchor", "done"), "('anchor', 'done')"),
        (Target("anchor", "done"), "Target(provider='anchor'"),
        ("anchor", "'anchor'"),
        (42, "42"),
    ],
)
def test_anything_else_as_a_target_is_a_type_error_naming_it(
    sim: Simulator, targets: object, named: str
) -> None:
    with Client(settings_for(sim)) as client, pytest.raises(TypeError) as caught:
        client.wait(targets)  # type: ignore[arg-type]
    assert named in str(caught.value)
    assert "Target" in str(caught.value)
    assert sim.counters()["anchor"].requests == 0


def test_bad_settings_are_a_type_error_that_shows_no_key() -> None:
    for given in ({"anchor": {"api_key": "sekrit-0123456789"}}, ["sekrit-0123456789"], "sekrit-0123456789"):
        with pytest.raises(TypeError) as caught:
            Client(given)  # type: ignore[arg-type]
        assert "sekrit" not in str(caught.value)
        assert "Settings" in str(caught.value)


def test_durations_may_be_timedeltas_everywhere(sim: Simulator) -> None:
    given = Settings(
        api_key=sim.key("anchor"),
        base_url=sim.base_url_for("anchor"),
        connect_timeout=timedelta(seconds=5),
        read_timeout="20s",
        timeout=timedelta(minutes=1),
    )
    assert (given.connect_timeout, given.read_timeout, given.timeout) == (5.0, 20.0, 60.0)
    with Client(given) as client:
        summary = client.wait(
            [("anchor", "done"), ("anchor", "pending")],
            interval=timedelta(milliseconds=100),
            timeout=timedelta(seconds=1),
        )
        assert [v.outcome for v in summary.views] == [Outcome.SUCCESS, Outcome.TIMED_OUT]
        assert 0.9 <= summary.elapsed < 10
        with pytest.raises(UsageError, match="interval"):
            client.wait([("anchor", "done")], interval=timedelta(milliseconds=10))
        with pytest.raises(UsageError, match="timeout"):
            client.wait([("anchor", "done")], timeout=timedelta(seconds=-1))
    with pytest.raises(UsageError, match=r"Settings\.timeout"):
        Settings(timeout=timedelta(0))
    with pytest.raises(UsageError, match=r"Settings\.read_timeout"):
        Settings(read_timeout=timedelta(minutes=11))


def test_one_settings_serves_the_provider_meant_or_every_provider(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ANCHORBROWSER_API_KEY", "ANCHOR_API_KEY", "BROWSERABLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    one = Settings(api_key=sim.key("anchor"), base_url=sim.base_url_for("anchor"))
    assert statuscli.get_status("anchor", "done", settings=one).phase is Phase.SUCCESS
    assert statuscli.wait([("anchor", "done")], settings=one).exit_code is ExitCode.SUCCESS
    # For every provider: the browserable request goes to the anchor routes with the anchor key.
    with Client(Settings(retries=0, timeout=5)) as client, pytest.raises(statuscli.AuthError):
        client.get_status("browserable", B_DONE)


# ---- errors Python code expects ------------------------------------------------------------------


def test_a_usage_error_is_a_value_error(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        statuscli.get_status("nosuch", "t1", settings=settings_for(sim))
    with pytest.raises(ValueError, match="interval"):
        statuscli.wait([("anchor", "done")], interval="soon", settings=settings_for(sim))
    with pytest.raises(ValueError, match="retries"):
        Settings(retries=11)
    with pytest.raises(ValueError, match="nothing to wait for"):
        statuscli.wait([], settings=settings_for(sim))
    assert issubclass(statuscli.ConfigError, ValueError)
    assert UsageError("x").exit_code is ExitCode.USAGE


def test_every_time_out_is_a_timeout_error(sim: Simulator) -> None:
    # get_status's overall limit
    with pytest.raises(TimeoutError) as overall:
        statuscli.get_status("anchor", "stall", settings=settings_for(sim, timeout=0.5, retries=0))
    assert isinstance(overall.value, ApiError)
    assert (overall.value.code, overall.value.exit_code) == ("timeout", ExitCode.API)
    # an attempt that got no answer in time, within a longer limit
    with pytest.raises(TimeoutError) as attempt:
        statuscli.get_status("anchor", "stall", settings=settings_for(sim, read_timeout=0.3, retries=0))
    assert isinstance(attempt.value, ApiTimeoutError)
    assert "took longer than" in str(attempt.value) or "in time" in str(attempt.value)
    # ... and in a wait's summary
    with Client(settings_for(sim, read_timeout=0.3)) as client:
        summary = client.wait([("anchor", "stall")], interval=0.1, timeout=1)
    [view] = summary.views
    assert isinstance(view.error, TimeoutError)
    assert isinstance(view.error, StatusCliError)


def test_the_time_limit_cuts_an_attempt_and_the_client_goes_on(sim: Simulator) -> None:
    with Client(settings_for(sim, timeout=0.5, retries=3)) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            client.get_status("anchor", "stall")
        assert str(caught.value).startswith("anchor: no answer within 0.5 s (attempt 1 of 4)")
        assert "Settings.timeout" in str(caught.value)
        assert client.get_status("anchor", "done").phase is Phase.SUCCESS  # on a new connection


# ---- raise_for_outcome ---------------------------------------------------------------------------


def test_raise_for_outcome_returns_a_successful_summary(sim: Simulator) -> None:
    with Client(settings_for(sim)) as client:
        summary = client.wait([("anchor", "done"), ("browserable", B_DONE)]).raise_for_outcome()
    assert isinstance(summary, WatchSummary)
    assert summary.exit_code is ExitCode.SUCCESS


def test_raise_for_outcome_raises_a_wait_error_carrying_the_summary(sim: Simulator) -> None:
    with Client(settings_for(sim)) as client:
        summary = client.wait([("anchor", "done"), ("anchor", "failed")], interval=0.1, timeout=30)
        with pytest.raises(WaitError) as failed:
            summary.raise_for_outcome()
        late = client.wait([("anchor", "done"), ("anchor", "pending")], interval=0.1, timeout=0.5)
        with pytest.raises(StatusCliError) as timed_out:
            late.raise_for_outcome()
    error = failed.value
    assert error.summary is summary
    assert error.exit_code is ExitCode.FAILURE is summary.exit_code
    assert error.code == "wait_failed"
    assert str(error) == "1 of 2 tasks did not succeed: anchor failed: failure (failed)"
    assert isinstance(timed_out.value, WaitError)
    assert timed_out.value.exit_code is ExitCode.DEADLINE
    assert "anchor pending: timed out (generating)" in str(timed_out.value)
    copied = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (str(copied), copied.exit_code) == (str(error), error.exit_code)


# ---- watch: a generator the caller drives --------------------------------------------------------


def test_watch_yields_updates_then_the_summary(sim: Simulator) -> None:
    with Client(settings_for(sim)) as client:
        items = list(client.watch([("anchor", "steps"), ("anchor", "done")], interval=0.1, timeout=30))
    *updates, summary = items
    assert isinstance(summary, WatchSummary)
    assert summary.exit_code is ExitCode.SUCCESS
    assert all(isinstance(u, WatchUpdate) for u in updates)
    steps = [u.view.label for u in updates if isinstance(u, WatchUpdate) and u.view.target.task_id == "steps"]
    assert steps[0] == "generating"
    assert steps[-1] == "ready"


def test_watch_checks_its_arguments_when_called(sim: Simulator) -> None:
    with Client(settings_for(sim)) as client:
        with pytest.raises(UsageError):
            client.watch([("anchor", "done")], interval=0)
        with pytest.raises(TypeError):
            client.watch([("anchor",)])  # type: ignore[list-item]
    assert sim.counters()["anchor"].requests == 0


def test_leaving_a_watch_early_or_closing_the_client_ends_its_polling(sim: Simulator) -> None:
    before = set(threading.enumerate())
    with Client(settings_for(sim)) as client:
        for update in client.watch([("anchor", "pending")], interval=0.1):
            assert isinstance(update, WatchUpdate)
            break
        assert statuscli_threads() == []  # the engine's (the connection is kept, with its server thread)
        suspended = client.watch([("anchor", "pending")], interval=0.1)
        assert isinstance(next(suspended), WatchUpdate)
    assert no_threads_left(before) == []
    polls = sim.counters()["anchor"].requests
    time.sleep(0.5)  # a watch still running would poll again within 0.1 s
    assert sim.counters()["anchor"].requests == polls
    assert list(suspended) == []


def test_closing_the_client_ends_a_wait_in_another_thread(sim: Simulator) -> None:
    before = set(threading.enumerate())
    client = Client(settings_for(sim))
    first = threading.Event()
    result: list[WatchSummary] = []
    waiting = threading.Thread(
        target=lambda: result.append(
            client.wait([("anchor", "pending")], interval=60, on_change=lambda _u: first.set())
        )
    )
    waiting.start()
    assert first.wait(30)
    client.close()
    waiting.join(30)
    [summary] = result
    assert [v.outcome for v in summary.views] == [Outcome.WATCHING]
    assert no_threads_left(before) == []


# ---- wait_async, cancelled -----------------------------------------------------------------------


class SilentServer:
    """Accepts connections, reads what comes, never answers; tells when a client hangs up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requested = threading.Event()
        self.hung_up = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            connection, _ = self.sock.accept()
            with connection:
                while data := connection.recv(4096):
                    if b"\r\n\r\n" in data:
                        self.requested.set()
                self.hung_up.set()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def silent_settings(server: SilentServer) -> Settings:
    return Settings(api_key="any-key-0123456789", base_url=server.url, read_timeout=600, timeout=600)


@pytest.mark.parametrize("how", ["cancel", "asyncio.timeout"])
def test_cancelling_wait_async_stops_at_once_and_leaves_no_thread(silent: SilentServer, how: str) -> None:
    before = set(threading.enumerate())
    left: list[str] = []

    async def main() -> None:
        async with asyncio.timeout(60):  # the test's own bound, far beyond what it needs
            with Client(silent_settings(silent)) as client:
                call = client.wait_async([("anchor", "t1")], interval=60)
                if how == "cancel":
                    task = asyncio.create_task(call)
                    await asyncio.to_thread(silent.requested.wait, 30)
                    task.cancel()
                    with pytest.raises(asyncio.CancelledError):
                        await task
                else:
                    with pytest.raises(TimeoutError):
                        async with asyncio.timeout(0.5):
                            await call
                    assert silent.requested.is_set()
                # at once: no thread of the wait is left when the cancellation reaches us
                left.extend(statuscli_threads())

    asyncio.run(main())
    assert left == []
    assert silent.hung_up.wait(10)  # the request in flight was cut, not left to its 600 s
    assert no_threads_left(before) == []


def test_using_the_api_never_imports_typer_or_rich(sim: Simulator) -> None:
    import subprocess
    import sys

    program = (
        "import asyncio, sys, statuscli\n"
        "heavy = ('requests', 'urllib3', 'rich', 'typer', 'click')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
        "client = statuscli.Client\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
        f"settings = statuscli.Settings(api_key={sim.key('anchor')!r}, "
        f"base_url={sim.base_url_for('anchor')!r})\n"
        "with statuscli.Client(settings) as c:\n"
        "    c.get_status('anchor', 'done')\n"
        "    c.wait([('anchor', 'done')]).raise_for_outcome()\n"
        "    list(c.watch([('anchor', 'done')]))\n"
        "    asyncio.run(c.wait_async([('anchor', 'done')]))\n"
        "statuscli.wait([('anchor', 'done')], settings=settings)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[]", "['requests', 'urllib3']"]
