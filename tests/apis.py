"""Any registered provider's API as a test meets it, from its record and its simulator routes: where a
task's request goes, what the API answers for a state, its states by phase, how to point `status` at
a server. Tests parametrized over the registry (`provider_name`) take their provider's `Api` from here,
so a new provider runs through them without a test changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from statuscli.core.models import Phase, Target
from statuscli.providers import Provider, get_provider, provider_names
from statuscli.sim.routes import Routes, provider_routes


@dataclass(frozen=True)
class Api:
    """One provider's API, for tests."""

    name: str

    @property
    def record(self) -> Provider:
        return get_provider(self.name)

    @property
    def routes(self) -> Routes:
        return provider_routes()[self.name]

    @property
    def key(self) -> str:
        """The key the tests configure (long enough to be masked as keys are)."""
        return f"test-{self.name}-key-0123456789"

    @property
    def key_header(self) -> str:
        return self.record.key_header

    @property
    def key_env(self) -> str:
        return self.record.key_env[0]

    @property
    def url_env(self) -> str:
        return self.record.base_url_env

    def path(self, task_id: str = "t1", run_id: str | None = None) -> str:
        """The path a status request for the task reaches on a server that stands in for the API
        (after the API's own base path, e.g. Browserable's /api/v1)."""
        segments, _params = self.record.request(Target(self.name, task_id, run_id))
        return self.routes.base_path + "/" + "/".join(quote(s, safe="") for s in segments)

    def query(self, task_id: str = "t1", run_id: str | None = None) -> dict[str, str]:
        return self.record.request(Target(self.name, task_id, run_id))[1]

    def body(self, state: str, task_id: str = "t1") -> Any:
        """What the API answers (HTTP 200) about a task in `state`."""
        return self.routes.body(task_id, state)

    def state(self, phase: Phase) -> str:
        """A documented state that means `phase`."""
        return self.routes.states_in(phase)[0]

    @property
    def success(self) -> str:
        return self.state(Phase.SUCCESS)

    @property
    def failure(self) -> str:
        return self.state(Phase.FAILURE)

    @property
    def pending(self) -> str:
        return self.state(Phase.PENDING)

    def point_at(self, monkeypatch: pytest.MonkeyPatch, root: str, key: str | None = None) -> None:
        """Configure the key and a base URL: `root` (a server's root URL) and the API's base path."""
        monkeypatch.setenv(self.key_env, self.key if key is None else key)
        monkeypatch.setenv(self.url_env, root.rstrip("/") + self.routes.base_path)


def apis() -> list[Api]:
    """Every registered provider's API, in registry order."""
    return [Api(name) for name in provider_names()]
