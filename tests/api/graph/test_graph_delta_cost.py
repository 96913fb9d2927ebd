"""A delta call costs what changed, not the tenant size: 10 changes in a 20k-user tenant."""

from __future__ import annotations

import pytest

from simulator import create_app
from simulator.core import ProvsimConfig
from simulator.graph.generate import generate_tenant, write_fixture

from graph_helpers import GraphActions, get_token

pytestmark = pytest.mark.slow  # generates and loads a 20,000-user tenant


@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("tenant") / "big.json"
    write_fixture(generate_tenant(20_000, 20, seed=5), path)
    return create_app(ProvsimConfig(seed=5, fixture=str(path)))


def test_ten_changes_return_exactly_those_ten(big_app):
    client = big_app.test_client()
    graph = GraphActions(client, get_token(client, tenant="tenant5.onmicrosoft.com"))
    directory = big_app.extensions["provsim"].services["directory"]
    assert len(directory.users) == 20_000
    link = graph.get("/users/delta?$deltatoken=latest").json["@odata.deltaLink"]
    page = graph.get("/users?$top=999&$select=id").json["value"]
    leaf = graph.get("/users?$filter=employeeId eq 'E119999'&$select=id").json["value"][0]["id"]  # no reports
    changed = [u["id"] for u in page[5:900:100]] + [leaf]
    assert len(set(changed)) == 10
    for i, uid in enumerate(changed[:9]):
        assert graph.patch(f"/users/{uid}", json={"jobTitle": f"changed {i}"}).status_code == 204
    assert graph.delete(f"/users/{changed[9]}").status_code == 204

    feed_reads = []
    original = directory.events_since
    directory.events_since = lambda *a, **kw: feed_reads.append(r := original(*a, **kw)) or r  # type: ignore[method-assign]
    body = graph.get(link.split("/v1.0", 1)[1]).json
    assert "@odata.nextLink" not in body
    assert sorted(item["id"] for item in body["value"]) == sorted(changed)
    # the feed read is the changes only: 10 user events (+ the deleted user leaving its group), never 20k objects
    assert len(feed_reads) == 1 and [e["type"] for e in feed_reads[0]].count("user") == 10 and len(feed_reads[0]) <= 12
    removed = [item for item in body["value"] if "@removed" in item]
    assert removed == [{"id": changed[9], "@removed": {"reason": "changed"}}]
