"""Milvus for the index tests: an embedded Milvus Lite built once per session (`milvus-lite server`: bench.milvus)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.milvus_archive import milvus_build
from index.milvus_store import MilvusStore


@dataclass
class MilvusIndex:
    uri: str
    corpus: Path


@pytest.fixture(scope="session")
def milvus_db(tmp_path_factory, corpus_dir, encoder) -> Iterator[MilvusIndex]:
    """The article in an embedded Milvus Lite (a .db folder in a temporary directory), built once.

    Tests that change it restore what they change (the archive test removes what it adds).
    """
    folder = tmp_path_factory.mktemp("milvus")
    corpus = folder / "corpus"
    shutil.copytree(corpus_dir, corpus)
    uri = str(folder / "index.db")
    milvus_build(corpus, MilvusStore(uri), encoder)
    yield MilvusIndex(uri, corpus)
    # Stopped here, not by milvus_lite's own exit hook, which logs to a stream pytest has closed by then.
    from milvus_lite import server_manager_instance

    server_manager_instance.release_all()
