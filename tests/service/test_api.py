"""POST /api/ask: the contract, every bad input, abstention and follow-ups."""

from __future__ import annotations

import pytest

from qa.answers import MAX_ANSWER_WORDS


def ask(client, **body):
    return client.post("/api/ask", json=body)


def test_answer_cites_passages_with_document_paragraph_offsets_and_highlight(client, corpus_dir):
    response = ask(client, question="How did El Bali try to escape?")
    assert response.status_code == 200
    data = response.get_json()
    assert data["answerable"] is True
    assert "jumped out of a window" in data["answer"] and data["answer"].endswith("[1]")
    assert len(data["answer"].split()) <= MAX_ANSWER_WORDS
    assert len(data["passages"]) == 3
    source = (corpus_dir / "verviers-raid.txt").read_text(encoding="utf-8")
    for rank, p in enumerate(data["passages"], start=1):
        assert set(p) >= {"id", "document", "title", "paragraph", "start", "end", "text", "score", "highlight"}
        assert p["rank"] == rank and p["document"] == "verviers-raid"
        assert source[p["start"] : p["end"]] == p["text"]
        h = p["highlight"]
        assert 0 <= h["start"] < h["end"] <= len(p["text"])
    top = data["passages"][0]
    assert "jumped out of a window" in top["text"][top["highlight"]["start"] : top["highlight"]["end"]]
    assert top["paragraph"] == 6
    assert data["took_ms"] > 0
    assert data["declined"] is None and data["related"] == []


@pytest.mark.parametrize("top_k", [1, 5, 10])
def test_top_k_sets_the_number_of_passages(client, top_k):
    assert len(ask(client, question="Who is Virginie Taelman?", top_k=top_k).get_json()["passages"]) == top_k


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Australia?", "How do I reset my wifi router password?", "Quelle heure est-il ?"],
)
def test_out_of_scope_question_gets_an_honest_abstention(client, question):
    data = ask(client, question=question).get_json()
    assert data["answerable"] is False
    assert (data["declined"], data["passages"], data["related"]) == ("off_topic", [], [])
    assert "article doesn't say" in data["answer"]


def test_follow_up_uses_the_conversation(client):
    history = [
        {"role": "user", "content": "Who is Marouane El Bali?"},
        {"role": "assistant", "content": "Marouane El Bali had been in a bathroom in the back. [1]"},
    ]
    with_history = ask(client, question="How did he try to escape?", history=history).get_json()
    assert any("jumped out of a window" in p["text"] for p in with_history["passages"])


def test_self_contained_question_is_not_pulled_towards_the_history(client):
    history = [{"role": "user", "content": "Who is Virginie Taelman?"}, {"role": "assistant", "content": "A lawyer."}]
    data = ask(client, question="Where were the Kalashnikovs originally purchased?", history=history).get_json()
    assert "gun shop in Slovakia" in data["passages"][0]["text"]


