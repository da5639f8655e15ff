"""Answer quality on the public dev set must not regress (thresholds a little below the measured figures)."""

from __future__ import annotations

import pytest

from service.answers import Answerer
from service.evaluate import evaluate

from ..conftest import EVAL_DIR

pytestmark = pytest.mark.skipif(not EVAL_DIR.is_dir(), reason="shared/eval is not beside this checkout")


@pytest.fixture(scope="module")
def metrics(retriever):
    return evaluate(Answerer(retriever), EVAL_DIR)


@pytest.mark.parametrize(
    ("name", "floor"),
    [("hit@1", 0.85), ("hit@3", 0.96), ("mrr", 0.90), ("answer", 0.80), ("abstain_oos", 1.0), ("conv_hit@3", 0.80)],
)
def test_metric_stays_above_its_floor(metrics, name, floor):
    assert metrics[name] >= floor, f"{name}={metrics[name]:.3f} fell below {floor}"


def test_no_false_abstentions_and_short_passages(metrics):
    assert metrics["false_abstain"] <= 0.04
    assert metrics["words/passage"] <= 130
    assert metrics["max_words"] <= 200
