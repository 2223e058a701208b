"""The README is the manual: every command and option in `--help` appears in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from statuscli.cli.app import app
from statuscli.providers import BUILT_IN, provider_names

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
ROOT_COMMAND = typer.main.get_command(app)
#: The commands that ship (a provider registered from outside, as the tests' fake one, has no README).
COMMANDS = sorted(
    name
    for name in ROOT_COMMAND.commands  # type: ignore[attr-defined]
    if name not in set(provider_names()) - {p.name for p in BUILT_IN}
)


def options(command: object) -> list[str]:
    names: list[str] = []
    for param in command.params:  # type: ignore[attr-defined]
        names += [opt for opt in param.opts if opt.startswith("--") and opt != "--help"]
    return names


def test_every_command_is_in_the_readme() -> None:
    others = ["auth", "completion", "config", "demo", "simulate", "watch"]
    assert sorted([*(p.name for p in BUILT_IN), *others]) == COMMANDS
    for name in COMMANDS:
        assert f"status {name}" in README, f"README does not show `status {name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_the_readme(name: str) -> None:
    for option in options(ROOT_COMMAND.commands[name]):  # type: ignore[attr-defined]
        assert f"`{option}" in README or f"{option} " in README, f"README lacks {name} {option}"


def test_global_options_are_in_the_readme() -> None:
    for option in options(ROOT_COMMAND):
        assert option in README


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_a_summary_and_examples(cli, name: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(name, "--help")
    assert result.exit_code == 0
    command = ROOT_COMMAND.commands[name]  # type: ignore[attr-defined]
    summary = (command.help or "").strip().splitlines()[0]
    assert summary.endswith("."), summary
    assert summary in " ".join(result.stdout.split())
    assert "Examples:" in result.stdout
    assert f"status {name}" in result.stdout.split("Examples:")[1] or f"statuscli {name}" in result.stdout


def test_exit_codes_in_the_readme_match_the_enum() -> None:
    from statuscli.core.errors import ExitCode

    for code in ExitCode:
        assert f"| {int(code)} |" in README, f"exit code {int(code)} is not in the README table"


def check_script(name: str) -> None:
    """`python scripts/NAME --check` finds what it writes up to date."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / name), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_pictures_are_what_the_renderer_draws() -> None:
    """docs/*.svg come from scripts/screenshots.py; a change to the view must redraw them."""
    check_script("screenshots.py")
    for name in ("demo-live.svg", "demo-final.svg"):
        assert f"](docs/{name})" in README


def test_the_provider_sections_are_generated_from_the_registry() -> None:
    """README's sections of the providers added with issue 25 come from scripts/readme_providers.py."""
    check_script("readme_providers.py")
