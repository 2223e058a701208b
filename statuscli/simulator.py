"""A local stand-in for the AnchorBrowser and Browserable status APIs, on one loopback port.

Used by `status demo`, `status simulate`, end-to-end tests and benchmarks. Each task follows a
timeline of states and faults whose clock starts at the task's first request. Standard library
only, so the simulator can run anywhere the package installs, without the CLI's dependencies.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import json
import math
import random
import re
import socket
import socketserver
import struct
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import unquote, urlsplit

__all__ = [
    "DEFAULT_KEYS",
    "FAULTS",
    "Scenario",
    "ScenarioError",
    "SimTask",
    "Simulator",
    "Step",
    "default_scenario",
    "load_scenario",
    "parse_timeline",
]

ANCHOR = "anchor"
BROWSERABLE = "browserable"
PROVIDERS = (ANCHOR, BROWSERABLE)

DEFAULT_KEYS: dict[str, str] = {ANCHOR: "sim-anchor-key", BROWSERABLE: "sim-browserable-key"}

BROWSERABLE_STATES = ("none", "scheduled", "running", "tool_call", "completed", "error")
TERMINAL_STATES: dict[str, frozenset[str]] = {
    ANCHOR: frozenset({"ready", "failed"}),
    BROWSERABLE: frozenset({"completed", "error"}),
}
FAULTS = (
    "!500",
    "!502",
    "!503",
    "!504",
    "!429",
    "!reset",
    "!html",
    "!truncated",
    "!stall",
    "!401",
    "!404",
)
#: The transient faults that `[faults] rate` draws from.
RANDOM_FAULTS = ("!500", "!502", "!503", "!429", "!reset")

DEFAULT_ANCHOR_ERROR = "Task generation failed"
DEFAULT_QUESTION = "Proceed to checkout?"
DEFAULT_STALL_SECONDS = 30.0

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0}
# PostgreSQL's uuid input: optional braces, hyphens optional between groups.
_UUID = re.compile(
    r"(\{)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?(1)\})",
    re.IGNORECASE,
)


class ScenarioError(Exception):
    """A scenario file or timeline is malformed; the message names the file and the culprit."""


@dataclass(frozen=True)
class Step:
    """One stretch of a timeline: a state (or a `!fault`) held for `seconds` (None: forever)."""

    state: str
    seconds: float | None = None
    error: str | None = None
    question: str | None = None

    @property
    def is_fault(self) -> bool:
        return self.state.startswith("!")


@dataclass(frozen=True)
class SimTask:
    """A task the simulator knows, with the timeline it follows."""

    provider: str
    id: str
    steps: tuple[Step, ...]
    error: str | None = None


@dataclass(frozen=True)
class Scenario:
    """Everything the simulator serves: tasks, keys, random faults, timelines for unknown ids."""

    tasks: tuple[SimTask, ...]
    keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    fault_rate: float = 0.0
    fault_seed: int | None = None
    defaults: dict[str, tuple[Step, ...]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Scenario parsing


def _is_uuid(text: str) -> bool:
    """Whether PostgreSQL (and so the real Browserable server) would accept `text` as a uuid."""
    return _UUID.fullmatch(text) is not None


def _task_key(provider: str, task_id: str) -> str:
    if provider == BROWSERABLE and _is_uuid(task_id):
        return str(uuid.UUID(task_id.strip("{}")))
    return task_id


def _parse_duration(text: str) -> float:
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ScenarioError(f"bad duration {text!r} (use e.g. 4s, 1.5s, 500ms, 2m)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _check_steps(steps: tuple[Step, ...], provider: str | None) -> tuple[Step, ...]:
    """Validate a parsed timeline; `provider` None skips the provider-specific state checks."""
    if not steps:
        raise ScenarioError("timeline is empty")
    for number, step in enumerate(steps, start=1):
        where = f"step {number} ({step.state!r})"
        if not step.state or step.state != step.state.strip():
            raise ScenarioError(f"step {number}: state must be a non-empty word")
        if step.is_fault and step.state not in FAULTS:
            raise ScenarioError(f"{where}: unknown fault (known: {', '.join(FAULTS)})")
        if provider == BROWSERABLE and not step.is_fault and step.state not in BROWSERABLE_STATES:
            raise ScenarioError(
                f"{where}: unknown browserable state (known: {', '.join(BROWSERABLE_STATES)})"
            )
        if step.seconds is None and number < len(steps):
            raise ScenarioError(f"{where}: needs a duration (only the last step lasts forever)")
        if step.seconds is not None and (math.isnan(step.seconds) or step.seconds < 0):
            raise ScenarioError(f"{where}: duration must be a number of seconds >= 0")
        if step.error is not None and step.state != "failed":
            raise ScenarioError(f"{where}: 'error' only applies to the anchor state 'failed'")
        if step.question is not None and step.state != "tool_call":
            raise ScenarioError(f"{where}: 'question' only applies to the state 'tool_call'")
    return steps


def parse_timeline(text: str, *, provider: str | None = None) -> tuple[Step, ...]:
    """Parse the compact form `"generating 4s -> waiting-for-session 500ms -> ready"`.

    Every step but the last needs a duration; the last one lasts forever (a duration there is
    kept but has no effect). Raises ScenarioError.
    """
    steps: list[Step] = []
    for number, part in enumerate(text.split("->"), start=1):
        words = part.split()
        if len(words) not in (1, 2):
            raise ScenarioError(f"step {number} ({part.strip()!r}): expected 'STATE [DURATION]'")
        try:
            seconds = _parse_duration(words[1]) if len(words) == 2 else None
        except ScenarioError as exc:
            raise ScenarioError(f"step {number} ({part.strip()!r}): {exc}") from None
        steps.append(Step(state=words[0], seconds=seconds))
    return _check_steps(tuple(steps), provider)


def _parse_step_table(number: int, item: object) -> Step:
    if not isinstance(item, Mapping):
        raise ScenarioError(f"step {number}: expected a table like {{state = ..., seconds = ...}}")
    unknown = sorted(set(item) - {"state", "seconds", "error", "question"})
    if unknown:
        raise ScenarioError(f"step {number}: unknown key(s) {', '.join(unknown)}")
    state = item.get("state")
    if not isinstance(state, str):
        raise ScenarioError(f"step {number}: 'state' must be a string")
    seconds = item.get("seconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float)):
        raise ScenarioError(f"step {number} ({state!r}): 'seconds' must be a number")
    texts: dict[str, str | None] = {}
    for key in ("error", "question"):
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise ScenarioError(f"step {number} ({state!r}): {key!r} must be a string")
        texts[key] = value
    return Step(
        state=state,
        seconds=None if seconds is None else float(seconds),
        error=texts["error"],
        question=texts["question"],
    )


def _parse_any_timeline(value: object, provider: str | None) -> tuple[Step, ...]:
    if isinstance(value, str):
        return parse_timeline(value, provider=provider)
    if isinstance(value, list):
        steps = tuple(_parse_step_table(n, item) for n, item in enumerate(value, start=1))
        return _check_steps(steps, provider)
    raise ScenarioError("timeline must be a string or a list of {state, seconds} tables")


def _parse_task(index: int, item: object) -> SimTask:
    where = f"task #{index}"
    if not isinstance(item, Mapping):
        raise ScenarioError(f"{where}: expected a table")
    task_id = item.get("id")
    if isinstance(task_id, str):
        where = f"task #{index} (id {task_id!r})"
    unknown = sorted(set(item) - {"provider", "id", "timeline", "error"})
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")
    provider = item.get("provider")
    if provider not in PROVIDERS:
        raise ScenarioError(f"{where}: 'provider' must be one of {', '.join(PROVIDERS)}")
    if not isinstance(task_id, str) or not task_id.strip():
        raise ScenarioError(f"{where}: 'id' must be a non-empty string")
    if provider == BROWSERABLE and not _is_uuid(task_id):
        raise ScenarioError(f"{where}: browserable task ids must be UUIDs")
    error = item.get("error")
    if error is not None and not isinstance(error, str):
        raise ScenarioError(f"{where}: 'error' must be a string")
    if "timeline" not in item:
        raise ScenarioError(f"{where}: 'timeline' is missing")
    try:
        steps = _parse_any_timeline(item["timeline"], str(provider))
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: timeline: {exc}") from None
    return SimTask(provider=str(provider), id=task_id, steps=steps, error=error)


def _parse_table(data: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ScenarioError(f"[{name}] must be a table")
    return cast(Mapping[str, object], value)


def _parse_scenario(data: Mapping[str, object]) -> Scenario:
    unknown = sorted(set(data) - {"task", "keys", "faults", "defaults"})
    if unknown:
        hint = " (tasks are written [[task]])" if "tasks" in unknown else ""
        raise ScenarioError(f"unknown top-level key(s) {', '.join(unknown)}{hint}")
    items = data.get("task", [])
    if not isinstance(items, list):
        raise ScenarioError("'task' must be an array of tables ([[task]])")
    tasks = tuple(_parse_task(index, item) for index, item in enumerate(items, start=1))
    seen: dict[tuple[str, str], int] = {}
    for index, task in enumerate(tasks, start=1):
        key = (task.provider, _task_key(task.provider, task.id))
        if key in seen:
            raise ScenarioError(f"task #{index} (id {task.id!r}): duplicate of task #{seen[key]}")
        seen[key] = index

    keys = dict(DEFAULT_KEYS)
    for provider, key_value in _parse_table(data, "keys").items():
        if provider not in PROVIDERS:
            raise ScenarioError(f"[keys]: unknown provider {provider!r}")
        if not isinstance(key_value, str) or not key_value:
            raise ScenarioError(f"[keys]: {provider} must be a non-empty string")
        keys[provider] = key_value

    faults = _parse_table(data, "faults")
    unknown = sorted(set(faults) - {"rate", "seed"})
    if unknown:
        raise ScenarioError(f"[faults]: unknown key(s) {', '.join(unknown)}")
    rate = faults.get("rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise ScenarioError("[faults]: rate must be a number from 0 to 1")
    seed = faults.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ScenarioError("[faults]: seed must be an integer")

    defaults: dict[str, tuple[Step, ...]] = {}
    for provider, timeline in _parse_table(data, "defaults").items():
        if provider not in PROVIDERS:
            raise ScenarioError(f"[defaults]: unknown provider {provider!r}")
        try:
            defaults[provider] = _parse_any_timeline(timeline, provider)
        except ScenarioError as exc:
            raise ScenarioError(f"[defaults] {provider}: {exc}") from None

    if not tasks and not defaults:
        raise ScenarioError("no tasks: add at least one [[task]] or a [defaults] timeline")
    return Scenario(tasks=tasks, keys=keys, fault_rate=float(rate), fault_seed=seed, defaults=defaults)


def _scenario_from_text(text: str, source: str, kind: str) -> Scenario:
    try:
        data: object = tomllib.loads(text) if kind == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{source}: invalid {kind.upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a table/object")
    try:
        return _parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None


def load_scenario(path: str | PathLike[str]) -> Scenario:
    """Load a scenario from a .toml or .json file. Raises ScenarioError naming the file."""
    source = str(path)
    kind = Path(path).suffix.lower().lstrip(".")
    if kind not in ("toml", "json"):
        raise ScenarioError(f"{source}: unsupported scenario file type (use .toml or .json)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(f"{source}: cannot read: {reason}") from None
    return _scenario_from_text(text, source, kind)


def default_scenario() -> Scenario:
    """The built-in demo scenario shipped as statuscli/scenarios/default.toml."""
    resource = resources.files("statuscli").joinpath("scenarios", "default.toml")
    return _scenario_from_text(resource.read_text(encoding="utf-8"), "default.toml", "toml")


# --------------------------------------------------------------------------------------------
# Responses


def _json_bytes(value: object) -> bytes:
    # Compact, like Express's res.json, so bodies match the recorded ones byte for byte.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False
    stall: bool = False
    close: bool = False


def _json(status: int, value: object, *headers: tuple[str, str]) -> _Response:
    return _Response(status, _json_bytes(value), headers=headers)


def _html(status: int, page: str, *headers: tuple[str, str]) -> _Response:
    return _Response(status, page.encode("utf-8"), "text/html; charset=utf-8", headers)


def _express_404(path: str) -> _Response:
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET {html.escape(path)}</pre>\n"
        "</body>\n</html>\n"
    )
    return _html(
        404,
        page,
        ("Content-Security-Policy", "default-src 'none'"),
        ("X-Content-Type-Options", "nosniff"),
    )


def _gateway_page(status: int, reason: str) -> _Response:
    page = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return _html(status, page)


_RETRY_AFTER = ("Retry-After", "1")
_FAULT_MESSAGES: dict[str, dict[int, str]] = {
    ANCHOR: {
        500: "Failed to get task generation status",
        503: "Service temporarily unavailable",
        429: "Too many requests, please try again later",
        401: "Invalid or missing API key",
        404: "Task not found",
    },
    BROWSERABLE: {
        500: "Internal server error",
        503: "Service temporarily unavailable",
        429: "Too many requests, please try again later",
        401: "Invalid API key",
    },
}
_MAINTENANCE_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head>\n"
    "<body><h1>We'll be right back</h1><p>The service is down for maintenance.</p></body>\n"
    "</html>\n"
)


def _fault_response(provider: str, fault: str, path: str, sample: bytes) -> _Response:
    """The response for a `!fault` step; `sample` is a valid body to cut for !truncated."""
    if fault == "!reset":
        return _Response(0, reset=True)
    if fault == "!stall":
        return _Response(504, _gateway_page(504, "Gateway Time-out").body, stall=True)
    if fault == "!html":
        return _html(200, _MAINTENANCE_PAGE)
    if fault == "!truncated":
        return _Response(200, sample[: len(sample) // 2])
    status = int(fault[1:])
    if status in (502, 504):
        return _gateway_page(status, "Bad Gateway" if status == 502 else "Gateway Time-out")
    extra = (_RETRY_AFTER,) if status in (429, 503) else ()
    message = _FAULT_MESSAGES[provider].get(status)
    if provider == ANCHOR:
        return _json(status, {"error": message, "code": status}, *extra)
    if message is None:  # Express answers an unknown route with its HTML page
        return _express_404(path)
    return _json(status, {"success": False, "error": message}, *extra)


# --------------------------------------------------------------------------------------------
# Server


@dataclass
class _TaskRun:
    """A task's clock and counters; guarded by Simulator._lock."""

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


