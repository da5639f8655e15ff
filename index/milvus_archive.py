"""Build, add to and remove from the index in Milvus; the same steps as ``archive.py`` for FAISS.

Milvus has no transaction over several collections: a document's old rows are deleted and its
new rows inserted, then the corpus record (version, checksum, documents) is written last. Workers
refresh their corpus-wide statistics only when that record's version changes, so they never mix
statistics of one corpus with rows of another for longer than a question that is in flight.
"""

from __future__ import annotations

import time
from pathlib import Path

from .archive import apply_files, files_after_add, files_after_remove, read_new_document
from .corpus import corpus_checksum, files_checksum, load_corpus
from .encoded import encode
from .encoder import Encoder
from .errors import IndexStale
from .milvus_store import FORMAT_VERSION, REBUILD, MilvusStore


def check_record(record: dict, uri: str, corpus_dir: Path | None, encoder: Encoder) -> None:
    """Refuse an index in Milvus built with another model, or from another corpus than the configured one."""
    if record.get("model_checksum") != encoder.checksum or record.get("dimension") != encoder.dimension:
        raise IndexStale(
            f"Milvus at {uri} holds vectors of model {record.get('model')!r}, "
            f"not of the configured {encoder.name!r} (weights differ).",
            REBUILD,
        )
    if corpus_dir is not None and record.get("corpus_checksum") != corpus_checksum(corpus_dir):
        raise IndexStale(f"The corpus in {corpus_dir} differs from the one indexed in Milvus at {uri}.", REBUILD)


def milvus_build(corpus_dir: Path, store: MilvusStore, encoder: Encoder, max_words: int = 160) -> dict:
    """Load, cut, embed and write the whole corpus into Milvus (the collections are recreated)."""
    started = time.perf_counter()
    documents = load_corpus(Path(corpus_dir))
    store.create(encoder.dimension)
    counts = {}
    for document in documents:
        part = encode([document], encoder, max_words)
        store.write_document(document.id, part)
        counts[document.id] = {"passages": len(part.passages), "sentences": part.sentence_count}
    return _write_record(store, encoder, counts, corpus_checksum(Path(corpus_dir)), 1, max_words, started)


def milvus_add(corpus_dir: Path, store: MilvusStore, encoder: Encoder, path: Path) -> dict:
    """Add or replace the document in ``path``: encode it alone, swap its rows, copy it into the corpus folder."""
    started = time.perf_counter()
    document = read_new_document(path)
    record = store.corpus()
    check_record(record, store.uri, Path(corpus_dir), encoder)
    max_words = int(record.get("max_words", 160))
    part = encode([document], encoder, max_words)
    files = files_after_add(Path(corpus_dir), Path(path))
    store.delete_document(document.id)
    store.write_document(document.id, part)
    apply_files(Path(corpus_dir), files)
    counts = {**record["documents"], document.id: {"passages": len(part.passages), "sentences": part.sentence_count}}
    version = int(record["corpus_version"]) + 1
    return _write_record(store, encoder, counts, files_checksum(files), version, max_words, started)


def milvus_remove(corpus_dir: Path, store: MilvusStore, encoder: Encoder, document: str) -> dict:
    """Remove ``document``'s rows from Milvus and its file from the corpus folder."""
    started = time.perf_counter()
    files = files_after_remove(Path(corpus_dir), document)
    record = store.corpus()
    check_record(record, store.uri, Path(corpus_dir), encoder)
    store.delete_document(document)
    apply_files(Path(corpus_dir), files)
    counts = {doc: n for doc, n in record["documents"].items() if doc != document}
    version = int(record["corpus_version"]) + 1
    return _write_record(store, encoder, counts, files_checksum(files), version, int(record["max_words"]), started)


def _write_record(
    store: MilvusStore, encoder: Encoder, counts: dict, checksum: str, version: int, max_words: int, started: float
) -> dict:
    record = {
        "format": FORMAT_VERSION,
        "engine": "milvus",
        "model": encoder.name,
        "model_checksum": encoder.checksum,
        "dimension": encoder.dimension,
        "max_tokens": encoder.max_tokens,
        "max_words": max_words,
        "corpus_checksum": checksum,
        "corpus_version": version,
        "documents": dict(sorted(counts.items())),
        "passages": sum(n["passages"] for n in counts.values()),
        "sentences": sum(n["sentences"] for n in counts.values()),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    store.write_corpus(record)
    return record
