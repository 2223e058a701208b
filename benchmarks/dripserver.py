"""A loopback server that drips its response head: `HTTP/1.1 200 OK\\r\\nX-Slow: ` and then one byte every
`--every` seconds, for as long as the client keeps the connection open.

    python benchmarks/dripserver.py [--port 0] [--every 0.3] [--max-seconds 900]

One asyncio loop serves every connection (thousands cost it little). Prints `PORT <n>` once it listens,
then serves until SIGINT/SIGTERM or `--max-seconds`. `GET /_drip/counts` (on a fresh connection)
answers at once with the connections accepted, the requests read and the connections open now.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

HEAD = b"HTTP/1.1 200 OK\r\nX-Slow: "


class Counts:
    def __init__(self) -> None:
        self.accepted = 0
        self.requests = 0
        self.open = 0


async def serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counts: Counts, every: float
) -> None:
    counts.accepted += 1
    counts.open += 1
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"GET /_drip/counts"):
            body = json.dumps({"accepted": counts.accepted, "requests": counts.requests, "open": counts.open})
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
            )
            await writer.drain()
            return
        counts.requests += 1
        writer.write(HEAD)
        while True:
            await writer.drain()
            await asyncio.sleep(every)
            if reader.at_eof():
                return
            writer.write(b"a")
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return  # the client went away: what a cut attempt does
    finally:
        counts.open -= 1
        with contextlib.suppress(OSError):
            writer.close()


async def main_async(port: int, every: float, max_seconds: float) -> None:
    counts = Counts()
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, counts, every), "127.0.0.1", port, backlog=1024, limit=65536
    )
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max_seconds)
    server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--every", type=float, default=0.3, help="seconds between two dripped bytes")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop by itself after this")
    args = parser.parse_args()
    asyncio.run(main_async(args.port, args.every, args.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
