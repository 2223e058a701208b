"""Which HTTP answers may go away when asked again, and how long a `Retry-After` is honoured.

Shared by the HTTP client (whether an error is transient, the wait a server asks for) and the retry
policy of the engine (`engine.retry`), which is why it lives below both.
"""

from __future__ import annotations

#: HTTP statuses that may go away when the same request is repeated later: every 5xx, 408 and 429.
TRANSIENT_STATUSES = frozenset({408, 429, *range(500, 600)})
#: The longest `Retry-After` honoured, in seconds; a larger value is capped to this.
RETRY_AFTER_MAX = 60.0


def is_transient_status(status: int) -> bool:
    return status in TRANSIENT_STATUSES


def cap_retry_after(seconds: float) -> float:
    """A `Retry-After` wait, never negative and at most RETRY_AFTER_MAX."""
    return max(0.0, min(seconds, RETRY_AFTER_MAX))
