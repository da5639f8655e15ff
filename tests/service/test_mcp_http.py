"""/mcp in the app, in-process: the WSGI bridge answers, and the app's edge (rate limit, hosts, errors) holds."""

from __future__ import annotations

from service import create_app

ACCEPT = {"Accept": "application/json, text/event-stream"}
ESCAPE = "How did El Bali try to escape?"


def tool_call(client, question: str = ESCAPE, **headers: str):
    params = {"name": "ask_article", "arguments": {"question": question}}
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}
    return client.post("/mcp", json=body, headers={**ACCEPT, **headers})


def test_a_stateless_tool_call_is_answered_by_any_worker_without_a_handshake(client):
    response = tool_call(client)
    assert response.status_code == 200 and "Mcp-Session-Id" not in response.headers
    result = response.get_json()["result"]
    assert result["structuredContent"]["answerable"] is True and response.get_json()["id"] == 7


def test_mcp_shares_the_question_rate_limit_and_says_so_in_json_rpc(make_app):
    client = make_app(RATELIMIT_ASK="2 per minute").test_client()
    assert client.post("/api/ask", json={"question": ESCAPE}).status_code == 200
    assert tool_call(client).status_code == 200
    refused = tool_call(client)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    error = refused.get_json()["error"]
    assert error["code"] == -32600 and "Too many requests" in error["message"]
    assert error["data"] == {"status": 429, "reason": "rate_limited"}


def test_requests_for_another_host_are_refused_and_the_public_host_is_served(make_app):
    client = make_app(PUBLIC_URL="https://qa.example.org").test_client()
    assert tool_call(client, Host="evil.example").status_code == 421  # the MCP SDK's DNS-rebinding check
    assert tool_call(client, Host="qa.example.org").status_code == 200
    assert tool_call(client, Origin="https://evil.example").status_code == 403


def test_answers_through_mcp_are_counted_with_the_others(client):
    def answered() -> float:
        metrics = client.get("/metrics").get_data(as_text=True)
        return sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("qa_answers_total{"))

    before = answered()
    tool_call(client)
    assert answered() == before + 1


def test_without_an_index_both_assistant_surfaces_say_why_and_the_app_stays_up(tmp_path, corpus_dir):
    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none"), "CORPUS_DIR": str(corpus_dir)})
    client = app.test_client()
    result = tool_call(client).get_json()["result"]
    assert result["isError"] is True and "index is not available" in result["content"][0]["text"]
    body = {"model": "verviers-article", "messages": [{"role": "user", "content": ESCAPE}]}
    refused = client.post("/v1/chat/completions", json=body)
    assert refused.status_code == 503
    assert refused.get_json()["error"]["type"] == "server_error" and "python -m index build" in refused.get_data(
        as_text=True
    )


def test_only_post_is_served_so_no_request_holds_a_worker_open(client):
    for method in (client.get, client.delete):
        response = method("/mcp", headers=ACCEPT)
        assert response.status_code == 405 and "POST" in response.headers["Allow"]
        assert response.get_json()["error"]["data"] == {"status": 405, "reason": "method_not_allowed"}
