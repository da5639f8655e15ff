"""Property tests: passage cutting never crashes on any Unicode and its offsets always reproduce the text."""

from __future__ import annotations

import re
import string
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import HashingEncoder, chunk_documents
from index.chunking import _WORD_BEFORE, split_sentences
from index.corpus import parse_document

# Text that stresses the cutter: sentence punctuation, quotes, abbreviations, combining marks,
# right-to-left scripts, emoji (with joiners and variation selectors), NUL and other controls,
# odd spaces and line breaks, and very long words.
PIECES = st.sampled_from(
    [
        ". ",
        "? ",
        "! ",
        "...",
        '." ',
        "’ ",
        "Mr. ",
        "U.S. ",
        "e.g. ",
        "A. ",
        "\n",
        "\n\n",
        "\u00a0",
        "\u2028",
        "\u3000",
        "\x00",
        "\t",
        "\u0301",
        "e\u0301",
        "\u05e9\u05dc\u05d5\u05dd",
        "\u0645\u0631\u062d\u0628\u0627",
        "\u200f",
        "\U0001f600",
        "\U0001f469\u200d\U0001f4bb",
        "\u2764\ufe0f",
        "El Bali",
        "Verviers",
        "É",
        "1",
        "(",
        "[",
    ]
)
WORDS = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)
LONG_WORD = st.integers(min_value=2_000, max_value=10_000).map(lambda n: "x" * n)
TEXT = st.lists(st.one_of(PIECES, WORDS, st.text(max_size=20), LONG_WORD.filter(lambda _: True)), max_size=40).map(
    "".join
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(text=TEXT, offset=st.integers(min_value=0, max_value=10_000))
def test_sentences_reproduce_the_text_at_their_offsets(text, offset):
    sentences = split_sentences(text, offset)
    previous_end = offset
    for s in sentences:
        assert text[s.start - offset : s.end - offset] == s.text
        assert s.text and s.text == s.text.strip()
        assert previous_end <= s.start < s.end
        previous_end = s.end
    # Nothing but white space is left out.
    covered = "".join(s.text for s in sentences)
    assert [c for c in covered if not c.isspace()] == [c for c in text if not c.isspace()]


@FAST
@given(paragraphs=st.lists(TEXT, min_size=1, max_size=6), max_words=st.integers(min_value=5, max_value=80))
def test_passages_reproduce_the_source_and_respect_the_token_limit(paragraphs, max_words):
    encoder = HashingEncoder(max_tokens=32)
    source = "\n\n".join(paragraphs)
    document = parse_document("doc", source)
    passages = chunk_documents([document], encoder, encoder.max_tokens, max_words=max_words)
    for p in passages:
        assert document.source[p.start : p.end] == p.text
        assert p.sentences and p.sentences[0].start == p.start and p.sentences[-1].end == p.end
        for s in p.sentences:
            assert document.source[s.start : s.end] == s.text
            assert len(encoder.token_spans(s.text)) <= encoder.max_tokens
    ids = [p.id for p in passages]
    assert len(ids) == len(set(ids))


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab.,!? \u00e9\u0301\x00\U0001f600"), max_size=30))
def test_the_word_before_a_stop_is_found_as_before(text):
    """The look-behind only saves time: the word found is the one the plain pattern finds."""
    plain = re.search(r"([\w.]+)\W*$", text)
    fast = _WORD_BEFORE.search(text)
    assert (plain.group(1) if plain else None) == (fast.group(1) if fast else None)


def test_a_ten_thousand_character_word_before_many_stops_is_cut_quickly():
    text = "x" * 10_000 + " Mr. Abc" * 300 + ". End."
    started = time.perf_counter()
    sentences = split_sentences(text)
    assert time.perf_counter() - started < 5  # was over 400 s: a quadratic regex search per stop
    assert [s.text[-4:] for s in sentences] == ["Abc.", "End."]
