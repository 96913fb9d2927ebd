"""The quarantine judgement as a pure function (reference §4): which reason, in which order, from what
a cycle saw; and the status transitions it leads to."""

from datetime import UTC, datetime, timedelta

from simulator.engine import quarantine
from simulator.engine.job import JobCode, JobStatus
from simulator.engine.job_settings import JobSettings, NotificationSettings, parse_job_settings
from simulator.engine.quarantine import CycleReport, Failure, decide

SETTINGS = JobSettings()
NOW = datetime(2026, 1, 5, 9, 40, tzinfo=UTC)
ACTIVE = JobStatus(code=JobCode.ACTIVE)


def outage(operations: int = 1, failures: int = 1, **extra) -> CycleReport:
    return CycleReport(initial=False, target_operations=operations, target_failures=failures,
                       target_codes={"InternalServerError": failures} if failures else {}, **extra)


def test_credentials_refused_or_not_scim_quarantine_at_once():
    judgement = decide(CycleReport(initial=False, completed=False, refused=Failure("Unauthorized", "Genesys answered 401")),
                       ACTIVE, SETTINGS)
    assert judgement.verdict.reason == "EncounteredQuarantineException" and judgement.verdict.code == "Unauthorized"
    assert judgement.keep_watermark


def test_one_complete_failure_is_escrow_not_quarantine():
    judgement = decide(outage(), ACTIVE, SETTINGS)
    assert judgement.verdict is None and judgement.successive_complete_failures == 1


def test_consistent_failure_over_successive_cycles_quarantines():
    status = ACTIVE
    verdicts = []
    for _cycle in range(SETTINGS.successive_complete_failures):
        judgement = decide(outage(3, 3), status, SETTINGS)
        status = JobStatus(code=JobCode.ACTIVE, count_successive_complete_failures=judgement.successive_complete_failures)
        verdicts.append(judgement.verdict)
    assert verdicts[:-1] == [None] * (SETTINGS.successive_complete_failures - 1)
    assert verdicts[-1].reason == "EncounteredQuarantineException" and verdicts[-1].code == "InternalServerError"
    assert f"{SETTINGS.successive_complete_failures} cycles in a row" in verdicts[-1].message


def test_a_cycle_with_answers_ends_the_series_an_idle_cycle_leaves_it():
    five = JobStatus(code=JobCode.ACTIVE, count_successive_complete_failures=5)
    assert decide(outage(4, 3), five, SETTINGS).successive_complete_failures == 0  # one call got through
    assert decide(CycleReport(initial=False), five, SETTINGS).successive_complete_failures == 5  # nothing to do
    assert decide(CycleReport(initial=False, crashed=True, completed=False), five, SETTINGS).successive_complete_failures == 5


def test_the_count_is_a_job_setting():
    one = parse_job_settings([{"name": "QuarantineSuccessiveCompleteFailures", "value": "1"}])
    assert decide(outage(), ACTIVE, one).verdict.reason == "EncounteredQuarantineException"


def test_an_initial_cycle_that_cannot_reach_the_target_counts_as_a_complete_failure():
    report = CycleReport(initial=True, completed=False, unreachable=Failure("Timeout", "timed out"))
    judgement = decide(report, ACTIVE, SETTINGS)
    assert judgement.verdict is None and judgement.successive_complete_failures == 1 and judgement.keep_watermark


def test_escrow_thresholds_start_at_the_evaluation_minimum_and_total_counts_references():
    def escrow(objects, references, failed, events, settings=SETTINGS):
        report = CycleReport(initial=False, failed=failed, events=events, escrow_objects=objects, escrow_references=references)
        return decide(report, ACTIVE, settings).verdict

    assert escrow(4999, 0, 4999, 5000) is None
    assert escrow(5000, 0, 5000, 20000) is None  # 25%
    assert escrow(5000, 0, 5000, 10000).reason == "EncounteredEscrowProportionThreshold"  # 50% of the cycle's events
    tight = parse_job_settings([{"name": "QuarantineEvaluationMinimumFailures", "value": "2"},
                                {"name": "QuarantineTotalEscrowThreshold", "value": "10"}])
    assert escrow(2, 0, 2, 3, tight).reason == "EncounteredEscrowProportionThreshold"
    assert escrow(0, 11, 0, 20, tight).reason == "EncounteredTotalEscrowThreshold"


