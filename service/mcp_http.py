"""The MCP server at /mcp, inside the web app: the MCP SDK's streamable HTTP app through a WSGI bridge.

gunicorn's sync workers speak WSGI; the SDK's transport is an ASGI app. a2wsgi's ``ASGIMiddleware``
runs it on an event loop in a thread of each worker, started on the first MCP request. The
transport is stateless with JSON responses (``assistants.mcp_server.streamable_http_app``): every
POST is answered whole by whichever worker takes it, so nothing ties a client to a worker and no
request holds one open. The view is an ordinary Flask view, so /mcp has the app's request ids,
logs, metrics, body limit (``service/bodies.py``) and rate limit like every other question. docs/assistants.md compares
this with a separate ASGI process, with figures.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable
from typing import Any

from a2wsgi import ASGIMiddleware
from flask import Blueprint, Flask, Response, current_app, request
from mcp.server.mcpserver import MCPServer
from mcp.types import INTERNAL_ERROR, INVALID_REQUEST
from starlette.applications import Starlette

from assistants.mcp_server import MCP_PATH, build_mcp_server, streamable_http_app

from .observability import record_answer

mcp_http = Blueprint("mcp", __name__)
STARTUP_TIMEOUT = 10.0  # seconds for the transport's task group to start; it takes milliseconds
AFTER_RESPONSE = 5.0  # seconds an answered request's ASGI task may take to wind down


class AsgiBridge:
    """An ASGI app served to WSGI: its event loop runs in a daemon thread, its lifespan entered once.

    The SDK's session manager needs its task group running, which Starlette starts in the app's
    lifespan; a2wsgi runs no lifespan, so the bridge enters it on the loop for the life of the process.
    """

    def __init__(self, app: Starlette) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="mcp-asgi", daemon=True).start()
        started = threading.Event()
        asyncio.run_coroutine_threadsafe(self._lifespan(app, started), self.loop)
        if not started.wait(STARTUP_TIMEOUT):
            raise RuntimeError("The MCP transport did not start.")
        # After a response, a2wsgi waits for the ASGI task to end; a stateless request ends at once, so
        # a task still running after AFTER_RESPONSE seconds is stuck and is cancelled rather than the worker held.
        self.wsgi = ASGIMiddleware(app, wait_time=AFTER_RESPONSE, loop=self.loop)  # type: ignore[arg-type]

    @staticmethod
    async def _lifespan(app: Starlette, started: threading.Event) -> None:
        async with app.router.lifespan_context(app):
            started.set()
            await asyncio.Event().wait()  # until the process ends

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The response, read whole before it is sent.

        A JSON reply is small, and a2wsgi winds the ASGI task down only when its iterator runs to
        the end, which a client that went away early would otherwise leave pending.
        """
        return [b"".join(self.wsgi(environ, start_response))]  # type: ignore[arg-type]


class McpEndpoint:
    """The app's MCP server and, from the first request on, the bridge that serves it."""

    def __init__(self, server: MCPServer, public_url: str, max_body: int) -> None:
        self.server = server
        self.public_url = public_url
        self.max_body = max_body
        self._bridge: AsgiBridge | None = None
        self._lock = threading.Lock()

    @property
    def bridge(self) -> AsgiBridge:
        with self._lock:
            if self._bridge is None:
                self._bridge = AsgiBridge(streamable_http_app(self.server, self.public_url, self.max_body))
            return self._bridge


def init_mcp(app: Flask) -> None:
    """Serve the MCP server, over the app's own pipeline and documents, at /mcp."""
    server = build_mcp_server(
        app.extensions["qa"],
        app.config["PUBLIC_URL"],
        float(app.config["ABSTAIN_THRESHOLD"]),
        on_answer=record_answer,
    )
    app.extensions["mcp"] = McpEndpoint(server, app.config["PUBLIC_URL"], int(app.config["MAX_CONTENT_LENGTH"]))
    app.register_blueprint(mcp_http)
    app.after_request(jsonrpc_errors)


def jsonrpc_errors(response: Response) -> Response:
    """The app's own errors on /mcp (413, 429 with Retry-After, 503 ...) as JSON-RPC errors, which MCP clients show.

    An MCP client reads a JSON-RPC error from any status; the app's ``{"error": {"code", "message"}}``
    would reach the assistant as a bare "Server returned an error response". The request's id is
    not known (its body may not even have been read), so it is null, as JSON-RPC has it.
    """
    if request.path != MCP_PATH or response.status_code < 400 or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or "jsonrpc" in body or not isinstance(error := body.get("error"), dict):
        return response  # not the app's own error (the MCP transport answers JSON-RPC itself)
    code = INTERNAL_ERROR if response.status_code >= 500 else INVALID_REQUEST
    data = {"status": response.status_code, "reason": error.get("code")}
    reply = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": error.get("message", ""), "data": data}}
    response.set_data(json.dumps(reply))
    return response


# POST only. A stateless server has no event stream to open (GET) and no session to end (DELETE);
# the SDK would hold a GET open as a stream, and with it a sync worker. Clients take 405 as "none".
@mcp_http.post(MCP_PATH)
def mcp():
    """MCP's streamable HTTP transport: JSON-RPC over POST; the bridge answers, the app logs and limits."""
    endpoint: McpEndpoint = current_app.extensions["mcp"]
    return endpoint.bridge  # a WSGI app: Flask runs it on this request
