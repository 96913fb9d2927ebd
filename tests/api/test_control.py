"""The /_provsim control API: clock, reset, snapshot, faults, traffic."""

from simulator.client import login


def _token(http):
    return login.genesys_token(http)["access_token"]


def _create(http, token, user_name):
    return http.post("/api/v2/scim/v2/Users", headers={"Authorization": f"Bearer {token}"},
                     json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name,
                           "displayName": user_name.split("@")[0]})


def test_health_and_clock(http):
    assert http.get("/_provsim/health").json()["status"] == "ok"
    assert http.get("/_provsim/clock").json()["now"] == "2026-01-05T09:00:00Z"
    resp = http.post("/_provsim/clock/advance", json={"duration": "PT40M"})
    assert resp.status_code == 200 and resp.json()["now"] == "2026-01-05T09:40:00Z"
    bad = http.post("/_provsim/clock/advance", json={"duration": "forty minutes"})
    assert bad.status_code == 400 and "ISO-8601" in bad.json()["error"]["message"]
    back = http.post("/_provsim/clock/advance", json={"to": "2026-01-05T09:00:00Z"})
    assert back.status_code == 400 and "forward" in back.json()["error"]["message"]


def test_reset_returns_to_the_fixture_with_the_same_ids_and_nothing_scheduled(http, runtime):
    token = _token(http)
    first = _create(http, token, "a.one@contoso.com").json()["id"]
    runtime.clock.schedule(runtime.clock.now(), lambda now: None, name="leftover")
    http.post("/_provsim/clock/advance", json={"duration": "P1D"})
    runtime.clock.schedule(runtime.clock.now(), lambda now: None, name="leftover")
    assert http.post("/_provsim/reset").json()["now"] == "2026-01-05T09:00:00Z"
    assert http.get("/_provsim/clock").json()["pending"] == []
    token = _token(http)
    listed = http.get("/api/v2/scim/v2/Users", params={"filter": 'userName eq "a.one@contoso.com"'},
                      headers={"Authorization": f"Bearer {token}"}).json()
    assert listed["totalResults"] == 0
    assert _create(http, token, "a.one@contoso.com").json()["id"] == first  # same seed, same ids
    # the traffic log numbers from 1 again, as on a fresh start (a story counting requests relies on it)
    assert [e["seq"] for e in http.get("/_provsim/traffic").json()["value"]][:1] == [1]


def test_snapshot_and_restore(http):
    token = _token(http)
    snap = http.get("/_provsim/snapshot").json()
    _create(http, token, "later@contoso.com")
    assert http.post("/_provsim/snapshot/restore", json=snap).json()["restored"] is True
    found = http.get("/api/v2/scim/v2/Users", params={"filter": 'userName eq "later@contoso.com"'},
                     headers={"Authorization": f"Bearer {token}"}).json()
    assert found["totalResults"] == 0
    assert http.post("/_provsim/snapshot/restore", json={"tables": "x"}).status_code == 400


def test_fault_rules_crud_nth_and_validation(http):
    token = _token(http)
    rule = http.post("/_provsim/faults", json={"method": "POST", "path": "/api/v2/scim/v2/users", "nth": 2,
                                               "status": 503}).json()
    assert [r["id"] for r in http.get("/_provsim/faults").json()["value"]] == [rule["id"]]
    assert _create(http, token, "f1@contoso.com").status_code == 201
    second = _create(http, token, "f2@contoso.com")
    assert second.status_code == 503 and second.headers["X-Provsim-Fault"] == rule["id"]
    # the surface's own shape: Genesys answers a 503 with its ErrorBody
    assert second.json()["code"] == "service.unavailable" and second.json()["status"] == 503
    assert _create(http, token, "f3@contoso.com").status_code == 201
    assert http.delete(f"/_provsim/faults/{rule['id']}").status_code == 204
    assert http.delete(f"/_provsim/faults/{rule['id']}").status_code == 404
    for bad in ({"path": "/x"}, {"status": 999}, {"status": 500, "probability": 2}, {"status": 500, "colour": "red"}):
        resp = http.post("/_provsim/faults", json=bad)
        assert resp.status_code == 400 and resp.json()["error"]["message"]


def test_traffic_log_is_scrubbed(http):
    token = _token(http)
    _create(http, token, "t@contoso.com")
    entries = http.get("/_provsim/traffic", params={"surface": "purecloud"}).json()["value"]
    text = str(entries)
    assert entries and token not in text and "provsim-purecloud-secret" not in text
    assert any(e["method"] == "POST" and e["status"] == 201 for e in entries)
