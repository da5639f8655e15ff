"""Errors raised by the index library; the web layer turns them into HTTP answers."""


class IndexError_(Exception):
    """Base class: something about the index or corpus prevents serving correct passages."""

    code = "index_error"

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} {self.fix}".strip()


class CorpusError(IndexError_):
    """The corpus folder is missing, empty, or holds a file that is not UTF-8 text."""

    code = "corpus_error"


class ModelError(IndexError_):
    """The embedding model directory is missing or unreadable."""

    code = "model_error"


class IndexMissing(IndexError_):
    """No index has been built in the index directory."""

    code = "index_missing"


class IndexStale(IndexError_):
    """The index was built from another corpus or another model than the one configured."""

    code = "index_stale"


class IndexCorrupt(IndexError_):
    """The index files are truncated, altered or unreadable."""

    code = "index_corrupt"


class EngineUnavailable(IndexError_):
    """The vector engine (Milvus) cannot be reached, or failed to answer."""

    code = "engine_unavailable"
