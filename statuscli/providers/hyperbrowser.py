"""Hyperbrowser: `GET /api/task/{agent}/{id}/status` with the `x-api-key` header; the agent that runs
the task is part of the path, so a target names one (`--agent`, `hyperbrowser/AGENT`, or the config)."""

from __future__ import annotations

import re
from typing import Any

from statuscli.core.models import Phase, Target, TaskStatus
from statuscli.providers.record import Choice, IdRule, KeyAuth, Provider, Route, Variant
from statuscli.providers.states import state_field, task_status

NAME = "hyperbrowser"
#: The agents of the API document, then two its Python SDK (1.14.0) also has.
AGENTS = (
    "browser-use",
    "claude-computer-use",
    "cua",
    "hyper-agent",
    "gemini-computer-use",
    "grok-computer-use",
    "jev",
    "meta-computer-use",
)
PHASES = {"completed": Phase.SUCCESS, "failed": Phase.FAILURE, "stopped": Phase.CANCELLED}
STATES = ("pending", "running", "completed", "failed", "stopped")
NO_SLASH = IdRule(re.compile(r"[^/]+"), "an id without '/'")


def parse(target: Target, payload: Any) -> TaskStatus:
    """`{"status": "running"}`: the status only (the reason of a failure is not on this route)."""
    return task_status(target, state_field(NAME, payload), PHASES, payload)


PROVIDER = Provider(
    name=NAME,
    key_env=("HYPERBROWSER_API_KEY",),
    base_url_env="HYPERBROWSER_BASE_URL",
    default_base_url="https://api.hyperbrowser.ai",
    id_word="JOB_ID",
    choice=Choice("agent", "AGENT", default=None, help="The agent that runs the task (part of the path)."),
    variants=tuple(
        Variant(
            agent,
            Route("/api/task/{variant}/{id}/status"),
            KeyAuth("x-api-key"),
            parse,
            ids=NO_SLASH,
            states=STATES,
            phases=PHASES,
            note="SDK only" if agent in ("jev", "meta-computer-use") else "",
        )
        for agent in AGENTS
    ),
    simulator="statuscli.sim.hyperbrowser",
    help="""Show the status of Hyperbrowser agent tasks.

    Calls GET /api/task/{agent}/{id}/status with the x-api-key header, once per id. The agent is
    required: --agent AGENT, or `agent` in the [hyperbrowser] config table.
    Exit code: 0 completed, 1 failed or stopped, 3 still pending/running (see README for the rest).

    \b
    Examples:
      status hyperbrowser --agent cua 5f1c2a9e-0000-4000-8000-000000000001
      status watch hyperbrowser/browser-use JOB1 JOB2
    """,
)
