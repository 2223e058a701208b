"""`status auth` as a person uses it: the installed program at a hidden prompt in a pseudo-terminal."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pexpect
import pytest

from statuscli.errors import ExitCode

from .test_e2e import BIN

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

SECRET = "sk-typed-at-the-prompt-0123456789"


def spawn(tmp_path: Path, **extra: str) -> tuple[pexpect.spawn, io.StringIO]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANCHOR", "BROWSERABLE", "STATUSCLI"))}
    env.update(STATUSCLI_CONFIG=str(tmp_path / "config.toml"), TERM="dumb", **extra)
    child = pexpect.spawn(
        str(BIN / "status"), ["auth", "anchor"], env=env, encoding="utf-8", timeout=20, dimensions=(24, 100)
    )
    child.logfile_read = seen = io.StringIO()
    return child, seen


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None
    return int(child.exitstatus)


def test_a_key_typed_at_the_prompt_is_saved_and_not_echoed(tmp_path: Path) -> None:
    child, seen = spawn(tmp_path)
    child.expect("anchor API key: ")
    child.sendline(SECRET)
    assert finish(child) == ExitCode.SUCCESS
    assert SECRET in (tmp_path / "config.toml").read_text()
    assert SECRET not in seen.getvalue()
    assert "Saved the anchor API key" in seen.getvalue()


def test_ctrl_c_at_the_prompt_is_130_and_saves_nothing(tmp_path: Path) -> None:
    child, seen = spawn(tmp_path)
    child.expect("anchor API key: ")
    child.sendintr()
    assert finish(child) == ExitCode.INTERRUPTED
    assert "Aborted" not in seen.getvalue()
    assert not (tmp_path / "config.toml").exists()


def test_end_of_input_at_the_prompt_is_a_usage_error(tmp_path: Path) -> None:
    child, seen = spawn(tmp_path)
    child.expect("anchor API key: ")
    child.sendeof()
    assert finish(child) == ExitCode.USAGE
    assert "error: no key given (end of input)" in seen.getvalue()
    assert not (tmp_path / "config.toml").exists()


def test_the_environment_override_is_said_before_the_prompt(tmp_path: Path) -> None:
    child, seen = spawn(tmp_path, ANCHORBROWSER_API_KEY="sk-from-the-environment-0123")
    child.expect("anchor API key: ")
    before_prompt = seen.getvalue()
    assert "warning: ANCHORBROWSER_API_KEY is set in the environment and takes precedence" in before_prompt
    child.sendline(SECRET)
    assert finish(child) == ExitCode.SUCCESS
    assert seen.getvalue().count("takes precedence") == 1
