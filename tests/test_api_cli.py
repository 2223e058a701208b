"""The command line is built on the Python API's engine entry points: no second path.

`status PROVIDER ID` goes through `api.ask` (as `get_status` does), `status watch` through
`api.watch_options` and `api.follow` (as `wait` does), and both resolve settings with
`api.provider_settings`. Spies wrap the real functions, so the commands still do the real work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from statuscli import api, app
from tests.conftest import CliRunner

ANCHOR_PATH = "/v2/tasks/t1/generation-status"


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple[Any, ...]]:
    """Record each call of `app.<name>` (the API's function, as app imported it) and pass it through."""
    real: Callable[..., Any] = getattr(api, name)
    assert getattr(app, name) is real
    calls: list[tuple[Any, ...]] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(app, name, wrapper)
    return calls


def test_the_one_shot_goes_through_the_api(
    cli: CliRunner, anchor_api: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor_api.expect_request(ANCHOR_PATH).respond_with_json({"status": "ready"})
    asks = spy(monkeypatch, "ask")
    resolved = spy(monkeypatch, "provider_settings")
    result = cli("anchor", "t1", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tasks"][0]["status"]["state"] == "ready"
    assert len(asks) == 1
    assert len(resolved) == 1


def test_the_watch_goes_through_the_api(
    cli: CliRunner, anchor_api: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor_api.expect_request(ANCHOR_PATH).respond_with_json({"status": "ready"})
    follows = spy(monkeypatch, "follow")
    options = spy(monkeypatch, "watch_options")
    result = cli("watch", "anchor", "t1", "--json", "--interval", "0.1s", "--timeout", "30s")
    assert result.exit_code == 0, result.stderr
    assert len(follows) == 1
    assert options == [("0.1s", "30s")]
