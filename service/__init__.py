"""The web edge: the JSON API, the chat page, the Slack bot and health checks, built by ``create_app``.

Everything that answers lives in ``qa`` (no Flask there); this package turns HTTP requests into
calls on the pipeline ``qa.build_pipeline`` assembles, and answers back with its edge concerns:
validation, errors, rate limits, logging and metrics, security headers, CORS.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask_openapi3 import Info, OpenAPI
from werkzeug.middleware.proxy_fix import ProxyFix

from index import Retriever
from qa.db import open_databases
from qa.feedback import FeedbackStore
from qa.pipeline import build_pipeline
from qa.settings import load_settings

from .api import api
from .bodies import refuse_oversized_body
from .cors import init_cors
from .errors import register_error_handlers, validation_error_response
from .health import health
from .limits import init_rate_limits
from .mcp_http import init_mcp
from .observability import configure_logging, init_observability
from .openai_api import init_openai_api
from .pages import pages
from .security import register_security_headers
from .slack import init_slack


class OrderedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, keys left in the order written (answer first, passages by rank), as the schema lists them."""

    sort_keys = False


def create_app(test_config: dict[str, Any] | None = None, retriever: Retriever | None = None) -> OpenAPI:
    """Build the app; the model and index are loaded here, once per process (or ``retriever`` is used).

    Settings come from the environment (``qa.settings``), then ``test_config``. A missing model
    raises ``index.ModelError`` (nothing could ever be answered); a broken index leaves the app up,
    answering 503 with the reason.
    """
    app = OpenAPI(
        __name__,
        info=Info(
            title="Verviers article Q&A",
            version="1.0.0",
            description="Ask BuzzFeed News' article on the Verviers raid; get cited passages and a short answer.",
        ),
        doc_ui=False,
        doc_prefix="",
        doc_url="/openapi.json",
        validation_error_status=400,
        validation_error_callback=validation_error_response,
        security_schemes={},  # none; left unset, flask-openapi3 writes `securitySchemes: null`, an invalid spec
    )
    app.config.from_mapping(load_settings())
    if test_config:
        app.config.update(test_config)
    app.json = OrderedJSONProvider(app)
    configure_logging(app.config)  # JSON lines on stderr (service/observability.py)

    app.extensions["qa"] = build_pipeline(app.config, retriever)
    # Ratings and Slack's seen events: SQLite files, or PostgreSQL with DATABASE_URL (qa/db.py); nothing
    # is opened here, each worker connects on first use.
    app.extensions["databases"] = open_databases(app.config)
    app.extensions["feedback"] = FeedbackStore(app.extensions["databases"].feedback)
    app.register_blueprint(pages)
    register_security_headers(app)
    app.register_api(api)
    app.register_api(health)
    init_openai_api(app)  # /v1/chat/completions and /v1/models, errors in OpenAI's shape (service/openai_api.py)
    # The spec flask-openapi3 derives from the same pydantic models that validate requests;
    # served without its UI bundles, which would load from elsewhere.
    app.add_url_rule("/openapi.json", "openapi_json", lambda: app.api_doc)
    register_error_handlers(app)
    init_slack(app)  # mounts /slack/events when SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set
    init_mcp(app)  # /mcp: the MCP server over streamable HTTP (service/mcp_http.py)
    # Last, once every blueprint is registered: request ids and metrics, CORS, then rate limits.
    init_observability(app)
    app.before_request(refuse_oversized_body)  # 413 after reading the body, so clients see it (service/bodies.py)
    init_cors(app)
    init_rate_limits(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:  # the client's address and scheme as the load balancers in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app
