"""The command tree that answers tab completion (`complete`) and a one-shot (`oneshot`)
without loading Typer.

Generated from the Typer app by `python completions/generate.py`: do not edit. A test checks that it
is the app's tree and that both give the same answers. Each distinct option is written once, in
`_OPTIONS` (one row a line, its fields named in `_FIELDS`), and the commands list theirs from it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` alone would cost a tab completion more than this module
if TYPE_CHECKING:
    from typing import Any

_FIELDS = ("name", "opts", "value", "eager", "help", "type", "default", "values")
# One option a line (fmt: off keeps it so).
# fmt: off
_ROWS: dict[str, tuple[Any, ...]] = {
    'version': ('version', ['--version'], False, True, 'Print the version and exit.', 'boolean', False, None),
    'debug': ('debug', ['--debug'], False, False, 'Log each request (method, URL, status, timing, retries) to stderr; keys masked.', 'boolean', False, None),
    'help': ('help', ['--help', '-h'], False, True, 'Show this message and exit.', 'boolean', None, None),
    'json_output': ('json_output', ['--json'], False, False, 'Print one JSON document on stdout (errors too).', 'boolean', False, None),
    'junit_xml': ('junit_xml', ['--junit-xml'], True, False, 'Also write a JUnit XML report to FILE (for CI).', 'str', None, None),
    'no_ci_annotations': ('no_ci_annotations', ['--no-ci-annotations'], False, False, 'In GitHub Actions: no workflow commands, no step summary (also STATUSCLI_CI=0).', 'boolean', False, None),
    'base_url': ('base_url', ['--base-url'], True, False, 'API base URL (overrides env and config).', 'str', None, None),
    'allow_insecure_http': ('allow_insecure_http', ['--allow-insecure-http'], False, False, 'Allow sending the key over plain http:// to a non-loopback host.', 'boolean', False, None),
    'timeout': ('timeout', ['--timeout', '-t'], True, False, "Overall limit, retries included: 90, 90s, 5m (default 60s, or the config's timeout). Exit 6 when it passes.", 'str', None, None),
    'run_id': ('run_id', ['--run-id'], True, False, 'A run of the task (default: the latest).', 'str', None, None),
    'variant': ('variant', ['--api'], True, False, 'The Browser Use API: v4 runs or v2 tasks. One of: v4, v2, v1 (legacy) (default: v4).', 'str', None, ['v4', 'v2', 'v1']),
    'variant_hyperbrowser': ('variant', ['--agent'], True, False, "The agent that runs the task (part of the path). One of: browser-use, claude-computer-use, cua, hyper-agent, gemini-computer-use, grok-computer-use, jev (SDK only), meta-computer-use (SDK only) (no default: give it here, or set agent in the config file's hyperbrowser table).", 'str', None, ['browser-use', 'claude-computer-use', 'cua', 'hyper-agent', 'gemini-computer-use', 'grok-computer-use', 'jev', 'meta-computer-use']),
    'file': ('file', ['--file', '-f'], True, False, "Targets, one per line: 'anchor ID' or 'browserable ID [RUN_ID]'; '-' is stdin.", 'str', None, None),
    'run_id_watch': ('run_id', ['--run-id'], True, False, 'A Browserable run (single task only).', 'str', None, None),
    'interval': ('interval', ['--interval', '-i'], True, False, 'Time between polls.', 'str', '2s', None),
    'timeout_watch': ('timeout', ['--timeout', '-t'], True, False, 'Overall deadline: 90, 90s, 5m, 1h. Exit 124 when it passes.', 'str', None, None),
    'fail_fast': ('fail_fast', ['--fail-fast'], False, False, 'Stop at the first failed or errored task.', 'boolean', False, None),
    'max_failures': ('max_failures', ['--max-failures'], True, False, 'Consecutive transient errors (network, 429, 5xx) before a task gives up.', 'int range', 5, None),
    'max_rate': ('max_rate', ['--max-rate'], True, False, 'Most requests per provider: 20/s, 600/m, 1000/h (default: adaptive, no fixed cap).', 'str', None, None),
    'json_output_watch': ('json_output', ['--json'], False, False, 'NDJSON on stdout: one object per change, then a summary.', 'boolean', False, None),
    'quiet': ('quiet', ['--quiet', '-q'], False, False, 'Print nothing on stdout; only the exit code speaks.', 'boolean', False, None),
    'bell': ('bell', ['--bell'], False, False, 'Ring the terminal bell at the end.', 'boolean', False, None),
    'notify': ('notify', ['--notify'], False, False, 'Send a desktop notification at the end.', 'boolean', False, None),
    'interval_demo': ('interval', ['--interval', '-i'], True, False, 'Time between polls.', 'str', '1s', None),
    'json_output_demo': ('json_output', ['--json'], False, False, 'NDJSON instead of the table.', 'boolean', False, None),
    'port': ('port', ['--port', '-p'], True, False, 'Port on 127.0.0.1 (0: a free one).', 'int range', 0, None),
    'scenario': ('scenario', ['--scenario'], True, False, 'A TOML or JSON scenario (default: the demo scenario).', 'file', None, None),
    'verbose': ('verbose', ['--verbose'], False, False, 'Log every request to stderr.', 'boolean', False, None),
    'prog_name': ('prog_name', ['--prog-name'], True, False, 'The command to complete: status or statuscli.', 'str', 'status', None),
}
# fmt: on
_OPTIONS: dict[str, dict[str, Any]] = {
    key: dict(zip(_FIELDS, row, strict=True)) for key, row in _ROWS.items()
}

TREE: dict[str, Any] = {
    "providers": ["anchor", "browserable", "browser-use", "hyperbrowser", "skyvern", "browseract"],
    "words": [
        "anchor",
        "browserable",
        "browser-use",
        "browser-use/v4",
        "browser-use/v2",
        "browser-use/v1",
        "hyperbrowser",
        "hyperbrowser/browser-use",
        "hyperbrowser/claude-computer-use",
        "hyperbrowser/cua",
        "hyperbrowser/hyper-agent",
        "hyperbrowser/gemini-computer-use",
        "hyperbrowser/grok-computer-use",
        "hyperbrowser/jev",
        "hyperbrowser/meta-computer-use",
        "skyvern",
        "browseract",
    ],
    "shells": ["bash", "zsh", "fish", "powershell"],
    "root": {
        "options": [_OPTIONS["version"], _OPTIONS["debug"], _OPTIONS["help"]],
        "arguments": [],
        "commands": [
            ["anchor", "Show the generation status of..."],
            ["browserable", "Show the run status of Browserable tasks..."],
            ["browser-use", "Show the status of Browser Use runs (v4,..."],
            ["hyperbrowser", "Show the status of Hyperbrowser agent tasks."],
            ["skyvern", "Show the status of Skyvern runs (tasks and..."],
            ["browseract", "Show the status of BrowserAct workflow tasks."],
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
                _OPTIONS["json_output"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["timeout"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:anchor"}],
        },
        "browserable": {
            "options": [
                _OPTIONS["run_id"],
                _OPTIONS["json_output"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["timeout"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:browserable"}],
        },
        "browser-use": {
            "options": [
                _OPTIONS["variant"],
                _OPTIONS["json_output"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["timeout"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:browser-use"}],
        },
        "hyperbrowser": {
            "options": [
                _OPTIONS["variant_hyperbrowser"],
                _OPTIONS["json_output"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["timeout"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:hyperbrowser"}],
        },
        "skyvern": {
            "options": [
                _OPTIONS["json_output"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["timeout"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:skyvern"}],
        },
        "browseract": {
            "options": [
                _OPTIONS["json_output"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["timeout"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "task_ids", "nargs": -1, "complete": "recent:browseract"}],
        },
        "watch": {
            "options": [
                _OPTIONS["file"],
                _OPTIONS["run_id_watch"],
                _OPTIONS["interval"],
                _OPTIONS["timeout_watch"],
                _OPTIONS["fail_fast"],
                _OPTIONS["max_failures"],
                _OPTIONS["max_rate"],
                _OPTIONS["json_output_watch"],
                _OPTIONS["quiet"],
                _OPTIONS["bell"],
                _OPTIONS["notify"],
                _OPTIONS["base_url"],
                _OPTIONS["allow_insecure_http"],
                _OPTIONS["junit_xml"],
                _OPTIONS["no_ci_annotations"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [{"name": "args", "nargs": -1, "complete": "watch"}],
        },
        "demo": {
            "options": [
                _OPTIONS["interval_demo"],
                _OPTIONS["json_output_demo"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [],
        },
        "simulate": {
            "options": [
                _OPTIONS["port"],
                _OPTIONS["scenario"],
                _OPTIONS["verbose"],
                _OPTIONS["debug"],
                _OPTIONS["help"],
            ],
            "arguments": [],
        },
        "completion": {
            "options": [_OPTIONS["prog_name"], _OPTIONS["debug"], _OPTIONS["help"]],
            "arguments": [{"name": "shell", "nargs": 1, "complete": "shells"}],
        },
        "config": {
            "options": [_OPTIONS["json_output"], _OPTIONS["debug"], _OPTIONS["help"]],
            "arguments": [],
        },
        "auth": {
            "options": [_OPTIONS["debug"], _OPTIONS["help"]],
            "arguments": [{"name": "provider", "nargs": 1, "complete": "providers"}],
        },
    },
}
