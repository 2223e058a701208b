"""Start-up: `status --help`, a one-shot into a pipe and one bash tab completion, next to `python -c
pass` and the requests floor.

    /tmp/dev/bin/python benchmarks/bench_startup.py [--runs 15] [--top 12]

The one-shot is `status anchor ID` with its stdout not a terminal (the plain columns a script reads),
against the simulator: it must not load rich or the table renderer, and must stay within 1.3 times the
floor (`python -c "import requests; requests.get(URL)"`). The completion is the exact call bash makes
for `status anchor <TAB>`: `_STATUS_COMPLETE=complete_bash COMP_WORDS="status anchor " COMP_CWORD=2
status`, with a recent-ids file holding the maximum 50 anchor ids; target 50 ms. Then `python -X
importtime` shows, for --help, the one-shot and the completion, the slowest imports (cumulative), the
import time per top-level package, and whether what each must not load was loaded. Reference rows show
what the imports cost alone.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from common import (
    ANCHOR_KEY,
    ImportEntry,
    SimServer,
    add_source_option,
    anchor_env,
    by_package,
    clean_env,
    hyperfine_medians,
    imported,
    importtime,
    median,
    ms,
    print_header,
    repeat_interleaved,
    run_measured,
    status_command,
    status_script_for_python,
    table,
    top_cumulative,
    use_source,
    verdict,
    workdir,
    write_scenario,
)

COMPLETION_TARGET = 0.050
ONESHOT_RATIO_TARGET = 1.3
#: What each measured command must not import.
FORBIDDEN = ("requests", "rich.table", "rich.live")
#: (`statuscli.render.rows` and `.words` say what a row says without rich; the pipe uses them.)
ONESHOT_FORBIDDEN = ("rich", "statuscli.render.table", "statuscli.render.live")
COMPLETION_FORBIDDEN = (*FORBIDDEN, "typer")
INFO_MODULES = ("typer", "rich", "rich.console", "pydantic", "urllib3", "importlib.metadata")
ONESHOT = "one-shot into a pipe: status anchor ID"
COMPLETION = "completion: status anchor <TAB>"
RECENT_IDS = [f"3f6c2a0e-{n:04d}-4c3e-9f5d-7a8b6c5d4e01" for n in range(50)]
COMPLETION_ENV = {"_STATUS_COMPLETE": "complete_bash", "COMP_WORDS": "status anchor ", "COMP_CWORD": "2"}


def seed_recent(home: Path) -> None:
    """A full recent-ids file (50 anchor ids, the cap), as a daily user would have."""
    state = home / "state" / "statuscli"
    state.mkdir(parents=True)
    (state / "recent.json").write_text(json.dumps({"anchor": RECENT_IDS}), encoding="utf-8")


def import_report(
    title: str, entries: list[ImportEntry], top: int, forbidden: tuple[str, ...] = FORBIDDEN
) -> list[str]:
    total_ms = sum(e.self_us for e in entries) / 1000
    out = [f"## {title}: python -X importtime (total of self times {total_ms:.1f} ms)"]
    out.append("")
    out.append(
        table(
            ["module (top by cumulative)", "cumulative", "self"],
            [
                [e.name, f"{e.cumulative_us / 1000:.1f} ms", f"{e.self_us / 1000:.1f} ms"]
                for e in top_cumulative(entries, top)
            ],
        )
    )
    out.append("")
    out.append(
        table(
            ["top-level package", "self time, summed", "modules"],
            [[name, f"{us / 1000:.1f} ms", str(count)] for name, us, count in by_package(entries)[:10]],
        )
    )
    out.append("")
    checks = [
        [
            m,
            "imported" if imported(entries, m) else "not imported",
            "MISS" if imported(entries, m) else "PASS",
        ]
        for m in forbidden
    ]
    checks += [
        [m, "imported" if imported(entries, m) else "not imported", "(info)"]
        for m in INFO_MODULES
        if m not in forbidden
    ]
    out.append(table(["module", "in this run", "must not be imported"], checks))
    return out


def forbidden_row(what: str, entries: list[ImportEntry], forbidden: tuple[str, ...]) -> list[str]:
    found = [m for m in forbidden if imported(entries, m)]
    return [
        f"{what} imports {' / '.join(forbidden)}",
        ", ".join(found) or "none",
        "none",
        "MISS" if found else "PASS",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first (default 2)")
    parser.add_argument("--top", type=int, default=12, help="importtime entries to show (default 12)")
    parser.add_argument("--hyperfine", action="store_true", help="also print hyperfine medians")
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    print_header("Start-up: status --help, a one-shot into a pipe and bash tab completion")

    with (
        workdir("bench-startup-") as tmp,
        SimServer(
            write_scenario(tmp / "scenario.toml", default_anchor="generating 3600s -> ready")
        ) as server,
    ):
        seed_recent(tmp)
        env = clean_env(tmp)
        env.pop("STATUSCLI_NO_HISTORY")  # completion reads the recent ids
        complete_env = {**env, **COMPLETION_ENV}
        oneshot_env = anchor_env(tmp, server.base_url)
        url = f"{server.base_url}/v2/tasks/bench-startup/generation-status"
        floor = f"import requests; requests.get({url!r}, headers={{'anchor-api-key': {ANCHOR_KEY!r}}})"
        status = status_command()
        oneshot = [*status, "anchor", "bench-startup"]
        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            "floor: python -c 'import requests; requests.get(...)'": ([sys.executable, "-c", floor], env),
            "status --help": ([*status, "--help"], env),
            ONESHOT: (oneshot, oneshot_env),
            COMPLETION: (status, complete_env),
        }
        references = {
            "ref: python -c 'import typer'": ([sys.executable, "-c", "import typer"], env),
            "ref: python -c 'import typer._adapters' (pydantic)": (
                [sys.executable, "-c", "import typer._adapters"],
                env,
            ),
            "ref: python -c 'import statuscli.app.recent' + complete()": (
                [
                    sys.executable,
                    "-c",
                    "from statuscli.app.recent import complete; print('\\n'.join(complete('anchor', '')))",
                ],
                env,
            ),
        }
        if importlib.util.find_spec("typer._adapters") is None:  # a Typer without the pydantic layer
            references.pop("ref: python -c 'import typer._adapters' (pydantic)")
        done = run_measured(status, complete_env, capture=True)
        if done.returncode != 0 or RECENT_IDS[0] not in done.stdout:
            print(f"completion did not offer the recent ids (exit {done.returncode}):")
            print(done.stdout + done.stderr)
            return 1
        offered = sum(1 for i in RECENT_IDS if i in done.stdout)
        done = run_measured([*status, "--help"], env, capture=True)
        if done.returncode != 0 or "anchor" not in done.stdout:
            print(f"status --help failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
            return 1
        done = run_measured(oneshot, oneshot_env, capture=True)
        if done.returncode != 3 or not done.stdout.startswith("PROVIDER") or "generating" not in done.stdout:
            print(f"the one-shot did not print its columns (exit {done.returncode}):")
            print(done.stdout + done.stderr)
            return 1
        print(
            f"verified: the completion offers {offered} recent ids; --help prints the usage; "
            "the one-shot prints its columns"
        )
        every = {**commands, **references}
        results = repeat_interleaved(every, args.runs, args.warmup)
        hyper = hyperfine_medians(commands, args.runs) if args.hyperfine else None
        if args.hyperfine and hyper is None:
            print("note: --hyperfine: hyperfine is not installed, column skipped")
        script = status_script_for_python()
        help_imports = importtime([*script, "--help"], env)
        oneshot_imports = importtime([*script, "anchor", "bench-startup"], oneshot_env)
        complete_imports = importtime(script, complete_env)

    wall = {n: median([r.wall for r in results[n]]) for n in every}
    base = wall["python -c pass"]
    rows = []
    for n in every:
        walls = sorted(r.wall for r in results[n])
        row = [
            n,
            ms(wall[n]),
            ms(walls[0]),
            ms(walls[-1]),
            ms(wall[n] - base),
            f"{median([r.maxrss_kib for r in results[n]]) / 1024:.1f} MiB",
        ]
        if hyper is not None:
            row.append(ms(hyper[n]) if n in hyper else "-")
        rows.append(row)
    headers = ["command", "median wall", "min", "max", "minus python -c pass", "peak RSS"]
    if hyper is not None:
        headers.append("hyperfine median")
    print(f"{args.runs} runs each, interleaved, after {args.warmup} warm-up rounds\n")
    print(table(headers, rows))
    print()
    completion = wall[COMPLETION]
    floor_wall = wall["floor: python -c 'import requests; requests.get(...)'"]
    ratio = wall[ONESHOT] / floor_wall
    adapters = wall.get("ref: python -c 'import typer._adapters' (pydantic)", float("nan"))
    pydantic_cost = adapters - wall["ref: python -c 'import typer'"]
    print(
        table(
            ["figure", "measured", "target", "verdict"],
            [
                [
                    "tab completion, median",
                    ms(completion),
                    ms(COMPLETION_TARGET),
                    verdict(completion, COMPLETION_TARGET),
                ],
                [
                    "one-shot into a pipe / floor, median wall",
                    f"{ratio:.2f}x ({ms(wall[ONESHOT])} / {ms(floor_wall)})",
                    f"<= {ONESHOT_RATIO_TARGET}x",
                    verdict(ratio, ONESHOT_RATIO_TARGET),
                ],
                ["status --help, median", ms(wall["status --help"]), "(none)", "-"],
                forbidden_row("--help", help_imports, FORBIDDEN),
                forbidden_row("one-shot into a pipe", oneshot_imports, ONESHOT_FORBIDDEN),
                forbidden_row("completion", complete_imports, COMPLETION_FORBIDDEN),
                [
                    "typer._adapters (pydantic) over plain typer import",
                    "n/a (this Typer has no pydantic layer)"
                    if pydantic_cost != pydantic_cost
                    else ms(pydantic_cost),
                    "-",
                    "(diagnosis)",
                ],
            ],
        )
    )
    print()
    print("\n".join(import_report("status --help", help_imports, args.top)))
    print()
    print("\n".join(import_report(ONESHOT, oneshot_imports, args.top, ONESHOT_FORBIDDEN)))
    print()
    print("\n".join(import_report(COMPLETION, complete_imports, args.top, COMPLETION_FORBIDDEN)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
