"""Make untrusted server text inert before a terminal sees it."""

from __future__ import annotations

import re

# C0 controls (ESC included), DEL, C1 controls, and the bidi overrides that can reorder what a line says.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")

MAX_TEXT = 300


def clean(text: object, *, limit: int = MAX_TEXT) -> str:
    """One line of printable text: control characters removed, whitespace folded, length capped.

    Escape sequences lose their ESC byte, so `ESC]0;title BEL` shows as `]0;title`: visible, inert.
    """
    value = text if isinstance(text, str) else str(text)
    value = _SPACES.sub(" ", value.replace("\x1b", "").replace("\x9b", ""))
    value = _SPACES.sub(" ", _CONTROL.sub("", value)).strip()  # a control between two spaces left two
    if len(value) > limit:
        value = value[: limit - 1] + "\u2026"
    return value


def cell_width(text: str) -> int:
    """How many terminal cells `text` takes: two for a wide (East Asian) character, none for a
    combining mark."""
    if text.isascii():
        return len(text)
    import unicodedata

    wide = ("W", "F")
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in wide else 1
        for ch in text
    )


def safe_url(url: object) -> str | None:
    """`url` if it is a plain http(s) URL that is safe to put in a terminal hyperlink, else None."""
    if not isinstance(url, str) or len(url) > 2048:
        return None
    # Printable ASCII only: no controls, no bidi overrides, no look-alike letters in a link's text.
    if not re.fullmatch(r"https?://[\x21-\x7e]+", url, flags=re.IGNORECASE) or re.search(
        r"[<>\"\\^`{|}]", url
    ):
        return None
    return url


def plural(count: int, noun: str) -> str:
    """`1 task`, `2 tasks`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