@pytest.mark.parametrize(
    ("body", "status", "code", "names"),
    [
        ({}, 400, "invalid_request", "question"),
        ({"question": ""}, 400, "invalid_request", "question"),
        ({"question": "   "}, 400, "invalid_request", "question"),
        ({"question": 42}, 400, "invalid_request", "question"),
        ({"question": None}, 400, "invalid_request", "question"),
        ({"question": "x" * 1001}, 400, "invalid_request", "question"),
        ({"question": "ok?", "top_k": 0}, 400, "invalid_request", "top_k"),
        ({"question": "ok?", "top_k": 11}, 400, "invalid_request", "top_k"),
        ({"question": "ok?", "top_k": "3"}, 400, "invalid_request", "top_k"),
        ({"question": "ok?", "top_k": True}, 400, "invalid_request", "top_k"),
        ({"question": "ok?", "history": "none"}, 400, "invalid_request", "history"),
        ({"question": "ok?", "history": [{"role": "bot", "content": "x"}]}, 400, "invalid_request", "history.0.role"),
        ({"question": "ok?", "history": [{"role": "user"}]}, 400, "invalid_request", "history.0.content"),
        ({"question": "ok?", "history": [{"role": "user", "content": "x"}] * 21}, 400, "invalid_request", "history"),
        (
            {"question": "ok?", "history": [{"role": "user", "content": "x" * 3000}] * 8},
            400,
            "invalid_request",
            "history",
        ),
        ({"question": "ok?", "colour": "red"}, 400, "invalid_request", "colour"),
        ({"question": "ok?", "document": ""}, 400, "invalid_request", "document"),
        ({"question": "ok?", "document": 7}, 400, "invalid_request", "document"),
        ({"question": "ok?", "document": "no-such-article"}, 400, "unknown_document", "no-such-article"),
    ],
)
def test_bad_input_gets_a_json_error_naming_the_field(client, body, status, code, names):
    response = client.post("/api/ask", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    assert names in error["message"]


def test_body_that_is_not_json_is_refused(client):
    response = client.post("/api/ask", data="{question: nope", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_json_that_is_not_an_object_is_refused(client):
    response = client.post("/api/ask", json=["How?"])
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]["message"]


def test_wrong_content_type_is_refused(client):
    response = client.post("/api/ask", data="question=hi", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_body_too_large_is_refused(client):
    response = client.post("/api/ask", data='{"question": "' + "x" * 70_000 + '"}', content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.get_json()["error"]["message"]


def test_wrong_method_and_unknown_path_answer_json(client):
    response = client.get("/api/ask")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]
    response = client.post("/api/nothing", json={})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_question_can_be_scoped_to_a_document(client):
    body = {"question": "Who is Virginie Taelman?", "document": "verviers-raid"}
    reply = client.post("/api/ask", json=body).get_json()
    assert reply["answerable"] and {p["document"] for p in reply["passages"]} == {"verviers-raid"}
    assert reply == client.post("/api/ask", json={"question": body["question"]}).get_json() | {
        "took_ms": reply["took_ms"]
    }
    refused = client.post("/api/ask", json={"question": "Who?", "document": "nope"}).get_json()["error"]
    assert "verviers-raid" in refused["message"]  # says which documents there are


def test_openapi_describes_the_validated_request(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/ask" in spec["paths"]
    question = spec["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["maxLength"] == 1000 and question["minLength"] == 1
    top_k = spec["components"]["schemas"]["AskRequest"]["properties"]["top_k"]
    assert top_k["minimum"] == 1 and top_k["maximum"] == 10


def test_openapi_documents_why_a_question_was_declined_and_the_related_reading(client):
    spec = client.get("/openapi.json").get_json()
    ok = spec["paths"]["/api/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Answer"}
    properties = spec["components"]["schemas"]["Answer"]["properties"]
    assert list(properties) == [
        "answer", "answerable", "passages", "confidence", "took_ms", "declined", "related", "searched"
    ]  # fmt: skip
    assert "misspelt" in properties["searched"]["description"]
    declined = properties["declined"]
    assert declined["anyOf"] == [{"enum": ["not_in_article", "off_topic"], "type": "string"}, {"type": "null"}]
    assert "not_in_article" in declined["description"] and "off_topic" in declined["description"]
    related = properties["related"]
    assert related["type"] == "array" and related["items"] == {"$ref": "#/components/schemas/CitedPassage"}
    assert "not_in_article" in related["description"]


def test_health_and_readiness(client):
    assert (
        client.get("/healthz").get_json() == {"status": "ok", "reason": None}
        or client.get("/healthz").status_code == 200
    )
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


@pytest.mark.parametrize(
    "question",
    ["How did El Bali try to escape?", "Who is Virginie Taelman?", "Where were the Kalashnikovs originally purchased?"],
)
def test_answer_is_drawn_from_the_highlighted_stretch_of_the_first_passage(client, question):
    """The highlight runs from the answer's first sentence to its last; "…" marks one skipped between."""
    data = ask(client, question=question).get_json()
    top = data["passages"][0]
    highlighted = " ".join(top["text"][top["highlight"]["start"] : top["highlight"]["end"]].split())
    pieces = data["answer"].removesuffix(" [1]").split(" … ")
    assert highlighted.startswith(pieces[0]) and highlighted.endswith(pieces[-1])
    if len(pieces) == 1:
        assert highlighted == pieces[0]


def test_follow_up_highlights_the_escape(client):
    history = [{"role": "user", "content": "Who is Marouane El Bali?"}, {"role": "assistant", "content": "..."}]
    top = ask(client, question="How did he try to escape?", history=history).get_json()["passages"][0]
    assert "jumped out of a window" in top["text"][top["highlight"]["start"] : top["highlight"]["end"]]
