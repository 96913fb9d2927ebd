"""A user's own test suite on top of provsim's pytest plugin (no provsim import needed)."""

import pytest

NEW_HIRE = {"accountEnabled": True, "displayName": "Nora New", "mailNickname": "nora.new",
            "userPrincipalName": "nora.new@contoso.com", "mail": "nora.new@contoso.com", "jobTitle": "Agent",
            "passwordProfile": {"password": "Secret-123!", "forceChangePasswordNextSignIn": True}}


def genesys_user(genesys, user_name):
    found = genesys.get("Users", params={"filter": f'userName eq "{user_name}"'}).json()
    return found["Resources"][0] if found["totalResults"] else None


def test_new_hire_reaches_genesys(provsim_job, provsim_graph, provsim_genesys, provsim_traffic):
    initial = provsim_job.run_cycle()
    assert initial["initial"] is True and initial["exported"] > 0
    user = provsim_graph.post("users", json=NEW_HIRE).json()
    provsim_job.assign(user["id"])
    provsim_traffic.reset()
    cycle = provsim_job.run_cycle()
    assert cycle["initial"] is False and cycle["exported"] == 1
    created = genesys_user(provsim_genesys, "nora.new@contoso.com")
    assert created["title"] == "Agent" and created["active"] is True
    provsim_traffic.assert_called("POST", "/api/v2/scim/v2/Users", times=1, status=201)
    creates = provsim_job.logs(action="create", status="success")
    assert any(e["sourceIdentity"]["id"] == user["id"] for e in creates)
    assert provsim_job.status()["status"]["code"] == "Active"


def test_clock_moves_by_duration_and_to_the_next_cycle(provsim, provsim_job):
    provsim_job.run_cycle()
    before = provsim.now()
    answer = provsim_job.advance("PT10M")
    assert answer["now"] > before and not [r for r in answer["ran"] if r.get("jobId")]
    answer = provsim_job.next_cycle()
    assert [r["jobId"] for r in answer["ran"] if r.get("jobId")] == [provsim_job.id]


def test_provision_on_demand(provsim_job, provsim_graph, provsim_genesys):
    user = provsim_graph.post("users", json=NEW_HIRE).json()
    provsim_job.assign(user["id"])
    result = provsim_job.provision_on_demand(user["id"])
    assert result["key"]["result"] == "Success"
    assert genesys_user(provsim_genesys, "nora.new@contoso.com") is not None


def test_a_failing_genesys_escrows_the_user(provsim_job, provsim_graph, provsim_faults):
    provsim_job.run_cycle()
    user = provsim_graph.post("users", json=NEW_HIRE).json()
    provsim_job.assign(user["id"])
    with provsim_faults.active(method="POST", path="/api/v2/scim/v2/Users", status=503):
        cycle = provsim_job.run_cycle()
    assert cycle["failed"] == 1
    failures = provsim_job.logs(status="failure")
    assert failures and failures[0]["sourceIdentity"]["id"] == user["id"]
    assert provsim_faults.list() == []


def test_engine_traffic_matches_the_golden_cassette(provsim_job, assert_matches_cassette):
    provsim_job.run_cycle()
    assert_matches_cassette()


@pytest.mark.provsim(tenant="blank", seed=7)
def test_marker_picks_tenant_and_seed(provsim, provsim_config, provsim_runtime, provsim_http):
    assert (provsim_config.fixture, provsim_config.seed) == ("blank", 7)
    assert provsim_runtime.config.seed == 7
    assert provsim_http.get("/_provsim/health").json()["seed"] == 7
    assert provsim.graph("GET", "/servicePrincipals")["value"] == []  # the blank tenant has no app yet


@pytest.mark.provsim(served=True)
def test_served_simulator(provsim, provsim_server, provsim_app, provsim_genesys):
    assert provsim.base_url == provsim_server.url
    assert provsim_genesys.get("Users", params={"count": 1}).json()["totalResults"] > 0
    assert provsim_app.extensions["provsim"] is not None
