"""The simulator's use cases: `status demo` (a watch of simulated tasks) and `status simulate`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from statuscli.sim import Simulator

import os
from pathlib import Path

from statuscli.app.runtime import echo, say, state
from statuscli.app.watching import run_watch
from statuscli.config import ConfigFile, Resolver
from statuscli.core.durations import parse_duration
from statuscli.core.errors import ExitCode, UsageError
from statuscli.providers import get_provider, make_target


def demo(interval: str, *, json_output: bool) -> ExitCode:
    """Watch the simulator's default scenario; settings resolved as for real use, from its addresses."""
    from statuscli.engine.options import WatchOptions
    from statuscli.session import Session
    from statuscli.sim import Simulator, default_scenario

    state.json_output = json_output
    state.json_lines = True
    interval_s = parse_duration(interval, what="--interval")
    with Simulator(default_scenario()) as sim:
        targets = [make_target(provider, task_id) for provider, task_id in sim.targets()]
        names = list(dict.fromkeys(t.provider for t in targets))
        env = simulator_env(sim, names)
        empty = ConfigFile(path=Path(os.devnull), exists=False, tables={})
        session = Session(Resolver(env=env, config=empty))
        session.resolver.settings(names)
        if not json_output:
            say(
                f"Demo: watching {len(targets)} simulated tasks on {sim.base_url}; it ends with the exit "
                "code a real watch gives (in a script: status watch ... && next-step)"
            )
        options = WatchOptions(interval=max(0.1, interval_s), timeout=60.0)
        with session:
            code = run_watch(targets, session, options, json_output=json_output, remember=False)
    return code  # the summary line, last, names it


def simulator_env(sim: Simulator, names: list[str]) -> dict[str, str]:
    """The environment that points each provider at the simulator: base URL and key variables."""
    env: dict[str, str] = {}
    for name in names:
        spec = get_provider(name)
        env[spec.base_url_env] = sim.base_url_for(name)
        env[spec.key_env[0]] = sim.key(name)
    return env


def simulate(scenario: Path | None, *, port: int, verbose: bool) -> ExitCode:
    """Serve the scenario on loopback until Ctrl-C; print the lines that point statuscli at it."""
    from statuscli.sim import ScenarioError, Simulator, default_scenario, load_scenario

    try:
        loaded = load_scenario(scenario) if scenario is not None else default_scenario()
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    try:
        sim = Simulator(loaded, port=port, verbose=verbose)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    names = list(loaded.keys)
    try:
        targets_file = _write_watch_file(sim.targets(), sim.base_url)
    except OSError as exc:  # a full or unwritable temporary directory: a local problem, like a bad option
        sim.stop()
        raise UsageError(f"cannot write the simulator's watch file: {exc.strerror or exc}") from None
    try:
        urls = [get_provider(n).base_url_env for n in names]
        env = simulator_env(sim, names)
        lines = [f"export {var}={env[var]}" for var in urls]
        lines += [f"export {var}={value}" for var, value in env.items() if var not in urls]
        lines.append(f"# watch every task of the scenario: status watch --file {targets_file}")
        echo("\n".join(lines))
        say(f"Simulator serving on {sim.base_url}; press Ctrl-C to stop.")
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            sim.stop()
    finally:
        import shutil

        shutil.rmtree(targets_file.parent, ignore_errors=True)
    return ExitCode.SUCCESS


def _write_watch_file(targets: list[tuple[str, str]], base_url: str) -> Path:
    """The simulator's tasks as a watch file in a private temporary directory (removed at the end)."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="statuscli-simulate-"))
    path = directory / "targets.txt"
    text = "".join(f"{provider} {task_id}\n" for provider, task_id in targets)
    try:
        path.write_text(f"# the tasks of the statuscli simulator on {base_url}\n{text}", encoding="utf-8")
    except OSError:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)  # nothing left behind
        raise
    return path
