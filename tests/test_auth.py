"""`status auth` as a person uses it: the installed program at a hidden prompt in a pseudo-terminal."""

from __future__ import annotations

import io
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from statuscli.core.errors import ExitCode
from tests.test_e2e import BIN

from .conftest import clean_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

SECRET = "sk-typed-at-the-prompt-0123456789"


def spawn(tmp_path: Path, **extra: str) -> tuple[pexpect.spawn, io.StringIO]:
    env = clean_env()
    env.update(STATUSCLI_CONFIG=str(tmp_path / "config.toml"), TERM="dumb", **extra)
    child = pexpect.spawn(
        str(BIN / "status"), ["auth", "anchor"], env=env, encoding="utf-8", timeout=20, dimensions=(24, 100)
    )
    child.logfile_read = seen = io.StringIO()
    return child, seen


def finish(child: pexpect.spawn) -> int:
    """The status a shell sees: the exit code, or 128 + the signal the process died by."""
    child.expect(pexpect.EOF)
    child.close()
    if child.signalstatus is not None:
        return 128 + int(child.signalstatus)
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
    assert child.signalstatus == signal.SIGINT  # it died by the Ctrl-C: a shell loop stops too
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


COMMENTED = """\
# statuscli settings, kept by hand

[browserable]  # the self-hosted server
base_url = "http://localhost:2003/api/v1"   # dev box
retries = 1

# AnchorBrowser below
[anchor]
# rotated every month
api_key = "sk-old-key-0123456789"
read_timeout = 30 # slow CI
"""


def auth_from_stdin(tmp_path: Path, provider: str, key: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.update(STATUSCLI_CONFIG=str(tmp_path / "config.toml"))
    return subprocess.run(
        [str(BIN / "status"), "auth", provider],
        input=key + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_auth_keeps_comments_order_and_other_tables(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    config.chmod(0o600)
    done = auth_from_stdin(tmp_path, "anchor", SECRET)
    assert done.returncode == 0, done.stderr
    assert config.read_text() == COMMENTED.replace("sk-old-key-0123456789", SECRET)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_auth_adds_the_key_to_its_table_before_the_comments_of_the_next(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    config.chmod(0o600)
    done = auth_from_stdin(tmp_path, "browserable", SECRET)
    assert done.returncode == 0, done.stderr
    assert config.read_text() == COMMENTED.replace("retries = 1\n", f'retries = 1\napi_key = "{SECRET}"\n')


def test_auth_adds_a_table_to_a_file_without_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("# only Browserable here\n[browserable]\nretries = 2\n")
    config.chmod(0o600)
    done = auth_from_stdin(tmp_path, "anchor", SECRET)
    assert done.returncode == 0, done.stderr
    assert config.read_text() == (
        f'# only Browserable here\n[browserable]\nretries = 2\n\n[anchor]\napi_key = "{SECRET}"\n'
    )


def test_only_auth_imports_the_toml_writer() -> None:
    probe = (
        "import sys\n"
        "from statuscli.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('tomlkit' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "config"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stderr.strip().endswith("False"), done.stderr
