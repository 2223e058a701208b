"""The simulator: its life cycle on one loopback port, task clocks, limits, and routing a request.

Each task follows its timeline from its first request. Requests to a provider's paths go to that
provider's routes (a module named by the provider's `simulator` field in the registry), after its
`[limits]` are checked; the handler only calls the `Simulator`'s public methods.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import unquote

from statuscli.sim.faults import Response, express_404, html_response, json_response
from statuscli.sim.handler import RequestHandler, SimulatorServer
from statuscli.sim.limits import Counts, Limiter
from statuscli.sim.routes import Routes, provider_routes
from statuscli.sim.scenario import Scenario, SimTask, Step, task_key

__all__ = ["DEFAULT_STALL_SECONDS", "Simulator", "TaskRun"]

DEFAULT_STALL_SECONDS = 30.0

_LIVE_PATH = re.compile(r"/live/([^/]+)/?")


@dataclass
class TaskRun:
    """A task's clock and counters; changed only under the simulator's lock."""

    task: SimTask
    started: float | None = None  # the injected clock at the first request
    started_wall: float | None = None  # time.time() at the first request
    requests: int = 0


def _step_at(steps: tuple[Step, ...], elapsed: float) -> tuple[int, Step]:
    for index, step in enumerate(steps[:-1]):
        assert step.seconds is not None
        if elapsed < step.seconds:
            return index, step
        elapsed -= step.seconds
    return len(steps) - 1, steps[-1]


def _loopback_host(host: str) -> str:
    """The address to bind for `host`, which must be a loopback address."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"simulator host must be a loopback address, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"simulator host must be a loopback address, not {host!r}")
    return str(address)


