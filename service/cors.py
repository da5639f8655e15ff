"""Cross-origin access: off unless ``CORS_ORIGINS`` names the origins allowed to call the API.

The chat page is served from the same origin and needs none. A site elsewhere that should call
/api/ask, or a browser-based chat client that should call the OpenAI-compatible /v1/ endpoints,
from its visitors' browsers is listed explicitly (comma-separated, scheme and host:
``https://news.example,https://staging.news.example``); nothing is allowed by default. /v1/ also
allows ``Authorization``, which OpenAI clients always send (the service reads no key).
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS


def allowed_origins(setting: str | list | None) -> list[str]:
    if not setting:
        return []
    items = setting.split(",") if isinstance(setting, str) else setting
    return [str(item).strip() for item in items if str(item).strip()]


def init_cors(app: Flask) -> None:
    origins = allowed_origins(app.config.get("CORS_ORIGINS"))
    if not origins:
        return
    CORS(
        app,
        resources={
            r"/api/*": {"origins": origins, "methods": ["POST", "OPTIONS"]},
            r"/v1/*": {"origins": origins, "methods": ["GET", "POST", "OPTIONS"]},
        },
        allow_headers=["Content-Type", "X-Request-ID", "Authorization"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
