"""Ordinary bad input, through the installed `status`: a usage error naming its source, never exit 70."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from statuscli.core.errors import ExitCode
from statuscli.sim import Simulator, default_keys

from .conftest import simulating, simulator_env
from .test_e2e import BIN

SCENARIO = """
[[task]]
provider = "anchor"
id = "done"
timeline = "ready"
"""


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    with simulating(SCENARIO, tmp_path_factory.mktemp("scenario")) as simulator:
        yield simulator


def run(
    sim: Simulator, tmp_path: Path, args: list[str | bytes], **extra: str
) -> subprocess.CompletedProcess[str]:
    env = simulator_env(sim)
    env.update(
        STATUSCLI_CONFIG=str(tmp_path / "config.toml"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        TERM="dumb",
    )
    env.update(extra)
    return subprocess.run(
        [str(BIN / "status"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


BAD_URLS = ["http://[::1", "http://127.0.0.1:abc", "http://127.0.0.1:99999", "http://ho st/api"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize(
    "args", [["anchor", "done", "--json"], ["watch", "anchor", "done", "--json"]], ids=["one-shot", "watch"]
)
def test_a_malformed_base_url_from_the_environment_is_a_config_error(
    sim: Simulator, tmp_path: Path, url: str, args: list[str | bytes]
) -> None:
    done = run(sim, tmp_path, args, ANCHORBROWSER_BASE_URL=url)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.startswith("error: base URL from env ANCHORBROWSER_BASE_URL ")
    assert "Traceback" not in done.stderr
    assert '"code": "config_error"' in done.stdout


@pytest.mark.parametrize("url", BAD_URLS[:2])
def test_a_malformed_base_url_flag_is_a_usage_error(sim: Simulator, tmp_path: Path, url: str) -> None:
    for args in (["anchor", "done", "--base-url", url], ["watch", "anchor", "done", "--base-url", url]):
        done = run(sim, tmp_path, [*args, "--json"])
        assert done.returncode == ExitCode.USAGE, done.stderr
        assert done.stderr.startswith("error: base URL from --base-url ")
        assert '"code": "usage_error"' in done.stdout


def test_a_malformed_base_url_in_the_config_file_names_the_key(sim: Simulator, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[anchor]\nbase_url = "http://[::1"\n')
    config.chmod(0o600)
    env = {"ANCHORBROWSER_BASE_URL": ""}
    done = run(sim, tmp_path, ["anchor", "done"], **env)
    assert done.returncode == ExitCode.USAGE
    expected = f"error: base URL from config {config} [anchor] base_url is not a valid URL"
    assert done.stderr.startswith(expected)
    shown = run(sim, tmp_path, ["config", "--json"], **env)
    assert shown.returncode == ExitCode.USAGE
    rows = {row["provider"]: row for row in json.loads(shown.stdout)["providers"]}
    assert "[anchor] base_url is not a valid URL" in rows["anchor"]["error"]
    assert rows["browserable"]["error"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([b"anchor", b"\xff"], "error: task id '\\xff' is not valid UTF-8\n"),
        ([b"anchor", b"done", b"a\xffb", b"--json"], "error: task id 'a\\xffb' is not valid UTF-8\n"),
        ([b"watch", b"anchor", b"done", b"\xff"], "error: task id '\\xff' is not valid UTF-8\n"),
        ([b"browserable", b"t1", b"--run-id", b"\xfe"], "error: run id '\\xfe' is not valid UTF-8\n"),
    ],
)
def test_an_id_that_is_not_utf8_is_a_usage_error_naming_it(
    sim: Simulator, tmp_path: Path, args: list[str | bytes], message: str
) -> None:
    done = run(sim, tmp_path, args)
    assert done.returncode == ExitCode.USAGE
    assert done.stderr == message


@pytest.mark.parametrize(
    "args",
    [
        ["anchor", "--json"],  # found by the parser: a missing argument
        ["browserable", "t1", "--json", "--nope"],  # found by the parser: an unknown option
        ["anchor", "--json", "--", ".."],  # found by statuscli
        ["config", "--json", "--nope"],
    ],
)
def test_every_one_shot_error_under_json_is_the_json_document(
    sim: Simulator, tmp_path: Path, args: list[str | bytes]
) -> None:
    done = run(sim, tmp_path, args)
    assert done.returncode == ExitCode.USAGE
    document = json.loads(done.stdout)  # one document, nothing else
    assert document["statuscli_result_version"] == "1"
    assert document["exit_code"] == ExitCode.USAGE
    assert document["tasks"] == []
    [error] = document["errors"]
    assert (error["code"], error["exit_code"]) == ("usage_error", 2)
    assert error["message"]
    assert done.stderr.strip(), "the human message still goes to stderr"


@pytest.mark.parametrize(
    "args",
    [
        ["watch", "anchor", "--json"],
        ["watch", "--json"],
        ["watch", "--json", "--max-failures", "0", "anchor", "done"],  # found by the parser
        ["watch", "anchor", "done", "--json", "--nope"],  # found by the parser
        ["watch", "anchor", "done", "--json", "--interval", "0"],
    ],
)
def test_every_watch_error_under_json_is_ndjson(
    sim: Simulator, tmp_path: Path, args: list[str | bytes]
) -> None:
    done = run(sim, tmp_path, args)
    assert done.returncode == ExitCode.USAGE
    error, summary = (json.loads(line) for line in done.stdout.splitlines())
    assert error["event"] == "error"
    assert (error["code"], error["exit_code"]) == ("usage_error", 2)
    assert error["message"]
    assert summary["event"] == "summary"
    assert (summary["exit_code"], summary["tasks"], summary["interrupted"]) == (2, [], False)
    assert done.stderr.strip()


def test_a_quiet_json_watch_prints_nothing_on_stdout_even_for_a_parser_error(
    sim: Simulator, tmp_path: Path
) -> None:
    done = run(sim, tmp_path, ["watch", "anchor", "done", "--json", "--quiet", "--nope"])
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["--debug", "anchor", "done"], {}),
        (["anchor", "--debug", "done"], {}),
        (["anchor", "done", "--debug"], {}),
        (["watch", "anchor", "done", "--debug", "--interval", "0.1"], {}),
        (["anchor", "done"], {"STATUSCLI_DEBUG": "1"}),
    ],
)
def test_debug_before_or_after_the_command_or_from_the_environment(
    sim: Simulator, tmp_path: Path, args: list[str | bytes], extra: dict[str, str]
) -> None:
    done = run(sim, tmp_path, args, **extra)
    assert done.returncode == ExitCode.SUCCESS, done.stderr
    assert (
        f"debug: statuscli.http: GET {sim.base_url_for('anchor')}/v2/tasks/done/generation-status"
        in done.stderr
    )
    assert default_keys()["anchor"] not in done.stderr


def test_statuscli_debug_0_is_off(sim: Simulator, tmp_path: Path) -> None:
    done = run(sim, tmp_path, ["anchor", "done"], STATUSCLI_DEBUG="0")
    assert (done.returncode, done.stderr) == (ExitCode.SUCCESS, "")
