"""The real service's documented known issues and counters, simulated as documented (issue 10,
observation 6; L:known-issues, reference §2, §3, §5).  The restored-user case is in
test_scope_changes.py (test_restored_user_memberships)."""

import pytest

from simulator.client import ProvsimClient

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def sim(app):
    client = ProvsimClient.in_process(app)
    client.job_id_ = client.configure(start=True)
    client.advance("PT1M")
    yield client
    client.close()


def genesys_user(sim, upn: str) -> dict | None:
    found = sim.genesys("GET", "/Users", params={"filter": f'userName eq "{upn}"'})["Resources"]
    return found[0] if found else None


def members(sim, group: str) -> set[str]:
    found = sim.genesys("GET", "/Groups", params={"filter": f'displayName eq "{group}"'})["Resources"][0]
    return {m["value"] for m in sim.genesys("GET", f"/Groups/{found['id']}").get("members") or []}


def restart(sim) -> None:
    sim.restart(sim.job_id_)
    sim.advance("PT1M")


def test_a_group_member_who_comes_into_scope_is_added_only_after_a_restart(sim):
    lee = sim.graph("GET", "/users/lee.gu@contoso.com")["id"]  # in Support, disabled: never created
    assert genesys_user(sim, "lee.gu@contoso.com") is None
    sim.graph("PATCH", f"/users/{lee}", {"accountEnabled": True})
    sim.advance("PT40M")
    lee_genesys = genesys_user(sim, "lee.gu@contoso.com")
    assert lee_genesys["active"] is True
    assert lee_genesys["id"] not in members(sim, "Support")
    sim.advance("PT40M")
    assert lee_genesys["id"] not in members(sim, "Support")
    restart(sim)
    assert lee_genesys["id"] in members(sim, "Support")


def test_a_manager_who_enters_scope_later_is_linked_only_after_a_restart(sim):
    alex = sim.graph("GET", "/users/alex.wilber@contoso.com")["id"]
    allan = sim.graph("GET", "/users/allan.deyoung@contoso.com")["id"]  # Finance: not assigned
    sim.graph("PUT", f"/users/{alex}/manager/$ref", {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{allan}"})
    sim.advance("PT40M")
    assert "manager" not in genesys_user(sim, "alex.wilber@contoso.com")[ENTERPRISE]
    sp = sim.service_principal_id()
    sim.graph("POST", f"/servicePrincipals/{sp}/appRoleAssignedTo",
              {"principalId": allan, "resourceId": sp, "appRoleId": DEFAULT_ACCESS})
    sim.advance("PT40M")
    allan_genesys = genesys_user(sim, "allan.deyoung@contoso.com")
    assert allan_genesys["active"] is True
    assert "manager" not in genesys_user(sim, "alex.wilber@contoso.com")[ENTERPRISE]
    restart(sim)
    assert genesys_user(sim, "alex.wilber@contoso.com")[ENTERPRISE]["manager"]["value"] == allan_genesys["id"]


def test_synchronized_entry_counts_do_not_drop_on_delete_until_a_restart(sim):
    def counts() -> dict[str, int]:
        entries = sim.job(sim.job_id_)["status"]["synchronizedEntryCountByType"]
        return {e["key"].split(" ")[0]: e["value"] for e in entries}

    assert counts() == {"Group": 3, "User": 22}
    patti = sim.graph("GET", "/users/patti.fernandez@contoso.com")["id"]
    sim.graph("DELETE", f"/users/{patti}")
    sim.advance("PT40M")
    sim.graph("DELETE", f"/directory/deletedItems/{patti}")
    sim.advance("PT40M")
    assert genesys_user(sim, "patti.fernandez@contoso.com") is None  # deleted in Genesys
    assert counts() == {"Group": 3, "User": 22}  # the portal's count does not drop
    restart(sim)
    assert counts() == {"Group": 3, "User": 21}  # recalculated by the restart
