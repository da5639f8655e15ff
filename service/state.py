"""The heavy parts of one process (encoder, index, retriever, answerer), built once in create_app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from index import IndexError_, ModelError, Retriever, SentenceTransformerEncoder, load_index

from .answers import Answerer

log = logging.getLogger(__name__)


@dataclass
class QAState:
    """What the views need: an answerer when the index is ready, else the reason it is not."""

    answerer: Answerer | None = None
    error: IndexError_ | None = None


def build_state(config: dict, retriever: Retriever | None = None) -> QAState:
    """Load the model and the index, or record why the index cannot serve.

    A missing or unreadable model is a start-up error (nothing could ever be answered); a
    missing, stale or corrupt index leaves the process up, reporting 503 with the fix.
    """
    threshold = float(config["ABSTAIN_THRESHOLD"])
    if retriever is not None:
        return QAState(Answerer(retriever, threshold))
    model_dir = Path(config["MODEL_DIR"]) if config.get("MODEL_DIR") else None
    encoder = SentenceTransformerEncoder(model_dir, threads=int(config["TORCH_THREADS"]))
    try:
        index = load_index(Path(config["INDEX_DIR"]), Path(config["CORPUS_DIR"]), encoder)
    except IndexError_ as exc:
        log.error("index not ready: %s", exc)
        return QAState(error=exc)
    log.info("index ready: %d passages from %s", index.manifest["passages"], config["INDEX_DIR"])
    return QAState(Answerer(Retriever(encoder, index), threshold))


def get_state() -> QAState:
    return current_app.extensions["qa"]


def get_answerer() -> Answerer:
    """The process's answerer; raises the index error (turned into a 503) when there is none."""
    state = get_state()
    if state.answerer is None:
        raise state.error or ModelError("The answering pipeline is not loaded.")
    return state.answerer