class Simulator:
    """Serves every provider's API on one loopback port, following a Scenario."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        verbose: bool = False,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
        handler: type[RequestHandler] | None = None,
    ) -> None:
        bind_host = _loopback_host(host)
        self.scenario = scenario
        self.verbose = verbose
        self.stall_seconds = stall_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._random = random.Random(scenario.fault_seed)
        self._routes = provider_routes()
        self._limiters = {name: Limiter(scenario.limits.get(name), clock) for name in self._routes}
        self._runs: dict[tuple[str, str], TaskRun] = {
            (task.provider, task_key(task.provider, task.id)): TaskRun(task) for task in scenario.tasks
        }
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False
        self._server = SimulatorServer((bind_host, port), self, handler or RequestHandler)
        self.port: int = int(self._server.server_address[1])
        url_host = f"[{bind_host}]" if ":" in bind_host else bind_host
        self.base_url = f"http://{url_host}:{self.port}"

    # Life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a daemon background thread."""
        if self._thread is not None or self._closed:
            raise RuntimeError("simulator already started or stopped")
        self._serving = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"statuscli-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the foreground until stop() or Ctrl-C, then close."""
        if self._thread is not None or self._closed:
            raise RuntimeError("simulator already started or stopped")
        self._serving = True
        try:
            self._server.serve_forever(poll_interval=0.05)
        except KeyboardInterrupt:
            pass
        finally:
            self._serving = False
            self._close()

    def stop(self) -> None:
        """Stop serving, wake stalled requests and drop open keep-alive connections."""
        if self._serving:
            self._serving = False
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections = list(self._connections)
        self._stopping.set()
        self._server.server_close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def opened(self, connection: socket.socket) -> None:
        """A client connection opened: stop() will drop it if it is still open then."""
        with self._lock:
            self._connections.add(connection)

    def closed(self, connection: socket.socket) -> None:
        """A client connection closed."""
        with self._lock:
            self._connections.discard(connection)

    def stall(self) -> bool:
        """Hold a `!stall` answer for `stall_seconds`; True if the simulator stopped meanwhile."""
        return self._stopping.wait(self.stall_seconds)

    # Scenario state ------------------------------------------------------------------------

    def targets(self) -> list[tuple[str, str]]:
        """(provider, task id) of the scenario's tasks, in order."""
        return [(task.provider, task.id) for task in self.scenario.tasks]

    def counters(self) -> dict[str, Counts]:
        """Per provider: the requests to its routes so far and how many got a 429 (limit or fault)."""
        with self._lock:
            return {name: limiter.counts() for name, limiter in self._limiters.items()}

    def base_url_for(self, provider: str) -> str:
        """The base URL that points `provider`'s client at this simulator (its API's path included)."""
        return self.base_url + self._routes[provider].base_path

    def key(self, provider: str) -> str:
        """The API key the simulator accepts for `provider`."""
        return self.scenario.keys[provider]

    def lookup(self, provider: str, task_id: str) -> TaskRun | None:
        """The task's run, made from `[defaults]` on first sight; None for an unknown task."""
        key = (provider, task_key(provider, task_id))
        with self._lock:
            run = self._runs.get(key)
            if run is None and provider in self.scenario.defaults:
                task = SimTask(provider, task_id, self.scenario.defaults[provider])
                run = self._runs[key] = TaskRun(task)
            return run

    def advance(self, run: TaskRun) -> tuple[int, Step]:
        """Count a request, start the task's clock if needed; the step to serve now (index -1: a
        random fault)."""
        with self._lock:
            now = self._clock()
            if run.started is None:
                run.started = now
                run.started_wall = time.time()
            run.requests += 1
            rate = self.scenario.fault_rate
            if rate > 0 and self._random.random() < rate:
                return -1, Step(self._random.choice(self.scenario.random_faults))
            return _step_at(run.task.steps, now - run.started)

    def _terminal_at(self, run: TaskRun) -> float | None:
        if run.started_wall is None:
            return None
        offset = 0.0
        for step in run.task.steps:
            if step.state in self._routes[run.task.provider].terminal:
                return run.started_wall + offset
            offset += step.seconds or 0.0
        return None

    def task_list(self) -> list[dict[str, object]]:
        """What `/_sim/tasks` answers: every task seen or scheduled, its state and counters."""
        with self._lock:
            now = self._clock()
            listing: list[dict[str, object]] = []
            for run in self._runs.values():
                elapsed = 0.0 if run.started is None else now - run.started
                listing.append(
                    {
                        "provider": run.task.provider,
                        "id": run.task.id,
                        "state": _step_at(run.task.steps, elapsed)[1].state,
                        "started_at": run.started_wall,
                        "terminal_at": self._terminal_at(run),
                        "requests": run.requests,
                    }
                )
            return listing

    # Routing -------------------------------------------------------------------------------

    def respond(self, path: str, headers: Mapping[str, str]) -> Response:
        """The answer to a GET of `path` with these (lower-cased) headers."""
        for name, routes in self._routes.items():
            if any(pattern.fullmatch(path) for pattern in routes.paths):
                return self._provider_respond(name, routes, path, headers)
        if path == "/health":
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return json_response(200, {"status": "healthy", "version": "sim", "timestamp": stamp})
        if path == "/_sim/tasks":
            return json_response(200, self.task_list())
        if match := _LIVE_PATH.fullmatch(path):
            task_id = html.escape(unquote(match.group(1)))
            page = f"<!DOCTYPE html>\n<title>Live view</title>\n<p>Simulated live view of {task_id}"
            return html_response(200, page + "</p>\n")
        # A route no API has: a web server's HTML page, as a real one sends for a wrong base URL (the
        # client then says "the base URL looks wrong" instead of "the task does not exist").
        return express_404(path)

    def _provider_respond(self, name: str, routes: Routes, path: str, headers: Mapping[str, str]) -> Response:
        limiter = self._limiters[name]
        with self._lock:
            retry_after = limiter.admit()
        if retry_after is not None:
            response = routes.error(429, path, (("Retry-After", str(retry_after)),))
        else:
            response = routes.handle(self, path, headers)
        if response.status == 429:
            with self._lock:
                limiter.answered_429()
        return response
