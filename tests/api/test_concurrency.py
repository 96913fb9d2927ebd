"""Many threads creating and patching users at once through the served app
(threaded werkzeug server, state file on disk): every write is there
afterwards, nothing interleaves, and the state file loads."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from tinydb import TinyDB

from simulator import create_app
from simulator.core import ProvsimConfig
from simulator.http.server import ServerThread

THREADS = 8
USERS_PER_THREAD = 15
SCIM = "/api/v2/scim/v2"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def state_path(tmp_path):
    return tmp_path / "state.json"


@pytest.fixture
def server(state_path):
    app = create_app(ProvsimConfig(seed=0, fixture="contoso", state_path=state_path))
    srv = ServerThread(app, "127.0.0.1", 0, flush_interval=0.05)
    srv.start()
    yield srv
    srv.stop()


def worker(base: str, n: int, errors: list, created: dict) -> None:
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=("provsim-purecloud-client", "provsim-purecloud-secret")).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for i in range(USERS_PER_THREAD):
                name = f"t{n}.u{i}@contoso.com"
                resp = http.post(f"{SCIM}/Users", json={"userName": name, "displayName": name}, headers=headers)
                if resp.status_code != 201:
                    errors.append((name, resp.status_code, resp.text))
                    continue
                user_id = resp.json()["id"]
                resp = http.patch(f"{SCIM}/Users/{user_id}", headers=headers, json={"schemas": [PATCH_URN], "Operations": [
                    {"op": "Replace", "path": "title", "value": f"thread {n}"}]})
                if resp.status_code != 200:
                    errors.append((name, resp.status_code, resp.text))
                # Everyone also races on the same group document.
                resp = http.get(f"{SCIM}/Groups", params={"filter": 'displayName eq "Sales"', "excludedAttributes": "members"},
                                headers=headers)
                group_id = resp.json()["Resources"][0]["id"]
                resp = http.patch(f"{SCIM}/Groups/{group_id}", headers=headers, json={"schemas": [PATCH_URN], "Operations": [
                    {"op": "Add", "path": "members", "value": [{"value": user_id}]}]})
                if resp.status_code != 200:
                    errors.append((name, resp.status_code, resp.text))
                created[name] = user_id
    except Exception as err:  # the test reports it
        errors.append(("thread", n, repr(err)))


def test_concurrent_creates_and_patches(server, state_path):
    errors: list = []
    created: dict = {}
    threads = [threading.Thread(target=worker, args=(server.url, n, errors, created)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(created) == THREADS * USERS_PER_THREAD
    assert len(set(created.values())) == len(created)  # no id handed out twice

    org = server.app.extensions["provsim"].services["purecloud"]
    for name, user_id in created.items():
        doc = org.users.find("userName", name)
        assert doc["id"] == user_id and doc["title"] == f"thread {name.split('.')[0][1:]}" and doc["version"] == 2
    assert set(created.values()) <= set(org.members_of(org.groups.find("displayName", "Sales")["id"]))

    server.stop()
    raw = json.loads(state_path.read_text(encoding="utf-8"))
    assert len(raw["purecloud_users"]) == len(created) + 2  # + the two fixture users
    assert len(TinyDB(state_path).table("purecloud_memberships")) >= len(created)

    again = create_app(ProvsimConfig(seed=0, fixture="contoso", state_path=state_path))
    org2 = again.extensions["provsim"].services["purecloud"]
    assert all(org2.users.find("userName", name)["id"] == uid for name, uid in created.items())
    # ids continue after a restart instead of repeating
    new = org2.create_user({"userName": "after.restart@contoso.com", "displayName": "After"})
    assert new["id"] not in created.values()
