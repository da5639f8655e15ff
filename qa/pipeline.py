"""The answering pipeline assembled from settings: encoder, index, retriever and answerer, built once a process.

This is the one place that knows how the parts of ``index`` fit together for serving; the web
app, the evaluator and any script get a ready ``Pipeline`` from ``build_pipeline``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import faiss

from index import (
    Document,
    Encoder,
    IndexError_,
    IndexStale,
    ModelError,
    Retriever,
    SentenceTransformerEncoder,
    load_corpus,
    load_index,
)
from index.batching import BatchingEncoder
from index.encoder import default_model_dir
from index.errors import EngineUnavailable
from index.milvus_retriever import MilvusRetriever
from index.milvus_store import MilvusStore
from index.onnx_encoder import ONNX_FILE, OnnxEncoder
from index.store import MANIFEST, REBUILD, read_manifest

from .abstention import Abstention
from .answers import Answerer, AnswerOptions
from .settings import missing_model

log = logging.getLogger(__name__)


class Pipeline:
    """An answerer when the index is ready, else the reason it is not (reported as 503 by the service),
    and the documents it answers from (the article pages and MCP resources read them here).

    With a ``source`` it follows the index as it grows: at most once a second (``CHECK_EVERY``) it
    asks the source for the corpus version (FAISS: one stat() of the manifest; Milvus: one read of
    the corpus record), and on a new version loads the new index and its documents and swaps both,
    with no restart. A new version that fails to load leaves the old one answering; an engine that
    stops answering makes the pipeline unavailable (503 with the reason) until it is back, while the
    documents last loaded stay readable.
    """

    CHECK_EVERY = 1.0

    def __init__(
        self,
        answerer: Answerer | None = None,
        error: IndexError_ | None = None,
        source: IndexSource | None = None,
        version: object = None,
        documents: Mapping[str, Document] | None = None,
    ) -> None:
        self._answerer = answerer
        self._documents: Mapping[str, Document] = documents or {}
        self._error = error
        self._source = source
        self._version = version  # the source's version when ``answerer`` was loaded
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @property
    def answerer(self) -> Answerer | None:
        self._refresh()
        return self._answerer if self._error is None else None

    @property
    def error(self) -> IndexError_ | None:
        self._refresh()
        return self._error

    @property
    def documents(self) -> Mapping[str, Document]:
        """The documents of the corpus version answering, by id (those last loaded while the index is unavailable)."""
        self._refresh()
        return self._documents

    def require(self) -> Answerer:
        """The answerer; raises the index error when there is none."""
        answerer = self.answerer
        if answerer is None:
            raise self._error or IndexError_("The answering pipeline is not loaded.")
        return answerer

    def _refresh(self) -> None:
        """Swap in a new corpus version, at most one check a second, one thread loading at a time."""
        source = self._source
        if source is None or time.monotonic() - self._checked < self.CHECK_EVERY:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking; this request answers from what is there
        try:
            self._checked = time.monotonic()
            try:
                version = source.version()
                if version == self._version and self._answerer is not None:
                    self._error = None
                    return
                answerer = source.load()
                documents = source.documents()
            except IndexError_ as exc:
                if self._answerer is None or isinstance(exc, EngineUnavailable):
                    self._error = exc  # nothing to answer with, or the engine itself is gone
                log.error("index not refreshed: %s", exc)
                return
            log.info("index refreshed: corpus version %s", answerer.retriever.index.manifest.get("corpus_version"))
            self._answerer, self._documents, self._version, self._error = answerer, documents, version, None
        finally:
            self._lock.release()


class IndexSource(Protocol):
    """Where a pipeline's index comes from, and how it tells a new corpus version."""

    def version(self) -> object: ...

    def load(self) -> Answerer: ...

    def documents(self) -> dict[str, Document]: ...


@dataclass
class FaissSource:
    """The index directory: its version is the manifest file's identity, one stat() to read."""

    settings: Mapping[str, Any]
    encoder: Encoder
    options: AnswerOptions

    def version(self) -> object:
        try:
            stat = (Path(self.settings["INDEX_DIR"]) / MANIFEST).stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def load(self) -> Answerer:
        index = load_index(Path(self.settings["INDEX_DIR"]), Path(self.settings["CORPUS_DIR"]), self.encoder)
        log.info("index ready: %d passages from %s", index.manifest["passages"], self.settings["INDEX_DIR"])
        retriever = Retriever(self.encoder, index, cache_size=int(self.settings["QUERY_CACHE_SIZE"]))
        return Answerer(retriever, self.options)

    def documents(self) -> dict[str, Document]:
        """The corpus folder's documents, parsed as the index was built from them."""
        return folder_documents(Path(self.settings["CORPUS_DIR"]))


