"""One-shot cost: `status anchor ID --json` vs a bare requests.get vs the official anchorbrowser SDK.

    /tmp/dev/bin/python benchmarks/bench_oneshot.py [--runs 15] [--sdk-python /tmp/bench-sdk/bin/python]

Each command asks the benchmark simulator (its own process, 127.0.0.1) for one task's generation status,
in a fresh process. Wall time is fork-to-reap; peak RSS and CPU come from wait4's rusage of that very
child. Commands run round-robin so machine noise hits them alike; the figures are medians.
"""

from __future__ import annotations

import argparse
import sys

from common import (
    ANCHOR_KEY,
    Finished,
    ImportEntry,
    SimServer,
    add_source_option,
    anchor_env,
    by_package,
    hyperfine_medians,
    imported,
    importtime,
    median,
    mib,
    ms,
    print_header,
    repeat_interleaved,
    run_measured,
    sdk_python,
    status_command,
    status_script_for_python,
    table,
    unexpected_result,
    use_source,
    verdict,
    workdir,
    write_scenario,
)

TASK_ID = "bench-oneshot"
TARGET_VS_FLOOR = 1.5
TARGET_VS_SDK = 0.5
SDK_NAME = "anchorbrowser SDK: tasks.get_task_generation_status(ID)"
LEAN_NAME = "ref: statuscli's own fetch + JSON, typer imported, no CLI parse, no rich"
#: What a lean `status anchor ID --json` would cost: typer imported (but no Typer parsing, so none of
#: the pydantic coercion it brings), config, the session's fetcher and json; no rich. Not a real
#: command, a yardstick.
LEAN_CODE = """
import json, sys, typer
from statuscli.session import Session
from statuscli.reports.json import status_json
from statuscli.providers import make_target
with Session(pool_size=1) as session, session.run() as fetcher:
    status = fetcher.fetch(make_target("anchor", sys.argv[1]))
print(json.dumps(status_json(status) | {"raw": status.raw}))
"""
WATCHED_MODULES = ("pydantic", "rich.live", "rich.table", "rich.console", "importlib.metadata", "logging")


def floor_code(url: str) -> str:
    return f"import requests; requests.get({url!r}, headers={{'anchor-api-key': {ANCHOR_KEY!r}}})"


def sdk_code(base_url: str) -> str:
    """The SDK call, printing the state it got (so the check below sees a real status)."""
    return (
        "from anchorbrowser import Anchorbrowser; "
        f"print(Anchorbrowser(api_key={ANCHOR_KEY!r}, base_url={base_url!r})"
        f".tasks.get_task_generation_status({TASK_ID!r}).status)"
    )


def expected(name: str) -> tuple[int, str]:
    """(exit code, text in stdout) of a correct run: `status` exits 3 for a pending task."""
    if name.startswith("status"):
        return 3, '"generating"'
    if name in (SDK_NAME, LEAN_NAME):
        return 0, "generating"
    return 0, ""


