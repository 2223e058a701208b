"""The benchmark simulator: statuscli's Simulator on 127.0.0.1, plus server-side request accounting.

    python benchmarks/simserver.py --scenario S.toml [--port 0] [--max-seconds 900] [--refuse-share 0.03]

Prints `PORT <n>` on stdout once it listens, then serves until SIGINT/SIGTERM or `--max-seconds`.
On top of the providers' APIs and `/_sim/tasks` it answers:

- `/_bench/counts`: API requests and client connections so far, and the time of the first request;
- `/_bench/requests`: every API request as `[server epoch time, task id, connection no.]` (the task id
  of an AnchorBrowser request; for the other APIs, the request's path);
- `/_bench/answers`: the same with the HTTP status of the answer as a fourth item (0: none sent);
- `/_bench/reset`: forget what was recorded;
- `/_bench/counters`: per provider, the simulator's own counters (requests, and 429 answers from its
  scenario's `[limits]` or `!429` faults), from `Simulator.counters()`.

`--refuse-share S` answers a share S of the AnchorBrowser API requests, drawn at random whatever the
load (seeded), with a 429 and `Retry-After: 1` before the simulator sees them: a key shared with other
clients, a gateway that throttles at random.

Each accepted TCP connection gets a number, so "connections opened by the client" is the number of
distinct connection numbers among its API requests (the harness's own `/_bench` calls are not counted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import signal
import sys
import threading
import time
import typing
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from statuscli.sim import RequestHandler, Simulator, load_scenario

_ANCHOR_PATH = re.compile(r"/v2/tasks/([^/]+)/generation-status/?")


class Recorder:
    """What the server saw; guarded by its own lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: list[tuple[float, str, int]] = []
        self.statuses: list[int] = []  # the HTTP status of each request, in the same order

    def new_connection(self) -> int:
        with self.lock:
            self.connections += 1
            return self.connections

    def record(self, task_id: str, connection: int) -> int:
        now = time.time()
        with self.lock:
            self.requests.append((now, task_id, connection))
            self.statuses.append(0)
            return len(self.requests) - 1

    def answered(self, index: int, status: int) -> None:
        with self.lock:
            if index < len(self.statuses):
                self.statuses[index] = status

    def answers(self) -> list[tuple[float, str, int, int]]:
        with self.lock:
            return [(*request, status) for request, status in zip(self.requests, self.statuses, strict=True)]

    def counts(self) -> dict[str, Any]:
        with self.lock:
            first = self.requests[0][0] if self.requests else None
            api_connections = len({c for _, _, c in self.requests})
            return {
                "requests": len(self.requests),
                "first": first,
                "accepted": self.connections,
                "api_connections": api_connections,
            }

    def snapshot(self) -> list[tuple[float, str, int]]:
        with self.lock:
            return list(self.requests)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()


REFUSAL = json.dumps({"error": "Too many requests, please try again later"}).encode()


def make_handler(recorder: Recorder, refuse_share: float = 0.0, seed: int = 21) -> type[RequestHandler]:
    # A subclass of the simulator's own handler, so the served API is exactly the one
    # `status simulate` serves.
    draws = random.Random(seed)
    draws_lock = threading.Lock()

    def refuse() -> bool:
        with draws_lock:
            return draws.random() < refuse_share

    class CountingHandler(RequestHandler):
        def setup(self) -> None:
            super().setup()
            self.bench_connection = recorder.new_connection()

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/_bench/"):
                self._bench(path)
                return
            self.bench_status = 0
            index = None
            if match := _ANCHOR_PATH.fullmatch(path):
                index = recorder.record(unquote(match.group(1)), self.bench_connection)
            elif not path.startswith("/_sim/"):
                index = recorder.record(path, self.bench_connection)
            if index is not None and match and refuse_share and refuse():
                self.send_response(429)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(REFUSAL)))
                self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(REFUSAL)
                recorder.answered(index, 429)
                return
            super().do_GET()
            if index is not None:
                recorder.answered(index, self.bench_status)

        def send_response(self, code: int, message: str | None = None) -> None:
            self.bench_status = code
            super().send_response(code, message)

        def _bench(self, path: str) -> None:
            document: Any
            if path == "/_bench/counts":
                document = recorder.counts()
            elif path == "/_bench/requests":
                document = recorder.snapshot()
            elif path == "/_bench/answers":
                document = recorder.answers()
            elif path == "/_bench/counters":
                counters = typing.cast(Simulator, self.simulator).counters()
                document = {name: dataclasses.asdict(counts) for name, counts in counters.items()}
            elif path == "/_bench/reset":
                recorder.reset()
                document = {"ok": True}
            else:
                document = {"error": "unknown bench endpoint"}
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return CountingHandler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop by itself after this")
    parser.add_argument(
        "--refuse-share", type=float, default=0.0, help="answer this share of anchor requests 429, at random"
    )
    args = parser.parse_args()

    recorder = Recorder()
    handler = make_handler(recorder, args.refuse_share)
    simulator = Simulator(load_scenario(args.scenario), port=args.port, handler=handler)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    watchdog = threading.Timer(args.max_seconds, simulator.stop)
    watchdog.daemon = True
    watchdog.start()
    print(f"PORT {simulator.port}", flush=True)
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        watchdog.cancel()
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
