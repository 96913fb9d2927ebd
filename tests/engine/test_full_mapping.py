"""The full default mapping table for one user with every attribute set, manager included; then each
attribute changed, then each cleared, asserting the PATCH Entra sends for each."""

from __future__ import annotations

import pytest

from engine_helpers import DEPARTMENT, ENTERPRISE, MANAGER, MOBILE, PATCH_OP, WORK_EMAIL, WORK_PHONE, Provisioning


@pytest.fixture
def kai(provisioned: Provisioning) -> tuple[Provisioning, str, str]:
    """A new support agent with every mapped attribute set, provisioned by the next cycle."""
    p = provisioned
    kai = p.create_user("kai.jansen", displayName="Kai Jansen", mail="kai.jansen@contoso.com", jobTitle="Support Agent",
                        department="Support", mobilePhone="+31687654321", businessPhones=["+31201234567"])
    p.graph("PUT", f"/users/{kai}/manager/$ref",
            {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{p.id('lynne')}"}, expect=204)
    p.add_member("support", kai)
    mark = p.mark()
    p.cycle()
    calls = p.writes(mark)
    user = p.user("kai.jansen@contoso.com")
    assert user is not None, calls
    return p, kai, user["id"]


def one_patch(p: Provisioning, mark: int, target_id: str) -> dict:
    writes = [c for c in p.writes(mark) if c.path == f"/Users/{target_id}"]
    assert len(writes) == 1 and writes[0].method == "PATCH", writes
    assert writes[0].status == 200
    return writes[0].body


def test_every_default_attribute_is_created_and_the_manager_set(kai):
    p, source_id, target_id = kai
    calls = [c for c in p.scim() if c.method != "GET" and (c.path == "/Users" and c.body.get("userName") ==
             "kai.jansen@contoso.com" or c.path == f"/Users/{target_id}")]
    post, manager = calls
    assert post.body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "kai.jansen@contoso.com",
        "active": True,
        "displayName": "Kai Jansen",
        "title": "Support Agent",
        "emails": [{"primary": True, "type": "work", "value": "kai.jansen@contoso.com"}],
        "phoneNumbers": [{"type": "mobile", "value": "+31687654321"}, {"type": "work", "value": "+31201234567"}],
        ENTERPRISE: {"department": "Support"},
        "meta": {"resourceType": "User"},
        "roles": [],
    }
    lynne = p.target_id("lynne")
    assert manager.body == {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": MANAGER, "value": [{"$ref": None, "value": lynne}]}]}
    user = p.user("kai.jansen@contoso.com")
    assert user["active"] is True and user["displayName"] == "Kai Jansen" and user["title"] == "Support Agent"
    assert {(e["type"], e["value"]) for e in user["emails"]} >= {("work", "kai.jansen@contoso.com")}
    assert {(n["type"], n["value"]) for n in user["phoneNumbers"]} == {("mobile", "+31687654321"), ("work", "+31201234567")}
    assert user[ENTERPRISE]["department"] == "Support" and user[ENTERPRISE]["manager"]["value"] == lynne
    assert {m["value"] for m in p.group("Support")["members"]} >= {target_id}
    create = p.logs_for(source_id, provisioningAction="create")[0]
    assert {m["displayName"] for m in create["modifiedProperties"]} == {
        "userName", "active", "displayName", WORK_EMAIL, "title", MOBILE, WORK_PHONE, DEPARTMENT}


@pytest.mark.parametrize("graph_change, operations, check", [
    ({"userPrincipalName": "kai.jansen2@contoso.com"},
     [{"op": "Replace", "path": "userName", "value": "kai.jansen2@contoso.com"}],
     lambda u: u["userName"] == "kai.jansen2@contoso.com"),
    ({"displayName": "Kai J. Jansen"},
     [{"op": "Replace", "path": "displayName", "value": "Kai J. Jansen"}],
     lambda u: u["displayName"] == "Kai J. Jansen"),
    ({"mail": "kai.j@contoso.com"},
     [{"op": "Replace", "path": WORK_EMAIL, "value": "kai.j@contoso.com"}],
     lambda u: any(e["type"] == "work" and e["value"] == "kai.j@contoso.com" for e in u["emails"])),
    ({"jobTitle": "Senior Support Agent"},
     [{"op": "Replace", "path": "title", "value": "Senior Support Agent"}],
     lambda u: u["title"] == "Senior Support Agent"),
    ({"mobilePhone": "+31699999999"},
     [{"op": "Replace", "path": MOBILE, "value": "+31699999999"}],
     lambda u: {"type": "mobile", "value": "+31699999999"} in u["phoneNumbers"]),
    ({"businessPhones": ["+31207654321"]},
     [{"op": "Replace", "path": WORK_PHONE, "value": "+31207654321"}],
     lambda u: {"type": "work", "value": "+31207654321"} in u["phoneNumbers"]),
    ({"department": "Customer Care"},
     [{"op": "Replace", "path": DEPARTMENT, "value": "Customer Care"}],
     lambda u: u[ENTERPRISE]["department"] == "Customer Care"),
    ({"accountEnabled": False},
     [{"op": "Replace", "path": "active", "value": "False"}],
     lambda u: u["active"] is False),
], ids=["userName", "displayName", "email", "title", "mobile", "workPhone", "department", "active"])
def test_each_attribute_changed(kai, graph_change, operations, check):
    p, source_id, target_id = kai
    p.graph("PATCH", f"/users/{source_id}", graph_change, expect=204)
    mark = p.mark()
    p.cycle()
    assert one_patch(p, mark, target_id) == {"schemas": [PATCH_OP], "Operations": operations}
    user = next(u for u in p.users() if u["id"] == target_id)
    assert check(user), user
    entry = p.logs_for(source_id)[0]
    assert entry["provisioningAction"] == ("disable" if "accountEnabled" in graph_change else "update")
    assert [m["displayName"] for m in entry["modifiedProperties"]] == [op["path"] for op in operations]


def test_manager_changed(kai):
    p, source_id, target_id = kai
    p.graph("PUT", f"/users/{source_id}/manager/$ref",
            {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{p.id('nestor')}"}, expect=204)
    mark = p.mark()
    p.cycle()
    nestor = p.target_id("nestor")
    assert one_patch(p, mark, target_id) == {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": MANAGER, "value": [{"$ref": None, "value": nestor}]}]}
    assert next(u for u in p.users() if u["id"] == target_id)[ENTERPRISE]["manager"]["value"] == nestor


def test_manager_cleared(kai):
    p, source_id, target_id = kai
    p.graph("DELETE", f"/users/{source_id}/manager/$ref", expect=204)
    mark = p.mark()
    p.cycle()
    assert one_patch(p, mark, target_id) == {"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": MANAGER}]}
    assert "manager" not in next(u for u in p.users() if u["id"] == target_id)[ENTERPRISE]


@pytest.mark.parametrize("graph_change, path", [
    ({"mail": None}, WORK_EMAIL),
    ({"jobTitle": None}, "title"),
    ({"mobilePhone": None}, MOBILE),
    ({"businessPhones": []}, WORK_PHONE),
    ({"department": None}, DEPARTMENT),
], ids=["email", "title", "mobile", "workPhone", "department"])
def test_each_attribute_cleared_sends_nothing_by_default(kai, graph_change, path):
    """Entra never flows a null (reference §7): the Genesys value stays until the attribute is set again."""
    p, source_id, target_id = kai
    before = next(u for u in p.users() if u["id"] == target_id)
    p.graph("PATCH", f"/users/{source_id}", graph_change, expect=204)
    mark = p.mark()
    ran = p.cycle()
    assert ran["imported"] == 1  # the change was read...
    assert [c for c in p.writes(mark) if c.path == f"/Users/{target_id}"] == []  # ...and nothing was sent
    assert next(u for u in p.users() if u["id"] == target_id) == before


@pytest.mark.parametrize("graph_change, path, check", [
    ({"jobTitle": None}, "title", lambda u: "title" not in u),
    ({"mobilePhone": None}, MOBILE, lambda u: all(n["type"] != "mobile" for n in u.get("phoneNumbers", []))),
    ({"department": None}, DEPARTMENT, lambda u: "department" not in u[ENTERPRISE]),
], ids=["title", "mobile", "department"])
def test_attribute_cleared_with_flow_null_values_sends_remove(provisioned: Provisioning, graph_change, path, check):
    p = provisioned
    schema = p.schema()
    for directory in schema["directories"]:
        if directory["name"] == "PureCloud by Genesys":
            for obj in directory["objects"]:
                for attr in obj["attributes"]:
                    if obj["name"] == "User" and attr["name"] == path:
                        attr["flowNullValues"] = True
    p.put_schema(schema)
    p.advance("PT1M")  # the new initial cycle after the schema change
    alex = p.target_id("alex")
    p.patch_user("alex", **graph_change)
    mark = p.mark()
    p.cycle()
    assert one_patch(p, mark, alex) == {"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": path}]}
    assert check(p.user("alex.wilber@contoso.com"))
