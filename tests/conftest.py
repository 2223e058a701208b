"""Shared fixtures: an isolated environment, an in-process CLI runner and loopback API servers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_httpserver import HTTPServer

if TYPE_CHECKING:
    from statuscli.sim import Simulator

from statuscli.cli import main

ANCHOR_KEY = "test-anchor-key-0123456789"
BROWSERABLE_KEY = "test-browserable-key-0123456789"

#: Variables that would change what a test sees, besides every provider's own (`provider_env_vars`).
_ENV_VARS = (
    "STATUSCLI_CONFIG",
    "STATUSCLI_DEBUG",
    "FORCE_COLOR",
    "NO_COLOR",
    "STATUSCLI_NO_HISTORY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    # A test suite run inside GitHub Actions must not print workflow commands from in-process runs.
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "STATUSCLI_CI",
)


FAKE_PROVIDER_MODULE = "tests.fake_provider"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fake-provider",
        action="store_true",
        help="register the test suite's fake provider (tests/fake_provider.py) for the whole run, in "
        "process and for every `status` the tests start; run the provider-parametrized tests with "
        "`-m by_provider`",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "by_provider: parametrized over the provider registry")
    if not config.getoption("--fake-provider"):
        os.environ.pop("STATUSCLI_PROVIDERS", None)  # a developer's own providers stay out of the tests
    else:
        root = str(Path(__file__).resolve().parent.parent)
        os.environ["STATUSCLI_PROVIDERS"] = FAKE_PROVIDER_MODULE
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        import importlib

        importlib.import_module(FAKE_PROVIDER_MODULE)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `provider_name` runs once per registered provider."""
    if "provider_name" in metafunc.fixturenames:
        from statuscli.providers import provider_names

        metafunc.parametrize("provider_name", provider_names())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "provider_name" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.by_provider)


@pytest.fixture
def built_in_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the providers statuscli ships, for tests of what ships with them (the README, the recorded
    command tree), whatever else `--fake-provider` registered."""
    import statuscli.providers

    monkeypatch.setattr(statuscli.providers, "_REGISTRY", {p.name: p for p in statuscli.providers.BUILT_IN})
    monkeypatch.delenv("STATUSCLI_PROVIDERS", raising=False)


def clean_env() -> dict[str, str]:
    """This process's environment without any provider's key or base URL and without statuscli's
    settings (the providers registered from outside, `STATUSCLI_PROVIDERS`, stay): for a `status`
    that a test starts and configures itself."""
    drop = set(provider_env_vars())
    return {
        name: value
        for name, value in os.environ.items()
        if name not in drop and (name == "STATUSCLI_PROVIDERS" or not name.startswith("STATUSCLI"))
    }


@contextlib.contextmanager
def simulating(scenario: str, directory: Path) -> Iterator[Simulator]:
    """The built-in simulator serving `scenario` (TOML text, written to `directory`) on loopback."""
    from statuscli.sim import Simulator, load_scenario

    path = directory / "scenario.toml"
    path.write_text(scenario, encoding="utf-8")
    with Simulator(load_scenario(path)) as simulator:
        yield simulator


def simulator_env(sim: Simulator, **extra: str) -> dict[str, str]:
    """`clean_env()` pointing every provider at the simulator with the key it accepts, then `extra`."""
    from statuscli.providers import get_provider, provider_names

    env = clean_env()
    for provider in provider_names():
        spec = get_provider(provider)
        env[spec.base_url_env] = sim.base_url_for(provider)
        env[spec.key_env[0]] = sim.key(provider)
    env.update(extra)
    return env


def provider_env_vars() -> list[str]:
    """Every registered provider's key and base-URL variables, from the registry."""
    from statuscli.providers import providers

    return [name for p in providers() for name in (*p.key_env, p.base_url_env)]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Tests never see the developer's keys, config, state directory or terminal."""
    for var in (*_ENV_VARS, *provider_env_vars()):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".state"))
    monkeypatch.setenv("STATUSCLI_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_PROXY", "*")
    return tmp_path


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Run `status ARGS...` in-process through `main()`, as the console script does."""

    def run(*args: str, stdin: str | bytes | None = None) -> Result:
        if stdin is not None:
            import io

            data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
            monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        else:  # pragma: no cover - main() always exits
            code = 0
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def config_file(isolated_env: Path) -> Callable[[str], Path]:
    """Write the config file the CLI reads (mode 0600)."""

    def write(text: str) -> Path:
        path = Path(os.environ["STATUSCLI_CONFIG"])
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        return path

    return write


@pytest.fixture
def anchor_api(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """A loopback server standing in for AnchorBrowser, with the key and base URL configured."""
    monkeypatch.setenv("ANCHORBROWSER_API_KEY", ANCHOR_KEY)
    monkeypatch.setenv("ANCHORBROWSER_BASE_URL", httpserver.url_for("/").rstrip("/"))
    return httpserver


@pytest.fixture
def browserable_api(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """A loopback server standing in for Browserable's /api/v1."""
    monkeypatch.setenv("BROWSERABLE_API_KEY", BROWSERABLE_KEY)
    monkeypatch.setenv("BROWSERABLE_BASE_URL", httpserver.url_for("/api/v1"))
    return httpserver


@pytest.fixture
def fast_retries(config_file: Callable[[str], Path]) -> Path:
    """One immediate retry for every provider (the first retry is made at once): fast tests."""
    from statuscli.providers import provider_names

    return config_file("".join(f"[{name}]\nretries = 1\n\n" for name in provider_names()))
