"""A growing archive: add, replace or remove one document without re-encoding the others.

With FAISS the corpus folder and the index always describe the same documents: ``add`` copies the
file (and its ``<stem>.json`` metadata) into the corpus folder, ``remove`` deletes it there, and both
write the index for the new set with the corpus version one higher. (With Milvus the corpus is kept
in Milvus, and a folder only mirrors it: ``milvus_archive.py``.) The corpus is handled as its files
by name (``with_document``, ``without_document``), whether they come from a folder or from Milvus.
Only the added document is encoded; every other document's vectors, token vectors and token ids
are reused as stored.

The order is what keeps a running worker consistent: the document is read and encoded first (a
text that fails to load raises ``CorpusError`` and changes nothing), the new index is written
aside, then the corpus folder changes, then the index is swapped in (FAISS: a directory rename;
Milvus: the corpus record, written last, which workers watch).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from .corpus import Document, corpus_files, files_checksum, load_document
from .encoded import Encoded, concat, encode
from .encoder import Encoder
from .errors import CorpusError, IndexStale
from .onnx_encoder import ONNX_FILE
from .store import REBUILD, Index, load_index, write_index

_DOCUMENT_ID = re.compile(r"^[\w.-]+$")


def read_new_document(path: Path) -> Document:
    """The document in ``path``, refused with the reason when it cannot be served (CorpusError)."""
    path = Path(path)
    if path.suffix != ".txt":
        raise CorpusError(f"{path.name} is not a .txt document.", "Documents are UTF-8 .txt files.")
    if not _DOCUMENT_ID.match(path.stem):
        raise CorpusError(f"{path.stem!r} is not a usable document id.", "Name the file with letters, digits, - or _.")
    document = load_document(path)
    if not document.paragraphs:
        raise CorpusError(f"{path.name} holds no paragraphs to index.", "Check that it is the article's text.")
    return document


def with_document(files: dict[str, bytes], path: Path) -> dict[str, bytes]:
    """The corpus ``files`` (by name) once ``path`` (and its metadata beside it) is added or replaces its namesake."""
    files = dict(files)
    files.pop(f"{path.stem}.json", None)  # a replaced document's old metadata goes with it
    files[path.name] = path.read_bytes()
    meta = path.with_suffix(".json")
    if meta.exists():
        files[meta.name] = meta.read_bytes()
    return files


def without_document(files: dict[str, bytes], document: str, where: str) -> dict[str, bytes]:
    """The corpus ``files`` once ``document`` is removed; CorpusError when it is not there (``where``) or the last."""
    if f"{document}.txt" not in files:
        raise CorpusError(f"No document {document!r} in {where}.", "`python -m index info` lists them.")
    if sum(name.endswith(".txt") for name in files) == 1:
        raise CorpusError(f"{document!r} is the only document.", "An index needs at least one; add another first.")
    return {name: data for name, data in files.items() if name not in (f"{document}.txt", f"{document}.json")}


def files_of(files: dict[str, bytes], document: str) -> dict[str, bytes]:
    """``document``'s own files among ``files``: its text and its metadata, if any."""
    return {name: files[name] for name in (f"{document}.txt", f"{document}.json") if name in files}


def apply_files(corpus_dir: Path, files: dict[str, bytes]) -> None:
    """Make the corpus folder hold exactly ``files`` (each written to a temporary name and renamed)."""
    corpus_dir = Path(corpus_dir)
    current = corpus_files(corpus_dir)
    for name, data in files.items():
        if current.get(name) != data:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=corpus_dir)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, corpus_dir / name)
    for name in set(current) - set(files):
        (corpus_dir / name).unlink()


def stored_parts(index: Index) -> dict[str, Encoded]:
    """Every document's rows as the FAISS index stores them (nothing re-encoded)."""
    if index.token_ids is None:
        raise IndexStale("The index predates adding and removing documents (no token ids).", REBUILD)
    whole = Encoded(
        index.passages,
        index.sentence_faiss.reconstruct_n(0, index.sentence_faiss.ntotal),
        index.passage_faiss.reconstruct_n(0, index.passage_faiss.ntotal),
        index.token_vectors,
        index.token_offsets,
        index.token_ids,
    )
    return {doc: whole.only(doc) for doc in whole.documents()}


def faiss_add(corpus_dir: Path, index_dir: Path, encoder: Encoder, path: Path) -> dict:
    """Add (or replace) the document in ``path``: encode it alone, write the index, copy it into the corpus."""
    started = time.perf_counter()
    document = read_new_document(path)
    index = load_index(index_dir, corpus_dir, encoder)
    parts = stored_parts(index)
    parts[document.id] = encode([document], encoder, int(index.manifest.get("max_words", 160)))
    files = with_document(corpus_files(corpus_dir), Path(path))
    return _faiss_write(corpus_dir, index_dir, encoder, index, parts, files, started)


def faiss_remove(corpus_dir: Path, index_dir: Path, encoder: Encoder, document: str) -> dict:
    """Remove ``document`` from the index and the corpus folder, reusing every other document's rows."""
    started = time.perf_counter()
    files = without_document(corpus_files(corpus_dir), document, str(corpus_dir))
    index = load_index(index_dir, corpus_dir, encoder)
    parts = stored_parts(index)
    parts.pop(document, None)
    return _faiss_write(corpus_dir, index_dir, encoder, index, parts, files, started)


def _faiss_write(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    index: Index,
    parts: dict[str, Encoded],
    files: dict[str, bytes],
    started: float,
) -> dict:
    """Write the index for ``parts`` (documents in id order, as a build orders them) and make the corpus ``files``."""
    encoded = concat([parts[doc] for doc in sorted(parts, key=lambda doc: f"{doc}.txt")])  # as load_corpus orders them
    version = int(index.manifest.get("corpus_version", 1)) + 1
    staged = Path(index_dir).with_name(f".{Path(index_dir).name}-staged-{os.getpid()}")
    manifest = write_index(
        staged,
        encoded,
        encoder,
        files_checksum(files),
        version,
        int(index.manifest.get("max_words", 160)),
        started,
        export_onnx_model=False,
        onnx_from=Path(index_dir) / ONNX_FILE,
    )
    try:
        apply_files(corpus_dir, files)
        old = Path(index_dir).with_name(f".{Path(index_dir).name}-old-{os.getpid()}")
        Path(index_dir).rename(old)
        staged.rename(index_dir)
        for leftover in old.iterdir():
            leftover.unlink()
        old.rmdir()
    finally:
        if staged.exists():
            for leftover in staged.iterdir():
                leftover.unlink()
            staged.rmdir()
    return manifest
