"""index.document_scope: in a corpus of several documents, the chosen document is ranked by its own statistics."""

from __future__ import annotations

import pytest

from index import Retriever, UnknownDocument, load_index
from index.milvus_archive import milvus_add, milvus_remove
from index.milvus_retriever import MilvusRetriever
from index.milvus_store import MilvusStore
from qa.answers import Answerer
from qa.evaluate import load_jsonl

from ..conftest import EVAL_DIR, QUESTION, TOY


@pytest.fixture(scope="module")
def two_documents(two_document_dirs, encoder):
    """The article and a toy article in one FAISS index (the session's index with one document added)."""
    corpus, index = two_document_dirs
    return load_index(index, corpus, encoder)


@pytest.fixture(scope="module")
def questions():
    return [q["question"] for q in load_jsonl(EVAL_DIR / "questions.jsonl")]


def test_the_articles_questions_rank_as_over_the_article_alone(two_documents, encoder, retriever, questions):
    """The toy article changes the archive's idf, BM25 and standardisation, not the article's own ranking."""
    scoped = Retriever(encoder, two_documents)
    assert scoped.scope is not None and scoped.scope.usable
    for question in questions:
        alone, both = retriever.search(question), scoped.search(question)
        assert [h.passage.id for h in both.hits] == [h.passage.id for h in alone.hits], question
        assert both.confidence == pytest.approx(alone.confidence, abs=1e-6)


def test_answers_and_abstention_are_the_article_alones(two_documents, encoder, retriever, questions):
    scoped, alone = Answerer(Retriever(encoder, two_documents)), Answerer(retriever)
    for question in [*questions[:20], "What is the population of Verviers?", "Which judge authorized the raid?"]:
        a, b = alone.ask(question), scoped.ask(question)
        assert (b.answer, b.answerable, b.declined) == (a.answer, a.answerable, a.declined), question


def test_a_question_about_the_other_document_is_answered_from_it(two_documents, encoder):
    hits = Retriever(encoder, two_documents).search(QUESTION).hits
    assert {h.passage.document for h in hits} == {"ostend-gulls"}
    assert "four hundred nests" in hits[0].passage.text


def test_document_retrievers_are_built_once_and_bounded(two_documents, encoder):
    parent = Retriever(encoder, two_documents)
    scope = parent.scope
    assert scope is not None
    assert parent._in_document("verviers-raid") is scope.retriever("verviers-raid")  # as served: no copy
    assert parent.configured(hubness=False)._in_document("verviers-raid").hubness is False  # ablations reach it
    scope.size = 1
    article = scope.retriever("verviers-raid")
    assert scope.retriever("verviers-raid") is article
    scope.retriever("ostend-gulls")
    assert list(scope._cache) == ["ostend-gulls"]


def test_one_document_needs_no_second_stage(retriever):
    assert retriever.scope is not None and not retriever.scope.usable


def test_milvus_ranks_the_chosen_document_as_faiss_ranks_the_article_alone(milvus_db, encoder, retriever, questions):
    """The same second stage over Milvus: the document's rows fetched once, its idf from its stored df."""
    store = MilvusStore(milvus_db.uri)
    toy = milvus_db.corpus.parent / "ostend-gulls.txt"
    toy.write_text(TOY, encoding="utf-8")
    milvus_add(store, encoder, toy)
    try:
        milvus = MilvusRetriever(encoder, store)
        assert milvus.scope is not None and milvus.scope.usable
        for question in questions[:15]:
            ours, theirs = milvus.search(question), retriever.search(question)
            assert [h.passage.id for h in ours.hits] == [h.passage.id for h in theirs.hits], question
            first = theirs.hits[0].passage
            assert ours.query_tokens is not None and theirs.query_tokens is not None
            assert milvus.uncovered_share(ours.query_tokens, first, 0.5) == pytest.approx(
                retriever.uncovered_share(theirs.query_tokens, first, 0.5), abs=1e-6
            )
        assert milvus.search(QUESTION).hits[0].passage.document == "ostend-gulls"
        scoped = milvus.search(QUESTION, document="verviers-raid")
        assert [h.passage.id for h in scoped.hits] == [h.passage.id for h in retriever.search(QUESTION).hits]
    finally:
        milvus_remove(store, encoder, "ostend-gulls")


def test_a_search_can_be_scoped_to_either_document(two_documents, encoder, retriever):
    """Scoped to the article, the toy article's question is ranked over the article alone, as the article
    alone ranks it; scoped to the toy article, an article question gets the toy article's passages."""
    both = Retriever(encoder, two_documents)
    scoped = both.search(QUESTION, document="verviers-raid")
    assert [h.passage.id for h in scoped.hits] == [h.passage.id for h in retriever.search(QUESTION).hits]
    assert {h.passage.document for h in both.search("Who is Virginie Taelman?", document="ostend-gulls").hits} == {
        "ostend-gulls"
    }
    with pytest.raises(UnknownDocument, match="ostend-gulls"):
        both.search("Who?", document="nowhere")


def test_a_follow_up_stays_in_the_document_of_the_last_answer(two_documents, encoder):
    """The earlier question as the client sent it says little ("Who was there?"); the answer came from the
    raid's article, so "How many were there?" is asked of it, though with the earlier question its words
    choose the gulls article archive-wide."""
    answerer = Answerer(Retriever(encoder, two_documents))
    first = answerer.ask("How many police officers were outside the apartment building?")
    assert first.answerable and first.passages[0].document == "verviers-raid"
    history = [{"role": "user", "content": "Who was there?"}, {"role": "assistant", "content": first.answer}]
    follow_up = "How many were there?"
    assert answerer.retriever.search(f"Who was there? {follow_up}").hits[0].passage.document == "ostend-gulls"
    reply = answerer.ask(follow_up, history)
    assert reply.passages and {p.document for p in reply.passages} == {"verviers-raid"}
    standing_alone = answerer.ask("How many gull nests did the harbour master count?", history)
    assert standing_alone.passages[0].document == "ostend-gulls"


def test_the_last_answers_document_is_found_by_its_own_words(two_documents, encoder, retriever):
    from qa.answers import NOT_COVERED
    from qa.followups import answered_from

    scoped = Retriever(encoder, two_documents)
    article = Answerer(retriever).ask("Why did the police raid the apartment?").answer
    assert answered_from(scoped, [{"role": "assistant", "content": article}]) == "verviers-raid"
    assert answered_from(scoped, [{"role": "assistant", "content": NOT_COVERED}]) is None
    invented = "The harbour master said the gulls had flown to Verviers to watch the raid from the roof."
    assert answered_from(scoped, [{"role": "assistant", "content": invented}]) is None
    assert answered_from(scoped, [{"role": "user", "content": article}]) is None  # only answers count
