"""Every finding of the report against scim2-server is real: the same request, sent to scim2-server
directly (no provsim in the way), gets the same answer.  And every non-passing verdict of the
reports in this folder has its proof here (``PROVEN``), so a new finding cannot land unproven."""

from __future__ import annotations

import pytest

#: scim2-server's first app in a process costs seconds (pydantic builds its models) and the last test reads
#: two reports (stories against it): `make test` runs these, `make test-fast` does not
pytestmark = pytest.mark.slow

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@contoso.com", "active": True}
GROUP = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales", "externalId": "g-1"}
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MANAGER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"

#: pattern -> the test below that shows scim2-server's own behaviour
PROVEN = {
    "manager": "test_scim2_server_refuses_a_manager_sent_as_a_list",
    "remove-members": "test_scim2_server_refuses_remove_members_with_a_value",
    "duplicate-group": "test_scim2_server_creates_a_second_group_with_the_same_name",
}


def _user(http, name: str) -> str:
    resp = http.post("/Users", json={**USER, "userName": name})
    assert resp.status_code == 201
    return resp.json()["id"]


def test_scim2_server_refuses_a_manager_sent_as_a_list(scim2_http):
    """Entra's manager PATCH (L:use-scim-to-provision-users-and-groups: value [{"$ref": ..., "value": id}]) gets 400 invalidValue:
    scim2-server takes the enterprise manager only as an object, {"value": id}."""
    boss, ada = _user(scim2_http, "boss@contoso.com"), _user(scim2_http, "ada@contoso.com")
    entra = {"schemas": [PATCH], "Operations": [{"op": "Add", "path": MANAGER, "value": [{"$ref": None, "value": boss}]}]}
    resp = scim2_http.patch(f"/Users/{ada}", json=entra)
    assert resp.status_code == 400
    assert resp.json()["scimType"] == "invalidValue" and "valid dictionary or instance of Manager" in resp.json()["detail"]
    as_object = {"schemas": [PATCH], "Operations": [{"op": "Add", "path": MANAGER, "value": {"value": boss}}]}
    assert scim2_http.patch(f"/Users/{ada}", json=as_object).status_code in (200, 204)
    assert scim2_http.get(f"/Users/{ada}").json()["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"] == boss


def test_scim2_server_refuses_remove_members_with_a_value(scim2_http):
    """Entra's default member removal ({"op":"Remove","path":"members","value":[...]}) gets 400: scim2-server
    follows RFC 7644 §3.5.2.2 (a remove carries no value); the aadOptscim062020 shape
    (members[value eq "id"]) works."""
    ada = _user(scim2_http, "ada@contoso.com")
    group = scim2_http.post("/Groups", json=GROUP).json()["id"]
    add = {"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": ada}]}]}
    assert scim2_http.patch(f"/Groups/{group}", json=add).status_code == 204
    entra = {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": ada}]}]}
    resp = scim2_http.patch(f"/Groups/{group}", json=entra)
    assert resp.status_code == 400 and resp.json()["detail"] == "a remove operation carries no value, a filter in the path selects what to remove"
    rfc = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{ada}"]'}]}
    assert scim2_http.patch(f"/Groups/{group}", json=rfc).status_code == 204
    assert not scim2_http.get(f"/Groups/{group}").json().get("members")


def test_scim2_server_creates_a_second_group_with_the_same_name(scim2_http):
    """The validator's duplicate-group probe (a WARN, RFC 7644 §3.3 SHOULD): scim2-server answers 201 to a second
    group with the same displayName, and a displayName lookup then finds two; a second user with the same
    userName gets 409 uniqueness (the MUST), and a userName filter in another case finds the user."""
    first = scim2_http.post("/Groups", json=GROUP)
    second = scim2_http.post("/Groups", json=GROUP)
    assert first.status_code == second.status_code == 201 and first.json()["id"] != second.json()["id"]
    found = scim2_http.get("/Groups", params={"filter": 'displayName eq "Sales"', "excludedAttributes": "members"}).json()
    assert found["totalResults"] == 2
    _user(scim2_http, "ada@contoso.com")
    again = scim2_http.post("/Users", json=USER)
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    assert scim2_http.get("/Users", params={"filter": 'userName eq "ADA@CONTOSO.COM"'}).json()["totalResults"] == 1


def test_every_finding_has_its_proof(demo_report, lifecycle_report):
    failing = {v.pattern.id for report in (demo_report, lifecycle_report) for v in report.verdicts
               if v.verdict not in ("pass", "not exercised")}
    assert failing == set(PROVEN)
    assert all(name in globals() for name in PROVEN.values())


def test_the_report_shows_what_scim2_server_answered(demo_report):
    """The report's own rows carry the same answers as the direct calls above."""
    manager = demo_report.verdict("manager")
    row = demo_report.exchanges[manager.requests[0] - 1]
    assert row.body["Operations"][0]["value"][0]["$ref"] is None and row.status == 400
    assert row.answer["scimType"] == "invalidValue"
    remove = demo_report.exchanges[demo_report.verdict("remove-members").requests[0] - 1]
    assert remove.body["Operations"][0]["op"] == "Remove" and remove.status == 400
