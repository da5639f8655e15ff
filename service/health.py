"""Liveness and readiness: /healthz (the process answers) and /readyz (the index can serve)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from .schemas import Health
from .state import get_databases, get_pipeline

health = APIBlueprint("health", __name__, abp_tags=[Tag(name="health")])


@health.get("/healthz", responses={200: Health})
def healthz():
    """The process is up."""
    return {"status": "ok"}


@health.get("/readyz", responses={200: Health, 503: Health})
def readyz():
    """The index is loaded and matches the corpus and the model; and how the shared database is.

    Readiness is about answering, which needs no database: a database that is down or not
    migrated is reported in ``database`` (with QA_DATABASE_URL) and leaves the status as it is.
    """
    pipeline = get_pipeline()
    db = get_databases().shared
    shared = {} if db is None else {"database": db.problem() or "ok"}
    answerer = pipeline.answerer  # follows a new corpus version (qa.pipeline.Pipeline)
    if answerer is None:
        return {"status": "unavailable", "reason": str(pipeline.error), **shared}, 503
    manifest = answerer.retriever.index.manifest
    reason = f"{manifest['passages']} passages from {len(manifest['documents'])} document(s), model {manifest['model']}"
    return {"status": "ready", "reason": reason, "corpus_version": manifest.get("corpus_version", 1), **shared}
