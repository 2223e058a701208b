"""The Python API: `Client`, and the shortcuts `get_status`, `wait` and `wait_async` over a short-lived
client.

A call's arguments are read here (`arguments`: targets as `Target`s or tuples, durations as seconds,
text or `timedelta`, rates such as "20/s") and it runs on a `session.Session`, the service layer the
command line uses too (`client`). Nothing here prints, configures logging or changes global state;
requests is imported only when a client is made. Only the names in `statuscli.__all__` are stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from statuscli.api.arguments import SettingsArg, TargetLike
from statuscli.api.client import Client, OnChange
from statuscli.core.models import TaskStatus
from statuscli.core.outcomes import WatchSummary
from statuscli.core.settings import Settings

if TYPE_CHECKING:
    from statuscli.core.durations import Duration

__all__ = ["Client", "Settings", "get_status", "wait", "wait_async"]


def get_status(
    provider: str,
    task_id: str,
    *,
    run_id: str | None = None,
    variant: str | None = None,
    settings: SettingsArg = None,
) -> TaskStatus:
    """`Client(settings).get_status(...)` on a client made for this call and closed after it."""
    with Client(settings) as client:
        return client.get_status(provider, task_id, run_id=run_id, variant=variant)


def wait(
    targets: Iterable[TargetLike],
    *,
    interval: Duration = 2.0,
    timeout: Duration | None = None,
    fail_fast: bool = False,
    max_rate: float | str | None = None,
    on_change: OnChange | None = None,
    settings: SettingsArg = None,
) -> WatchSummary:
    """`Client(settings).wait(...)` on a client made for this call and closed after it."""
    with Client(settings) as client:
        return client.wait(
            targets,
            interval=interval,
            timeout=timeout,
            fail_fast=fail_fast,
            max_rate=max_rate,
            on_change=on_change,
        )


async def wait_async(
    targets: Iterable[TargetLike],
    *,
    interval: Duration = 2.0,
    timeout: Duration | None = None,
    fail_fast: bool = False,
    max_rate: float | str | None = None,
    on_change: OnChange | None = None,
    settings: SettingsArg = None,
) -> WatchSummary:
    """`await Client(settings).wait_async(...)` on a client made for this call and closed after it."""
    client = Client(settings)
    try:
        return await client.wait_async(
            targets,
            interval=interval,
            timeout=timeout,
            fail_fast=fail_fast,
            max_rate=max_rate,
            on_change=on_change,
        )
    finally:
        client.close()
