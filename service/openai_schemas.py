"""The OpenAI-compatible endpoint's shapes: a chat completion request, its replies, its errors and the model list.

They follow OpenAI's chat completions API so that its clients and the chat UIs built on it work
unchanged, and they make the endpoint's part of /openapi.json. The parameters that steer a
generating model (temperature, max_tokens, tools ...) are accepted and have no effect: the reply is
quoted from the article, never generated. Any other field is refused, as OpenAI refuses it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from qa.limits import MAX_QUESTION_CHARS, NOT_BLANK, not_blank

MODEL_ID = "verviers-article"
OWNER = "verviers-qa"

IGNORED = "Accepted for compatibility and ignored: the reply is quoted from the article, not generated."


def _joined_text(value: object) -> object:
    """A message's content as text: a string as it is, a list of text parts joined by newlines.

    Only text is read: an image, audio or file part is refused by name rather than skipped, so a
    question is never answered without what was sent with it.
    """
    if not isinstance(value, list):
        return value
    texts = []
    for i, part in enumerate(value):
        kind = part.get("type") if isinstance(part, dict) else type(part).__name__
        if kind != "text" or not isinstance(part.get("text"), str):
            raise ValueError(f"part {i} is of type {kind!r}; only text parts are taken")
        texts.append(part["text"])
    return "\n".join(texts)


def _content_schema(text: dict) -> WithJsonSchema:
    """A string, or a list of text parts (``{"type": "text", "text": ...}``) read as their joined text."""
    part = {
        "type": "object",
        "properties": {"type": {"const": "text"}, "text": text},
        "required": ["type", "text"],
    }
    return WithJsonSchema({"anyOf": [text, {"type": "array", "items": part, "minItems": 1}]})


def _question_length(value: str) -> str:
    # Said "in all" since parts are counted together; a single string is held to the same number.
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError(f"at most {MAX_QUESTION_CHARS} characters in all")
    return value


# Any message's content, and a user message's: a question (the last one is asked; the earlier ones
# were), under the API's rules for a question.
Content = Annotated[StrictStr, BeforeValidator(_joined_text), _content_schema({"type": "string"})]
QuestionContent = Annotated[
    StrictStr,
    BeforeValidator(_joined_text),
    AfterValidator(_question_length),
    AfterValidator(not_blank),
    _content_schema({"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": NOT_BLANK.pattern}),
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = Field(None, description=IGNORED)


class SystemMessage(_Message):
    """Instructions to a generating model: accepted and ignored, since nothing here is generated."""

    role: Literal["system"]
    content: Content


class DeveloperMessage(SystemMessage):
    role: Literal["developer"]  # type: ignore[assignment]  # OpenAI's newer name for a system message


class UserMessage(_Message):
    """A question: the last user message is the one answered, the earlier ones make the history."""

    role: Literal["user"]
    content: QuestionContent = Field(
        description=f"The question, 1 to {MAX_QUESTION_CHARS} characters (text parts are joined), not blank."
    )


class AssistantMessage(_Message):
    """An earlier reply, kept as history (only its text is read)."""

    role: Literal["assistant"]
    content: Content | None = None
    refusal: StrictStr | None = None
    tool_calls: JsonValue = Field(None, description=IGNORED)
    function_call: JsonValue = Field(None, description=IGNORED)
    audio: JsonValue = Field(None, description=IGNORED)


Message = Annotated[
    SystemMessage | DeveloperMessage | UserMessage | AssistantMessage,
    Field(discriminator="role"),
]


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_usage: StrictBool | None = Field(None, description=IGNORED)
    include_obfuscation: StrictBool | None = Field(None, description=IGNORED)


class ChatCompletionRequest(BaseModel):
    """A conversation; the reply answers its last user message from the article, with citations."""

    model_config = ConfigDict(extra="forbid")
    model: Literal["verviers-article"] = Field(description=f"The one model, `{MODEL_ID}` (see GET /v1/models).")
    messages: list[Message] = Field(
        min_length=1,
        description=(
            "The conversation, oldest first. The last user message is the question; user and assistant messages "
            "before it are the history (trimmed to the latest 20 turns and 20,000 characters); system and "
            "developer messages are ignored."
        ),
        json_schema_extra={"contains": {"type": "object", "properties": {"role": {"const": "user"}}}},
    )
    stream: StrictBool | None = Field(False, description="True: the reply as server-sent events, then `data: [DONE]`.")
    stream_options: StreamOptions | None = None
    n: StrictInt | None = Field(None, ge=1, le=1, description="Only one choice is given.")
    temperature: JsonValue = Field(None, description=IGNORED)
    top_p: JsonValue = Field(None, description=IGNORED)
    max_tokens: JsonValue = Field(None, description=IGNORED)
    max_completion_tokens: JsonValue = Field(None, description=IGNORED)
    presence_penalty: JsonValue = Field(None, description=IGNORED)
    frequency_penalty: JsonValue = Field(None, description=IGNORED)
    logit_bias: JsonValue = Field(None, description=IGNORED)
    logprobs: JsonValue = Field(None, description=IGNORED)
    top_logprobs: JsonValue = Field(None, description=IGNORED)
    seed: JsonValue = Field(None, description=IGNORED)
    stop: JsonValue = Field(None, description=IGNORED)
    user: JsonValue = Field(None, description=IGNORED)
    safety_identifier: JsonValue = Field(None, description=IGNORED)
    prompt_cache_key: JsonValue = Field(None, description=IGNORED)
    metadata: JsonValue = Field(None, description=IGNORED)
    store: JsonValue = Field(None, description=IGNORED)
    service_tier: JsonValue = Field(None, description=IGNORED)
    reasoning_effort: JsonValue = Field(None, description=IGNORED)
    verbosity: JsonValue = Field(None, description=IGNORED)
    response_format: JsonValue = Field(None, description=IGNORED)
    modalities: JsonValue = Field(None, description=IGNORED)
    tools: JsonValue = Field(None, description=IGNORED)
    tool_choice: JsonValue = Field(None, description=IGNORED)
    parallel_tool_calls: JsonValue = Field(None, description=IGNORED)
    functions: JsonValue = Field(None, description=IGNORED)
    function_call: JsonValue = Field(None, description=IGNORED)

    @model_validator(mode="after")
    def has_a_question(self) -> ChatCompletionRequest:
        if not any(isinstance(m, UserMessage) for m in self.messages):
            raise ValueError("messages: must include a user message, the question")
        return self


class ReplyMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(
        description="The answer in Markdown, each [n] a link to the cited paragraph; or the abstention."
    )
    refusal: None = None


class Choice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string", "description": "A chat.completion.chunk as JSON, or [DONE] to end the stream."},
    },
    "required": ["data"],
}


class ChatCompletion(BaseModel):
    """The reply: this JSON, or with ``stream`` true server-sent events of ``chat.completion.chunk``, then [DONE]."""

    # flask-openapi3 adds openapi_extra's content to the response: the streamed form is declared beside the JSON.
    # Before OpenAPI 3.2 (itemSchema), an event stream's schema describes each event: its data is a
    # chat.completion.chunk as JSON, and the last one is [DONE].
    model_config = ConfigDict(openapi_extra={"content": {"text/event-stream": {"schema": SSE_EVENT}}})  # type: ignore[typeddict-unknown-key]
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[Choice]
    usage: None = None  # not counted: no tokens are generated


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    """One server-sent event of a streamed reply (``stream`` true): ``data: <chunk>``, and last ``data: [DONE]``."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str = MODEL_ID
    choices: list[ChunkChoice]


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = OWNER


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


class OpenAIErrorBody(BaseModel):
    message: str
    type: str = Field(description="invalid_request_error, rate_limit_error or server_error.")
    param: str | None = Field(description="The request field at fault, when one is.")
    code: str | None


class OpenAIError(BaseModel):
    """OpenAI's error shape, for every error under /v1/."""

    error: OpenAIErrorBody
