"""The app's pipeline, built once in create_app, as the views reach it."""

from __future__ import annotations

from flask import current_app

from qa.answers import Answerer
from qa.feedback import FeedbackStore
from qa.pipeline import Pipeline


def get_pipeline() -> Pipeline:
    return current_app.extensions["qa"]


def get_answerer() -> Answerer:
    """The process's answerer; raises the index error (turned into a 503) when there is none."""
    return get_pipeline().require()


def get_feedback_store() -> FeedbackStore:
    """The app's feedback store (path from the FEEDBACK_DB setting)."""
    return current_app.extensions["feedback"]
