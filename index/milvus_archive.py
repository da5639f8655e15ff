"""Build, add to and remove from the index in Milvus; the same steps as ``archive.py`` for FAISS.

Milvus holds the corpus as well as its index: each document's source files are stored with its
rows (``MilvusStore.write_document``), and the corpus record's checksum is computed from them as
``corpus_checksum`` computes a folder's. A worker therefore needs no corpus folder: what it
serves, article pages included, is what is in Milvus. ``build`` reads a folder (the operator's
input); ``add`` and ``remove`` change Milvus, and mirror the change into a local corpus folder
only when that folder holds the same corpus as Milvus (``in_step``), so a later ``build`` from it
gives the same index; a host whose folder differs (or has none) changes Milvus alone.

Milvus has no transaction over several collections: a document's old rows are deleted and its
new rows inserted, then the corpus record (version, checksum, documents) is written last. Workers
refresh their corpus-wide statistics only when that record's version changes, so they never mix
statistics of one corpus with rows of another for longer than a question that is in flight.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from .archive import apply_files, files_of, read_new_document, with_document, without_document
from .corpus import corpus_checksum, corpus_files, files_checksum, load_corpus
from .encoded import Encoded, encode
from .encoder import Encoder
from .errors import IndexStale
from .milvus_store import FORMAT_VERSION, REBUILD, MilvusStore


def check_record(record: dict, uri: str, encoder: Encoder) -> None:
    """Refuse an index in Milvus built with another model (the corpus it serves is the one stored with it)."""
    if record.get("model_checksum") != encoder.checksum or record.get("dimension") != encoder.dimension:
        raise IndexStale(
            f"Milvus at {uri} holds vectors of model {record.get('model')!r}, "
            f"not of the configured {encoder.name!r} (weights differ).",
            REBUILD,
        )


def in_step(corpus_dir: Path | None, record: dict) -> bool:
    """Whether ``corpus_dir`` holds the corpus the record describes (so an add or remove is mirrored there)."""
    return (
        corpus_dir is not None
        and Path(corpus_dir).is_dir()
        and corpus_checksum(corpus_dir) == record.get("corpus_checksum")
    )


def milvus_build(
    corpus_dir: Path,
    store: MilvusStore,
    encoder: Encoder,
    max_words: int = 160,
    parts: Mapping[str, Encoded] | None = None,
) -> dict:
    """Load, cut, embed and write the whole corpus, its source files included, into Milvus (recreated).

    ``parts`` are the documents already encoded (a FAISS index of the same corpus and model, read
    back by ``archive.stored_parts``): moving from the embedded default to Milvus then costs the
    writes only, not a second encoding of the archive.
    """
    started = time.perf_counter()
    documents = load_corpus(Path(corpus_dir))
    files = corpus_files(Path(corpus_dir))
    store.create(encoder.dimension)
    counts = {}
    for document in documents:
        part = parts[document.id] if parts is not None else encode([document], encoder, max_words)
        store.write_document(document.id, part, files_of(files, document.id))
        counts[document.id] = {"passages": len(part.passages), "sentences": part.sentence_count}
    for name in sorted(set(files) - {n for doc in documents for n in files_of(files, doc.id)}):
        store.write_files(name.rsplit(".", 1)[0], {name: files[name]})  # metadata with no text: in the checksum
    return _write_record(store, encoder, counts, files_checksum(files), 1, max_words, started)


def milvus_add(store: MilvusStore, encoder: Encoder, path: Path, corpus_dir: Path | None = None) -> dict:
    """Add or replace the document in ``path``: encode it alone, swap its rows and sources.

    The file is copied into ``corpus_dir`` too when that folder is in step with Milvus (``in_step``).
    """
    started = time.perf_counter()
    document = read_new_document(Path(path))
    record = store.corpus()
    check_record(record, store.uri, encoder)
    max_words = int(record.get("max_words", 160))
    part = encode([document], encoder, max_words)
    files = with_document(store.sources(), Path(path))
    mirror = in_step(corpus_dir, record)
    store.delete_document(document.id)
    store.write_document(document.id, part, files_of(files, document.id))
    if mirror and corpus_dir is not None:
        apply_files(Path(corpus_dir), files)
    counts = {**record["documents"], document.id: {"passages": len(part.passages), "sentences": part.sentence_count}}
    version = int(record["corpus_version"]) + 1
    return _write_record(store, encoder, counts, files_checksum(files), version, max_words, started)


def milvus_remove(store: MilvusStore, encoder: Encoder, document: str, corpus_dir: Path | None = None) -> dict:
    """Remove ``document``'s rows and sources from Milvus (and from ``corpus_dir`` when it is in step)."""
    started = time.perf_counter()
    record = store.corpus()
    check_record(record, store.uri, encoder)
    files = without_document(store.sources(), document, f"Milvus at {store.uri}")
    mirror = in_step(corpus_dir, record)
    store.delete_document(document)
    if mirror and corpus_dir is not None:
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
