"""statuscli: where a browser-automation task stands (AnchorBrowser, Browserable, Browser Use,
Hyperbrowser, Skyvern, BrowserAct), from a terminal or a script.

The Python API (stable: the names in `__all__`; everything else may change)::

    import statuscli

    with statuscli.Client() as client:
        status = client.get_status("anchor", "task-id")
        client.wait([("anchor", "task-id")], timeout="10m").raise_for_outcome()

`statuscli.get_status`, `statuscli.wait` and `statuscli.wait_async` are shortcuts over a short-lived
client.

Names are loaded on first use, so `import statuscli` stays cheap: it imports neither requests nor rich.
"""

from statuscli.version import __version__ as __version__

#: Not `typing.TYPE_CHECKING`: importing typing alone costs more than the rest of this module.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from statuscli.api import Client, get_status, wait, wait_async
    from statuscli.core.errors import (
        ApiError,
        ApiTimeoutError,
        AuthError,
        BadResponseError,
        ConfigError,
        ExitCode,
        NotFoundError,
        StatusCliError,
        UsageError,
    )
    from statuscli.core.models import Phase, Target, TaskStatus
    from statuscli.core.outcomes import Outcome, TargetView, WaitError, WatchSummary, WatchUpdate
    from statuscli.core.settings import Settings

#: Each public name and the module that defines it.
_SOURCES = {
    "Client": "api",
    "get_status": "api",
    "wait": "api",
    "wait_async": "api",
    "Settings": "core.settings",
    "Target": "core.models",
    "TaskStatus": "core.models",
    "Phase": "core.models",
    "Outcome": "core.outcomes",
    "TargetView": "core.outcomes",
    "WatchUpdate": "core.outcomes",
    "WatchSummary": "core.outcomes",
    "WaitError": "core.outcomes",
    "ExitCode": "core.errors",
    "StatusCliError": "core.errors",
    "UsageError": "core.errors",
    "ConfigError": "core.errors",
    "AuthError": "core.errors",
    "NotFoundError": "core.errors",
    "ApiError": "core.errors",
    "ApiTimeoutError": "core.errors",
    "BadResponseError": "core.errors",
}

__all__ = [
    "ApiError",
    "ApiTimeoutError",
    "AuthError",
    "BadResponseError",
    "Client",
    "ConfigError",
    "ExitCode",
    "NotFoundError",
    "Outcome",
    "Phase",
    "Settings",
    "StatusCliError",
    "Target",
    "TargetView",
    "TaskStatus",
    "UsageError",
    "WaitError",
    "WatchSummary",
    "WatchUpdate",
    "get_status",
    "wait",
    "wait_async",
]


if not TYPE_CHECKING:  # type checkers see the imports above, and an unknown name as an error

    def __getattr__(name: str) -> object:
        """Load a public name from its module on first use (PEP 562)."""
        module = _SOURCES.get(name)
        if module is None:
            raise AttributeError(f"module 'statuscli' has no attribute '{name}'")
        # __import__, not importlib: importing importlib (and warnings) costs more than this module.
        value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
