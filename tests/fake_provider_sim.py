"""The simulated Acme job API, for the test suite's fake provider (`fake_provider.py`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from statuscli.sim.faults import Response, fault_response, json_bytes, json_response
from statuscli.sim.routes import Routes
from tests.acme import HEADER, NAME, STATES

_PATH = re.compile(r"/acme/v1/jobs/([^/]+)/?")


def error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
    return json_response(status, {"message": f"acme error {status}"}, *headers)


def handle(simulator: Any, path: str, headers: Mapping[str, str]) -> Response:
    match = _PATH.fullmatch(path.split("?")[0])
    assert match is not None
    task_id = unquote(match.group(1))
    if headers.get(HEADER) != simulator.key(NAME):
        return json_response(401, {"message": "bad key"})
    run = simulator.lookup(NAME, task_id)
    if run is None:
        return json_response(404, {"message": "no such job"})
    _, step = simulator.advance(run)
    if step.is_fault:
        return fault_response(step.state, path, json_bytes({"state": "working"}), error)
    return json_response(200, body(task_id, step.state, step.error or run.task.error))


def body(task_id: str, state: str, why: str | None = None) -> dict[str, object]:
    answer: dict[str, object] = {"id": task_id, "state": state}
    if state == "broken":
        answer["why"] = why or "the job broke"
    return answer


ROUTES = Routes(
    provider=NAME,
    paths=(_PATH,),
    handle=handle,
    error=error,
    body=body,
    states=STATES,
    key="sim-acme-key",
    base_path="/acme",
    step_texts={"broken": ("error",)},
)
