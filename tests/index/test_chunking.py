"""Passages: within the model's token limit, exact offsets, whole sentences, reader's paragraph numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import HashingEncoder, Passage, chunk_documents, load_corpus
from index.chunking import split_sentences
from index.corpus import parse_document

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def documents():
    return load_corpus(ROOT / "corpus")


@pytest.fixture(scope="module")
def passages(documents, encoder):
    return chunk_documents(documents, encoder, encoder.max_tokens)


def test_no_passage_exceeds_the_models_token_limit(passages, encoder):
    assert encoder.max_tokens == 254
    assert max(len(encoder.token_spans(p.text)) for p in passages) <= encoder.max_tokens


def test_passages_stay_short_enough_to_read(passages):
    words = [len(p.text.split()) for p in passages]
    assert max(words) <= 200
    assert sum(words) / len(words) <= 130


def test_offsets_reproduce_passage_and_sentence_text(passages, documents):
    source = {d.id: d.source for d in documents}
    for p in passages:
        assert source[p.document][p.start : p.end] == p.text
        for s in p.sentences:
            assert source[p.document][s.start : s.end] == s.text
            assert p.start <= s.start < s.end <= p.end


def test_every_paragraph_is_covered_once_in_order(passages, documents):
    (doc,) = documents
    covered: dict[int, list[Passage]] = {}
    for p in passages:
        covered.setdefault(p.paragraph, []).append(p)
    assert sorted(covered) == [para.number for para in doc.paragraphs]
    for para in doc.paragraphs:
        parts = covered[para.number]
        assert parts[0].start == para.start and parts[-1].end == para.end


def test_boilerplate_and_pull_quotes_are_not_passages(passages):
    assert not any("Skip to footer" in p.text for p in passages)
    assert not any(p.text.startswith('"What I see is all the guns') for p in passages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He was killed in the St. Denis neighborhood. Police said so.", 2),
        ('"It was trendy," Mohamed said. Then he left.', 2),
        ("Mr. Smith met Dr. Jones at 5 p.m. on Friday. They talked.", 2),
        ("Is it true? Yes! It is.", 3),
        ("(The third man fled and was arrested.) The clash was intense.", 2),
    ],
)
def test_sentences_split_at_sentence_ends_only(text, expected):
    sentences = split_sentences(text)
    assert len(sentences) == expected
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_a_sentence_longer_than_the_token_limit_is_cut_at_token_boundaries():
    encoder = HashingEncoder(max_tokens=10)
    text = " ".join(f"word{i}" for i in range(35)) + "."
    doc = parse_document("long", text + "\n")
    passages = chunk_documents([doc], encoder, encoder.max_tokens)
    assert len(passages) >= 4
    assert all(len(encoder.token_spans(p.text)) <= 10 for p in passages)
    assert " ".join(p.text for p in passages) == text
