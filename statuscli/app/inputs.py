"""What a command's words name: its targets (from the arguments, a file, stdin) and the settings the
command line's flags give (`command_resolver`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from statuscli.app.runtime import decode_input, stdin
from statuscli.config import Resolver, read_once, resolve_lines, resolve_target
from statuscli.core.console import print_warning
from statuscli.core.errors import UsageError
from statuscli.core.models import Target
from statuscli.core.settings import Settings
from statuscli.providers import provider_names, providers, split_word
from statuscli.providers.targets import dedupe, target_grammar

if TYPE_CHECKING:
    from statuscli.app.stream import TargetStream


def command_resolver(base_url: tuple[str, str] | None, allow_insecure_http: bool) -> Resolver:
    """The settings of a command: `base_url` is (provider, URL) from --base-url, for that provider only
    (another provider's key must not travel to that host); the config file's warnings are printed once."""
    flags = {
        name: Settings(
            base_url=base_url[1] if base_url and base_url[0] == name else None,
            allow_insecure_http=allow_insecure_http or None,
        )
        for name in provider_names()
    }
    return Resolver(flags, base_url_source="--base-url", warn=print_warning)


def command_targets(
    provider: str, task_ids: list[str], run_id: str | None, variant: str | None = None
) -> list[Target]:
    if run_id is not None and len(task_ids) != 1:
        raise UsageError("--run-id goes with a single task id")
    config = read_once()
    return dedupe(resolve_target(provider, task_id, run_id, variant, config=config) for task_id in task_ids)


def watch_targets(
    args: list[str],
    file: str | None,
    run_id: str | None,
    base_url: str | None,
    stream: TargetStream | None = None,
) -> list[Target]:
    targets: list[Target] = []
    if args:
        word, *task_ids = args
        provider, variant = split_word(word)
        if not task_ids:
            raise UsageError(f"give at least one task id after '{word}'")
        targets += command_targets(provider, task_ids, run_id, variant)
    elif run_id is not None:
        with_runs = next((p.name for p in providers() if p.supports_run_id), "PROVIDER")
        raise UsageError(f"--run-id goes with 'watch {with_runs} TASK_ID'")
    if file is not None:
        if base_url is not None and not args:
            envs = " or ".join(p.base_url_env for p in providers())
            raise UsageError(f"--base-url needs a provider argument; with --file, set {envs}")
        if stream is not None:  # the watch starts with the first target; the others join later
            stream.remember(targets)
            targets += stream.first()
        else:
            lines = _read_lines(file)
            source = "stdin" if file == "-" else file
            targets += resolve_lines(lines, source=source)
    if not targets and file is not None:
        source = "stdin" if file == "-" else file
        raise UsageError(f"nothing to watch: {source} held no target (one per line: {target_grammar()})")
    if not targets:
        raise UsageError("nothing to watch: give a provider and task ids, or --file FILE")
    return dedupe(targets)


def _read_lines(file: str) -> list[str]:
    try:
        data = stdin().buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --file {file}: {exc.strerror or exc}") from exc
    return decode_input(data, "stdin" if file == "-" else file).splitlines()
