"""The app's pipeline and shared state, built once in create_app, as the views reach them."""

from __future__ import annotations

from flask import current_app

from qa.answers import Answerer
from qa.db import Databases
from qa.feedback import FeedbackStore
from qa.pipeline import Pipeline


def get_pipeline() -> Pipeline:
    return current_app.extensions["qa"]


def get_answerer() -> Answerer:
    """The process's answerer; raises the index error (turned into a 503) when there is none."""
    return get_pipeline().require()


def get_feedback_store() -> FeedbackStore:
    """The app's feedback store (in the database of DATABASE_URL, else the FEEDBACK_DB file)."""
    return current_app.extensions["feedback"]


def get_databases() -> Databases:
    """Where the app's shared state lives (qa.db.open_databases)."""
    return current_app.extensions["databases"]
