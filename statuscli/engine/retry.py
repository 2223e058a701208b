"""The one retry policy: which failures are worth asking again, and how long to wait before asking.

The poll engine (`watcher`) applies it to a watch's polls and to a one-shot's attempts alike; the HTTP
client makes one attempt per call. Which statuses are transient, and the cap on `Retry-After`, come
from `core.transient` (the HTTP client reads them too).
"""

from __future__ import annotations

from collections.abc import Callable

from statuscli.core.transient import RETRY_AFTER_MAX, TRANSIENT_STATUSES, cap_retry_after, is_transient_status

__all__ = [
    "JITTER",
    "MAX_BACKOFF",
    "RETRY_AFTER_MAX",
    "TRANSIENT_STATUSES",
    "backoff",
    "cap_retry_after",
    "is_transient_status",
    "worth_retrying",
]

#: The longest wait between two attempts, jitter included.
MAX_BACKOFF = 60.0
#: Each wait is the exponential value times a factor drawn from this range.
JITTER = (0.8, 1.2)


def worth_retrying(*, transient: bool, repeatable: bool, http_status: int | None, single_round: bool) -> bool:
    """Whether a failed request is asked again. A watch repeats every transient failure at its next
    poll. A one-shot repeats only what asking again at once can mend: a transient status (408, 429,
    5xx) or a `repeatable` failure (no answer at all: connection refused or reset, no response head in
    time; or a transient status's error page that broke off); a broken body or a wrong shape of a 200
    is reported at once."""
    if not transient:
        return False
    if not single_round:
        return True
    return repeatable or (http_status is not None and is_transient_status(http_status))


def backoff(
    base: float,
    failures: int,
    uniform: Callable[[float, float], float],
    retry_after: float | None = None,
) -> float:
    """Seconds to wait after `failures` failures in a row: base * 2^(failures-1), jittered, then capped.

    The cap holds after the jitter; a `Retry-After` (itself capped) wins when it is longer. `uniform`
    is `random.uniform` or a test's stand-in.
    """
    exponent = min(max(failures - 1, 0), 64)  # 2**64 * any base is far past the cap already
    wait = min(MAX_BACKOFF, base * 2.0**exponent) * uniform(*JITTER)
    if retry_after is not None:
        wait = max(wait, cap_retry_after(retry_after))
    return max(0.0, min(wait, MAX_BACKOFF))
