"""When the engine asks a target next: the first polls spread over the start, an interval with its
jitter, and the backoff after a failure (the one retry policy, from the options' base). Pure: the
random draws come from the `uniform` the scheduler is given, so tests choose them."""

from __future__ import annotations

from collections.abc import Callable

from statuscli.engine import retry
from statuscli.engine.options import WatchOptions

Uniform = Callable[[float, float], float]


def first_spread(options: WatchOptions, index: int, count: int, uniform: Uniform) -> float:
    """How long after the start the first poll of target `index` (of `count`) goes out."""
    if index == 0 or count == 1 or options.single_round:
        return 0.0
    return uniform(0, min(options.interval, 0.05 * count))


def next_interval(options: WatchOptions, uniform: Uniform) -> float:
    """The interval to a target's next poll, with its jitter."""
    jitter = options.interval * options.jitter
    return max(0.05, options.interval + uniform(-jitter, jitter))


def backoff(options: WatchOptions, failures: int, retry_after: float | None, uniform: Uniform) -> float:
    """The shared policy's backoff from the options' base; a Retry-After wins when longer.

    A one-shot retries at once after its first failure (unless told to wait), as documented."""
    if options.single_round and failures == 1:
        return 0.0 if retry_after is None else retry.cap_retry_after(retry_after)
    return retry.backoff(options.backoff_base, failures, uniform, retry_after)
