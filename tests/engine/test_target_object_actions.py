"""Target object actions (Create / Update / Delete of an object mapping) are honoured (issue 10,
observation 2): an action that is off sends nothing and is logged as Skipped, saying why."""

import pytest

from simulator.client import ProvsimClient

SCIM = "/api/v2/scim/v2"


@pytest.fixture
def sim(app):
    client = ProvsimClient.in_process(app)
    client.job_id_ = client.configure(start=True)
    client.advance("PT1M")  # the initial cycle at 09:00 with every action on
    yield client
    client.close()


def set_actions(sim, **flow_types: str) -> None:
    """``flowTypes`` of the object mappings, as the portal's Target Object Actions checkboxes save them."""
    schema = sim.schema(sim.job_id_)
    for om in schema["synchronizationRules"][0]["objectMappings"]:
        if om["sourceObjectName"] in flow_types:
            om["flowTypes"] = flow_types[om["sourceObjectName"]]
    sim.put_schema(sim.job_id_, schema)
    sim.advance("PT1M")  # saving mappings restarts the job: its initial cycle runs at once


def writes(sim, since: int) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in sim.control("GET", "/traffic", params={"surface": "purecloud", "since": since})["value"]
            if e["method"] in ("POST", "PATCH", "DELETE") and e["path"].startswith(SCIM)]


def mark(sim) -> int:
    entries = sim.control("GET", "/traffic", params={"limit": 1})["value"]
    return entries[-1]["seq"] if entries else 0


def skipped(sim, object_id: str) -> list[dict]:
    return [e for e in sim.logs(filter=f"sourceIdentity/id eq '{object_id}'")
            if e["provisioningStatusInfo"]["status"] == "skipped"]


def genesys_user(sim, upn: str) -> dict | None:
    found = sim.genesys("GET", "/Users", params={"filter": f'userName eq "{upn}"'})["Resources"]
    return found[0] if found else None


def test_delete_off_a_hard_deleted_user_is_disabled_but_never_deleted(sim):
    set_actions(sim, User="Add, Update")
    patti = sim.graph("GET", "/users/patti.fernandez@contoso.com")["id"]
    sim.graph("DELETE", f"/users/{patti}")
    sim.advance("PT40M")  # soft delete: disabled (an update)
    assert genesys_user(sim, "patti.fernandez@contoso.com")["active"] is False
    since = mark(sim)
    sim.graph("DELETE", f"/directory/deletedItems/{patti}")  # deleted for good
    sim.advance("PT40M")
    assert not [w for w in writes(sim, since) if w[0] == "DELETE"]
    assert genesys_user(sim, "patti.fernandez@contoso.com") is not None
    entry = skipped(sim, patti)[0]
    assert entry["provisioningAction"] == "delete"
    info = entry["provisioningStatusInfo"]["errorInformation"]
    assert info["errorCode"] == "EntrySynchronizationSkipped" and "'Delete' target object action is off" in info["reason"]


def test_create_and_update_off_nothing_is_created_or_changed(sim):
    set_actions(sim, User="Delete", Group="Add, Delete")
    since = mark(sim)
    kai = sim.graph("POST", "/users", {"accountEnabled": True, "displayName": "Kai Jansen", "mailNickname": "kaij",
                                       "userPrincipalName": "kai.jansen@contoso.com",
                                       "passwordProfile": {"password": "Pr0vsim!test"}})["id"]
    sales = sim.graph("GET", "/groups", params={"$filter": "displayName eq 'Sales'"})["value"][0]["id"]
    sim.graph("POST", f"/groups/{sales}/members/$ref",
              {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{kai}"})  # assigned through Sales
    alex = sim.graph("GET", "/users/alex.wilber@contoso.com")["id"]
    sim.graph("PATCH", f"/users/{alex}", {"jobTitle": "Senior Account Executive"})
    joni = sim.graph("GET", "/users/joni.sherman@contoso.com")["id"]
    sim.graph("DELETE", f"/groups/{sales}/members/{joni}/$ref")  # leaves scope: a disable is an update too
    sim.advance("PT40M")

    assert writes(sim, since) == []
    assert genesys_user(sim, "kai.jansen@contoso.com") is None
    assert genesys_user(sim, "alex.wilber@contoso.com")["title"] == "Account Executive"
    assert genesys_user(sim, "joni.sherman@contoso.com")["active"] is True
    # (saving the actions restarted provisioning: the full cycle also logs what needs no change as 'other')
    actions = {(e["provisioningAction"], e["provisioningStatusInfo"]["errorInformation"]["errorCode"])
               for who in (kai, alex, joni, sales) for e in skipped(sim, who) if e["provisioningAction"] != "other"}
    assert actions == {("create", "EntrySynchronizationSkipped"), ("update", "EntrySynchronizationSkipped"),
                       ("disable", "EntrySynchronizationSkipped")}
    group_entry = skipped(sim, sales)[0]
    assert "'Update' target object action is off for groups" in group_entry["provisioningStatusInfo"]["errorInformation"]["reason"]