def test_the_initial_cycle_prunes_escrows_at_a_threshold():
    tight = parse_job_settings([{"name": "QuarantineTotalEscrowThreshold", "value": "1"}])
    judgement = decide(CycleReport(initial=True, escrow_objects=2), ACTIVE, tight)
    assert judgement.verdict.reason == "EncounteredTotalEscrowThreshold" and judgement.prune_escrows


def test_too_many_deletes_keeps_the_watermark():
    judgement = decide(CycleReport(initial=False, too_many_deletes=True, staged_deletes=7, delete_threshold=5),
                       ACTIVE, SETTINGS)
    assert judgement.verdict.reason == "TooManyDeletes" and "threshold (5)" in judgement.verdict.message
    assert judgement.keep_watermark


def test_the_deletion_guard_is_opt_in():
    assert quarantine.deletion_guard(SETTINGS, NotificationSettings()) is None
    assert quarantine.deletion_guard(SETTINGS, NotificationSettings(enabled=True, recipients=("a@b.c",))) is None
    assert quarantine.deletion_guard(SETTINGS, NotificationSettings(delete_threshold_enabled=True)) == 500
    assert quarantine.deletion_guard(SETTINGS, NotificationSettings(delete_threshold_enabled=True,
                                                                    delete_threshold_value=3)) == 3
    explicit = parse_job_settings([{"name": "QuarantineTooManyDeletesThreshold", "value": "40"}],
                                  explicit=["QuarantineTooManyDeletesThreshold"])
    assert quarantine.deletion_guard(explicit, NotificationSettings()) == 40
    assert quarantine.deletion_guard(explicit, NotificationSettings(delete_threshold_enabled=False)) is None


def test_a_quarantined_job_whose_attempt_fails_again_stays():
    judgement = decide(outage(), JobStatus(code=JobCode.ACTIVE), parse_job_settings(
        [{"name": "QuarantineSuccessiveCompleteFailures", "value": "1"}]))
    status, _ = quarantine.enter(ACTIVE, judgement.verdict, NOW)
    again = decide(outage(), status, SETTINGS)  # e.g. the job setting was raised meanwhile: no new verdict
    assert again.verdict is None and again.stay_quarantined


def test_enter_keeps_the_series_and_mails_only_on_a_new_reason():
    down = quarantine.Verdict("EncounteredQuarantineException", "InternalServerError", "down")
    status, changed = quarantine.enter(ACTIVE, down, NOW + timedelta(microseconds=750000))
    assert changed and status.to_graph()["quarantine"]["nextAttempt"] == "2026-01-06T09:40:00Z"
    status, changed = quarantine.enter(status, down, NOW + timedelta(days=1))
    assert not changed
    assert status.quarantine.series_count == 2 and status.to_graph()["quarantine"]["currentBegan"] == "2026-01-05T09:40:00Z"
    deletes = quarantine.Verdict("TooManyDeletes", "TooManyDeletes", "7 staged")
    status, changed = quarantine.enter(status, deletes, NOW + timedelta(days=2))
    assert changed and status.to_graph()["quarantine"]["seriesBegan"] == "2026-01-05T09:40:00Z"
    assert quarantine.expired(status, NOW + timedelta(days=29), SETTINGS)
    left, was = quarantine.leave(status, initial_done=True)
    assert was and left.code is JobCode.ACTIVE and left.quarantine is None
    assert JobStatus.from_graph(status.to_graph()) == status  # the stored form is Graph's, and loses nothing
