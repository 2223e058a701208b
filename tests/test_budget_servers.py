"""The request budget against servers that throttle, on a fake clock (`budget_sim`): a fixed random share
of 429s whatever the load must not drag the rate down, and a real limit (a token bucket) must still be
found and kept to, with few 429s and most of its budget used."""

from __future__ import annotations

import pytest

from tests.budget_sim import RandomShare, TokenBucket, simulate

#: After the first seconds, while the budget learns what the server does.
SETTLED = 10.0


@pytest.mark.parametrize("share", [0.01, 0.03, 0.10])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_fixed_share_of_429s_keeps_the_rate_the_targets_ask_for(share: float, seed: int) -> None:
    """100 targets at 1 s ask 100 requests a second of a server that refuses `share` of them at random
    (Retry-After: 1), whatever the load: the rate stays near 100 a second for two minutes."""
    seen = simulate(RandomShare(share), targets=100, interval=1.0, seconds=120, seed=seed)
    assert seen.rate(SETTLED, 120) >= 0.9 * 100
    assert seen.rate(60, 120) >= 0.9 * 100  # and does not drift down
    assert seen.refused_share(SETTLED, 120) <= share * 1.5  # the share is the server's, no more


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_token_bucket_is_kept_to(seed: int) -> None:
    """1,000 targets at 2 s ask 500 requests a second of a server that allows 50 (burst 50): after the
    first seconds at most 1% of the answers are 429s, and at least 90% of the budget is used."""
    seen = simulate(TokenBucket(rate=50, burst=50), targets=1000, interval=2.0, seconds=120, seed=seed)
    assert seen.refused_share(SETTLED, 120) <= 0.01
    assert seen.served_rate(SETTLED, 120) >= 0.9 * 50


@pytest.mark.parametrize(("rate", "targets", "interval"), [(20, 100, 1.0), (100, 500, 1.0)])
def test_other_limits_are_kept_to_as_well(rate: float, targets: int, interval: float) -> None:
    seen = simulate(TokenBucket(rate=rate, burst=rate), targets=targets, interval=interval, seconds=120)
    assert seen.refused_share(SETTLED, 120) <= 0.01
    assert seen.served_rate(SETTLED, 120) >= 0.9 * rate
