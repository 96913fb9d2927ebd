"""Errors everywhere: a clear 4xx, never a 500 with a traceback, never a half-applied change."""

from __future__ import annotations

import pytest

from purecloud_helpers import SCIM, assert_genesys_error, assert_scim_error


def test_malformed_json(scim, org):
    before = len(org.users)
    resp = scim.request("POST", "/Users", content=b'{"userName": ', headers={"Content-Type": "application/scim+json"})
    assert "not valid JSON" in assert_scim_error(resp, 400, "invalidSyntax")["detail"]
    assert_scim_error(scim.request("POST", "/Users", content=b"", headers={"Content-Type": "application/json"}), 400, "invalidSyntax")
    assert_scim_error(scim.request("POST", "/Users", content=b"\xff\xfe", headers={"Content-Type": "application/json"}), 400, "invalidSyntax")
    assert len(org.users) == before


def test_wrong_content_type_is_415(scim):
    assert_scim_error(scim.request("POST", "/Users", content=b"userName=x", headers={"Content-Type": "text/plain"}), 415)


def test_the_sdk_content_type_is_accepted(scim):
    resp = scim.request("POST", "/Users", content=b'{"userName":"sdk@contoso.com","displayName":"SDK"}',
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 201


def test_body_over_512000_bytes_is_413(scim, org):
    big = {"userName": "big@contoso.com", "displayName": "x" * 600_000}
    body = assert_scim_error(scim.post("/Users", big), 413)
    assert body["detail"] == "Maximum bytes: 512000"
    assert scim.find_user("big@contoso.com") == []


def test_unknown_paths_are_404_known_paths_other_methods_405(scim):
    assert_scim_error(scim.get("/Bulk"), 404)
    assert_scim_error(scim.get("/Users/a/b"), 404)
    assert_scim_error(scim.get("/api/v2/scim/v2"), 404)
    resp = scim.request("PUT", "/Users")
    assert_scim_error(resp, 405)
    assert resp.headers["allow"] == "GET, POST"
    assert_scim_error(scim.request("POST", "/ServiceProviderConfig"), 405)


def test_unexpected_errors_are_500_without_traceback(scim, org, monkeypatch, caplog):
    def boom(*a, **kw):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(org, "search_users", boom)
    resp = scim.get("/Users")
    body = assert_scim_error(resp, 500)
    assert "secret internals" not in resp.text and "contextId" in body["detail"]
    assert any("unexpected error" in r.message for r in caplog.records)


def test_failure_inside_a_write_is_rolled_back(scim, org, monkeypatch):
    user = scim.create_user()

    def fail(doc):
        raise RuntimeError("disk full")

    monkeypatch.setattr(org, "_sync_external_ids", fail)
    assert_scim_error(scim.patch(f"/Users/{user['id']}", {"op": "replace", "path": "title", "value": "x"}), 500)
    monkeypatch.undo()
    after = scim.get(f"/Users/{user['id']}").json()
    assert "title" not in after and after["meta"]["version"] == '"1"'


def test_injected_faults_use_the_surface_shapes(scim, runtime):
    runtime.faults.add({"method": "GET", "path": f"{SCIM}/Users", "status": 503})
    assert_genesys_error(scim.get("/Users"), 503, "service.unavailable")
    runtime.faults.clear()
    runtime.faults.add({"method": "GET", "path": f"{SCIM}/Users", "status": 404})
    assert_scim_error(scim.get("/Users"), 404)


@pytest.mark.parametrize("path", ["/Users/{id}", "/users/{id}"])
def test_head_and_options_do_not_500(scim, path):
    user = scim.create_user()
    assert scim.request("HEAD", path.format(id=user["id"])).status_code == 200
    assert scim.request("OPTIONS", path.format(id=user["id"])).status_code < 500
