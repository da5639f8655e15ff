"""The index in Milvus (real Milvus Lite, real model): the answers of FAISS, and every failure a 503 with why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.gunicorn import ROOT, free_port
from bench.milvus import MilvusLiteServer
from index import load_corpus
from index.__main__ import main
from index.corpus import corpus_files
from index.milvus_retriever import MilvusRetriever
from index.milvus_store import MilvusStore
from index.store import read_manifest
from qa.answers import Answerer
from qa.evaluate import load_jsonl
from service import create_app

from ..conftest import EVAL_DIR

QUESTIONS = [
    "How did El Bali try to escape?",
    "Where were the Kalashnikovs originally purchased?",
    "Why did the police raid the apartment?",
    "Who is Virginie Taelman?",
    "Where did El Bali grow up?",
]


@pytest.mark.parametrize("lexical", ["server", "local"])
def test_milvus_ranks_as_faiss(milvus_db, encoder, retriever, lexical):
    """Same candidates, same shared ranking: the same passages in the same order, with the same scores."""
    milvus = MilvusRetriever(encoder, MilvusStore(milvus_db.uri), lexical=lexical)
    assert (milvus.token_idf == retriever.index.token_idf).all()
    assert milvus.lede is not None and retriever.lede is not None
    assert milvus.lede.lede_terms == retriever.lede.lede_terms and milvus.lede.names == retriever.lede.names
    for question in QUESTIONS:
        ours, theirs = milvus.search(question, top_k=3), retriever.search(question, top_k=3)
        assert [h.passage.id for h in ours.hits] == [h.passage.id for h in theirs.hits]
        assert [h.sentence for h in ours.hits] == [h.sentence for h in theirs.hits]
        # Late interaction over int8 rows on both (token_product.py): the same fused scores, not merely close.
        assert [h.score for h in ours.hits] == pytest.approx([h.score for h in theirs.hits], abs=1e-4)
        first = theirs.hits[0].passage
        assert ours.query_tokens is not None and theirs.query_tokens is not None
        assert milvus.uncovered_share(ours.query_tokens, first, 0.5) == pytest.approx(
            retriever.uncovered_share(theirs.query_tokens, first, 0.5), abs=1e-6
        )


def test_milvus_answers_every_question_as_faiss(milvus_db, encoder, retriever):
    """Every dev and eval-natural question: the same passages in the same order and the same answer.

    Near-ties decide some of them (two passages 0.0003 apart): late interaction in float32 on one
    engine and int8 on the other once turned the dev set's hit@1 from 0.904 to 0.923.
    """
    engine = MilvusRetriever(encoder, MilvusStore(milvus_db.uri))
    assert engine.int8  # a corpus FAISS scans whole: the int8 product on both
    milvus, faiss = Answerer(engine), Answerer(retriever)
    for directory in (EVAL_DIR, EVAL_DIR.parent / "eval-natural"):
        for item in load_jsonl(directory / "questions.jsonl"):
            ours, theirs = milvus.ask(item["question"]), faiss.ask(item["question"])
            assert [p.id for p in ours.passages + ours.related] == [p.id for p in theirs.passages + theirs.related]
            assert (ours.answer, ours.declined) == (theirs.answer, theirs.declined), item["question"]


def test_milvus_holds_the_corpus_as_the_folder_has_it(milvus_db, index_dir):
    """Sources stored with the index: the same files, the same Documents, the same checksum as FAISS's."""
    store = MilvusStore(milvus_db.uri)
    assert store.sources() == corpus_files(milvus_db.corpus)
    assert store.documents() == {doc.id: doc for doc in load_corpus(milvus_db.corpus)}
    assert store.corpus()["corpus_checksum"] == read_manifest(index_dir)["corpus_checksum"]


