"""A growing archive on both engines: add, replace and remove one document; a bad one changes nothing;
running workers follow the corpus version without a restart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index import CorpusError, load_index
from index.__main__ import main
from index.archive import faiss_add, faiss_remove
from index.corpus import corpus_checksum
from index.milvus_archive import milvus_add, milvus_remove
from index.milvus_store import MilvusStore
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import defaults

TOY = (
    "Harbour Gulls Return to Ostend\n"
    "OSTEND, Belgium — The herring gulls came back to the harbour of Ostend this spring, "
    "fishermen said, after three years away.\n"
    "The harbour master, Lieve Vandamme, counted four hundred nests on the old fish market roof.\n"
)
QUESTION = "How many gull nests did the harbour master count?"


@pytest.fixture()
def archive(tmp_path, index_dir, corpus_dir):
    """A private copy of the session's corpus and FAISS index, and a toy article outside the corpus."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus_dir, corpus)
    shutil.copytree(index_dir, index)
    toy = tmp_path / "incoming" / "ostend-gulls.txt"
    toy.parent.mkdir()
    toy.write_text(TOY, encoding="utf-8")
    return corpus, index, toy


def _settings(corpus: Path, index: Path, **extra) -> dict:
    return {**defaults(), "CORPUS_DIR": str(corpus), "INDEX_DIR": str(index), **extra}


def _top(pipeline: Pipeline, question: str) -> str:
    return pipeline.require().retriever.search(question, top_k=1).hits[0].passage.document


def test_faiss_add_and_remove_keep_index_and_corpus_in_step(archive, encoder, monkeypatch):
    corpus, index, toy = archive
    monkeypatch.setattr(Pipeline, "CHECK_EVERY", 0.0)
    pipeline = build_pipeline(_settings(corpus, index))
    before = load_index(index, corpus, encoder)
    assert _top(pipeline, QUESTION) == "verviers-raid"

    manifest = faiss_add(corpus, index, encoder, toy)
    assert manifest["corpus_version"] == 2 and manifest["documents"] == ["ostend-gulls", "verviers-raid"]
    assert (corpus / "ostend-gulls.txt").read_text(encoding="utf-8") == TOY
    after = load_index(index, corpus, encoder)  # the corpus folder matches the index
    kept = [p for p in after.passages if p.document == "verviers-raid"]
    assert kept == before.passages  # the other document's rows are reused as they were
    assert _top(pipeline, QUESTION) == "ostend-gulls"  # the running worker sees it, no restart
    assert pipeline.require().retriever.index.manifest["corpus_version"] == 2

    manifest = faiss_remove(corpus, index, encoder, "ostend-gulls")
    assert manifest["corpus_version"] == 3 and manifest["documents"] == ["verviers-raid"]
    assert not (corpus / "ostend-gulls.txt").exists()
    assert _top(pipeline, QUESTION) == "verviers-raid"
    restored = load_index(index, corpus, encoder)
    assert restored.passages == before.passages
    assert (restored.token_idf == before.token_idf).all()  # the removed document's share of the idf is gone exactly


def test_a_document_that_fails_to_load_is_refused_and_changes_nothing(archive, capsys):
    corpus, index, toy = archive
    bad = toy.with_name("latin1.txt")
    bad.write_bytes("Caf\xe9 Verviers\nUne phrase en latin-1.\n".encode("latin-1"))
    manifest, checksum = (index / "manifest.json").read_bytes(), corpus_checksum(corpus)
    code = main(["add", str(bad), "--corpus", str(corpus), "--out", str(index), "--store", "faiss"])
    assert code == 1
    assert "latin1.txt is not UTF-8 text" in capsys.readouterr().err
    assert (index / "manifest.json").read_bytes() == manifest and corpus_checksum(corpus) == checksum


def test_removing_an_unknown_or_the_last_document_is_refused(archive, encoder):
    corpus, index, _ = archive
    with pytest.raises(CorpusError, match="No document 'nothing'"):
        faiss_remove(corpus, index, encoder, "nothing")
    with pytest.raises(CorpusError, match="only document"):
        faiss_remove(corpus, index, encoder, "verviers-raid")


def test_milvus_add_and_remove_reach_a_running_worker(archive, milvus_db, encoder, monkeypatch):
    corpus, index, toy = archive
    shutil.copytree(milvus_db.corpus, corpus, dirs_exist_ok=True)
    monkeypatch.setattr(Pipeline, "CHECK_EVERY", 0.0)
    pipeline = build_pipeline(_settings(corpus, index, VECTOR_STORE="milvus", MILVUS_URI=milvus_db.uri))
    assert _top(pipeline, QUESTION) == "verviers-raid"
    store = MilvusStore(milvus_db.uri)
    version = store.corpus()["corpus_version"]

    bad = toy.with_name("empty.txt")
    bad.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="holds no paragraphs"):
        milvus_add(corpus, store, encoder, bad)
    assert store.corpus()["corpus_version"] == version

    record = milvus_add(corpus, store, encoder, toy)
    assert record["corpus_version"] == version + 1 and set(record["documents"]) == {"ostend-gulls", "verviers-raid"}
    assert _top(pipeline, QUESTION) == "ostend-gulls"
    assert pipeline.require().retriever.index.manifest["corpus_version"] == version + 1

    record = milvus_remove(corpus, store, encoder, "ostend-gulls")
    assert record["corpus_version"] == version + 2 and not (corpus / "ostend-gulls.txt").exists()
    assert _top(pipeline, QUESTION) == "verviers-raid"
