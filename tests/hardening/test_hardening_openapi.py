"""OpenAPI documents of every surface, served under /_provsim/openapi/, and schemathesis against each:
no 5xx, every error in the surface's own format, and the state file still loads afterwards.
Bounded: a fixed seed (derandomize), a few examples per operation."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from simulator.app import create_app
from simulator.client import login
from simulator.core import ProvsimConfig, Store
from simulator.http.openapi import SURFACES, described_routes, openapi_path

TENANT = "contoso.onmicrosoft.com"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    state = tmp_path_factory.mktemp("fuzz") / "state.json"
    app = create_app(ProvsimConfig(seed=0, state_path=state))
    app.extensions["provsim"].services["purecloud"].limiter.limit = 10**9  # fuzzing is not a rate-limit test
    app.config["FUZZ_STATE"] = state
    return app


@pytest.fixture(scope="module")
def auth(fuzz_app):
    import httpx

    from simulator.client.transport import InProcessTransport

    with httpx.Client(transport=InProcessTransport(app=fuzz_app), base_url="http://provsim.local") as c:
        return {"genesys": login.genesys_token(c)["access_token"], "graph": login.graph_token(c, TENANT)["access_token"]}


def test_every_route_is_described_in_a_served_document(fuzz_app):
    client = fuzz_app.test_client()
    documents = {name: client.get(f"/_provsim/openapi/{name}.json").json for name in SURFACES}
    assert all(doc["openapi"].startswith("3.") for doc in documents.values())
    missing = []
    for surface, method, rule in described_routes(fuzz_app):
        path, _ = openapi_path(rule)
        if method.lower() not in documents[surface]["paths"].get(path, {}):
            missing.append((surface, method, rule))
    assert missing == []
    assert len(described_routes(fuzz_app)) > 150  # SCIM twice, Platform, Graph, login, control, dashboard
    assert client.get("/_provsim/openapi/nothing.json").status_code == 404


def _error_shape_ok(path: str, status: int, body: bytes, ctype: str) -> bool:
    if status < 400 or path == "/" or path.startswith("/dashboard/"):
        return True
    data = json.loads(body)
    if path.startswith("/api/v2/scim"):
        return data.get("schemas") == ["urn:ietf:params:scim:api:messages:2.0:Error"] or "code" in data
    if path.startswith("/api/v2/"):
        return "code" in data and "message" in data
    if path.startswith("/oauth/token"):
        return "error" in data or "code" in data or "schemas" in data
    if path.startswith("/v1.0"):
        return "code" in data["error"] and "message" in data["error"]
    if path.startswith("/_provsim"):
        return "code" in data["error"]
    return "error" in data  # Entra login: AADSTS body


FUZZ = settings(max_examples=4, derandomize=True, deadline=None, database=None,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _run(case, auth) -> None:
    headers = {}
    if case.path.startswith("/v1.0"):
        headers["Authorization"] = f"Bearer {auth['graph']}"
    elif case.path.startswith("/api/v2/"):
        headers["Authorization"] = f"Bearer {auth['genesys']}"
    response = case.call(headers=headers)
    status = response.status_code
    where = (case.method, case.formatted_path, status, response.content[:300])
    assert status < 500, where
    ctype = response.headers.get("Content-Type")
    assert _error_shape_ok(case.path, status, response.content, str(ctype)), where


@pytest.mark.slow
@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_schemathesis_finds_no_5xx_and_only_errors_in_the_surfaces_format(surface, fuzz_app, auth):
    from hypothesis import given

    schema = schemathesis.openapi.from_wsgi(f"/_provsim/openapi/{surface}.json", fuzz_app)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:
            _run(case, auth)

        fuzz()
        operations += 1
    assert operations >= 15


def test_zz_the_state_file_still_loads_after_fuzzing(fuzz_app):
    runtime = fuzz_app.extensions["provsim"]
    runtime.checkpoint()
    runtime.store.flush()
    again = Store(fuzz_app.config["FUZZ_STATE"])
    assert "purecloud_users" in again.tables()
