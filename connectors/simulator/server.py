"""A threaded real HTTP server in front of the simulator.

A small HTTP/1.1 reader and writer of our own rather than `http.server`: that one
parses every request's headers with the email package and writes each header line
separately, about a fifth of the simulator's CPU per call in the reconciliation
benchmark, where the simulator shares the machine with the client it serves.
Supported: keep-alive (HTTP/1.1 default, `Connection: close`, HTTP/1.0), bodies with
Content-Length (what httpx sends); anything else malformed gets a 400 and a close.
"""

from __future__ import annotations

import logging
import socketserver
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from connectors.simulator.core import DroppedConnection, ReadTimedOut
from connectors.simulator.wire import REASONS, Request, Response

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator

logger = logging.getLogger(__name__)
MAX_LINE = 65536
MAX_HEADERS = 100
SERVER = "atlassian-simulator"


class _BadRequest(Exception):
    """The bytes on the connection are not an HTTP/1.x request we understand."""


class _Dates:
    """The Date header, formatted once per second rather than once per answer."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:  # a race only formats the same second twice
            self._text, self._second = formatdate(second, usegmt=True), second
        return self._text


_DATES = _Dates()


class _Handler(socketserver.StreamRequestHandler):
    """Reads requests off one connection, asks the simulator, writes the answers."""

    # The answer goes out in one write; no Nagle delay waiting for the client's ACK.
    disable_nagle_algorithm = True
    simulator: Simulator

    def handle(self) -> None:
        """Serve requests until the client or the knobs close the connection."""
        try:
            while self._serve_one():
                pass
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return  # the client went away (its read timeout passed)

    def _serve_one(self) -> bool:
        """One request and its answer; False when the connection is done."""
        try:
            head = self._read_head()
        except _BadRequest as problem:
            self._write(Response(400, str(problem).encode()), "GET", keep_alive=False)
            return False
        if head is None:
            return False
        request, keep_alive = head
        try:
            response = self.simulator.handle(request)
        except (DroppedConnection, ReadTimedOut):
            self.connection.close()
            return False
        self._write(response, request.method, keep_alive=keep_alive)
        return keep_alive

    def _read_head(self) -> tuple[Request, bool] | None:
        """The next request (None at a clean end of the connection)."""
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            raise _BadRequest("Request line too long")
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest("Bad request line")
        method, target, version = parts
        headers = self._read_headers()
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            raise _BadRequest("Bad Content-Length") from None
        body = self.rfile.read(length) if length > 0 else b""
        connection = headers.get("connection", "").lower()
        keep_alive = (
            "keep-alive" in connection
            if version == "HTTP/1.0"
            else "close" not in connection
        )
        url = urlsplit(target)
        host = headers.get("host") or "%s:%s" % self.server.server_address[:2]  # noqa: UP031
        query = parse_qs(url.query, keep_blank_values=True)
        return Request(
            method, url.path, query, headers, body, f"http://{host}"
        ), keep_alive

    def _read_headers(self) -> dict[str, str]:
        """Header lines up to the blank line, names lower-cased (the last one wins)."""
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self.rfile.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                return headers
            if len(line) > MAX_LINE:
                raise _BadRequest("Header line too long")
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise _BadRequest("Bad header line")
            headers[name.strip().lower()] = value.strip()
        raise _BadRequest("Too many headers")

    def _write(self, response: Response, method: str, *, keep_alive: bool) -> None:
        """Status line, headers and body in one write."""
        status = response.status
        lines = [
            f"HTTP/1.1 {status} {REASONS.get(status) or _phrase(status)}",
            f"Server: {SERVER}",
            f"Date: {_DATES.now()}",
            *(f"{name}: {value}" for name, value in response.headers),
            f"Content-Length: {len(response.body)}",
        ]
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if method == "HEAD" else head + response.body)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _ThreadingServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # as http.server's: a restarted simulator gets its port
    daemon_threads = True


class SimulatorServer:
    """A threading TCP server running in a daemon thread."""

    def __init__(
        self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        handler = type("Handler", (_Handler,), {"simulator": simulator})
        self.httpd = _ThreadingServer((host, port), handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="atlassian-simulator", daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until shutdown()."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
