"""Domain errors inside, HTTP errors at the edge: every API error is JSON, every page error HTML."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from markupsafe import escape
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from index import IndexError_

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/v1/", "/mcp", "/healthz", "/readyz", "/openapi.json", "/slack/")


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def validation_error_response(exc: ValidationError) -> Response:
    """pydantic's findings as one message that names each field at fault."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        problems.append(message if message.startswith(where) else f"{where}: {message}")
    return error_response(400, "invalid_request", "; ".join(problems))


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def _html_error(status: int, name: str, message: str) -> Response:
    """A page error in the site's own layout; the bare page if the template itself cannot render."""
    try:
        body = render_template("error.html", code=status, name=name, message=message)
    except Exception:  # an error page must never fail in turn
        log.exception("error page could not be rendered")
        body = f"<!doctype html><title>{status} {escape(name)}</title><h1>{escape(name)}</h1>"
        body += '<p><a href="/">Back to the questions</a></p>'
    return Response(body, status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    """JSON for the API (404 and 405 included), plain HTML for pages; never a traceback."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.response is not None and exc.response.mimetype == "application/json":
            return exc.response  # already shaped (validation errors)
        code = (exc.name or "error").lower().replace(" ", "_")
        messages = {
            404: f"No such endpoint: {request.path}.",
            405: f"{request.method} is not allowed on {request.path}.",
            413: f"Request body too large: at most {app.config.get('MAX_CONTENT_LENGTH')} bytes.",
        }
        message = messages.get(exc.code or 0, exc.description or exc.name)
        if _wants_json():
            response = error_response(exc.code or 500, code, message)
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        return _html_error(exc.code or 500, exc.name, exc.description or "")

    @app.errorhandler(IndexError_)
    def index_error(exc: IndexError_):
        log.error("index unavailable: %s", exc)
        return error_response(503, exc.code, f"The index is not available: {exc}")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        if _wants_json():
            return error_response(500, "internal_error", "Something went wrong on our side; the error was logged.")
        return Response("<!doctype html><title>Error</title><h1>Something went wrong</h1>", 500, mimetype="text/html")
