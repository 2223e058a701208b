"""The loopback simulator: routes, bodies against the API contracts and recorded responses,
keys, timelines under a fake clock, faults, scenario files."""

from __future__ import annotations

import copy
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from statuscli.sim import (
    FAULTS,
    Scenario,
    ScenarioError,
    SimTask,
    Simulator,
    Step,
    default_keys,
    default_scenario,
    load_scenario,
    parse_timeline,
)

from .apis import Api

SPECS = Path(__file__).parent / "specs"
ANCHOR_KEY = {"anchor-api-key": default_keys()["anchor"]}
BROWSERABLE_KEY = {"x-api-key": default_keys()["browserable"]}
UUID_1 = "11111111-1111-4111-8111-000000000001"
UUID_2 = "11111111-1111-4111-8111-000000000002"
UNKNOWN_UUID = "11111111-1111-4111-8111-0000000000ff"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def get(sim: Simulator, path: str, headers: Mapping[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, response.msg, response.read())
    finally:
        connection.close()


def anchor(sim: Simulator, task_id: str) -> Reply:
    return get(sim, f"/v2/tasks/{task_id}/generation-status", ANCHOR_KEY)


def browserable(sim: Simulator, task_id: str, query: str = "") -> Reply:
    return get(sim, f"/api/v1/task/{task_id}/run/status{query}", BROWSERABLE_KEY)


def scenario_of(*tasks: tuple[str, str, str], **options: Any) -> Scenario:
    return Scenario(
        tasks=tuple(
            SimTask(provider, task_id, parse_timeline(timeline, provider=provider))
            for provider, task_id, timeline in tasks
        ),
        **options,
    )


@contextmanager
def running(scenario: Scenario, clock: FakeClock, **options: Any) -> Iterator[Simulator]:
    with Simulator(scenario, clock=clock, **options) as sim:
        yield sim


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --------------------------------------------------------------------------------------------
# Contracts: the OpenAPI response schemas and the recorded Browserable bodies


def _openapi_3_0_nullable(schema: Any) -> Any:
    """Turn OpenAPI's `nullable: true` into JSON Schema (the spec uses it on toolCall)."""
    if isinstance(schema, dict):
        schema = {key: _openapi_3_0_nullable(value) for key, value in schema.items()}
        if schema.pop("nullable", False) and "type" in schema:
            schema["type"] = [schema["type"], "null"]
    elif isinstance(schema, list):
        schema = [_openapi_3_0_nullable(item) for item in schema]
    return schema


def response_schema(spec: str, path: str) -> dict[str, Any]:
    document = yaml.safe_load((SPECS / spec).read_text(encoding="utf-8"))
    operation = document["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return dict(_openapi_3_0_nullable(schema))


ANCHOR_SCHEMA = response_schema("anchor.openapi.yaml", "/v2/tasks/{taskId}/generation-status")
BROWSERABLE_SCHEMA = copy.deepcopy(response_schema("browserable.openapi.yaml", "/task/{taskId}/run/status"))
_data = BROWSERABLE_SCHEMA["properties"]["data"]["properties"]
# Documented discrepancy (shared/PROVIDERS.md, recorded bodies 2, 4, 7): the spec calls liveStatus
# an object, but the real server sends a string (the live URL or a message), "" or null.
_data["liveStatus"] = {"type": ["string", "object", "null"]}
# Documented discrepancy (PROVIDERS.md, recorded bodies 7, 8): status is null while a task has no
# run yet; the spec's enum only lists the four run states.
_data["status"] = {"anyOf": [_data["status"], {"type": "null"}]}


def assert_matches(schema: dict[str, Any], body: Any) -> None:
    jsonschema.Draft202012Validator(schema).validate(body)


# The real server's bodies, copied from shared/recorded/browserable-run-status.md.
RECORDED = {
    "scheduled": b'{"success":true,"data":{"status":"scheduled","detailedStatus":"pending",'
    b'"toolCall":null,"liveStatus":null}}',
    "completed": b'{"success":true,"data":{"status":"completed","detailedStatus":"completed",'
    b'"toolCall":null,"liveStatus":null}}',
    "error": b'{"success":true,"data":{"status":"error","detailedStatus":"error",'
    b'"toolCall":null,"liveStatus":null}}',
    "none": b'{"success":true,"data":{"status":null,"toolCall":null,"liveStatus":null}}',
    "running": b'{"success":true,"data":{"status":"running","detailedStatus":"running",'
    b'"toolCall":null,"liveStatus":"Clicking the \\"Sign in\\" button"}}',
    "tool_call": b'{"success":true,"data":{"status":"running","detailedStatus":"tool_call",'
    b'"toolCall":{"toolCallId":"55555555-5555-4555-8555-000000000007","tool":{"name":'
    b'"get_user_confirmation","parameters":{"question":"Proceed to checkout?"}}},'
    b'"liveStatus":"Waiting for user input"}}',
    "no key": b'{"success":false,"error":"API key is required"}',
    "wrong key": b'{"success":false,"error":"Invalid API key"}',
    "not a uuid": b'{"success":false,"error":"invalid input syntax for type uuid: \\"not-a-uuid\\""}',
}


def shape(value: Any) -> Any:
    """Keys in order and value types, recursively: what must match a recorded body."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    return type(value).__name__


BROWSERABLE_TIMELINE = "none 1s -> scheduled 1s -> running 1s -> tool_call 1s -> completed"


def test_browserable_states_match_recorded_bodies(clock: FakeClock) -> None:
    scenario = scenario_of(
        ("browserable", UUID_1, BROWSERABLE_TIMELINE),
        ("browserable", UUID_2, "running 1s -> error"),
    )
    with running(scenario, clock) as sim:
        seen: dict[str, Reply] = {}
        for state in ("none", "scheduled", "running", "tool_call", "completed"):
            seen[state] = browserable(sim, UUID_1)
            clock.advance(1)
        browserable(sim, UUID_2)
        clock.advance(1)
        seen["error"] = browserable(sim, UUID_2)

    for state, reply in seen.items():
        assert reply.status == 200, state
        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        assert_matches(BROWSERABLE_SCHEMA, reply.json())
        assert shape(reply.json()) == shape(json.loads(RECORDED[state])), state
    for state in ("none", "scheduled", "completed", "error"):
        assert seen[state].body == RECORDED[state], state
    assert seen["running"].json()["data"]["liveStatus"] == f"{sim.base_url}/live/{UUID_1}"
    tool_call = seen["tool_call"].json()["data"]["toolCall"]
    assert tool_call["tool"] == {
        "name": "get_user_confirmation",
        "parameters": {"question": "Proceed to checkout?"},
    }
    assert len(tool_call["toolCallId"]) == 36


def test_browserable_key_and_id_errors_match_recorded_bodies(clock: FakeClock) -> None:
    with running(scenario_of(("browserable", UUID_2, "running")), clock) as sim:
        path = f"/api/v1/task/{UUID_2}/run/status"
        no_key = get(sim, path)
        empty_key = get(sim, path, {"x-api-key": ""})
        bearer = get(sim, path, {"Authorization": f"Bearer {default_keys()['browserable']}"})
        wrong_key = get(sim, path, {"x-api-key": "nope"})
        anchor_key = get(sim, path, {"x-api-key": default_keys()["anchor"]})
        right_key = get(sim, path, BROWSERABLE_KEY)
        not_uuid = browserable(sim, "not-a-uuid")
        unknown = browserable(sim, UNKNOWN_UUID)
    for reply in (no_key, empty_key, bearer):
        assert (reply.status, reply.body) == (200, RECORDED["no key"])
    for reply in (wrong_key, anchor_key):
        assert (reply.status, reply.body) == (200, RECORDED["wrong key"])
    assert right_key.json()["data"]["status"] == "running"
    assert (not_uuid.status, not_uuid.body) == (200, RECORDED["not a uuid"])
    assert (unknown.status, unknown.body) == (200, RECORDED["none"])


def test_browserable_run_id_is_accepted_and_ignored(clock: FakeClock) -> None:
    with running(scenario_of(("browserable", UUID_1, "scheduled")), clock) as sim:
        query = browserable(sim, UUID_1, "?runId=22222222-2222-4222-8222-000000000010")
        as_path = get(sim, f"/api/v1/task/{UUID_1}/run/{UUID_2}/status", BROWSERABLE_KEY)
        as_path_no_key = get(sim, f"/api/v1/task/{UUID_1}/run/{UUID_2}/status")
    assert query.body == RECORDED["scheduled"]
    # The real server has the path form too, but it answers all-null data (recorded 16-18).
    assert as_path.body == RECORDED["none"]
    assert as_path_no_key.body == RECORDED["no key"]


def test_browserable_ids_are_matched_as_uuids(clock: FakeClock) -> None:
    with running(scenario_of(("browserable", UUID_1, "completed")), clock) as sim:
        upper = browserable(sim, UUID_1.upper())
        braces = browserable(sim, "{" + UUID_1 + "}")
        quoted = browserable(sim, "x%22y")
    assert upper.body == braces.body == RECORDED["completed"]
    assert quoted.json() == {"success": False, "error": 'invalid input syntax for type uuid: "x"y"'}


def test_anchor_states_match_the_schema(clock: FakeClock) -> None:
    scenario = scenario_of(
        ("anchor", "a", "generating 1s -> waiting-for-session 1s -> ready"),
        ("anchor", "b", "generating 1s -> failed"),
    )
    with running(scenario, clock) as sim:
        first = anchor(sim, "a")
        anchor(sim, "b")
        clock.advance(1)
        waiting = anchor(sim, "a")
        clock.advance(1)
        ready = anchor(sim, "a")
        failed = anchor(sim, "b")
    assert first.json() == {"id": "a", "status": "generating", "project_state": "generating"}
    assert ready.json() == {"id": "a", "status": "ready", "project_state": "ready"}
    assert failed.json() == {
        "id": "b",
        "status": "failed",
        "project_state": "failed",
        "error": "Task generation failed",
    }
    for reply in (first, ready, failed):
        assert reply.status == 200
        assert_matches(ANCHOR_SCHEMA, reply.json())
    # waiting-for-session is real (the Python SDK knows it) but not in the spec's enum.
    assert waiting.json() == {
        "id": "a",
        "status": "waiting-for-session",
        "project_state": "waiting-for-session",
    }


def test_anchor_failed_error_and_unknown_states(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[[task]]\nprovider = "anchor"\nid = "f"\ntimeline = "failed"\nerror = "Needs a login"\n'
        '[[task]]\nprovider = "anchor"\nid = "g"\n'
        'timeline = [{state = "failed", error = "Step message"}]\n'
        '[[task]]\nprovider = "anchor"\nid = "u"\ntimeline = "indexing_pages"\n',
        encoding="utf-8",
    )
    with running(load_scenario(path), clock) as sim:
        assert anchor(sim, "f").json()["error"] == "Needs a login"
        assert anchor(sim, "g").json()["error"] == "Step message"
        unknown = anchor(sim, "u").json()
    assert unknown == {"id": "u", "status": "indexing_pages", "project_state": "indexing_pages"}


def test_anchor_keys_and_unknown_ids(clock: FakeClock) -> None:
    with running(scenario_of(("anchor", "t", "ready")), clock) as sim:
        path = "/v2/tasks/t/generation-status"
        missing = get(sim, path)
        wrong = get(sim, path, {"anchor-api-key": "nope"})
        other = get(sim, path, {"anchor-api-key": default_keys()["browserable"]})
        right = get(sim, path, ANCHOR_KEY)
        unknown = anchor(sim, "nope")
        unknown_no_key = get(sim, "/v2/tasks/nope/generation-status")
    for reply in (missing, wrong, other, unknown_no_key):
        assert reply.status == 401
        assert reply.json() == {"error": "Invalid or missing API key", "code": 401}
    assert (right.status, right.json()["status"]) == (200, "ready")
    assert (unknown.status, unknown.json()) == (404, {"error": "Task not found", "code": 404})


def test_scenario_keys_replace_the_defaults(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {
                "task": [{"provider": "anchor", "id": "t", "timeline": "ready"}],
                "keys": {"anchor": "custom-key"},
            }
        ),
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert scenario.keys == default_keys() | {"anchor": "custom-key"}
    with running(scenario, clock) as sim:
        assert anchor(sim, "t").status == 401
        assert get(sim, "/v2/tasks/t/generation-status", {"anchor-api-key": "custom-key"}).status == 200


def test_health_and_wrong_paths(clock: FakeClock) -> None:
    with running(scenario_of(("anchor", "t", "ready")), clock) as sim:
        health = get(sim, "/health")
        wrong_api = [
            get(sim, f"/api/v3/task/{UUID_2}/status", BROWSERABLE_KEY),
            get(sim, f"/api/v2/task/{UUID_2}/run/status", BROWSERABLE_KEY),
            get(sim, "/api/v1/<script>"),
        ]
        elsewhere = [get(sim, "/v2/tasks/t"), get(sim, "/"), get(sim, "/v1/tasks/t/generation-status")]
        live = get(sim, f"/live/{UUID_2}")
    body = health.json()
    assert (health.status, body["status"], body["version"]) == (200, "healthy", "sim")
    assert body["timestamp"].endswith("Z")
    # Any route no API has is a web server's HTML page, as a real server sends for a wrong base URL.
    for reply in [*wrong_api, *elsewhere]:
        assert reply.status == 404
        assert reply.headers["Content-Type"].startswith("text/html")
        assert reply.body.startswith(b"<!DOCTYPE html>")
        assert b"Cannot GET /" in reply.body
    assert b"&lt;script&gt;" in wrong_api[2].body
    assert live.status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO"])
def test_non_get_methods_are_405(clock: FakeClock, method: str) -> None:
    with running(scenario_of(("anchor", "t", "ready")), clock) as sim:
        connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
        connection.request(method, "/v2/tasks/t/generation-status", body=b"{}", headers=ANCHOR_KEY)
        response = connection.getresponse()
        body = response.read()
        connection.close()
    assert response.status == 405
    assert response.getheader("Allow") == "GET"
    if method != "HEAD":
        assert json.loads(body) == {"error": "Method not allowed", "code": 405}


def test_keep_alive_over_http_1_1(clock: FakeClock) -> None:
    with running(scenario_of(("anchor", "t", "ready")), clock) as sim:
        connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
        for _ in range(5):
            connection.request("GET", "/v2/tasks/t/generation-status", headers=ANCHOR_KEY)
            response = connection.getresponse()
            body = response.read()
            assert response.version == 11
            assert not response.will_close
            assert response.getheader("Content-Length") == str(len(body))
        # Error bodies keep the connection too.
        connection.request("GET", "/nope")
        assert connection.getresponse().read()
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        connection.close()


def test_stop_drops_idle_keep_alive_connections(clock: FakeClock) -> None:
    sim = Simulator(scenario_of(("anchor", "t", "ready")), clock=clock)
    sim.start()
    # The connection has no idle timeout: without stop() dropping it, recv() would wait the full 30 s.
    with socket.create_connection(("127.0.0.1", sim.port), timeout=30) as client:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        sim.stop()
        assert client.recv(4096) == b""
        assert time.monotonic() - started < 15


def test_many_concurrent_keep_alive_clients(clock: FakeClock) -> None:
    scenario = scenario_of(("anchor", "t", "ready"))
    errors: list[BaseException] = []
    barrier = threading.Barrier(200)

    def client(port: int) -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.connect()
            barrier.wait(timeout=10)
            for _ in range(3):
                connection.request("GET", "/v2/tasks/t/generation-status", headers=ANCHOR_KEY)
                assert json.loads(connection.getresponse().read())["status"] == "ready"
            connection.close()
        except BaseException as exc:
            errors.append(exc)

    with running(scenario, clock) as sim:
        threads = [threading.Thread(target=client, args=(sim.port,)) for _ in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


# --------------------------------------------------------------------------------------------
# Timelines


def test_timeline_advances_with_the_clock_and_the_last_step_lasts(clock: FakeClock) -> None:
    with running(
        scenario_of(("anchor", "t", "generating 2s -> waiting-for-session 500ms -> ready")), clock
    ) as sim:
        states = []
        for step in (0, 1.9, 0.1, 0.4, 0.1, 1000):
            clock.advance(step)
            states.append(anchor(sim, "t").json()["status"])
    assert states == [
        "generating",
        "generating",
        "waiting-for-session",
        "waiting-for-session",
        "ready",
        "ready",
    ]


def test_each_task_clock_starts_at_its_first_request(clock: FakeClock) -> None:
    scenario = scenario_of(
        ("anchor", "early", "generating 4s -> ready"),
        ("anchor", "late", "generating 4s -> ready"),
        ("browserable", UUID_1, "none 4s -> completed"),
    )
    with running(scenario, clock) as sim:
        clock.advance(100)  # time passing before any request does not count
        assert anchor(sim, "early").json()["status"] == "generating"
        clock.advance(3)
        assert anchor(sim, "late").json()["status"] == "generating"
        assert browserable(sim, UUID_1).body == RECORDED["none"]
        clock.advance(1)
        assert anchor(sim, "early").json()["status"] == "ready"
        assert anchor(sim, "late").json()["status"] == "generating"
        clock.advance(3)
        assert anchor(sim, "late").json()["status"] == "ready"
        assert browserable(sim, UUID_1).body == RECORDED["completed"]


def test_defaults_give_unknown_ids_a_timeline(clock: FakeClock) -> None:
    scenario = Scenario(
        tasks=(),
        defaults={
            "anchor": parse_timeline("generating 2s -> ready"),
            "browserable": parse_timeline("running 2s -> completed", provider="browserable"),
        },
    )
    with running(scenario, clock) as sim:
        assert anchor(sim, "gen-1").json()["status"] == "generating"
        clock.advance(1)
        assert anchor(sim, "gen-2").json()["status"] == "generating"
        assert browserable(sim, UNKNOWN_UUID).json()["data"]["status"] == "running"
        clock.advance(1)
        assert anchor(sim, "gen-1").json() == {
            "id": "gen-1",
            "status": "ready",
            "project_state": "ready",
        }
        assert anchor(sim, "gen-2").json()["status"] == "generating"
        # A malformed id is still a database error, as on the real server.
        assert browserable(sim, "not-a-uuid").body == RECORDED["not a uuid"]
        listed = {(task["provider"], task["id"]) for task in get(sim, "/_sim/tasks").json()}
    assert listed == {("anchor", "gen-1"), ("anchor", "gen-2"), ("browserable", UNKNOWN_UUID)}


def test_sim_tasks_reports_state_and_terminal_at(clock: FakeClock) -> None:
    scenario = scenario_of(
        ("anchor", "t", "generating 4s -> waiting-for-session 2s -> ready"),
        ("anchor", "never", "generating"),
        ("browserable", UUID_1, "scheduled 3s -> error"),
    )
    with running(scenario, clock) as sim:
        before = get(sim, "/_sim/tasks").json()
        wall = time.time()
        anchor(sim, "t")
        anchor(sim, "never")
        clock.advance(5)
        after = {task["id"]: task for task in get(sim, "/_sim/tasks").json()}
    assert [(task["provider"], task["id"]) for task in before] == sim.targets()
    assert all(task["started_at"] is None and task["terminal_at"] is None for task in before)
    assert all(task["requests"] == 0 for task in before)
    task = after["t"]
    assert (task["state"], task["requests"]) == ("waiting-for-session", 1)
    assert task["started_at"] == pytest.approx(wall, abs=2)
    assert task["terminal_at"] == pytest.approx(task["started_at"] + 6)
    assert after["never"]["terminal_at"] is None
    assert after[UUID_1]["terminal_at"] is None  # never requested, so its clock has not started
    assert after[UUID_1]["state"] == "scheduled"


# --------------------------------------------------------------------------------------------
# Faults


STATUS_FAULTS = [
    # fault, provider, HTTP status, Retry-After, content type, body check
    ("!500", "anchor", 500, None, "application/json", {"code": 500}),
    ("!500", "browserable", 500, None, "application/json", {"success": False}),
    ("!502", "anchor", 502, None, "text/html", None),
    ("!503", "anchor", 503, "1", "application/json", {"code": 503}),
    ("!503", "browserable", 503, "1", "application/json", {"success": False}),
    ("!504", "browserable", 504, None, "text/html", None),
    ("!429", "anchor", 429, "1", "application/json", {"code": 429}),
    ("!429", "browserable", 429, "1", "application/json", {"success": False}),
    ("!401", "anchor", 401, None, "application/json", {"code": 401}),
    ("!401", "browserable", 401, None, "application/json", {"success": False}),
    ("!404", "anchor", 404, None, "application/json", {"code": 404}),
    ("!404", "browserable", 404, None, "text/html", None),
    ("!html", "anchor", 200, None, "text/html", None),
    ("!html", "browserable", 200, None, "text/html", None),
]


def fault_target(provider: str) -> tuple[str, str]:
    """A task id the provider's API accepts (a UUID is accepted by all), and the path asking about it."""
    return UUID_1, Api(provider).request_target(UUID_1)


@pytest.mark.parametrize(
    ("fault", "provider", "status", "retry_after", "content_type", "body"), STATUS_FAULTS
)
def test_status_faults(
    clock: FakeClock,
    fault: str,
    provider: str,
    status: int,
    retry_after: str | None,
    content_type: str,
    body: dict[str, Any] | None,
) -> None:
    task_id, path = fault_target(provider)
    final = "ready" if provider == "anchor" else "completed"
    scenario = scenario_of((provider, task_id, f"{fault} 1s -> {final}"))
    headers = ANCHOR_KEY if provider == "anchor" else BROWSERABLE_KEY
    with running(scenario, clock) as sim:
        reply = get(sim, path, headers)
        clock.advance(1)
        after = get(sim, path, headers)
    assert reply.status == status
    assert reply.headers.get("Retry-After") == retry_after
    assert reply.headers["Content-Type"].startswith(content_type)
    assert reply.headers["Content-Length"] == str(len(reply.body))
    if body is not None:
        assert body.items() <= reply.json().items()
    assert after.status == 200


def test_every_fault_is_tested() -> None:
    covered = {fault for fault, *_ in STATUS_FAULTS} | {"!reset", "!truncated", "!stall"}
    assert covered == set(FAULTS)


def test_reset_fault_resets_the_connection(clock: FakeClock, provider_name: str) -> None:
    provider = provider_name
    task_id, path = fault_target(provider)
    api = Api(provider)
    headers = {api.key_header: api.sent_key(default_keys()[provider])}
    with running(scenario_of((provider, task_id, "!reset")), clock) as sim:
        with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as client:
            [(name, key)] = headers.items()
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{name}: {key}\r\n\r\n".encode())
            with pytest.raises(ConnectionResetError):
                client.recv(4096)
        with pytest.raises(ConnectionError):  # http.client: RemoteDisconnected or reset
            get(sim, path, headers)
        assert get(sim, "/health").status == 200


def test_truncated_fault_sends_half_a_json_body(clock: FakeClock, provider_name: str) -> None:
    provider = provider_name
    task_id, path = fault_target(provider)
    api = Api(provider)
    headers = {api.key_header: api.sent_key(default_keys()[provider])}
    with running(scenario_of((provider, task_id, "!truncated")), clock) as sim:
        reply = get(sim, path, headers)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.headers["Content-Length"] == str(len(reply.body))
    assert reply.body.startswith(b'{"')
    with pytest.raises(json.JSONDecodeError):
        reply.json()


def test_stall_fault_outlasts_the_client_timeout_without_blocking_others(
    clock: FakeClock,
) -> None:
    scenario = scenario_of(("anchor", "stuck", "!stall"), ("anchor", "fine", "ready"))
    with running(scenario, clock, stall_seconds=5) as sim:
        stalled = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=0.3)
        stalled.request("GET", "/v2/tasks/stuck/generation-status", headers=ANCHOR_KEY)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            stalled.getresponse()
        assert time.monotonic() - started >= 0.25
        # Meanwhile the server still answers everyone else at once.
        assert anchor(sim, "fine").json()["status"] == "ready"
        stalled.close()


def test_stop_wakes_stalled_requests(clock: FakeClock) -> None:
    sim = Simulator(scenario_of(("anchor", "stuck", "!stall")), clock=clock)  # a 30 s stall
    sim.start()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=40) as client:
        key = ANCHOR_KEY["anchor-api-key"]
        client.sendall(
            b"GET /v2/tasks/stuck/generation-status HTTP/1.1\r\nHost: x\r\n"
            + f"anchor-api-key: {key}\r\n\r\n".encode()
        )
        time.sleep(0.1)
        started = time.monotonic()
        sim.stop()
        try:
            answer = client.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert answer == b""  # closed (FIN or RST, whichever wins the race) without a response
        assert time.monotonic() - started < 15  # not after the stall's 30 s


