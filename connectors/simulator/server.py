"""A threaded real HTTP server in front of the simulator."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from connectors.simulator.core import DroppedConnection, ReadTimedOut
from connectors.simulator.wire import REASONS, Request

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator

logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the simulator, writes the answer (or drops the connection)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for
    # the client's delayed ACK of the headers, ~40 ms on every call (not Atlassian's).
    disable_nagle_algorithm = True
    simulator: Simulator

    def _serve(self) -> None:
        """Handle any method."""
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]  # noqa: UP031
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            headers,
            body,
            f"http://{host}",
        )
        try:
            response = self.simulator.handle(request)
        except (DroppedConnection, ReadTimedOut):
            self.close_connection = True
            self.connection.close()
            return
        try:
            self.send_response(response.status, REASONS.get(response.status))
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (its read timeout passed): nothing to answer.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Log requests at debug level instead of stderr."""
        logger.debug(format, *args)


class SimulatorServer:
    """A ThreadingHTTPServer running in a daemon thread."""

    def __init__(
        self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        handler = type("Handler", (_Handler,), {"simulator": simulator})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
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
