"""Defects found by QA, each pinned through the installed `status` where it is a user's behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statuscli.sim import Simulator

from .test_bad_input import run, sim

__all__ = ["sim"]

BAD_HOSTS = [
    "https://\uff41\uff42\uff43.com",  # full-width letters: not a valid IDNA label
    "https://" + "a" * 64 + ".com",  # a label longer than 63 characters
    "https://1.2.3.4.5",  # dotted and all-numeric, but not an IPv4 address
    "https://999.999.999.999",
]


def error_code(stdout: str) -> str:
    """The error code of a one-shot's JSON document or a watch's first NDJSON event."""
    first = json.loads(stdout.splitlines()[0])
    return str(first["errors"][0]["code"] if "errors" in first else first["code"])


WAYS = {
    "one-shot": ["anchor", "done", "--json"],
    "watch": ["watch", "anchor", "done", "--json", "--timeout", "5s"],
}


@pytest.mark.parametrize("url", BAD_HOSTS)
@pytest.mark.parametrize("way", WAYS)
def test_a_host_that_cannot_be_encoded_is_a_config_error_naming_its_source(
    sim: Simulator, tmp_path: Path, url: str, way: str
) -> None:
    proc = run(sim, tmp_path, WAYS[way], ANCHORBROWSER_BASE_URL=url)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: base URL from env ANCHORBROWSER_BASE_URL has an invalid host or port; "
        "expected http(s)://host[:port][/path]"
    ]
    assert error_code(proc.stdout) == "config_error"


@pytest.mark.parametrize("url", BAD_HOSTS[:2])
def test_a_bad_host_flag_is_a_usage_error_and_config_refuses_it(
    sim: Simulator, tmp_path: Path, url: str
) -> None:
    proc = run(sim, tmp_path, ["anchor", "done", "--base-url", url])
    assert proc.returncode == 2, proc.stderr
    assert "base URL from --base-url has an invalid host" in proc.stderr
    proc = run(sim, tmp_path, ["config"], ANCHORBROWSER_BASE_URL=url)
    assert proc.returncode == 2, proc.stdout
    assert "env ANCHORBROWSER_BASE_URL" in proc.stderr


def test_an_international_host_name_is_still_accepted(sim: Simulator, tmp_path: Path) -> None:
    proc = run(sim, tmp_path, ["config"], ANCHORBROWSER_BASE_URL="https://bücher.de/api")
    assert proc.returncode == 0, proc.stderr
    assert "https://bücher.de/api" in proc.stdout


@pytest.mark.parametrize("proxy", ["http://[::1", "http://127.0.0.1:abc"])
@pytest.mark.parametrize("way", WAYS)
def test_a_malformed_proxy_variable_is_a_config_error_naming_it(
    sim: Simulator, tmp_path: Path, proxy: str, way: str
) -> None:
    proc = run(sim, tmp_path, WAYS[way], HTTP_PROXY=proxy, http_proxy=proxy, NO_PROXY="")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "proxy URL in http_proxy is not valid" in proc.stderr
    assert proxy not in proc.stderr  # a proxy URL may hold a password
    assert error_code(proc.stdout) == "config_error"
