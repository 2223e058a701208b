"""The handler shared by simulated APIs of one route: find the id (in the path or the query), check the
key, look the task up, and answer its current step with the provider's body, error or fault."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from statuscli.sim.faults import ErrorBody, Response, fault_response, json_bytes, json_response
from statuscli.sim.routes import QUERY

if TYPE_CHECKING:
    from statuscli.sim.server import Simulator

__all__ = ["OneRoute", "fastapi_error"]


@dataclass(frozen=True)
class OneRoute:
    """How one simulated route answers; `handle` is its `Routes.handle`."""

    provider: str
    path: re.Pattern[str]
    #: The request's key as the API reads it (e.g. the part after `Bearer `), from lower-cased headers.
    key_of: Callable[[Mapping[str, str]], str | None]
    #: The answer to a missing or wrong key.
    bad_key: Callable[[str | None], Response]
    #: The answer for an unknown id.
    not_found: Callable[[str], Response]
    #: The 200 body of a task in a state: (task id, state, error text or None, the simulator's URL).
    body: Callable[[str, str, str | None, str], Any]
    error: ErrorBody
    #: The query parameter that holds the id (None: the path's first group).
    id_param: str | None = None

    def task_id(self, path: str, headers: Mapping[str, str]) -> str | None:
        match = self.path.fullmatch(path)
        if match is None:
            return None
        if self.id_param is None:
            return unquote(match.group(match.lastindex or 1))
        values = parse_qs(headers.get(QUERY, ""), keep_blank_values=True).get(self.id_param)
        return values[0] if values else ""

    def handle(self, simulator: Simulator, path: str, headers: Mapping[str, str]) -> Response:
        task_id = self.task_id(path, headers)
        key = self.key_of(headers)
        if key != simulator.key(self.provider):
            return self.bad_key(key)
        run = simulator.lookup(self.provider, task_id) if task_id else None
        if run is None or task_id is None:
            return self.not_found(task_id or "")
        _, step = simulator.advance(run)
        if step.is_fault:
            sample = json_bytes(self.body(task_id, "running", None, simulator.base_url))
            return fault_response(step.state, path, sample, self.error)
        return json_response(
            200, self.body(task_id, step.state, step.error or run.task.error, simulator.base_url)
        )


def fastapi_error(messages: Mapping[int, str]) -> ErrorBody:
    """A FastAPI service's error answer: `{"detail": message}`, and its router's "Not Found"."""

    def error(status: int, path: str, headers: tuple[tuple[str, str], ...]) -> Response:
        return json_response(status, {"detail": messages.get(status, "Not Found")}, *headers)

    return error
