"""scim2-tester's conformance checks against the Genesys fake (real socket).

Every check it fails is a Genesys behaviour the fake keeps on purpose, or a
limitation of the tester itself; docs/fidelity.md ("scim2-tester") lists them.
The exact set is asserted, so a regression (or a fix) shows up here.
"""

from __future__ import annotations

import logging
import random

import pytest

#: scim2-tester is imported when the test runs, not at collection (tests/clients/sdks.py says why it matters)
pytestmark = pytest.mark.clients

#: why a check may fail, each a Genesys rule kept on purpose (or a tester limitation)
REASONS = {
    "userName is an e-mail": "'userName' must be an e-mail address",
    "groups are not created through SCIM": "POST is not supported on groups",
    "tester fills decimal attributes with strings": "unable to parse string as a number",
}

_CRUD = ["object_creation", "object_query", "object_query_without_id", "object_query_with_attributes",
         "object_list_with_attributes", "search_with_attributes", "object_replacement", "object_deletion",
         "check_add_attribute", "check_remove_attribute", "check_replace_attribute"]

#: (resource type, check) pairs expected to fail
ACCEPTED = {("User", title) for title in _CRUD} | {("Group", title) for title in _CRUD}


@pytest.fixture
def results(scim2_client):
    random.seed(0)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return pytest.importorskip("scim2_tester").check_server(scim2_client)


def test_scim2_tester(results):
    from scim2_tester import Status

    ok = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}
    failed = {(r.resource_type, r.title): r for r in results if r.status not in ok}
    assert set(failed) == ACCEPTED, sorted(set(failed) ^ ACCEPTED)
    for key, result in failed.items():
        assert any(text in (result.reason or "") for text in REASONS.values()), (key, result.reason)
    passed = {r.title for r in results if r.status in ok and r.status != Status.SKIPPED}
    assert passed >= {"service_provider_config_endpoint", "service_provider_config_endpoint_methods",
                      "query_all_resource_types", "query_resource_type_by_id", "resource_types_endpoint_methods",
                      "resource_types_schema_validation", "query_all_schemas", "access_schema_by_id",
                      "access_invalid_schema", "access_invalid_resource_type", "schemas_endpoint_methods", "random_url"}
