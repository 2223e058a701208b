"""The README's examples, taken out of the README and run verbatim, as a new user would paste them:
in a fresh home (no directory there yet) and with the installed `status`, against the simulator."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from statuscli.sim import Simulator, default_keys

from .conftest import simulating, simulator_env
from .test_e2e import BIN

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text from the heading `title` to the next heading of its level or above."""
    start = README.index(f"\n{title}\n")
    level = len(title) - len(title.lstrip("#"))
    following = re.search(rf"\n#{{1,{level}}} ", README[start + len(title) + 2 :])
    return README[start : start + len(title) + 2 + (following.start() if following else len(README))]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def fresh_env(home: Path, **extra: str) -> dict[str, str]:
    """A new user's environment: an empty home, the installed commands first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ANCHOR", "BROWSERABLE"))}
    env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)
    return env


def bash(
    script: str, env: dict[str, str], cwd: Path, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(autouse=True)
def needs_bash() -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")


def test_the_quick_start_makes_a_virtual_environment_before_installing() -> None:
    [commands] = blocks(section("## Quick start"), "sh")[:1]
    assert "checkout of\nthe source" in section("## Quick start")
    assert commands.index("python3 -m venv .venv") < commands.index("pip install . && status demo")


def completion_commands() -> list[str]:
    """Every completion command of the install table and of `status completion` but PowerShell's."""
    table = re.findall(r"^\| (?:bash|zsh|fish) \| `([^`]+)` \|", section("## Install"), flags=re.MULTILINE)
    [block] = blocks(section("### `status completion`"), "sh")
    lines = [line for line in block.splitlines() if "powershell" not in line]
    return [*table, "\n".join(lines)]


@pytest.mark.parametrize(
    "commands", completion_commands(), ids=["table-bash", "table-zsh", "table-fish", "block"]
)
def test_completion_commands_work_in_a_fresh_home(tmp_path: Path, commands: str) -> None:
    home = tmp_path / "new-user"
    home.mkdir()
    done = bash(commands, fresh_env(home), tmp_path)
    assert done.returncode == 0, done.stderr
    written = [path for path in home.rglob("*") if path.is_file()]
    assert written
    assert all("complete" in path.read_text() or "compdef" in path.read_text() for path in written)


SCENARIO = """
[[task]]
provider = "anchor"
id = "nightly-1"
timeline = "generating 0.5s -> ready"
"""


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    with simulating(SCENARIO, tmp_path) as simulator:
        yield simulator


def ci_scripts() -> list[tuple[str, str]]:
    github, gitlab = (yaml.safe_load(block) for block in blocks(section("## CI"), "yaml")[:2])
    [step] = [step for step in github if "run" in step]
    return [("github", step["run"]), ("gitlab", "\n".join(gitlab["wait-for-tasks"]["script"]))]


@pytest.mark.parametrize(("ci", "script"), ci_scripts(), ids=["github", "gitlab"])
def test_the_ci_examples_run_verbatim_in_a_fresh_checkout(
    tmp_path: Path, sim: Simulator, ci: str, script: str
) -> None:
    work = tmp_path / "job"
    work.mkdir()
    (work / "tasks.txt").write_text("anchor nightly-1\n")
    env = fresh_env(
        tmp_path / "home",
        ANCHORBROWSER_API_KEY=default_keys()["anchor"],
        ANCHORBROWSER_BASE_URL=sim.base_url_for("anchor"),
        STATUSCLI_CONFIG=str(tmp_path / "none.toml"),
    )
    done = bash(script, env, work)
    assert done.returncode == 0, done.stderr
    report = (work / "reports" / "tasks.xml").read_text()
    assert 'name="nightly-1"' in report


def test_the_demo_jq_example_prints_each_change_and_nothing_else(tmp_path: Path) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    [example] = re.findall(r"`(status demo --json \| jq [^`]+)`", section("## Quick start"))
    assert example in README[README.index("### `status demo` and `status simulate`") :]
    shown = bash("status demo --help", fresh_env(tmp_path / "home"), tmp_path)
    assert example in shown.stdout  # the help gives the same example
    done = bash(example, fresh_env(tmp_path / "home", STATUSCLI_CONFIG=str(tmp_path / "none.toml")), tmp_path)
    assert done.returncode == 0, done.stderr
    changes = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(changes) >= 7
    assert all(set(change) == {"task_id", "to"} for change in changes)
    assert all(change["task_id"] and change["to"] for change in changes)


PYTHON_SCENARIO = """
[[task]]
provider = "anchor"
id = "3f6c2a"
timeline = "generating 300ms -> ready"

[[task]]
provider = "anchor"
id = "9b1e7d"
timeline = "ready"

[[task]]
provider = "browserable"
id = "2d9c6f0e-4b1a-4c3e-9f5d-7a8b6c5d4e01"
timeline = "scheduled 200ms -> running 200ms -> completed"
"""


def python_examples() -> list[str]:
    """Every program in the README's "Python API" section, in order."""
    return blocks(section("## Python API"), "python")


def test_the_python_api_section_shows_the_client_first() -> None:
    examples = python_examples()
    assert len(examples) == 3
    assert "statuscli.Client(" in examples[0]
    assert "statuscli.Client" not in examples[1]  # the shortcuts
    assert "client.watch(" in examples[2]
    assert "client.wait_async(" in examples[2]


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, "3f6c2a is generating\nboth done\n"), (1, "3f6c2a: done\n9b1e7d: done\n"), (2, "done: ready\n")],
    ids=["client", "shortcuts", "watch-and-async"],
)
def test_the_python_examples_run_verbatim(tmp_path: Path, index: int, expected: str) -> None:
    program = tmp_path / "example.py"
    program.write_text(python_examples()[index], encoding="utf-8")
    with simulating(PYTHON_SCENARIO, tmp_path) as sim:
        env = simulator_env(sim, STATUSCLI_CONFIG=str(tmp_path / "none.toml"), HOME=str(tmp_path))
        done = subprocess.run(
            [sys.executable, str(program)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(expected)
    if index == 2:  # the generator's changes, then its summary, then the asyncio wait
        assert done.stdout.startswith("3f6c2a is generating\n3f6c2a is ready\nended with exit code 0\n")
