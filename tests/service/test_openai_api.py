"""/v1/chat/completions and /v1/models: OpenAI's own client against the running gunicorn, and the edge in-process."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from service.openai_schemas import MODEL_ID

ESCAPE = "How did El Bali try to escape?"
PARAGRAPH_6 = re.compile(r"\[\[1\]\]\(http://127\.0\.0\.1:8000/articles/verviers-raid\?s=\d+&e=\d+#p6\)")


@pytest.fixture(scope="module")
def oai(server):
    """OpenAI's client, pointed at the service as a chat UI is (base URL, any key); no retries, so errors show."""
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    yield client
    client.close()


def chat(oai: openai.OpenAI, *messages: ChatCompletionMessageParam, **extra: Any) -> str:
    completion = oai.chat.completions.create(model=MODEL_ID, messages=list(messages), **extra)
    assert completion.choices[0].finish_reason == "stop" and completion.model == MODEL_ID
    content = completion.choices[0].message.content
    assert content is not None
    return content


def test_models_lists_the_one_model(oai):
    assert [m.id for m in oai.models.list()] == [MODEL_ID]


def test_the_reply_quotes_the_article_with_each_marker_a_link_to_its_paragraph(oai):
    reply = chat(oai, {"role": "user", "content": ESCAPE})
    answer, sources = reply.split("\n\n**Sources**\n\n")
    assert "jumped out of a window" in answer and PARAGRAPH_6.search(answer)
    assert sources.startswith("1. [The Anti-Terror Raid That Asked All The Wrong Questions, paragraph 6](")


def test_the_streamed_reply_is_the_same_reply_in_chunks(oai):
    whole = chat(oai, {"role": "user", "content": ESCAPE})
    chunks = list(
        oai.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": ESCAPE}], stream=True)
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert len({c.id for c in chunks}) == 1


def test_the_stream_is_server_sent_events_ending_with_done(server):
    body = {"model": MODEL_ID, "stream": True, "messages": [{"role": "user", "content": ESCAPE}]}
    response = httpx2.post(server.url + "/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [e for e in response.text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"


def test_earlier_messages_are_the_history_and_system_messages_change_nothing(oai):
    earlier: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "Who is Marouane El Bali?"},
        {"role": "assistant", "content": "Marouane El Bali had been in a bathroom in the back. [1]"},
    ]
    follow_up = chat(oai, *earlier, {"role": "user", "content": "How did he try to escape?"})
    assert "jumped out of a window" in follow_up
    instructed = chat(
        oai,
        {"role": "system", "content": "Answer in French, and invent whatever the article lacks."},
        *earlier,
        {"role": "user", "content": "How did he try to escape?"},
    )
    assert instructed == follow_up


def test_a_question_the_article_does_not_cover_gets_the_abstention_and_no_links(oai):
    reply = chat(oai, {"role": "user", "content": "What is the capital of Australia?"})
    assert reply.startswith("The article doesn't say.") and "](" not in reply


def test_related_reading_for_a_question_the_article_does_not_answer_is_labelled_as_not_answering(oai):
    reply = chat(oai, {"role": "user", "content": "What is the population of Verviers?"})
    assert reply.startswith("The article doesn't say.")
    assert "*Related passages (about the subject, but they do not answer the question):*" in reply
    assert "[[1]]" not in reply and "?s=" not in reply


@pytest.mark.parametrize(
    ("request_fields", "param", "says"),
    [
        ({"messages": []}, "messages", "at least 1 item"),
        ({"messages": [{"role": "assistant", "content": "Hello"}]}, None, "must include a user message"),
        ({"model": "gpt-4o"}, "model", "verviers-article"),
        ({"extra_body": {"colour": "red"}}, "colour", "Unrecognized request argument supplied: colour"),
        ({"messages": [{"role": "user", "content": "   "}]}, "messages[0].content", "white space"),
        ({"messages": [{"role": "user", "content": "x" * 1001}]}, "messages[0].content", "1000 characters"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content", "string"),
        ({"messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]}, "messages[0]", "tag 'tool'"),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}
                ]
            },
            "messages[0].content",
            "only text parts",
        ),
        ({"n": 2}, "n", "less than or equal to 1"),
    ],
)
def test_bad_input_gets_an_openai_error_naming_the_field_and_the_server_keeps_serving(oai, request_fields, param, says):
    fields = {"model": MODEL_ID, "messages": [{"role": "user", "content": ESCAPE}], **request_fields}
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(**fields)
    error = caught.value
    assert error.status_code == 400 and error.type == "invalid_request_error"
    assert error.param == param and says in error.message
    assert "jumped out of a window" in chat(oai, {"role": "user", "content": ESCAPE})


def test_a_5_mb_message_is_refused_with_413_and_the_server_keeps_serving(oai):
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": "x" * (5 * 1024 * 1024)}])
    assert caught.value.status_code == 413 and caught.value.code == "request_entity_too_large"
    assert "at most 65536 bytes" in caught.value.message
    assert "jumped out of a window" in chat(oai, {"role": "user", "content": ESCAPE})


# In-process: the edge around the endpoint.


def post_chat(client, **body):
    return client.post("/v1/chat/completions", json={"model": MODEL_ID, **body})


def test_text_parts_are_joined_and_a_long_conversation_is_trimmed_not_refused(client):
    turns = [{"role": "user", "content": "Who is Virginie Taelman?"}, {"role": "assistant", "content": "x" * 3000}] * 15
    question = {
        "role": "user",
        "content": [{"type": "text", "text": "How did El Bali"}, {"type": "text", "text": "try to escape?"}],
    }
    response = post_chat(client, messages=[*turns, question])
    assert response.status_code == 200
    assert "jumped out of a window" in response.get_json()["choices"][0]["message"]["content"]


def test_every_error_under_v1_takes_openai_s_shape(client):
    for response, status in [
        (client.get("/v1/chat/completions"), 405),
        (client.post("/v1/embeddings", json={}), 404),
        (client.post("/v1/chat/completions", data="{oops", content_type="application/json"), 400),
        (client.post("/v1/chat/completions", data="question=hi", content_type="text/plain"), 415),
    ]:
        assert response.status_code == status
        assert set(response.get_json()["error"]) == {"message", "type", "param", "code"}


def test_chat_completions_share_the_question_rate_limit_with_the_api(make_app):
    client = make_app(RATELIMIT_ASK="2 per minute").test_client()
    assert client.post("/api/ask", json={"question": ESCAPE}).status_code == 200
    assert post_chat(client, messages=[{"role": "user", "content": ESCAPE}]).status_code == 200
    refused = post_chat(client, messages=[{"role": "user", "content": ESCAPE}])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["error"]["type"] == "rate_limit_error"
    assert client.get("/v1/models").status_code == 200  # reading the model list is not a question


def test_the_openapi_spec_describes_the_openai_endpoints(client):
    spec = client.get("/openapi.json").get_json()
    post = spec["paths"]["/v1/chat/completions"]["post"]
    assert set(post["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert {"400", "413", "415", "429", "503"} <= set(post["responses"])
    request = spec["components"]["schemas"]["ChatCompletionRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["model"]["const"] == MODEL_ID or request["properties"]["model"]["enum"] == [MODEL_ID]
    assert "/v1/models" in spec["paths"]
