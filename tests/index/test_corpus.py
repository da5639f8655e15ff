"""The loader keeps the article a reader sees and sets aside what the scraper carried along."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import CorpusError, load_corpus
from index.corpus import parse_document

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def article():
    (doc,) = load_corpus(ROOT / "corpus")
    return doc


def test_corpus_file_is_the_shared_article_byte_for_byte():
    shared = ROOT.parent / "shared" / "corpus" / "verviers-raid.txt"
    if not shared.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert (ROOT / "corpus" / "verviers-raid.txt").read_bytes() == shared.read_bytes()


def test_offsets_reproduce_every_paragraph(article):
    for para in article.paragraphs:
        assert article.source[para.start : para.end] == para.text


def test_page_chrome_is_not_article_text(article):
    assert all("Skip to footer" not in p.text for p in article.paragraphs)
    assert ("chrome", "Skip to footer") in article.dropped


def test_headline_is_the_title_not_a_paragraph(article):
    assert article.title == "The Anti-Terror Raid That Asked All The Wrong Questions"
    assert all(p.text != article.title for p in article.paragraphs)


def test_pull_quotes_do_not_become_passages_but_their_body_paragraphs_remain(article):
    pulled = [text for reason, text in article.dropped if reason == "pull quote"]
    assert len(pulled) == 2
    body = " ".join(p.text for p in article.paragraphs)
    assert "If you go to Syria you can have money and a nice life" in body
    assert "crazy motherfuckers came from here" in body
    assert all(p.text not in pulled for p in article.paragraphs)


def test_paragraph_numbers_follow_a_readers_count(article):
    # Counting by hand down the article: the dateline paragraph is the first, the paragraph naming
    # Mohamed's parents' jobs is the 15th, and the credit line closes the article.
    numbers = {p.number: p for p in article.paragraphs}
    assert numbers[0].kind == "standfirst" and "Joshua Hersh" in numbers[0].text
    assert numbers[1].text.startswith("BRUSSELS — On a cold evening in January")
    assert numbers[15].text.startswith("When Mohamed was 16 or 17")
    last = article.paragraphs[-1]
    assert last.kind == "credit" and last.text.startswith("Alice Dulczewski contributed")
    assert [p.number for p in article.paragraphs] == list(range(len(article.paragraphs)))


def test_a_plain_document_without_headline_or_chrome_keeps_every_line():
    source = "First paragraph, a full sentence.\n\nSecond one here.\n"
    doc = parse_document("notes", source)
    assert [p.text for p in doc.paragraphs] == ["First paragraph, a full sentence.", "Second one here."]
    assert [p.number for p in doc.paragraphs] == [1, 2]
    assert doc.title == "notes"


def test_another_text_file_in_the_corpus_is_loaded_too(tmp_path):
    (tmp_path / "a.txt").write_text("Alpha paragraph one.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Beta paragraph one.\n\nBeta paragraph two.\n", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["a", "b"]
    assert len(docs[1].paragraphs) == 2


def test_a_file_that_is_not_utf8_is_named_in_the_error(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Li\xe8ge".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin\.txt is not UTF-8"):
        load_corpus(tmp_path)


def test_an_empty_corpus_folder_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match=r"No \*\.txt documents"):
        load_corpus(tmp_path)
