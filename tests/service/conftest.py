"""Fixtures for the service tests: apps built with the session's real retriever and their own settings."""

from __future__ import annotations

import pytest

from service import create_app


@pytest.fixture()
def make_app(retriever, index_dir, corpus_dir, tmp_path):
    def make(**config):
        settings = {
            "TESTING": True,
            "INDEX_DIR": str(index_dir),
            "CORPUS_DIR": str(corpus_dir),
            "FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            **config,
        }
        return create_app(settings, retriever=retriever)

    return make
