"""The $filter / $search / $select / $top parsers."""

from __future__ import annotations

import re

import pytest

from simulator.graph.errors import BadRequest, UnsupportedQuery
from simulator.graph.query import parse_filter, parse_search, parse_select, parse_top
from simulator.graph.schema import GROUP, USER

DOC = {"id": "a", "displayName": "Zoë Østergaard", "department": "Sales", "accountEnabled": True,
       "businessPhones": ["+4520"], "usageLocation": "DK", "createdDateTime": "2026-01-05T09:00:00Z"}


@pytest.mark.parametrize("text,expected", [
    ("department eq 'sales'", True),
    ("department eq 'Sales' and accountEnabled eq true", True),
    ("department eq 'Support' or usageLocation eq 'DK'", True),
    ("not (department eq 'Sales')", False),
    ("startswith(displayName, 'zoë')", True),
    ("endswith(displayName,'gaard')", True),
    ("usageLocation in ('NL', 'DK')", True),
    ("businessPhones/any(p:p eq '+4520')", True),
    ("businessPhones/any(p:startswith(p, '+31'))", False),
    ("createdDateTime ge 2026-01-01T00:00:00Z", True),
    ("department ne null", True),
    ("DEPARTMENT eq 'Sales'", True),
])
def test_filter_evaluation(text, expected):
    assert parse_filter(text, USER).matches(DOC) is expected


def test_advanced_flag_and_hints():
    assert parse_filter("department ne 'x'", USER).advanced
    assert not parse_filter("department eq 'x'", USER).advanced
    assert parse_filter("userPrincipalName eq 'a@b' and accountEnabled eq true", USER).index_hint == ("userPrincipalName", ["a@b"])
    assert parse_filter("id eq 'a' or id eq 'b'", USER).only_ids == ["a", "b"]
    assert parse_filter("id eq 'a' or displayName eq 'b'", USER).only_ids is None


@pytest.mark.parametrize("text,error", [
    ("shoe eq 1", BadRequest), ("department", BadRequest), ("department eq", BadRequest), ("(department eq 'x'", BadRequest),
    ("department eq 'x' extra", BadRequest), ("passwordProfile eq 'x'", UnsupportedQuery), ("", BadRequest),
    ("department ~ 'x'", BadRequest), ("businessPhones/all(p:p eq 'x')", UnsupportedQuery),
])
def test_filter_errors(text, error):
    with pytest.raises(error):
        parse_filter(text, USER)


def test_search():
    assert parse_search('"displayName:øster"', USER)(DOC)
    assert parse_search('"displayName:zo" AND "department:sal"', USER)(DOC)
    assert not parse_search('"displayName:xx" AND "department:sal"', USER)(DOC)
    assert parse_search('"displayName:xx" OR "department:sal"', USER)(DOC)
    with pytest.raises(BadRequest):
        parse_search("displayName:zo", USER)
    with pytest.raises(UnsupportedQuery):
        parse_search('"accountEnabled:true"', USER)


def test_select_and_top():
    assert parse_select("id, DisplayName", USER) == ["id", "displayName"]
    assert parse_select("displayName,members", GROUP, navigation=("members",)) == ["displayName", "members"]
    assert parse_select(None, USER) is None
    with pytest.raises(BadRequest):
        parse_select("nope", USER)
    assert parse_top(None) == 100 and parse_top("999") == 999
    for bad in ("0", "1000", "x"):
        with pytest.raises(BadRequest):
            parse_top(bad)


# ------------------------------------------------------------------ the provisioning logs' vocabulary
LOG = {"id": "e1", "activityDateTime": "2026-01-05T09:00:00Z", "provisioningAction": "create", "durationInMilliseconds": 40,
       "provisioningStatusInfo": {"status": "failure"}, "sourceIdentity": {"id": "u1", "displayName": "O'Neil Ørsted"}}


@pytest.mark.parametrize("text,expected", [
    ("provisioningAction eq 'create'", True),
    ("provisioningAction eq 'Create'", False),  # compared as stored
    ("provisioningStatusInfo/status eq 'failure' and sourceIdentity/id eq 'u1'", True),
    ("provisioningAction eq 'update' or provisioningStatusInfo/status ne 'success'", True),
    ("contains(sourceIdentity/displayName,'O''Neil')", True),
    ("startswith(sourceIdentity/displayName,'Ørs')", False),
    ("activityDateTime ge 2026-01-05T00:00:00Z and activityDateTime le 2026-01-05T10:00:00Z", True),
    ("activityDateTime gt 2026-01-05", True),
    ("activityDateTime lt 2026-01-05T08:00:00+00:00", False),
    ("durationInMilliseconds eq 40", True),
    ("targetIdentity/id eq null", True),
    ("(provisioningAction eq 'delete' or provisioningAction eq 'create') and jobId eq null", True),
])
def test_provisioning_log_filter(text, expected):
    from simulator.graph.views.synchronization import PROVISIONING_LOGS
    assert parse_filter(text, PROVISIONING_LOGS).matches(LOG) is expected


@pytest.mark.parametrize("text,message", [
    ("noSuchProperty eq 'x'", "Could not find a property named 'noSuchProperty' on type "
                              "'microsoft.graph.provisioningObjectSummary'"),
    ("provisioningStatusInfo/nope eq 'x'", "provisioningStatusInfo/nope"),
    ("provisioningAction startswith 'c'", "unknown operator 'startswith'"),
    ("provisioningAction in ('create')", "unknown operator 'in'"),
    ("endswith(provisioningAction,'e')", "'endswith'"),          # not a function of the logs
    ("not (provisioningAction eq 'create')", "'not'"),
    ("provisioningSteps/any(s: s eq 'x')", "provisioningSteps/any"),
    ("provisioningAction eq", "unexpected end"),
    ("(" * 40 + "id eq 'x'", "nests parentheses"),
])
def test_provisioning_log_filter_errors_are_graph_bad_requests(text, message):
    from simulator.graph.views.synchronization import PROVISIONING_LOGS
    with pytest.raises(BadRequest, match=re.escape(message)):
        parse_filter(text, PROVISIONING_LOGS)
