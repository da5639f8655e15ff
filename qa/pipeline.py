"""The answering pipeline assembled from settings: encoder, index, retriever and answerer, built once a process.

This is the one place that knows how the parts of ``index`` fit together for serving; the web
app, the evaluator and any script get a ready ``Pipeline`` from ``build_pipeline``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss

from index import Encoder, IndexError_, IndexStale, ModelError, Retriever, SentenceTransformerEncoder, load_index
from index.encoder import default_model_dir
from index.onnx_encoder import ONNX_FILE, OnnxEncoder
from index.store import REBUILD, read_manifest

from .abstention import Abstention
from .answers import Answerer, AnswerOptions
from .settings import missing_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pipeline:
    """An answerer when the index is ready, else the reason it is not (reported as 503 by the service)."""

    answerer: Answerer | None = None
    error: IndexError_ | None = None

    def require(self) -> Answerer:
        """The answerer; raises the index error when there is none."""
        if self.answerer is None:
            raise self.error or IndexError_("The answering pipeline is not loaded.")
        return self.answerer


def build_pipeline(settings: Mapping[str, Any], retriever: Retriever | None = None) -> Pipeline:
    """Load the model and the index, or record why the index cannot serve.

    A missing or unreadable model raises ``ModelError``: nothing could ever be answered, so the
    process should not start. A missing, stale or corrupt index leaves the process up, reporting
    503 with the fix, since a rebuild repairs it. ``retriever`` replaces the loading (tests).
    """
    options = AnswerOptions(abstention=Abstention(threshold=float(settings["ABSTAIN_THRESHOLD"])))
    if retriever is not None:
        return Pipeline(Answerer(retriever, options))
    faiss.omp_set_num_threads(1)  # one core per worker; exact search over a small index needs no more
    try:
        encoder = make_encoder(settings)
        index = load_index(Path(settings["INDEX_DIR"]), Path(settings["CORPUS_DIR"]), encoder)
    except ModelError:
        raise
    except IndexError_ as exc:
        log.error("index not ready: %s", exc)
        return Pipeline(error=exc)
    log.info("index ready: %d passages from %s", index.manifest["passages"], settings["INDEX_DIR"])
    retriever = Retriever(encoder, index, cache_size=int(settings["QUERY_CACHE_SIZE"]))
    return Pipeline(Answerer(retriever, options))


def model_dir(settings: Mapping[str, Any]) -> Path:
    """The embedding model's folder; raises ``ModelError`` naming QA_MODEL_DIR when it holds no model."""
    path = Path(settings["MODEL_DIR"]) if settings.get("MODEL_DIR") else default_model_dir()
    problem = missing_model(path)
    if problem:
        raise ModelError(*problem)
    return path


def make_encoder(settings: Mapping[str, Any]) -> Encoder:
    """The question encoder the settings ask for: ONNX Runtime (default) or sentence-transformers.

    ONNX gives the same vectors in about half the time and keeps torch out of the server process
    (faster start, less memory); its graph lives in the index directory, written at build time.
    """
    folder = model_dir(settings)
    threads = int(settings["ENCODER_THREADS"])
    if settings["ENCODER"] == "torch":
        return SentenceTransformerEncoder(folder, threads=threads)
    if settings["ENCODER"] != "onnx":
        raise ModelError(f"Unknown encoder {settings['ENCODER']!r}.", "Set QA_ENCODER to 'onnx' or 'torch'.")
    onnx_path = Path(settings["INDEX_DIR"]) / ONNX_FILE
    if not onnx_path.exists():
        read_manifest(Path(settings["INDEX_DIR"]))  # no index at all says so first
        raise IndexStale(f"The index in {settings['INDEX_DIR']} has no ONNX model.", REBUILD)
    return OnnxEncoder(onnx_path, folder, threads=threads)
