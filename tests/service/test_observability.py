"""Request ids, JSON logs (questions kept out unless allowed), Prometheus metrics, security headers, CORS, debug."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.observability import JsonFormatter
from service.security import SECURITY_HEADERS


@pytest.fixture()
def make_app(make_app):
    """Apps with rate limits off unless a test turns them on."""
    return lambda **config: make_app(**{"RATELIMIT_ENABLED": False, **config})


@pytest.fixture()
def json_log():
    """The JSON lines the service logs during the test, formatted as they are emitted."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_request_id_is_echoed_generated_or_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123.x_Y"}).headers["X-Request-ID"] == "abc-123.x_Y"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    for bad in ("has space", "x" * 129, "<script>", "a\u00e9"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad.encode().decode("latin-1")}).headers
        assert re.fullmatch(r"[0-9a-f]{32}", echoed["X-Request-ID"]), bad
    assert client.post("/api/nowhere", json={}).headers["X-Request-ID"]  # on errors too


def test_log_lines_are_json_with_the_request_id_and_no_question_text(client, json_log):
    secret = "Where did Zyxwvut the marker-person go?"
    response = client.post("/api/ask", json={"question": secret}, headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    lines = json_log()
    mine = [line for line in lines if line.get("request_id") == "req-42"]
    assert {line["logger"] for line in mine} >= {"service.access", "service.api"}
    access = next(line for line in mine if line["logger"] == "service.access")
    assert (access["method"], access["route"], access["status"]) == ("POST", "/api/ask", 200)
    assert access["ms"] > 0 and access["time"].endswith("Z") and access["level"] == "INFO"
    answered = next(line for line in mine if line["logger"] == "service.api")
    assert answered["question_chars"] == len(secret) and answered["answerable"] in (True, False)
    assert "Zyxwvut" not in json.dumps(lines)


def test_questions_are_logged_only_when_the_setting_allows(make_app, json_log):
    client = make_app(LOG_QUESTIONS=True).test_client()
    client.post("/api/ask", json={"question": "Who is Zyxwvut?"})
    assert any(line.get("question") == "Who is Zyxwvut?" for line in json_log())


def _samples(text: str) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_requests_latency_abstentions_and_index_size(client):
    before = _samples(client.get("/metrics").get_data(as_text=True))
    client.post("/api/ask", json={"question": "How did El Bali try to escape?"})
    client.post("/api/ask", json={"question": "What is the capital of Australia?"})
    client.post("/api/ask", json={"question": "How many people were killed in the November Paris attacks?"})
    client.post("/api/ask", json={"question": ""})
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    after = _samples(response.get_data(as_text=True))

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("qa_http_requests_total", route="/api/ask", method="POST", status="200") == 3
    assert delta("qa_http_requests_total", route="/api/ask", method="POST", status="400") == 1
    assert delta("qa_http_request_duration_seconds_count", route="/api/ask", method="POST") == 4
    assert delta("qa_answers_total", answerable="false") == 2
    assert delta("qa_answers_total", answerable="true") == 1
    assert delta("qa_declined_total", reason="off_topic") == 1
    assert delta("qa_declined_total", reason="not_in_article") == 1
    manifest = client.application.extensions["qa"].answerer.retriever.index.manifest
    assert after[("qa_index_passages", ())] == manifest["passages"] > 0


def test_answers_from_the_chat_page_are_counted_too(client):
    def answered() -> float:
        return _samples(client.get("/metrics").get_data(as_text=True)).get(
            ("qa_answers_total", (("answerable", "true"),)), 0
        )

    before = answered()
    response = client.post("/", data={"question": "How did El Bali try to escape?"})
    assert response.status_code == 200
    assert answered() - before == 1


def test_security_headers_on_every_kind_of_response(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_ASK="1 per minute").test_client()
    responses = {
        "page": client.get("/"),
        "api": client.post("/api/ask", json={"question": "Who is El Bali?"}),
        "429": client.post("/api/ask", json={"question": "Who is El Bali?"}),
        "400": client.post("/api/feedback", json={}),
        "404 json": client.get("/api/none"),
        "404 html": client.get("/nowhere"),
        "405": client.get("/api/ask"),
        "metrics": client.get("/metrics"),
        "spec": client.get("/openapi.json"),
        "health": client.get("/healthz"),
    }
    assert responses["429"].status_code == 429
    for kind, response in responses.items():
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (kind, name)
        assert "Server" not in response.headers, kind


def test_an_unexpected_error_shows_no_traceback_path_or_version(make_app, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")  # must not turn debug mode on: only QA_DEBUG does
    app = make_app(TESTING=False)
    assert app.debug is False

    def boom():
        raise RuntimeError("secret detail at /work/main/service/api.py line 3")

    app.add_url_rule("/api/boom", "boom", boom)
    app.add_url_rule("/boom", "boom_page", boom)
    for path in ("/api/boom", "/boom"):
        response = app.test_client().get(path)
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        for leak in ("Traceback", "secret detail", "/work", ".py", "RuntimeError", "Werkzeug", "Python"):
            assert leak not in body, (path, leak)
    assert app.test_client().get("/api/boom").get_json()["error"]["code"] == "internal_error"


def test_debug_mode_only_when_explicitly_set(make_app, monkeypatch):
    monkeypatch.setenv("QA_DEBUG", "true")
    assert make_app().debug is True


def test_cors_is_off_by_default(client):
    preflight = client.options(
        "/api/ask", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    post = client.post("/api/ask", json={"question": "Who?"}, headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in post.headers


def test_cors_allows_only_the_configured_origins(make_app):
    client = make_app(CORS_ORIGINS="https://news.example, https://staging.news.example").test_client()
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type"}
    allowed = client.options("/api/ask", headers={"Origin": "https://news.example", **asked})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    refused = client.options("/api/ask", headers={"Origin": "https://evil.example", **asked})
    assert "Access-Control-Allow-Origin" not in refused.headers
    post = client.post("/api/ask", json={"question": "Who is El Bali?"}, headers={"Origin": "https://news.example"})
    assert post.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": "https://news.example"}).headers


def test_cors_lets_a_browser_chat_client_call_the_openai_endpoints(make_app):
    client = make_app(CORS_ORIGINS="https://chat.example").test_client()
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = client.options("/v1/chat/completions", headers={"Origin": "https://chat.example", **asked})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://chat.example"
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    models = client.get("/v1/models", headers={"Origin": "https://chat.example"})
    assert models.status_code == 200 and models.headers["Access-Control-Allow-Origin"] == "https://chat.example"
    refused = client.options("/v1/chat/completions", headers={"Origin": "https://evil.example", **asked})
    assert "Access-Control-Allow-Origin" not in refused.headers
