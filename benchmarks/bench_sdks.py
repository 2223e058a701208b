"""One-shot cost next to each vendor's SDK: `status PROVIDER ID --json` vs the SDK's own status call.

    /tmp/dev/bin/python benchmarks/bench_sdks.py --sdk-python /tmp/bench-sdk/bin/python [--runs 15]

For each vendor with a Python SDK (Browser Use v4 and v2, Hyperbrowser, Skyvern; AnchorBrowser as the
reference of bench_oneshot.py), the one-shot and the SDK ask the benchmark simulator (its own process,
127.0.0.1) for the status of the same task, each in a fresh process, and both must print its state
after exactly one request. BrowserAct publishes no Python SDK: it has no row. Commands run round-robin
so machine noise hits them alike; the figures are medians, the ratios come from the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from common import (
    SimServer,
    add_source_option,
    clean_env,
    median,
    mib,
    ms,
    print_header,
    repeat_interleaved,
    run_measured,
    sdk_python,
    status_command,
    table,
    unexpected_result,
    use_source,
    verdict,
    workdir,
)

TARGET_VS_SDK = 0.5


@dataclass(frozen=True)
class Vendor:
    """One status call, made by `status` and by the vendor's SDK."""

    name: str  # the row's name
    provider: str  # the simulator's provider (its [keys] and [defaults] tables)
    argv: tuple[str, ...]  # `status` words after the command name
    key_env: str
    base_url_env: str
    distribution: str  # the SDK's package on PyPI
    #: The SDK call, printing the state it got; {key} and {base} are filled in.
    sdk: str
    #: The SDK's base URL below the simulator's: the SDK adds the rest of the API's path.
    sdk_path: str
    #: The state both must print (the one-shot in its JSON, the SDK on its own line).
    state: str


RUN_ID = "5b1e0c7a-2f4d-4e8a-9c3b-7d6e5f4a3b21"
TASK_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
JOB_ID = "5f1c2a9e-0000-4000-8000-000000000001"
SKYVERN_RUN = "tsk_v2_486305187432193504"

VENDORS = (
    Vendor(
        "AnchorBrowser",
        "anchor",
        ("anchor", "bench-sdk"),
        "ANCHORBROWSER_API_KEY",
        "ANCHORBROWSER_BASE_URL",
        "anchorbrowser",
        "from anchorbrowser import Anchorbrowser; "
        "print(Anchorbrowser(api_key={key!r}, base_url={base!r})"
        ".tasks.get_task_generation_status('bench-sdk').status)",
        "",
        "generating",
    ),
    Vendor(
        "Browser Use v4",
        "browser-use",
        ("browser-use", RUN_ID),
        "BROWSER_USE_API_KEY",
        "BROWSER_USE_BASE_URL",
        "browser-use-sdk",
        "from browser_use_sdk.v4 import BrowserUse; "
        f"print(BrowserUse(api_key={{key!r}}, base_url={{base!r}}).runs.status({RUN_ID!r}).status.value)",
        "/api/v4",
        "running",
    ),
    # (Never a `finished` v2 task here: browser-use-sdk 3.12.1 cannot read the finishedAt it sends.)
    Vendor(
        "Browser Use v2",
        "browser-use",
        ("browser-use", "--api", "v2", TASK_ID),
        "BROWSER_USE_API_KEY",
        "BROWSER_USE_BASE_URL",
        "browser-use-sdk",
        "from browser_use_sdk import BrowserUse; "
        f"print(BrowserUse(api_key={{key!r}}, base_url={{base!r}}).tasks.status({TASK_ID!r}).status.value)",
        "/api/v2",
        "started",
    ),
    Vendor(
        "Hyperbrowser (cua)",
        "hyperbrowser",
        ("hyperbrowser", "--agent", "cua", JOB_ID),
        "HYPERBROWSER_API_KEY",
        "HYPERBROWSER_BASE_URL",
        "hyperbrowser",
        "from hyperbrowser import Hyperbrowser; "
        "print(Hyperbrowser(api_key={key!r}, base_url={base!r})"
        f".agents.cua.get_status({JOB_ID!r}).status)",
        "",
        "running",
    ),
    # skyvern.client.Skyvern is the SDK's plain HTTP client (skyvern.Skyvern is its async library).
    Vendor(
        "Skyvern",
        "skyvern",
        ("skyvern", SKYVERN_RUN),
        "SKYVERN_API_KEY",
        "SKYVERN_BASE_URL",
        "skyvern",
        "from skyvern.client import Skyvern; "
        f"print(Skyvern(api_key={{key!r}}, base_url={{base!r}}).get_run({SKYVERN_RUN!r}).status)",
        "",
        "running",
    ),
)

