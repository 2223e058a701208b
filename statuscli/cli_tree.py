"""The command tree that answers tab completion without loading Typer (`cli_complete`).

Generated from the Typer app by `python completions/generate.py`: do not edit. A test checks that it
is the app's tree and that both give the same answers.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` alone would cost a tab completion more than this module
if TYPE_CHECKING:
    from typing import Any

TREE: dict[str, Any] = {
    "providers": ["anchor", "browserable"],
    "shells": ["bash", "zsh", "fish", "powershell"],
    "root": {
        "options": [
            {
                "name": "version",
                "opts": ["--version"],
                "value": False,
                "eager": True,
                "help": "Print the version and exit.",
            },
            {
                "name": "debug",
                "opts": ["--debug"],
                "value": False,
                "eager": False,
                "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
            },
            {
                "name": "help",
                "opts": ["--help", "-h"],
                "value": False,
                "eager": True,
                "help": "Show this message and exit.",
            },
        ],
        "arguments": [],
        "commands": [
            ["anchor", "Show the generation status of..."],
            ["browserable", "Show the run status of Browserable tasks..."],
            ["watch", "Poll tasks until each one is done, with a..."],
            ["demo", "Watch simulated tasks of both providers..."],
            ["simulate", "Serve both provider APIs on 127.0.0.1 for..."],
            ["completion", "Print the shell completion script for SHELL."],
            ["config", "Show the resolved settings for each..."],
            ["auth", "Store a provider's API key in the config..."],
        ],
    },
    "commands": {
        "anchor": {
            "options": [
                {
                    "name": "json_output",
                    "opts": ["--json"],
                    "value": False,
                    "eager": False,
                    "help": "Print one JSON document on stdout (errors too).",
                },
                {
                    "name": "junit_xml",
                    "opts": ["--junit-xml"],
                    "value": True,
                    "eager": False,
                    "help": "Also write a JUnit XML report to FILE (for CI).",
                },
                {
                    "name": "no_ci_annotations",
                    "opts": ["--no-ci-annotations"],
                    "value": False,
                    "eager": False,
                    "help": "In GitHub Actions: no workflow commands, no step summary (also STATUSCLI_CI=0).",
                },
                {
                    "name": "base_url",
                    "opts": ["--base-url"],
                    "value": True,
                    "eager": False,
                    "help": "API base URL (overrides env and config).",
                },
                {
                    "name": "allow_insecure_http",
                    "opts": ["--allow-insecure-http"],
                    "value": False,
                    "eager": False,
                    "help": "Allow sending the key over plain http:// to a non-loopback host.",
                },
                {
                    "name": "timeout",
                    "opts": ["--timeout", "-t"],
                    "value": True,
                    "eager": False,
                    "help": "Overall limit, retries included: 90, 90s, 5m "
                    "(default 60s, or the config's timeout). Exit 6 when "
                    "it passes.",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:anchor"}],
        },
        "browserable": {
            "options": [
                {
                    "name": "run_id",
                    "opts": ["--run-id"],
                    "value": True,
                    "eager": False,
                    "help": "A run of the task (default: the latest).",
                },
                {
                    "name": "json_output",
                    "opts": ["--json"],
                    "value": False,
                    "eager": False,
                    "help": "Print one JSON document on stdout (errors too).",
                },
                {
                    "name": "junit_xml",
                    "opts": ["--junit-xml"],
                    "value": True,
                    "eager": False,
                    "help": "Also write a JUnit XML report to FILE (for CI).",
                },
                {
                    "name": "no_ci_annotations",
                    "opts": ["--no-ci-annotations"],
                    "value": False,
                    "eager": False,
                    "help": "In GitHub Actions: no workflow commands, no step summary (also STATUSCLI_CI=0).",
                },
                {
                    "name": "base_url",
                    "opts": ["--base-url"],
                    "value": True,
                    "eager": False,
                    "help": "API base URL (overrides env and config).",
                },
                {
                    "name": "allow_insecure_http",
                    "opts": ["--allow-insecure-http"],
                    "value": False,
                    "eager": False,
                    "help": "Allow sending the key over plain http:// to a non-loopback host.",
                },
                {
                    "name": "timeout",
                    "opts": ["--timeout", "-t"],
                    "value": True,
                    "eager": False,
                    "help": "Overall limit, retries included: 90, 90s, 5m "
                    "(default 60s, or the config's timeout). Exit 6 "
                    "when it passes.",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:browserable"}],
        },
        "watch": {
            "options": [
                {
                    "name": "file",
                    "opts": ["--file", "-f"],
                    "value": True,
                    "eager": False,
                    "help": "Targets, one per line: 'anchor ID' or 'browserable ID [RUN_ID]'; '-' is stdin.",
                },
                {
                    "name": "run_id",
                    "opts": ["--run-id"],
                    "value": True,
                    "eager": False,
                    "help": "A Browserable run (single task only).",
                },
                {
                    "name": "interval",
                    "opts": ["--interval", "-i"],
                    "value": True,
                    "eager": False,
                    "help": "Time between polls.",
                },
                {
                    "name": "timeout",
                    "opts": ["--timeout", "-t"],
                    "value": True,
                    "eager": False,
                    "help": "Overall deadline: 90, 90s, 5m, 1h. Exit 124 when it passes.",
                },
                {
                    "name": "fail_fast",
                    "opts": ["--fail-fast"],
                    "value": False,
                    "eager": False,
                    "help": "Stop at the first failed or errored task.",
                },
                {
                    "name": "max_failures",
                    "opts": ["--max-failures"],
                    "value": True,
                    "eager": False,
                    "help": "Consecutive transient errors (network, 429, 5xx) before a task gives up.",
                },
                {
                    "name": "max_rate",
                    "opts": ["--max-rate"],
                    "value": True,
                    "eager": False,
                    "help": "Most requests per provider: 20/s, 600/m, 1000/h "
                    "(default: adaptive, no fixed cap).",
                },
                {
                    "name": "json_output",
                    "opts": ["--json"],
                    "value": False,
                    "eager": False,
                    "help": "NDJSON on stdout: one object per change, then a summary.",
                },
                {
                    "name": "quiet",
                    "opts": ["--quiet", "-q"],
                    "value": False,
                    "eager": False,
                    "help": "Print nothing on stdout; only the exit code speaks.",
                },
                {
                    "name": "bell",
                    "opts": ["--bell"],
                    "value": False,
                    "eager": False,
                    "help": "Ring the terminal bell at the end.",
                },
                {
                    "name": "notify",
                    "opts": ["--notify"],
                    "value": False,
                    "eager": False,
                    "help": "Send a desktop notification at the end.",
                },
                {
                    "name": "base_url",
                    "opts": ["--base-url"],
                    "value": True,
                    "eager": False,
                    "help": "API base URL (overrides env and config).",
                },
                {
                    "name": "allow_insecure_http",
                    "opts": ["--allow-insecure-http"],
                    "value": False,
                    "eager": False,
                    "help": "Allow sending the key over plain http:// to a non-loopback host.",
                },
                {
                    "name": "junit_xml",
                    "opts": ["--junit-xml"],
                    "value": True,
                    "eager": False,
                    "help": "Also write a JUnit XML report to FILE (for CI).",
                },
                {
                    "name": "no_ci_annotations",
                    "opts": ["--no-ci-annotations"],
                    "value": False,
                    "eager": False,
                    "help": "In GitHub Actions: no workflow commands, no step summary (also STATUSCLI_CI=0).",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [{"name": "args", "nargs": -1, "complete": "watch"}],
        },
        "demo": {
            "options": [
                {
                    "name": "interval",
                    "opts": ["--interval", "-i"],
                    "value": True,
                    "eager": False,
                    "help": "Time between polls.",
                },
                {
                    "name": "json_output",
                    "opts": ["--json"],
                    "value": False,
                    "eager": False,
                    "help": "NDJSON instead of the table.",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [],
        },
        "simulate": {
            "options": [
                {
                    "name": "port",
                    "opts": ["--port", "-p"],
                    "value": True,
                    "eager": False,
                    "help": "Port on 127.0.0.1 (0: a free one).",
                },
                {
                    "name": "scenario",
                    "opts": ["--scenario"],
                    "value": True,
                    "eager": False,
                    "help": "A TOML or JSON scenario (default: the demo scenario).",
                },
                {
                    "name": "verbose",
                    "opts": ["--verbose"],
                    "value": False,
                    "eager": False,
                    "help": "Log every request to stderr.",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [],
        },
        "completion": {
            "options": [
                {
                    "name": "prog_name",
                    "opts": ["--prog-name"],
                    "value": True,
                    "eager": False,
                    "help": "The command to complete: status or statuscli.",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [{"name": "shell", "nargs": 1, "complete": "shells"}],
        },
        "config": {
            "options": [
                {
                    "name": "json_output",
                    "opts": ["--json"],
                    "value": False,
                    "eager": False,
                    "help": "Print one JSON document on stdout (errors too).",
                },
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [],
        },
        "auth": {
            "options": [
                {
                    "name": "debug",
                    "opts": ["--debug"],
                    "value": False,
                    "eager": False,
                    "help": "Log each request (method, URL, status, timing, retries) to stderr; keys masked.",
                },
                {
                    "name": "help",
                    "opts": ["--help", "-h"],
                    "value": False,
                    "eager": True,
                    "help": "Show this message and exit.",
                },
            ],
            "arguments": [{"name": "provider", "nargs": 1, "complete": "providers"}],
        },
    },
}