@dataclass
class MilvusSource:
    """The index in Milvus: its version is the corpus record's version and checksum."""

    settings: Mapping[str, Any]
    encoder: Encoder
    options: AnswerOptions
    store: MilvusStore | None = None

    def _store(self) -> MilvusStore:
        if self.store is None:
            self.store = MilvusStore(str(self.settings["MILVUS_URI"]))
        return self.store

    def version(self) -> object:
        record = self._store().corpus()
        return (record.get("corpus_version"), record.get("corpus_checksum"))

    def load(self) -> Answerer:
        retriever = MilvusRetriever(
            self.encoder,
            self._store(),
            lexical=str(self.settings["MILVUS_LEXICAL"]),
            cache_size=int(self.settings["QUERY_CACHE_SIZE"]),
        )
        log.info("index ready: %d passages in Milvus at %s", retriever.index.manifest["passages"], self._store().uri)
        return Answerer(retriever, self.options)

    def documents(self) -> dict[str, Document]:
        """The documents stored in Milvus with the index (no corpus folder is read)."""
        return self._store().documents()


def build_pipeline(settings: Mapping[str, Any], retriever: Retriever | None = None) -> Pipeline:
    """Load the model and the index, or record why the index cannot serve.

    A missing or unreadable model raises ``ModelError``: nothing could ever be answered, so the
    process should not start. A missing, stale or corrupt index, or an unreachable Milvus, leaves
    the process up, reporting 503 with the fix, since a rebuild (or Milvus coming back) repairs it.
    ``retriever`` replaces the loading (tests); the documents are then the corpus folder's.
    """
    options = AnswerOptions(abstention=Abstention(threshold=float(settings["ABSTAIN_THRESHOLD"])))
    milvus = settings.get("VECTOR_STORE", "faiss") == "milvus"
    in_folder = partial(folder_documents, Path(settings["CORPUS_DIR"]))
    if retriever is not None:
        return Pipeline(Answerer(retriever, options), documents=_documents_or_none(in_folder))
    faiss.omp_set_num_threads(1)  # one core per worker; exact search over a small index needs no more
    source: IndexSource | None = None
    try:
        encoder = make_encoder(settings)
        source = MilvusSource(settings, encoder, options) if milvus else FaissSource(settings, encoder, options)
        version = source.version()  # read before loading: a change during the load is seen at the next check
        return Pipeline(source.load(), source=source, version=version, documents=source.documents())
    except ModelError:
        raise
    except IndexError_ as exc:
        log.error("index not ready: %s", exc)
        # The pages still read the documents when only the index is wrong (missing, stale, another model):
        # FAISS's from the folder; Milvus's from Milvus, unless it is unreachable (not asked twice).
        documents = {}
        if not milvus:
            documents = _documents_or_none(in_folder)
        elif source is not None and not isinstance(exc, EngineUnavailable):
            documents = _documents_or_none(source.documents)
        return Pipeline(error=exc, source=source, documents=documents)


def folder_documents(corpus_dir: Path) -> dict[str, Document]:
    """The corpus folder's documents by id, parsed as an index is built from them (CorpusError if unreadable)."""
    return {doc.id: doc for doc in load_corpus(corpus_dir)}


def _documents_or_none(read: Callable[[], dict[str, Document]]) -> dict[str, Document]:
    """The documents ``read`` gives, or none (logged): the index then reports why it is not ready."""
    try:
        return read()
    except IndexError_ as exc:
        log.error("documents not readable: %s", exc)
        return {}


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
        if settings.get("VECTOR_STORE", "faiss") == "faiss":
            read_manifest(Path(settings["INDEX_DIR"]))  # no index at all says so first
        raise IndexStale(f"The index in {settings['INDEX_DIR']} has no ONNX model.", REBUILD)
    encoder = OnnxEncoder(onnx_path, folder, threads=threads)
    # Questions that arrive together are encoded in one run (index/batching.py): through ONNX Runtime
    # each question's vectors are the same bit for bit whatever the batch, which was not measured for torch.
    batch = int(settings.get("ENCODE_BATCH", 1))
    return BatchingEncoder(encoder, batch) if batch > 1 else encoder
