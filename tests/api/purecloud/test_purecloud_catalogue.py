"""The Genesys fake is derived from its attribute catalogue: adding an attribute is one
``Attr`` entry with its rule, and it is then parsed, rendered, projected, filterable,
patchable and listed in /Schemas with no other change (issue 26)."""

from __future__ import annotations

import pytest

from simulator.purecloud.org import PureCloudOrg
from simulator.purecloud.rules import Text
from simulator.purecloud.schemas import ENTERPRISE_URN, USER, Attr

from purecloud_helpers import ENTERPRISE

#: RFC 7643 §4.3's enterprise costCenter, which the Genesys fake does not have: one entry.
COST_CENTER = Attr("costCenter", rule=Text(), filter="costCenter", description="Cost center")


@pytest.fixture
def scim_with_cost_center(monkeypatch, request):
    monkeypatch.setattr(PureCloudOrg, "user_schema", USER.with_attribute(ENTERPRISE_URN, COST_CENTER))
    return request.getfixturevalue("scim")


def _create(scim, user_name: str, cost_center: str) -> dict:
    resp = scim.post("/Users", {"userName": user_name, "displayName": user_name.split("@")[0],
                                     ENTERPRISE: {"costCenter": cost_center, "department": "Sales"}})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_an_attribute_added_to_the_catalogue_works_everywhere(scim_with_cost_center):
    scim = scim_with_cost_center
    created = _create(scim, "ada@contoso.com", "CC-1")
    _create(scim, "bob@contoso.com", "CC-9")
    # parsed, stored and rendered
    assert created[ENTERPRISE] == {"division": "Home", "department": "Sales", "costCenter": "CC-1"}
    user_id = created["id"]
    # filterable, with and without the extension URN (and case-insensitively, as caseExact is false)
    for text in ('costCenter eq "CC-1"', f'{ENTERPRISE}:costCenter eq "cc-1"'):
        found = scim.get("/Users", params={"filter": text}).json()
        assert [r["id"] for r in found["Resources"]] == [user_id], text
    # projected
    only = scim.get(f"/Users/{user_id}", params={"attributes": f"{ENTERPRISE}:costCenter"}).json()
    assert only[ENTERPRISE] == {"costCenter": "CC-1"} and "displayName" not in only
    dropped = scim.get(f"/Users/{user_id}", params={"excludedAttributes": f"{ENTERPRISE}:costCenter"}).json()
    assert "costCenter" not in dropped[ENTERPRISE] and dropped[ENTERPRISE]["department"] == "Sales"
    # patchable, by URN path, removed, and by a path-less value
    resp = scim.patch(f"/Users/{user_id}", {"op": "Replace", "path": f"{ENTERPRISE}:costCenter", "value": "CC-2"})
    assert resp.status_code == 200 and resp.json()[ENTERPRISE]["costCenter"] == "CC-2"
    assert scim.get("/Users", params={"filter": 'costCenter eq "CC-1"'}).json()["totalResults"] == 0
    resp = scim.patch(f"/Users/{user_id}", {"op": "remove", "path": f"{ENTERPRISE}:costCenter"})
    assert "costCenter" not in resp.json()[ENTERPRISE]
    resp = scim.patch(f"/Users/{user_id}", {"op": "add", "value": {ENTERPRISE: {"costCenter": "CC-3"}}})
    assert resp.json()[ENTERPRISE]["costCenter"] == "CC-3"
    # in /Schemas
    schema = scim.get(f"/Schemas/{ENTERPRISE}").json()
    entry = next(a for a in schema["attributes"] if a["name"] == "costCenter")
    assert entry["type"] == "string" and entry["mutability"] == "readWrite" and entry["description"] == "Cost center"


def test_without_the_entry_the_attribute_does_not_exist(scim):
    """The control: the shipped catalogue has no costCenter, so the fake ignores it on input
    (RFC 7643 §3.1), refuses to filter on it and refuses a PATCH path naming it."""
    created = _create(scim, "ada@contoso.com", "CC-1")
    assert "costCenter" not in created[ENTERPRISE]
    resp = scim.get("/Users", params={"filter": 'costCenter eq "CC-1"'})
    assert resp.status_code == 400 and resp.json()["scimType"] == "invalidFilter"
    resp = scim.patch(f"/Users/{created['id']}", {"op": "replace", "path": f"{ENTERPRISE}:costCenter", "value": "CC-2"})
    assert resp.status_code == 400 and resp.json()["scimType"] == "invalidPath"
    names = [a["name"] for a in scim.get(f"/Schemas/{ENTERPRISE}").json()["attributes"]]
    assert "costCenter" not in names
