"""The heavy parts of one process (encoder, index, retriever, answerer), built once in create_app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import faiss
from flask import current_app

from index import Encoder, IndexError_, IndexStale, ModelError, Retriever, SentenceTransformerEncoder, load_index
from index.encoder import default_model_dir
from index.onnx_encoder import ONNX_FILE, OnnxEncoder
from index.store import REBUILD, read_manifest

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
    faiss.omp_set_num_threads(1)  # one core per worker; exact search over a small index needs no more
    try:
        encoder = make_encoder(config)
        index = load_index(Path(config["INDEX_DIR"]), Path(config["CORPUS_DIR"]), encoder)
    except IndexError_ as exc:
        log.error("index not ready: %s", exc)
        return QAState(error=exc)
    log.info("index ready: %d passages from %s", index.manifest["passages"], config["INDEX_DIR"])
    retriever = Retriever(encoder, index, cache_size=int(config["QUERY_CACHE_SIZE"]))
    return QAState(Answerer(retriever, threshold))


def make_encoder(config: dict) -> Encoder:
    """The question encoder the settings ask for: ONNX Runtime (default) or sentence-transformers.

    ONNX gives the same vectors in about half the time and keeps torch out of the server process
    (faster start, less memory); its graph lives in the index directory, written at build time.
    """
    model_dir = Path(config["MODEL_DIR"]) if config.get("MODEL_DIR") else default_model_dir()
    if not (model_dir / "config.json").exists():
        raise ModelError(f"No model found at {model_dir}.", "Set QA_MODEL_DIR to a sentence-transformers folder.")
    threads = int(config["ENCODER_THREADS"])
    if config["ENCODER"] == "torch":
        return SentenceTransformerEncoder(model_dir, threads=threads)
    if config["ENCODER"] != "onnx":
        raise ModelError(f"Unknown encoder {config['ENCODER']!r}.", "Set QA_ENCODER to 'onnx' or 'torch'.")
    onnx_path = Path(config["INDEX_DIR"]) / ONNX_FILE
    if not onnx_path.exists():
        read_manifest(Path(config["INDEX_DIR"]))  # no index at all says so first
        raise IndexStale(f"The index in {config['INDEX_DIR']} has no ONNX model.", REBUILD)
    return OnnxEncoder(onnx_path, model_dir, threads=threads)


def get_state() -> QAState:
    return current_app.extensions["qa"]


def get_answerer() -> Answerer:
    """The process's answerer; raises the index error (turned into a 503) when there is none."""
    state = get_state()
    if state.answerer is None:
        raise state.error or ModelError("The answering pipeline is not loaded.")
    return state.answerer
