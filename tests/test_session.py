"""The service layer: settings resolved once (`config.Resolver`), one client per provider kept between
calls, and nothing left running once a session is closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from statuscli.config import Resolver
from statuscli.core.errors import ConfigError, ExitCode
from statuscli.core.models import Phase
from statuscli.engine.options import WatchOptions
from statuscli.providers import get_provider, make_target, provider_names
from statuscli.session import Session
from statuscli.sim import Simulator

from .apis import Api
from .conftest import simulating, simulator_env

TASK = "11111111-1111-4111-8111-000000000001"


def test_a_resolver_reads_the_config_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    names = provider_names()
    path.write_text("".join(f'[{n}]\nretries = 2\napi_key = "k-{n}"\n' for n in names), encoding="utf-8")
    path.chmod(0o644)  # readable by others: a warning, said once
    monkeypatch.setenv("STATUSCLI_CONFIG", str(path))
    warned: list[str] = []
    resolver = Resolver(warn=warned.append)
    assert resolver(names[0]).retries == 2
    path.write_text("".join(f"[{n}]\nretries = 7\n" for n in names), encoding="utf-8")
    assert [resolver(n).retries for n in names] == [2] * len(names)  # the file as it was first read
    assert [resolver(n).api_key for n in names] == [f"k-{n}" for n in names]
    assert len(warned) == 1


def test_a_resolver_repeats_a_bad_setting_and_resolves_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    bad, *others = provider_names()
    monkeypatch.setenv(get_provider(bad).base_url_env, "ftp://example.com")
    resolver = Resolver()
    messages = []
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            resolver(bad)
        messages.append(caught.value.message)
    assert messages[0] == messages[1]
    assert "must be an http:// or https:// URL" in messages[0]
    assert [resolver(name).provider for name in others] == others


def test_the_key_variable_is_named_without_the_registry() -> None:
    for name in provider_names():
        settings = Resolver()(name)
        assert settings.key_env == get_provider(name).key_env


@pytest.fixture
def sim(provider_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    api = Api(provider_name)
    scenario = f'[[task]]\nprovider = "{provider_name}"\nid = "{TASK}"\ntimeline = "{api.success}"\n'
    with simulating(scenario, tmp_path) as simulator:
        for name, value in simulator_env(simulator).items():
            monkeypatch.setenv(name, value)
        yield simulator


def test_a_session_keeps_its_client_between_calls_and_leaves_nothing_running(
    sim: Simulator, provider_name: str
) -> None:
    before = set(threading.enumerate())
    target = make_target(provider_name, TASK, variant=Api(provider_name).variant)
    with Session() as session:
        [(_, first)] = session.ask([target])
        client = session.client(provider_name)
        [(_, second)] = session.ask([target])
        summary = session.wait([target], WatchOptions(interval=0.1, timeout=30.0), lambda update: None)
        assert session.client(provider_name) is client
    assert getattr(first, "phase", None) is getattr(second, "phase", None) is Phase.SUCCESS
    assert summary.exit_code == ExitCode.SUCCESS
    # Every thread started meanwhile has ended: the session's, and the simulator's for its connections,
    # which end as the session closes them (a generous bound, not a measure of speed).
    deadline = time.monotonic() + 10
    while left := [t.name for t in threading.enumerate() if t not in before]:
        assert time.monotonic() < deadline, left
        time.sleep(0.05)


def test_the_targets_of_one_input_read_the_config_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watch file of many targets whose variant comes from the config file: one read, not one a line."""
    import sys

    from statuscli.config import resolve_lines

    resolve_module = sys.modules["statuscli.config.resolve"]  # the name `resolve` is also a function

    chosen = [spec for spec in (get_provider(n) for n in provider_names()) if spec.choice is not None]
    if not chosen:
        pytest.skip("no registered provider has a choice")
    spec = chosen[0]
    assert spec.choice is not None
    word = spec.variants[-1].name
    path = tmp_path / "config.toml"
    path.write_text(f'[{spec.name}]\n{spec.choice.option} = "{word}"\n', encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv("STATUSCLI_CONFIG", str(path))
    reads: list[Path] = []
    real = resolve_module.load_config_file
    monkeypatch.setattr(resolve_module, "load_config_file", lambda p: reads.append(p) or real(p))
    ids = [f"5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b{n:02d}" for n in range(40)]
    targets = resolve_lines([f"{spec.name} {i}" for i in ids], source="targets.txt")
    assert [t.variant for t in targets] == [word] * len(ids)
    assert len(reads) == 1
