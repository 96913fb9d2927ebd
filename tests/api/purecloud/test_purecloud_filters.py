"""Filters (reference §4): eq and and on the documented attributes, quoted or not; anything else 400 invalidFilter."""

from __future__ import annotations

import pytest

from purecloud_helpers import ENTERPRISE, GENESYS, assert_scim_error


@pytest.fixture
def people(scim):
    boss = scim.create_user("boss@contoso.com", "Boss", externalId="ext-boss",
                            emails=[{"type": "work", "value": "boss.work@contoso.com"}],
                            **{ENTERPRISE: {"employeeNumber": "9876543210"},
                               GENESYS: {"externalIds": [{"authority": "microsoftteams", "value": "29:boss"}]}})
    worker = scim.create_user("worker@contoso.com", "Worker", externalId="ext-worker", active=False,
                              **{ENTERPRISE: {"manager": boss["id"], "employeeNumber": "42"}})
    return boss, worker


def ids(scim, text, path="/Users"):
    resp = scim.get(path, params={"filter": text})
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()["Resources"]]


def test_user_filters(scim, people):
    boss, worker = people
    assert ids(scim, 'userName eq "BOSS@contoso.com"') == [boss["id"]]
    assert ids(scim, "userName eq boss@contoso.com") == [boss["id"]]  # Genesys' own examples are unquoted
    assert ids(scim, f"id eq {worker['id']}") == [worker["id"]]
    assert ids(scim, f'id eq "{worker["id"]}"') == [worker["id"]]
    assert ids(scim, 'externalId eq "ext-worker"') == [worker["id"]]
    assert ids(scim, "externalId eq EXT-worker") == []  # caseExact
    assert ids(scim, "active eq false") == [worker["id"]]
    assert ids(scim, "employeeNumber eq 9876543210") == [boss["id"]]
    assert ids(scim, f'{ENTERPRISE}:employeeNumber eq "42"') == [worker["id"]]
    assert ids(scim, f"manager eq {boss['id']}") == [worker["id"]]
    assert ids(scim, f'{ENTERPRISE}:manager.value eq "{boss["id"]}"') == [worker["id"]]
    assert set(ids(scim, "division eq home")) >= {boss["id"], worker["id"]}
    assert ids(scim, "email eq boss.work@contoso.com") == [boss["id"]]
    assert ids(scim, 'emails.value eq "worker@contoso.com"') == [worker["id"]]
    assert ids(scim, f'{GENESYS}:externalIds[authority eq "microsoftteams" and value eq "29:boss"]') == [boss["id"]]
    assert ids(scim, f'{GENESYS}:externalIds[authority eq "x-pc:scimv2:v1" and value eq "ext-worker"]') == [worker["id"]]
    assert ids(scim, 'userName eq "worker@contoso.com" and active eq false') == [worker["id"]]
    assert ids(scim, 'userName eq "worker@contoso.com" AND active eq true') == []
    assert ids(scim, 'userName eq "nobody@contoso.com"') == []


@pytest.mark.parametrize("text", [
    'userName ne "x"', 'userName co "x"', 'userName sw "x"', "title pr", 'userName eq "a" or userName eq "b"',
    'not (userName eq "a")', 'displayName eq "Boss"', 'emails[type eq "work"]', "userName eq", "((", "",
    'urn:example:x:User:foo eq "1"', 'emails.type eq "work"',
])
def test_unsupported_filters(scim, people, text):
    assert_scim_error(scim.get("/Users", params={"filter": text}), 400, "invalidFilter")


def test_active_must_be_boolean(scim):
    assert_scim_error(scim.get("/Users", params={"filter": 'active eq "maybe"'}), 400, "invalidFilter")


def test_group_filters(scim):
    sales = scim.group("Sales")
    assert ids(scim, "displayname eq Sales", "/Groups") == [sales["id"]]
    assert ids(scim, 'displayName eq "sales"', "/Groups") == [sales["id"]]
    assert ids(scim, f'id eq "{sales["id"]}"', "/Groups") == [sales["id"]]
    assert ids(scim, 'displayName eq "Marketing"', "/Groups") == []
    assert_scim_error(scim.get("/Groups", params={"filter": 'displayName co "S"'}), 400, "invalidFilter")
    assert_scim_error(scim.get("/Groups", params={"filter": 'externalId eq "x"'}), 400, "invalidFilter")


def test_filter_lookup_uses_indexes(scim, org, monkeypatch):
    """userName eq is Entra's hot path: it must never scan the users table."""
    scim.create_user("hot@contoso.com")

    def no_scan(*a, **kw):
        raise AssertionError("table scan")

    monkeypatch.setattr(type(org.users), "docs", no_scan)
    monkeypatch.setattr(type(org.users), "search", no_scan)
    assert len(ids(scim, 'userName eq "hot@contoso.com"')) == 1
    assert ids(scim, 'externalId eq "none"') == []
    assert len(scim.get("/Users").json()["Resources"]) == 3