def check(name: str, done: Finished) -> str | None:
    """None when the command did the real thing, else what went wrong."""
    return unexpected_result(name, done, *expected(name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first (default 2)")
    parser.add_argument("--sdk-python", help="a Python with the anchorbrowser SDK (or $BENCH_SDK_PYTHON)")
    parser.add_argument("--hyperfine", action="store_true", help="also print hyperfine medians")
    parser.add_argument("--top", type=int, default=12, help="packages in the import breakdown")
    parser.add_argument(
        "--no-reference", dest="reference", action="store_false", help="skip the lean reference row"
    )
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    sdk, sdk_note = sdk_python(args.sdk_python)
    print_header("One-shot cost: status anchor ID --json", sdk_note)

    with (
        workdir("bench-oneshot-") as tmp,
        SimServer(
            write_scenario(tmp / "scenario.toml", default_anchor="generating 3600s -> ready")
        ) as server,
    ):
        url = f"{server.base_url}/v2/tasks/{TASK_ID}/generation-status"
        env = anchor_env(tmp, server.base_url)
        commands = {
            "floor: python -c 'import requests; requests.get(...)'": (
                [sys.executable, "-c", floor_code(url)],
                env,
            ),
            "status anchor ID --json": ([*status_command(), "anchor", TASK_ID, "--json"], env),
        }
        if sdk is not None:
            commands[SDK_NAME] = ([sdk, "-c", sdk_code(server.base_url)], env)
        if args.reference:
            commands[LEAN_NAME] = ([sys.executable, "-c", LEAN_CODE, TASK_ID], env)
        # Each command must do the real thing once (and only one request) before it is timed.
        notes = []
        for name, (cmd, cmd_env) in list(commands.items()):
            server.reset()
            problem = check(name, run_measured(cmd, cmd_env, capture=True))
            seen = server.counts()["requests"]
            if problem is None and seen != 1:
                problem = f"{name}: made {seen} API requests, expected 1"
            if problem is not None and name == LEAN_NAME:
                # The yardstick uses statuscli internals, which may change: drop it, keep the benchmark.
                notes.append("lean reference row skipped: " + problem.replace("\n", " | "))
                del commands[name]
            elif problem is not None:
                print(problem)
                return 1
        print(f"verified: each command gets one status from {server.base_url} (1 request each)")
        results = repeat_interleaved(commands, args.runs, args.warmup)
        hyper = hyperfine_medians(commands, args.runs) if args.hyperfine else None
        if args.hyperfine and hyper is None:
            notes.append("--hyperfine: hyperfine is not installed, column skipped")
        status_imports = importtime([*status_script_for_python(), "anchor", TASK_ID, "--json"], env)
        floor_imports = importtime(["-c", floor_code(url)], env)

    names = list(commands)
    wall = {n: median([r.wall for r in results[n]]) for n in names}
    rss = {n: median([r.maxrss_kib for r in results[n]]) for n in names}
    cpu = {n: median([r.cpu for r in results[n]]) for n in names}
    rows = []
    for n in names:
        walls = sorted(r.wall for r in results[n])
        row = [n, ms(wall[n]), ms(walls[0]), ms(walls[-1]), ms(cpu[n]), mib(rss[n])]
        if hyper is not None:
            row.append(ms(hyper[n]) if n in hyper else "-")
        rows.append(row)
    headers = ["command", "median wall", "min", "max", "median CPU", "median peak RSS"]
    if hyper is not None:
        headers.append("hyperfine median")
    print(f"{args.runs} runs each, interleaved, after {args.warmup} warm-up rounds\n")
    print(table(headers, rows))
    print()

    floor, status = names[0], names[1]
    ratio_rows = [
        [
            "status / floor, wall",
            f"{wall[status] / wall[floor]:.2f}x",
            f"<= {TARGET_VS_FLOOR}x",
            verdict(wall[status] / wall[floor], TARGET_VS_FLOOR),
        ],
        [
            "status / floor, peak RSS",
            f"{rss[status] / rss[floor]:.2f}x",
            f"<= {TARGET_VS_FLOOR}x",
            verdict(rss[status] / rss[floor], TARGET_VS_FLOOR),
        ],
    ]
    if sdk is not None:
        sdk_name = SDK_NAME
        ratio_rows += [
            [
                "status / SDK, wall",
                f"{wall[status] / wall[sdk_name]:.2f}x",
                f"<= {TARGET_VS_SDK}x",
                verdict(wall[status] / wall[sdk_name], TARGET_VS_SDK),
            ],
            [
                # The SDK target is wall time; half the SDK's RSS is below the bare requests
                # floor itself, so this row is for information.
                "status / SDK, peak RSS",
                f"{rss[status] / rss[sdk_name]:.2f}x",
                "-",
                "(info)",
            ],
        ]
    if LEAN_NAME in wall:
        ratio_rows.append(
            ["(ref) lean fetch / floor, wall", f"{wall[LEAN_NAME] / wall[floor]:.2f}x", "-", "(yardstick)"]
        )
        if sdk is not None:
            lean_vs_sdk = wall[LEAN_NAME] / wall[SDK_NAME]
            ratio_rows.append(["(ref) lean fetch / SDK, wall", f"{lean_vs_sdk:.2f}x", "-", "(yardstick)"])
    print(table(["ratio (medians, same run)", "measured", "target", "verdict"], ratio_rows))
    if sdk is None:
        notes.append(sdk_note)
    for note in notes:
        print(f"\nnote: {note}")
    print()
    print(import_breakdown(status_imports, floor_imports, args.top))
    return 0


def import_breakdown(status: list[ImportEntry], floor: list[ImportEntry], top: int) -> str:
    """Where the one-shot's import time goes, next to the floor's (python -X importtime, self times)."""
    floor_by = {name: us for name, us, _ in by_package(floor)}
    rows = [
        [name, f"{us / 1000:.1f} ms", f"{floor_by.get(name, 0) / 1000:.1f} ms", str(count)]
        for name, us, count in by_package(status)[:top]
    ]
    total = sum(e.self_us for e in status) / 1000
    floor_total = sum(e.self_us for e in floor) / 1000
    rows.append(["(all)", f"{total:.1f} ms", f"{floor_total:.1f} ms", str(len(status))])
    flags = ", ".join(f"{m} {'yes' if imported(status, m) else 'no'}" for m in WATCHED_MODULES)
    return "\n".join(
        [
            "## diagnosis: python -X importtime, self time summed per top-level package",
            "",
            table(["package", "status anchor ID --json", "floor", "modules (status)"], rows),
            "",
            f"imported by the one-shot: {flags}",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
