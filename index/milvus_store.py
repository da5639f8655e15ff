"""The index in Milvus (``QA_VECTOR_STORE=milvus``): one client for Milvus Lite and a Milvus cluster alike.

Three collections, every row keyed by its document so a document's rows are removed exactly:

* ``qa_passages``: one row a passage: its dense vector (the one FLOAT_VECTOR field), its stemmed
  BM25 terms (an analysed VARCHAR with Milvus's BM25 function into a sparse field), and the
  passage as JSON (offsets, sentences, the token count of each sentence).
* ``qa_sentences``: one row a sentence: its dense vector and BM25 terms, keyed ``<passage>#<n>``.
* ``qa_blobs``: what has no vector of its own, as text in chunks under Milvus's 65,535-byte
  VARCHAR limit: each passage's token vectors (float16, late interaction) and each document's
  source files (its ``.txt`` and ``.json`` metadata, as written), both base64; each document's share
  of the corpus-wide statistics; and the corpus record (model checksum, corpus version, checksum).
  The sources make Milvus the corpus a worker serves (its article pages too): no host needs a
  corpus folder of its own, and the record's checksum is computed from them as from a folder.
  Milvus asks every collection for a vector field; this one carries a 2-d placeholder.

Milvus Lite 3.2 has one FLOAT_VECTOR field a collection and no float16 or array-of-vector fields,
hence token vectors as bytes. Text is cut into terms here (bm25s's stemmer and stop words) and
Milvus's standard analyser only splits them on spaces, so both lexical options see the same terms.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .chunking import Passage, Sentence
from .corpus import Document, documents_from_files
from .encoded import Encoded, sentence_df
from .errors import EngineUnavailable, IndexMissing, IndexStale
from .lede import lede_terms
from .lexical import TermCutter
from .words import cased_words

log = logging.getLogger(__name__)

PREFIX = "qa"
PASSAGES, SENTENCES, BLOBS = f"{PREFIX}_passages", f"{PREFIX}_sentences", f"{PREFIX}_blobs"
CORPUS_RECORD = "corpus"
FORMAT_VERSION = 2  # 2: the documents' source files are stored
CHUNK_CHARS = 60_000  # under Milvus's 65,535-byte VARCHAR limit; base64 is ASCII, so chars are bytes
TOKEN_BYTES_ROW = CHUNK_CHARS // 4 * 3  # raw bytes per chunk
# A document's files as blob kinds. Sources are stored as base64 of their bytes, not as text: a UTF-8
# character takes up to 4 bytes of the VARCHAR limit, and the bytes are what the checksum covers.
FILE_KINDS = {".txt": "source", ".json": "metadata"}
QUERY_LIMIT = 16_384  # Milvus's largest result window
REBUILD = "Rebuild it with `python -m index build` (with QA_VECTOR_STORE=milvus)."


def connect(uri: str, timeout: float = 10.0) -> Any:
    """A client for ``uri`` (a ``.db`` path for embedded Milvus Lite, or ``http://host:19530``)."""
    from pymilvus import MilvusClient

    try:
        return MilvusClient(uri=uri, timeout=timeout)
    except Exception as exc:  # pymilvus raises many types for one cause: nothing answers there
        raise EngineUnavailable(f"Milvus at {uri} cannot be reached ({type(exc).__name__}).", _START) from None


_START = "Start Milvus (or `milvus-lite server`) there, or set QA_MILVUS_URI."


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _chunks(text: str) -> list[str]:
    return [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]


@dataclass
class DocumentStats:
    """One document's share of the corpus-wide statistics the ranking needs, kept so removal is exact."""

    sentences: int
    df: dict[int, int]  # token id -> sentences of this document holding it
    lede: list[str]  # stemmed terms of its lede (title, standfirst, paragraph 1)
    upper: list[str]  # words written capitalised inside a sentence
    lower: list[str]  # words written in lower case
    tokens: int = 0  # its token vectors (0 in records written before it was kept)

    @classmethod
    def of(cls, part: Encoded, cutter: TermCutter) -> DocumentStats:
        df = sentence_df(part.token_ids, part.token_offsets)
        upper, lower = cased_words(s for p in part.passages for s in p.sentences)
        nonzero = np.flatnonzero(df)
        return cls(
            part.sentence_count,
            {int(i): int(df[i]) for i in nonzero},
            sorted(lede_terms(part.passages, cutter)),
            sorted(upper),
            sorted(lower),
            len(part.token_ids),
        )

    def added_to(self, df: np.ndarray) -> np.ndarray:
        """``df`` (counts by token id) with this document's counts added; longer if its ids go past the end."""
        ids = np.array(list(self.df), dtype=np.int64)
        if len(ids) and ids.max() >= len(df):
            df = np.concatenate([df, np.zeros(ids.max() + 1 - len(df), dtype=np.int64)])
        df[ids] += np.array(list(self.df.values()), dtype=np.int64)
        return df


# Calls that read a collection: Milvus answers them only for a collection loaded into memory.
_READS = frozenset({"query", "search", "get", "hybrid_search", "query_iterator"})


class MilvusStore:
    """Reads and writes the index's collections through one ``MilvusClient``; errors become ``IndexError_``."""

    def __init__(self, uri: str, timeout: float = 10.0) -> None:
        self.uri = uri
        self.client = connect(uri, timeout)
        self.cutter = TermCutter()
        self._loaded = False

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One call to Milvus; a failure is reported as the engine being unavailable, never as a trace."""
        if method in _READS and not self._loaded:
            self._load()
        try:
            return getattr(self.client, method)(*args, **kwargs)
        except Exception as exc:
            log.warning("milvus %s failed: %s", method, exc)
            raise EngineUnavailable(
                f"Milvus at {self.uri} failed on {method} ({type(exc).__name__}).", _START
            ) from None

    def _load(self) -> None:
        """Load the collections into memory before the first read, as Milvus requires of a process that
        did not create them (a fresh worker, a Milvus restarted, an embedded ``.db`` built by the CLI)."""
        self._loaded = True  # before the calls below, which are not reads
        for name in (PASSAGES, SENTENCES, BLOBS):
            if self._call("has_collection", name):
                self._call("load_collection", name)

    # --- schema -------------------------------------------------------------------------------

    def create(self, dimension: int) -> None:
        """Drop and create the three collections (a build starts from nothing)."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        for name in (PASSAGES, SENTENCES, BLOBS):
            if self._call("has_collection", name):
                self._call("drop_collection", name)
        for name in (PASSAGES, SENTENCES):
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
            schema.add_field("document", DataType.VARCHAR, max_length=256)
            schema.add_field("passage", DataType.VARCHAR, max_length=512)
            schema.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True)
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
            schema.add_field("meta", DataType.JSON)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["terms"],
                    output_field_names=["sparse"],
                )
            )
            params = self.client.prepare_index_params()
            # Exact inner product on unit vectors (cosine), as FAISS's flat index below 50k vectors;
            # a cluster holding an archive would take HNSW here (docs/scaling.md).
            params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            # bm25s's defaults (k1 1.5, b 0.75), so the server's BM25 differs from it only in idf.
            params.add_index(
                field_name="sparse",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params={"bm25_k1": 1.5, "bm25_b": 0.75},
            )
            self._call("create_collection", name, schema=schema, index_params=params)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=600)
        schema.add_field("document", DataType.VARCHAR, max_length=256)
        schema.add_field("passage", DataType.VARCHAR, max_length=512)
        schema.add_field("kind", DataType.VARCHAR, max_length=16)
        schema.add_field("part", DataType.INT64)
        schema.add_field("data", DataType.VARCHAR, max_length=65_535)
        schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=2)
        params = self.client.prepare_index_params()
        params.add_index(field_name="placeholder", index_type="FLAT", metric_type="L2")
        self._call("create_collection", BLOBS, schema=schema, index_params=params)

    # --- writing ------------------------------------------------------------------------------

    def write_document(self, document: str, part: Encoded, files: Mapping[str, bytes]) -> DocumentStats:
        """Insert one document's rows and its source ``files`` (its old rows must be deleted first); its statistics."""
        passages, sentences, blobs = [], [], self._file_blobs(document, files)
        s = 0
        for i, passage in enumerate(part.passages):
            n = len(passage.sentences)
            lengths = np.diff(part.token_offsets[s : s + n + 1]).tolist()
            meta = {**asdict(passage), "token_counts": lengths}
            passages.append(
                self._row(passage.id, document, passage.id, passage.indexed_text, part.passage_vectors[i], meta)
            )
            for k, sentence in enumerate(passage.sentences):
                sentences.append(
                    self._row(
                        f"{passage.id}#{k}", document, passage.id, sentence.text, part.sentence_vectors[s + k], {}
                    )
                )
            t0, t1 = int(part.token_offsets[s]), int(part.token_offsets[s + n])
            raw = part.token_vectors[t0:t1].astype(np.float16).tobytes()
            for j in range(0, max(len(raw), 1), TOKEN_BYTES_ROW):
                blobs.append(self._blob(f"tokens:{passage.id}:{j // TOKEN_BYTES_ROW}", document, passage.id, "tokens",
                                        j // TOKEN_BYTES_ROW, _b64(raw[j : j + TOKEN_BYTES_ROW])))  # fmt: skip
            s += n
        stats = DocumentStats.of(part, self.cutter)
        for j, chunk in enumerate(_chunks(json.dumps(asdict(stats)))):
            blobs.append(self._blob(f"stats:{document}:{j}", document, "", "stats", j, chunk))
        for name, rows in ((PASSAGES, passages), (SENTENCES, sentences), (BLOBS, blobs)):
            for k in range(0, len(rows), 500):
                self._call("insert", name, rows[k : k + 500])
        return stats

    def write_files(self, document: str, files: Mapping[str, bytes]) -> None:
        """Insert files of the corpus with no document to index (a ``<stem>.json`` whose text is not there)."""
        self._call("insert", BLOBS, self._file_blobs(document, files))

    def _file_blobs(self, document: str, files: Mapping[str, bytes]) -> list[dict]:
        blobs = []
        for name, data in files.items():
            stem, suffix = name.rsplit(".", 1)
            if stem != document or f".{suffix}" not in FILE_KINDS:
                raise ValueError(f"{name} is not a file of document {document!r}")
            kind = FILE_KINDS[f".{suffix}"]
            for j, chunk in enumerate(_chunks(_b64(data))):
                blobs.append(self._blob(f"{kind}:{document}:{j}", document, "", kind, j, chunk))
        return blobs

    def _row(self, key: str, document: str, passage: str, text: str, vector: np.ndarray, meta: dict) -> dict:
        # An empty terms field would give Milvus's BM25 function nothing to index: one space is no term.
        terms = " ".join(self.cutter.terms(text)) or " "
        return {"id": key, "document": document, "passage": passage, "terms": terms,
                "vector": np.asarray(vector, dtype=np.float32).tolist(), "meta": meta}  # fmt: skip

    @staticmethod
    def _blob(key: str, document: str, passage: str, kind: str, part: int, data: str) -> dict:
        return {"id": key, "document": document, "passage": passage, "kind": kind, "part": part, "data": data,
                "placeholder": [0.0, 0.0]}  # fmt: skip

    def delete_document(self, document: str) -> None:
        """Delete every row of ``document`` in every collection."""
        for name in (PASSAGES, SENTENCES, BLOBS):
            self._call("delete", name, filter=f"document == {json.dumps(document)}")

    def write_corpus(self, record: dict) -> None:
        """Write the corpus record last: workers watch its version to refresh."""
        self._call("upsert", BLOBS, [self._blob(CORPUS_RECORD, "", "", "corpus", 0, json.dumps(record))])

    # --- reading ------------------------------------------------------------------------------

    def corpus(self) -> dict:
        """The corpus record; IndexMissing when nothing was built in this Milvus."""
        if not self._call("has_collection", BLOBS):
            raise IndexMissing(f"No index in Milvus at {self.uri}.", REBUILD)
        rows = self._call("query", BLOBS, filter=f'id == "{CORPUS_RECORD}"', output_fields=["data"])
        if not rows:
            raise IndexMissing(f"No index in Milvus at {self.uri} (no corpus record).", REBUILD)
        record = json.loads(rows[0]["data"])
        if record.get("format") != FORMAT_VERSION:
            raise IndexStale(f"The index in Milvus at {self.uri} has an unknown format.", REBUILD)
        return record

    def stats(self) -> dict[str, DocumentStats]:
        """Every document's statistics, by document."""
        rows = self._query_all(BLOBS, 'kind == "stats"', ["document", "part", "data"])
        parts: dict[str, list[tuple[int, str]]] = {}
        for row in rows:
            parts.setdefault(row["document"], []).append((int(row["part"]), row["data"]))
        return {
            doc: DocumentStats(**json.loads("".join(d for _, d in sorted(chunks)))) for doc, chunks in parts.items()
        }

    def sources(self) -> dict[str, bytes]:
        """The corpus's files by name, as stored (what ``corpus_files`` gives for a folder holding this corpus)."""
        kinds = {kind: suffix for suffix, kind in FILE_KINDS.items()}
        rows = self._query_all(BLOBS, f"kind in {json.dumps(list(kinds))}", ["document", "kind", "part", "data"])
        parts: dict[str, list[tuple[int, str]]] = {}
        for row in rows:
            parts.setdefault(row["document"] + kinds[row["kind"]], []).append((int(row["part"]), row["data"]))
        return {name: base64.b64decode("".join(d for _, d in sorted(chunks))) for name, chunks in sorted(parts.items())}

    def documents(self) -> dict[str, Document]:
        """Every document, by id, read from its stored sources as the corpus loader reads files."""
        return {doc.id: doc for doc in documents_from_files(self.sources())}

    def _query_all(self, name: str, filter: str, fields: list[str]) -> Iterator[dict]:
        """Every row matching ``filter``, in batches (a corpus can hold more than one result window)."""
        iterator = self._call("query_iterator", name, filter=filter, output_fields=fields, batch_size=1000)
        while True:
            batch = iterator.next()
            if not batch:
                iterator.close()
                return
            yield from batch

    def texts(self, name: str) -> tuple[list[str], list[str]]:
        """Ids and stemmed terms of every row of ``name`` (the in-process BM25 option)."""
        rows = sorted(self._query_all(name, "", ["id", "terms"]), key=lambda r: r["id"])
        return [r["id"] for r in rows], [r["terms"] for r in rows]

    def passage_ids(self, document: str) -> list[str]:
        """The ids of ``document``'s passages, in reading order."""
        rows = self._query_all(PASSAGES, f"document == {json.dumps(document)}", ["id"])
        return sorted((r["id"] for r in rows), key=passage_order)

    def sentence_vectors(self) -> tuple[list[str], list[str], np.ndarray]:
        """Ids, passage ids and vectors of every sentence (hub scores, index/hubness.py; small corpora only)."""
        rows = sorted(self._query_all(SENTENCES, "", ["id", "passage", "vector"]), key=lambda r: r["id"])
        vectors = np.array([r["vector"] for r in rows], dtype=np.float32).reshape(len(rows), -1)
        return [r["id"] for r in rows], [r["passage"] for r in rows], vectors

    def dense(self, name: str, vector: np.ndarray, limit: int, field: str) -> list[str]:
        """The ``field`` of the ``limit`` rows of ``name`` nearest ``vector``."""
        found = self._call("search", name, data=[vector.tolist()], anns_field="vector", limit=limit,
                           output_fields=[field], search_params={"metric_type": "IP"})  # fmt: skip
        return [hit["entity"][field] for hit in found[0]]

    def bm25(self, name: str, terms: Sequence[str], limit: int, filter: str = "") -> dict[str, float]:
        """Milvus's BM25 of the rows of ``name`` matching the query terms, by id (rows with no match left out)."""
        if not terms or limit <= 0:
            return {}
        found = self._call("search", name, data=[" ".join(terms)], anns_field="sparse", limit=min(limit, QUERY_LIMIT),
                           output_fields=["id"], filter=filter, search_params={"metric_type": "BM25"})  # fmt: skip
        # Milvus Lite reports BM25 as a negated distance and Milvus as a score; either way its size is the score.
        return {hit["id"]: abs(float(hit["distance"])) for hit in found[0]}

    def fetch(self, passage_ids: Sequence[str], known: Mapping[str, np.ndarray] | None = None) -> Fetched:
        """The passages, their vectors, their sentences' vectors and their token vectors, in the order asked.

        Token vectors are the bulk of a fetch (base64 float16): those in ``known`` are not fetched again.
        """
        known = known or {}
        ids = json.dumps(list(passage_ids))
        rows = {
            r["id"]: r for r in self._call("query", PASSAGES, filter=f"id in {ids}", output_fields=["meta", "vector"])
        }
        sents = self._call("query", SENTENCES, filter=f"passage in {ids}", output_fields=["vector"])
        wanted = [p for p in passage_ids if p not in known]
        blobs = self._call("query", BLOBS, filter=f'kind == "tokens" and passage in {json.dumps(wanted)}',
                           output_fields=["passage", "part", "data"]) if wanted else []  # fmt: skip
        missing = [p for p in passage_ids if p not in rows]
        if missing:  # a document removed between the search and the fetch
            raise EngineUnavailable(f"Passages {missing[:3]} vanished from Milvus during a question.", "Ask again.")
        sentence_vector = {r["id"]: r["vector"] for r in sents}
        chunks: dict[str, list[tuple[int, str]]] = {}
        for blob in blobs:
            chunks.setdefault(blob["passage"], []).append((int(blob["part"]), blob["data"]))
        passages: list[Passage] = []
        pvecs, svecs, tokens, lengths = [], [], [], []  # type: ignore[var-annotated]
        for pid in passage_ids:
            meta = dict(rows[pid]["meta"])
            lengths.extend(meta.pop("token_counts"))
            passage = Passage(**{**meta, "sentences": tuple(Sentence(**s) for s in meta["sentences"])})
            passages.append(passage)
            pvecs.append(rows[pid]["vector"])
            svecs.extend(sentence_vector[f"{pid}#{k}"] for k in range(len(passage.sentences)))
            if pid in known:
                tokens.append(known[pid])
                continue
            raw = b"".join(base64.b64decode(d) for _, d in sorted(chunks.get(pid, [])))
            tokens.append(np.frombuffer(raw, dtype=np.float16).reshape(-1, len(pvecs[0])))
        return Fetched(
            passages, np.asarray(pvecs, np.float32), np.asarray(svecs, np.float32), tokens, np.asarray(lengths)
        )


def passage_order(passage_id: str) -> tuple[str, int, int]:
    """Corpus order (document, paragraph, part), as the FAISS index holds passages: ties rank alike."""
    document, paragraph, part = passage_id.rsplit(":", 2)
    return document, int(paragraph), int(part)


@dataclass
class Fetched:
    """Candidate passages as fetched from Milvus, with everything the ranking reads of them."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray  # every passage's sentences in turn
    tokens: list[np.ndarray]  # each passage's token vectors (float16), its sentences' in turn
    token_lengths: np.ndarray  # tokens of each sentence
