"""Reference §4 failure paths through the APIs a user has: an outage quarantines whatever the failure
count (issue 10, observation 1), the codes documented as "retried in 40 minutes" are retried by
the next cycle, and a target that is not SCIM compliant quarantines too.  Exact virtual times."""

from datetime import timedelta

import pytest

from simulator import create_app
from simulator.client import ProvsimClient
from simulator.core import ProvsimConfig, Runtime, load_fixture, parse_datetime

SCIM = "/api/v2/scim/v2"


@pytest.fixture
def sim():
    """The demo tenant, provisioned: initial cycle at 09:00, now 09:01 virtual.

    The provisioning client's tokens outlive the stories (the demo's last a day), so that what the
    daily attempts meet is the outage, not an expired Secret Token."""
    fixture = load_fixture("contoso")
    for client in fixture["purecloud"]["clients"]:
        client["tokenLifetimeSeconds"] = 30 * 86400
    app = create_app(runtime=Runtime(ProvsimConfig(seed=0, fixture="contoso"), fixture=fixture))
    client = ProvsimClient.in_process(app)
    client.job_id_ = client.configure(notify="identity-team@contoso.com", start=True)
    client.advance("PT1M")
    yield client
    client.close()


def cycles(answer: dict) -> list[dict]:
    return [r for r in answer["ran"] if r.get("jobId")]


def status(sim) -> dict:
    return sim.job(sim.job_id_)["status"]


def user_id(sim, upn: str) -> str:
    return sim.graph("GET", f"/users/{upn}")["id"]


def genesys_user(sim, upn: str) -> dict:
    return sim.genesys("GET", "/Users", params={"filter": f'userName eq "{upn}"'})["Resources"][0]


def test_outage_quarantines_at_once_retries_daily_and_recovers(sim):
    writes_down = [sim.add_fault(method=m, path=f"{SCIM}/*", status=503, note="Genesys outage")
                   for m in ("POST", "PATCH", "DELETE")]
    sim.graph("PATCH", f"/users/{user_id(sim, 'alex.wilber@contoso.com')}", {"jobTitle": "Senior Account Executive"})

    ran = cycles(sim.advance("PT40M"))
    assert [r["at"] for r in ran] == ["2026-01-05T09:40:00Z"]
    st = status(sim)
    q = st["quarantine"]
    assert st["code"] == "Quarantine" and q["reason"] == "EncounteredQuarantineException"
    assert q["error"]["code"] == "InternalServerError" and "fault rule" in q["error"]["message"]
    assert (q["currentBegan"], q["nextAttempt"], q["seriesCount"]) == ("2026-01-05T09:40:00Z", "2026-01-06T09:40:00Z", 1)
    failed = sim.logs(filter="provisioningStatusInfo/status eq 'failure'")
    assert [(e["sourceIdentity"]["displayName"], e["provisioningStatusInfo"]["errorInformation"]["errorCode"])
            for e in failed] == [("Alex Wilber", "InternalServerError")]
    mails = sim.outbox()
    assert len(mails) == 1 and "EncounteredQuarantineException" in mails[0]["subject"]

    # Two virtual days of outage (73 cycles' worth): one attempt a day, exactly at nextAttempt.
    ran = cycles(sim.advance("P2D"))
    assert [r["at"] for r in ran] == ["2026-01-06T09:40:00Z", "2026-01-07T09:40:00Z"]
    q = status(sim)["quarantine"]
    assert q["seriesCount"] == 3 and q["currentBegan"] == "2026-01-05T09:40:00Z"
    assert len(sim.outbox()) == 1  # same reason: no second e-mail
    assert genesys_user(sim, "alex.wilber@contoso.com")["title"] == "Account Executive"

    # Genesys answers again: the next daily attempt succeeds, the job leaves quarantine, 40-minute cycles again.
    for rule in writes_down:
        sim.control("DELETE", f"/faults/{rule['id']}")
    ran = cycles(sim.advance("P1DT1H"))
    assert [r["at"] for r in ran] == ["2026-01-08T09:40:00Z", "2026-01-08T10:20:00Z"]
    gaps = {parse_datetime(b["at"]) - parse_datetime(a["at"]) for a, b in zip(ran, ran[1:])}
    assert gaps == {timedelta(minutes=40)}
    st = status(sim)
    assert st["code"] == "Active" and st["quarantine"] is None
    assert genesys_user(sim, "alex.wilber@contoso.com")["title"] == "Senior Account Executive"


def test_internal_server_error_of_one_object_is_retried_by_the_next_cycle(sim):
    sim.add_fault(method="PATCH", path=f"{SCIM}/users/*", status=500, times=1, note="one hiccup")
    for upn in ("alex.wilber", "lidia.holloway", "diego.siciliani"):
        sim.graph("PATCH", f"/users/{user_id(sim, upn + '@contoso.com')}", {"jobTitle": "Account Director"})
    sim.advance("PT40M")  # the 09:40 cycle: one PATCH answers 500
    st = status(sim)
    assert st["code"] == "Active" and st["lastExecution"]["state"] == "EntryLevelErrors"  # one of three: no outage
    failed = sim.logs(filter="provisioningStatusInfo/status eq 'failure'")
    assert len(failed) == 1
    steps = {s["details"].get("NextRetry") for s in failed[0]["provisioningSteps"]}
    assert "2026-01-05T10:20:00Z" in steps  # "automatically retried in 40 minutes", not 6 hours later

    ran = cycles(sim.advance("PT40M"))
    assert [r["at"] for r in ran] == ["2026-01-05T10:20:00Z"] and ran[0]["failed"] == 0
    retried = [e for e in sim.logs(filter="provisioningStatusInfo/status eq 'success'") if e["cycleId"] == ran[0]["cycleId"]]
    assert [e["sourceIdentity"]["displayName"] for e in retried] == [failed[0]["sourceIdentity"]["displayName"]]
    assert {genesys_user(sim, f"{u}@contoso.com")["title"] for u in ("alex.wilber", "lidia.holloway", "diego.siciliani")} \
        == {"Account Director"}
    assert status(sim)["lastExecution"]["state"] == "Succeeded"


def test_a_target_that_answers_404_instead_of_scim_quarantines(sim):
    sim.add_fault(method="GET", path=f"{SCIM}/*", status=404, note="wrong tenant URL path")
    new = sim.graph("POST", "/users", {"accountEnabled": True, "displayName": "Kai Jansen", "mailNickname": "kaij",
                                       "userPrincipalName": "kai.jansen@contoso.com",
                                       "passwordProfile": {"password": "Pr0vsim!test"}})
    sp = sim.service_principal_id()
    sim.graph("POST", f"/servicePrincipals/{sp}/appRoleAssignedTo",
              {"principalId": new["id"], "resourceId": sp, "appRoleId": "00000000-0000-0000-0000-000000000000"})
    sim.advance("PT40M")
    st = status(sim)
    assert st["code"] == "Quarantine" and st["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert st["quarantine"]["error"]["code"] == "SystemForCrossDomainIdentityManagementServiceIncompatible"
    assert st["quarantine"]["nextAttempt"] == "2026-01-06T09:40:00Z"
