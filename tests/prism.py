"""Prism mocks of the API documents in `tests/specs/`, for the contract tests.

Prism (npm `@stoplight/prism-cli`) answers each operation of an OpenAPI document with the examples the
document gives. Here: `prism_executable()` finds it (`STATUSCLI_PRISM`); `Prism` runs one on 127.0.0.1 at
a free port and ends its whole process group; `ExampleProxy` lets a base URL pick the example, since
statuscli sends no custom header; `documented_answers()` lists every answer a document names, read from
the YAML, so no test can ask for an example by a misspelt name (Prism would answer its own 404 or 500,
which statuscli would report like an API's).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

SPECS = Path(__file__).parent / "specs"
#: The path to the `prism` executable (as `npm install @stoplight/prism-cli` puts it in node_modules/.bin).
PRISM_ENV = "STATUSCLI_PRISM"
#: Where the base URL picks an answer: `/__prism/<code>/<example>/<API path>`; `-` as the example takes
#: the response's own (unnamed) example, or the one Prism builds from its schema.
PREFIX = "/__prism/"
NO_EXAMPLE = "-"

_LISTENING = re.compile(rb"Prism is listening on http://127\.0\.0\.1:(\d+)")
_ANSI = re.compile(rb"\x1b\[[0-9;]*m")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def ci_is_true() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def prism_executable() -> str:
    """The Prism to run; without one, skip (on a developer's machine) or fail (in CI)."""
    value = os.environ.get(PRISM_ENV, "")
    if not value:
        reason = (
            f"{PRISM_ENV} is not set: the contract tests need Prism "
            "(npm install --prefix DIR @stoplight/prism-cli@5.14.2; "
            f"{PRISM_ENV}=DIR/node_modules/.bin/prism; see README, Development)"
        )
        if ci_is_true():
            pytest.fail(reason)
        pytest.skip(reason)
    if not os.access(value, os.X_OK):
        pytest.fail(f"{PRISM_ENV}={value}: not an executable file")
    return value


# --------------------------------------------------------------------------------------------
# What a document names


@dataclass(frozen=True, order=True)
class Answer:
    """One answer an API document gives: a response of an operation, with one of its examples."""

    spec: str  # the document's name: tests/specs/<spec>.openapi.yaml
    path: str  # the operation's path template, as the document writes it
    code: str  # the HTTP status, as the document writes it ("200")
    example: str  # a named example, or NO_EXAMPLE when the response names none

    def __str__(self) -> str:
        return f"{self.spec} {self.path} {self.code} {self.example}"


def spec_names(folder: Path = SPECS) -> list[str]:
    return sorted(path.name.removesuffix(".openapi.yaml") for path in folder.glob("*.openapi.yaml"))


def spec_file(spec: str, folder: Path = SPECS) -> Path:
    return folder / f"{spec}.openapi.yaml"


def _document(spec: str, folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(spec_file(spec, folder).read_text(encoding="utf-8"))
    return document


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/components/...`), as Prism does."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def get_operations(spec: str, folder: Path = SPECS) -> list[str]:
    """The path templates of the document's GET operations (statuscli only ever sends GET)."""
    return sorted(path for path, item in _document(spec, folder)["paths"].items() if "get" in item)


def path_choices(spec: str, path: str, name: str, folder: Path = SPECS) -> list[str]:
    """The values the document allows for the path parameter `name` of a GET operation (its enum)."""
    document = _document(spec, folder)
    item = document["paths"][path]
    parameters = [*item.get("parameters", []), *item["get"].get("parameters", [])]
    for parameter in (_resolve(document, p) for p in parameters):
        if parameter.get("in") == "path" and parameter.get("name") == name:
            return [str(value) for value in _resolve(document, parameter.get("schema") or {}).get("enum", [])]
    raise KeyError(f"{spec} {path}: no path parameter {name!r}")


def documented_answers(spec: str, folder: Path = SPECS) -> list[Answer]:
    """Every answer of every GET operation: one per named example, or one for a response naming none."""
    document = _document(spec, folder)
    answers = []
    for path in get_operations(spec, folder):
        for code, response in document["paths"][path]["get"]["responses"].items():
            content = _resolve(document, response).get("content") or {}
            names = {name for media in content.values() for name in (media.get("examples") or {})}
            answers += [Answer(spec, path, str(code), name) for name in sorted(names or {NO_EXAMPLE})]
    return answers


# --------------------------------------------------------------------------------------------
# Prism itself


class Prism:
    """`prism mock` for one document on 127.0.0.1, at a port it chose; stopped with its process group."""

    def __init__(self, spec: str, log: Path, *, start_timeout: float = 60) -> None:
        self.spec = spec
        self.log = log
        self.start_timeout = start_timeout
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Prism:
        document = str(spec_file(self.spec))
        command = [prism_executable(), "mock", "--host", "127.0.0.1", "--port", "0", document]
        if shutil.which("setpriv"):
            # Linux: should this process die before it can stop Prism (SIGTERM, SIGKILL), the kernel
            # sends Prism SIGTERM. setpriv then runs Prism in its own place: same pid, same group.
            command = ["setpriv", "--pdeathsig", "TERM", "--", *command]
        with self.log.open("wb") as out:
            # Its log goes to a file: Prism logs every request, and a pipe nobody reads would stall it.
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self.port = self._wait_until_listening()
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _log_text(self) -> str:
        return _ANSI.sub(b"", self.log.read_bytes()).decode("utf-8", "replace")

    def _wait_until_listening(self) -> int:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while (found := _LISTENING.search(_ANSI.sub(b"", self.log.read_bytes()))) is None:
            if self._process.poll() is not None:
                raise RuntimeError(f"prism exited ({self._process.returncode}):\n{self._log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"prism did not start in {self.start_timeout:.0f} s:\n{self._log_text()}")
            time.sleep(0.05)
        return int(found.group(1))

    def _wait_until_serving(self) -> None:
        """Any HTTP answer (Prism's own 404 for a path no document has) means it serves."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__ready__", timeout=30):
                pass
        except urllib.error.HTTPError:
            pass

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL if it lingers; then nothing of it is left."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        # Whatever of the group is still there (the leader, or a child it started) goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --------------------------------------------------------------------------------------------
# Picking an example through the base URL


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream
        #: Each request forwarded to Prism: the API path and query, without the prefix.
        self.forwarded: list[str] = []


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        code, example, rest = ([*self.path.removeprefix(PREFIX).split("/", 2), "", ""])[:3]
        if not self.path.startswith(PREFIX) or not re.fullmatch(r"[1-5]\d\d", code) or not example:
            message = f"contract proxy: expected {PREFIX}CODE/EXAMPLE/PATH, got {self.path}"
            self._reply(400, "Bad Request", [], message.encode())
            return
        path = "/" + rest
        self.server.forwarded.append(path)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
        headers["Prefer"] = f"code={code}" + ("" if example == NO_EXAMPLE else f", example={example}")
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=30)
        try:
            upstream.request("GET", path, headers=headers)
            answer = upstream.getresponse()
            body = answer.read()
        finally:
            upstream.close()
        self._reply(answer.status, answer.reason, answer.getheaders(), body)

    def _reply(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ExampleProxy:
    """A loopback proxy in front of Prism that turns `/__prism/<code>/<example>` into its `Prefer` header.

    statuscli picks an answer through its base URL (`--base-url`), which may carry a path:
    `{proxy.base_url("404", "not_found")}/v2/...` reaches Prism as `/v2/...` with
    `Prefer: code=404, example=not_found`.
    """

    def __init__(self, prism_port: int) -> None:
        self._server = _ProxyServer(prism_port)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="prism-proxy", daemon=True)

    @property
    def forwarded(self) -> list[str]:
        return self._server.forwarded

    def base_url(self, code: str, example: str = NO_EXAMPLE) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}{code}/{example}"

    def __enter__(self) -> ExampleProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@contextlib.contextmanager
def mock(spec: str, log_dir: Path) -> Iterator[ExampleProxy]:
    """Prism for `spec`, behind its example-picking proxy; both gone on exit."""
    with Prism(spec, log_dir / f"prism-{spec}.log") as prism, ExampleProxy(prism.port) as proxy:
        yield proxy
