"""Property tests for answer extraction: any question (any Unicode, any length) gets a well-formed reply."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import Sentence
from qa.answers import MAX_ANSWER_WORDS, NOT_COVERED, NOT_IN_ARTICLE, Answerer, compose_answer
from qa.models import Answer

ODD = st.sampled_from(
    [
        "e\u0301",
        "\u05e9\u05dc\u05d5\u05dd",
        "\u0645\u0631\u062d\u0628\u0627",
        "\u200f",
        "\U0001f469\u200d\U0001f4bb",
        "\x00",
        "\u2028",
        "El Bali",
        "Verviers",
        "?",
        " ",
        "\ufeff",
        "\U0010ffff",
    ]
)
QUESTION = st.one_of(
    st.text(min_size=1, max_size=200),
    st.lists(st.one_of(ODD, st.text(max_size=8)), min_size=1, max_size=30).map("".join),
    st.integers(min_value=1000, max_value=10_000).map(lambda n: "x" * n),
).filter(lambda q: q.strip())


@pytest.fixture(scope="module")
def answerer(retriever):
    return Answerer(retriever)


@pytest.fixture(scope="module")
def sources(corpus_dir):
    return {p.stem: p.read_text(encoding="utf-8") for p in corpus_dir.glob("*.txt")}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(question=QUESTION, top_k=st.integers(min_value=1, max_value=10), with_history=st.booleans())
def test_any_question_gets_a_well_formed_answer(answerer, sources, question, top_k, with_history):
    history = [{"role": "user", "content": question[:4000]}, {"role": "assistant", "content": "\x00"}]
    answer = answerer.ask(question, history if with_history else [], top_k)
    assert isinstance(answer, Answer)
    reply = answer.model_dump()  # as the API serialises it
    assert set(reply) == {
        "answer",
        "answerable",
        "passages",
        "confidence",
        "took_ms",
        "declined",
        "related",
        "searched",
    }
    assert reply["searched"] is None or (isinstance(reply["searched"], str) and reply["searched"] != question)
    if not reply["answerable"]:
        assert reply["passages"] == []
        if reply["declined"] == "off_topic":
            assert reply["answer"] == NOT_COVERED and reply["related"] == []
        else:
            assert reply["declined"] == "not_in_article" and reply["answer"] == NOT_IN_ARTICLE
            assert 1 <= len(reply["related"]) <= top_k
            for passage in reply["related"]:
                assert sources[passage["document"]][passage["start"] : passage["end"]] == passage["text"]
        return
    assert reply["declined"] is None and reply["related"] == []
    assert reply["answer"].endswith(" [1]")
    assert len(reply["answer"].split()) <= MAX_ANSWER_WORDS
    assert 1 <= len(reply["passages"]) <= top_k
    for passage in reply["passages"]:
        assert sources[passage["document"]][passage["start"] : passage["end"]] == passage["text"]
        h = passage["highlight"]
        assert 0 <= h["start"] < h["end"] <= len(passage["text"])
    first = reply["passages"][0]
    highlighted = " ".join(first["text"][first["highlight"]["start"] : first["highlight"]["end"]].split())
    # The answer is drawn from the highlighted stretch: its pieces (split where "…" marks a skipped
    # sentence) appear there in order, the first at its start.
    pieces = reply["answer"].removesuffix(" [1]").removesuffix(" …").split(" … ")
    assert highlighted.startswith(pieces[0])
    at = len(pieces[0])
    for piece in pieces[1:]:
        found = highlighted.find(piece, at)
        assert found > at, (piece, highlighted)
        at = found + len(piece)


WORD = st.one_of(st.text(min_size=1, max_size=12).filter(lambda w: w.strip() == w and w), ODD.filter(str.strip))


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.lists(WORD, min_size=1, max_size=80).map(" ".join), min_size=1, max_size=2))
def test_compose_answer_keeps_the_words_within_the_limit(texts):
    sentences, start = [], 0
    for text in texts:
        sentences.append(Sentence(start, start + len(text), text))
        start += len(text) + 1
    answer = compose_answer(sentences)
    assert answer.endswith(" [1]")
    assert len(answer.split()) <= MAX_ANSWER_WORDS
    words = " ".join(texts).split()
    body = answer.removesuffix(" [1]")
    if body.endswith(" …") and len(words) > MAX_ANSWER_WORDS - 1:
        body = body.removesuffix(" …")
    assert body.split() == words[: len(body.split())]
    assert not re.search(r"\s{2,}", body)
