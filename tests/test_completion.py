"""Completion scripts stay generated from the app, work in a real bash, and stay off the network."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.usefixtures("built_in_only")
def test_committed_scripts_match_the_app() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "completions" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + "\nrun: python completions/generate.py"


def test_completion_command_prints_the_committed_script(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("completion", "bash")
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "completions" / "status.bash").read_text()
    result = cli("completion", "fish", "--prog-name", "statuscli")
    assert result.stdout == (ROOT / "completions" / "statuscli.fish").read_text()
    assert cli("completion", "tcsh").exit_code == 2


def bash_complete(words: str, cword: int, env: dict[str, str], prog: str = "status") -> list[str]:
    """Source the committed script in a real bash and run its completion function like bash does."""
    script = ROOT / "completions" / f"{prog}.bash"
    program = textwrap.dedent(
        f"""
        source {script}
        COMP_WORDS=({words})
        COMP_CWORD={cword}
        _{prog}_completion {prog}
        printf '%s\\n' "${{COMPREPLY[@]}}"
        """
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture
def bash_env(isolated_env: Path) -> dict[str, str]:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    if not (BIN / "status").exists():
        pytest.fail("the status console script is not installed in this environment")
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def test_bash_completes_subcommands(bash_env: dict[str, str]) -> None:
    assert bash_complete("status wa", 1, bash_env) == ["watch"]
    assert set(bash_complete("status ''", 1, bash_env)) >= {"anchor", "browserable", "watch", "config"}
    assert sorted(bash_complete("statuscli bro", 1, bash_env, prog="statuscli")) == [
        "browser-use",
        "browserable",
        "browseract",
    ]


def test_bash_completes_the_variants_of_a_provider_with_a_choice(bash_env: dict[str, str]) -> None:
    """`status hyperbrowser --agent <TAB>` offers its agents, `status browser-use --api <TAB>` its API
    versions: whatever the registry declares."""
    from statuscli.providers import providers

    chosen = [spec for spec in providers() if spec.choice is not None]
    assert chosen  # the test means something only with such a provider
    for spec in chosen:
        assert spec.choice is not None
        words = [v.name for v in spec.variants]
        assert bash_complete(f"status {spec.name} --{spec.choice.option} ''", 3, bash_env) == words
        first = words[0][0]
        assert bash_complete(f"status {spec.name} --{spec.choice.option} {first}", 3, bash_env) == [
            w for w in words if w.startswith(first)
        ]


def test_bash_completes_providers_and_recent_task_ids(bash_env: dict[str, str]) -> None:
    state = Path(bash_env["XDG_STATE_HOME"]) / "statuscli"
    state.mkdir(parents=True)
    (state / "recent.json").write_text(
        json.dumps({"anchor": ["a-123", "a-456", "zz"], "browserable": ["b-1"]})
    )
    assert bash_complete("status anchor a-", 2, bash_env) == ["a-123", "a-456"]
    words = bash_complete("status watch ''", 2, bash_env)
    assert words[:2] == ["anchor", "browserable"]
    assert {"skyvern", "browser-use", "browser-use/v2", "hyperbrowser/cua"} <= set(words)
    assert bash_complete("status watch hyperbrowser/c", 2, bash_env) == [
        "hyperbrowser/claude-computer-use",
        "hyperbrowser/cua",
    ]
    assert bash_complete("status watch browserable ''", 3, bash_env) == ["b-1"]
    (state / "recent.json").write_text(json.dumps({"hyperbrowser": ["h-1"]}))
    assert bash_complete("status watch hyperbrowser/cua ''", 3, bash_env) == ["h-1"]


def test_queried_ids_are_remembered_for_completion(cli, anchor_api, bash_env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    anchor_api.expect_request("/v2/tasks/task-77/generation-status").respond_with_json(
        {"id": "task-77", "status": "ready"}
    )
    assert cli("anchor", "task-77").exit_code == 0
    assert bash_complete("status anchor task-", 2, bash_env) == ["task-77"]
    recent = (Path(bash_env["XDG_STATE_HOME"]) / "statuscli" / "recent.json").read_text()
    assert "key" not in recent.lower()


PROBE = textwrap.dedent(
    """
    import os, sys
    sys.argv = ["status", *sys.argv[1:]]
    from statuscli.cli import main
    try:
        main()
    except SystemExit:
        pass
    watched = ("requests", "urllib3", "rich.table", "rich.live", "statuscli.render.table")
    heavy = sorted(m for m in watched if m in sys.modules)
    print("HEAVY=" + ",".join(heavy), file=sys.stderr)
    """
)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {}),
        (["watch", "--help"], {}),
        ([], {"_STATUS_COMPLETE": "complete_bash", "COMP_WORDS": "status anchor ", "COMP_CWORD": "2"}),
        ([], {"_STATUS_COMPLETE": "complete_bash", "COMP_WORDS": "status watch ", "COMP_CWORD": "2"}),
    ],
)
def test_help_and_completion_do_not_import_requests_or_rich_tables(
    args: list[str], env: dict[str, str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, **env),
        timeout=30,
        check=False,
    )
    assert "HEAVY=\n" in done.stderr + "\n", done.stderr


def test_importing_the_cli_does_not_import_requests() -> None:
    code = "import sys, statuscli.cli; print(sorted(m for m in ('requests', 'rich') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_json_one_shot_and_errors_do_not_import_rich_or_pydantic() -> None:
    """`status anchor ID --json` pays for requests, never for tables or Typer's pydantic layer."""
    probe = PROBE.replace(
        'watched = ("requests", "urllib3", "rich.table", "rich.live", "statuscli.render.table")',
        'watched = ("rich", "pydantic", "statuscli.render.table")',
    )
    with socket.socket() as sock:  # a port nobody listens on: the error path, as JSON
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, ANCHORBROWSER_API_KEY="k" * 20, ANCHORBROWSER_BASE_URL=f"http://127.0.0.1:{port}")
    done = subprocess.run(
        [sys.executable, "-c", probe, "anchor", "t1", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert "connection refused" in done.stderr
    assert "HEAVY=\n" in done.stderr + "\n", done.stderr


def test_a_one_shot_into_a_pipe_does_not_import_rich(httpserver) -> None:  # type: ignore[no-untyped-def]
    """`status anchor ID | awk …` pays for requests, never for rich or the table renderer."""
    httpserver.expect_request("/v2/tasks/t1/generation-status").respond_with_json(
        {"id": "t1", "status": "failed", "error": "the page requires a login"}
    )
    probe = PROBE.replace(
        'watched = ("requests", "urllib3", "rich.table", "rich.live", "statuscli.render.table")',
        'watched = ("rich", "pydantic", "statuscli.render.table")',
    )
    env = dict(os.environ, ANCHORBROWSER_API_KEY="k" * 20, ANCHORBROWSER_BASE_URL=httpserver.url_for("/"))
    done = subprocess.run(
        [sys.executable, "-c", probe, "anchor", "t1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.stdout.splitlines() == [
        "PROVIDER   TASK   STATE    DETAIL",
        "anchor     t1     failed   the page requires a login",
    ]
    assert "HEAVY=\n" in done.stderr + "\n", done.stderr


# ---- the answer without Typer: drift-tested against the real command tree ---------------------------

RECENT = {"anchor": ["demo-ready", "demo-failed", "d2"], "browserable": ["b-1", "b-2"]}


def corpus() -> list[tuple[list[str], str]]:
    """Command lines, as complete words and the word being completed, over the whole command tree."""
    from statuscli.cli.tree import TREE

    cases: list[tuple[list[str], str]] = []
    for incomplete in ("", "a", "w", "c", "-", "--", "--d", "--v", "-h", "x", "+"):
        cases += [([], incomplete), (["--debug"], incomplete)]
    for name, command in TREE["commands"].items():
        for incomplete in ("", "-", "--", "--j", "--t", "-t", "a", "demo-", "b", "x", "="):
            cases.append(([name], incomplete))
        for option in command["options"]:
            if option["eager"]:
                continue
            for opt in option["opts"]:
                cases += [([name, opt], ""), ([name, opt], "-"), ([name, opt], "--"), ([name, opt], "c")]
                if option["value"]:
                    cases += [
                        ([name, opt, "v1"], ""),
                        ([name, opt, "v1"], "-"),
                        ([name, "--debug", opt], "x"),
                    ]
        for word in ("anchor", "browserable", "x"):
            cases += [
                ([name, word], ""),
                ([name, word], "-"),
                ([name, word, "t1"], "d"),
                (["--debug", name, word], ""),
            ]
    return cases


def shell_env(shell: str, words: list[str], incomplete: str, prog: str = "status") -> dict[str, str]:
    line = " ".join([prog, *words, incomplete])
    if shell == "bash":
        return {"COMP_WORDS": line, "COMP_CWORD": str(len(words) + 1)}
    if shell == "powershell":
        return {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_WORD_TO_COMPLETE": incomplete}
    return {"_TYPER_COMPLETE_ARGS": line if incomplete else line + ("" if line.endswith(" ") else " ")}


def canonical(text: str) -> str:
    """Click lists `-h` and `--help` in an order that changes from process to process: `--help` first."""
    item = r'(^|\(\("|")({})(?=$|[\t":])'
    lines = text.split("\n")
    for n in range(len(lines) - 1):
        if re.search(item.format("-h"), lines[n]) and re.search(item.format("--help"), lines[n + 1]):
            # the same help text: swapping the names swaps the items
            lines[n] = re.sub(item.format("-h"), r"\1--help", lines[n], count=1)
            lines[n + 1] = re.sub(item.format("--help"), r"\1-h", lines[n + 1], count=1)
    return "\n".join(lines)


@functools.cache
def typer_command() -> Any:
    """The Typer app's command tree, as Click sees it (built once: building it is the slow part)."""
    import typer.main
    from typer.completion import completion_init  # type: ignore[attr-defined]

    from statuscli.cli.app import app, sync_provider_commands

    completion_init()
    sync_provider_commands()
    return typer.main.get_command(app)


def typer_answer(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The Typer app's own answer, as `status` gave it before `cli.complete` existed: the call its
    main makes when the completion variable is set."""
    from typer.completion import shell_complete

    saved = dict(os.environ)
    os.environ.update(env)
    capsys.readouterr()
    try:
        code = shell_complete(typer_command(), {}, "status", "_STATUS_COMPLETE", env["_STATUS_COMPLETE"])
    except SystemExit as exc:  # fish's is-args answers with the exit code
        code = int(exc.code or 0)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("built_in_only")
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish get-args", "fish is-args", "powershell"])
def test_completion_without_typer_answers_as_the_typer_app(
    shell: str, capsys: pytest.CaptureFixture[str], isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import statuscli.cli.options

    # Click runs `--debug`'s callback while it parses for completion: no debug log may outlive the test.
    monkeypatch.setattr(statuscli.cli.options, "enable_debug", lambda: None)
    from statuscli.cli.complete import answer

    state = isolated_env / "home" / ".state" / "statuscli"
    state.mkdir(parents=True)
    (state / "recent.json").write_text(json.dumps(RECENT))
    name, _, action = shell.partition(" ")
    answered = 0
    for words, incomplete in corpus():
        env = shell_env(name, words, incomplete)
        env |= {"_STATUS_COMPLETE": f"complete_{name}", "COLUMNS": "1000"}
        if action:
            env["_TYPER_COMPLETE_FISH_ACTION"] = action
        fast = answer(env["_STATUS_COMPLETE"], {**os.environ, **env})
        if fast is None:
            continue  # left to the app, which then answers as before
        answered += 1
        code, text = fast
        expected_code, expected = typer_answer(env, capsys)
        shown = "" if text is None else text + "\n"
        assert (code, shown) == (expected_code, canonical(expected)), (shell, words, incomplete)
    assert answered >= 0.9 * len(corpus())


@pytest.mark.parametrize(
    "line",
    [
        "status foo ",
        "status anchor --bogus ",
        "status anchor --timeout=5 ",
        "status anchor -- ",
        "status --version ",
        "status watch --help ",
        "status watch --file -x ",
    ],
)
def test_what_completion_without_typer_cannot_tell_is_left_to_the_app(line: str) -> None:
    from statuscli.cli.complete import answer

    words = line.split()
    assert answer("complete_bash", {"COMP_WORDS": line, "COMP_CWORD": str(len(words))}) is None
    assert answer("source_bash", {}) is None  # the script itself comes from the app


@pytest.mark.parametrize("line", ["status watch ", "status watch --fi", "statuscli ", "status wa"])
def test_a_tab_completion_does_not_load_typer(line: str) -> None:
    prog = line.split()[0]
    cword = len(line.split()) - (0 if line.endswith(" ") else 1)
    env = {f"_{prog.upper()}_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(cword)}
    probe = PROBE.replace('"status"', repr(prog)).replace(
        'watched = ("requests", "urllib3", "rich.table", "rich.live", "statuscli.render.table")',
        'watched = ("typer", "rich", "requests", "statuscli.providers", "statuscli.core.models")',
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=dict(os.environ, **env),
        timeout=30,
        check=False,
    )
    assert done.stdout.strip()  # it answered
    assert "HEAVY=\n" in done.stderr + "\n", done.stderr
