"""The settings use cases: `status config` (the resolved settings, keys masked) and saving a key."""

from __future__ import annotations

import os
import sys
from typing import Any

from statuscli.app.runtime import decode_input, echo, say, state, stdin, stdout_guard
from statuscli.config import Resolver, config_path, key_problem, mask_key, write_key
from statuscli.core.console import print_error, print_warning
from statuscli.core.durations import format_rate
from statuscli.core.errors import ExitCode, UsageError
from statuscli.core.text import clean
from statuscli.providers import check_provider, get_provider, providers
from statuscli.reports.json import RESULT_VERSION, write_json

#: The fields of each provider in `status config --json` (all present, null when unknown).
CONFIG_ROW_KEYS = (
    "provider",
    "base_url",
    "base_url_source",
    "api_key",
    "api_key_source",
    "api_key_problem",
    "connect_timeout",
    "read_timeout",
    "timeout",
    "retries",
    "allow_insecure_http",
    "max_rate",
    "error",
)


def config_rows() -> tuple[Any, list[dict[str, Any]]]:
    """The config file and one row per registered provider (an `error` row for a bad setting)."""
    resolver = Resolver(warn=print_warning)
    config = resolver.config()
    rows: list[dict[str, Any]] = []
    for spec in providers():
        name = spec.name
        try:
            item = resolver(name)
        except UsageError as exc:  # one bad setting must not hide the other provider's
            print_error(f"{name}: {exc.message}")
            rows.append(dict.fromkeys(CONFIG_ROW_KEYS) | {"provider": name, "error": exc.message})
            continue
        rows.append(
            {
                "provider": name,
                "base_url": item.base_url,
                "base_url_source": item.base_url_source,
                "api_key": mask_key(item.api_key),
                "api_key_source": item.key_source,
                "api_key_problem": key_problem(item.api_key) if item.api_key else None,
                "connect_timeout": item.connect_timeout,
                "read_timeout": item.read_timeout,
                "timeout": item.timeout,
                "retries": item.retries,
                "allow_insecure_http": item.allow_insecure_http,
                "max_rate": item.max_rate,
                "error": None,
            }
        )
    return config, rows


def show_config(*, json_output: bool) -> ExitCode:
    """Print the settings report; usage (2) when a provider's settings do not resolve."""
    state.json_output = json_output
    config, rows = config_rows()
    failed = any(row["error"] for row in rows)
    code = ExitCode.USAGE if failed else ExitCode.SUCCESS
    if json_output:
        with stdout_guard():
            write_json(
                {
                    "statuscli_result_version": RESULT_VERSION,
                    "exit_code": int(code),
                    "config_file": str(config.path),
                    "config_file_exists": config.exists,
                    "providers": rows,
                }
            )
        return code
    lines = [f"config file: {config.path}{'' if config.exists else ' (not found)'}"]
    for row in rows:
        lines += ["", f"[{row['provider']}]"]
        if row["error"]:
            lines.append(f"  error        {clean(row['error'])}")
            continue
        source = row["api_key_source"] or ("not set: " + " or ".join(get_provider(row["provider"]).key_env))
        problem = f"; unusable: contains {row['api_key_problem']}" if row["api_key_problem"] else ""
        lines += [
            f"  base_url     {clean(row['base_url'])}  ({clean(row['base_url_source'])})",
            f"  api_key      {row['api_key']}  ({clean(source)}{problem})",
            f"  timeouts     connect {row['connect_timeout']:g}s, read {row['read_timeout']:g}s, "
            f"one-shot {row['timeout']:g}s",
            f"  retries      {row['retries']}",
            f"  insecure     {'allowed' if row['allow_insecure_http'] else 'refused'} "
            "(plain http to non-loopback hosts)",
            f"  max_rate     {_rate(row['max_rate'])}",
        ]
    echo("\n".join(lines))
    return code


def _rate(per_second: float | None) -> str:
    if per_second is None:
        return "none (adaptive: slows down when the server answers 429)"
    return f"{format_rate(per_second)} ({per_second:g} requests a second)"


def save_key(provider: str) -> ExitCode:
    """Read a key (hidden prompt, or stdin when it is not a terminal) and store it in the config file."""
    check_provider(provider)
    at_terminal = sys.stdin is not None and sys.stdin.isatty()
    source = None if at_terminal else stdin()  # a closed stdin is a usage error before anything else
    for var in get_provider(provider).key_env:  # said before the key is typed, not after
        if os.environ.get(var, "").strip():
            print_warning(f"warning: {var} is set in the environment and takes precedence")
            break
    if source is None:
        key = _prompt_key(f"{provider} API key: ")
    else:
        key = decode_input(source.buffer.readline(), "stdin")
    key = key.strip()
    if not key:
        raise UsageError("no key given (empty input)")
    problem = key_problem(key)
    if problem:
        raise UsageError(f"the key contains {problem}; it was not saved")
    path = config_path()
    write_key(path, provider, key)
    say(f"Saved the {provider} API key to {path} (mode 0600).")
    return ExitCode.SUCCESS


def _prompt_key(prompt: str) -> str:
    """A hidden prompt on the terminal. Ctrl-C ends the command (130); Ctrl-D is no key (usage, 2)."""
    import getpass

    try:
        return getpass.getpass(prompt, stream=sys.stderr)
    except EOFError:
        sys.stderr.write("\n")
        raise UsageError("no key given (end of input)") from None
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise
