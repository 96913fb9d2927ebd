"""Determinism of reset and resume (issue 10, observation 8), compared with a fresh simulator.

Resume is tested in-process: two runtimes, one after the other, on one state file (what
``provsim serve --state`` does across a restart, without the server)."""

from simulator import create_app
from simulator.client import ProvsimClient
from simulator.core import ProvsimConfig


def client(state=None) -> ProvsimClient:
    return ProvsimClient.in_process(create_app(ProvsimConfig(seed=0, fixture="contoso", state_path=state)))


def cycles(answer: dict) -> list[str]:
    return [r["at"] for r in answer["ran"] if r.get("jobId")]


def observed(sim: ProvsimClient, job: str) -> dict:
    """What a user sees: the job, every provisioning log entry, the pending schedule."""
    logs = [(e["id"], e["activityDateTime"], e["provisioningAction"], e["provisioningStatusInfo"]["status"],
             e["sourceIdentity"]["id"]) for e in sim.logs(all_pages=True, top=1000)]
    view = sim.job(job)
    return {"now": sim.now(), "schedule": view["schedule"], "code": view["status"]["code"],
            "quarantine": view["status"]["quarantine"], "logs": logs,
            "pending": [p for p in sim.control("GET", "/clock")["pending"] if p["job"].startswith("provisioning")]}


def test_reset_gives_a_new_job_the_same_id_as_a_fresh_simulator():
    fresh = client()
    fresh_job = fresh.configure(start=True)
    fresh.advance("PT1M")

    used = client()
    used.configure(start=True)
    used.advance("PT2H")
    used.control("POST", "/reset")
    job = used.configure(start=True)
    used.advance("PT1M")
    assert job == fresh_job
    assert observed(used, job) == observed(fresh, fresh_job)


def test_a_resumed_simulator_keeps_time_schedule_and_ids(tmp_path):
    def story_start(sim):
        job = sim.configure(start=True)
        sim.advance("PT1M")
        alex = sim.graph("GET", "/users/alex.wilber@contoso.com")["id"]
        sim.graph("PATCH", f"/users/{alex}", {"jobTitle": "Senior Account Executive"})
        assert cycles(sim.advance("PT3H")) == ["2026-01-05T09:40:00Z", "2026-01-05T10:20:00Z",
                                               "2026-01-05T11:00:00Z", "2026-01-05T11:40:00Z"]
        return job

    def story_end(sim):
        lidia = sim.graph("GET", "/users/lidia.holloway@contoso.com")["id"]
        sim.graph("PATCH", f"/users/{lidia}", {"jobTitle": "Account Director"})
        return cycles(sim.advance("PT1H"))

    fresh = client()
    job = story_start(fresh)
    fresh_cycles = story_end(fresh)

    state = tmp_path / "state.json"
    first = client(state)
    assert story_start(first) == job
    first.close()  # the process stops; the state file holds what the last clock move left
    resumed = client(state)
    assert resumed.now() == "2026-01-05T12:01:00Z"  # not the time of the last store write
    # 40 minutes after the last cycle, not at once:
    assert [p["due"] for p in resumed.control("GET", "/clock")["pending"] if p["job"].startswith("provisioning")] \
        == ["2026-01-05T12:20:00Z"]
    assert story_end(resumed) == fresh_cycles == ["2026-01-05T12:20:00Z", "2026-01-05T13:00:00Z"]
    assert observed(resumed, job) == observed(fresh, job)


def test_a_resumed_simulator_keeps_quarantine_and_its_next_attempt(tmp_path):
    state = tmp_path / "state.json"
    first = client(state)
    job = first.configure(start=True)
    first.advance("PT1M")
    first.control("POST", "/purecloud/tokens/revoke", {"client_id": "provsim-purecloud-client"})
    alex = first.graph("GET", "/users/alex.wilber@contoso.com")["id"]
    first.graph("PATCH", f"/users/{alex}", {"jobTitle": "x"})
    first.advance("PT40M")
    quarantine = first.job(job)["status"]["quarantine"]
    assert quarantine["nextAttempt"] == "2026-01-06T09:40:00Z"
    first.close()

    resumed = client(state)
    assert resumed.job(job)["status"]["quarantine"] == quarantine
    assert cycles(resumed.advance("PT23H")) == []  # no cycle before the next attempt
    assert cycles(resumed.advance("PT1H")) == ["2026-01-06T09:40:00Z"]
