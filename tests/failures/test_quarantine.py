"""Each quarantine reason reached by a realistic story, with its exact virtual times, and recovery."""

from datetime import timedelta

from failure_story import at

TOKEN_REVOKE = "/_provsim/purecloud/tokens/revoke"


def test_revoked_secret_token_quarantines_at_once_then_runs_daily_until_replaced(started):
    story = started
    story.http.post(TOKEN_REVOKE, json={"token": story.token})
    story.graph("PATCH", f"/users/{story.user_id('alex')}", {"jobTitle": "Senior Account Executive"})
    ran = story.advance("PT40M")
    assert len(ran) == 1
    status = story.status()
    q = status["quarantine"]
    assert status["code"] == "Quarantine"
    assert q["reason"] == "EncounteredQuarantineException"
    assert q["error"]["code"] == "Unauthorized" and "401" in q["error"]["message"]
    assert q["seriesCount"] == 1 and q["seriesBegan"] == q["currentBegan"]
    assert at(q["nextAttempt"]) == at(q["currentBegan"]) + timedelta(days=1)
    failed = story.logs(status="failure")
    assert [e["sourceIdentity"]["displayName"] for e in failed] == ["Alex Wilber"]
    assert failed[0]["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "Unauthorized"
    mails = story.outbox()
    assert len(mails) == 1 and mails[0]["to"] == "identity-team@contoso.com"
    assert "quarantine" in mails[0]["subject"] and "EncounteredQuarantineException" in mails[0]["subject"]

    # Quarantined: nothing runs until the daily attempt, which runs exactly at nextAttempt.
    assert story.advance("PT23H") == []
    ran = story.advance("PT2H")
    assert [r["at"] for r in ran] == [q["nextAttempt"]]
    q2 = story.status()["quarantine"]
    assert q2["seriesCount"] == 2 and q2["currentBegan"] == q["currentBegan"]
    assert len(story.outbox()) == 1  # same reason: no second e-mail

    # Recovery: a new token in the credentials; the next daily attempt succeeds and leaves quarantine.
    token = story.client.genesys_token()
    story.graph("PUT", story.sync("/secrets"), {"value": [{"key": "SecretToken", "value": token}]})
    ran = story.advance("P1D")
    assert ran[0]["at"] == q2["nextAttempt"]
    # out of quarantine, cycles are back to every 40 minutes
    assert [at(b["at"]) - at(a["at"]) for a, b in zip(ran, ran[1:])] == [timedelta(minutes=40)] * (len(ran) - 1)
    status = story.status()
    assert status["code"] == "Active" and status["quarantine"] is None
    assert story.user_named("alex.wilber@contoso.com")["title"] == "Senior Account Executive"


def test_restart_with_quarantine_state_recovers_without_waiting_a_day(started):
    story = started
    story.http.post(TOKEN_REVOKE, json={"client_id": "provsim-purecloud-client"})
    story.graph("PATCH", f"/users/{story.user_id('alex')}", {"department": "Sales EMEA"})
    story.advance("PT40M")
    assert story.status()["code"] == "Quarantine"
    token = story.client.genesys_token()
    story.graph("PUT", story.sync("/secrets"), {"value": [{"key": "SecretToken", "value": token}]})
    story.restart("QuarantineState")
    assert story.status()["quarantine"] is None
    ran = story.advance("PT1M")
    assert len(ran) == 1 and story.status()["code"] == "Active"
    # The restart also cleared the watermark? No: only QuarantineState was reset; the change still flows.
    assert story.user_named("alex.wilber@contoso.com")["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"][
        "department"] == "Sales EMEA"


def test_four_weeks_in_quarantine_disable_the_job(started):
    story = started
    story.http.post("/_provsim/purecloud/tokens/expire")
    story.graph("PATCH", f"/users/{story.user_id('alex')}", {"jobTitle": "x"})
    story.advance("PT40M")
    began = at(story.status()["quarantine"]["seriesBegan"])
    ran = story.advance("P30D")
    # one attempt a day until more than 28 days have passed since the series began
    assert len(ran) == 28
    assert all(at(r["at"]) - began <= timedelta(days=28, minutes=1) for r in ran)
    assert story.schedule()["state"] == "Disabled"
    assert story.status()["quarantine"]["nextAttempt"] is None
    assert story.advance("P3D") == []
    subjects = [m["subject"] for m in story.outbox()]
    assert len(subjects) == 2 and "disabled" in subjects[-1]


def _bad_mobile(story, *keys):
    for key in keys:
        # Genesys accepts only E.164 or tel: URIs; a local format is a 400 for that user (a data error).
        story.graph("PATCH", f"/users/{story.user_id(key)}", {"mobilePhone": "06 1234 5678"})


def test_escrow_proportion_threshold_on_bad_data_then_fixed(started):
    story = started
    story.settings(QuarantineEvaluationMinimumFailures=3, QuarantineEscrowProportionThreshold=40)
    _bad_mobile(story, "alex", "lidia", "diego")
    for key in ("grady", "sam"):
        story.graph("PATCH", f"/users/{story.user_id(key)}", {"jobTitle": "Senior Support Agent"})
    story.advance("PT40M")
    status = story.status()
    assert status["code"] == "Quarantine"
    assert status["quarantine"]["reason"] == "EncounteredEscrowProportionThreshold"
    assert "3 of 5 events" in status["quarantine"]["error"]["message"]
    assert status["lastExecution"]["state"] == "EntryLevelErrors" and status["lastExecution"]["countEscrowed"] == 3
    escrows = story.escrows()
    assert sorted(e["errorCode"] for e in escrows) == ["BadRequest"] * 3
    for e in escrows:
        assert at(e["nextRetry"]) == at(e["firstFailure"]) + timedelta(hours=6)
    # Fix the data in Entra, restart clearing escrows and quarantine: everything lands.
    for key in ("alex", "lidia", "diego"):
        story.graph("PATCH", f"/users/{story.user_id(key)}", {"mobilePhone": "+31612345678"})
    story.restart("Escrows, QuarantineState")
    story.advance("PT1M")
    assert story.status()["code"] == "Active" and story.escrows() == []
    assert story.user_named("lidia.holloway@contoso.com")["phoneNumbers"][0]["value"] == "+31612345678"


def test_base_escrow_threshold_builds_up_over_cycles(started):
    story = started
    story.settings(QuarantineEvaluationMinimumFailures=2, QuarantineEscrowProportionThreshold=100,
                   QuarantineBaseEscrowThreshold=3)
    _bad_mobile(story, "alex", "lidia")
    story.advance("PT40M")
    assert story.status()["code"] == "Active" and len(story.escrows()) == 2
    _bad_mobile(story, "grady", "sam")
    story.advance("PT40M")
    status = story.status()
    assert status["code"] == "Quarantine" and status["quarantine"]["reason"] == "EncounteredBaseEscrowThreshold"
    assert "4 objects are in escrow" in status["quarantine"]["error"]["message"]


def test_total_escrow_threshold_counts_reference_failures_and_prunes_in_the_initial_cycle(story):
    story.configure(scope="assigned")
    story.settings(QuarantineTotalEscrowThreshold=10)
    # A gateway in front of Genesys refuses PATCH: creates work, manager references all fail.
    story.fault(method="PATCH", path="/api/v2/scim/v2/users/*", status=500, note="gateway refuses PATCH")
    story.start()
    story.advance("PT1M")
    status = story.status()
    assert status["code"] == "Quarantine"
    assert status["quarantine"]["reason"] == "EncounteredTotalEscrowThreshold"
    assert status["escrowsPruned"] is True and story.escrows() == []
    # reference failures name the fault that caused them
    failures = story.logs(status="failure")
    assert failures and all("fault rule" in " ".join(s["description"] for s in e["provisioningSteps"]) for e in failures)
    story.clear_faults()
    story.restart()
    story.advance("PT1M")
    assert story.status()["code"] == "Active"
    alex = story.user_named("alex.wilber@contoso.com")
    assert alex["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"] == \
        story.user_named("megan.bowen@contoso.com")["id"]


def test_quarantined_on_demand_and_restart(started):
    story = started
    resp = story.http.post(f"/_provsim/provisioning/jobs/{story.job_id}/quarantine", json={"message": "Investigating"})
    assert resp.status_code == 200
    q = story.status()["quarantine"]
    assert q["reason"] == "QuarantinedOnDemand" and q["error"]["message"] == "Investigating"
    assert "QuarantinedOnDemand" in story.outbox()[-1]["subject"]
    story.restart("QuarantineState")
    story.advance("PT1M")
    assert story.status()["code"] == "Active"