def test_random_faults_with_a_seed(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "soak.toml"
    path.write_text(
        '[[task]]\nprovider = "anchor"\nid = "t"\ntimeline = "ready"\n[faults]\nrate = 0.3\nseed = 7\n',
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert (scenario.fault_rate, scenario.fault_seed) == (0.3, 7)

    def outcomes() -> list[str]:
        seen = []
        with running(scenario, clock) as sim:
            for _ in range(60):
                try:
                    reply = anchor(sim, "t")
                except ConnectionError:
                    seen.append("reset")
                    continue
                if reply.status == 200:
                    assert reply.json() == {"id": "t", "status": "ready", "project_state": "ready"}
                    seen.append("ok")
                else:
                    assert reply.status in (500, 502, 503, 429)
                    seen.append(str(reply.status))
        return seen

    first = outcomes()
    assert 5 <= sum(outcome != "ok" for outcome in first) <= 35
    assert first.count("ok") >= 25
    assert outcomes() == first  # the seed makes a soak run repeatable


# --------------------------------------------------------------------------------------------
# Scenarios


def test_parse_timeline_compact_form() -> None:
    steps = parse_timeline("generating 4s -> waiting-for-session 1.5s -> !503 500ms -> ready")
    assert steps == (
        Step("generating", 4.0),
        Step("waiting-for-session", 1.5),
        Step("!503", 0.5),
        Step("ready", None),
    )
    assert steps[2].is_fault
    assert not steps[3].is_fault
    assert parse_timeline("  ready  ") == (Step("ready"),)
    assert parse_timeline("generating 2m -> ready")[0].seconds == 120


def test_toml_list_form_and_json_form_agree(tmp_path: Path) -> None:
    toml_path = tmp_path / "s.toml"
    toml_path.write_text(
        f'[[task]]\nprovider = "browserable"\nid = "{UUID_1}"\n'
        "timeline = [\n"
        '  {state = "none", seconds = 2},\n'
        '  {state = "tool_call", seconds = 1.5, question = "Buy?"},\n'
        '  {state = "completed"},\n'
        "]\n"
        '[defaults]\nanchor = "generating 1s -> ready"\n',
        encoding="utf-8",
    )
    json_path = tmp_path / "s.json"
    json_path.write_text(
        json.dumps(
            {
                "task": [
                    {
                        "provider": "browserable",
                        "id": UUID_1,
                        "timeline": "none 2s -> tool_call 1.5s -> completed",
                    }
                ],
                "defaults": {"anchor": [{"state": "generating", "seconds": 1}, {"state": "ready"}]},
            }
        ),
        encoding="utf-8",
    )
    from_toml, from_json = load_scenario(toml_path), load_scenario(json_path)
    assert from_toml.tasks[0].steps == (
        Step("none", 2.0),
        Step("tool_call", 1.5, question="Buy?"),
        Step("completed"),
    )
    assert [step.state for step in from_json.tasks[0].steps] == ["none", "tool_call", "completed"]
    assert from_toml.defaults == from_json.defaults == {"anchor": parse_timeline("generating 1s -> ready")}
    assert from_toml.keys == default_keys()
    assert (from_toml.fault_rate, from_toml.fault_seed) == (0.0, None)


def _task(**fields: str) -> str:
    base = {"provider": "anchor", "id": "t", "timeline": "ready"}
    base.update(fields)
    return "[[task]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in base.items())


BAD_SCENARIOS = [
    ("s.toml", "[[task]\n", "invalid TOML"),
    ("s.json", "{", "invalid JSON"),
    ("s.json", "[]", "top level"),
    ("s.yaml", "", "unsupported scenario file type"),
    ("s.toml", "", "no tasks"),
    ("s.toml", "[[tasks]]\nid = 'x'\n", "unknown top-level key(s) tasks (tasks are written [[task]])"),
    ("s.toml", _task(provider="anchr"), "task #1 (id 't'): 'provider' must be one of"),
    ("s.toml", _task() + _task(id=""), "task #2 (id ''): 'id' must be a non-empty string"),
    ("s.toml", _task(provider="browserable"), "task #1 (id 't'): browserable task ids must be UUIDs"),
    ("s.toml", _task(timeline="generating 4x -> ready"), "task #1 (id 't'): timeline: step 1"),
    ("s.toml", _task(timeline="generating -> ready"), "step 1 ('generating'): needs a duration"),
    ("s.toml", _task(timeline="!418 1s -> ready"), "step 1 ('!418'): unknown fault"),
    ("s.toml", _task(timeline="generating 1s ->"), "step 2 (''): expected 'STATE [DURATION]'"),
    ("s.toml", _task(timeline="a b c"), "expected 'STATE [DURATION]'"),
    (
        "s.toml",
        _task(provider="browserable", id=UUID_1, timeline="generating 1s -> completed"),
        "step 1 ('generating'): unknown browserable state",
    ),
    ("s.toml", _task() + _task(), "task #2 (id 't'): duplicate of task #1"),
    ("s.toml", _task(colour="red"), "task #1 (id 't'): unknown key(s) colour"),
    ("s.toml", "[[task]]\nprovider = 'anchor'\nid = 't'\n", "'timeline' is missing"),
    (
        "s.toml",
        "[[task]]\nprovider = 'anchor'\nid = 't'\ntimeline = [{state = 'ready', seconds = 'x'}]\n",
        "step 1 ('ready'): 'seconds' must be a number",
    ),
    (
        "s.toml",
        "[[task]]\nprovider = 'anchor'\nid = 't'\ntimeline = [{state = 'ready', error = 'x'}]\n",
        "'error' only applies to the anchor state 'failed'",
    ),
    ("s.toml", _task() + "[keys]\nanchor = ''\n", "[keys]: anchor must be a non-empty string"),
    ("s.toml", _task() + "[keys]\nother = 'k'\n", "[keys]: unknown provider 'other'"),
    ("s.toml", _task() + "[faults]\nrate = 1.5\n", "[faults]: rate must be a number from 0 to 1"),
    ("s.toml", _task() + "[faults]\nseed = 'x'\n", "[faults]: seed must be an integer"),
    ("s.toml", "[defaults]\nbrowserable = 'ready'\n", "[defaults] browserable: step 1"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_SCENARIOS)
def test_bad_scenarios_raise_a_clear_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing\.toml: cannot read: No such file"):
        load_scenario(tmp_path / "missing.toml")


def default_scenario_targets() -> list[tuple[str, str]]:
    return [(task.provider, task.id) for task in default_scenario().tasks]


def test_default_scenario_covers_the_demo_and_ends_within_20_seconds(clock: FakeClock) -> None:
    scenario = default_scenario()
    assert 8 <= len(scenario.tasks) <= 12  # about ten rows: readable on one screen
    assert len({t.provider for t in scenario.tasks}) >= 4
    assert {"demo-ready", "demo-failed", "demo-slow", "demo-flaky"} <= {t.id for t in scenario.tasks}
    flaky = next(task for task in scenario.tasks if task.id == "demo-flaky")
    assert flaky.steps == parse_timeline(
        "!503 1s -> !500 1s -> !reset 1s -> !429 1s -> generating 2s -> ready"
    )

    history: dict[str, list[str]] = {}
    with running(scenario, clock) as sim:
        for _ in range(21):
            for provider, task_id in sim.targets():
                if provider not in ("anchor", "browserable"):  # read as statuscli reads it
                    api = Api(provider)
                    headers = {api.key_header: api.sent_key(default_keys()[provider])}
                    reply = get(sim, api.request_target(task_id), headers)
                    seen = api.record.parse(api.target(task_id), reply.json()).state
                    states = history.setdefault(task_id, [])
                    if not states or states[-1] != seen:
                        states.append(seen)
                    continue
                try:
                    reply = anchor(sim, task_id) if provider == "anchor" else browserable(sim, task_id)
                except ConnectionError:
                    seen = "!reset"
                else:
                    if reply.status != 200:
                        seen = f"!{reply.status}"
                    elif provider == "anchor":
                        seen = reply.json()["status"]
                    else:
                        data = reply.json()["data"]
                        seen = data.get("detailedStatus") or "none"
                states = history.setdefault(task_id, [])
                if not states or states[-1] != seen:
                    states.append(seen)
            clock.advance(1)
        listing = get(sim, "/_sim/tasks").json()

    terminal = {"ready", "failed", "completed", "error", "terminated", "canceled"}
    for task_id, states in history.items():
        assert states[-1] in terminal, (task_id, states)
    assert history["demo-flaky"] == ["!503", "!500", "!reset", "!429", "generating", "ready"]
    assert "waiting-for-session" in history["demo-slow"]
    assert history["demo-failed"][-1] == "failed"
    browserable_ids = {
        task_id for provider, task_id in default_scenario_targets() if provider == "browserable"
    }
    seen_browserable = [states for task_id, states in history.items() if task_id in browserable_ids]
    assert ["none", "pending", "running", "completed"] in seen_browserable
    assert any("tool_call" in states and states[-1] == "completed" for states in seen_browserable)
    assert any(states[-1] == "error" for states in seen_browserable)
    for task in listing:
        assert task["terminal_at"] - task["started_at"] <= 15


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", ""])
def test_only_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Simulator(default_scenario(), host=host)


def test_localhost_binds_to_127_0_0_1() -> None:
    sim = Simulator(default_scenario(), host="localhost")
    try:
        assert sim.base_url == f"http://127.0.0.1:{sim.port}"
        assert sim.base_url_for("anchor") == sim.base_url
        assert sim.base_url_for("browserable") == f"{sim.base_url}/api/v1"
        assert sim.targets()[0] == ("anchor", "demo-ready")
    finally:
        sim.stop()


def test_quiet_unless_verbose(capfd: pytest.CaptureFixture[str], clock: FakeClock) -> None:
    scenario = scenario_of(("anchor", "t", "!reset"))
    with running(scenario, clock) as sim:
        get(sim, "/health")
        with pytest.raises(ConnectionError):
            anchor(sim, "t")
    assert capfd.readouterr().err == ""
    with running(scenario, clock, verbose=True) as sim:
        get(sim, "/health")
    assert '"GET /health HTTP/1.1" 200' in capfd.readouterr().err
