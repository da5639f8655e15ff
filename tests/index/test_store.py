"""The index directory: round trip, and every stale, corrupt or missing case refused with the fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import HashingEncoder, IndexCorrupt, IndexMissing, IndexStale, Retriever, build_index, load_index
from index.encoder import file_sha256

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def corpus(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


@pytest.fixture()
def built(tmp_path, corpus):
    """An index of the article built with the deterministic test encoder (fast)."""
    encoder = HashingEncoder()
    out = tmp_path / "index"
    build_index(corpus, out, encoder)
    return out, corpus, encoder


def test_round_trip_keeps_passages_vectors_and_manifest(built):
    out, corpus, encoder = built
    index = load_index(out, corpus, encoder)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == encoder.name and manifest["dimension"] == encoder.dimension
    assert manifest["passages"] == len(index.passages) == index.passage_faiss.ntotal
    assert manifest["sentences"] == index.sentence_faiss.ntotal
    assert {"built_at", "corpus_checksum", "model_checksum", "index_type"} <= set(manifest)
    vectors = encoder.encode([index.passages[3].text])
    _, ids = index.passage_faiss.search(vectors, 1)
    assert ids[0][0] == 3


def test_real_index_round_trip_and_search(index_dir, corpus_dir, encoder):
    index = load_index(index_dir, corpus_dir, encoder)
    assert json.loads((index_dir / "manifest.json").read_text())["model_checksum"].startswith("53aa5117")
    result = Retriever(encoder, index).search("Where were the Kalashnikovs originally purchased?", top_k=3)
    assert "gun shop in Slovakia" in result.hits[0].passage.text


def test_missing_index_names_the_build_command(tmp_path, corpus):
    with pytest.raises(IndexMissing, match=r"python -m index build"):
        load_index(tmp_path / "nothing", corpus, HashingEncoder())


def test_changed_corpus_is_refused(built):
    out, corpus, encoder = built
    with (corpus / "verviers-raid.txt").open("a", encoding="utf-8") as f:
        f.write("\nA new paragraph.\n")
    with pytest.raises(IndexStale, match=r"corpus .* has changed"):
        load_index(out, corpus, encoder)


def test_index_from_another_model_is_refused(built):
    out, corpus, _ = built
    with pytest.raises(IndexStale, match="built with model"):
        load_index(out, corpus, HashingEncoder(dimension=32))


@pytest.mark.parametrize("name", ["passages.json", "sentences.faiss", "tokens.npy"])
def test_truncated_file_is_refused(built, name):
    out, corpus, encoder = built
    path = out / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorrupt, match=f"{name} .*checksum"):
        load_index(out, corpus, encoder)


def test_missing_file_is_refused(built):
    out, corpus, encoder = built
    (out / "passages.faiss").unlink()
    with pytest.raises(IndexCorrupt, match=r"passages\.faiss is missing"):
        load_index(out, corpus, encoder)


def test_unreadable_manifest_is_refused(built):
    out, corpus, encoder = built
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="manifest"):
        load_index(out, corpus, encoder)


def test_altered_file_with_matching_checksum_but_wrong_shape_is_refused(built):
    out, corpus, encoder = built
    offsets = np.load(out / "token_offsets.npy")
    np.save(out / "token_offsets.npy", offsets[:-1])
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["token_offsets.npy"] = file_sha256(out / "token_offsets.npy")
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="disagree"):
        load_index(out, corpus, encoder)


def test_rebuild_replaces_the_index_atomically(built):
    out, corpus, encoder = built
    build_index(corpus, out, encoder)
    assert load_index(out, corpus, encoder).passages
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
