"""The sequential test a request budget runs after a slow-down: are the throttles a background share
(refused whatever we send), our own overload (they stop at the slower rate), or is the slower rate
still too fast (they go on at twice the share)? See `budget` for when a test starts and what each
verdict does. Pure: the caller gives the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

#: A share of throttles above this is overload, never a background share.
BACKGROUND_MAX = 0.25
#: Under "overload", a test expects this share of the throttles "background" expects; under "still too
#: fast", twice it or BACKGROUND_MAX more, at most FAST_MAX.
OVERLOAD_SHARE = 0.1
FAST_MAX = 0.95
#: The odds (as a log-likelihood ratio) at which a test settles, and its longest time in seconds.
CONFIDENCE = math.log(20)
TEST_MAX = 60.0
#: A background verdict needs at least this many throttles at the slower rate.
TEST_THROTTLES = 3


class Verdict(Enum):
    """What a test concluded, after one more answer."""

    UNDECIDED = "undecided"
    BACKGROUND = "background"
    OVERLOAD = "overload"
    TOO_FAST = "too fast"


@dataclass
class OverloadTest:
    """A slow-down under way that tells overload from a background share."""

    started: float
    #: The rate before (None: no limit), what the server accepted before, the share "background"
    #: expects, and what was counted before.
    rate_before: float | None
    accepted_before: float
    expect: float
    answers_before: int
    throttles_before: int
    answers: int = 0
    throttles: int = 0
    #: The evidence for "background" over "overload", and for "still too fast" over "background", as
    #: log-likelihood ratios.
    evidence: float = 0.0
    fast: float = 0.0

    def weigh(self, now: float, throttled: bool) -> Verdict:
        """Weigh one more answer (already counted in `answers` and `throttles`); a verdict once the
        evidence is strong enough either way, or after TEST_MAX seconds."""
        background, overload = self.expect, OVERLOAD_SHARE * self.expect
        fast = min(FAST_MAX, max(2 * background, background + BACKGROUND_MAX))
        if throttled:
            self.evidence += math.log(background / overload)
            self.fast += math.log(fast / background)
        else:
            self.evidence += math.log((1 - background) / (1 - overload))
            self.fast += math.log((1 - fast) / (1 - background))
        if self.fast >= CONFIDENCE:
            return Verdict.TOO_FAST
        like = self.throttles >= TEST_THROTTLES and self.fast < 0  # as many as a background gives
        settled = self.evidence >= CONFIDENCE and like
        if not settled and self.evidence > -CONFIDENCE and now < self.started + TEST_MAX:
            return Verdict.UNDECIDED
        return Verdict.BACKGROUND if self.evidence > 0 and like else Verdict.OVERLOAD
