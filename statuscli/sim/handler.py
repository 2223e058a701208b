"""The simulator's HTTP side: the threading server on its loopback socket and the request handler.

The handler turns a request into a call of what it serves (`Served`: the `Simulator`'s `respond`,
`opened`, `closed` and `stall`) and writes the `Response` it gets back, or resets the connection. It
knows the simulator only through that protocol, so the server module imports this one, not the reverse.
"""

from __future__ import annotations

import socket
import socketserver
import struct
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from statuscli.sim.faults import Response, json_bytes
from statuscli.sim.routes import QUERY

__all__ = ["RequestHandler", "Served", "SimulatorServer"]


class Served(Protocol):
    """What the handler asks of the simulator it serves."""

    verbose: bool

    def respond(self, path: str, headers: dict[str, str]) -> Response: ...

    def opened(self, connection: socket.socket) -> None: ...

    def closed(self, connection: socket.socket) -> None: ...

    def stall(self) -> bool: ...


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its Simulator and binds without a DNS lookup."""

    daemon_threads = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], simulator: Served, handler: type[RequestHandler]) -> None:
        self.simulator = simulator
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn): skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients vanishing mid-request are normal under load and in fault tests: stay quiet.
        if self.simulator.verbose:
            super().handle_error(request, client_address)


class RequestHandler(BaseHTTPRequestHandler):
    """Speaks HTTP/1.1 for a Simulator; subclass it (and pass `handler=`) to add endpoints."""

    protocol_version = "HTTP/1.1"
    server_version = "statuscli-sim"
    wbufsize = 1 << 16  # headers and body leave in one write (flushed per request)
    disable_nagle_algorithm = True
    server: SimulatorServer

    @property
    def simulator(self) -> Served:
        return self.server.simulator

    def setup(self) -> None:
        super().setup()
        self._reset = False
        self.simulator.opened(self.connection)

    def finish(self) -> None:
        self.simulator.closed(self.connection)
        try:
            super().finish()
        finally:
            if self._reset:
                # SO_LINGER 0 then close: the peer gets a TCP RST instead of a response.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.simulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        headers = {name.lower(): value for name, value in self.headers.items()}
        headers[QUERY] = parts.query  # for an API whose id is a query value; no header has this name
        response = self.simulator.respond(path, headers)
        if response.stall and self.simulator.stall():
            response = Response(0, reset=True)
        self.send(response)

    def _method_not_allowed(self) -> None:
        body = {"error": "Method not allowed", "code": 405}
        self.send(Response(405, json_bytes(body), headers=(("Allow", "GET"),), close=True))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _method_not_allowed
    do_OPTIONS = do_TRACE = do_CONNECT = _method_not_allowed

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server answers a method it has no do_* for with 501; the API says 405.
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._method_not_allowed()
        else:
            super().send_error(code, message, explain)

    def send(self, response: Response) -> None:
        """Send `response` (or reset the connection)."""
        if response.reset:
            self._reset = True
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if response.close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
