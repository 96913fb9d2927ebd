"""directory/deletedItems: soft delete, both cast spellings, restore, permanent delete, 30-day purge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from graph_helpers import assert_graph_error

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"


@pytest.mark.parametrize("cast", ["microsoft.graph.user", "graph.user"])
def test_deleted_user_is_listed_with_either_cast(graph, cast):
    alex = graph.user("alex.wilber@contoso.com")["id"]
    assert graph.delete(f"/users/{alex}").status_code == 204
    items = graph.get(f"/directory/deletedItems/{cast}").json["value"]
    assert len(items) == 1
    item = items[0]
    assert item["@odata.type"] == "#microsoft.graph.user" and item["id"] == alex
    # Entra frees the UPN by prefixing the object id without dashes
    assert item["userPrincipalName"] == alex.replace("-", "") + "alex.wilber@contoso.com"
    assert graph.get(f"/directory/deletedItems/{alex}").json["id"] == alex


def test_bare_deleted_items_is_unsupported(graph):
    assert_graph_error(graph.get("/directory/deletedItems"), 400, "Request_BadRequest")


def test_restore_brings_back_upn_memberships_and_assignments(graph):
    lynne = graph.user("lynne.robbins@contoso.com")["id"]
    support = graph.group_id("Support")
    assert graph.delete(f"/users/{lynne}").status_code == 204
    assert lynne not in [m["id"] for m in graph.get(f"/groups/{support}/members").json["value"]]
    assert lynne not in [a["principalId"] for a in graph.get(f"/servicePrincipals/{SP}/appRoleAssignedTo").json["value"]]
    resp = graph.post(f"/directory/deletedItems/{lynne}/restore")
    assert resp.status_code == 200
    assert resp.json["@odata.type"] == "#microsoft.graph.user"
    assert resp.json["userPrincipalName"] == "lynne.robbins@contoso.com"
    assert lynne in [m["id"] for m in graph.get(f"/groups/{support}/members").json["value"]]
    assert lynne in [a["principalId"] for a in graph.get(f"/servicePrincipals/{SP}/appRoleAssignedTo").json["value"]]
    assert graph.get("/directory/deletedItems/microsoft.graph.user").json["value"] == []


def test_restore_conflict_when_upn_reused(graph):
    kim = graph.new_user("kim")["id"]
    graph.delete(f"/users/{kim}")
    graph.new_user("kim")
    assert_graph_error(graph.post(f"/directory/deletedItems/{kim}/restore"), 400, "Request_BadRequest")


def test_permanent_delete(graph):
    kim = graph.new_user("kim")["id"]
    graph.delete(f"/users/{kim}")
    assert graph.delete(f"/directory/deletedItems/{kim}").status_code == 204
    assert_graph_error(graph.get(f"/directory/deletedItems/{kim}"), 404, "Request_ResourceNotFound")
    assert_graph_error(graph.post(f"/directory/deletedItems/{kim}/restore"), 404, "Request_ResourceNotFound")


def test_purged_after_30_virtual_days(client, clock):
    from graph_helpers import GraphActions, get_token

    graph = GraphActions(client, get_token(client))
    kim = graph.new_user("kim")["id"]
    graph.delete(f"/users/{kim}")
    ran = clock.advance(timedelta(days=29, hours=23))
    assert ran == []
    ran = clock.advance(timedelta(hours=2))
    assert [r["job"] for r in ran] == ["graph.purge"] and ran[0]["purged"] == kim
    graph = GraphActions(client, get_token(client))
    assert graph.get("/directory/deletedItems/graph.user").json["value"] == []


def test_restored_item_is_not_purged_later(graph, clock):
    kim = graph.new_user("kim")["id"]
    graph.delete(f"/users/{kim}")
    graph.post(f"/directory/deletedItems/{kim}/restore")
    assert [r for r in clock.advance(timedelta(days=31)) if r["job"] == "graph.purge"] == []


def test_m365_group_soft_deleted_security_group_hard_deleted(graph):
    resp = graph.post("/groups", json={"displayName": "Team", "mailEnabled": True, "mailNickname": "team",
                                       "securityEnabled": False, "groupTypes": ["Unified"]})
    team = resp.json["id"]
    assert resp.json["mail"] == "team@contoso.com"
    graph.delete(f"/groups/{team}")
    assert [g["id"] for g in graph.get("/directory/deletedItems/graph.group").json["value"]] == [team]
    assert graph.post(f"/directory/deletedItems/{team}/restore").status_code == 200
    finance = graph.group_id("Finance")
    graph.delete(f"/groups/{finance}")
    assert graph.get("/directory/deletedItems/microsoft.graph.group").json["value"] == []


def test_reader_client_cannot_restore(client, graph):
    from graph_helpers import READER, GraphActions, get_token

    kim = graph.new_user("kim")["id"]
    graph.delete(f"/users/{kim}")
    reader = GraphActions(client, get_token(client, READER))
    assert reader.get("/directory/deletedItems/graph.user").status_code == 200
    assert_graph_error(reader.post(f"/directory/deletedItems/{kim}/restore"), 403, "Authorization_RequestDenied")
