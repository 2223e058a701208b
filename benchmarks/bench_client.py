"""Python API cost: 100 `get_status` calls through one `statuscli.Client` against 100 calls of the
module-level `statuscli.get_status`, next to a bare `requests.Session().get(URL).json()` loop.

    python benchmarks/bench_client.py [--calls 100] [--rounds 9] [--warmup 1]

All three loops run in this process, one after the other in each round (so machine noise hits them
alike), against the benchmark simulator in its own process on 127.0.0.1. A loop's time includes
making its client or session (the client's settings resolved, its config file looked for) and closing
it. Connections are counted at the server: the distinct connections the loop's API requests came on.
Figures are medians over the rounds; the per-call time is a loop's time divided by its calls.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from common import (
    ANCHOR_KEY,
    SimServer,
    add_source_option,
    median,
    ms,
    print_header,
    table,
    use_source,
    verdict,
    workdir,
    write_scenario,
)

TASK_ID = "bench-client"
#: Issue 24: a Client's per-call cost within 1.5x of a bare requests session's.
TARGET_VS_FLOOR = 1.5
FLOOR = "floor: one requests.Session, .get(URL).json()"
CLIENT = "statuscli.Client: client.get_status"
SHORTCUT = "statuscli.get_status (module-level)"


def loops(base_url: str, calls: int) -> dict[str, Callable[[], None]]:
    import requests

    import statuscli

    url = f"{base_url}/v2/tasks/{TASK_ID}/generation-status"
    settings = {"anchor": statuscli.Settings(api_key=ANCHOR_KEY, base_url=base_url)}

    def floor() -> None:
        with requests.Session() as session:
            for _ in range(calls):
                response = session.get(url, headers={"anchor-api-key": ANCHOR_KEY}, timeout=20)
                response.raise_for_status()
                assert response.json()["status"] == "generating"

    def client() -> None:
        with statuscli.Client(settings) as each:
            for _ in range(calls):
                assert each.get_status("anchor", TASK_ID).state == "generating"

    def shortcut() -> None:
        for _ in range(calls):
            assert statuscli.get_status("anchor", TASK_ID, settings=settings).state == "generating"

    if "Client" not in statuscli.__all__:  # an older statuscli (--source): the shortcut alone
        return {FLOOR: floor, SHORTCUT: shortcut}
    return {FLOOR: floor, CLIENT: client, SHORTCUT: shortcut}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="get_status calls per loop (default 100)")
    parser.add_argument("--rounds", type=int, default=9, help="measured rounds (default 9)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (default 1)")
    add_source_option(parser)
    args = parser.parse_args()
    use_source(args.source)
    if args.source is not None:
        sys.path.insert(0, str(args.source.resolve()))
    print_header(f"Python API: {args.calls} get_status calls, one Client against the module-level function")

    with workdir("bench-client-") as tmp:
        # No config file, no key or base URL from the environment: the settings are given in code.
        os.environ["STATUSCLI_CONFIG"] = str(tmp / "none.toml")
        for name in [n for n in os.environ if n.startswith(("ANCHORBROWSER_", "ANCHOR_", "BROWSERABLE_"))]:
            del os.environ[name]
        scenario = write_scenario(tmp / "scenario.toml", default_anchor="generating 3600s -> ready")
        with SimServer(scenario) as sim:
            measured = loops(sim.base_url, args.calls)
            seconds: dict[str, list[float]] = {name: [] for name in measured}
            connections: dict[str, list[int]] = {name: [] for name in measured}
            for round_no in range(args.warmup + args.rounds):
                for name, loop in measured.items():
                    sim.reset()
                    started = time.perf_counter()
                    loop()
                    elapsed = time.perf_counter() - started
                    seen = sim.counts()
                    if seen["requests"] != args.calls:
                        raise SystemExit(f"{name}: {seen['requests']} requests for {args.calls} calls")
                    if round_no >= args.warmup:
                        seconds[name].append(elapsed / args.calls)
                        connections[name].append(int(seen["api_connections"]))

    floor = median(seconds[FLOOR])
    rows = []
    for name in measured:
        per_call = median(seconds[name])
        opened = sorted(set(connections[name]))
        rows.append(
            [
                name,
                ms(per_call),
                f"{per_call / floor:.2f}x",
                "/".join(str(n) for n in opened),
                f"{min(seconds[name]) * 1000:.2f}-{max(seconds[name]) * 1000:.2f} ms",
            ]
        )
    print(table(["loop", "per call (median)", "vs floor", "connections per loop", "range"], rows))
    print()
    if CLIENT not in measured:
        return 0
    client_ratio = median(seconds[CLIENT]) / floor
    client_connections = max(connections[CLIENT])
    print(
        table(
            ["target", "measured", "verdict"],
            [
                [
                    f"Client per call <= {TARGET_VS_FLOOR}x the floor",
                    f"{client_ratio:.2f}x",
                    verdict(client_ratio, TARGET_VS_FLOOR),
                ],
                [
                    "Client: one connection for the loop's sequential calls",
                    str(client_connections),
                    verdict(client_connections, 1),
                ],
                [
                    "Client against the module-level function (per call)",
                    f"{median(seconds[CLIENT]) / median(seconds[SHORTCUT]):.2f}x",
                    "(report)",
                ],
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
