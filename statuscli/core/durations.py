"""Durations and rates, as people type and read them: `90s`, `1m30s`, `20/s`, `600/m`."""

from __future__ import annotations

import re

from statuscli.core.errors import UsageError

#: Not `typing.TYPE_CHECKING`: the command line's start-up imports neither typing nor datetime here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import timedelta
    from typing import TypeAlias

    #: A duration as code may give it: seconds, text such as "90s" or "10m", or a `datetime.timedelta`.
    Duration: TypeAlias = float | str | timedelta


def format_rate(per_second: float) -> str:
    """`50/s`, `10/m`, `3600/h` -> `1/s`: the largest unit that keeps the number at least 1."""
    for unit, seconds in (("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if per_second * seconds >= 1 or unit == "h":
            return f"{round(per_second * seconds, 2):g}/{unit}"
    raise AssertionError("unreachable")


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


#: The longest duration accepted (a week): beyond it, waits would overflow the clock's arithmetic.
MAX_DURATION = 7 * 24 * 3600.0


_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: str, *, what: str = "duration") -> float:
    """Seconds from `90`, `90s`, `1.5s`, `500ms`, `5m`, `1h`, `1m30s`."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(value) or not value:
            raise UsageError(
                f"invalid {what} '{text}': use seconds or a number with a unit, "
                "e.g. 90, 90s, 500ms, 5m, 1h, 1m30s"
            ) from None
    if seconds != seconds or seconds < 0:
        raise UsageError(f"invalid {what} '{text}': must be a positive number of seconds")
    if seconds > MAX_DURATION:
        raise UsageError(f"invalid {what} '{text}': at most 168h (a week)")
    return seconds


def to_seconds(value: Duration, *, what: str = "duration") -> float:
    """Seconds from a `Duration`; a number is returned as it is, for its caller's checks."""
    if isinstance(value, str):
        return parse_duration(value, what=what)
    if isinstance(value, int | float):
        return value
    total_seconds = getattr(value, "total_seconds", None)  # a timedelta, known without importing datetime
    if callable(total_seconds):
        return float(total_seconds())
    raise UsageError(f"invalid {what} {value!r}: use seconds, a duration such as '90s', or a timedelta")


_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(s|m|h)")


_RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate(text: str, *, what: str = "rate") -> float:
    """Requests per second from `20/s`, `600/m` or `1000/h` (more than 0)."""
    match = _RATE.fullmatch(text.strip().lower())
    if match is None or float(match.group(1)) <= 0:
        raise UsageError(
            f"invalid {what} '{text}': use a number of requests per second, minute or hour, "
            "more than 0, e.g. 20/s, 600/m, 1000/h"
        )
    return float(match.group(1)) / _RATE_UNITS[match.group(2)]
