"""Error bodies: the shared reader of their message, and the rules of APIs whose errors need more than
the common mapping (FastAPI's `{"detail": ...}`, an envelope `{code, msg, data}`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from statuscli.core.errors import ApiError, AuthError, NotFoundError, StatusCliError
from statuscli.providers.record import ErrorAnswer, ErrorRule

__all__ = ["envelope", "error_message", "fastapi", "validation_message"]

#: FastAPI's own answer for a path no route serves: the base URL (or the API version) is wrong.
ROUTE_NOT_FOUND = "Not Found"


def error_message(payload: Any) -> str | None:
    """The message of an error body: `message`, then `detail` (a string, or FastAPI's list of
    validation errors), then `error` (a string or `{message}`), then `msg`."""
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("message"), str):
        return str(payload["message"])
    detail = payload.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and (text := validation_message(detail)):
        return text
    err = payload.get("error")
    if isinstance(err, str):
        return err
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])
    if isinstance(payload.get("msg"), str):
        return str(payload["msg"])
    return None


def validation_message(detail: list[Any]) -> str | None:
    """FastAPI's validation errors as one line: `path.task_id: Input should be a valid UUID`."""
    parts = []
    for item in detail[:3]:
        if not isinstance(item, dict) or not isinstance(item.get("msg"), str):
            continue
        loc = item.get("loc")
        where = ".".join(str(p) for p in loc) if isinstance(loc, list) else ""
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts) or None


def _suffix(answer: ErrorAnswer) -> str:
    return f": {answer.message}" if answer.message else ""


def wrong_base_url(answer: ErrorAnswer, why: str) -> ApiError:
    return ApiError(
        f"{answer.provider}: HTTP {answer.status}: {why}: the base URL looks wrong (check "
        f"{answer.base_url} with 'status config')",
        code="wrong_base_url",
        http_status=answer.status,
    )


def fastapi(
    *, auth_404: Iterable[str] = (), auth_403_hint: str = "", route_gone: str = "no such route"
) -> ErrorRule:
    """The rule of a FastAPI service: a 404 whose `detail` is exactly "Not Found" is its router's (a
    wrong base URL, exit 6); a 404 whose detail is one of `auth_404` is about the key (exit 4); a 422
    rejects the id (exit 5, the id is the request's only input); a 403 is the key (exit 4, with
    `auth_403_hint`)."""
    auth_texts = frozenset(auth_404)

    def rule(answer: ErrorAnswer) -> StatusCliError | None:
        detail = answer.payload.get("detail") if isinstance(answer.payload, dict) else None
        if answer.status == 404 and detail == ROUTE_NOT_FOUND:
            return wrong_base_url(answer, route_gone)
        if answer.status == 404 and detail in auth_texts:
            return AuthError(
                f"{answer.provider}: API key rejected (HTTP 404){_suffix(answer)}", http_status=404
            )
        if answer.status == 422:
            return NotFoundError(
                f"{answer.provider}: not a valid id for this API (HTTP 422){_suffix(answer)}", http_status=422
            )
        if answer.status == 403:
            hint = f" ({auth_403_hint})" if auth_403_hint else ""
            return AuthError(
                f"{answer.provider}: API key rejected (HTTP 403){_suffix(answer)}{hint}", http_status=403
            )
        return None

    return rule


def envelope(
    *,
    auth_codes: Iterable[int] = (401,),
    auth_msgs: Iterable[str] = ("invalid authorization",),
    not_found_codes: Iterable[int] = (),
    not_found_msgs: Iterable[str] = (),
) -> ErrorRule:
    """The rule of an API that wraps every answer in `{code, msg, data}` (`code` 0 is success): the
    code and message decide, whatever the HTTP status; a 404 is never its own (a wrong base URL)."""
    auth = frozenset(auth_codes), frozenset(auth_msgs)
    missing = frozenset(not_found_codes), frozenset(not_found_msgs)

    def rule(answer: ErrorAnswer) -> StatusCliError | None:
        if answer.status == 404:
            return wrong_base_url(answer, "this API answers 'not found' in its body, never with 404")
        return envelope_error(
            answer.provider, answer.payload, auth=auth, missing=missing, status=answer.status
        )

    return rule


def envelope_error(
    provider: str,
    payload: Any,
    *,
    auth: tuple[frozenset[int], frozenset[str]],
    missing: tuple[frozenset[int], frozenset[str]],
    status: int,
) -> StatusCliError | None:
    """The error an envelope with a non-zero `code` means, or None when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), int) or payload["code"] == 0:
        return None
    code = payload["code"]
    msg = payload.get("msg") if isinstance(payload.get("msg"), str) else ""
    word = str(msg).strip().rstrip(".").lower()
    text = f"{msg} (code {code})" if msg else f"code {code}"
    if code in auth[0] or word in auth[1]:
        return AuthError(f"{provider}: API key rejected: {text}", http_status=status)
    if code in missing[0] or word in missing[1]:
        return NotFoundError(f"{provider}: not found: {text}", http_status=status)
    if status == 200 or not (status in (408, 429) or status >= 500):
        return ApiError(f"{provider}: API error: {text}", code="api_error", http_status=status)
    return None  # a transient status: the common mapping retries it
