"""Load the corpus: plain-text articles, one paragraph per line, as a scraper left them.

The loader separates what a reader sees as the article from what the scraper carried along,
by general rules rather than by line number:

* page chrome (``Skip to footer``, ``Advertisement`` ...) is dropped;
* the headline (first line, short, no closing punctuation) becomes the document title;
* the standfirst ("dek") between the headline and a datelined first paragraph is kept as
  paragraph 0, since it is text the reader sees (and often names the author);
* pull quotes, which repeat a sentence of the body, are dropped so citations point at the body;
* a closing credit line ("X contributed to the reporting ...") is kept as the last paragraph.

Body paragraphs are numbered from 1, as a reader counts them. Offsets are character offsets
into the decoded file text, so ``source[start:end] == text`` always holds.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError

# Generic web-page furniture that scrapers pick up; none of it is specific to one article.
_CHROME = re.compile(
    r"^(skip to (main )?(content|footer|navigation|menu)|advertisement|share( this)?( article| story)?"
    r"|related( stories| articles)?|read more|sign up.*newsletter.*|follow us.*|back to top"
    r"|comments?|print|email|tweet|facebook|twitter|continue reading|more on this)\W*$",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^[A-Z][A-Z .,'\u2019-]{2,40}\s[\u2014\u2013-]\s")
_CREDIT = re.compile(r"\bcontributed (reporting|to (the )?(reporting|this (story|report|article)))\b", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*$")
PULL_QUOTE_MAX_WORDS = 60
PULL_QUOTE_OVERLAP = 0.8
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


@dataclass(frozen=True)
class Paragraph:
    """One paragraph a reader sees, with its place in the source file."""

    number: int
    start: int
    end: int
    text: str
    kind: str = "body"  # "standfirst" | "body" | "credit"


@dataclass(frozen=True)
class Document:
    """One article: its id (file stem), metadata, source text and readable paragraphs."""

    id: str
    title: str
    source: str
    paragraphs: list[Paragraph]
    metadata: dict = field(default_factory=dict)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, text) for inspection


def normalise(text: str) -> str:
    """Fold quotes, case, punctuation and spacing so a pull quote matches its body sentence."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _blocks(source: str) -> list[tuple[int, int]]:
    """Character spans of the non-blank lines, whitespace trimmed."""
    spans = []
    for match in re.finditer(r"[^\n]+", source):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + (len(line) - len(line.lstrip()))
        spans.append((start, start + len(stripped)))
    return spans


def _is_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def _trigrams(text: str) -> list[tuple[str, ...]]:
    words = text.split()
    return [tuple(words[k : k + 3]) for k in range(len(words) - 2)]


def _is_pull_quote(i: int, grams: list[list[tuple[str, ...]]]) -> bool:
    """A short block most of whose word trigrams stand in a longer block is a pull quote.

    Editors trim pull quotes and drop the attribution ("...," Mohamed said, "..."), so an exact
    substring test misses them; the share of shared trigrams does not.
    """
    own = grams[i]
    if not 3 <= len(own) <= PULL_QUOTE_MAX_WORDS:
        return False
    for j, other in enumerate(grams):
        if j != i and len(other) > len(own):
            shared = set(own) & set(other)
            if sum(g in shared for g in own) >= PULL_QUOTE_OVERLAP * len(own):
                return True
    return False


