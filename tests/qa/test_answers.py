"""Choosing and composing the answer: the best sentence and the companion that covers what it leaves out."""

from __future__ import annotations

import numpy as np
import pytest

from index import Hit, Passage, Sentence
from qa.answers import MAX_ANSWER_WORDS, Answerer, AnswerOptions, answer_sentences, compose_answer, fill


def passage_of(*texts: str) -> Passage:
    sentences, start = [], 0
    for text in texts:
        sentences.append(Sentence(start, start + len(text), text))
        start += len(text) + 1
    return Passage("doc:0:1", "doc", "Title", 0, 0, start - 1, " ".join(texts), tuple(sentences))


PASSAGE = passage_of(
    "Marc Metdepenningen, a journalist for Le Soir, compares the raid to St. Denis.",
    "Officers there fired some 5,000 rounds.",
    "He called the two deaths a judicial failure.",
)


def hit(best: int, matches: list[list[float]], passage: Passage = PASSAGE) -> Hit:
    return Hit(passage, 1.0, passage.sentences[best], np.array(matches, dtype=np.float64))


def test_companion_is_the_sentence_that_adds_most_to_the_best_one():
    # three query tokens; the best sentence matches the first two, only the last sentence the third
    h = hit(0, [[0.4, 0.3, 0.0], [0.1, 0.1, 0.05], [0.1, 0.0, 0.3]])
    span = answer_sentences(h)
    assert span == [PASSAGE.sentences[0], PASSAGE.sentences[2]]
    answer = compose_answer(span, PASSAGE)
    assert answer == f"{PASSAGE.sentences[0].text} … {PASSAGE.sentences[2].text} [1]"


def test_on_a_tie_the_next_sentence_rides_along():
    h = hit(1, [[0.1, 0.1], [0.4, 0.4], [0.1, 0.1]])
    assert answer_sentences(h) == [PASSAGE.sentences[1], PASSAGE.sentences[2]]
    assert "…" not in compose_answer(answer_sentences(h), PASSAGE)


def test_with_nothing_to_add_the_previous_neighbour_rides_along_not_a_far_sentence():
    # the best sentence is the last; no other sentence matches anything it does not
    h = hit(2, [[0.1, 0.1], [0.1, 0.1], [0.4, 0.4]])
    assert answer_sentences(h) == [PASSAGE.sentences[1], PASSAGE.sentences[2]]


def test_a_companion_that_would_pass_the_word_limit_is_not_taken():
    long = " ".join(["word"] * (MAX_ANSWER_WORDS - 4))
    passage = passage_of("A short best sentence here.", long, "Another short one.")
    h = hit(0, [[0.5, 0.0], [0.0, 0.9], [0.0, 0.2]], passage)
    assert answer_sentences(h) == [passage.sentences[0], passage.sentences[2]]


@pytest.mark.parametrize(("mode", "expected"), [("none", [0]), ("next", [0, 1]), ("coverage", [0, 2])])
def test_companion_modes_for_the_ablation(mode, expected):
    h = hit(0, [[0.4, 0.0], [0.4, 0.0], [0.0, 0.3]])
    assert answer_sentences(h, mode) == [PASSAGE.sentences[i] for i in expected]


def test_real_answer_reaches_past_the_sentence_that_names_the_subject(retriever):
    reply = Answerer(retriever).ask("Who is the lawyer for Amghar's family?")
    assert "Virginie Taelman" in reply.answer
    assert len(reply.answer.split()) <= MAX_ANSWER_WORDS


def test_a_far_sentence_adding_a_hair_does_not_displace_the_next_one():
    """A gain of 1% of the best sentence's match is noise; the next sentence finishes the thought."""
    passage = passage_of("The best one.", "The next one.", "Some other one.", "A far one.")
    h = hit(0, [[0.5, 0.5], [0.1, 0.1], [0.1, 0.1], [0.51, 0.1]], passage)
    assert answer_sentences(h) == [passage.sentences[0], passage.sentences[1]]
    assert answer_sentences(h, far_margin=0.0) == [passage.sentences[0], passage.sentences[3]]
    clear = hit(0, [[0.5, 0.5], [0.1, 0.1], [0.1, 0.1], [0.5, 0.9]], passage)  # adds 0.4: 40% of the best
    assert answer_sentences(clear) == [passage.sentences[0], passage.sentences[3]]


def test_fill_adds_the_sentences_around_the_span_while_they_fit():
    passage = passage_of(
        "The first one is here.",
        "The second one is here.",
        "The third one is here.",
        " ".join(["word"] * MAX_ANSWER_WORDS),
    )
    middle = [passage.sentences[1]]
    assert fill(middle, passage) == list(passage.sentences[:3])  # the next first, then the one before
    assert fill([passage.sentences[0], passage.sentences[2]], passage) == list(passage.sentences[:3])
    assert fill(list(passage.sentences[3:]), passage) == list(passage.sentences[3:])  # nothing fits beside it


def test_fill_never_ends_on_a_question_or_a_fragment():
    passage = passage_of("So what do the kids do?", "They steal radios and sell drugs.", "Mohamed?", "Then this.")
    assert fill([passage.sentences[1]], passage) == [passage.sentences[1]]


def test_a_filled_answer_holds_what_the_bare_pair_leaves_out(retriever):
    """ "Who survived?": the best sentence speaks of "the other survivor"; his name is in the next one."""
    served = Answerer(retriever).ask("Who survived?")
    assert "Marouane El Bali" in served.answer and len(served.answer.split()) <= MAX_ANSWER_WORDS
    bare = Answerer(retriever, AnswerOptions(far_margin=0.0, fill=False)).ask("Who survived?")
    assert "Marouane El Bali" not in bare.answer
    first = served.passages[0]  # the highlight marks what the answer was drawn from, filled
    assert first.text[first.highlight.start : first.highlight.end] == served.answer.removesuffix(" [1]")
