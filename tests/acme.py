"""A provider that exists only in the tests: the record of Acme's job API. Importing this module
registers nothing: `fake_provider.py` registers it (through `STATUSCLI_PROVIDERS=tests.fake_provider`,
see `conftest.py`, option `--fake-provider`), and `test_registry.py` registers it per test.

It is what a new provider is, outside the package: this record and its simulator routes
(`fake_provider_sim.py`). With it registered, every test parametrized over the registry runs for it
too, in process and through the installed `status`.
"""

from __future__ import annotations

from typing import Any

from statuscli.core.errors import BadResponseError
from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers import Provider
from statuscli.providers.record import KeyAuth, Route, Variant

NAME = "acme"
HEADER = "x-acme-key"
STATES = {"queued": Phase.PENDING, "working": Phase.PENDING, "done": Phase.SUCCESS, "broken": Phase.FAILURE}


def parse(target: Target, payload: Any) -> TaskStatus:
    if not isinstance(payload, dict) or not isinstance(payload.get("state"), str) or not payload["state"]:
        raise BadResponseError("acme: response has no 'state' string (wrong shape)")
    state = payload["state"]
    why = payload.get("why")
    return TaskStatus(
        provider=NAME,
        task_id=target.task_id,
        run_id=target.run_id,
        state=state,
        phase=STATES.get(state, Phase.PENDING),
        label=state,
        error=why if isinstance(why, str) and why else None,
        raw=payload,
    )


PROVIDER = Provider(
    name=NAME,
    key_env=("ACME_API_KEY",),
    base_url_env="ACME_BASE_URL",
    default_base_url="https://api.acme.invalid",
    variants=(
        Variant(
            name="",
            route=Route("/v1/jobs/{id}", (("attempt", "{run_id}"),)),
            auth=KeyAuth(HEADER),
            parse=parse,
            states=tuple(STATES),
        ),
    ),
    supports_run_id=True,
    simulator="tests.fake_provider_sim",
    help="""Show the state of Acme jobs (a provider of the test suite).

    \b
    Examples:
      status acme J1
      status acme J1 --run-id R2 --json
    """,
)
