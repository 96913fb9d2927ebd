"""Observation 2 of issue 12: the in-process fixture's own base URL, used as the job's tenant URL,
made a real DNS lookup and quarantined the job with WebExceptionProtocolError. Any base URL an
in-process client uses now reaches the Genesys fake in-process."""

from __future__ import annotations

import pytest

from simulator.client import ProvsimClient


def _run_initial_cycle(client: ProvsimClient, tenant_url: str, **options) -> dict:
    job_id = client.configure(tenant_url=tenant_url, start=True, **options)
    client.next_cycle(job_id)
    return client.job(job_id)["status"]


def test_the_provsim_http_fixture_host_is_a_working_tenant_url(provsim, provsim_http):
    status = _run_initial_cycle(provsim, str(provsim_http.base_url).rstrip("/") + "/api/v2/scim/v2")
    assert str(provsim_http.base_url).startswith("http://provsim.test")
    assert status["code"] == "Active" and status.get("quarantine") is None
    assert status["lastExecution"]["state"] == "Succeeded" and status["lastExecution"]["countExported"] > 0


@pytest.mark.parametrize("base_url", ["http://testserver", "http://genesys.example:8443", "http://localhost"])
def test_any_in_process_base_url_is_a_working_tenant_url(app, base_url):
    with ProvsimClient.in_process(app, base_url=base_url) as client:
        status = _run_initial_cycle(client, f"{base_url}/api/v2/scim/v2")
    assert status["code"] == "Active" and status.get("quarantine") is None
    assert status["lastExecution"]["state"] == "Succeeded"


def test_a_tenant_url_on_a_reserved_domain_never_reached_stays_in_process(provsim):
    status = _run_initial_cycle(provsim, "http://genesys.invalid/api/v2/scim/v2", secret_token=provsim.genesys_token())
    assert status.get("quarantine") is None and status["lastExecution"]["state"] == "Succeeded"
