"""Task and run ids: what may be sent, so that an id can never change the endpoint it is sent to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statuscli.core.errors import UsageError

if TYPE_CHECKING:
    pass


#: The longest task or run id accepted.
MAX_ID_LENGTH = 512


def check_id(value: str, what: str) -> str:
    """Reject ids that could change the endpoint even once percent-encoded."""
    if value == "":
        raise UsageError(f"{what} must not be empty")
    if value in (".", ".."):
        raise UsageError(f"{what} must not be '{value}'")
    if len(value) > MAX_ID_LENGTH:
        raise UsageError(f"{what} is longer than {MAX_ID_LENGTH} characters")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value):
        raise UsageError(f"{what} must not contain control characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, as the OS handed them over (surrogates)
            shown = value.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise UsageError(f"{what} '{shown}' is not valid UTF-8") from None
    return value
