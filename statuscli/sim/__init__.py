"""A local stand-in for the providers' status APIs, on one loopback port: the package's public face.

Used by `status demo`, `status simulate`, end-to-end tests and benchmarks. `scenario` holds the
schema and loading, `faults` the responses, `limits` the per-provider request limits, `server` the
life cycle and handler, and one module per provider its routes (named in the provider registry).

May import `engine`, `http`, `config`, `providers`, `core` and `version`; not its siblings `session`,
`render`, `reports`, nor anything above it. No typer, rich or requests.
"""

from __future__ import annotations

from statuscli.sim.handler import RequestHandler
from statuscli.sim.limits import Counts
from statuscli.sim.routes import Routes, provider_routes
from statuscli.sim.scenario import (
    FAULTS,
    Limit,
    Scenario,
    ScenarioError,
    SimTask,
    Step,
    default_keys,
    default_scenario,
    load_scenario,
    parse_timeline,
)
from statuscli.sim.server import Simulator

__all__ = [
    "FAULTS",
    "Counts",
    "Limit",
    "RequestHandler",
    "Routes",
    "Scenario",
    "ScenarioError",
    "SimTask",
    "Simulator",
    "Step",
    "default_keys",
    "default_scenario",
    "load_scenario",
    "parse_timeline",
    "provider_routes",
]
