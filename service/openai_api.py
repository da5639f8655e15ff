"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models, for chat UIs and OpenAI's clients.

The "model" is extractive: the reply is the article's own sentences with [n] markers, each a
Markdown link to the cited paragraph, then the sources; or "The article doesn't say". Nothing is
generated. The last user message is the question and the user and assistant messages before it
are the history, trimmed as the chat page trims it (``qa.limits.trim_history``); system and
developer messages are ignored, since a chat UI sends them by default and there is no model for
them to instruct. Errors under /v1/ take OpenAI's shape (``{"error": {"message", "type", "param",
"code"}}``); the limits and the shared rate limit are those of /api/ask.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

from flask import Response, current_app, request
from flask_openapi3 import APIBlueprint, OpenAPI, Tag
from pydantic import BaseModel, ValidationError

from assistants.citations import markdown_reply
from qa.limits import trim_history

from .api import require_json
from .observability import question_fields, record_answer
from .openai_schemas import (
    MODEL_ID,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    Message,
    Model,
    ModelList,
    OpenAIError,
    ReplyMessage,
    UserMessage,
)
from .state import get_answerer, get_pipeline

log = logging.getLogger(__name__)
PREFIX = "/v1"
openai_api = APIBlueprint("openai", __name__, url_prefix=PREFIX, abp_tags=[Tag(name="openai-compatible")])
openai_api.before_request(require_json)

_ERRORS: dict[str | int, type[BaseModel] | dict | None] = {
    400: OpenAIError,
    413: OpenAIError,
    415: OpenAIError,
    429: OpenAIError,
    503: OpenAIError,
}


@openai_api.post(
    "/chat/completions", summary="Answer a conversation's last question", responses={200: ChatCompletion, **_ERRORS}
)
def chat_completions(body: ChatCompletionRequest):
    """The answer to the last user message as an assistant message, quoted from the article with cited links."""
    question, history = conversation(body.messages)
    result = get_answerer().ask(question, history)
    record_answer(result)
    log.info(
        "answered",
        extra={
            **question_fields(question),
            "turns": len(history),
            "answerable": result.answerable,
            "surface": "openai",
        },
    )
    reply = markdown_reply(result, current_app.config["PUBLIC_URL"])
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        return Response(
            stream_events(completion_id, created, reply),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    choice = Choice(message=ReplyMessage(content=reply))
    return ChatCompletion(id=completion_id, created=created, choices=[choice]).model_dump()


@openai_api.get("/models", summary="The one model", responses={200: ModelList, 429: OpenAIError})
def models():
    """The model to name in a chat completion: the article, answering by quotation."""
    return ModelList(data=[Model(id=MODEL_ID, created=_index_built())]).model_dump()


def conversation(messages: list[Message]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the history before it, within the history limits."""
    last, question = [(i, m) for i, m in enumerate(messages) if isinstance(m, UserMessage)][-1]
    turns = [
        {"role": m.role, "content": m.content or ""}
        for m in messages[:last]
        if isinstance(m, UserMessage | AssistantMessage)
    ]
    return question.content.strip(), trim_history(turns)


def stream_events(completion_id: str, created: int, reply: str) -> Iterator[str]:
    """The reply as OpenAI streams it: the role, the text line by line, the finish, then [DONE].

    The reply is whole before the first event (answering takes milliseconds), so the stream
    holds a sync worker no longer than a JSON reply does.
    """

    def event(delta: Delta, finish: bool = False) -> str:
        choice = ChunkChoice(delta=delta, finish_reason="stop" if finish else None)
        chunk = ChatCompletionChunk(id=completion_id, created=created, choices=[choice]).model_dump(mode="json")
        chunk["choices"][0]["delta"] = delta.model_dump(exclude_none=True)  # as OpenAI sends it: only what is new
        return "data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")) + "\n\n"

    yield event(Delta(role="assistant", content=""))
    for line in reply.splitlines(keepends=True):
        yield event(Delta(content=line))
    yield event(Delta(), finish=True)
    yield "data: [DONE]\n\n"


def _index_built() -> int:
    """When the index was built (the model's "created"), or 0 while it is not loaded."""
    answerer = get_pipeline().answerer
    if answerer is None:
        return 0
    built = answerer.retriever.index.manifest.get("built_at", "")
    try:
        return int(datetime.fromisoformat(built.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0


# Errors: the app's own handlers answer JSON {"error": {"code", "message"}} (400, 404, 405, 413,
# 415, 429 with Retry-After, 503, 500); under /v1/ the same errors are reshaped for OpenAI's clients.


def openai_error(status: int, message: str, code: str | None, param: str | None = None) -> dict:
    """OpenAI's error body for ``status``."""
    kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def validation_error(exc: ValidationError) -> Response:
    """pydantic's findings in OpenAI's shape: every problem in the message, the first field as ``param``."""
    problems, params, codes = [], [], []
    for err in exc.errors(include_url=False, include_input=False):
        where = _param(err["loc"])
        params.append(where or None)
        if err["type"] == "extra_forbidden":
            problems.append(f"Unrecognized request argument supplied: {where}")
            codes.append("unknown_parameter")
            continue
        message = err["msg"].removeprefix("Value error, ")
        problems.append(message if not where or message.startswith(where) else f"{where}: {message}")
        codes.append("missing_required_parameter" if err["type"] == "missing" else "invalid_value")
    body = openai_error(400, "; ".join(problems), codes[0] if codes else None, params[0] if params else None)
    return Response(json.dumps(body), 400, mimetype="application/json")


_ROLES = {"system", "developer", "user", "assistant"}


def _param(loc: tuple[int | str, ...]) -> str:
    """``messages[2].content`` from pydantic's location, without the union tags it inserts (the role, the part type)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part not in _ROLES:
            text += f".{part}" if text else part
    return text


def reshape_errors(response: Response) -> Response:
    """Any error the app gives under /v1/ (404 and 405 too), in OpenAI's shape; headers such as Retry-After kept."""
    if not request.path.startswith(PREFIX + "/") or response.status_code < 400 or not response.is_json:
        return response
    body = response.get_json(silent=True)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or "type" in error:
        return response  # not the app's shape, or already OpenAI's
    reshaped = openai_error(response.status_code, str(error.get("message", "")), error.get("code"))
    response.set_data(json.dumps(reshaped))
    return response


def init_openai_api(app: OpenAPI) -> None:
    """Register /v1/: the blueprint, OpenAI-shaped validation errors for it, and the reshaping of the app's errors."""
    app.register_api(openai_api)
    app_callback: Callable[[ValidationError], Response] = app.validation_error_callback

    def callback(exc: ValidationError) -> Response:
        return validation_error(exc) if request.blueprint == openai_api.name else app_callback(exc)

    app.validation_error_callback = callback
    app.after_request(reshape_errors)
