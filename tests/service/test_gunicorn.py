"""End to end: a real gunicorn with two workers on a loopback port, over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def post(url: str, body: bytes, content_type: str = "application/json"):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_gunicorn_answers_over_http(server):
    status, data = post(server.url + "/api/ask", json.dumps({"question": "Where was Abaaoud killed?"}).encode())
    assert status == 200
    assert data["answerable"] and "St. Denis" in data["passages"][0]["text"]


def test_gunicorn_answers_bad_input_with_json_not_a_traceback(server):
    status, data = post(server.url + "/api/ask", b"{broken")
    assert status == 400 and data["error"]["code"] == "invalid_json"
    status, data = post(server.url + "/api/ask", json.dumps({"question": ""}).encode())
    assert status == 400 and "question" in data["error"]["message"]


def test_every_worker_can_answer_a_follow_up(server):
    body = {
        "question": "Where were those originally bought?",
        "history": [
            {"role": "user", "content": "What weapons did the Verviers plotters have?"},
            {"role": "assistant", "content": "Kalashnikovs. [1]"},
        ],
    }
    for _ in range(4):  # several requests, so both workers answer at least once in all likelihood
        status, data = post(server.url + "/api/ask", json.dumps(body).encode())
        assert status == 200
        assert any("gun shop in Slovakia" in p["text"] for p in data["passages"])
