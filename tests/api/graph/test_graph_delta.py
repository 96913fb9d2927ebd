"""Delta queries for users and groups: enumeration, links, changes, @removed, members@delta."""

from __future__ import annotations

import pytest

from graph_helpers import assert_graph_error


def _path(link: str) -> str:
    return link.split("/v1.0", 1)[1]


def _round(graph, start: str, **kw) -> tuple[list[dict], str]:
    items, resp = [], graph.get(start, **kw)
    while True:
        assert resp.status_code == 200, resp.json
        body = resp.json
        items += body["value"]
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"]
        resp = graph.get(_path(body["@odata.nextLink"]), **kw)


@pytest.mark.parametrize("spelling", ["delta", "delta()", "microsoft.graph.delta()", "microsoft.graph.delta"])
def test_all_spellings_enumerate_in_pages(graph, spelling):
    headers = {"Prefer": "odata.maxpagesize=10"}
    resp = graph.get(f"/users/{spelling}", headers=headers, base_url="http://127.0.0.1:7000")
    body = resp.json
    assert len(body["value"]) == 10
    assert body["@odata.nextLink"].startswith("http://127.0.0.1:7000/v1.0/users/delta()?$skiptoken=")
    items, delta_link = _round(graph, f"/users/{spelling}", headers=headers, base_url="http://127.0.0.1:7000")
    assert len(items) == 25 and len({u["id"] for u in items}) == 25
    assert delta_link.startswith("http://127.0.0.1:7000/v1.0/users/delta()?$deltatoken=")


def test_changes_and_removals(graph, clock):

    _, link = _round(graph, "/users/delta?$select=displayName,jobTitle,manager")
    assert graph.get(_path(link)).json["value"] == []  # nothing changed
    alex = graph.user("alex.wilber@contoso.com")["id"]
    ben = graph.user("ben.walters@contoso.com")["id"]
    kim = graph.new_user("kim")["id"]
    graph.patch(f"/users/{alex}", json={"jobTitle": "Senior Account Executive"})
    graph.delete(f"/users/{ben}")
    graph.delete(f"/users/{kim}")
    graph.delete(f"/directory/deletedItems/{kim}")
    items, link2 = _round(graph, _path(link))
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {alex, ben, kim}
    assert by_id[alex]["jobTitle"] == "Senior Account Executive"
    assert by_id[alex]["manager@delta"][0]["@odata.type"] == "#microsoft.graph.user"
    assert by_id[ben] == {"id": ben, "@removed": {"reason": "changed"}}
    assert by_id[kim] == {"id": kim, "@removed": {"reason": "deleted"}}
    # restore shows up again as a normal object
    graph.post(f"/directory/deletedItems/{ben}/restore")
    items, _ = _round(graph, _path(link2))
    assert [i["id"] for i in items] == [ben] and items[0]["displayName"] == "Ben Walters"


def test_group_delta_members(graph):
    items, link = _round(graph, "/groups/delta()")
    sales = next(g for g in items if g["displayName"] == "Sales")
    assert len(sales["members@delta"]) == 6 and sales["members@delta"][0]["@odata.type"] == "#microsoft.graph.user"
    finance = next(g for g in items if g["displayName"] == "Finance")
    ben = graph.user("ben.walters@contoso.com")["id"]
    diego = graph.user("diego.siciliani@contoso.com")["id"]
    graph.delete(f"/groups/{finance['id']}/members/{ben}/$ref")
    graph.post(f"/groups/{finance['id']}/members/$ref", json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{diego}"})
    items, _ = _round(graph, _path(link))
    assert [g["id"] for g in items] == [finance["id"]]
    assert items[0]["members@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": ben, "@removed": {"reason": "deleted"}},
        {"@odata.type": "#microsoft.graph.user", "id": diego}]


def test_select_without_members_omits_members_delta(graph):
    items, _ = _round(graph, "/groups/delta?$select=displayName")
    assert all(set(g) == {"displayName", "id"} for g in items)


def test_deleted_security_group_is_removed_for_good(graph):
    _, link = _round(graph, "/groups/delta")
    finance = graph.group_id("Finance")
    graph.delete(f"/groups/{finance}")
    items, _ = _round(graph, _path(link))
    assert items == [{"id": finance, "@removed": {"reason": "deleted"}}]


def test_delta_token_latest_and_id_filter(graph):
    body = graph.get("/users/delta?$deltatoken=latest").json
    assert body["value"] == [] and "@odata.deltaLink" in body
    alex = graph.user("alex.wilber@contoso.com")["id"]
    ben = graph.user("ben.walters@contoso.com")["id"]
    items, link = _round(graph, f"/users/delta?$filter=id eq '{alex}' or id eq '{ben}'")
    assert sorted(i["id"] for i in items) == sorted([alex, ben])
    graph.patch(f"/users/{alex}", json={"jobTitle": "x"})
    graph.patch(f"/users/{graph.user('megan.bowen@contoso.com')['id']}", json={"jobTitle": "y"})
    items, _ = _round(graph, _path(link))
    assert [i["id"] for i in items] == [alex]


def test_delta_errors(graph):
    assert_graph_error(graph.get("/users/delta?$top=5"), 400, "Request_BadRequest")
    assert_graph_error(graph.get("/users/delta?$filter=displayName eq 'x'"), 400, "Request_BadRequest")
    assert_graph_error(graph.get("/users/delta?$deltatoken=garbage"), 400, "Request_BadRequest")
    assert_graph_error(graph.get("/users/delta?$expand=manager"), 400, "Request_BadRequest")


def test_changes_during_enumeration_are_seen_next_round(graph):
    headers = {"Prefer": "odata.maxpagesize=5"}
    first = graph.get("/users/delta", headers=headers).json
    alex = graph.user("alex.wilber@contoso.com")["id"]
    graph.patch(f"/users/{alex}", json={"jobTitle": "changed mid-round"})
    rest, link = _round(graph, _path(first["@odata.nextLink"]), headers=headers)
    items, _ = _round(graph, _path(link))
    assert [i["id"] for i in items] == [alex] and items[0]["jobTitle"] == "changed mid-round"
