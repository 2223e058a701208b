"""The early-404 grace of a watch: an API that makes a new task visible a moment after creating it
(Browser Use v4 answers 404 for a few seconds; its own SDK asks again for up to 5 s) declares
`Variant.early_404_grace`. While a target has never answered 200 and joined the watch less than that
long ago, its 404 is asked again at the next interval instead of ending it "not found". A one-shot,
a target that has answered 200 before, and a 404 past the grace still end at once.
"""

from __future__ import annotations

from statuscli.core.errors import NotFoundError, StatusCliError
from statuscli.core.outcomes import TargetView
from statuscli.providers import get_provider


def in_grace(view: TargetView, error: StatusCliError, waited: float, *, single_round: bool) -> bool:
    """Whether `error`, answered for `view`'s target `waited` seconds after it joined the watch, is
    an early 404 to ask again about."""
    if single_round or view.status is not None:
        return False
    if not isinstance(error, NotFoundError) or error.http_status != 404:
        return False
    grace = get_provider(view.target.provider).variant(view.target.variant).early_404_grace
    return waited < grace
