"""The API's request and response shapes, declared once: they validate requests and make /openapi.json."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator, model_validator

MAX_QUESTION_CHARS = 1000
# Some character that is white space neither to Python nor to JSON Schema's (ECMA) regexes: the two
# disagree on \s (\x1c-\x1f, \x85, \ufeff), so the class is spelled out and means the same to both.
NOT_BLANK = re.compile(r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")
MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 4000
MAX_HISTORY_CHARS = 20000


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    """A question, with the conversation so far. Unknown fields are rejected, so a typo is never ignored."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="The question, 1 to 1000 characters, not all white space.",
        # Stated in the spec; enforced by not_blank below, which words the error for a person.
        json_schema_extra={"pattern": NOT_BLANK.pattern},
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first (at most 20, 20,000 characters in all).",
    )
    top_k: StrictInt = Field(3, ge=1, le=10, description="How many passages to return.")

    @field_validator("top_k", mode="before")
    @classmethod
    def integral_number(cls, value: object) -> object:
        """JSON Schema's integer includes 6.0, so it is taken as 6; 6.5, "6" and true stay refused."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("question")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not NOT_BLANK.search(value):
            raise ValueError("must contain more than white space")
        return value.strip()

    @model_validator(mode="after")
    def history_within_budget(self) -> AskRequest:
        if sum(len(t.content) for t in self.history) > MAX_HISTORY_CHARS:
            raise ValueError(f"history: at most {MAX_HISTORY_CHARS} characters in all")
        return self


class FeedbackRequest(BaseModel):
    """A reader's rating of one answer."""

    model_config = ConfigDict(extra="forbid")
    rating: Literal["up", "down"]
    question: StrictStr = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: StrictStr = Field(max_length=MAX_TURN_CHARS)
    passage_ids: list[StrictStr] = Field(default_factory=list, max_length=10)
    comment: StrictStr = Field("", max_length=2000)


class FeedbackResponse(BaseModel):
    id: int
    stored: bool


class Highlight(BaseModel):
    start: int = Field(description="Start of the answering sentence within the passage text.")
    end: int


class PassageOut(BaseModel):
    id: str
    rank: int
    document: str = Field(description="Document id (the corpus file name without .txt).")
    title: str
    paragraph: int = Field(description="Paragraph number as a reader counts (0 is the standfirst).")
    start: int = Field(description="Character offset of the passage in the document's source text.")
    end: int
    text: str
    score: float
    highlight: Highlight


class AskResponse(BaseModel):
    answer: str
    answerable: bool
    passages: list[PassageOut]
    confidence: float
    took_ms: float


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    reason: str | None = None
