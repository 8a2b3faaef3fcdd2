"""An httpx transport that answers from the simulator in-process (any host, routed by path)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import httpx

from connectors.simulator.core import DroppedConnection, ReadTimedOut
from connectors.simulator.wire import Request

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator


class SimulatorTransport(httpx.BaseTransport):
    """Turns httpx requests into simulator calls; faults raise the real httpx exceptions."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        url = request.url
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        query = parse_qs(url.query.decode("ascii"), keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        sim_request = Request(
            request.method, url.path, query, headers, request.read(), origin
        )
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            response = self.simulator.handle(sim_request, read_timeout=timeout)
        except DroppedConnection as error:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from error
        except ReadTimedOut as error:
            raise httpx.ReadTimeout(
                "The read operation timed out", request=request
            ) from error
        return httpx.Response(
            response.status,
            headers=response.headers,
            content=response.body,
            request=request,
        )
