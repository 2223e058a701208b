"""What things are called where people read them, without rich: outcome and request labels, the
summary line, one-line task messages, throttle notes and the one-word cells of pipe output.
"""

from __future__ import annotations

from collections.abc import Sequence

from statuscli.core.durations import duration, format_rate
from statuscli.core.errors import AuthError, NotFoundError, StatusCliError
from statuscli.core.models import Target, error_text
from statuscli.core.outcomes import NONE, SERVER, Throttle
from statuscli.core.text import plural
from statuscli.engine.watcher import Outcome, TargetView, WatchSummary

#: Ids are accepted up to 512 characters; `clean` must never be what shortens one.
ID_LIMIT = 600


def task_message(target: Target, error: StatusCliError) -> str:
    """`anchor t1: not found (HTTP 404)`: the provider and task, then the cause."""
    run = f" run {target.run_id}" if target.run_id else ""
    return f"{target.word} {target.task_id}{run}: {shown_error(target, error)}"


def auth_hint(provider: str) -> str:
    """What to check when a provider rejected the key, as `gh` suggests `gh auth login`."""
    from statuscli.providers import providers

    spec = next((p for p in providers() if p.name == provider), None)
    variable = spec.key_env[0] if spec is not None and spec.key_env else "the API key"
    return f"check {variable}, or run 'status auth {provider}'"


def shown_error(target: Target, error: StatusCliError) -> str:
    """The error's message without the provider prefix the line already shows; a rejected key also
    says what to check."""
    text = error_text(target, error)
    if isinstance(error, AuthError) and error.code == AuthError.code:
        text = f"{text}; {auth_hint(target.provider)}"
    return text


#: What each outcome is called wherever tasks are counted (the live header, the footer of hidden rows,
#: the summary line), so they all count the same things.
OUTCOME_WORDS = {
    Outcome.WATCHING: "pending",
    Outcome.SUCCESS: "succeeded",
    Outcome.FAILURE: "failed",
    Outcome.CANCELLED: "cancelled",
    Outcome.ERROR: "errored",
    Outcome.TIMED_OUT: "timed out",
    Outcome.SKIPPED: "skipped",
}


#: The order of the counts while a watch runs: what is left first.
RUNNING_ORDER = tuple(OUTCOME_WORDS)


#: The order of the counts at the end: what happened first, what was left last.
ENDING_ORDER = (*RUNNING_ORDER[1:], Outcome.WATCHING)


def counts(
    views: Sequence[TargetView],
    order: Sequence[Outcome],
    *,
    always: Sequence[Outcome] = (),
    pending: str = OUTCOME_WORDS[Outcome.WATCHING],
) -> list[str]:
    """`3 succeeded`, `2 errored`...: each outcome in `order` that some view has (or is in `always`)."""
    words = []
    for outcome in order:
        number = sum(1 for v in views if v.outcome is outcome)
        if number or outcome in always:
            words.append(f"{number} {pending if outcome is Outcome.WATCHING else OUTCOME_WORDS[outcome]}")
    return words


def summary_line(summary: WatchSummary) -> str:
    counted = counts(
        summary.views, ENDING_ORDER, always=(Outcome.SUCCESS, Outcome.FAILURE), pending="still pending"
    )
    return (
        f"{plural(len(summary.views), 'task')} in {duration(summary.elapsed)}: "
        f"{', '.join(counted)} (exit {int(summary.exit_code)})"
    )


#: What a failed request is called where a task's state would be: never a provider's state word.
_REQUEST_LABELS = {
    "network_error": "unreachable",
    "timeout": "no answer",
    "rate_limited": "rate limited",
    "http_error": "server error",
    "bad_response": "bad response",
    "redirect": "redirected",
    "wrong_base_url": "wrong base url",
}


REQUEST_LABELS: tuple[str, ...] = (
    "auth failed",
    "not found",
    "api error",
    *_REQUEST_LABELS.values(),
)


def request_label(error: StatusCliError) -> str:
    """The label of a request that failed (`not found`, `auth failed`, `unreachable`, ...)."""
    if isinstance(error, AuthError):
        return "auth failed"
    if isinstance(error, NotFoundError):
        return "not found"
    return _REQUEST_LABELS.get(error.code, "api error")


def shown_label(view: TargetView) -> str:
    """What a person is shown as a watched task's state: a task whose request failed for good shows
    the request's label, not a word that could be mistaken for the provider's state."""
    if view.outcome is Outcome.ERROR and view.error is not None:
        return request_label(view.error)
    return view.label


def pipe_word(text: str) -> str:
    """One whitespace-free word for a column that `awk` splits on (`waiting for input` ->
    `waiting-for-input`); an empty cell is `-`."""
    return "-".join(text.split()) or "-"


def throttle_text(event: Throttle) -> str:
    """`anchor every 20s: limited to 50/s by the server`: what a provider's budget does to its cadence."""
    every = duration(event.interval) if event.interval >= 1 else f"{event.interval:.1f}s"
    if event.reason == NONE or event.rate is None:
        return f"{event.provider} every {every}: no longer limited"
    cause = "the server" if event.reason == SERVER else "the max rate"
    return f"{event.provider} every {every}: limited to {format_rate(event.rate)} by {cause}"
