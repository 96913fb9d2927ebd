"""Groups at scale (issue 10, observation 4): membership PATCHes split by member count and by the org's
request size limit, member-by-member changes in incremental cycles, no group re-read for a user edit.

The 12,000-member group itself is in ``benchmarks/engine.py`` (generator-shaped groups); here the same
rules are made to bite on the demo tenant with small limits."""

import json

from simulator import create_app
from simulator.client import ProvsimClient
from simulator.core import ProvsimConfig, Runtime, load_fixture

SCIM = "/api/v2/scim/v2"
ODATA = "https://graph.microsoft.com/v1.0/directoryObjects/"


def traffic(sim, since: int = 0) -> list[dict]:
    return sim.control("GET", "/traffic", params={"surface": "purecloud", "since": since})["value"]


def mark(sim) -> int:
    entries = sim.control("GET", "/traffic", params={"limit": 1})["value"]
    return entries[-1]["seq"] if entries else 0


def group(sim, name: str) -> dict:
    found = sim.genesys("GET", "/Groups", params={"filter": f'displayName eq "{name}"'})["Resources"][0]
    return sim.genesys("GET", f"/Groups/{found['id']}")


def entra_group(sim, name: str) -> str:
    return sim.graph("GET", "/groups", params={"$filter": f"displayName eq '{name}'"})["value"][0]["id"]


def add_members(sim, group_id: str, count: int, prefix: str) -> None:
    for n in range(count):
        user = sim.graph("POST", "/users", {"accountEnabled": True, "displayName": f"{prefix} {n}", "mailNickname": f"{prefix}{n}",
                                            "userPrincipalName": f"{prefix}{n}@contoso.com",
                                            "passwordProfile": {"password": "Pr0vsim!test"}})
        sim.graph("POST", f"/groups/{group_id}/members/$ref", {"@odata.id": ODATA + user["id"]})


def member_ops(entry: dict) -> list[int]:
    """Members per operation of a membership PATCH (empty for a PATCH of the group's own attributes;
    None for a body refused by its Content-Length, which the fake never read)."""
    if entry["request"]["body"] is None:
        return None
    body = json.loads(entry["request"]["body"])
    return [len(op["value"]) for op in body["Operations"] if op.get("path") == "members"]


def membership_patches(sim, group_id: str, since: int = 0) -> list[dict]:
    return [e for e in traffic(sim, since) if e["method"] == "PATCH" and e["path"] == f"{SCIM}/Groups/{group_id}"
            and member_ops(e) != []]


def test_membership_patches_carry_at_most_the_configured_member_count(app):
    sim = ProvsimClient.in_process(app)
    job = sim.configure()
    sim.set_settings(job, MaxMembersPerPatch=2)
    sim.start(job)
    sim.advance("PT1M")
    sales = group(sim, "Sales")
    patches = membership_patches(sim, sales["id"])
    assert [member_ops(e) for e in patches] == [[2], [2], [2]]
    assert len(sales["members"]) == 6
    entry = next(e for e in sim.logs(filter=f"sourceIdentity/id eq '{entra_group(sim, 'Sales')}'")
                 if e["provisioningSteps"][-1]["provisioningStepType"] == "referenceResolution")
    assert "6 added, 0 removed in 3 PATCH requests" in entry["provisioningSteps"][-1]["description"]


def test_no_body_is_larger_than_the_orgs_limit_once_a_413_named_it():
    fixture = load_fixture("contoso")
    fixture["purecloud"]["org"]["maxRequestBytes"] = 800
    sim = ProvsimClient.in_process(create_app(runtime=Runtime(ProvsimConfig(seed=0, fixture="contoso"), fixture=fixture)))
    sales = entra_group(sim, "Sales")
    add_members(sim, sales, 20, "rep")
    job = sim.configure(start=True)
    sim.advance("PT1M")
    genesys_sales = group(sim, "Sales")
    assert len(genesys_sales["members"]) == 26
    patches = membership_patches(sim, genesys_sales["id"])
    # One 413 names the limit ("Maximum bytes: 800"; the body was refused by its Content-Length,
    # unread); the 26 members then go in bodies under it.
    assert [e["status"] for e in patches] == [413, 200, 200, 200]
    assert "Maximum bytes: 800" in patches[0]["response"]["body"]
    assert [member_ops(e) for e in patches] == [None, [11], [11], [4]]
    assert all(len(json.dumps(json.loads(e["request"]["body"]), separators=(",", ":"))) <= 800 for e in patches[1:])
    assert sim.job(job)["status"]["lastExecution"]["state"] == "Succeeded"

    # The job remembers the org's limit: 25 more members go in bodies under it, without another 413.
    since = mark(sim)
    add_members(sim, sales, 25, "newrep")
    sim.advance("PT40M")
    patches = membership_patches(sim, genesys_sales["id"], since)
    assert len(patches) >= 2 and {e["status"] for e in patches} == {200}
    assert len(group(sim, "Sales")["members"]) == 51


def test_incremental_cycles_send_only_the_membership_changes(app):
    sim = ProvsimClient.in_process(app)
    sim.configure(start=True)
    sim.advance("PT1M")
    sales = entra_group(sim, "Sales")
    genesys_sales = group(sim, "Sales")["id"]
    alex = sim.graph("GET", "/users/alex.wilber@contoso.com")["id"]

    since = mark(sim)
    sim.graph("PATCH", f"/users/{alex}", {"jobTitle": "Senior Account Executive"})  # a user edit: no group is read
    sim.advance("PT40M")
    group_calls = [(e["method"], e["path"], e["query"]) for e in traffic(sim, since) if "/Groups" in e["path"]]
    assert group_calls == [("GET", f"{SCIM}/Groups", 'excludedAttributes=members&filter=displayName+eq+%22Marketing%22')]

    since = mark(sim)
    lynne = sim.graph("GET", "/users/lynne.robbins@contoso.com")["id"]  # provisioned through Support
    sim.graph("POST", f"/groups/{sales}/members/$ref", {"@odata.id": ODATA + lynne})
    sim.advance("PT40M")
    patches = [json.loads(e["request"]["body"]) for e in traffic(sim, since)
               if e["method"] == "PATCH" and e["path"] == f"{SCIM}/Groups/{genesys_sales}"]
    lynne_target = sim.genesys("GET", "/Users", params={"filter": 'userName eq "lynne.robbins@contoso.com"'})["Resources"][0]["id"]
    assert patches == [{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": lynne_target}]}]}]
