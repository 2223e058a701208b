"""Which hosts a base URL may name, at the edges: a DNS label of 63 characters is fine and one of 64 is
not, a long name of short labels is fine, an IDNA label is measured as it is sent (encoded), and a
dotted all-numeric host must be an IPv4 address. Checked through `status config` (in process)."""

from __future__ import annotations

import json

import pytest

from .conftest import CliRunner

GOOD = [
    "a" * 63 + ".example",  # the longest label
    "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".example",  # long, in labels of at most 63
    "b\u00fccher.example",  # an IDNA label (xn--bcher-kva)
    "192.0.2.1",
]
BAD = [
    "a" * 64 + ".example",  # a label too long
    "\u00fc" * 60 + ".example",  # 60 characters, but over 63 once IDNA-encoded
    "\uff41\uff42\uff43.example",  # full-width letters: not a valid IDNA label
    "1.2.3.4.5",  # dotted and all-numeric, but not an IPv4 address
]


@pytest.mark.parametrize("host", GOOD)
def test_a_valid_host_is_taken(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", f"https://{host}/")
    result = cli("config", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["provider"]: row for row in json.loads(result.stdout)["providers"]}
    assert host in rows["anchor"]["base_url"]


@pytest.mark.parametrize("host", BAD)
def test_an_invalid_host_is_a_config_error(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", f"https://{host}/")
    result = cli("config")
    assert result.exit_code == 2
    assert "base URL from env ANCHORBROWSER_BASE_URL has an invalid host" in result.stderr
