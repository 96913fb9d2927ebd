"""The quarantine rules as pure verdicts (reference §4): which reason, in which order, from what counts."""

from datetime import UTC, datetime, timedelta

from simulator.engine import quarantine

RULES = quarantine.thresholds({})
NOW = datetime(2026, 1, 5, 9, 40, tzinfo=UTC)


def test_outage_means_most_or_all_operations_failing_on_the_targets_side():
    assert quarantine.outage_verdict(RULES, touched=1, service_failed=1, codes={"InternalServerError": 1}).code == \
        "InternalServerError"
    assert quarantine.outage_verdict(RULES, touched=4, service_failed=2, codes={"Timeout": 2}) is None  # half is not most
    verdict = quarantine.outage_verdict(RULES, touched=5, service_failed=4, codes={"Timeout": 1, "InternalServerError": 3})
    assert verdict.reason == "EncounteredQuarantineException" and verdict.code == "InternalServerError"
    assert "4 of 5" in verdict.message
    assert quarantine.outage_verdict(RULES, touched=0, service_failed=0, codes={}) is None


def test_escrow_thresholds_start_at_the_evaluation_minimum_and_total_counts_references():
    assert quarantine.escrow_verdict(RULES, objects=4999, references=0, failed=4999, events=5000) is None
    assert quarantine.escrow_verdict(RULES, objects=5000, references=0, failed=5000, events=20000) is None  # 25%
    assert quarantine.escrow_verdict(RULES, objects=5000, references=0, failed=5000, events=10000).reason == \
        "EncounteredEscrowProportionThreshold"  # 50% of the cycle's events
    tight = quarantine.thresholds({"QuarantineEvaluationMinimumFailures": "2", "QuarantineTotalEscrowThreshold": "10"})
    assert quarantine.escrow_verdict(tight, objects=2, references=0, failed=2, events=3).reason == \
        "EncounteredEscrowProportionThreshold"
    assert quarantine.escrow_verdict(tight, objects=0, references=11, failed=0, events=20).reason == \
        "EncounteredTotalEscrowThreshold"


def test_enter_keeps_the_series_and_mails_only_on_a_new_reason():
    status = {"code": "Active", "quarantine": None}
    outage = quarantine.Verdict("EncounteredQuarantineException", "InternalServerError", "down")
    assert quarantine.enter(status, outage, NOW) is True
    assert status["quarantine"]["nextAttempt"] == "2026-01-06T09:40:00Z"
    assert quarantine.enter(status, outage, NOW + timedelta(days=1)) is False
    assert status["quarantine"]["seriesCount"] == 2 and status["quarantine"]["currentBegan"] == "2026-01-05T09:40:00Z"
    deletes = quarantine.too_many_deletes_verdict(7, 5)
    assert quarantine.enter(status, deletes, NOW + timedelta(days=2)) is True
    assert status["quarantine"]["seriesBegan"] == "2026-01-05T09:40:00Z"
    assert quarantine.expired(status, NOW + timedelta(days=29), RULES)
    assert quarantine.leave(status, initial_done=True) and status == {"code": "Active", "quarantine": None}
