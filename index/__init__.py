"""Corpus loading, passage cutting, embedding and hybrid search for the article QA service.

A library with no web framework in it: usable from the CLI (``python -m index``), a script or a notebook.
"""

from .chunking import Passage, Sentence, chunk_documents
from .corpus import Document, load_corpus
from .encoder import Encoder, HashingEncoder, SentenceTransformerEncoder
from .errors import CorpusError, IndexCorrupt, IndexError_, IndexMissing, IndexStale, ModelError
from .fusion import Weights
from .ranking import Hit, Ranker, SearchResult, UnknownDocument
from .retriever import Retriever
from .store import Index, build_index, load_index

__all__ = [
    "CorpusError",
    "Document",
    "Encoder",
    "HashingEncoder",
    "Hit",
    "Index",
    "IndexCorrupt",
    "IndexError_",
    "IndexMissing",
    "IndexStale",
    "ModelError",
    "Passage",
    "Ranker",
    "Retriever",
    "SearchResult",
    "Sentence",
    "SentenceTransformerEncoder",
    "UnknownDocument",
    "Weights",
    "build_index",
    "chunk_documents",
    "load_corpus",
    "load_index",
]
