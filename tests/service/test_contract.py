"""Fuzzing from the contract: schemathesis drives every operation of the app's own /openapi.json.

Generated requests (valid and invalid, positive and negative) must never get a 5xx, and every
response must match what the spec declares for its status code (body schema, content type).
Bounded: a few dozen examples per operation, in-process against the real answerer.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from service import create_app


@pytest.fixture(scope="module")
def contract_schema(retriever, index_dir, corpus_dir, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(index_dir),
            "CORPUS_DIR": str(corpus_dir),
            "FEEDBACK_DB": str(tmp_path_factory.mktemp("contract") / "feedback.sqlite3"),
            "RATELIMIT_ENABLED": False,
        },
        retriever=retriever,
    )
    config = SchemathesisConfig.from_dict(
        {
            "checks": {
                # 413 (body over MAX_CONTENT_LENGTH) is as much a refusal of bad data as 400.
                "negative_data_rejection": {"expected-statuses": [400, 404, 405, 413, 415]},
                # Checked below instead, where the one rule JSON Schema cannot state is allowed for.
                "positive_data_acceptance": {"enabled": False},
            }
        }
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_honours_its_contract(contract_schema, mode):
    operations = [result.ok() for result in contract_schema.get_all_operations()]  # an Err names a bad spec
    assert {op.label for op in operations} >= {
        "POST /api/ask",
        "POST /api/feedback",
        "GET /healthz",
        "GET /readyz",
        "POST /v1/chat/completions",
        "GET /v1/models",
    }
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() != "POST":
            continue  # the health checks take no input, so nothing can be made invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def honours_contract(case):
            response = case.call_and_validate()
            if mode is GenerationMode.POSITIVE and response.status_code >= 400:
                # Schema-valid yet refused only for what a schema cannot say: a body over 64 KiB
                # (20 turns of 4000 escaped characters) or a history over 20,000 characters in all;
                # or, for /v1/chat/completions, a conversation without a user message: the spec says so
                # with `contains`, which schemathesis's draft-4 generation does not honour; or a `document`
                # the corpus does not hold (a growing archive's ids are not a fixed enum in a schema).
                message = response.json()["error"]["message"]
                refusable = ("in all", "must include a user message", "in this corpus")
                assert response.status_code == 413 or (
                    response.status_code == 400 and any(rule in message for rule in refusable)
                ), message

        honours_contract()


def test_the_spec_declares_every_error_the_api_gives(contract_schema):
    raw = contract_schema.raw_schema
    ask = raw["paths"]["/api/ask"]["post"]["responses"]
    assert {"200", "400", "413", "415", "429", "503"} <= set(ask)
    feedback = raw["paths"]["/api/feedback"]["post"]["responses"]
    assert {"201", "400", "413", "415", "429", "507"} <= set(feedback)
    assert raw["components"]["schemas"]["AskRequest"]["additionalProperties"] is False