def parse_document(doc_id: str, source: str, metadata: dict | None = None) -> Document:
    """Split one article's text into readable paragraphs, setting aside chrome and pull quotes."""
    metadata = dict(metadata or {})
    spans = _blocks(source)
    dropped: list[tuple[str, str]] = []
    texts = [source[s:e] for s, e in spans]

    keep = []
    for (s, e), text in zip(spans, texts, strict=True):
        if _CHROME.match(text):
            dropped.append(("chrome", text))
        else:
            keep.append((s, e, text))
    # Trailing short fragments without sentence punctuation are page furniture too.
    while keep and not _is_sentence(keep[-1][2]) and len(keep[-1][2].split()) <= 6:
        dropped.append(("chrome", keep.pop()[2]))

    title = metadata.get("title") or ""
    if keep:
        first = keep[0][2]
        if first == title or (not _is_sentence(first) and len(first.split()) <= 20):
            title = title or first
            dropped.append(("headline", first))
            keep.pop(0)
    title = title or doc_id

    standfirst = None
    dateline_at = next((i for i, (_, _, t) in enumerate(keep) if _DATELINE.match(t)), None)
    if dateline_at == 1:
        standfirst = keep.pop(0)

    grams = [_trigrams(normalise(t)) for _, _, t in keep]
    body = []
    for i, (s, e, text) in enumerate(keep):
        if _is_pull_quote(i, grams):
            dropped.append(("pull quote", text))
        else:
            body.append((s, e, text))

    paragraphs = []
    if standfirst:
        paragraphs.append(Paragraph(0, standfirst[0], standfirst[1], standfirst[2], "standfirst"))
    for number, (s, e, text) in enumerate(body, start=1):
        kind = "credit" if number == len(body) and _CREDIT.search(text) else "body"
        paragraphs.append(Paragraph(number, s, e, text, kind))
    return Document(doc_id, title, source, paragraphs, metadata, dropped)


def load_corpus(directory: Path) -> list[Document]:
    """Load every ``*.txt`` in ``directory`` (with an optional ``<stem>.json`` of metadata)."""
    directory = Path(directory)
    files = sorted(directory.glob("*.txt")) if directory.is_dir() else []
    if not files:
        raise CorpusError(
            f"No *.txt documents found in {directory}.", "Put UTF-8 text files (one paragraph per line) there."
        )
    return [load_document(path) for path in files]


def load_document(path: Path) -> Document:
    """Load one ``*.txt`` document (and its ``<stem>.json`` metadata beside it, if any); CorpusError if unreadable."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    try:
        text = path.read_bytes()
        metadata = meta_path.read_bytes() if meta_path.exists() else None
    except OSError as exc:
        raise CorpusError(f"{path.name} cannot be read ({exc.strerror}).", "Check the path.") from None
    return document_from_files(path.stem, text, metadata)


def document_from_files(doc_id: str, text: bytes, metadata: bytes | None = None) -> Document:
    """The document a ``<doc_id>.txt`` holding ``text`` (and a ``<doc_id>.json`` holding ``metadata``) loads as.

    One reading for the corpus folder and for the sources an engine stores (Milvus), so both give
    the same ``Document``; CorpusError when the text is not UTF-8 or the metadata not JSON.
    """
    try:
        source = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{doc_id}.txt is not UTF-8 text ({exc.reason} at byte {exc.start}).", "Re-save it as UTF-8."
        ) from None
    meta = {}
    if metadata is not None:
        try:
            meta = json.loads(metadata.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorpusError(f"{doc_id}.json is not valid JSON: {exc}.", "Fix or remove it.") from None
    return parse_document(doc_id, source, meta)


def documents_from_files(files: dict[str, bytes]) -> list[Document]:
    """Every document in ``files`` (a corpus's files by name, as ``corpus_files`` gives them), in file-name order."""
    texts = sorted(name for name in files if name.endswith(".txt"))
    return [document_from_files(name[:-4], files[name], files.get(f"{name[:-4]}.json")) for name in texts]


def corpus_files(directory: Path) -> dict[str, bytes]:
    """The corpus's files by name: what its checksum covers."""
    paths = sorted(Path(directory).glob("*.txt")) + sorted(Path(directory).glob("*.json"))
    return {path.name: path.read_bytes() for path in paths}


def corpus_checksum(directory: Path) -> str:
    """A sha256 over every document and metadata file, so an index knows which corpus it holds."""
    return files_checksum(corpus_files(directory))


def files_checksum(files: dict[str, bytes]) -> str:
    """``corpus_checksum`` of a folder that would hold ``files`` (before an add or remove makes it so)."""
    digest = hashlib.sha256()
    names = sorted(n for n in files if n.endswith(".txt")) + sorted(n for n in files if n.endswith(".json"))
    for name in names:
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()