#: Each provider's task stays in its first state for the whole benchmark.
TIMELINES = {
    "anchor": "generating 3600s -> ready",
    "browser-use": "running 3600s -> completed",
    "hyperbrowser": "running 3600s -> completed",
    "skyvern": "running 3600s -> completed",
}


def key_for(provider: str) -> str:
    return f"bench-{provider}-key"


def write_scenario(path: str, providers: list[str]) -> None:
    keys = "".join(f"{json.dumps(p)} = {json.dumps(key_for(p))}\n" for p in providers)
    defaults = "".join(f"{json.dumps(p)} = {json.dumps(TIMELINES[p])}\n" for p in providers)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"[keys]\n{keys}\n[defaults]\n{defaults}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first (default 2)")
    parser.add_argument("--sdk-python", help="a Python with the vendors' SDKs (or $BENCH_SDK_PYTHON)")
    parser.add_argument(
        "--vendors",
        help="comma-separated row names to keep (default: all): " + ", ".join(v.name for v in VENDORS),
    )
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    vendors = [v for v in VENDORS if not args.vendors or v.name in args.vendors.split(",")]
    notes, versions = [], []
    sdk: str | None = None
    for vendor in list(vendors):
        found, note = sdk_python(args.sdk_python, vendor.distribution)
        if found is None:
            notes.append(f"{vendor.name}: {note}")
            vendors.remove(vendor)
        else:
            sdk = found
            versions.append(note.split(" (")[0])
    print_header(
        "One-shot cost next to each vendor's SDK: status PROVIDER ID --json",
        f"{', '.join(dict.fromkeys(versions))} ({sdk})" if sdk else "no SDK found",
    )
    if sdk is None:
        print("\n".join(f"note: {n}" for n in notes))
        return 1

    with workdir("bench-sdks-") as tmp:
        write_scenario(str(tmp / "scenario.toml"), list(dict.fromkeys(v.provider for v in vendors)))
        with SimServer(tmp / "scenario.toml") as server:
            commands: dict[str, tuple[list[str], dict[str, str]]] = {}
            expect: dict[str, tuple[int, str]] = {}
            for vendor in vendors:
                env = clean_env(
                    tmp,
                    {vendor.key_env: key_for(vendor.provider), vendor.base_url_env: server.base_url},
                )
                status_name = f"status {' '.join(vendor.argv)} --json"
                commands[status_name] = ([*status_command(), *vendor.argv, "--json"], env)
                expect[status_name] = (3, json.dumps(vendor.state))
                code = vendor.sdk.format(key=key_for(vendor.provider), base=server.base_url + vendor.sdk_path)
                commands[f"SDK: {vendor.name}"] = ([sdk, "-c", code], env)
                expect[f"SDK: {vendor.name}"] = (0, vendor.state)
            # Each command must do the real thing once (and only one request) before it is timed.
            for name, (cmd, cmd_env) in commands.items():
                server.reset()
                problem = unexpected_result(name, run_measured(cmd, cmd_env, capture=True), *expect[name])
                seen = server.counts()["requests"]
                if problem is None and seen != 1:
                    problem = f"{name}: made {seen} API requests, expected 1"
                if problem is not None:
                    print(problem)
                    return 1
            print(f"verified: each command gets the task's state from {server.base_url} (1 request each)")
            results = repeat_interleaved(commands, args.runs, args.warmup)

    wall = {n: median([r.wall for r in results[n]]) for n in commands}
    rows = []
    for name in commands:
        walls = sorted(r.wall for r in results[name])
        cpu = median([r.cpu for r in results[name]])
        rss = median([r.maxrss_kib for r in results[name]])
        rows.append([name, ms(wall[name]), ms(walls[0]), ms(walls[-1]), ms(cpu), mib(rss)])
    print(f"{args.runs} runs each, interleaved, after {args.warmup} warm-up rounds\n")
    print(table(["command", "median wall", "min", "max", "median CPU", "median peak RSS"], rows))
    print()
    ratios = []
    names = list(commands)
    for vendor, status_name, sdk_name in zip(vendors, names[::2], names[1::2], strict=True):
        ratio = wall[status_name] / wall[sdk_name]
        ratios.append(
            [
                f"{vendor.name}: status / SDK, wall",
                f"{ratio:.2f}x ({ms(wall[status_name])} / {ms(wall[sdk_name])})",
                f"<= {TARGET_VS_SDK}x",
                verdict(ratio, TARGET_VS_SDK),
            ]
        )
    print(table(["ratio (medians, same run)", "measured", "target", "verdict"], ratios))
    notes.append("BrowserAct: no Python SDK is published, so it has no row")
    for note in notes:
        print(f"\nnote: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
