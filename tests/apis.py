"""Any registered provider's API as a test meets it, from its record and its simulator routes: where a
task's request goes, what the API answers for a state, its states by phase, how to point `status` at
a server. Tests parametrized over the registry (`provider_name`) take their provider's `Api` from here,
so a new provider runs through them without a test changing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from statuscli.core.models import Phase, Target
from statuscli.providers import Provider, get_provider, provider_names
from statuscli.sim.routes import Routes, provider_routes

#: A task id each API accepts, where "t1" is not one.
SAMPLE_IDS = {"browser-use": "5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b2{}"}

#: The common error answers (tests/test_faults.py, ANSWERS) an API's own error rule reads otherwise,
#: by answer name: (exit code, what the error line says). From each API's description in the specs.
_NOT_BY_404 = (
    6,
    "HTTP 404: this API answers 'not found' in its body, never with 404: the base URL looks wrong",
)
_FASTAPI_422 = (5, "not a valid id for this API (HTTP 422): {message}")
ANSWERED: dict[str, dict[str, tuple[int, str]]] = {
    # v4 answers 403 to a project with Zero Data Retention on; 422 is FastAPI's "not a valid UUID".
    "browser-use": {
        "403": (4, "API key rejected (HTTP 403): {message} (v4 answers 403 when the project has Zero Data"),
        "422": _FASTAPI_422,
    },
    # A rejected key is a 403 (cloud, or a self-hosted server's key); 422: not a run id.
    "skyvern": {
        "403": (4, "API key rejected (HTTP 403): {message} (a self-hosted key? set SKYVERN_BASE_URL"),
        "422": _FASTAPI_422,
    },
    # Errors come in a {code, msg, data} envelope; a missing task is "Task is not exist." in a 200,
    # so an HTTP 404 means the request went somewhere else.
    "browseract": {
        "401": (4, "API key rejected: code 401"),
        # {"error": ..., "code": 403}: the envelope's code decides, and only 401 is documented as auth.
        "403-code": (6, "API error: code 403"),
        **{
            name: _NOT_BY_404
            for name in ("404", "404-nested", "404-empty", "404-html", "404-text", "404-json-list")
        },
    },
}


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
        return self.record.variant(self.variant).auth.header

    def sent_key(self, key: str) -> str:
        """The key header's value for `key`: the key, or `Bearer key`."""
        return self.record.variant(self.variant).auth.headers(key)[self.key_header]

    @property
    def key_env(self) -> str:
        return self.record.key_env[0]

    @property
    def url_env(self) -> str:
        return self.record.base_url_env

    @property
    def task(self) -> str:
        """A task id the API accepts (Browser Use v4 runs are UUIDs; the others take any id)."""
        return self.ids(1)[0]

    def ids(self, count: int) -> list[str]:
        """`count` different task ids the API accepts: t1, t2 ... or UUIDs ending in 1, 2 ..."""
        pattern = SAMPLE_IDS.get(self.name, "t{}")
        return [pattern.format(n) for n in range(1, count + 1)]

    @property
    def variant(self) -> str | None:
        """The variant a test names: the provider's default, or the first one when it has none."""
        choice = self.record.choice
        if choice is None:
            return None
        return choice.default or self.record.variant_names[0]

    @property
    def word(self) -> str:
        """The first word of a watch target (and the name in an error line): `anchor`,
        `hyperbrowser/browser-use`."""
        return self.target().word

    @property
    def early_404_grace(self) -> float:
        """Seconds a watch asks again about a task that answers 404 before its first 200."""
        return self.record.variant(self.variant).early_404_grace

    @property
    def checks_ids(self) -> bool:
        """Whether the API refuses some ids before any request (a usage error, exit 2)."""
        return self.record.variant(self.variant).ids is not None

    def accepts(self, task_id: str) -> bool:
        """Whether the API's own id rule (if any) lets `task_id` through to a request."""
        rule = self.record.variant(self.variant).ids
        return rule is None or rule.pattern.fullmatch(task_id) is not None

    def args(self, task_id: str | None = None) -> list[str]:
        """The one-shot command's words for a task: `hyperbrowser --agent browser-use t1`."""
        choice = self.record.choice
        picked = [f"--{choice.option}", str(self.variant)] if choice and not choice.default else []
        return [self.name, *picked, self.task if task_id is None else task_id]

    def target(self, task_id: str | None = None, run_id: str | None = None) -> Target:
        return Target(self.name, self.task if task_id is None else task_id, run_id, self.variant)

    def path(self, task_id: str | None = None, run_id: str | None = None) -> str:
        """The path a status request for the task reaches on a server that stands in for the API
        (after the API's own base path, e.g. Browserable's /api/v1)."""
        segments, _params = self.record.request(self.target(task_id, run_id))
        return self.routes.base_path + "/" + "/".join(quote(s, safe="") for s in segments)

    def request_target(self, task_id: str | None = None) -> str:
        """The path and query string of the status request, as an HTTP request line has them."""
        query = self.query(task_id)
        return self.path(task_id) + ("?" + urlencode(query) if query else "")

    def query(self, task_id: str | None = None, run_id: str | None = None) -> dict[str, str]:
        return self.record.request(self.target(task_id, run_id))[1]

    def expects(
        self, answer: str, exit_code: int, cause: str, message: str = "", *, also: str | None = None
    ) -> tuple[int, str]:
        """What a user sees from the common error answer `answer` (exit code, cause), its body's
        message being `message`: the common mapping, unless this API's error rule reads that answer
        (or else the answer `also`) its own way (`ANSWERED`)."""
        own = ANSWERED.get(self.name, {})
        code, text = own.get(answer) or own.get(also or answer) or (exit_code, cause)
        return code, text.replace("{message}", message)

    def body(self, state: str, task_id: str | None = None) -> Any:
        """What the API answers (HTTP 200) about a task in `state`."""
        return self.routes.body(self.task if task_id is None else task_id, state)

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
