"""Answer quality must not regress: floors a little below the measured figures, on three question sets.

The public dev set (shared/eval) is what the fusion weights were fitted on; eval/extra was written
from the article apart from it, so a change that only pays on the dev set shows up here as a drop;
shared/eval-natural holds questions as readers type them, and near-topic ones the article does not answer;
eval/reader holds more of that kind, written in this project, and eval/fresh more again, written
blind to the pipeline (docs/quality.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answers import Answerer
from qa.evaluate import evaluate

from ..conftest import EVAL_DIR, ROOT

EXTRA_DIR = ROOT / "eval" / "extra"
NATURAL_DIR = EVAL_DIR.parent / "eval-natural"
READER_DIR = ROOT / "eval" / "reader"
FRESH_DIR = ROOT / "eval" / "fresh"
FRESH2_DIR = ROOT / "eval" / "fresh2"
TYPOS_DIR = ROOT / "eval" / "typos"
SLOPPY_DIR = ROOT / "eval" / "sloppy"

FLOORS = {
    "dev": {"hit@1": 0.90, "hit@3": 0.96, "mrr": 0.93, "answer": 0.88, "abstain_oos": 1.0, "conv_hit@3": 0.80},
    # Its out-of-scope questions are mostly near the article's subject (other attacks, dates the
    # article does not give): the confidence threshold cannot tell those apart; coverage declines some.
    "extra": {"hit@1": 0.85, "hit@3": 0.94, "mrr": 0.89, "answer": 0.82, "conv_hit@3": 0.95, "abstain_oos": 0.6},
    "natural": {
        "hit@1": 0.91,
        "hit@3": 0.96,
        "mrr": 0.94,
        "answer": 0.82,
        "conv_hit@3": 0.95,
        "abstain_near": 0.75,
        "abstain_general": 1.0,
    },
    "reader": {
        "hit@1": 0.82,
        "hit@3": 0.92,
        "mrr": 0.86,
        "answer": 0.80,
        "conv_hit@3": 0.95,
        "abstain_near": 0.85,
        "abstain_general": 1.0,
    },
    # Written by someone who had read the article and nothing of the project (eval/fresh/README.md):
    # the nearest thing here to the hidden sets, so its floors guard what generalises.
    "fresh": {
        "hit@1": 0.83,
        "hit@3": 0.92,
        "mrr": 0.86,
        "answer": 0.80,
        "conv_hit@3": 0.95,
        "abstain_near": 0.75,
        "abstain_general": 1.0,
    },
    # A second such set, written blind on 2026-11-30 (eval/fresh2/README.md), before the change it then checked.
    "fresh2": {
        "hit@1": 0.82,
        "hit@3": 0.95,
        "mrr": 0.88,
        "answer": 0.80,
        "conv_hit@3": 0.95,
        "abstain_near": 0.55,
        "abstain_general": 1.0,
    },
    # The questions of the four sets with one name misspelt, and typed in haste (scripts/variant_sets.py).
    "typos": {"hit@1": 0.86, "hit@3": 0.96, "mrr": 0.90, "answer": 0.80},
    "sloppy": {"hit@1": 0.84, "hit@3": 0.94, "mrr": 0.88, "answer": 0.80, "abstain_near": 0.8},
}
# At most this share of answerable questions declined; eval/fresh has one today ("Who were the two guys
# killed in the Verviers raid?": its first passage names no one, docs/quality.md).
FALSE_ABSTAIN = dict.fromkeys(("dev", "extra", "natural", "reader", "fresh", "fresh2", "typos", "sloppy"), 0.03)


@pytest.fixture(scope="module")
def metrics(retriever):
    """Metrics per question set, computed once for the module."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        directory: Path = {
            "dev": EVAL_DIR,
            "extra": EXTRA_DIR,
            "natural": NATURAL_DIR,
            "reader": READER_DIR,
            "fresh": FRESH_DIR,
            "fresh2": FRESH2_DIR,
            "typos": TYPOS_DIR,
            "sloppy": SLOPPY_DIR,
        }[name]
        if not directory.is_dir():
            pytest.skip(f"{directory} is not there")
        if name not in cache:
            cache[name] = evaluate(Answerer(retriever), directory)
        return cache[name]

    return get


@pytest.mark.parametrize(
    ("questions", "name", "floor"), [(q, n, f) for q, floors in FLOORS.items() for n, f in floors.items()]
)
def test_metric_stays_above_its_floor(metrics, questions, name, floor):
    value = metrics(questions)[name]
    assert value >= floor, f"{questions}: {name}={value:.3f} fell below {floor}"


@pytest.mark.parametrize("questions", list(FLOORS))
def test_no_false_abstentions_and_short_passages(metrics, questions):
    m = metrics(questions)
    assert m["false_abstain"] <= FALSE_ABSTAIN[questions]
    assert m["words/passage"] <= 130
    assert m["max_words"] <= 200
