"""Each quarantine reason reached by a library story, on top of its YAML expectations: exact virtual
times of every attempt, escrow retry times, the notification's recipient."""

from datetime import timedelta
from itertools import pairwise

from told import at, next_retry


def test_a_revoked_secret_token_quarantines_at_once_then_runs_exactly_once_a_day_until_replaced(story):
    told = story("token-invalid-revoked")
    began = told.all_began()
    # invalid token at 09:00; restart 09:01; 40-minute cycles; revoked: 10:21 quarantines; a day later one
    # attempt; the day after, the attempt with the re-entered token succeeds and 40-minute cycles resume.
    assert began == ["2026-01-05T09:00:00Z", "2026-01-05T09:01:00Z", "2026-01-05T09:41:00Z", "2026-01-05T10:21:00Z",
                     "2026-01-06T10:21:00Z", "2026-01-07T10:21:00Z", "2026-01-07T11:01:00Z"]
    revoked = [c["status"]["quarantine"] for c in told.runner.cycles[3:5]]
    assert [q["seriesCount"] for q in revoked] == [1, 2]
    assert revoked[0]["seriesBegan"] == revoked[0]["currentBegan"] == revoked[1]["currentBegan"] == "2026-01-05T10:21:00Z"
    assert "401" in revoked[0]["error"]["message"]
    mails = told.runner.client.outbox()
    assert [m["to"] for m in mails] == ["identity-team@contoso.com"] * 2
    assert all("quarantine" in m["subject"] and "EncounteredQuarantineException" in m["subject"] for m in mails)


def test_four_weeks_in_quarantine_disable_the_job_after_the_28th_daily_attempt(story):
    told = story("quarantine-four-weeks")
    attempts = [at(b) for b in told.all_began()[1:]]  # after the initial cycle
    series_began = at("2026-01-05T09:40:00Z")
    assert attempts[0] == series_began and len(attempts) == 29
    assert [b - a for a, b in pairwise(attempts)] == [timedelta(days=1)] * 28
    assert attempts[-1] - series_began == timedelta(days=28)  # more than four weeks would be the next one
    assert told.result.job["schedule"]["state"] == "Disabled"


def test_escrowed_data_errors_wait_six_hours_and_the_thresholds_name_their_counts(story):
    told = story("escrow-thresholds")
    bad = told.entries(status="failure", error="BadRequest")
    assert len(bad) == 7
    for entry in bad:  # data errors are retried 6 hours after the failure, not with the next cycle
        assert next_retry(entry) == at(entry["activityDateTime"][:19] + "Z") + timedelta(hours=6)
    proportion = next(c["status"]["quarantine"] for c in told.runner.cycles if c["status"]["quarantine"])
    assert proportion["reason"] == "EncounteredEscrowProportionThreshold" and "3 of 5 events" in proportion["error"]["message"]
    base = told.result.job["status"]["quarantine"]
    assert base["reason"] == "EncounteredBaseEscrowThreshold" and base["error"]["message"] == "4 objects are in escrow, more than 3."


def test_the_total_escrow_threshold_counts_reference_failures_and_prunes_in_the_initial_cycle(story):
    told = story("escrow-initial-cycle")
    failures = told.entries(status="failure")
    assert len(failures) == 22 and sum(e["sourceIdentity"]["identityType"] == "User" for e in failures) == 22
    # every failure names the fault rule that caused it (provsim's fault answers carry a header real Genesys never sends)
    assert all("fault rule" in " ".join(s["description"] for s in e["provisioningSteps"]) for e in failures)
    (initial,) = [c for c in told.runner.cycles if c["status"]["quarantine"]]
    assert initial["initial"] is True and initial["status"]["escrowsPruned"] is True
    assert initial["status"]["quarantine"]["error"]["code"] == "EncounteredTotalEscrowThreshold"


def test_quarantine_on_demand_sends_its_own_notification(story):
    told = story("quarantine-on-demand")
    (mail,) = told.runner.client.outbox()
    assert "QuarantinedOnDemand" in mail["subject"] and mail["to"] == "identity-team@contoso.com"
    assert told.all_began() == ["2026-01-05T09:00:00Z", "2026-01-05T11:01:00Z"]  # nothing ran while quarantined
