"""index.counting: "How many N?" gets the passages where a number counts N, any other question nothing."""

from __future__ import annotations

import numpy as np
import pytest

from index.counting import SAME_MEANING, CountPrior, WordMeanings, count_nouns, counted


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("How many police took part in the raid?", "police"),
        ("and how many rounds did they fire", "rounds"),
        ("How old was El Bali?", None),
        ("And how many were there?", None),  # a function word is no noun
        ("Who counted the rounds?", None),
    ],
)
def test_the_focus_is_the_word_after_how_many(question, focus):
    assert CountPrior.focus(question) == focus


def test_a_number_counts_the_words_at_most_one_word_after_it():
    nouns = counted("A few dozen Belgian police officers amassed. They fired around 300 rounds at police for 3 days.")
    assert {"police", "rounds", "days"} <= nouns  # "dozen Belgian police", "300 rounds", "3 days"
    assert "amassed" not in nouns and "officers" not in nouns
    assert "police" not in counted("They fired around 300 rounds at police.")  # rounds are counted, not police


def test_the_noun_is_compared_as_written_so_a_modifier_is_not_a_count():
    passages_text = "A few dozen Belgian police officers amassed outside."
    assert "belgian" in counted(passages_text)
    assert CountPrior.focus("How many Belgians have gone to fight in Syria?") not in counted(passages_text)


def test_only_passages_that_count_the_noun_get_the_weight(retriever):
    prior = CountPrior()
    rows = np.arange(len(retriever.passages))
    boost = prior.boost("How many police took part in the raid?", retriever.passages, rows)
    boosted = {retriever.passages[r].paragraph for r in rows[boost > 0]}
    assert boosted == {1}  # "a few dozen Belgian police officers" is the article's one count of police
    assert set(boost) == {0.0, prior.weight}
    assert not prior.boost("Why did the police raid the apartment?", retriever.passages, rows).any()


def test_the_count_question_finds_its_answer_with_the_prior_and_not_without(retriever):
    question = "How many police took part in the raid?"
    assert retriever.search(question, top_k=1).hits[0].passage.paragraph == 1
    without = [hit.passage.paragraph for hit in retriever.configured(count_prior=False).search(question, top_k=3).hits]
    assert 1 not in without
    assert retriever.count_prior is not None  # the serving retriever is untouched


def test_the_noun_of_a_count_is_the_last_word_before_a_function_word():
    text = "A few dozen Belgian police officers came. They fired 300 rounds at police; two suspected plotters died."
    assert count_nouns(text) == {"police", "rounds", "plotters"}
    assert count_nouns("It lasted 3 days.") == {"days"}
    assert count_nouns("They were 26 and 23, one of them said.") == set()  # a function word or the end: no noun


def test_a_count_noun_of_the_same_meaning_counts_and_a_modifier_does_not(retriever):
    rows = np.arange(len(retriever.passages))
    prior = retriever.count_prior
    assert prior is not None and prior.meanings is not None
    boost = prior.boost("how many cops were there", retriever.passages, rows)
    assert 1 in {retriever.passages[r].paragraph for r in rows[boost > 0]}  # "dozen Belgian police" counts cops
    as_written = retriever.configured(count_meaning=False).count_prior
    assert as_written is not None and as_written.meanings is None
    assert not as_written.boost("how many cops were there", retriever.passages, rows).any()
    # "Belgian" modifies what "a few dozen" counts: its meaning is close to "Belgians", but it is no count of them.
    belgians = prior.boost("How many Belgians have gone to fight in Syria?", retriever.passages, rows)
    assert 1 not in {retriever.passages[r].paragraph for r in rows[belgians > 0]}


def test_the_colloquial_count_question_is_answered_from_the_count(retriever):
    question = "how many cops were there"
    assert retriever.search(question, top_k=1).hits[0].passage.paragraph == 1
    without = retriever.configured(count_meaning=False).search(question, top_k=1).hits[0].passage.paragraph
    assert without != 1


class CountingEncoder:
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        return self.encoder.encode(texts)


def test_word_meanings_encode_each_word_once_and_keep_a_bounded_number(encoder):
    counting = CountingEncoder(encoder)
    meanings = WordMeanings(counting, size=3)  # type: ignore[arg-type]
    first = meanings.vectors(["cops", "police", "cops"])
    assert first.shape == (3, encoder.dimension)
    assert np.allclose(first[0], first[2]) and float(first[0] @ first[1]) >= SAME_MEANING
    assert counting.encoded == ["cops", "police"]  # one call, each new word once
    meanings.vectors(["police", "rounds", "days"])  # four words known: the least recently used goes
    assert counting.encoded == ["cops", "police", "rounds", "days"]
    meanings.vectors(["cops"])
    assert counting.encoded[-1] == "cops"  # dropped, so encoded again
