"""The JSON API: POST /api/ask. Views are thin: validate, ask the answerer, shape the reply."""

from __future__ import annotations

import logging

from flask import Response, request
from flask_openapi3 import APIBlueprint, Tag

from index import UnknownDocument
from qa.feedback import FeedbackError

from .errors import error_response
from .observability import question_fields, record_answer
from .schemas import AskRequest, AskResponse, ErrorResponse, FeedbackRequest, FeedbackResponse
from .state import get_answerer, get_feedback_store

log = logging.getLogger(__name__)
api = APIBlueprint("api", __name__, url_prefix="/api", abp_tags=[Tag(name="questions")])


@api.before_request
def require_json():
    """Refuse a body that is not JSON before validation, naming the actual problem."""
    if request.method == "POST":
        if not request.is_json:
            return error_response(
                415, "unsupported_media_type", "Send the request body as JSON with Content-Type: application/json."
            )
        if request.get_json(silent=True) is None:
            return error_response(400, "invalid_json", "The request body is not valid JSON.")
        if not isinstance(request.get_json(), dict):
            return error_response(400, "invalid_request", "The request body must be a JSON object.")
    return None


@api.post(
    "/ask",
    summary="Ask the article a question",
    responses={
        200: AskResponse,
        400: ErrorResponse,
        413: ErrorResponse,
        415: ErrorResponse,
        429: ErrorResponse,
        503: ErrorResponse,
    },
)
def ask(body: AskRequest):
    """Answer from the article: a short extractive answer and the cited passages, or an abstention."""
    history = [turn.model_dump() for turn in body.history]
    try:
        result = get_answerer().ask(body.question, history, body.top_k, body.document)
    except UnknownDocument as exc:
        return error_response(400, "unknown_document", str(exc))
    record_answer(result)
    if log.isEnabledFor(logging.INFO):  # the fields are built only when the line is written
        log.info(
            "answered",
            extra={**question_fields(body.question), "turns": len(history), "answerable": result.answerable},
        )
    # Serialised once, by pydantic, in the model's field order (not model_dump, then Flask's encoder).
    return Response(result.model_dump_json(), mimetype="application/json")


@api.post(
    "/feedback",
    summary="Rate an answer",
    responses={
        201: FeedbackResponse,
        400: ErrorResponse,
        413: ErrorResponse,
        415: ErrorResponse,
        429: ErrorResponse,
        503: ErrorResponse,
        507: ErrorResponse,
    },
)
def feedback(body: FeedbackRequest):
    """Store a 👍 / 👎 on an answer, with the question, the answer and the cited passage ids.

    503 when the database cannot be used now (down, or its tables not migrated), 507 when it is full;
    either way the rating was not stored and the message says so.
    """
    try:
        row = get_feedback_store().record(
            body.rating, body.question, body.answer, body.passage_ids, source="api", comment=body.comment
        )
    except FeedbackError as exc:
        if exc.full:
            return error_response(507, "feedback_not_stored", str(exc))
        return error_response(503, "feedback_unavailable", str(exc))
    return {"id": row, "stored": True}, 201
