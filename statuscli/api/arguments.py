"""The Python API's arguments read and checked, before anything is sent: targets (a `Target` or a plain
tuple), durations (seconds, text such as "90s", a `datetime.timedelta`), rates and settings.

A value of the wrong type is a `TypeError` naming what was given; a value of the right type that
cannot be used is a `UsageError` (also a `ValueError`), with the message the command line shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypeAlias

from statuscli.config import ConfigSource, read_once, resolve_target
from statuscli.core.durations import parse_rate, to_seconds
from statuscli.core.errors import UsageError
from statuscli.core.models import Target
from statuscli.core.settings import Settings
from statuscli.engine.options import WatchOptions, watch_options
from statuscli.providers.targets import dedupe

if TYPE_CHECKING:
    from statuscli.core.durations import Duration

#: A task to ask about: a `Target`, or a plain tuple `(provider, task_id)` or `(provider, task_id, run_id)`.
TargetLike: TypeAlias = Target | tuple[str, str] | tuple[str, str, str | None]

#: Settings in code: one `Settings` for every provider (or the one provider meant), or a mapping of
#: provider name to its `Settings`.
SettingsArg: TypeAlias = Settings | Mapping[str, Settings] | None

_TARGET_FORMS = "a statuscli.Target or a tuple (provider, task_id) or (provider, task_id, run_id)"


def as_target(given: object, config: ConfigSource | None = None) -> Target:
    """A checked target from a `Target` or a tuple; a `TypeError` naming anything else. A variant it
    leaves open comes from `config` (the client's config file) or the provider's default."""
    if isinstance(given, Target):
        return resolve_target(given.provider, given.task_id, given.run_id, given.variant, config=config)
    if (
        isinstance(given, tuple)
        and len(given) in (2, 3)
        and all(isinstance(part, str) for part in given[:2])
        and (len(given) == 2 or given[2] is None or isinstance(given[2], str))
    ):
        return resolve_target(*given, config=config)
    raise TypeError(f"a target is {_TARGET_FORMS}, not {given!r}")


def as_targets(targets: Iterable[TargetLike], config: ConfigSource | None = None) -> list[Target]:
    """Each target checked, each once, in order; at least one (variants left open from `config`)."""
    if isinstance(targets, str | bytes | Target) or (
        isinstance(targets, tuple) and targets and isinstance(targets[0], str)
    ):
        raise TypeError(f"targets is an iterable of targets (each {_TARGET_FORMS}), not {targets!r}")
    try:
        items = iter(targets)
    except TypeError:
        raise TypeError(
            f"targets is an iterable of targets (each {_TARGET_FORMS}), not {targets!r}"
        ) from None
    config = config or read_once()
    checked = dedupe(as_target(item, config) for item in items)
    if not checked:
        raise UsageError("nothing to wait for: give at least one target")
    return checked


def options(
    interval: Duration,
    timeout: Duration | None,
    fail_fast: bool,
    max_rate: float | str | None,
) -> WatchOptions:
    """A wait's options, checked as the command line checks its flags."""
    return watch_options(
        to_seconds(interval, what="interval"),
        None if timeout is None else to_seconds(timeout, what="timeout"),
        fail_fast=fail_fast,
        max_rate=parse_rate(max_rate, what="max-rate") if isinstance(max_rate, str) else max_rate,
        flags=False,
    )


def settings_argument(settings: object) -> SettingsArg:
    """`settings` if it is None, one `Settings` or a mapping of provider name to `Settings`. A wrong
    one is named by its type only: it may hold a key."""
    if settings is None or isinstance(settings, Settings):
        return settings
    expected = "a statuscli.Settings (for every provider) or a mapping of provider name to statuscli.Settings"
    if not isinstance(settings, Mapping):
        raise TypeError(f"settings is {expected}, not a {type(settings).__name__}")
    for name, item in settings.items():
        if not (isinstance(name, str) and isinstance(item, Settings)):
            raise TypeError(f"settings is {expected}: its entry {name!r} is a {type(item).__name__}")
    return settings
