"""The index on disk: a directory with FAISS files, the passages, token vectors and a manifest.

``build`` writes every file under a temporary directory and renames it into place, so a crash
never leaves half an index. ``load`` reads the manifest first and refuses an index that does not
match the corpus or the model, or whose files were altered, with an error that names the fix.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .chunking import Passage, Sentence
from .corpus import corpus_checksum, load_corpus
from .dense import build_dense_index, describe, prepare_for_rescoring
from .encoded import Encoded, encode, idf_from_df, sentence_df
from .encoder import Encoder, file_sha256
from .errors import IndexCorrupt, IndexMissing, IndexStale
from .onnx_encoder import ONNX_FILE, export_onnx

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REBUILD = "Rebuild it with `python -m index build` (or `make index`)."


@dataclass
class Index:
    """A loaded index: passages, their sentences, vectors in FAISS, and token vectors."""

    manifest: dict
    passages: list[Passage]
    sentence_passage: np.ndarray  # passage row of each sentence
    sentence_faiss: faiss.Index
    passage_faiss: faiss.Index
    token_vectors: np.ndarray  # all sentences' token vectors, concatenated (float16)
    token_offsets: np.ndarray  # sentence i owns rows token_offsets[i]:token_offsets[i+1]
    token_idf: np.ndarray  # idf of each token id over the sentences, for weighting query tokens
    token_ids: np.ndarray | None = None  # vocabulary id of each token row (None in indexes built before it)

    @property
    def sentences(self) -> list[Sentence]:
        return [s for p in self.passages for s in p.sentences]


def build_index(
    corpus_dir: Path, out_dir: Path, encoder: Encoder, max_words: int = 160, export_onnx_model: bool = True
) -> dict:
    """Load, cut, embed and write the index for ``corpus_dir`` into ``out_dir``; return its manifest.

    With a sentence-transformers encoder, the model is also exported to ONNX beside the index
    (``model.onnx``), so the server can embed questions without torch.
    """
    started = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    encoded = encode(load_corpus(corpus_dir), encoder, max_words)
    return write_index(out_dir, encoded, encoder, corpus_checksum(corpus_dir), 1, max_words, started, export_onnx_model)


def write_index(
    out_dir: Path,
    encoded: Encoded,
    encoder: Encoder,
    checksum: str,
    version: int,
    max_words: int,
    started: float,
    export_onnx_model: bool = True,
    onnx_from: Path | None = None,
) -> dict:
    """Write ``encoded`` as the index in ``out_dir``, atomically: a temporary folder renamed into place.

    ``version`` is the corpus version (1 when built, one more at each add or remove), so running
    workers can tell a new corpus from the manifest alone. ``onnx_from`` reuses an existing graph.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    tmp.chmod(0o755)
    try:
        sentence_index = build_dense_index(encoded.sentence_vectors)
        faiss.write_index(sentence_index, str(tmp / "sentences.faiss"))
        faiss.write_index(build_dense_index(encoded.passage_vectors), str(tmp / "passages.faiss"))
        np.save(tmp / "tokens.npy", encoded.token_vectors)
        np.save(tmp / "token_offsets.npy", encoded.token_offsets)
        # The token ids make each document's share of the idf exact to remove (index/archive.py).
        np.save(tmp / "token_ids.npy", encoded.token_ids)
        np.save(tmp / "token_idf.npy", _token_idf(encoded))
        model_dir = getattr(encoder, "model_dir", None)
        if onnx_from is not None and onnx_from.exists():
            shutil.copy2(onnx_from, tmp / ONNX_FILE)
        elif export_onnx_model and model_dir is not None:
            export_onnx(model_dir, tmp / ONNX_FILE)
        (tmp / "passages.json").write_text(
            json.dumps([dataclasses.asdict(p) for p in encoded.passages], ensure_ascii=False), encoding="utf-8"
        )
        manifest = {
            "format": FORMAT_VERSION,
            "model": encoder.name,
            "model_checksum": encoder.checksum,
            "dimension": encoder.dimension,
            "max_tokens": encoder.max_tokens,
            "corpus_checksum": checksum,
            "corpus_version": version,
            "documents": encoded.documents(),
            "passages": len(encoded.passages),
            "sentences": encoded.sentence_count,
            "index_type": describe(sentence_index),
            "max_words": max_words,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 2),
            "files": {f.name: file_sha256(f) for f in sorted(tmp.iterdir())},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}")
            out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _token_idf(encoded: Encoded) -> np.ndarray:
    """Smoothed idf of every token id over the sentences (ids never seen get the highest)."""
    return idf_from_df(sentence_df(encoded.token_ids, encoded.token_offsets), encoded.sentence_count)


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the index in ``index_dir``; IndexMissing or IndexCorrupt when unreadable."""
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        raise IndexMissing(f"No index in {index_dir}.", "Build it with `python -m index build` (or `make index`).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise IndexCorrupt(f"The index manifest in {index_dir} is not valid JSON.", REBUILD) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise IndexStale(f"The index in {index_dir} has an unknown format.", REBUILD)
    return manifest


def check_manifest(manifest: dict, index_dir: Path, corpus_dir: Path, encoder: Encoder) -> None:
    """Refuse an index built from another corpus or model than the ones configured."""
    if manifest.get("model_checksum") != encoder.checksum or manifest.get("dimension") != encoder.dimension:
        raise IndexStale(
            f"The index in {index_dir} was built with model {manifest.get('model')!r}, "
            f"not with the configured {encoder.name!r} (weights differ).",
            REBUILD,
        )
    if manifest.get("corpus_checksum") != corpus_checksum(corpus_dir):
        raise IndexStale(f"The corpus in {corpus_dir} has changed since the index in {index_dir} was built.", REBUILD)


def load_index(index_dir: Path, corpus_dir: Path, encoder: Encoder) -> Index:
    """Load and verify an index; raise IndexMissing, IndexStale or IndexCorrupt rather than serve wrong passages."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    check_manifest(manifest, index_dir, corpus_dir, encoder)
    files = manifest.get("files") or {}
    for name, digest in files.items():
        path = index_dir / name
        if not path.exists():
            raise IndexCorrupt(f"The index file {name} is missing from {index_dir}.", REBUILD)
        if file_sha256(path) != digest:
            raise IndexCorrupt(f"The index file {name} in {index_dir} does not match its checksum.", REBUILD)
    try:
        raw = json.loads((index_dir / "passages.json").read_text(encoding="utf-8"))
        passages = [Passage(**{**p, "sentences": tuple(Sentence(**s) for s in p["sentences"])}) for p in raw]
        sentence_faiss = faiss.read_index(str(index_dir / "sentences.faiss"))
        passage_faiss = faiss.read_index(str(index_dir / "passages.faiss"))
        for dense in (sentence_faiss, passage_faiss):
            prepare_for_rescoring(dense)
        tokens = np.load(index_dir / "tokens.npy")
        offsets = np.load(index_dir / "token_offsets.npy")
        idf = np.load(index_dir / "token_idf.npy")
        ids = np.load(index_dir / "token_ids.npy") if (index_dir / "token_ids.npy").exists() else None
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexCorrupt(f"The index in {index_dir} could not be read ({type(exc).__name__}).", REBUILD) from None
    sentence_passage = np.array([row for row, p in enumerate(passages) for _ in p.sentences], dtype=np.int64)
    consistent = (
        len(passages) == manifest.get("passages") == passage_faiss.ntotal
        and len(sentence_passage) == manifest.get("sentences") == sentence_faiss.ntotal == len(offsets) - 1
        and offsets[-1] == len(tokens)
        and sentence_faiss.d == passage_faiss.d == encoder.dimension
    )
    if not consistent:
        raise IndexCorrupt(f"The index files in {index_dir} disagree with each other or with the manifest.", REBUILD)
    return Index(manifest, passages, sentence_passage, sentence_faiss, passage_faiss, tokens, offsets, idf, ids)
