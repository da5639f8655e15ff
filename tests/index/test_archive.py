"""A growing archive on both engines: add, replace and remove one document; a bad one changes nothing;
running workers follow the corpus version without a restart."""

from __future__ import annotations

import json
import shutil

import pytest

from index import CorpusError, load_index
from index.__main__ import main
from index.archive import faiss_add, faiss_remove
from index.corpus import corpus_checksum, load_document
from index.milvus_archive import milvus_add, milvus_remove
from index.milvus_store import MilvusStore
from qa.pipeline import Pipeline
from service import create_app

from ..conftest import QUESTION, TOY


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


def _top(pipeline: Pipeline, question: str) -> str:
    return pipeline.require().retriever.search(question, top_k=1).hits[0].passage.document


def test_faiss_add_and_remove_keep_index_and_corpus_in_step(archive, encoder, monkeypatch):
    corpus, index, toy = archive
    monkeypatch.setattr(Pipeline, "CHECK_EVERY", 0.0)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus), "RATELIMIT_ENABLED": False})
    pipeline, page = app.extensions["qa"], app.test_client()
    assert page.get("/articles/ostend-gulls").status_code == 404
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
    assert "Lieve Vandamme" in page.get("/articles/ostend-gulls").get_data(as_text=True)  # and its page

    manifest = faiss_remove(corpus, index, encoder, "ostend-gulls")
    assert manifest["corpus_version"] == 3 and manifest["documents"] == ["verviers-raid"]
    assert not (corpus / "ostend-gulls.txt").exists()
    assert _top(pipeline, QUESTION) == "verviers-raid"
    assert page.get("/articles/ostend-gulls").status_code == 404
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


def test_milvus_add_and_remove_reach_every_host(archive, milvus_db, index_dir, tmp_path, encoder, monkeypatch, capsys):
    """Hosts share one Milvus, each with its own corpus folder or none: an add on one is served by all, pages too.

    Host A's folder holds Milvus's corpus, so A's add is mirrored there; host C's folder holds
    another corpus, so C's remove changes Milvus alone; host B has no folder and serves both.
    """
    _, _, toy = archive
    toy.with_suffix(".json").write_text(json.dumps({"title": "Gulls", "notes": "é€😀" * 20_000}), encoding="utf-8")
    folder_a, folder_c = tmp_path / "host-a", tmp_path / "host-c"
    shutil.copytree(milvus_db.corpus, folder_a)
    folder_c.mkdir()
    (folder_c / "other.txt").write_text("Other\nOSTEND, Belgium — Another corpus on another host.\n", encoding="utf-8")
    monkeypatch.setattr(Pipeline, "CHECK_EVERY", 0.0)
    settings = {"VECTOR_STORE": "milvus", "MILVUS_URI": milvus_db.uri, "RATELIMIT_ENABLED": False, "TESTING": True}
    host_b = create_app({"INDEX_DIR": str(index_dir), "CORPUS_DIR": str(tmp_path / "none"), **settings})
    page = host_b.test_client()
    assert _top(host_b.extensions["qa"], QUESTION) == "verviers-raid"
    assert page.get("/articles/ostend-gulls").status_code == 404
    store = MilvusStore(milvus_db.uri)
    version, sources = store.corpus()["corpus_version"], store.sources()

    bad = toy.with_name("empty.txt")
    bad.write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="holds no paragraphs"):
        milvus_add(store, encoder, bad, folder_a)
    with pytest.raises(CorpusError, match="No document 'nothing' in Milvus"):
        milvus_remove(store, encoder, "nothing", folder_c)
    assert store.corpus()["corpus_version"] == version and store.sources() == sources

    args = ["--corpus", str(folder_a), "--store", "milvus", "--milvus-uri", milvus_db.uri]
    assert main(["add", str(toy), *args]) == 0
    assert f"corpus folder {folder_a}: changed too" in capsys.readouterr().out
    record = store.corpus()
    assert record["corpus_version"] == version + 1 and set(record["documents"]) == {"ostend-gulls", "verviers-raid"}
    assert record["corpus_checksum"] == corpus_checksum(folder_a)  # A's folder mirrors Milvus: a build from it agrees
    assert store.documents()["ostend-gulls"] == load_document(toy)  # multi-byte metadata over several chunks
    assert _top(host_b.extensions["qa"], QUESTION) == "ostend-gulls"
    assert "Lieve Vandamme" in page.get("/articles/ostend-gulls").get_data(as_text=True)
    assert "Gulls" in page.get("/").get_data(as_text=True)  # the chat page's list of documents

    record = milvus_remove(store, encoder, "ostend-gulls", folder_c)
    assert record["corpus_version"] == version + 2 and store.sources() == sources
    assert record["corpus_checksum"] == corpus_checksum(milvus_db.corpus)
    assert sorted(p.name for p in folder_c.iterdir()) == ["other.txt"]  # not C's corpus: left as it was
    assert _top(host_b.extensions["qa"], QUESTION) == "verviers-raid"
    assert page.get("/articles/ostend-gulls").status_code == 404
