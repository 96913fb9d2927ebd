"""The job runner never dies (issue 10, observation 3): whatever goes wrong inside one object or one
cycle is logged and recorded, ``clock/advance`` answers 200, and the job stays on its schedule."""

import pytest

from simulator.client import ProvsimClient


@pytest.fixture
def sim(app):
    client = ProvsimClient.in_process(app)
    client.job_id_ = client.configure(start=True)
    client.advance("PT1M")  # the initial cycle at 09:00
    yield client
    client.close()


def pending_cycles(sim) -> list[str]:
    return [p["due"] for p in sim.control("GET", "/clock")["pending"] if p["job"].startswith("provisioning cycle")]


def test_a_failing_mapping_expression_fails_its_objects_and_the_job_keeps_running(sim):
    job = sim.job_id_
    schema = sim.schema(job)
    users = next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["sourceObjectName"] == "User")
    title = next(am for am in users["attributeMappings"] if am["targetAttributeName"] == "title")
    title["source"] = {"expression": "Left([displayName], [department])", "name": "Left", "type": "Function",
                       "parameters": []}
    sim.put_schema(job, schema)  # saving mappings starts a new initial cycle, now (09:01)

    answer = sim.advance("PT1M")  # answered 200: the client raises on anything else
    ran = [r for r in answer["ran"] if r.get("jobId")]
    assert [(r["at"][:16], r["initial"]) for r in ran] == [("2026-01-05T09:01", True)] and "error" not in ran[0]
    failed = sim.logs(filter=f"cycleId eq '{ran[0]['cycleId']}' and provisioningStatusInfo/status eq 'failure'",
                      all_pages=True)
    assert len(failed) == ran[0]["failed"] >= 20  # every user with a department: Left() needs a number
    info = failed[0]["provisioningStatusInfo"]["errorInformation"]
    assert info["errorCode"] == "ExpressionEvaluationFailed" and "Left" in info["reason"]
    status = sim.job(job)
    assert status["schedule"]["state"] == "Active" and status["status"]["code"] == "Active"
    assert status["status"]["lastExecution"]["state"] == "EntryLevelErrors"

    # Still scheduled, 40 minutes after the cycle began; and the next cycle runs.
    assert pending_cycles(sim) == ["2026-01-05T09:41:00Z"]
    ran = [r for r in sim.advance("PT40M")["ran"] if r.get("jobId")]
    assert [r["at"] for r in ran] == ["2026-01-05T09:41:00Z"] and ran[0]["initial"] is False
    assert pending_cycles(sim) == ["2026-01-05T10:21:00Z"]


def test_an_engine_error_on_one_object_fails_only_that_object(sim, monkeypatch, app):
    source = app.extensions["provsim"].services["provisioning"].source
    alex = sim.graph("GET", "/users/alex.wilber@contoso.com")["id"]
    sim.graph("PATCH", f"/users/{alex}", {"jobTitle": "Senior Account Executive"})
    lidia = sim.graph("GET", "/users/lidia.holloway@contoso.com")["id"]
    sim.graph("PATCH", f"/users/{lidia}", {"jobTitle": "Account Director"})
    real_user = source.user

    def broken_for_alex(user_id):
        if user_id == alex:
            raise KeyError("manager")  # an engine bug that only this user's data triggers
        return real_user(user_id)

    monkeypatch.setattr(source, "user", broken_for_alex)
    ran = [r for r in sim.advance("PT40M")["ran"] if r.get("jobId")]
    assert ran[0]["failed"] == 1 and ran[0]["exported"] == 1
    entry = sim.logs(filter=f"sourceIdentity/id eq '{alex}'")[0]
    info = entry["provisioningStatusInfo"]["errorInformation"]
    assert entry["provisioningStatusInfo"]["status"] == "failure"
    assert info["errorCode"] == "InternalError" and "KeyError" in info["reason"]
    next_retry = {s["details"].get("NextRetry") for s in entry["provisioningSteps"]}
    assert "2026-01-05T10:20:00Z" in next_retry  # InternalError: "automatically retried in 40 minutes"
    lidia_genesys = sim.genesys("GET", "/Users", params={"filter": 'userName eq "lidia.holloway@contoso.com"'})
    assert lidia_genesys["Resources"][0]["title"] == "Account Director"

    monkeypatch.setattr(source, "user", real_user)  # the bug is fixed: the retry goes through
    ran = [r for r in sim.advance("PT40M")["ran"] if r.get("jobId")]
    assert ran[0]["at"] == "2026-01-05T10:20:00Z" and ran[0]["failed"] == 0 and ran[0]["exported"] == 1
    alex_genesys = sim.genesys("GET", "/Users", params={"filter": 'userName eq "alex.wilber@contoso.com"'})
    assert alex_genesys["Resources"][0]["title"] == "Senior Account Executive"


def test_a_crashing_cycle_is_recorded_in_health_and_the_job_stays_scheduled(sim, monkeypatch):
    import simulator.engine.runner as runner

    def crash(ctx, *, initial, watermark):
        raise RuntimeError("engine bug")

    real = runner.run_cycle
    monkeypatch.setattr(runner, "run_cycle", crash)
    answer = sim.advance("PT40M")  # 200, not 500
    ran = [r for r in answer["ran"] if r.get("jobId")]
    assert ran[0]["at"] == "2026-01-05T09:40:00Z" and ran[0]["error"] == "RuntimeError: engine bug"
    status = sim.job(sim.job_id_)["status"]
    assert status["lastExecution"]["state"] == "Failed" and status["lastExecution"]["error"]["code"] == "InternalError"
    health = sim.control("GET", "/health")
    assert health["provisioning"]["errors"] == [{"at": "2026-01-05T09:40:00Z", "jobId": sim.job_id_,
                                                 "cycleId": ran[0]["cycleId"], "error": "RuntimeError: engine bug"}]
    assert health["provisioning"]["scheduledCycles"] == [{"jobId": sim.job_id_, "due": "2026-01-05T10:20:00Z"}]

    monkeypatch.setattr(runner, "run_cycle", real)
    ran = [r for r in sim.advance("PT40M")["ran"] if r.get("jobId")]
    assert ran[0]["at"] == "2026-01-05T10:20:00Z" and "error" not in ran[0]
    assert sim.job(sim.job_id_)["status"]["lastExecution"]["state"] == "Succeeded"
