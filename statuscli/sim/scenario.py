"""The simulator's scenario: its schema (tasks, timelines, keys, faults, limits) and loading it.

A scenario file (TOML or JSON) says which tasks the simulator knows and the timeline of states and
`!faults` each follows; `load_scenario` turns one into a checked `Scenario` or raises a
`ScenarioError` naming the file and the culprit.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import cast

from statuscli.sim.routes import provider_routes

__all__ = [
    "FAULTS",
    "RANDOM_FAULTS",
    "Limit",
    "Scenario",
    "ScenarioError",
    "SimTask",
    "Step",
    "default_keys",
    "default_scenario",
    "load_scenario",
    "parse_timeline",
    "task_key",
]

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

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0}
#: The texts a step may carry (which states take them is each provider's `Routes.step_texts`).
_STEP_TEXTS = ("error", "question")


def default_keys() -> dict[str, str]:
    """The key the simulator accepts for each provider, unless a scenario's `[keys]` names another."""
    return {name: routes.key for name, routes in provider_routes().items()}


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
class Limit:
    """A provider's request limits: a token bucket (`rate` per second, `burst` at most) and an
    optional quota of `per_hour` requests per clock hour since the provider's first request."""

    rate: float
    burst: float
    per_hour: int | None = None


@dataclass(frozen=True)
class Scenario:
    """Everything the simulator serves: tasks, keys, random faults, timelines for unknown ids."""

    tasks: tuple[SimTask, ...]
    keys: dict[str, str] = field(default_factory=default_keys)
    fault_rate: float = 0.0
    fault_seed: int | None = None
    #: The faults that `fault_rate` draws from (tests choose a subset).
    random_faults: tuple[str, ...] = RANDOM_FAULTS
    defaults: dict[str, tuple[Step, ...]] = field(default_factory=dict)
    limits: dict[str, Limit] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Scenario parsing


def task_key(provider: str, task_id: str) -> str:
    """The key a task is known by: its canonical form for its API (Browserable's uuids), so that two
    spellings of one id name one task."""
    routes = provider_routes().get(provider)
    known = None if routes is None else routes.task_key(task_id)
    return task_id if known is None else known


def _parse_duration(text: str) -> float:
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ScenarioError(f"bad duration {text!r} (use e.g. 4s, 1.5s, 500ms, 2m)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _check_steps(steps: tuple[Step, ...], provider: str | None) -> tuple[Step, ...]:
    """Validate a parsed timeline; `provider` None skips the provider-specific state checks."""
    if not steps:
        raise ScenarioError("timeline is empty")
    routes = None if provider is None else provider_routes()[provider]
    for number, step in enumerate(steps, start=1):
        where = f"step {number} ({step.state!r})"
        if not step.state or step.state != step.state.strip():
            raise ScenarioError(f"step {number}: state must be a non-empty word")
        if step.is_fault and step.state not in FAULTS:
            raise ScenarioError(f"{where}: unknown fault (known: {', '.join(FAULTS)})")
        if (
            routes is not None
            and not routes.open_states
            and not step.is_fault
            and step.state not in routes.states
        ):
            raise ScenarioError(f"{where}: unknown {provider} state (known: {', '.join(routes.states)})")
        if step.seconds is None and number < len(steps):
            raise ScenarioError(f"{where}: needs a duration (only the last step lasts forever)")
        if step.seconds is not None and (math.isnan(step.seconds) or step.seconds < 0):
            raise ScenarioError(f"{where}: duration must be a number of seconds >= 0")
        for text in _STEP_TEXTS:
            if getattr(step, text) is None or routes is None:
                continue
            allowed = [state for state, texts in routes.step_texts.items() if text in texts]
            if step.state not in allowed:
                states = " or ".join(repr(state) for state in allowed) or "(none)"
                raise ScenarioError(f"{where}: {text!r} only applies to the {provider} state {states}")
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
    known = provider_routes()
    if provider not in known:
        raise ScenarioError(f"{where}: 'provider' must be one of {', '.join(known)}")
    if not isinstance(task_id, str) or not task_id.strip():
        raise ScenarioError(f"{where}: 'id' must be a non-empty string")
    routes = known[str(provider)]
    if routes.task_key(task_id) is None:
        raise ScenarioError(f"{where}: {provider} task ids must be {routes.id_hint or 'valid ids'}")
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
    unknown = sorted(set(data) - {"task", "keys", "faults", "defaults", "limits"})
    if unknown:
        hint = " (tasks are written [[task]])" if "tasks" in unknown else ""
        raise ScenarioError(f"unknown top-level key(s) {', '.join(unknown)}{hint}")
    items = data.get("task", [])
    if not isinstance(items, list):
        raise ScenarioError("'task' must be an array of tables ([[task]])")
    tasks = tuple(_parse_task(index, item) for index, item in enumerate(items, start=1))
    seen: dict[tuple[str, str], int] = {}
    for index, task in enumerate(tasks, start=1):
        key = (task.provider, task_key(task.provider, task.id))
        if key in seen:
            raise ScenarioError(f"task #{index} (id {task.id!r}): duplicate of task #{seen[key]}")
        seen[key] = index

    keys = default_keys()
    for provider, key_value in _parse_table(data, "keys").items():
        if provider not in keys:
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
        if provider not in keys:
            raise ScenarioError(f"[defaults]: unknown provider {provider!r}")
        try:
            defaults[provider] = _parse_any_timeline(timeline, provider)
        except ScenarioError as exc:
            raise ScenarioError(f"[defaults] {provider}: {exc}") from None

    if not tasks and not defaults:
        raise ScenarioError("no tasks: add at least one [[task]] or a [defaults] timeline")
    limits = {
        provider: _parse_limit(provider, table) for provider, table in _parse_table(data, "limits").items()
    }
    return Scenario(
        tasks=tasks,
        keys=keys,
        fault_rate=float(rate),
        fault_seed=seed,
        defaults=defaults,
        limits=limits,
    )


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _parse_limit(provider: str, table: object) -> Limit:
    """`[limits.<provider>]`: rate (> 0 per second), burst (>= 1, default max(rate, 1)), per_hour."""
    where = f"[limits.{provider}]"
    if provider not in provider_routes():
        raise ScenarioError(f"[limits]: unknown provider {provider!r}")
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where} must be a table")
    unknown = sorted(set(table) - {"rate", "burst", "per_hour"})
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")
    rate = table.get("rate")
    if not _is_number(rate) or cast(float, rate) <= 0:
        raise ScenarioError(f"{where}: rate must be a number of requests per second > 0")
    burst = table.get("burst", max(float(cast(float, rate)), 1.0))
    if not _is_number(burst) or cast(float, burst) < 1:
        raise ScenarioError(f"{where}: burst must be a number >= 1")
    per_hour = table.get("per_hour")
    if per_hour is not None and (isinstance(per_hour, bool) or not isinstance(per_hour, int) or per_hour < 1):
        raise ScenarioError(f"{where}: per_hour must be a whole number >= 1")
    return Limit(rate=float(cast(float, rate)), burst=float(cast(float, burst)), per_hour=per_hour)


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
