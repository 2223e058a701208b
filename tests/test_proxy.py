"""A plain-http hop to a proxy that is not on this machine needs the same opt-in as a plain-http URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from statuscli.config import ProviderSettings
from statuscli.core.errors import UsageError
from statuscli.http.safety import check_transport

from . import rawhttp
from .conftest import ANCHOR_KEY, CliRunner

BIN = Path(sys.executable).parent
READY = json.dumps({"id": "T1", "status": "ready", "project_state": "ready", "error": None}).encode()
#: TEST-NET-1 (RFC 5737): not this machine, and nothing is ever sent there.
FAR_PROXY = "http://192.0.2.7:3128"


def settings(base_url: str, *, allow: bool = False) -> ProviderSettings:
    return ProviderSettings(
        provider="anchor",
        base_url=base_url,
        base_url_source="test",
        api_key=ANCHOR_KEY,
        key_source="test",
        allow_insecure_http=allow,
    )


def names_only(host: str) -> bool:
    """A classifier for which only `localhost` is loopback: a 127.0.0.1 proxy counts as elsewhere."""
    return host == "localhost"


def answer_ready(conn: object, stop: object) -> None:
    conn.sendall(rawhttp.http_response("200 OK", READY))  # type: ignore[attr-defined]


# ---- the function under test, with non-loopback proxies (nothing is sent) --------------------------


@pytest.mark.parametrize("proxy", [FAR_PROXY, "192.0.2.7:3128", "socks5://192.0.2.7:1080"])
def test_plain_http_through_a_far_proxy_is_refused(proxy: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_transport(settings("http://localhost:2003"), proxy)
    assert caught.value.code == "insecure_url"
    assert "through the proxy 192.0.2.7" in caught.value.message
    assert "--allow-insecure-http" in caught.value.message


@pytest.mark.parametrize(
    ("base_url", "proxy", "allow"),
    [
        ("https://api.anchorbrowser.io", FAR_PROXY, False),  # a CONNECT tunnel: the proxy sees TLS only
        ("http://localhost:2003", "https://192.0.2.7:3128", False),  # TLS to the proxy
        ("http://localhost:2003", "http://127.0.0.1:3128", False),  # a proxy on this machine
        ("http://localhost:2003", "http://[::1]:3128", False),
        ("http://localhost:2003", None, False),  # no proxy (or NO_PROXY covers the host)
        ("http://localhost:2003", FAR_PROXY, True),  # the opt-in
    ],
)
def test_allowed_hops(base_url: str, proxy: str | None, allow: bool) -> None:
    check_transport(settings(base_url, allow=allow), proxy)


def test_the_proxy_is_classified_by_the_injected_classifier() -> None:
    with pytest.raises(UsageError, match=r"through the proxy 127\.0\.0\.1"):
        check_transport(settings("http://localhost:2003"), "http://127.0.0.1:3128", loopback=names_only)
    check_transport(settings("https://localhost:2003"), "http://127.0.0.1:3128", loopback=names_only)


# ---- a recording loopback proxy, counted as another machine ---------------------------------------


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> rawhttp.RawServer:
    with rawhttp.RawServer(answer_ready) as server:
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("HTTP_PROXY", server.url)
        monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_KEY)
        monkeypatch.setenv("ANCHORBROWSER_BASE_URL", f"http://localhost:{rawhttp.closed_port()}")
        yield server


def test_no_key_reaches_a_proxy_elsewhere(
    cli: CliRunner, proxy: rawhttp.RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("statuscli.http.safety.is_loopback", names_only)
    result = cli("anchor", "T1", "--json")
    assert result.exit_code == 2, result.stderr
    assert "refusing to send the API key over plain http through the proxy 127.0.0.1" in result.stderr
    assert json.loads(result.stdout)["errors"][0]["code"] == "insecure_url"
    result = cli("watch", "anchor", "T1")
    assert result.exit_code == 2, result.stderr
    assert "refusing to send the API key over plain http through the proxy 127.0.0.1" in result.stderr
    assert proxy.requests == []
    # The opt-in lets it through, and it does go through the proxy (so the refusal above was real).
    result = cli("anchor", "T1", "--allow-insecure-http")
    assert result.exit_code == 0, result.stderr
    assert len(proxy.requests) == 1
    assert ANCHOR_KEY.encode() in proxy.requests[0]


def test_a_proxy_on_this_machine_needs_no_opt_in(cli: CliRunner, proxy: rawhttp.RawServer) -> None:
    result = cli("anchor", "T1")
    assert result.exit_code == 0, result.stderr
    assert proxy.requests[0].startswith(b"GET http://localhost:")


def test_several_requests_go_through_the_same_proxy(cli: CliRunner, proxy: rawhttp.RawServer) -> None:
    """The session's proxy connections are made once and reused: every request after the first goes
    through the same (already guarded) connection pool."""
    result = cli("anchor", "T1", "T2", "T3")
    assert result.exit_code == 0, result.stderr
    assert len(proxy.requests) == 3
    assert all(request.startswith(b"GET http://localhost:") for request in proxy.requests)


# ---- the installed `status` ---------------------------------------------------------------------------


def test_installed_status_refuses_a_far_http_proxy(config_file: Callable[[str], Path]) -> None:
    config_file("[anchor]\nretries = 0\n")  # the closed port below is refused at once, not retried
    base = f"http://localhost:{rawhttp.closed_port()}"
    env = dict(
        os.environ,
        ANCHORBROWSER_BASE_URL=base,
        ANCHORBROWSER_API_KEY=ANCHOR_KEY,
        NO_PROXY="",
        HTTP_PROXY=FAR_PROXY,
    )

    def status(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "status"), "anchor", "T1"],
            capture_output=True,
            text=True,
            env=env | extra,
            timeout=30,
            check=False,
        )

    refused = status()
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: anchor: refusing to send the API key over plain http through the proxy 192.0.2.7 "
        "(from the environment's proxy settings); use https, or opt in with --allow-insecure-http "
        "(config: [anchor] allow_insecure_http = true)"
    )
    assert status(ALL_PROXY=FAR_PROXY, HTTP_PROXY="").returncode == 2
    # NO_PROXY takes the proxy out of the path, as requests does: then only the (closed) host answers.
    bypassed = status(NO_PROXY="localhost")
    assert bypassed.returncode == 6
    assert "connection refused" in bypassed.stderr
