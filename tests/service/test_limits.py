"""Request limits and per-client rate limits, each refused with a clear error (JSON on the API, HTML on pages)."""

from __future__ import annotations

import uuid

import pytest

from bench.gunicorn import free_port

QUESTION = {"question": "Who is Virginie Taelman?"}
RATING = {"rating": "up", "question": "Who?", "answer": "A lawyer. [1]"}


def test_api_is_limited_per_client_with_429_json_and_retry_after(make_app):
    client = make_app(RATELIMIT_ASK="3 per minute").test_client()
    assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.post("/api/ask", json=QUESTION)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "3 per 1 minute" in refused.get_json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 61  # whole seconds, rounded up
    # Another address has its own budget.
    other = client.post("/api/ask", json=QUESTION, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 200
    assert "Retry-After" not in other.headers


def test_behind_trusted_proxies_each_forwarded_client_has_its_own_budget(make_app):
    client = make_app(RATELIMIT_ASK="2 per minute", TRUSTED_PROXIES=1).test_client()

    def ask(forwarded_for: str) -> int:
        return client.post("/api/ask", json=QUESTION, headers={"X-Forwarded-For": forwarded_for}).status_code

    # One load balancer in front: the last address it appends is the reader's, whatever the reader sent before it.
    assert [ask("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert ask("198.51.100.1, 203.0.113.8") == 200
    assert ask("203.0.113.7, 203.0.113.8") == 200  # a forged first address does not borrow 203.0.113.7's refusal
    assert ask("203.0.113.8") == 429


def test_without_trusted_proxies_a_forwarded_address_is_ignored(make_app):
    client = make_app(RATELIMIT_ASK="2 per minute").test_client()
    statuses = [
        client.post("/api/ask", json=QUESTION, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]  # a reader cannot dodge the limit by making up addresses


def test_questions_and_ratings_share_one_budget_and_health_is_exempt(make_app):
    client = make_app(RATELIMIT_ASK="3 per minute").test_client()
    assert client.post("/api/ask", json=QUESTION).status_code == 200
    assert client.post("/api/feedback", json=RATING).status_code == 201
    assert client.post("/api/ask", json=QUESTION).status_code == 200
    assert client.post("/api/feedback", json=RATING).status_code == 429
    assert client.post("/api/ask", json=QUESTION).status_code == 429
    for _ in range(10):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_the_chat_page_shows_a_friendly_html_page_when_limited(make_app):
    client = make_app(RATELIMIT_ASK="2 per minute").test_client()
    for _ in range(2):
        assert client.post("/", data={"question": "Who is El Bali?"}).status_code == 200
    refused = client.post("/", data={"question": "Who is El Bali?"})
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    page = refused.get_data(as_text=True)
    assert "Please wait a minute" in page and 'href="/"' in page
    assert int(refused.headers["Retry-After"]) >= 1
    assert client.get("/").status_code == 200  # reading the page is never limited


def test_limit_can_be_switched_off(make_app):
    client = make_app(RATELIMIT_ASK="1 per minute", RATELIMIT_ENABLED=False).test_client()
    assert {client.post("/api/ask", json=QUESTION).status_code for _ in range(3)} == {200}


def test_two_instances_share_the_count_in_redis(make_app, redis_server):
    settings = {
        "RATELIMIT_ASK": "4 per minute",
        "RATELIMIT_STORAGE_URI": redis_server.uri,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    first, second = make_app(**settings).test_client(), make_app(**settings).test_client()
    statuses = [c.post("/api/ask", json=QUESTION).status_code for c in (first, second, first, second, first, second)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_unreachable_redis_falls_back_to_per_process_counting(make_app):
    client = make_app(
        RATELIMIT_ASK="2 per minute", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}"
    ).test_client()
    statuses = [client.post("/api/ask", json=QUESTION).status_code for _ in range(4)]
    assert 500 not in statuses and statuses[0] == 200
    assert statuses[-1] == 429  # still limited, in memory


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
def test_every_api_endpoint_refuses_oversized_wrong_type_and_wrong_method(client, path):
    too_big = client.post(path, data=b'{"question": "' + b"x" * 70_000 + b'"}', content_type="application/json")
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "request_entity_too_large"
    form = client.post(path, data="question=hi", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.get_json()["error"]["code"] == "unsupported_media_type"
    text = client.post(path, data='{"question": "hi"}', content_type="text/plain")
    assert text.status_code == 415
    for method in ("get", "put", "delete", "patch"):
        response = getattr(client, method)(path)
        assert response.status_code == 405, method
        assert response.get_json()["error"]["code"] == "method_not_allowed"
        assert response.headers["Allow"].startswith("OPTIONS, POST") or "POST" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/", "/api/ask/extra", "/api/v2/ask", "/metrics/x"])
def test_unknown_paths_answer_404_json_on_the_api(client, path):
    response = client.post(path, json=QUESTION)
    assert response.status_code in (404, 405)
    if path.startswith("/api/"):
        assert response.status_code == 404
        assert response.get_json()["error"] == {"code": "not_found", "message": f"No such endpoint: {path}."}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "ok?", "history": [{"role": "user", "content": "x" * 4001}]}, "history.0.content"),
        ({"question": "ok?", "history": [{"role": "user", "content": "x", "name": "me"}]}, "history.0.name"),
        ({"question": "ok?", "top_k": 3.5}, "top_k"),
        ({"question": "ok?", "Question": "twice"}, "Question"),
    ],
)
def test_more_limits_and_unknown_fields_are_refused_naming_the_field(client, body, field):
    response = client.post("/api/ask", json=body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["message"]


def test_history_at_the_limits_is_accepted(client):
    history = [{"role": "user", "content": "x" * 1000}] * 20  # 20 turns, 20,000 characters: both at the limit
    assert client.post("/api/ask", json={"question": "Who is El Bali?", "history": history}).status_code == 200
