"""The Flask application: the JSON API, the chat page, the Slack bot and health checks, built by ``create_app``.

The blueprints are imported inside ``create_app``: they import ``service.feedback``, and a package
that imports a module at import time makes ``python -m service.feedback`` warn.
"""

from __future__ import annotations

from flask_openapi3 import Info, OpenAPI

from index import Retriever

from .config import DEFAULTS
from .cors import init_cors
from .errors import register_error_handlers, validation_error_response
from .limits import init_rate_limits
from .observability import configure_logging, init_observability
from .state import build_state


def create_app(test_config: dict | None = None, retriever: Retriever | None = None) -> OpenAPI:
    """Build the app; the model and index are loaded here, once per process (or ``retriever`` is used)."""
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
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="QA")
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False  # answer first, passages in rank order, as the schema lists them
    configure_logging(app.config)  # JSON lines on stderr (service/observability.py)

    app.extensions["qa"] = build_state(app.config, retriever)
    from .feedback import FeedbackStore  # imported here so `python -m service.feedback` runs cleanly

    app.extensions["feedback"] = FeedbackStore(app.config["FEEDBACK_DB"])

    from .pages import load_documents, pages
    from .security import register_security_headers

    app.extensions["documents"] = load_documents(app.config["CORPUS_DIR"])  # once, for the article pages
    app.register_blueprint(pages)
    register_security_headers(app)

    from .api import api
    from .health import health

    app.register_api(api)
    app.register_api(health)
    # The spec flask-openapi3 derives from the same pydantic models that validate requests;
    # served without its UI bundles, which would load from elsewhere.
    app.add_url_rule("/openapi.json", "openapi_json", lambda: app.api_doc)
    register_error_handlers(app)
    from .slack import init_slack  # mounts /slack/events when SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are set

    init_slack(app)
    # Last, once every blueprint is registered: request ids and metrics, CORS, then rate limits.
    init_observability(app)
    init_cors(app)
    init_rate_limits(app)
    return app