_ANCHOR_PATH = re.compile(r"/v2/tasks/([^/]+)/generation-status/?")
_BROWSERABLE_PATH = re.compile(r"/api/v1/task/([^/]+)/run/status/?")
_BROWSERABLE_RUN_PATH = re.compile(r"/api/v1/task/([^/]+)/run/([^/]+)/status/?")
_LIVE_PATH = re.compile(r"/live/([^/]+)/?")
_NULL_RUN = {"success": True, "data": {"status": None, "toolCall": None, "liveStatus": None}}


class Simulator:
    """Serves both provider APIs on one loopback port, following a Scenario."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        verbose: bool = False,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
    ) -> None:
        bind_host = _loopback_host(host)
        self.scenario = scenario
        self.verbose = verbose
        self.stall_seconds = stall_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._random = random.Random(scenario.fault_seed)
        self._runs: dict[tuple[str, str], _TaskRun] = {
            (task.provider, _task_key(task.provider, task.id)): _TaskRun(task) for task in scenario.tasks
        }
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._serving = False
        self._closed = False
        self._server = _Server((bind_host, port), self)
        self.port: int = int(self._server.server_address[1])
        url_host = f"[{bind_host}]" if ":" in bind_host else bind_host
        self.base_url = f"http://{url_host}:{self.port}"
        self.anchor_base_url = self.base_url
        self.browserable_base_url = f"{self.base_url}/api/v1"

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

    def targets(self) -> list[tuple[str, str]]:
        """(provider, task id) of the scenario's tasks, in order."""
        return [(task.provider, task.id) for task in self.scenario.tasks]

    # Task state -----------------------------------------------------------------------------

    def _lookup(self, provider: str, task_id: str) -> _TaskRun | None:
        key = (provider, _task_key(provider, task_id))
        with self._lock:
            run = self._runs.get(key)
            if run is None and provider in self.scenario.defaults:
                task = SimTask(provider, task_id, self.scenario.defaults[provider])
                run = self._runs[key] = _TaskRun(task)
            return run

    def _advance(self, run: _TaskRun) -> tuple[int, Step]:
        """Count a request, start the task's clock if needed; the step to serve now."""
        with self._lock:
            now = self._clock()
            if run.started is None:
                run.started = now
                run.started_wall = time.time()
            run.requests += 1
            rate = self.scenario.fault_rate
            if rate > 0 and self._random.random() < rate:
                return -1, Step(self._random.choice(RANDOM_FAULTS))
            return _step_at(run.task.steps, now - run.started)

    def _terminal_at(self, run: _TaskRun) -> float | None:
        if run.started_wall is None:
            return None
        offset = 0.0
        for step in run.task.steps:
            if step.state in TERMINAL_STATES[run.task.provider]:
                return run.started_wall + offset
            offset += step.seconds or 0.0
        return None

    def _task_list(self) -> list[dict[str, object]]:
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

    def _respond(self, path: str, headers: Mapping[str, str]) -> _Response:
        if match := _ANCHOR_PATH.fullmatch(path):
            return self._anchor(unquote(match.group(1)), headers.get("anchor-api-key"), path)
        if match := _BROWSERABLE_PATH.fullmatch(path):
            return self._browserable(unquote(match.group(1)), headers.get("x-api-key"), path)
        if _BROWSERABLE_RUN_PATH.fullmatch(path):
            # The real server has this route but answers all-null data (recorded #16-18).
            return self._browserable_key_error(headers.get("x-api-key")) or _json(200, _NULL_RUN)
        if path == "/health":
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return _json(200, {"status": "healthy", "version": "sim", "timestamp": stamp})
        if path == "/_sim/tasks":
            return _json(200, self._task_list())
        if match := _LIVE_PATH.fullmatch(path):
            task_id = html.escape(unquote(match.group(1)))
            page = f"<!DOCTYPE html>\n<title>Live view</title>\n<p>Simulated live view of {task_id}"
            return _html(200, page + "</p>\n")
        if path == "/api" or path.startswith("/api/"):
            return _express_404(path)
        return _json(404, {"error": "Not found", "code": 404})

    def _anchor(self, task_id: str, key: str | None, path: str) -> _Response:
        if key != self.scenario.keys[ANCHOR]:
            return _json(401, {"error": "Invalid or missing API key", "code": 401})
        run = self._lookup(ANCHOR, task_id)
        if run is None:
            return _json(404, {"error": "Task not found", "code": 404})
        _, step = self._advance(run)
        if step.is_fault:
            sample = {"id": task_id, "status": "generating", "project_state": "generating"}
            return _fault_response(ANCHOR, step.state, path, _json_bytes(sample))
        body: dict[str, object] = {"id": task_id, "status": step.state, "project_state": step.state}
        if step.state == "failed":
            body["error"] = step.error or run.task.error or DEFAULT_ANCHOR_ERROR
        return _json(200, body)

    @staticmethod
    def _browserable_error(message: str) -> _Response:
        return _json(200, {"success": False, "error": message})

    def _browserable_key_error(self, key: str | None) -> _Response | None:
        if not key:
            return self._browserable_error("API key is required")
        if key != self.scenario.keys[BROWSERABLE]:
            return self._browserable_error("Invalid API key")
        return None

    def _browserable(self, task_id: str, key: str | None, path: str) -> _Response:
        if problem := self._browserable_key_error(key):
            return problem
        if not _is_uuid(task_id):
            return self._browserable_error(f'invalid input syntax for type uuid: "{task_id}"')
        run = self._lookup(BROWSERABLE, task_id)
        if run is None:
            return _json(200, _NULL_RUN)
        index, step = self._advance(run)
        if step.is_fault:
            sample = self._browserable_body(run.task.id, 0, Step("running"))
            return _fault_response(BROWSERABLE, step.state, path, _json_bytes(sample))
        return _json(200, self._browserable_body(run.task.id, index, step))

    def _browserable_body(self, task_id: str, index: int, step: Step) -> dict[str, object]:
        """The body for a state, in the real server's key order (recorded bodies 1-8)."""
        state = step.state
        if state == "none":
            return _NULL_RUN
        tool_call: object = None
        live: object = None
        if state == "running":
            live = f"{self.base_url}/live/{task_id}"
        elif state == "tool_call":
            tool_call = {
                "toolCallId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"statuscli-sim:{task_id}:{index}")),
                "tool": {
                    "name": "get_user_confirmation",
                    "parameters": {"question": step.question or DEFAULT_QUESTION},
                },
            }
            live = "Waiting for user input"
        status = "running" if state == "tool_call" else state
        detailed = "pending" if state == "scheduled" else state
        data = {"status": status, "detailedStatus": detailed, "toolCall": tool_call, "liveStatus": live}
        return {"success": True, "data": data}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn): skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients vanishing mid-request are normal under load and in fault tests: stay quiet.
        if self.simulator.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "statuscli-sim"
    wbufsize = 1 << 16  # headers and body leave in one write (flushed per request)
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._reset = False
        with self.server.simulator._lock:
            self.server.simulator._connections.add(self.connection)

    def finish(self) -> None:
        simulator = self.server.simulator
        with simulator._lock:
            simulator._connections.discard(self.connection)
        try:
            super().finish()
        finally:
            if self._reset:
                # SO_LINGER 0 then close: the peer gets a TCP RST instead of a response.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.simulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        simulator = self.server.simulator
        path = urlsplit(self.path).path
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = simulator._respond(path, headers)
        if response.stall and simulator._stopping.wait(simulator.stall_seconds):
            response = _Response(0, reset=True)
        self._send(response)

    def _method_not_allowed(self) -> None:
        body = {"error": "Method not allowed", "code": 405}
        self._send(_Response(405, _json_bytes(body), headers=(("Allow", "GET"),), close=True))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _method_not_allowed
    do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server answers a method it has no do_* for with 501; the API says 405.
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._method_not_allowed()
        else:
            super().send_error(code, message, explain)

    def _send(self, response: _Response) -> None:
        if response.reset:
            self._reset = True
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if response.close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
