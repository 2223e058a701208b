"""What the simulator knows of one provider's API, declared by that provider's routes module.

Everything provider-specific lives in a `Routes` value: the paths it owns and how it answers them, its
error answer, the states a scenario may name (with the phase each ends in), the key it accepts, where
its API sits under the host, and the form its task ids take. The scenario grammar, the server and the
demo read these fields, never a provider's name.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statuscli.core.models import Phase
from statuscli.sim.faults import ErrorBody, Response

__all__ = ["QUERY", "Routes", "provider_routes"]

#: The key under which a route's handler finds the request's query string among its headers.
QUERY = ":query"


def _as_given(task_id: str) -> str | None:
    return task_id


@dataclass(frozen=True)
class Routes:
    """One provider's simulated API."""

    provider: str
    paths: tuple[re.Pattern[str], ...]
    #: (the simulator, the request path, its lower-cased headers) -> the answer.
    handle: Callable[[Any, str, Mapping[str, str]], Response]
    #: The API's error answer for an HTTP status (used for limit 429s and status-code faults).
    error: ErrorBody
    #: The JSON body of the API's 200 answer about a task in a state: (task id, state) -> body.
    body: Callable[[str, str], Any]
    #: The states a timeline may name, each with the phase it means (success and failure are final).
    states: Mapping[str, Phase]
    #: The API key the simulator accepts unless a scenario's `[keys]` names another.
    key: str
    #: Whether a timeline may name states the API does not document (served verbatim, as a real API
    #: that grows a state would): False when the answer has to be built from a known state.
    open_states: bool = True
    #: What follows the host in the provider's base URL (e.g. `/api/v1`).
    base_path: str = ""
    #: The key a task id is known by (its canonical form), or None when the API refuses such an id.
    task_key: Callable[[str], str | None] = _as_given
    #: What task ids must look like, for the message when one does not (`UUIDs`).
    id_hint: str = ""
    #: The texts a step of a state may carry: `{"failed": ("error",), "tool_call": ("question",)}`.
    step_texts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def terminal(self) -> frozenset[str]:
        """The states that end a task: success or failure."""
        return frozenset(state for state, phase in self.states.items() if phase is not Phase.PENDING)

    def states_in(self, phase: Phase) -> tuple[str, ...]:
        """The documented states that mean `phase`, in their declared order."""
        return tuple(state for state, found in self.states.items() if found is phase)


def provider_routes() -> dict[str, Routes]:
    """Every registered provider's routes, by provider name (each module imported on demand)."""
    from statuscli.providers import providers

    routes: dict[str, Routes] = {}
    for provider in providers():
        if provider.simulator is not None:
            module = importlib.import_module(provider.simulator)
            routes[provider.name] = module.ROUTES
    return routes