def test_a_milvus_worker_needs_no_corpus_folder(milvus_db, index_dir, tmp_path):
    """No folder, an empty one or another corpus: the worker serves the corpus in Milvus, pages included."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "unrelated.txt").write_text("Something else\nA sentence about something else.\n", encoding="utf-8")
    for corpus in (tmp_path / "missing", tmp_path, other):
        client = _app(index_dir, corpus, milvus_db.uri).test_client()
        assert client.get("/readyz").status_code == 200
        assert (
            "window"
            in client.post("/api/ask", json={"question": "How did El Bali try to escape?"}).get_json()["answer"]
        )
        assert client.get("/articles/verviers-raid").status_code == 200
        assert client.get("/articles/unrelated").status_code == 404


def _app(index_dir, corpus, uri):
    return create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(index_dir),
            "CORPUS_DIR": str(corpus),
            "VECTOR_STORE": "milvus",
            "MILVUS_URI": uri,
            "RATELIMIT_ENABLED": False,
        }
    )


def test_readyz_reports_the_corpus_version_milvus_serves(milvus_db, index_dir):
    client = _app(index_dir, milvus_db.corpus, milvus_db.uri).test_client()
    ready = client.get("/readyz").get_json()
    assert (
        ready["status"] == "ready" and ready["corpus_version"] == MilvusStore(milvus_db.uri).corpus()["corpus_version"]
    )
    answer = client.post("/api/ask", json={"question": "How did El Bali try to escape?"}).get_json()
    assert "window" in answer["answer"]


def test_unreachable_milvus_gives_503_with_the_reason(index_dir, corpus_dir):
    client = _app(index_dir, corpus_dir, f"http://127.0.0.1:{free_port()}").test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "cannot be reached" in ready.get_json()["reason"]
    error = client.post("/api/ask", json={"question": "Who is El Bali?"}).get_json()["error"]
    assert error["code"] == "engine_unavailable" and "Traceback" not in error["message"]
    # The documents are in Milvus too: the chat page still renders, an article is not found, nothing fails.
    assert client.get("/").status_code == 200 and client.get("/articles/verviers-raid").status_code == 404


def test_milvus_holding_another_models_vectors_gives_503(tmp_path, milvus_db, index_dir):
    """A cluster shared with another service, or rebuilt with other weights, is refused by the model checksum."""
    server = MilvusLiteServer(tmp_path / "milvus")
    try:
        store = MilvusStore(server.uri)
        store.create(4)
        store.write_corpus({**MilvusStore(milvus_db.uri).corpus(), "model_checksum": "0" * 64, "model": "other"})
        ready = _app(index_dir, milvus_db.corpus, server.uri).test_client().get("/readyz")
        assert ready.status_code == 503 and "holds vectors of model 'other'" in ready.get_json()["reason"]
    finally:
        server.stop()


def test_milvus_lite_server_serves_and_its_loss_is_a_503(tmp_path, milvus_db, index_dir, encoder, monkeypatch):
    """Several workers share `milvus-lite server`; when it stops, readiness says so within a second's check."""
    from index.milvus_archive import milvus_build
    from qa.pipeline import Pipeline

    server = MilvusLiteServer(tmp_path / "milvus")
    try:
        milvus_build(milvus_db.corpus, MilvusStore(server.uri), encoder)
        monkeypatch.setattr(Pipeline, "CHECK_EVERY", 0.0)
        client = _app(index_dir, milvus_db.corpus, server.uri).test_client()
        assert client.get("/readyz").get_json()["corpus_version"] == 1
    finally:
        server.stop()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "Milvus" in ready.get_json()["reason"]


def test_a_faiss_index_moves_into_milvus_without_encoding_again(index_dir, corpus_dir, encoder, retriever, tmp_path):
    """`python -m index build --store milvus --from-faiss DIR`: the stored vectors, written as they are."""
    uri = str(tmp_path / "moved.db")
    args = ["build", "--store", "milvus", "--milvus-uri", uri, "--corpus", str(corpus_dir), "--out", str(tmp_path)]
    assert main([*args, "--from-faiss", str(index_dir)]) == 0
    store = MilvusStore(uri)
    assert store.corpus()["corpus_checksum"] == read_manifest(index_dir)["corpus_checksum"]
    milvus = MilvusRetriever(encoder, store)
    assert (milvus.token_idf == retriever.index.token_idf).all()
    for question in QUESTIONS[:2]:
        ours, theirs = milvus.search(question, top_k=3), retriever.search(question, top_k=3)
        assert [h.passage.id for h in ours.hits] == [h.passage.id for h in theirs.hits]
    store.client.close()


def test_moving_needs_milvus_and_an_index_of_the_same_corpus(index_dir, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "unrelated.txt").write_text("Something else\nA sentence about something else.\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["build", "--store", "faiss", "--from-faiss", str(index_dir)])
    assert "--from-faiss moves a FAISS index into Milvus" in capsys.readouterr().err
    uri = str(tmp_path / "refused.db")
    args = ["build", "--store", "milvus", "--milvus-uri", uri, "--corpus", str(other), "--out", str(tmp_path)]
    assert main([*args, "--from-faiss", str(index_dir)]) == 1
    assert "has changed since the index" in capsys.readouterr().err


def test_a_process_that_did_not_build_the_index_loads_it_before_reading(index_dir, corpus_dir, tmp_path):
    """Milvus answers reads only for collections loaded in memory: a worker opening an embedded `.db`
    the CLI built (another process) loads them first, as it must after a Milvus restart."""
    uri = str(tmp_path / "built-elsewhere.db")
    args = ["-m", "index", "build", "--store", "milvus", "--milvus-uri", uri, "--from-faiss", str(index_dir)]
    done = subprocess.run(
        [sys.executable, *args, "--corpus", str(corpus_dir), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    store = MilvusStore(uri)
    assert store.corpus()["passages"] == read_manifest(index_dir)["passages"]
    assert "verviers-raid" in store.documents()
