"""What the HTTP client sends and how it names what came back, at the edges a mutation run found
untested: a content type with parameters, and a ~/.netrc that must never add a credential."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from statuscli.core.errors import ExitCode

from .conftest import CliRunner

PATH = "/v2/tasks/T1/generation-status"


@pytest.mark.parametrize(
    ("content_type", "body", "said"),
    [
        ("text/plain; charset=utf-8", "nope!", "a body that is not valid JSON (text/plain, 5 bytes)"),
        ("text/html; charset=utf-8", "oops", "an HTML page"),
    ],
)
def test_a_content_type_is_named_without_its_parameters(
    anchor_api: HTTPServer, cli: CliRunner, content_type: str, body: str, said: str
) -> None:
    anchor_api.expect_request(PATH).respond_with_data(body, status=200, content_type=content_type)
    result = cli("anchor", "T1")
    assert result.exit_code == ExitCode.API
    assert f"expected JSON, got {said} (HTTP 200)" in result.stderr
    assert "charset" not in result.stderr


def test_a_netrc_entry_for_the_api_host_is_never_sent(
    anchor_api: HTTPServer, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The only credential statuscli sends is the API key header: requests would add a netrc login as
    Basic auth if it read the environment on each request."""
    netrc = tmp_path / "netrc"
    netrc.write_text(
        "machine 127.0.0.1 login someone password hunter2\nmachine localhost login a password b\n"
    )
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    anchor_api.expect_request(PATH).respond_with_json({"id": "T1", "status": "ready"})
    result = cli("anchor", "T1")
    assert result.exit_code == ExitCode.SUCCESS, result.stderr
    [(request, _)] = anchor_api.log
    assert "Authorization" not in request.headers
