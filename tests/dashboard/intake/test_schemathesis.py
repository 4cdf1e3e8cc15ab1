"""schemathesis against /api/v1/openapi.json: generated requests (valid and not) never get a
server error, and every answer conforms to the document (status, content type, schema).

One check is left out: "schema-valid data is accepted". A case the schema allows can still
be refused with 422 for what the schema cannot say — a report time more than a year ago or in
the future, a point outside the territory — and the document lists 422 for it."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support.intake import make_source

EXAMPLES = 40


def test_the_api_conforms_to_its_document(api, api_backend):
    client, _ = api
    _, token = make_source(api_backend, "schemathesis")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                   excluded_checks=[positive_data_acceptance])

        conforms()
