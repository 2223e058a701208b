"""Settings as values: what code may give for a provider (`Settings`, public), what a provider's settings
resolve to (`ProviderSettings`), their defaults and limits, and the checks on an API key.

Resolving them (flags, environment, config file) is `statuscli.config`'s job; this module reads nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from statuscli.core.durations import to_seconds
from statuscli.core.errors import AuthError, UsageError

#: Not `typing.TYPE_CHECKING`, which costs an import of typing at start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from statuscli.core.durations import Duration

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 20.0
DEFAULT_RETRIES = 3
#: The overall time limit of a one-shot command (all attempts and the waits between them), seconds.
DEFAULT_TIMEOUT = 60.0
#: The largest `timeout` accepted (a week, like a duration on the command line).
MAX_TIMEOUT = 7 * 24 * 3600.0
#: The largest connect or read timeout accepted, in seconds.
MAX_REQUEST_TIMEOUT = 600.0
#: The most further attempts of a one-shot.
MAX_RETRIES = 10


def is_number(value: object) -> bool:
    """A finite int or float, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Settings:
    """One provider's settings given in code. A field left as None falls back, as on the command line,
    to the environment, then the config file, then the default.

    `api_key` never appears in `repr()` or in an error message.
    """

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    #: How long to wait for a connection, and for an answer once connected (each more than 0, at most
    #: 600 s). Durations here are seconds, text ("90s", "10m") or a `datetime.timedelta`, kept as seconds.
    connect_timeout: Duration | None = None
    read_timeout: Duration | None = None
    #: Further attempts of `get_status` after a failure worth repeating (0 to 10).
    retries: int | None = None
    #: The overall time limit of `get_status`, all attempts included.
    timeout: Duration | None = None
    #: Allow a plain http base URL that is not loopback (the key then travels in clear).
    allow_insecure_http: bool | None = None

    def __post_init__(self) -> None:
        for name, most, limits in (
            ("connect_timeout", MAX_REQUEST_TIMEOUT, "must be between 0 and 600 seconds"),
            ("read_timeout", MAX_REQUEST_TIMEOUT, "must be between 0 and 600 seconds"),
            ("timeout", MAX_TIMEOUT, "must be more than 0 seconds, at most a week"),
        ):
            given = getattr(self, name)
            if given is None:
                continue
            seconds = to_seconds(given, what=f"Settings.{name}")
            if not (is_number(seconds) and 0 < seconds <= most):
                raise UsageError(f"Settings.{name} {limits}")
            object.__setattr__(self, name, seconds)  # kept as seconds, whatever was given
        retries = self.retries
        if retries is not None and not (isinstance(retries, int) and not isinstance(retries, bool)):
            raise UsageError("Settings.retries must be a whole number from 0 to 10")
        if retries is not None and not 0 <= retries <= MAX_RETRIES:
            raise UsageError("Settings.retries must be from 0 to 10")


@dataclass(frozen=True)
class ProviderSettings:
    """Resolved settings for one provider. `api_key` is excluded from repr so it never lands in a log."""

    provider: str
    base_url: str
    base_url_source: str
    api_key: str | None = field(repr=False)
    key_source: str | None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    retries: int = DEFAULT_RETRIES
    allow_insecure_http: bool = False
    timeout: float = DEFAULT_TIMEOUT
    #: Requests per second at most (`max_rate`, written `20/s`, `600/m`, `1000/h`); None: no cap.
    max_rate: float | None = None
    #: The environment variables a key may come from, first the one to name in messages.
    key_env: tuple[str, ...] = ()

    def require_key(self) -> str:
        problem = key_problem(self.api_key or "x")
        if problem:
            # requests would refuse the header with an error that quotes the key: never show it.
            raise AuthError(
                f"{self.provider}: the API key from {self.key_source} contains {problem}; it cannot be sent",
                code="bad_key",
            )
        if self.api_key:
            return self.api_key
        variable = self.key_env[0] if self.key_env else f"the {self.provider} API key"
        raise AuthError(
            f"{self.provider}: no API key configured; set {variable} "
            f"or run 'status auth {self.provider}' (config entry [{self.provider}] api_key)",
            code="missing_key",
        )


def key_problem(key: str) -> str | None:
    """Why `key` cannot travel in an HTTP header, or None. Keys are printable ASCII without spaces."""
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in key):
        return "control characters (a line break?)"
    if " " in key:
        return "a space"
    if not key.isascii():
        return "non-ASCII characters (a copy-paste of curly quotes or a non-breaking space?)"
    return None


def mask_key(key: str | None) -> str:
    """A key shown as its length and last two characters at most: enough to tell two keys apart."""
    if not key:
        return "(not set)"
    if len(key) < 12:
        return "*" * 8
    return "*" * 8 + key[-2:]
