"""The API's request and response shapes, declared once: they validate requests and make /openapi.json.

The answer's shape is the core's own ``qa.models.Answer``: what the answerer returns is what the
API serialises and documents.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator, model_validator

from qa.limits import (
    MAX_HISTORY_CHARS,
    MAX_HISTORY_TURNS,
    MAX_QUESTION_CHARS,
    MAX_TOP_K,
    MAX_TURN_CHARS,
    NOT_BLANK,
    TOP_K,
    not_blank,
)
from qa.models import Answer as AskResponse
from qa.models import Turn

__all__ = ["AskRequest", "AskResponse", "ErrorResponse", "FeedbackRequest", "FeedbackResponse", "Health", "Turn"]


class AskRequest(BaseModel):
    """A question, with the conversation so far. Unknown fields are rejected, so a typo is never ignored."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description=f"The question, 1 to {MAX_QUESTION_CHARS} characters, not all white space.",
        # Stated in the spec; enforced by not_blank below, which words the error for a person.
        json_schema_extra={"pattern": NOT_BLANK.pattern},
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description=(
            f"Earlier turns, oldest first (at most {MAX_HISTORY_TURNS}, {MAX_HISTORY_CHARS:,} characters in all)."
        ),
    )
    top_k: StrictInt = Field(TOP_K, ge=1, le=MAX_TOP_K, description="How many passages to return.")
    document: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=256,
        description=(
            "Answer from this document only: its id, as the cited passages' `document` gives it. By default the "
            "search chooses the document (an archive of several). An id the corpus does not hold is refused with "
            "400 `unknown_document`."
        ),
    )

    @field_validator("top_k", mode="before")
    @classmethod
    def integral_number(cls, value: object) -> object:
        """JSON Schema's integer includes 6.0, so it is taken as 6; 6.5, "6" and true stay refused."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("question")
    @classmethod
    def question_not_blank(cls, value: str) -> str:
        return not_blank(value).strip()

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
    passage_ids: list[StrictStr] = Field(default_factory=list, max_length=MAX_TOP_K)
    comment: StrictStr = Field("", max_length=2000)


class FeedbackResponse(BaseModel):
    id: int
    stored: bool


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    reason: str | None = None
    # The corpus version the index serves (1 when built, one more at each add or remove).
    corpus_version: int | None = None
    # With QA_DATABASE_URL: "ok", or what keeps ratings and Slack's event ids from being stored.
    database: str | None = None
