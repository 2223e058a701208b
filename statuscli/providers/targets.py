"""Parsing what the user typed: targets and watch files (their grammar comes from the registry)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from statuscli.core.errors import UsageError
from statuscli.core.ids import check_id
from statuscli.core.models import Target
from statuscli.providers import Provider, providers

_COMMENT = re.compile(r"(?:^|\s)#")


def parse_target_lines(
    lines: Iterable[str], *, source: str, first_line: int = 1
) -> list[tuple[str, str, str | None]]:
    """Targets from a watch file: `PROVIDER TASK_ID`, or `PROVIDER TASK_ID [RUN_ID]` for a provider with
    run ids (e.g. `anchor TASK_ID`, `browserable TASK_ID [RUN_ID]`), one per line.

    Blank lines and `#` comments are skipped; a bad line is a usage error naming its number. Returns
    (provider, task id, run id) triples for the caller to check (`providers.make_target`).
    """
    known = {p.name: p for p in providers()}
    found: list[tuple[str, str, str | None]] = []
    for number, line in enumerate(lines, start=first_line):
        content = _COMMENT.split(line, maxsplit=1)[0].strip()
        if not content:
            continue
        words = content.split()
        provider = known.get(words[0].lower())
        if provider is not None and len(words) in ((2, 3) if provider.supports_run_id else (2,)):
            try:  # checked here too, so a bad id is named by its line like any other bad line
                for word, what in zip(words[1:], ("task id", "run id"), strict=False):
                    check_id(word, what)
            except UsageError as exc:
                raise UsageError(f"{source}, line {number}: {exc.message}") from None
            found.append((provider.name, words[1], words[2] if len(words) == 3 else None))
        else:
            raise UsageError(f"{source}, line {number}: expected {target_grammar(known.values())}")
    return found


def target_grammar(known: Iterable[Provider] | None = None) -> str:
    """`'anchor TASK_ID' or 'browserable TASK_ID [RUN_ID]'`, from the registry."""
    forms = [f"'{p.grammar}'" for p in (providers() if known is None else known)]
    return forms[0] if len(forms) == 1 else f"{', '.join(forms[:-1])} or {forms[-1]}"


def dedupe(targets: Iterable[Target]) -> list[Target]:
    """The targets in order, each once."""
    return list(dict.fromkeys(targets))
