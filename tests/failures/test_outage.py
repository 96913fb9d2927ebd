"""Reference §4 failure paths, on top of the library stories genesys-outage, target-not-scim and
outage-mid-initial-cycle: an outage quarantines whatever the failure count (issue 10, observation 1),
the codes documented as "retried in 40 minutes" are retried by the next cycle, a target that is not
SCIM compliant quarantines too.  Exact virtual times."""

from collections import Counter

from told import at, next_retry


def test_one_internal_server_error_is_retried_by_the_next_cycle_not_six_hours_later(story):
    told = story("genesys-outage")
    failed = told.entries(status="failure", error="InternalServerError")[0]
    assert failed["sourceIdentity"]["displayName"] == "Alex Wilber"
    assert next_retry(failed) == at("2026-01-05T10:20:00Z")  # "automatically retried in 40 minutes"
    (retry,) = told.cycles("The next cycle, 40 minutes later, retries it")
    retried = [e for e in told.result.logs if e["cycleId"] == retry["cycleId"]]
    assert [(e["sourceIdentity"]["displayName"], e["provisioningStatusInfo"]["status"]) for e in retried] == [
        ("Alex Wilber", "success")]


def test_an_outage_quarantines_at_once_then_runs_exactly_once_a_day_until_genesys_is_back(story):
    told = story("genesys-outage")
    # 40-minute cycles; quarantined at 11:00; one attempt a day at nextAttempt; 40-minute cycles again after.
    assert told.all_began() == ["2026-01-05T09:00:00Z", "2026-01-05T09:40:00Z", "2026-01-05T10:20:00Z",
                                "2026-01-05T11:00:00Z", "2026-01-06T11:00:00Z", "2026-01-07T11:00:00Z",
                                "2026-01-07T11:40:00Z"]
    quarantined = [c["status"]["quarantine"] for c in told.runner.cycles if c["status"]["quarantine"]]
    assert [q["seriesCount"] for q in quarantined] == [1, 2]
    assert "fault rule" in quarantined[0]["error"]["message"]  # the fault behind the outage is named
    # the outage failed every operation the cycle tried: the pending change and the missing group's lookup
    first = [e for e in told.result.logs if e["cycleId"] == told.runner.cycles[3]["cycleId"]]
    assert [(e["sourceIdentity"]["displayName"], e["provisioningStatusInfo"]["errorInformation"]["errorCode"])
            for e in first] == [("Alex Wilber", "InternalServerError"), ("Marketing", "InternalServerError")]


def test_a_target_that_answers_404_instead_of_scim_quarantines_whatever_the_count(story):
    told = story("target-not-scim")
    (quarantining,) = [c for c in told.runner.cycles if c["status"]["quarantine"]]
    q = quarantining["status"]["quarantine"]
    assert q["reason"] == "EncounteredQuarantineException"
    assert q["error"]["code"] == "SystemForCrossDomainIdentityManagementServiceIncompatible"
    kai = [e for e in told.entries(status="failure") if e["sourceIdentity"]["displayName"] == "Kai Jansen"]
    # not one of the codes "retried in 40 minutes": the object waits 6 hours, so the story's restart creates Kai
    assert len(kai) == 1 and next_retry(kai[0]) == at("2026-01-05T15:40:00Z")


def test_an_outage_in_the_middle_of_the_initial_cycle_leaves_no_duplicates(story):
    told = story("outage-mid-initial-cycle")
    failed = told.entries(status="failure")
    assert failed and {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in failed} == {
        "WebExceptionProtocolError", "InternalServerError"}
    # both codes are documented as "automatically retried in 40 minutes": due with the next cycle
    assert {next_retry(e) for e in failed} == {at("2026-01-05T09:40:00Z")}
    (dropped,) = [e for e in told.scim("POST", "/Users") if e["fault"]]  # processed by Genesys, the answer lost
    assert dropped["status"] == 0 and '"userName": "joni.sherman@contoso.com"' in dropped["request"]["body"]
    joni = next(e["sourceIdentity"]["id"] for e in failed if e["sourceIdentity"]["displayName"] == "Joni Sherman")
    mine = [e for e in told.result.logs if e["sourceIdentity"]["id"] == joni]
    assert (mine[0]["provisioningAction"], mine[0]["provisioningStatusInfo"]["status"]) == ("create", "failure")
    assert any(e["provisioningAction"] == "update" and e["provisioningSteps"][-1]["description"].startswith("Matched an existing")
               for e in mine[1:]), "the retry finds her by userName instead of creating her twice"
    counts = Counter(u["userName"] for u in told.result.genesys_users)
    assert all(n == 1 for n in counts.values()), counts
    assert len(counts) == 23
