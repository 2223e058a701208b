"""Parsing what the user typed: targets and watch files (their grammar comes from the registry)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from statuscli.core.errors import UsageError
from statuscli.core.ids import check_id
from statuscli.core.models import Target
from statuscli.providers import Provider, providers

_COMMENT = re.compile(r"(?:^|\s)#")


#: A watch target as read from a line: (provider, task id, run id, variant), for `make_target`.
TargetLine = tuple[str, str, str | None, str | None]


def parse_target_lines(lines: Iterable[str], *, source: str, first_line: int = 1) -> list[TargetLine]:
    """Targets from a watch file, one per line: `PROVIDER TASK_ID`, `PROVIDER TASK_ID [RUN_ID]` for a
    provider with run ids, `PROVIDER/VARIANT TASK_ID` for one with a choice (e.g. `anchor TASK_ID`,
    `browserable TASK_ID [RUN_ID]`, `hyperbrowser/cua JOB_ID`).

    Blank lines and `#` comments are skipped; a bad line is a usage error naming its number. Returns
    (provider, task id, run id, variant) for the caller to check (`providers.make_target`).
    """
    known = {p.name: p for p in providers()}
    found: list[TargetLine] = []
    for number, line in enumerate(lines, start=first_line):
        content = _COMMENT.split(line, maxsplit=1)[0].strip()
        if not content:
            continue
        words = content.split()
        name, slash, variant = words[0].lower().partition("/")
        provider = known.get(name)
        if provider is not None and len(words) in ((2, 3) if provider.supports_run_id else (2,)):
            try:  # checked here too, so a bad id is named by its line like any other bad line
                chosen = provider.variant(variant) if slash else None
                for word, what in zip(words[1:], ("task id", "run id"), strict=False):
                    check_id(word, what)
                if chosen is not None and chosen.ids is not None:
                    chosen.ids.check(provider.name, words[1], "task id")
            except UsageError as exc:
                raise UsageError(f"{source}, line {number}: {exc.message}") from None
            found.append(
                (provider.name, words[1], words[2] if len(words) == 3 else None, variant if slash else None)
            )
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
