"""Links a reader follows from a citation to the article page, the same from every surface.

A cited passage opens the article at its paragraph with the answering sentence marked
(``/articles/<document>?s=…&e=…#p<n>``); related reading opens the paragraph alone, since the
page marks only what an answer cites.
"""

from __future__ import annotations

from urllib.parse import quote

from .models import CitedPassage


def document_url(base_url: str, document: str) -> str:
    """The web page of a whole document."""
    return f"{base_url.rstrip('/')}/articles/{quote(document, safe='')}"


def paragraph_url(base_url: str, document: str, paragraph: int) -> str:
    """The web page of a document, at one paragraph's anchor."""
    return f"{document_url(base_url, document)}#p{int(paragraph)}"


def sentence_span(passage: CitedPassage) -> tuple[int, int]:
    """Character offsets, in the document, of the passage's highlighted sentence."""
    return passage.start + passage.highlight.start, passage.start + passage.highlight.end


def article_url(base_url: str, passage: CitedPassage, cited: bool = True) -> str:
    """The reader's link to the passage's paragraph; a cited one carries its sentence's offsets to mark."""
    if not cited:
        return paragraph_url(base_url, passage.document, passage.paragraph)
    start, end = sentence_span(passage)
    return f"{document_url(base_url, passage.document)}?s={start}&e={end}#p{passage.paragraph}"
